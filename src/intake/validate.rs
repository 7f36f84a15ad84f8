//! Validation against the form's JSON Schema, with plain French messages.
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

/// At most this many problems are reported: enough to fix a form, and a hostile body with
/// a hundred thousand unknown keys costs no more than a short one.
pub const MAX_ERRORS: usize = 50;

/// Every problem with `data` (up to [`MAX_ERRORS`]), at most one per field, in the form's
/// field order.
pub fn validate(form: &Form, data: &Value) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen = HashSet::new();
    // First: an invisible character is the cause to fix, whatever else it breaks at the
    // same place (an unknown key, a pattern).
    for pointer in text::stray_controls(data, MAX_ERRORS) {
        seen.insert(pointer.clone());
        errors.push(FieldError::new(pointer, CONTROL_CHARACTER));
    }
    'all: for error in form.validator().iter_errors(data) {
        let at = error.instance_path().as_str().to_owned();
        for (path, message) in describe(form, &at, error.kind(), error.instance()) {
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

const CONTROL_CHARACTER: &str = "Ce champ contient un caractère invisible qui n'est pas accepté (un caractère de contrôle ou d'inversion du sens d'écriture, souvent venu d'un copier-coller) : retapez le texte.";

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
) -> Vec<(String, String)> {
    use ValidationErrorKind as K;
    let one = |message: String| vec![(at.to_owned(), message)];
    match kind {
        K::Required { property } => {
            let name = fields::value_text(property);
            let pointer = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
            // The HTML form shows the label beside the message; the API gives the pointer.
            let message = match field_at(form, &pointer).map(|f| &f.kind) {
                Some(FieldKind::Choice { .. } | FieldKind::MultiChoice { .. }) => {
                    "Ce champ est obligatoire : choisissez une réponse.".to_owned()
                }
                Some(_) => "Ce champ est obligatoire : complétez-le.".to_owned(),
                None => format!("Le champ « {name} » est obligatoire."),
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
                        format!(
                            "Le champ « {} » n'existe pas dans ce formulaire : retirez-le.",
                            name.chars().take(80).collect::<String>()
                        ),
                    )
                })
                .collect()
        }
        K::Type { kind } => one(type_message(kind)),
        K::Minimum { limit } => one(format!(
            "Saisissez une valeur supérieure ou égale à {}.",
            number_fr(limit)
        )),
        K::Maximum { limit } => one(format!(
            "Saisissez une valeur inférieure ou égale à {}.",
            number_fr(limit)
        )),
        K::ExclusiveMinimum { limit } => one(format!(
            "Saisissez une valeur strictement supérieure à {}.",
            number_fr(limit)
        )),
        K::ExclusiveMaximum { limit } => one(format!(
            "Saisissez une valeur strictement inférieure à {}.",
            number_fr(limit)
        )),
        K::MultipleOf { .. } => {
            one("Cette valeur n'est pas un multiple accepté : vérifiez le nombre saisi.".into())
        }
        K::MinLength { limit } => one(format!(
            "Ce texte est trop court : saisissez au moins {limit} caractère{}.",
            plural(*limit)
        )),
        K::MaxLength { limit } => {
            let length = instance.as_str().map_or(0, |s| s.chars().count());
            one(format!(
                "Ce texte est trop long : {limit} caractère{} au maximum (vous en avez saisi {length}). Raccourcissez-le.",
                plural(*limit)
            ))
        }
        K::Pattern { .. } => {
            let hint = field_at(form, at).and_then(|f| f.pattern_message.clone());
            one(hint.unwrap_or_else(|| {
                "Le format saisi n'est pas celui attendu : vérifiez la valeur.".into()
            }))
        }
        K::Format { format } => one(format_message(format)),
        K::Enum { .. }
        | K::Constant { .. }
        | K::OneOfNotValid { .. }
        | K::OneOfMultipleValid { .. }
        | K::AnyOf { .. } => one("Choisissez une des options proposées.".into()),
        K::MinItems { limit } => one(format!("Cochez au moins {limit} case{}.", plural(*limit))),
        K::MaxItems { limit } => one(format!("Cochez au plus {limit} case{}.", plural(*limit))),
        K::UniqueItems => one("Chaque option ne peut être choisie qu'une fois.".into()),
        K::FalseSchema => one("Ce champ n'est pas attendu ici : retirez-le.".into()),
        K::MinProperties { .. } | K::MaxProperties { .. } => {
            one("Le nombre de champs remplis n'est pas celui attendu.".into())
        }
        _ => one("Cette valeur n'est pas acceptée : vérifiez-la.".into()),
    }
}

fn type_message(kind: &TypeKind) -> String {
    let expected = match kind {
        TypeKind::Single(t) => *t,
        TypeKind::Multiple(set) => set.iter().next().unwrap_or(JsonType::String),
    };
    match expected {
        JsonType::Integer => "Saisissez un nombre entier, en chiffres (par exemple 4).".into(),
        JsonType::Number => "Saisissez un nombre, en chiffres (par exemple 2,5).".into(),
        JsonType::String => "Saisissez un texte.".into(),
        JsonType::Boolean => "Répondez par oui ou par non (true ou false).".into(),
        JsonType::Array => "Ce champ attend une liste de choix.".into(),
        JsonType::Object => "Ce champ attend un groupe de réponses (un objet JSON).".into(),
        JsonType::Null => "Ce champ doit être vide.".into(),
    }
}

fn format_message(format: &str) -> String {
    match format {
        "email" => "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.".into(),
        "date" => {
            "Saisissez une date valide, jour, mois et année, par exemple 14/03/2026 (ou 2026-03-14).".into()
        }
        "tel" => "Saisissez un numéro de téléphone valide, par exemple 05 53 00 00 00.".into(),
        "uri" => "Saisissez une adresse web complète, commençant par https://.".into(),
        other => format!("La valeur n'a pas le format attendu ({other})."),
    }
}

/// Numbers written the French way: a decimal comma.
fn number_fr(value: &Value) -> String {
    value.to_string().replace('.', ",")
}

fn plural(n: u64) -> &'static str {
    if n > 1 { "s" } else { "" }
}
