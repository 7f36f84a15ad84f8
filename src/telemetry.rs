//! Logs: where they go, and what they must never hold.
//!
//! Logs are read by more people, and kept longer, than the database: they never hold a
//! citizen's contact details or answers, tracking tokens, passwords, API tokens or the
//! credentials in a URL. Code logs ids (a request's reference, an outbox row's id) instead of
//! content; [`scrub`] cleans text that comes from elsewhere (an SMTP server's answer echoes
//! the recipient, an HTTP client error names the URL) and [`redact_url`] the URLs an operator
//! configured, before either reaches a log line or a start-up error.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Logs to standard error, at `RUST_LOG` (default `info`). Colours only on a terminal: a
/// file or a pipe (journald, a log shipper) gets plain text, and `NO_COLOR` turns them off.
pub fn init() {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
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
