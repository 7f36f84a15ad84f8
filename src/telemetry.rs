//! Logs: where they go, and what they must never hold.
//!
//! Logs are read by more people, and kept longer, than the database: they never hold a
//! citizen's contact details or answers, tracking tokens, passwords, API tokens or the
//! credentials in a URL. Code logs ids (a request's reference, an outbox row's id) instead of
//! content; [`scrub`] cleans text that comes from elsewhere (an SMTP server's answer echoes
//! the recipient, an HTTP client error names the URL) and [`redact_url`] the URLs an operator
//! configured, before either reaches a log line or a start-up error.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written: `text` for people, `json` (one object a line) for log
/// shippers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// `GUICHET_LOG_FORMAT`, for the commands that have no `--log-format` flag; an unknown
    /// value falls back to text (those commands talk to a person at a terminal).
    pub fn from_env() -> LogFormat {
        match std::env::var("GUICHET_LOG_FORMAT") {
            Ok(value) if value.eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// Logs to standard error, at `RUST_LOG` (default `info`). Text has colours only on a
/// terminal: a file or a pipe (journald, a log shipper) gets plain text, and `NO_COLOR`
/// turns them off. JSON puts the fields of the spans an event happened in (a request's
/// `request_id`, `method`, `route`) beside the event's own, at the top level, so a shipper
/// can index them without knowing the span structure.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(std::io::stderr)
                .with_ansi(colour)
                .init();
        }
        LogFormat::Json => {
            use tracing_subscriber::layer::SubscriberExt;
            use tracing_subscriber::util::SubscriberInitExt;
            tracing_subscriber::registry()
                .with(filter)
                .with(KeepSpanFields)
                .with(json_layer(std::io::stderr))
                .init()
        }
    }
}

/// The layer writing [`JsonLines`] to `writer` (beside [`KeepSpanFields`]).
fn json_layer<S, W>(writer: W) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .fmt_fields(NoSpanFields)
        .event_format(JsonLines)
}

/// A span's fields as JSON members, kept in its extensions by [`KeepSpanFields`] for
/// [`JsonLines`]: written once when the span opens and copied as text into each line (the
/// fmt layer's own copy is text made for people, which had to be parsed again per line).
struct SpanFields(JsonMembers);

/// Keeps each span's fields as [`SpanFields`].
struct KeepSpanFields;

impl<S> tracing_subscriber::Layer<S> for KeepSpanFields
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = JsonMembers::with_capacity(attrs.fields().len());
        attrs.record(&mut AsJson(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id)
            && let Some(SpanFields(fields)) = span.extensions_mut().get_mut::<SpanFields>()
        {
            values.record(&mut AsJson(fields));
        }
    }
}

/// The fmt layer's formatting of span fields, which JSON lines do not use
/// ([`SpanFields`] holds them): nothing.
struct NoSpanFields;

impl<'writer> FormatFields<'writer> for NoSpanFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        _writer: Writer<'writer>,
        _fields: R,
    ) -> std::fmt::Result {
        Ok(())
    }
}

/// One JSON object per line: `timestamp`, `level`, `target`, then the event's fields (its
/// `message` among them), then those of the spans it happened in. Each name appears once:
/// the first written wins, so an event's field wins over a span's of the same name, and an
/// inner span's over an outer one's. The line is written as it goes, without building a
/// JSON value: every request logs one (its access line).
struct JsonLines;

/// The names every line starts with.
const LINE_HEAD: [&str; 3] = ["timestamp", "level", "target"];

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        // Straight into the fmt layer's buffer, which it writes out in one go.
        writer.write_str("{\"timestamp\":\"")?;
        let now = crate::domain::time::Rfc3339Micros::of(time::OffsetDateTime::now_utc());
        writer.write_str(now.as_str())?;
        writer.write_str("\",\"level\":")?;
        push_json_str(&mut writer, meta.level().as_str())?;
        writer.write_str(",\"target\":")?;
        push_json_str(&mut writer, meta.target())?;
        let mut written: Vec<&'static str> = Vec::with_capacity(16);
        written.extend(LINE_HEAD);
        let mut fields = LineMembers {
            line: &mut writer,
            written: &mut written,
            result: Ok(()),
        };
        event.record(&mut AsJson(&mut fields));
        fields.result?;
        if let Some(scope) = ctx.event_scope() {
            // Innermost first.
            for span in scope {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    fields.append_to(&mut writer, &mut written)?;
                }
            }
        }
        writer.write_str("}\n")
    }
}

/// Where an [`AsJson`] visit writes each field as a JSON member.
trait Members {
    /// `"name":` then the value `write` writes.
    fn member(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut dyn std::fmt::Write) -> std::fmt::Result,
    );
}

/// A visit of fields writing them, as JSON members, to `M`.
struct AsJson<'a, M>(&'a mut M);

/// An event's fields, written straight into its line, each unless a field of the same name
/// is `written` already (the line's head).
struct LineMembers<'a, W> {
    line: &'a mut W,
    written: &'a mut Vec<&'static str>,
    result: std::fmt::Result,
}

impl<W: std::fmt::Write> Members for LineMembers<'_, W> {
    fn member(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut dyn std::fmt::Write) -> std::fmt::Result,
    ) {
        if self.result.is_err() || self.written.contains(&name) {
            return;
        }
        self.written.push(name);
        self.result = (|| {
            self.line.write_char(',')?;
            push_json_str(self.line, name)?;
            self.line.write_char(':')?;
            write(self.line)
        })();
    }
}

/// Fields written as JSON members (`"name":value`), each known by its name and its place
/// in `text`. A field recorded again replaces the one before.
struct JsonMembers {
    text: String,
    members: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl JsonMembers {
    /// Room for `fields` members without growing.
    fn with_capacity(fields: usize) -> JsonMembers {
        JsonMembers {
            text: String::with_capacity(32 * fields),
            members: Vec::with_capacity(fields),
        }
    }

    /// Writes `,"name":value` to `line` for each member whose name is not in `written`, and
    /// adds those names to it.
    fn append_to(
        &self,
        line: &mut impl std::fmt::Write,
        written: &mut Vec<&'static str>,
    ) -> std::fmt::Result {
        for (name, range) in &self.members {
            if !written.contains(name) {
                line.write_char(',')?;
                line.write_str(&self.text[range.clone()])?;
                written.push(name);
            }
        }
        Ok(())
    }
}

impl Members for JsonMembers {
    /// A field recorded again replaces the one before.
    fn member(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut dyn std::fmt::Write) -> std::fmt::Result,
    ) {
        self.members.retain(|(written, _)| *written != name);
        let start = self.text.len();
        let _ = push_json_str(&mut self.text, name);
        self.text.push(':');
        let _ = write(&mut self.text);
        self.members.push((name, start..self.text.len()));
    }
}

impl<M: Members> Visit for AsJson<'_, M> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.member(field.name(), |out| push_json_str(out, value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.member(field.name(), |out| {
            out.write_str(if value { "true" } else { "false" })
        });
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.member(field.name(), |out| write!(out, "{value}"));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.member(field.name(), |out| write!(out, "{value}"));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        // As serde_json writes numbers (ryu: the shortest text that reads back the same);
        // JSON has no NaN.
        self.0.member(field.name(), |out| match value.is_finite() {
            true => out.write_str(ryu::Buffer::new().format_finite(value)),
            false => out.write_str("null"),
        });
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.member(field.name(), |out| {
            out.write_char('"')?;
            write!(JsonEscaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

/// `value` as a JSON string, quotes included.
fn push_json_str(out: &mut (impl std::fmt::Write + ?Sized), value: &str) -> std::fmt::Result {
    out.write_char('"')?;
    JsonEscaped(&mut *out).write_str(value)?;
    out.write_char('"')
}

/// Writes what it is given as the inside of a JSON string: quotes, backslashes and control
/// characters escaped, everything else as it is (JSON text is UTF-8).
struct JsonEscaped<'a, W: ?Sized>(&'a mut W);

impl<W: std::fmt::Write + ?Sized> std::fmt::Write for JsonEscaped<'_, W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        // Most text (ids, routes, messages) needs no escape: one pass to find out, without
        // stopping early so that it runs on whole vectors of bytes.
        let needs_escape = s.bytes().fold(false, |found, b| {
            found | (b == b'"') | (b == b'\\') | (b < 0x20)
        });
        if !needs_escape {
            return self.0.write_str(s);
        }
        let mut plain = 0;
        for (at, byte) in s.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..=0x1f => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

/// Latency buckets, in seconds: from a cached page to a slow upload.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's Prometheus recorder, once [`metrics_handle`] installed it.
static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether metrics are recorded (`--metrics-bind` is set): the per-request ones are only
/// labelled then, since building their labels costs every request a few allocations even
/// when no recorder takes them.
pub fn metrics_recorded() -> bool {
    METRICS.get().is_some()
}

/// The process's metrics recorder, installed on first use (only when `--metrics-bind` is
/// set: otherwise the `metrics` macros record nothing and cost next to nothing). Histograms
/// are rendered as Prometheus buckets, so latencies can be summed across instances.
pub fn metrics_handle() -> PrometheusHandle {
    METRICS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .expect("the latency buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test embedding the server): the
            // handle then renders only what this one saw, which is nothing; never fail.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            describe_metrics();
            handle
        })
        .clone()
}

/// Every metric Guichet records, with the help text Prometheus shows (docs/operations.md
/// says what to watch).
fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "guichet_http_requests_total",
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        "guichet_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (until the response head), by method and route template."
    );
    describe_counter!(
        "guichet_filings_total",
        "Requests filed, by form, service and queue."
    );
    describe_counter!(
        "guichet_rule_fallbacks_total",
        "Filings routed by the form's fallback because its rule failed, by form."
    );
    describe_gauge!(
        "guichet_outbox_messages",
        "Outbox messages by state (pending, failing: pending after a failed attempt, dead, delivered)."
    );
    describe_counter!(
        "guichet_outbox_deliveries_total",
        "Delivery attempts by channel and outcome (delivered, retry, dead)."
    );
    describe_gauge!(
        "guichet_db_pool_connections",
        "Database connections by pool and state (in_use, idle)."
    );
    describe_gauge!(
        "guichet_db_pool_max_connections",
        "Largest number of connections of each pool."
    );
    describe_counter!(
        "guichet_db_errors_total",
        "Database errors by kind (pool_timeout, unavailable, locked, other)."
    );
    describe_gauge!(
        "guichet_database_up",
        "1 if the database answered the last scrape's query, else 0."
    );
}

/// `url` without its secrets: the user name and password become `***` and the query string
/// (`?password=…`, `?token=…`) is dropped. Text that is not a URL is shown as its scheme only.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                let _ = parsed.set_password(None);
                let _ = parsed.set_username("***");
            }
            let had_query = parsed.query().is_some();
            parsed.set_query(None);
            parsed.set_fragment(None);
            let shown = redact_capability_path(parsed.as_str());
            if had_query {
                format!("{shown}?…")
            } else {
                shown
            }
        }
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{}://…", scheme.chars().take(16).collect::<String>()),
            None => "(not a URL)".to_owned(),
        },
    }
}

/// `text` with every e-mail address replaced by `<adresse>` and every URL redacted as
/// [`redact_url`] does; the rest is kept, so the message still says what went wrong.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if c.is_whitespace() || is_delimiter(c) {
            out.push_str(&scrub_word(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out.push_str(&scrub_word(&word));
    out
}

/// Characters that end an address or a URL in error messages (`<a@b.fr>`, `(url)`, `« a »`).
fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | '(' | ')' | '[' | ']' | '"' | '\'' | '«' | '»' | ',' | ';'
    )
}

fn scrub_word(word: &str) -> String {
    if word.contains("://") {
        redact_url(word.trim_end_matches(['.', ':']))
    } else if word.contains('@') {
        "<adresse>".to_owned()
    } else {
        word.to_owned()
    }
}

/// Tracking links are capabilities: a URL to one keeps `/suivi/…`, never the token.
fn redact_capability_path(url: &str) -> String {
    for marker in ["/suivi/", "/api/v1/track/"] {
        if let Some(at) = url.find(marker)
            && url.len() > at + marker.len()
        {
            return format!("{}…", &url[..at + marker.len()]);
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_are_json_with_each_name_once_and_the_innermost_value() {
        use tracing_subscriber::layer::SubscriberExt;
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let sink = lines.clone();
        let subscriber = tracing_subscriber::registry()
            .with(KeepSpanFields)
            .with(json_layer(move || SharedBuffer(sink.clone())));
        let awkward = "quote \" backslash \\ line\nend\r tab\t nul\u{0} bell\u{7} « é » \u{2028}";
        tracing::subscriber::with_default(subscriber, || {
            let outer =
                tracing::error_span!("outer", route = "/outer", shared = "outer", depth = 1);
            let _outer = outer.enter();
            let inner =
                tracing::error_span!("inner", shared = "inner", later = tracing::field::Empty);
            inner.record("later", 7u64);
            inner.record("later", 8u64);
            let _inner = inner.enter();
            tracing::info!(
                depth = -2i64,
                ratio = 0.25,
                nan = f64::NAN,
                flag = true,
                debug = ?Some(awkward),
                "said {awkward}"
            );
        });
        let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["level"], "INFO");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(line["message"], format!("said {awkward}"));
        assert_eq!(line["debug"], format!("{:?}", Some(awkward)));
        assert_eq!(line["depth"], -2, "the event's field wins over a span's");
        assert_eq!(
            line["shared"], "inner",
            "the inner span's wins over the outer one's"
        );
        assert_eq!(line["route"], "/outer");
        assert_eq!(
            line["later"], 8,
            "a field recorded again replaces the first value"
        );
        assert_eq!(line["ratio"], 0.25);
        assert_eq!(line["nan"], serde_json::Value::Null);
        assert_eq!(line["flag"], true);
        // Each name once: a JSON reader keeps the last of twins, so count them in the text.
        for name in ["depth", "shared", "later", "timestamp", "level"] {
            assert_eq!(
                text.matches(&format!("\"{name}\":")).count(),
                1,
                "{name}: {text}"
            );
        }
        assert_eq!(text.lines().count(), 1);
    }

    /// A log destination the test reads back.
    struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for SharedBuffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn urls_lose_their_credentials_and_query() {
        assert_eq!(
            redact_url("smtp://alerts:hunter2@mail.example.org:587?tls=required"),
            "smtp://***@mail.example.org:587?…"
        );
        assert_eq!(
            redact_url("postgres://guichet:s3cret@db.internal/guichet?password=x"),
            "postgres://***@db.internal/guichet?…"
        );
        assert_eq!(
            redact_url("sqlite://data/guichet.db"),
            "sqlite://data/guichet.db"
        );
        assert_eq!(redact_url("smtp//user:pw@host"), "(not a URL)");
        assert_eq!(redact_url("smtp://user:pw@[bad"), "smtp://…");
        assert_eq!(
            redact_url("https://guichet.example.org/suivi/AbCdEf0123"),
            "https://guichet.example.org/suivi/…"
        );
    }

    #[test]
    fn messages_lose_addresses_and_urls_but_keep_the_rest() {
        assert_eq!(
            scrub("permanent error (550): 5.1.1 <jeanne.martin@example.org>: user unknown"),
            "permanent error (550): 5.1.1 <<adresse>>: user unknown"
        );
        assert_eq!(
            scrub("« claire@exemple.fr » is not an e-mail address"),
            "« <adresse> » is not an e-mail address"
        );
        assert_eq!(
            scrub("error sending request for url (https://u:pw@hook.example/x?token=abc)"),
            "error sending request for url (https://***@hook.example/x?…)"
        );
        assert_eq!(
            scrub("the receiver answered 500"),
            "the receiver answered 500"
        );
    }
}
