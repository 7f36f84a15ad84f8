//! E-mail: composing notifications from outbox rows (askama templates, plain text with an
//! HTML alternative, in French) and sending them with lettre.
//!
//! The transport comes from a URL: `file:///path/to/folder` (the default, `file://data/mail`:
//! each e-mail is written as an `.eml` file, so the demo needs no mail server),
//! `smtp://host:25` (plain), `smtp://user:password@host:587?tls=required` (STARTTLS) or
//! `smtps://user:password@host:465` (TLS), as lettre reads them.

use std::path::PathBuf;

use askama::Template;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use super::OutboxRow;
use crate::i18n::{Arg, Lang};

#[derive(Template)]
#[template(path = "mail/notification.txt")]
struct TextMail<'a> {
    greeting: &'a str,
    /// Before the link: « Suivre ma demande : », "Follow my request:".
    colon: &'a str,
    automatic: &'a str,
    paragraphs: &'a [String],
    items: &'a [(String, String)],
    link_label: &'a str,
    link_url: &'a str,
    territory: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notification.html")]
struct HtmlMail<'a> {
    lang: &'a str,
    greeting: &'a str,
    automatic: &'a str,
    subject: &'a str,
    paragraphs: &'a [String],
    items: &'a [(String, String)],
    link_label: &'a str,
    link_url: &'a str,
    territory: &'a str,
}

/// An e-mail ready to send.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The references of the requests it is about, sent as `X-Guichet-Reference`: how
    /// retention finds an e-mail written as a file to delete it with its request's data.
    pub references: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn field<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A citizen's e-mail in `lang`: subject, paragraphs, the link's label and address; `None`
/// for the kinds that go to staff.
fn citizen<'a>(
    kind: &str,
    p: &'a Value,
    lang: Lang,
) -> Option<(String, Vec<String>, String, &'a str)> {
    let arg = |key: &str| Arg::from(field(p, key));
    let text = |key: &str, args: &[(&'static str, Arg)]| lang.text_with(key, args);
    let (reference, form, service) = (
        ("reference", arg("reference")),
        ("form", arg("form_title")),
        ("service", arg("service")),
    );
    let mail = match kind {
        "receipt" => (
            text("mail-receipt-subject", std::slice::from_ref(&reference)),
            vec![
                text("mail-receipt-received", &[form, service]),
                text("mail-receipt-reference", &[reference]),
                lang.text("mail-receipt-link"),
            ],
            lang.text("mail-follow"),
            field(p, "tracking_url"),
        ),
        "new_link" => (
            text("mail-new-link-subject", std::slice::from_ref(&reference)),
            vec![
                text("mail-new-link-intro", &[form, service]),
                text("mail-new-link-reference", &[reference]),
                lang.text("mail-new-link-private"),
            ],
            lang.text("mail-follow"),
            field(p, "tracking_url"),
        ),
        "status" => {
            let status = field(p, "status");
            // The subject's status reads within the sentence: « … : en cours de traitement ».
            let lowered = match lang {
                Lang::Fr => status.to_lowercase(),
                Lang::En => status.to_owned(),
            };
            (
                text(
                    "mail-status-subject",
                    &[reference, ("status", lowered.into())],
                ),
                vec![
                    text("mail-status-now", &[form, ("status", arg("status"))]),
                    lang.text("mail-open-link"),
                ],
                lang.text("mail-see-status"),
                field(p, "lookup_url"),
            )
        }
        "message" => (
            text("mail-message-subject", &[reference]),
            vec![
                text("mail-message-intro", &[service, form]),
                field(p, "text").to_owned(),
                lang.text("mail-to-answer"),
            ],
            lang.text("mail-see-status"),
            field(p, "lookup_url"),
        ),
        "reminder" => (
            text("mail-reminder-subject", &[reference]),
            vec![
                text("mail-reminder-intro", &[service, form]),
                field(p, "text").to_owned(),
                text("mail-reminder-deadline", &[("date", arg("close_on"))]),
            ],
            lang.text("mail-see-status"),
            field(p, "lookup_url"),
        ),
        "closed_no_reply" => (
            text("mail-closed-subject", &[reference]),
            vec![
                text("mail-closed-intro", &[form, service]),
                field(p, "text").to_owned(),
            ],
            lang.text("mail-see-status"),
            field(p, "lookup_url"),
        ),
        _ => return None,
    };
    Some(mail)
}

/// Composes the e-mail for one row, or for several digest rows to one recipient.
pub fn compose(rows: &[OutboxRow]) -> Result<Composed, String> {
    let first = rows.first().ok_or("nothing to compose")?;
    let p = &first.payload;
    let (reference, form, service, status) = (
        field(p, "reference"),
        field(p, "form_title"),
        field(p, "service"),
        field(p, "status"),
    );
    let mut items = Vec::new();
    // A citizen's e-mail is in the language they filed in (`lang`, absent: French); staff's
    // are in French.
    let lang = p
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Lang::parse)
        .unwrap_or_default();
    let citizen_labels;
    let (subject, paragraphs, link_label, link_url): (String, Vec<String>, &str, &str) =
        match citizen(&first.kind, p, lang) {
            Some((subject, paragraphs, label, url)) => {
                citizen_labels = label;
                (subject, paragraphs, citizen_labels.as_str(), url)
            }
            None => match first.kind.as_str() {
                "new_request" => (
                    format!("Nouvelle demande {reference} : {form}"),
                    vec![match p.get("commune").and_then(Value::as_str) {
                        Some(commune) => format!(
                            "Une nouvelle demande « {form} » ({commune}) est arrivée dans les files du service « {service} »."
                        ),
                        None => format!(
                            "Une nouvelle demande « {form} » est arrivée dans les files du service « {service} »."
                        ),
                    }],
                    "Ouvrir la demande",
                    field(p, "staff_url"),
                ),
                "digest_item" => {
                    for row in rows {
                        let commune = row
                            .payload
                            .get("commune")
                            .and_then(Value::as_str)
                            .map(|c| format!(" ({c})"))
                            .unwrap_or_default();
                        items.push((
                            format!(
                                "{} – {}{commune}",
                                field(&row.payload, "reference"),
                                field(&row.payload, "form_title")
                            ),
                            field(&row.payload, "staff_url").to_owned(),
                        ));
                    }
                    (
                        match rows.len() {
                            1 => format!("1 nouvelle demande pour le service « {service} »"),
                            n => format!("{n} nouvelles demandes pour le service « {service} »"),
                        },
                        vec![format!(
                            "Voici les demandes arrivées dans les files du service « {service} » depuis le dernier envoi :"
                        )],
                        "",
                        "",
                    )
                }
                "elu_digest" => {
                    let lines = p
                        .get("lines")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for line in &lines {
                        items.push((
                            field(line, "text").to_owned(),
                            field(line, "url").to_owned(),
                        ));
                    }
                    let count = |key: &str| p.get(key).and_then(Value::as_u64).unwrap_or(0);
                    let plural = |n: u64, one: &str, many: &str| {
                        if n == 1 {
                            format!("1 {one}")
                        } else {
                            format!("{n} {many}")
                        }
                    };
                    (
                format!(
                    "Vos communes : {}, {}",
                    plural(count("filed"), "nouvelle demande", "nouvelles demandes"),
                    plural(count("resolved"), "demande traitée", "demandes traitées")
                ),
                vec!["Voici les demandes de vos communes déposées ou traitées depuis le dernier résumé :".to_owned()],
                "Arrêter ou reprendre ce résumé",
                field(p, "settings_url"),
            )
                }
                "citizen_update" => {
                    let (subject, said) = match field(p, "what") {
                        "not_fixed" => (
                            format!(
                                "Demande {reference} : le demandeur signale que ce n'est pas résolu"
                            ),
                            "Le demandeur signale que le problème n'est pas résolu : la demande est rouverte.",
                        ),
                        _ => (
                            format!("Demande {reference} : le demandeur a répondu"),
                            "Le demandeur a répondu au service.",
                        ),
                    };
                    (
                        subject,
                        vec![
                            format!(
                                "Demande « {form} » ({reference}), service « {service} » : {said}"
                            ),
                            "Ouvrez la demande pour lire son message.".to_owned(),
                        ],
                        "Ouvrir la demande",
                        field(p, "staff_url"),
                    )
                }
                "elu_update" => (
                    format!("Demande {reference} : du nouveau"),
                    vec![
                        format!(
                            "La demande « {form} » que vous avez déposée pour un habitant a évolué :"
                        ),
                        field(p, "text").to_owned(),
                        format!("Statut actuel : {status}."),
                    ],
                    "Ouvrir la demande",
                    field(p, "staff_url"),
                ),
                "password_link" => {
                    let name = field(p, "name");
                    let (subject, opening) = match field(p, "reason") {
                        "forgotten" => (
                            "Choisir un nouveau mot de passe pour le bureau".to_owned(),
                            format!(
                                "Quelqu'un, sans doute vous, a demandé à choisir un nouveau mot de passe pour le compte de {name} au bureau ({}).",
                                field(p, "email")
                            ),
                        ),
                        _ => (
                            "Votre compte au bureau : choisissez votre mot de passe".to_owned(),
                            format!(
                                "Un compte vous est ouvert au bureau, où le territoire traite les demandes des habitants, au nom de {name}. Votre identifiant est votre adresse : {}.",
                                field(p, "email")
                            ),
                        ),
                    };
                    (
                subject,
                vec![
                    opening,
                    format!("Ouvrez le lien ci-dessous pour choisir votre mot de passe. Il ne sert qu'une fois et expire le {}.", field(p, "expires")),
                    "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe actuel reste valable.".to_owned(),
                ],
                "Choisir mon mot de passe",
                field(p, "link_url"),
            )
                }
                other => return Err(format!("unknown e-mail template « {other} »")),
            },
        };
    let territory = field(p, "territory");
    let greeting = lang.text("mail-greeting");
    let automatic = lang.text("mail-automatic");
    let text = TextMail {
        greeting: &greeting,
        colon: if lang == Lang::Fr { " :" } else { ":" },
        automatic: &automatic,
        paragraphs: &paragraphs,
        items: &items,
        link_label,
        link_url,
        territory,
    }
    .render()
    .map_err(|e| format!("rendering the text part: {e}"))?;
    let html = HtmlMail {
        lang: lang.code(),
        greeting: &greeting,
        automatic: &automatic,
        subject: &subject,
        paragraphs: &paragraphs,
        items: &items,
        link_label,
        link_url,
        territory,
    }
    .render()
    .map_err(|e| format!("rendering the HTML part: {e}"))?;
    let references = rows
        .iter()
        .filter_map(|row| row.payload.get("reference").and_then(Value::as_str))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Composed {
        references,
        subject,
        text,
        html,
    })
}

/// Where e-mails go.
pub enum Mailer {
    /// A file per e-mail in a folder, written one at a time: the worker delivers a round's
    /// messages together, and files created at once in one folder queue on its lock in the
    /// kernel, spinning (most of what the worker cost PostgreSQL intake, docs/benchmarks.md).
    Folder {
        transport: AsyncFileTransport<Tokio1Executor>,
        one_at_a_time: tokio::sync::Mutex<()>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// `file://…` writes into a folder (created if missing); `smtp://` and `smtps://` send.
    pub fn from_url(url: &str) -> anyhow::Result<Mailer> {
        if let Some(path) = url.strip_prefix("file://") {
            let path = PathBuf::from(path);
            std::fs::create_dir_all(&path)?;
            let transport = AsyncFileTransport::<Tokio1Executor>::new(&path);
            return Ok(Mailer::Folder {
                transport,
                one_at_a_time: tokio::sync::Mutex::new(()),
            });
        }
        if url.starts_with("smtp://") || url.starts_with("smtps://") {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map_err(|e| {
                    anyhow::anyhow!("mail URL: {}", crate::telemetry::scrub(&e.to_string()))
                })?
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build();
            return Ok(Mailer::Smtp(transport));
        }
        anyhow::bail!(
            "the mail URL must start with file://, smtp:// or smtps:// (got {})",
            crate::telemetry::redact_url(url)
        )
    }

    pub async fn send(&self, from: &Mailbox, to: &str, mail: &Composed) -> Result<(), String> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("the recipient is not an e-mail address: {e}"))?;
        let mut builder = Message::builder();
        if !mail.references.is_empty() {
            builder = builder.raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Guichet-Reference"),
                mail.references.join(", "),
            ));
        }
        let message = builder
            .from(from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| format!("building the e-mail: {e}"))?;
        let result = match self {
            Mailer::Folder {
                transport,
                one_at_a_time,
            } => {
                let _turn = one_at_a_time.lock().await;
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        };
        result.map_err(|e| format!("sending the e-mail: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::OutboxChannel;
    use serde_json::json;

    fn row(kind: &str, payload: Value) -> OutboxRow {
        OutboxRow {
            id: "1".into(),
            idempotency_key: "k".into(),
            request_id: Some("r".into()),
            channel: OutboxChannel::Email,
            target: "voirie@example.org".into(),
            kind: kind.into(),
            payload,
            state: "pending".into(),
            attempts: 1,
            next_attempt_at: time::OffsetDateTime::UNIX_EPOCH,
            last_error: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            delivered_at: None,
        }
    }

    #[test]
    fn a_digest_lists_every_request_in_one_email() {
        let item = |reference: &str| {
            row(
                "digest_item",
                json!({
                    "reference": reference, "form_title": "Signaler un problème", "service": "Voirie",
                    "commune": "Tonneins", "staff_url": format!("https://guichet.example.org/bureau/demandes/{reference}"),
                    "territory": "Val de Garonne",
                }),
            )
        };
        let mail = compose(&[item("GU-AAAA-0001"), item("GU-AAAA-0002")]).unwrap();
        assert!(mail.subject.starts_with("2 nouvelles demandes pour"));
        let one = compose(&[item("GU-AAAA-0003")]).unwrap();
        assert!(one.subject.starts_with("1 nouvelle demande pour"));
        for reference in ["GU-AAAA-0001", "GU-AAAA-0002"] {
            assert!(mail.text.contains(reference) && mail.html.contains(reference));
            assert!(mail.text.contains(&format!("/bureau/demandes/{reference}")));
        }
    }

    #[test]
    fn html_parts_escape_what_people_wrote() {
        let mail = compose(&[row("message", json!({
            "reference": "GU-AAAA-0001", "form_title": "Bac", "service": "Environnement",
            "text": "<script>alert(1)</script>", "lookup_url": "https://x/suivi?reference=GU-AAAA-0001",
            "territory": "Val de Garonne",
        }))])
        .unwrap();
        assert!(!mail.html.contains("<script>"));
        assert!(
            mail.html.contains("script&#62;alert(1)") || mail.html.contains("script&gt;alert(1)")
        );
        assert!(
            mail.text.contains("<script>alert(1)</script>"),
            "plain text is plain"
        );
    }

    #[test]
    fn an_unknown_template_is_an_error_not_a_blank_email() {
        assert!(compose(&[row("mystery", json!({}))]).is_err());
    }
}
