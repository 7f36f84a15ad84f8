//! How a request reads for people, in French: its answers with the labels of the version it
//! was filed under, and its history as the citizen sees it. Pages, e-mails and exports all
//! describe requests through here, so a citizen reads the same words on the page and in
//! their mail.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalogue::Catalogue;
use crate::catalogue::fields::{Field, FieldKind, TextInput, value_text};
use crate::domain::time::date_fr;
use crate::domain::{Channel, EventKind, FormVersion, Priority, Status};
use crate::i18n::Lang;
use crate::store::{Event, Store, StoreError, StoredRequest};

/// "JPEG" for image/jpeg, "PDF" for application/pdf.
pub fn type_label(media_type: &str) -> String {
    media_type
        .rsplit('/')
        .next()
        .unwrap_or(media_type)
        .to_uppercase()
}

/// One line of the "check your answers" page.
pub struct Answer {
    pub label: String,
    pub value: String,
}

/// Answers under one heading (a fieldset's legend; none for top-level answers).
pub struct Section {
    pub heading: String,
    pub answers: Vec<Answer>,
}

/// The answers as they will be sent (the coerced data), with the labels the person saw,
/// in sections that follow the form's fieldsets.
pub fn answers(fields: &[Field], data: &Value) -> Vec<Section> {
    answers_in(fields, data, Lang::Fr)
}

/// [`answers`], yes/no and numbers written in `lang` (the labels are the fields' own: give
/// the form in that language).
pub fn answers_in(fields: &[Field], data: &Value, lang: Lang) -> Vec<Section> {
    let mut sections = vec![Section {
        heading: String::new(),
        answers: Vec::new(),
    }];
    collect(fields, data, &mut sections, lang);
    sections.retain(|s| !s.answers.is_empty());
    sections
}

fn collect(fields: &[Field], data: &Value, sections: &mut Vec<Section>, lang: Lang) {
    let resume = sections
        .last()
        .map(|s| s.heading.clone())
        .unwrap_or_default();
    for field in fields {
        let key = field.path.last().map(String::as_str).unwrap_or_default();
        let Some(value) = data.get(key) else { continue };
        if let FieldKind::Group { fields } = &field.kind {
            sections.push(Section {
                heading: field.label.clone(),
                answers: Vec::new(),
            });
            collect(fields, value, sections, lang);
            // Answers after a fieldset belong to the enclosing level again.
            sections.push(Section {
                heading: resume.clone(),
                answers: Vec::new(),
            });
            continue;
        }
        if let Some(section) = sections.last_mut() {
            section.answers.push(Answer {
                label: field.label.clone(),
                value: answer_text_in(field, value, lang),
            });
        }
    }
}

/// An answer as people read it: a choice by its label, yes/no in words, a decimal comma,
/// dates the French way, files by their names. The data keeps ISO dates (the API and
/// webhooks give them as stored); only what a person reads changes.
pub fn answer_text(field: &Field, value: &Value) -> String {
    answer_text_in(field, value, Lang::Fr)
}

/// [`answer_text`] in `lang`: "Yes", "No" and a decimal point in English.
pub fn answer_text_in(field: &Field, value: &Value, lang: Lang) -> String {
    let label_of = |v: &Value, choices: &[crate::catalogue::fields::Choice]| {
        choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| value_text(v), |c| c.label.clone())
    };
    match (&field.kind, value) {
        (FieldKind::Boolean, Value::Bool(b)) => match lang {
            Lang::Fr => if *b { "Oui" } else { "Non" }.to_owned(),
            Lang::En => if *b { "Yes" } else { "No" }.to_owned(),
        },
        (FieldKind::Choice { choices, .. }, v) => label_of(v, choices),
        (FieldKind::MultiChoice { choices }, Value::Array(items)) => items
            .iter()
            .map(|v| label_of(v, choices))
            .collect::<Vec<_>>()
            .join(", "),
        (FieldKind::Number { .. }, v) if lang == Lang::Fr => value_text(v).replace('.', ","),
        (
            FieldKind::Text {
                input: TextInput::Date,
                ..
            },
            Value::String(text),
        ) => iso_date_fr(text).unwrap_or_else(|| text.clone()),
        (
            FieldKind::Text {
                input: TextInput::DateTime,
                ..
            },
            Value::String(text),
        ) => date_time_fr(text).unwrap_or_else(|| text.clone()),
        (FieldKind::Attachment(_), Value::Array(files)) => files
            .iter()
            .filter_map(|f| f.get("name").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        (_, v) => value_text(v),
    }
}

/// "2026-03-14" → "14/03/2026", as the form's hint writes it; `None` if it is no ISO date.
pub fn iso_date_fr(iso: &str) -> Option<String> {
    let date = time::Date::parse(
        iso,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    ))
}

/// An RFC 3339 date-time → "14/03/2026 à 10 h 30", in French legal time like every other
/// time people read; `None` if it is not one.
fn date_time_fr(rfc3339: &str) -> Option<String> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    Some(date_fr(at))
}

/// What a citizen reads for an event of their request's history.
pub fn history_label(catalogue: &Catalogue, event: &Event) -> String {
    describe_for_citizen(catalogue, event.kind, &event.body)
}

/// [`history_label`] in `lang`.
pub fn history_label_in(catalogue: &Catalogue, event: &Event, lang: Lang) -> String {
    describe_for_citizen_in(catalogue, event.kind, &event.body, lang)
}

/// What a citizen (or the élu who filed for them) reads for an event of a kind and body.
pub fn describe_for_citizen(catalogue: &Catalogue, kind: EventKind, body: &Value) -> String {
    describe_for_citizen_in(catalogue, kind, body, Lang::Fr)
}

/// [`describe_for_citizen`] in `lang`.
pub fn describe_for_citizen_in(
    catalogue: &Catalogue,
    kind: EventKind,
    body: &Value,
    lang: Lang,
) -> String {
    let text = |key: &str| body.get(key).and_then(|v| v.as_str()).unwrap_or_default();
    let with_text = |key: &str| lang.text_with(key, &[("text", text("text").into())]);
    let service = |key: &str| catalogue.service_name(text(key)).to_owned();
    match kind {
        EventKind::Submitted => lang.text_with(
            "history-submitted",
            &[("service", service("service").into())],
        ),
        EventKind::StatusChanged => {
            let label = |key: &str| {
                crate::domain::Status::parse(text(key))
                    .map(|s| s.label(lang))
                    .unwrap_or_else(|_| "?".to_owned())
            };
            match body.get("reason").and_then(|r| r.as_str()) {
                Some("no_reply") => with_text("history-closed-no-reply"),
                _ => lang.text_with(
                    "history-status",
                    &[("from", label("from").into()), ("to", label("to").into())],
                ),
            }
        }
        EventKind::Message => with_text("history-message"),
        EventKind::Reminded => with_text("history-reminded"),
        EventKind::PublicNote => with_text("history-public-note"),
        EventKind::TrackingRenewed => lang.text("history-renewed"),
        EventKind::CitizenReply => with_text("history-reply"),
        // The reason of a transfer is internal: the citizen learns the new service.
        EventKind::Transferred => lang.text_with(
            "history-transferred",
            &[("service", service("service").into())],
        ),
        EventKind::Reopened => with_text("history-reopened"),
        other => other.as_str().to_owned(),
    }
}

/// What staff read for an event of a request's history.
pub fn describe_event(catalogue: &Catalogue, event: &Event) -> String {
    let text = |key: &str| {
        event
            .body
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    // A free text removed by anonymisation.
    let words = |key: &str| match event.body.get(key).and_then(|v| v.as_str()) {
        Some(text) => text.to_owned(),
        None => "(texte effacé)".to_owned(),
    };
    let status = |key: &str| {
        Status::parse(&text(key))
            .map(|s| s.staff_label_fr().to_owned())
            .unwrap_or_else(|_| text(key))
    };
    let queue_name = |key: &str| {
        let id = text(key);
        catalogue
            .territory
            .queue(&id)
            .map(|(_, q)| q.name.clone())
            .unwrap_or(id)
    };
    match event.kind {
        EventKind::Submitted => format!(
            "Demande déposée ({}), pour le service « {} »",
            Channel::parse(&text("channel"))
                .map(|c| c.label_fr())
                .unwrap_or("canal inconnu"),
            catalogue.service_name(&text("service"))
        ),
        EventKind::Routed => {
            let mut line = format!("Orientée vers la file « {} »", queue_name("queue"));
            if !text("reason").is_empty() {
                line.push_str(&format!(" : {}", text("reason")));
            }
            if !text("fallback").is_empty() {
                line.push_str(&format!(" (règle en échec : {})", text("fallback")));
            }
            line
        }
        EventKind::Assigned => format!("Attribuée à {}", text("to")),
        EventKind::StatusChanged if text("reason") == "no_reply" => format!(
            "Statut : {} → {}, par Guichet, faute de réponse du demandeur après la relance",
            status("from"),
            status("to")
        ),
        EventKind::StatusChanged => format!("Statut : {} → {}", status("from"), status("to")),
        EventKind::Reminded => format!(
            "Relance automatique envoyée au demandeur (close sans réponse le {})",
            iso_date_fr(&text("close_on")).unwrap_or_else(|| text("close_on"))
        ),
        EventKind::Note => format!("Note interne : {}", words("text")),
        EventKind::Message => format!("Message au demandeur : {}", words("text")),
        EventKind::PublicNote => format!("Note publique : {}", words("text")),
        EventKind::TrackingRenewed => {
            "Nouveau lien de suivi envoyé au demandeur, qui avait perdu le sien".to_owned()
        }
        EventKind::CitizenReply => format!("Réponse du demandeur : {}", words("text")),
        EventKind::Transferred => format!(
            "Transférée de « {} » vers « {} » : {}",
            queue_name("from_queue"),
            queue_name("queue"),
            words("reason")
        ),
        EventKind::PriorityChanged => format!(
            "Priorité : {} → {}",
            Priority::parse(&text("from"))
                .map(|p| p.label_fr())
                .unwrap_or("?"),
            Priority::parse(&text("to"))
                .map(|p| p.label_fr())
                .unwrap_or("?")
        ),
        EventKind::DueChanged => match event.body.get("due").and_then(|v| v.as_str()) {
            Some(due) => format!(
                "Échéance fixée au {}",
                iso_date_fr(due).unwrap_or_else(|| due.to_owned())
            ),
            None => "Échéance retirée".to_owned(),
        },
        EventKind::Reopened => format!(
            "Rouverte par le demandeur (« problème non résolu ») : {}",
            words("text")
        ),
        EventKind::Anonymised => match text("why").as_str() {
            "erasure" => format!(
                "Données personnelles effacées à la demande : {}",
                text("reason")
            ),
            _ => "Données personnelles effacées (durée de conservation écoulée)".to_owned(),
        },
    }
}

/// A short summary an élu can read out or forward to the citizen: where the request
/// stands, what the service said, nothing internal.
pub fn report_back(catalogue: &Catalogue, request: &StoredRequest, form_title: &str) -> String {
    let mut lines = vec![
        format!("Demande {} – {}", request.reference, form_title),
        format!("Déposée le {}", date_fr(request.created_at)),
        format!("Service : {}", catalogue.service_name(&request.service)),
        format!("Statut : {}", request.status.label_fr()),
    ];
    if let Some(commune) = request
        .commune
        .as_deref()
        .and_then(|c| catalogue.territory.commune(c))
    {
        lines.push(format!("Commune : {}", commune.name));
    }
    if let Some(due) = request
        .due_at
        .filter(|_| crate::domain::workflow::is_open(request.status))
    {
        lines.push(format!("Échéance prévue : {}", date_fr(due)));
    }
    let exchanges: Vec<String> = request
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Message
                    | EventKind::PublicNote
                    | EventKind::CitizenReply
                    | EventKind::Transferred
                    | EventKind::Reopened
                    | EventKind::StatusChanged
            )
        })
        .map(|e| {
            let line = match e.kind {
                // The transfer's reason is internal; the citizen learns the new service.
                EventKind::Transferred => format!(
                    "Transmise au service « {} »",
                    catalogue.service_name(
                        e.body
                            .get("service")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                    )
                ),
                _ => describe_event(catalogue, e),
            };
            format!("- {} : {}", date_fr(e.created_at), line)
        })
        .collect();
    if !exchanges.is_empty() {
        lines.push(String::new());
        lines.push("Suivi :".to_owned());
        lines.extend(exchanges);
    }
    lines.join("\n")
}

/// A request's latest step, in a few words, for a listing's "dernière étape" column.
pub fn step_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Submitted | EventKind::Routed => "déposée",
        EventKind::Assigned => "attribuée",
        EventKind::StatusChanged => "statut changé",
        EventKind::Note => "note interne",
        EventKind::Message => "message envoyé au demandeur",
        EventKind::CitizenReply => "réponse du demandeur",
        EventKind::Transferred => "transférée",
        EventKind::PriorityChanged => "priorité changée",
        EventKind::DueChanged => "échéance changée",
        EventKind::Reopened => "rouverte par le demandeur",
        EventKind::PublicNote => "note publique",
        EventKind::Reminded => "demandeur relancé",
        EventKind::TrackingRenewed => "lien de suivi renvoyé",
        EventKind::Anonymised => "données personnelles effacées",
    }
}

/// The questions of each form version met, read and built once each: an export labels
/// every request with the version it was filed under, and most share a few versions. In a
/// language other than French, the labels are the version's own translation (its
/// `x-guichet.i18n`, recorded with it), French where it has none.
#[derive(Default)]
pub struct VersionQuestions(HashMap<(FormVersion, Lang), Option<Vec<Field>>>);

impl VersionQuestions {
    /// The questions of `version`, in French; `None` when it is not recorded or no longer
    /// builds.
    pub async fn of(
        &mut self,
        store: &dyn Store,
        version: &FormVersion,
    ) -> Result<Option<&[Field]>, StoreError> {
        self.of_in(store, version, Lang::Fr).await
    }

    /// The questions of `version` as its translation into `lang` words them.
    pub async fn of_in(
        &mut self,
        store: &dyn Store,
        version: &FormVersion,
        lang: Lang,
    ) -> Result<Option<&[Field]>, StoreError> {
        let key = (version.clone(), lang);
        if !self.0.contains_key(&key) {
            let built = store.form_version(version).await?.and_then(|v| {
                let definition = match lang {
                    Lang::Fr => v.definition,
                    lang => translated_definition(&v.definition, lang),
                };
                crate::catalogue::fields::build(&definition).ok()
            });
            self.0.insert(key.clone(), built);
        }
        Ok(self.0.get(&key).and_then(|f| f.as_deref()))
    }
}

/// A recorded definition with its texts in `lang`, as far as its `x-guichet.i18n` goes.
pub fn translated_definition(definition: &Value, lang: Lang) -> Value {
    match definition
        .get(crate::catalogue::form::META_KEY)
        .and_then(|meta| meta.get("i18n"))
        .and_then(|block| block.get(lang.code()))
        .and_then(Value::as_object)
    {
        Some(texts) => crate::catalogue::translation::translated(definition, texts),
        None => definition.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_read_the_french_way_and_anything_else_as_typed() {
        let fields = crate::catalogue::fields::build(&json!({
            "type": "object",
            "properties": {
                "jour": {"type": "string", "format": "date", "title": "Jour"},
                "rdv": {"type": "string", "format": "date-time", "title": "Rendez-vous"},
                "texte": {"type": "string", "title": "Texte"}
            }
        }))
        .unwrap();
        let text = |name: &str, value: Value| {
            let field = fields.iter().find(|f| f.path == [name]).unwrap();
            answer_text(field, &value)
        };
        assert_eq!(text("jour", json!("2026-03-14")), "14/03/2026");
        assert_eq!(text("jour", json!("2026-02-30")), "2026-02-30");
        assert_eq!(
            text("rdv", json!("2026-03-14T09:30:00Z")),
            "14/03/2026 à 10 h 30"
        );
        assert_eq!(
            text("rdv", json!("2026-07-01T08:05:00+02:00")),
            "01/07/2026 à 08 h 05"
        );
        assert_eq!(text("rdv", json!("demain")), "demain");
        assert_eq!(text("texte", json!("2026-03-14")), "2026-03-14");
    }
}
