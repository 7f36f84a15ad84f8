//! Personal data in the web layer, shared by the back office, the staff API and the
//! citizen's own download: access records written before personal data is shown (and
//! nothing shown if they cannot be), the élus' view of contact details, and answers read
//! with the labels of the form version a request was filed under.

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::AppState;
use super::error::AppError;
use crate::catalogue::territory::ContactScope;
use crate::catalogue::{Catalogue, contact, fields};
use crate::domain::{FormVersion, Reference, Role};
use crate::i18n::Lang;
use crate::store::personal_data::{AccessRecord, AccessView};
use crate::store::{StaffUser, StoredRequest};

/// What replaces a contact detail an élu may not see.
pub const MASKED: &str = "masqué";

/// The one line that says why, next to masked details.
pub const MASKED_WHY: &str = "Coordonnées du demandeur masquées : vous n'avez pas déposé cette demande, et le territoire réserve les coordonnées des demandeurs à l'élu qui a déposé la demande pour eux.";

/// Records that `user` opens the personal data of these requests through `view`, in one
/// write, before anything is shown. If the record cannot be written the data is not shown:
/// a 503 that says so (fail closed).
pub async fn record_access(
    state: &AppState,
    user: &StaffUser,
    references: impl IntoIterator<Item = &Reference>,
    view: AccessView,
) -> Result<(), AppError> {
    let at = OffsetDateTime::now_utc();
    let records: Vec<AccessRecord> = references
        .into_iter()
        .map(|reference| AccessRecord {
            reference: reference.clone(),
            actor: user.email.clone(),
            role: user.role.as_str().to_owned(),
            view: view.as_str().to_owned(),
            at,
        })
        .collect();
    state.store.record_access(&records).await.map_err(|err| {
        tracing::warn!(
            view = view.as_str(),
            error = %crate::telemetry::scrub(&err.to_string()),
            "an access record could not be written; personal data withheld"
        );
        AppError::Unavailable(
            "Les données personnelles de cette demande ne peuvent pas être affichées pour le moment : chaque consultation doit être inscrite au journal des accès, et ce journal est indisponible. Réessayez dans quelques minutes ; si cela dure, prévenez l'administrateur.".into(),
        )
    })
}

/// Whether `user` must not see the citizen's contact details on a request filed by
/// `filed_by`: an élu who did not file it, unless the territory shows élus the contacts of
/// every request of their communes. Agents and admins always see them.
pub fn contact_hidden(catalogue: &Catalogue, user: &StaffUser, filed_by: Option<&str>) -> bool {
    user.role == Role::Elu
        && filed_by != Some(user.email.as_str())
        && catalogue.territory.elus.see_contact == ContactScope::Own
}

/// Replaces the request's contact details with [`MASKED`]: the élu's contact line and every
/// answer the rule of [`crate::catalogue::contact`] names, read with the request's own form
/// version. A version that cannot be read masks every text answer: never more shown than
/// the rule allows.
pub async fn mask_contact(state: &AppState, request: &mut StoredRequest) -> Result<(), AppError> {
    if request.citizen_contact.is_some() {
        request.citizen_contact = Some(MASKED.to_owned());
    }
    let version = state.store.form_version(&request.form_version).await?;
    let pointers = version.as_ref().and_then(|v| {
        fields::build(&v.definition)
            .ok()
            .map(|f| contact::contact_pointers(&v.definition, &f))
    });
    match pointers {
        Some(pointers) => {
            for pointer in pointers {
                if let Some(value) = request.data.pointer_mut(&pointer) {
                    *value = Value::String(MASKED.to_owned());
                }
            }
        }
        None => mask_all_text(&mut request.data),
    }
    Ok(())
}

fn mask_all_text(value: &mut Value) {
    match value {
        Value::String(text) => *text = MASKED.to_owned(),
        Value::Object(map) => map.values_mut().for_each(mask_all_text),
        Value::Array(items) => items.iter_mut().for_each(mask_all_text),
        _ => {}
    }
}

/// One answer as people read it, with where it is in the data.
#[derive(Debug, Clone)]
pub struct AnswerRow {
    pub pointer: String,
    /// The fieldset it is in ("" at the top level).
    pub section: String,
    pub label: String,
    /// As the citizen sees it: a choice by its label, a French date, file names.
    pub value: String,
}

/// Every answer of `data`, in the form's order, with the labels of `fields`.
pub fn answer_rows(fields: &[fields::Field], data: &Value) -> Vec<AnswerRow> {
    answer_rows_in(fields, data, Lang::Fr)
}

/// [`answer_rows`], values written in `lang` (give `fields` in that language too).
pub fn answer_rows_in(fields: &[fields::Field], data: &Value, lang: Lang) -> Vec<AnswerRow> {
    let mut rows = Vec::new();
    collect_rows(fields, data, "", &mut rows, lang);
    rows
}

fn collect_rows(
    fields: &[fields::Field],
    data: &Value,
    section: &str,
    out: &mut Vec<AnswerRow>,
    lang: Lang,
) {
    for field in fields {
        let key = field.path.last().map(String::as_str).unwrap_or_default();
        let Some(value) = data.get(key) else { continue };
        match &field.kind {
            fields::FieldKind::Group { fields } => {
                collect_rows(fields, value, &field.label, out, lang)
            }
            _ => out.push(AnswerRow {
                pointer: field.pointer(),
                section: section.to_owned(),
                label: field.label.clone(),
                value: crate::requests::describe::answer_text_in(field, value, lang),
            }),
        }
    }
}

/// The answers of a request with the labels of the version it was filed under, in `lang`
/// as far as that version's translations go, and its title; empty when that version is
/// unknown (the raw data still says everything).
pub async fn labelled_answers(
    state: &AppState,
    version: &FormVersion,
    data: &Value,
    lang: Lang,
) -> Result<(Option<String>, Vec<AnswerRow>), AppError> {
    let recorded = state.store.form_version(version).await?;
    let definition = recorded.as_ref().map(|v| match lang {
        Lang::Fr => v.definition.clone(),
        lang => crate::requests::describe::translated_definition(&v.definition, lang),
    });
    let title = recorded.as_ref().map(|v| {
        definition
            .as_ref()
            .and_then(|d| d.get("title"))
            .and_then(Value::as_str)
            .map_or_else(|| v.title.clone(), str::to_owned)
    });
    let rows = definition
        .and_then(|d| fields::build(&d).ok())
        .map(|f| answer_rows_in(&f, data, lang))
        .unwrap_or_default();
    Ok((title, rows))
}

pub fn answers_json(rows: &[AnswerRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| json!({"pointer": r.pointer, "section": r.section, "label": r.label, "value": r.value}))
            .collect(),
    )
}
