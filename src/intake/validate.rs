//! Validation against the form's JSON Schema, with plain messages in the person's language
//! (French by default; the texts are in `i18n/*/citizen.ftl`).
//!
//! jsonschema reports what failed and where; this module says it the way a citizen
//! understands it, and what to do about it. Messages are keyed by JSON Pointer so the HTML
//! form can put each one next to its field and the API can return them as they are.

use jsonschema::JsonType;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::FieldError;
use crate::catalogue::Form;
use crate::catalogue::fields::{self, Field, FieldKind};
use crate::domain::text;
use crate::i18n::Lang;

/// At most this many problems are reported: enough to fix a form, and a hostile body with
/// a hundred thousand unknown keys costs no more than a short one.
pub const MAX_ERRORS: usize = 50;

/// Every problem with `data` (up to [`MAX_ERRORS`]), at most one per field, in the form's
/// field order, in French.
pub fn validate(form: &Form, data: &Value) -> Vec<FieldError> {
    validate_in(form, data, Lang::Fr)
}

/// [`validate`], its messages in `lang` (give the form in that language too: its pattern
/// messages are its own).
pub fn validate_in(form: &Form, data: &Value, lang: Lang) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen = HashSet::new();
    // First: an invisible character is the cause to fix, whatever else it breaks at the
    // same place (an unknown key, a pattern).
    for pointer in text::stray_controls(data, MAX_ERRORS) {
        seen.insert(pointer.clone());
        errors.push(FieldError::new(
            pointer,
            lang.text("invalid-control-character"),
        ));
    }
    'all: for error in form.validator().iter_errors(data) {
        let at = error.instance_path().as_str().to_owned();
        for (path, message) in describe(form, &at, error.kind(), error.instance(), lang) {
            if errors.len() == MAX_ERRORS {
                break 'all;
            }
            if seen.insert(path.clone()) {
                errors.push(FieldError::new(path, message));
            }
        }
    }
    let order: HashMap<String, usize> = fields::walk(&form.fields)
        .iter()
        .enumerate()
        .map(|(i, f)| (f.pointer(), i))
        .collect();
    errors.sort_by_key(|e| order.get(&e.path).copied().unwrap_or(usize::MAX));
    errors
}

fn field_at<'a>(form: &'a Form, pointer: &str) -> Option<&'a Field> {
    let path: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    fields::find(&form.fields, &path)
}

fn describe(
    form: &Form,
    at: &str,
    kind: &ValidationErrorKind,
    instance: &Value,
    lang: Lang,
) -> Vec<(String, String)> {
    use ValidationErrorKind as K;
    let one = |message: String| vec![(at.to_owned(), message)];
    let text = |key: &str| lang.text(key);
    let limit_of =
        |key: &str, limit: &Value| lang.text_with(key, &[("limit", number_in(limit, lang).into())]);
    let count = |key: &str, limit: u64| lang.text_with(key, &[("limit", limit.into())]);
    match kind {
        K::Required { property } => {
            let name = fields::value_text(property);
            let pointer = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            // The HTML form shows the label beside the message; the API gives the pointer.
            let message = match field_at(form, &pointer).map(|f| &f.kind) {
                Some(FieldKind::Choice { .. } | FieldKind::MultiChoice { .. }) => {
                    text("invalid-required-choice")
                }
                Some(_) => text("invalid-required"),
                None => lang.text_with("invalid-required-named", &[("name", name.into())]),
            };
            vec![(pointer, message)]
        }
        K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
            unexpected
                .iter()
                .take(MAX_ERRORS)
                .map(|name| {
                    (
                        format!("{at}/{}", name.replace('~', "~0").replace('/', "~1")),
                        lang.text_with(
                            "invalid-unknown-field",
                            &[("name", name.chars().take(80).collect::<String>().into())],
                        ),
                    )
                })
                .collect()
        }
        K::Type { kind } => one(type_message(kind, lang)),
        K::Minimum { limit } => one(limit_of("invalid-minimum", limit)),
        K::Maximum { limit } => one(limit_of("invalid-maximum", limit)),
        K::ExclusiveMinimum { limit } => one(limit_of("invalid-exclusive-minimum", limit)),
        K::ExclusiveMaximum { limit } => one(limit_of("invalid-exclusive-maximum", limit)),
        K::MultipleOf { .. } => one(text("invalid-multiple-of")),
        K::MinLength { limit } => one(count("invalid-min-length", *limit)),
        K::MaxLength { limit } => {
            let length = instance.as_str().map_or(0, |s| s.chars().count());
            one(lang.text_with(
                "invalid-max-length",
                &[("limit", (*limit).into()), ("length", length.into())],
            ))
        }
        K::Pattern { .. } => {
            let hint = field_at(form, at).and_then(|f| f.pattern_message.clone());
            one(hint.unwrap_or_else(|| text("invalid-pattern")))
        }
        K::Format { format } => one(format_message(format, lang)),
        K::Enum { .. }
        | K::Constant { .. }
        | K::OneOfNotValid { .. }
        | K::OneOfMultipleValid { .. }
        | K::AnyOf { .. } => one(text("invalid-choice")),
        K::MinItems { limit } => one(count("invalid-min-items", *limit)),
        K::MaxItems { limit } => one(count("invalid-max-items", *limit)),
        K::UniqueItems => one(text("invalid-unique-items")),
        K::FalseSchema => one(text("invalid-false-schema")),
        K::MinProperties { .. } | K::MaxProperties { .. } => one(text("invalid-properties")),
        _ => one(text("invalid-other")),
    }
}

fn type_message(kind: &TypeKind, lang: Lang) -> String {
    let expected = match kind {
        TypeKind::Single(t) => *t,
        TypeKind::Multiple(set) => set.iter().next().unwrap_or(JsonType::String),
    };
    lang.text(match expected {
        JsonType::Integer => "invalid-type-integer",
        JsonType::Number => "invalid-type-number",
        JsonType::String => "invalid-type-string",
        JsonType::Boolean => "invalid-type-boolean",
        JsonType::Array => "invalid-type-array",
        JsonType::Object => "invalid-type-object",
        JsonType::Null => "invalid-type-null",
    })
}

fn format_message(format: &str, lang: Lang) -> String {
    match format {
        "email" => lang.text("invalid-format-email"),
        "date" => lang.text("invalid-format-date"),
        "tel" => lang.text("invalid-format-tel"),
        "uri" => lang.text("invalid-format-uri"),
        other => lang.text_with("invalid-format-other", &[("format", other.into())]),
    }
}

/// Numbers as the person writes them: a decimal comma in French, a point in English.
fn number_in(value: &Value, lang: Lang) -> String {
    match lang {
        Lang::Fr => number_fr(value),
        Lang::En => value.to_string(),
    }
}

/// Numbers written the French way: a decimal comma.
fn number_fr(value: &Value) -> String {
    value.to_string().replace('.', ",")
}
