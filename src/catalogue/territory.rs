//! The territory file (`territory.toml`): the agglomeration, its communes, its services and
//! their queues, and the procedures of other levels the portal lists and searches.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::diagnostic::{Diagnostic, Location, line_col};
use super::legal::{Legal, Privacy};
use crate::domain::EventKind;

pub const FILE_NAME: &str = "territory.toml";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Territory {
    pub territory: TerritoryInfo,
    #[serde(default)]
    pub communes: Vec<Commune>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub procedures: Vec<Procedure>,
    /// How long requests keep their personal data (see docs/personal-data.md).
    #[serde(default)]
    pub retention: Retention,
    /// The controller and DPO the privacy notices name (see docs/personal-data.md).
    #[serde(default)]
    pub privacy: Privacy,
    /// The mentions légales and the accessibility statement.
    #[serde(default)]
    pub legal: Legal,
    /// What élus see of the requests they follow (see docs/personal-data.md).
    #[serde(default)]
    pub elus: Elus,
    /// Staff sign-in through an OpenID Connect provider (see docs/sign-in.md).
    pub oidc: Option<super::oidc::Oidc>,
}

/// The `[elus]` table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Elus {
    /// Whose contact details an élu sees: `own` (default) or `communes`.
    #[serde(default)]
    pub see_contact: ContactScope,
}

/// Which requests show their citizen's contact details to an élu.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContactScope {
    /// Only the requests the élu filed: the citizen gave them their details.
    #[default]
    Own,
    /// Every request of their communes too.
    Communes,
}

/// The `[retention]` table: the days a closed request keeps its personal data before it is
/// anonymised, for forms that do not say (`x-guichet.retention_days`), and the most any form
/// may ask for.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default = "default_retention_days")]
    pub days: u32,
    /// `guichet check` reports a form whose retention exceeds it.
    pub max_days: Option<u32>,
}

/// A year, démarches-simplifiées' default.
pub const DEFAULT_RETENTION_DAYS: u32 = 365;

fn default_retention_days() -> u32 {
    DEFAULT_RETENTION_DAYS
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            days: DEFAULT_RETENTION_DAYS,
            max_days: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TerritoryInfo {
    pub name: String,
    pub short_name: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// The intercommunality's SIREN, which `guichet territory update` reads its member
    /// communes by (docs/territory.md).
    pub siren: Option<String>,
    /// Its department's and region's official codes (COG), e.g. "47" and "75".
    pub department: Option<String>,
    pub region: Option<String>,
    /// The languages citizens may read the site in, French first: `["fr"]` (the default)
    /// or `["fr", "en"]`. With English, every citizen page has the language switch, the
    /// browser's `Accept-Language` is followed, and `guichet check` warns about every form
    /// text not translated into it.
    #[serde(default = "default_languages")]
    pub languages: Vec<crate::i18n::Lang>,
}

fn default_languages() -> Vec<crate::i18n::Lang> {
    vec![crate::i18n::Lang::Fr]
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    pub slug: String,
    pub name: String,
    pub insee: Option<String>,
    #[serde(default)]
    pub postcodes: Vec<String>,
    /// The INSEE population municipale, from the COG (`guichet territory update` keeps it).
    pub population: Option<u32>,
    /// The department's official code (COG), e.g. "47".
    pub department: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
    /// The sites allowed to show this commune's Guichet pages in a frame
    /// (`frame-ancestors`), as origins: `https://www.commune.example.org`. Default none.
    #[serde(default)]
    pub embed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub default_queue: String,
    #[serde(default)]
    pub queues: Vec<Queue>,
    /// Where the service is told of new requests.
    pub email: Option<String>,
    /// How: one e-mail per request, or a digest (see `guichet serve --mail-digest-minutes`).
    #[serde(default)]
    pub notify: Notify,
    /// Business applications that receive the service's events.
    #[serde(default)]
    pub webhooks: Vec<Webhook>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Notify {
    #[default]
    Immediate,
    Digest,
    None,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Event kinds to send (see [`EventKind::webhook_events`]), or `["*"]` for all of them.
    pub events: Vec<String>,
    /// The HMAC secret, read from this environment variable (keep secrets out of git).
    pub secret_env: Option<String>,
    /// The HMAC secret itself, for tests and demos only.
    pub secret: Option<String>,
}

impl Webhook {
    /// Whether this webhook is sent the event. A kind that may not leave Guichet (an
    /// internal note) is sent to no webhook, whatever its list says.
    pub fn wants(&self, event: EventKind) -> bool {
        event.leaves_guichet() && self.events.iter().any(|e| e == "*" || e == event.as_str())
    }

    /// The signing secret: `secret`, or the value of the variable `secret_env` names; or why
    /// there is none. A blank value counts as none: an HMAC keyed with nothing (or a space)
    /// authenticates nothing, and an empty variable is usually a deployment that forgot it.
    pub fn signing_secret(&self) -> Result<String, String> {
        if let Some(secret) = &self.secret {
            return if secret.trim().is_empty() {
                Err("its `secret` is empty".into())
            } else {
                Ok(secret.clone())
            };
        }
        let Some(name) = &self.secret_env else {
            return Err("it has no `secret_env`".into());
        };
        // `std::env::var` may panic on a name with `=` or NUL: the lint refuses those, and
        // this keeps a catalogue that skipped it from taking the worker down.
        if !is_variable_name(name) {
            return Err(format!("« {name} » is not an environment variable name"));
        }
        match std::env::var(name) {
            Ok(value) if value.is_empty() => {
                Err(format!("the environment variable {name} is empty"))
            }
            Ok(value) if value.trim().is_empty() => Err(format!(
                "the environment variable {name} holds only white space"
            )),
            Ok(value) => Ok(value),
            Err(std::env::VarError::NotPresent) => {
                Err(format!("the environment variable {name} is not set"))
            }
            Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                "the environment variable {name} is not valid UTF-8"
            )),
        }
    }
}

/// A portable environment variable name: letters, digits and `_`, not starting with a digit.
fn is_variable_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| !b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A webhook that cannot sign its deliveries with what the environment holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedWebhook {
    /// `service/webhook`, as the outbox and the admin page name it.
    pub target: String,
    /// Where it is declared, as a pointer into the territory file.
    pub pointer: String,
    /// Why, naming the variable when there is one.
    pub why: String,
    /// The variable to set, when the webhook names one.
    pub variable: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub id: String,
    pub name: String,
}

/// A procedure run by another level (or by a commune on its own site): a catalogue entry
/// the portal lists and its search finds, filed on the site its URL opens.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub title: String,
    pub level: ProcedureLevel,
    pub url: String,
    pub description: Option<String>,
    /// Words people search with that the title does not hold (« CNI », « immatriculation »).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The portal's heading it is listed under, like a form's `x-guichet.theme`.
    pub theme: Option<String>,
    /// Communes (slugs) where it applies; empty means all.
    #[serde(default)]
    pub communes: Vec<String>,
}

impl Procedure {
    /// Whether the procedure applies in a commune (an empty list means everywhere).
    pub fn applies_in(&self, commune: &str) -> bool {
        self.communes.is_empty() || self.communes.iter().any(|c| c == commune)
    }
}

/// Who runs a procedure, from the nearest level to the farthest. The English names of the
/// first territory files (`department`, `state`) are still read.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ProcedureLevel {
    Commune,
    Epci,
    #[serde(alias = "department")]
    Departement,
    Region,
    #[serde(alias = "state")]
    Etat,
}

impl ProcedureLevel {
    /// The level's name in `lang`, as the portal lists who runs a procedure.
    pub fn label(self, lang: crate::i18n::Lang) -> String {
        lang.text(match self {
            ProcedureLevel::Commune => "level-commune",
            ProcedureLevel::Epci => "level-epci",
            ProcedureLevel::Departement => "level-departement",
            ProcedureLevel::Region => "level-region",
            ProcedureLevel::Etat => "level-etat",
        })
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            ProcedureLevel::Commune => "Commune",
            ProcedureLevel::Epci => "Intercommunalité",
            ProcedureLevel::Departement => "Département",
            ProcedureLevel::Region => "Région",
            ProcedureLevel::Etat => "État",
        }
    }
}

pub use crate::domain::is_valid_id;

impl Territory {
    /// Parses and checks the territory file; every problem is reported, not just the first.
    pub fn parse(text: &str) -> Result<Territory, Vec<Diagnostic>> {
        let territory: Territory = toml::from_str(text).map_err(|err| {
            let location = err
                .span()
                .map(|span| {
                    let (line, col) = line_col(text, span.start);
                    Location::LineCol(line, col)
                })
                .unwrap_or(Location::File);
            vec![Diagnostic::new(
                FILE_NAME,
                location,
                format!("invalid TOML: {}", err.message()),
            )]
        })?;
        let problems = territory.lint();
        if problems.is_empty() {
            Ok(territory)
        } else {
            Err(problems
                .into_iter()
                .map(|(path, message)| {
                    Diagnostic::new(FILE_NAME, Location::Pointer(path), message)
                        .locate_in_toml(text)
                })
                .collect())
        }
    }

    fn lint(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if self.territory.languages.first() != Some(&crate::i18n::Lang::Fr) {
            problems.push((
                "/territory/languages".to_owned(),
                "`languages` must start with \"fr\": forms are written in French, and French is the default".to_owned(),
            ));
        }
        let mut communes = HashSet::new();
        for (i, commune) in self.communes.iter().enumerate() {
            if !is_valid_id(&commune.slug) {
                problems.push((
                    format!("/communes/{i}/slug"),
                    format!(
                        "commune slug « {} » must use only a-z, 0-9 and -",
                        commune.slug
                    ),
                ));
            }
            if !communes.insert(commune.slug.as_str()) {
                problems.push((
                    format!("/communes/{i}/slug"),
                    format!("commune « {} » is declared twice", commune.slug),
                ));
            }
            for (j, origin) in commune.embed_origins.iter().enumerate() {
                if let Err(why) = check_embed_origin(origin) {
                    problems.push((format!("/communes/{i}/embed_origins/{j}"), why));
                }
            }
        }
        let mut services = HashSet::new();
        let mut queues = HashSet::new();
        for (i, service) in self.services.iter().enumerate() {
            if !is_valid_id(&service.id) {
                problems.push((
                    format!("/services/{i}/id"),
                    format!("service id « {} » must use only a-z, 0-9 and -", service.id),
                ));
            }
            if !services.insert(service.id.as_str()) {
                problems.push((
                    format!("/services/{i}/id"),
                    format!("service « {} » is declared twice", service.id),
                ));
            }
            for (j, queue) in service.queues.iter().enumerate() {
                if !is_valid_id(&queue.id) {
                    problems.push((
                        format!("/services/{i}/queues/{j}/id"),
                        format!("queue id « {} » must use only a-z, 0-9 and -", queue.id),
                    ));
                }
                if !queues.insert(queue.id.as_str()) {
                    problems.push((
                        format!("/services/{i}/queues/{j}/id"),
                        format!(
                            "queue « {} » is declared twice (queue ids are unique across services)",
                            queue.id
                        ),
                    ));
                }
            }
            let mut hooks = HashSet::new();
            for (j, hook) in service.webhooks.iter().enumerate() {
                let at = |field: &str| format!("/services/{i}/webhooks/{j}/{field}");
                if !is_valid_id(&hook.id) || !hooks.insert(hook.id.as_str()) {
                    problems.push((
                        at("id"),
                        format!(
                            "webhook id « {} » must be unique and use only a-z, 0-9 and -",
                            hook.id
                        ),
                    ));
                }
                if let Err(why) = check_webhook_url(&hook.url) {
                    problems.push((at("url"), why));
                }
                let subscribable = || {
                    EventKind::webhook_events()
                        .map(EventKind::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                for (k, event) in hook.events.iter().enumerate() {
                    match EventKind::parse(event) {
                        _ if event == "*" => {}
                        Some(kind) if kind.leaves_guichet() => {}
                        Some(_) => problems.push((
                            format!("/services/{i}/webhooks/{j}/events/{k}"),
                            format!(
                                "« {event} » events stay inside Guichet and are sent to no webhook; events are {}, or \"*\" for all of them",
                                subscribable()
                            ),
                        )),
                        None => problems.push((
                            format!("/services/{i}/webhooks/{j}/events/{k}"),
                            format!(
                                "unknown event « {event} »; events are {}, or \"*\" for all of them",
                                subscribable()
                            ),
                        )),
                    }
                }
                if hook.events.is_empty() {
                    problems.push((at("events"), "list at least one event, or \"*\"".into()));
                }
                match (&hook.secret, &hook.secret_env) {
                    (None, None) => problems.push((
                        at("secret_env"),
                        "a webhook needs a signing secret: set secret_env to the name of an environment variable".into(),
                    )),
                    (Some(_), Some(_)) => problems.push((
                        at("secret"),
                        "give the signing secret one way, not both: keep secret_env (the secret stays out of git) and remove secret".into(),
                    )),
                    (Some(secret), _) if secret.trim().is_empty() => problems.push((
                        at("secret"),
                        "the secret is empty: set secret_env to the name of an environment variable holding the secret".into(),
                    )),
                    (_, Some(name)) if !is_variable_name(name) => problems.push((
                        at("secret_env"),
                        format!("« {name} » is not an environment variable name (letters, digits and _, not starting with a digit)"),
                    )),
                    _ => {}
                }
            }
            if let Some(email) = &service.email
                && !email.contains('@')
            {
                problems.push((
                    format!("/services/{i}/email"),
                    format!("« {email} » is not an e-mail address"),
                ));
            }
            if !service.queues.iter().any(|q| q.id == service.default_queue) {
                problems.push((
                    format!("/services/{i}/default_queue"),
                    format!(
                        "default queue « {} » is not one of service « {} »'s queues",
                        service.default_queue, service.id
                    ),
                ));
            }
        }
        for (i, procedure) in self.procedures.iter().enumerate() {
            if procedure.title.trim().is_empty() {
                problems.push((
                    format!("/procedures/{i}/title"),
                    "a procedure needs a title".into(),
                ));
            }
            match url::Url::parse(&procedure.url) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                _ => problems.push((
                    format!("/procedures/{i}/url"),
                    format!(
                        "« {} » is not an http(s) URL: a procedure links to the site where it is filed",
                        procedure.url
                    ),
                )),
            }
            for (j, slug) in procedure.communes.iter().enumerate() {
                if !communes.contains(slug.as_str()) {
                    problems.push((
                        format!("/procedures/{i}/communes/{j}"),
                        format!("unknown commune « {slug} »"),
                    ));
                }
            }
        }
        problems.extend(super::legal::lint_territory(&self.privacy, &self.legal));
        if let Some(oidc) = &self.oidc {
            problems.extend(super::oidc::lint(self, oidc));
        }
        problems
    }

    /// The webhooks whose signing secret is missing from the environment (or blank). `check`
    /// warns of them, since CI need not hold production secrets; `serve` refuses to start
    /// with them, since every delivery would fail.
    pub fn unsigned_webhooks(&self) -> Vec<UnsignedWebhook> {
        let mut unsigned = Vec::new();
        for (i, service) in self.services.iter().enumerate() {
            for (j, hook) in service.webhooks.iter().enumerate() {
                if let Err(why) = hook.signing_secret() {
                    let field = if hook.secret.is_some() {
                        "secret"
                    } else {
                        "secret_env"
                    };
                    unsigned.push(UnsignedWebhook {
                        target: format!("{}/{}", service.id, hook.id),
                        pointer: format!("/services/{i}/webhooks/{j}/{field}"),
                        why,
                        variable: hook.secret_env.clone().filter(|_| hook.secret.is_none()),
                    });
                }
            }
        }
        unsigned
    }

    pub fn commune(&self, slug: &str) -> Option<&Commune> {
        self.communes.iter().find(|c| c.slug == slug)
    }

    /// The communes a postcode covers (47200: Marmande and eleven others), in file order.
    pub fn communes_with_postcode(&self, postcode: &str) -> Vec<&Commune> {
        self.communes
            .iter()
            .filter(|c| c.postcodes.iter().any(|p| p == postcode))
            .collect()
    }

    /// The communes a citizen means by what they typed: a postcode (every commune it covers)
    /// or part of a name (accents and case folded), in file order.
    pub fn find_communes(&self, typed: &str) -> Vec<&Commune> {
        let typed = typed.trim();
        let postcode: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        if postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit()) {
            return self.communes_with_postcode(&postcode);
        }
        let wanted = super::cog::slug(typed);
        if wanted.is_empty() {
            return Vec::new();
        }
        let exact: Vec<&Commune> = self
            .communes
            .iter()
            .filter(|c| super::cog::slug(&c.name) == wanted)
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        self.communes
            .iter()
            .filter(|c| super::cog::slug(&c.name).contains(&wanted))
            .collect()
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// The service that owns a queue, and the queue.
    pub fn queue(&self, queue_id: &str) -> Option<(&Service, &Queue)> {
        self.services
            .iter()
            .find_map(|s| s.queues.iter().find(|q| q.id == queue_id).map(|q| (s, q)))
    }

    /// Procedures grouped by level, nearest first (the site map lists them so).
    pub fn procedures_by_level(&self) -> BTreeMap<ProcedureLevel, Vec<&Procedure>> {
        let mut grouped: BTreeMap<ProcedureLevel, Vec<&Procedure>> = BTreeMap::new();
        for p in &self.procedures {
            grouped.entry(p.level).or_default().push(p);
        }
        grouped
    }

    /// The procedures that apply in a commune, or all of them.
    pub fn procedures_in<'a>(
        &'a self,
        commune: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Procedure> + 'a {
        self.procedures
            .iter()
            .filter(move |p| commune.is_none_or(|c| p.applies_in(c)))
    }
}

/// A webhook URL's syntax: http(s), a host, no credentials. Checked when the territory file
/// loads, and again by the delivery worker before it resolves the host.
/// An origin allowed to frame a commune's pages: `https://host[:port]` exactly, without
/// a path, query, user or trailing slash (what a CSP source expression and a browser's
/// `Origin` hold). Plain `http` only for localhost, to try an embed on one's own machine:
/// a page framed over plain HTTP can be rewritten by anyone on the way.
pub fn check_embed_origin(origin: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "embed origin « {origin} » {why}: write it as https://www.commune.example.org"
        ))
    };
    let Ok(url) = url::Url::parse(origin) else {
        return bad("is not a URL");
    };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if !(url.scheme() == "https" || (url.scheme() == "http" && local)) {
        return bad("must use https");
    }
    if url.origin().ascii_serialization() != origin {
        return bad(
            "must be an origin alone (scheme, host and port; no path, query or trailing slash, lower case)",
        );
    }
    Ok(())
}

pub fn check_webhook_url(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("« {url} » is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("« {url} »: webhooks use http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("« {url} » has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "« {url} »: put no credentials in the URL; the signature authenticates Guichet"
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[territory]
name = "T"
[[communes]]
slug = "a"
name = "A"
[[services]]
id = "s"
name = "S"
default_queue = "q"
[[services.queues]]
id = "q"
name = "Q"
"#;

    #[test]
    fn embed_origins_are_origins_alone() {
        for good in [
            "https://www.marmande.example.org",
            "https://mairie.example.org:8443",
            "http://localhost:8000",
        ] {
            assert_eq!(check_embed_origin(good), Ok(()), "{good}");
        }
        for bad in [
            "https://www.marmande.example.org/",
            "https://www.marmande.example.org/page",
            "http://www.marmande.example.org",
            "https://user@example.org",
            "HTTPS://EXAMPLE.ORG",
            "*",
            "'self'",
            "https://example.org https://evil.example",
        ] {
            assert!(check_embed_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_good_territory_parses() {
        let t = Territory::parse(GOOD).unwrap();
        assert_eq!(t.queue("q").unwrap().0.id, "s");
        assert!(t.commune("a").is_some());
    }

    #[test]
    fn toml_errors_have_line_and_column() {
        let err = Territory::parse("[territory]\nname = \n").unwrap_err();
        assert!(
            matches!(err[0].location, Location::LineCol(2, _)),
            "{:?}",
            err
        );
    }

    #[test]
    fn a_webhook_gets_its_secret_one_way_only() {
        let hook = |secret_lines: &str| {
            format!(
                "{GOOD}[[services.webhooks]]\nid = \"sig\"\nurl = \"https://sig.example.org/hook\"\nevents = [\"*\"]\n{secret_lines}\n"
            )
        };
        assert!(Territory::parse(&hook("secret_env = \"SIG_SECRET\"")).is_ok());
        assert!(Territory::parse(&hook("secret = \"s3cret\"")).is_ok());
        let err = Territory::parse(&hook("secret = \"s3cret\"\nsecret_env = \"SIG_SECRET\""))
            .unwrap_err();
        assert!(
            err[0].to_string().contains("one way, not both"),
            "{}",
            err[0]
        );
    }

    #[test]
    fn star_means_the_webhook_events_and_never_a_note() {
        let hook = Webhook {
            id: "sig".into(),
            url: "https://sig.example.org/hook".into(),
            events: vec!["*".into()],
            secret_env: None,
            secret: Some("s".into()),
        };
        for kind in EventKind::ALL {
            assert_eq!(
                hook.wants(kind),
                !matches!(
                    kind,
                    EventKind::Note | EventKind::Anonymised | EventKind::TrackingRenewed
                ),
                "{kind}"
            );
        }
        // Named, a note is still not sent (and `check` refuses the name).
        let named = Webhook {
            events: vec!["note".into(), "routed".into()],
            ..hook
        };
        assert!(!named.wants(EventKind::Note));
        assert!(named.wants(EventKind::Routed));
        assert!(!named.wants(EventKind::Submitted));
    }

    #[test]
    fn procedures_read_old_level_names_and_report_unknown_communes() {
        let text = format!(
            "{GOOD}\n[[procedures]]\ntitle = \"P\"\nlevel = \"state\"\nurl = \"https://example.org/p\"\n\n[[procedures]]\ntitle = \"D\"\nlevel = \"departement\"\nurl = \"https://example.org/d\"\ncommunes = [\"a\"]\n"
        );
        let t = Territory::parse(&text).unwrap();
        assert_eq!(t.procedures[0].level, ProcedureLevel::Etat);
        assert_eq!(t.procedures[1].level, ProcedureLevel::Departement);
        assert!(t.procedures[1].applies_in("a") && !t.procedures[1].applies_in("b"));
        let err = Territory::parse(&text.replace("[\"a\"]", "[\"zz\"]")).unwrap_err();
        assert!(
            err[0].to_string().contains("unknown commune « zz »"),
            "{}",
            err[0]
        );
    }

    #[test]
    fn a_default_queue_outside_the_service_is_reported() {
        let text = GOOD.replace("default_queue = \"q\"", "default_queue = \"nope\"");
        let err = Territory::parse(&text).unwrap_err();
        assert!(
            err[0].to_string().contains("default queue « nope »"),
            "{}",
            err[0]
        );
    }
}
