//! The territory file (`territory.toml`): the agglomeration, its communes, its services and
//! their queues, and the external procedures the portal links to.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::diagnostic::{Diagnostic, Location, line_col};

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
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    pub slug: String,
    pub name: String,
    pub insee: Option<String>,
    #[serde(default)]
    pub postcodes: Vec<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
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

/// The events a webhook can subscribe to (`*` is all of them).
pub const WEBHOOK_EVENTS: [&str; 9] = [
    "submitted",
    "assigned",
    "status_changed",
    "message",
    "citizen_reply",
    "transferred",
    "priority_changed",
    "due_changed",
    "reopened",
];

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Event kinds to send (see [`WEBHOOK_EVENTS`]), or `["*"]`.
    pub events: Vec<String>,
    /// The HMAC secret, read from this environment variable (keep secrets out of git).
    pub secret_env: Option<String>,
    /// The HMAC secret itself, for tests and demos only.
    pub secret: Option<String>,
}

impl Webhook {
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }

    /// The signing secret: `secret`, or the variable `secret_env` names.
    pub fn signing_secret(&self) -> Option<String> {
        self.secret
            .clone()
            .or_else(|| {
                self.secret_env
                    .as_ref()
                    .and_then(|name| std::env::var(name).ok())
            })
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    pub title: String,
    pub level: ProcedureLevel,
    pub url: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ProcedureLevel {
    Department,
    Region,
    State,
}

impl ProcedureLevel {
    pub fn label_fr(self) -> &'static str {
        match self {
            ProcedureLevel::Department => "Département",
            ProcedureLevel::Region => "Région",
            ProcedureLevel::State => "État",
        }
    }
}

/// Identifiers end up in URLs, file names and rules: keep them to `[a-z0-9-]`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

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
                .map(|(path, message)| Diagnostic::new(FILE_NAME, Location::Pointer(path), message))
                .collect())
        }
    }

    fn lint(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
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
                if let Err(why) = crate::dispatch::webhook::check_url_syntax(&hook.url) {
                    problems.push((at("url"), why));
                }
                for event in &hook.events {
                    if event != "*" && !WEBHOOK_EVENTS.contains(&event.as_str()) {
                        problems.push((
                            at("events"),
                            format!(
                                "unknown event « {event} »; events are {}",
                                WEBHOOK_EVENTS.join(", ")
                            ),
                        ));
                    }
                }
                if hook.events.is_empty() {
                    problems.push((at("events"), "list at least one event, or \"*\"".into()));
                }
                if hook.secret.is_none() && hook.secret_env.is_none() {
                    problems.push((at("secret_env"), "a webhook needs a signing secret: set secret_env to the name of an environment variable".into()));
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
        problems
    }

    pub fn commune(&self, slug: &str) -> Option<&Commune> {
        self.communes.iter().find(|c| c.slug == slug)
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

    /// External procedures grouped by level, for the portal.
    pub fn procedures_by_level(&self) -> BTreeMap<ProcedureLevel, Vec<&Procedure>> {
        let mut grouped: BTreeMap<ProcedureLevel, Vec<&Procedure>> = BTreeMap::new();
        for p in &self.procedures {
            grouped.entry(p.level).or_default().push(p);
        }
        grouped
    }
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
