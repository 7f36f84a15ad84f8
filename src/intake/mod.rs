//! Intake: turns what a person sent into a request ready to store.
//!
//! coerce (HTML form fields → typed JSON) → validate (JSON Schema, French messages) → route
//! (the form's Rhai rule, with a fallback that never loses a request). No HTTP, no SQL: the
//! web layer calls this, then hands the result to the store in one transaction.

pub mod cases;
pub mod coerce;
pub mod open311;
pub mod route;
pub mod validate;

use serde::Serialize;
use serde_json::Value;

use crate::catalogue::{Catalogue, Form, fields};
use crate::domain::{Channel, CommuneSlug};
use crate::i18n::Lang;
pub use route::RoutingDecision;

/// One thing wrong with a submission. `path` is a JSON Pointer into the submitted data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A submission that passed validation and has been routed.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub data: Value,
    pub commune: Option<CommuneSlug>,
    pub channel: Channel,
    pub decision: RoutingDecision,
}

/// Validates and routes a submission. `commune_hint` is the commune of the page it was
/// filed from (or chosen beside the form), if any; a commune field in the form wins over it.
/// A form offered only in some communes always gets one of them: its élus follow it.
pub fn accept(
    catalogue: &Catalogue,
    form: &Form,
    data: Value,
    commune_hint: Option<&str>,
    channel: Channel,
) -> Result<Accepted, Vec<FieldError>> {
    accept_in(catalogue, form, data, commune_hint, channel, Lang::Fr)
}

/// [`accept`], its messages in `lang` (`form` in that language: see `Form::in_lang`).
pub fn accept_in(
    catalogue: &Catalogue,
    form: &Form,
    mut data: Value,
    commune_hint: Option<&str>,
    channel: Channel,
    lang: Lang,
) -> Result<Accepted, Vec<FieldError>> {
    // A blank answer is no answer: a required one is then reported missing, an optional one
    // is not stored as spaces.
    crate::domain::text::drop_blank_answers(&mut data);
    let mut errors = validate::validate_in(form, &data, lang);
    let commune = match resolve_commune(catalogue, form, &data, commune_hint, lang) {
        Ok(commune) => commune,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    if let Some(slug) = &commune
        && let Err(error) = check_postcode(catalogue, form, &data, slug, lang)
    {
        errors.push(error);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let decision = route::route(catalogue, form, &data, commune.as_deref(), channel);
    Ok(Accepted {
        data,
        commune: commune.map(CommuneSlug::from_checked),
        channel,
        decision,
    })
}

fn resolve_commune(
    catalogue: &Catalogue,
    form: &Form,
    data: &Value,
    hint: Option<&str>,
    lang: Lang,
) -> Result<Option<String>, FieldError> {
    let from_field = form
        .meta
        .commune_field
        .as_deref()
        .and_then(|pointer| data.pointer(pointer))
        .and_then(Value::as_str);
    let Some(slug) = from_field.or(hint) else {
        return commune_of_offer(catalogue, form, lang);
    };
    let path = form
        .meta
        .commune_field
        .clone()
        .filter(|_| from_field.is_some())
        .unwrap_or_default();
    if catalogue.territory.commune(slug).is_none() {
        return Err(FieldError::new(
            path,
            lang.text_with(
                "invalid-commune-unknown",
                &[(
                    "commune",
                    fields::value_text(&Value::String(slug.chars().take(60).collect())).into(),
                )],
            ),
        ));
    }
    if !form.offered_in(slug) {
        return Err(FieldError::new(
            path,
            lang.text_with(
                "invalid-commune-not-offered",
                &[
                    ("commune", commune_name(catalogue, slug).into()),
                    ("offered", offered_names(catalogue, form).into()),
                ],
            ),
        ));
    }
    Ok(Some(slug.to_owned()))
}

/// The commune of a submission that named none: none for a form offered everywhere; the one
/// commune a form is offered in; else the person must say which, or the request would reach
/// no élu.
fn commune_of_offer(
    catalogue: &Catalogue,
    form: &Form,
    lang: Lang,
) -> Result<Option<String>, FieldError> {
    match form.meta.communes.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some(only.clone())),
        _ => Err(FieldError::new(
            form.meta.commune_field.clone().unwrap_or_default(),
            lang.text_with(
                "invalid-commune-missing",
                &[("offered", offered_names(catalogue, form).into())],
            ),
        )),
    }
}

fn commune_name<'a>(catalogue: &'a Catalogue, slug: &'a str) -> &'a str {
    catalogue
        .territory
        .commune(slug)
        .map_or(slug, |c| c.name.as_str())
}

/// « Clairac, Tonneins »: the communes a form is offered in, by name.
fn offered_names(catalogue: &Catalogue, form: &Form) -> String {
    form.meta
        .communes
        .iter()
        .map(|slug| commune_name(catalogue, slug))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An address's postcode must be one of its commune's (`x-guichet.postcode_field`): 47200 is
/// shared by twelve communes, and a request sent to the wrong town hall is a request lost
/// for weeks. A commune whose postcodes the territory does not list is not checked.
fn check_postcode(
    catalogue: &Catalogue,
    form: &Form,
    data: &Value,
    slug: &str,
    lang: Lang,
) -> Result<(), FieldError> {
    let Some(pointer) = form.meta.postcode_field.as_deref() else {
        return Ok(());
    };
    let Some(typed) = data.pointer(pointer).and_then(Value::as_str) else {
        return Ok(());
    };
    let postcode: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let territory = &catalogue.territory;
    let Some(commune) = territory.commune(slug) else {
        return Ok(());
    };
    if commune.postcodes.is_empty() || commune.postcodes.contains(&postcode) {
        return Ok(());
    }
    let shown: String = postcode.chars().take(10).collect();
    let covered = territory.communes_with_postcode(&postcode);
    if covered.is_empty() {
        return Err(FieldError::new(
            pointer,
            lang.text_with(
                "invalid-postcode-unknown",
                &[
                    ("postcode", shown.into()),
                    ("commune", commune.name.clone().into()),
                    (
                        "postcodes",
                        commune
                            .postcodes
                            .join(&format!(" {} ", lang.text("field-files-or")))
                            .into(),
                    ),
                ],
            ),
        ));
    }
    let names: Vec<&str> = covered.iter().map(|c| c.name.as_str()).collect();
    Err(FieldError::new(
        form.meta.commune_field.as_deref().unwrap_or(pointer),
        lang.text_with(
            "invalid-postcode-other",
            &[
                ("commune", commune.name.clone().into()),
                ("postcode", shown.into()),
                ("communes", names.join(", ").into()),
            ],
        ),
    ))
}
