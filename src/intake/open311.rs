//! Open311 arguments → a form's data, and back: what a GeoReport v2 `POST requests` sent,
//! read into the JSON the form's schema validates, and each validation problem named by the
//! argument the client sent (`lat`, `attribute[urgence]`…), not by a pointer it never saw.
//!
//! The standard arguments go to the fields the form's `x-guichet.open311` block names
//! (`first_name` and `last_name` joined into its `name` field); one the form does not map
//! is ignored, since generic applications send them all. Attributes go to the questions of
//! the service definition (`catalogue::open311::attribute_fields`); their values arrive as
//! text and are converted here to the question's type, so a number that is not one is
//! refused with the attribute's name before validation.

use serde_json::{Map, Number, Value};

use super::FieldError;
use crate::catalogue::Form;
use crate::catalogue::fields::{Choice, Field, FieldKind};
use crate::catalogue::open311::{Argument, attribute_fields, path_of};

/// The arguments that are not answers: the key, the service, and the standard ones Guichet
/// does not take (an Open311 account, a device, a media URL: files come only through the
/// online form).
const NOT_ANSWERS: &[&str] = &[
    "api_key",
    "service_code",
    "jurisdiction_id",
    "address_id",
    "device_id",
    "account_id",
    "media_url",
    "first_name",
    "last_name",
];

/// The form's data built from a `POST requests`' arguments (urlencoded pairs, in order).
/// Errors name the argument: `lat`, `attribute[urgence]`.
pub fn form_data(form: &Form, arguments: &[(String, String)]) -> Result<Value, Vec<FieldError>> {
    let mapping = form.meta.open311.clone().unwrap_or_default();
    let attributes = attribute_fields(form);
    let mut data = Value::Object(Map::new());
    let mut errors = Vec::new();
    let one = |name: &str| {
        arguments
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };

    for argument in Argument::ALL {
        let Some(pointer) = mapping.pointer(argument) else {
            continue;
        };
        let sent = match argument {
            Argument::Name => {
                let name = [one("first_name"), one("last_name")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                (!name.is_empty()).then_some(name)
            }
            other => one(other.key()).map(str::to_owned),
        };
        let Some(sent) = sent else { continue };
        let field = path_of(pointer).and_then(|p| crate::catalogue::fields::find(&form.fields, &p));
        let value = match field.map(|f| &f.kind) {
            Some(kind @ (FieldKind::Integer { .. } | FieldKind::Number { .. })) => {
                number(kind, &sent).map_err(|why| FieldError::new(argument.key(), why))
            }
            _ => Ok(Value::String(sent)),
        };
        match value {
            Ok(value) => set(&mut data, pointer, value),
            Err(error) => errors.push(error),
        }
    }

    // attribute[code] = v, or attribute[code][] = v repeated for a list.
    let mut answers: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in arguments {
        if NOT_ANSWERS.contains(&name.as_str()) {
            continue;
        }
        let Some(code) = name
            .strip_prefix("attribute[")
            .and_then(|rest| rest.strip_suffix("[]").or(Some(rest)))
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            continue;
        };
        match answers.iter_mut().find(|(c, _)| *c == code) {
            Some((_, values)) => values.push(value.trim()),
            None => answers.push((code, vec![value.trim()])),
        }
    }
    for (code, values) in answers {
        let argument = format!("attribute[{}]", code.chars().take(80).collect::<String>());
        let Some((_, field)) = attributes.iter().find(|(c, _)| c == code) else {
            errors.push(FieldError::new(
                argument,
                format!(
                    "Cet attribut n'existe pas pour ce service : la définition du service (GET services/{}.json) liste les attributs acceptés.",
                    form.id
                ),
            ));
            continue;
        };
        let values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            continue;
        }
        match attribute_value(field, &values) {
            Ok(value) => set(&mut data, &field.pointer(), value),
            Err(why) => errors.push(FieldError::new(argument, why)),
        }
    }
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors)
    }
}

/// The Open311 argument a validation problem at `pointer` (into the form's data) is about:
/// the standard argument mapped there (or to a field inside it), the attribute, or the
/// pointer itself for what the client could not have sent. `""` stays `""`: a problem with
/// the request as a whole.
pub fn argument_for(form: &Form, pointer: &str) -> String {
    if pointer.is_empty() {
        return String::new();
    }
    let mapping = form.meta.open311.clone().unwrap_or_default();
    let name_of = |argument: Argument| match argument {
        Argument::Name => "first_name/last_name".to_owned(),
        other => other.key().to_owned(),
    };
    if let Some(argument) = mapping.argument_at(pointer) {
        return name_of(argument);
    }
    // A group holding mapped fields (a position that is missing as a whole).
    let inside: Vec<String> = mapping
        .mapped()
        .filter(|(_, p)| p.starts_with(&format!("{pointer}/")))
        .map(|(a, _)| name_of(a))
        .collect();
    if !inside.is_empty() {
        return inside.join("/");
    }
    let within = |field_pointer: &str| {
        pointer == field_pointer || pointer.starts_with(&format!("{field_pointer}/"))
    };
    if let Some((code, _)) = attribute_fields(form)
        .into_iter()
        .find(|(_, f)| within(&f.pointer()))
    {
        return format!("attribute[{code}]");
    }
    pointer.to_owned()
}

/// A validation problem renamed for an Open311 client.
pub fn renamed(form: &Form, error: FieldError) -> FieldError {
    FieldError::new(argument_for(form, &error.path), error.message)
}

fn attribute_value(field: &Field, values: &[&str]) -> Result<Value, String> {
    if let FieldKind::MultiChoice { choices } = &field.kind {
        return values
            .iter()
            .map(|v| choice(choices, v))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    let [value] = values else {
        return Err("Cet attribut prend une seule valeur : envoyez-le une seule fois.".into());
    };
    match &field.kind {
        kind @ (FieldKind::Integer { .. } | FieldKind::Number { .. }) => number(kind, value),
        FieldKind::Boolean => match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "oui" => Ok(Value::Bool(true)),
            "false" | "0" | "non" => Ok(Value::Bool(false)),
            _ => Err(format!(
                "« {} » n'est ni true ni false : envoyez true (oui) ou false (non).",
                shown(value)
            )),
        },
        FieldKind::Choice { choices, .. } => choice(choices, value),
        _ => Ok(Value::String((*value).to_owned())),
    }
}

fn choice(choices: &[Choice], value: &str) -> Result<Value, String> {
    choices
        .iter()
        .find(|c| c.value_text() == value)
        .map(|c| c.value.clone())
        .ok_or_else(|| {
            let keys: Vec<String> = choices.iter().take(20).map(Choice::value_text).collect();
            format!(
                "« {} » n'est pas une valeur de la liste : envoyez l'une de ces clés : {}.",
                shown(value),
                keys.join(", ")
            )
        })
}

/// A number as text, for an integer or number question. A decimal comma is read too.
fn number(kind: &FieldKind, text: &str) -> Result<Value, String> {
    let text = text.trim().replace(',', ".");
    let not_a_number = || {
        Err(format!(
            "« {} » n'est pas un nombre : envoyez des chiffres, avec un point décimal (par exemple 44.5).",
            shown(&text)
        ))
    };
    match kind {
        FieldKind::Integer { .. } => match text.parse::<i64>() {
            Ok(n) => Ok(Value::Number(n.into())),
            Err(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => Err(format!(
                "« {} » n'est pas un nombre entier : envoyez un entier (par exemple 4).",
                shown(&text)
            )),
            Err(_) => not_a_number(),
        },
        _ => match text.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => not_a_number(),
        },
    }
}

/// A value quoted in a message: short, whatever was sent.
fn shown(value: &str) -> String {
    value.chars().take(60).collect()
}

/// Puts `value` at `pointer`, creating the objects on the way.
fn set(data: &mut Value, pointer: &str, value: Value) {
    let Some(path) = path_of(pointer) else { return };
    let mut node = data;
    for (i, name) in path.iter().enumerate() {
        let Value::Object(map) = node else { return };
        if i + 1 == path.len() {
            map.insert(name.clone(), value);
            return;
        }
        node = map
            .entry(name.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_builds_nested_objects() {
        let mut data = json!({});
        set(&mut data, "/position/latitude", json!(44.5));
        set(&mut data, "/position/longitude", json!(0.3));
        set(&mut data, "/nom", json!("Durand"));
        assert_eq!(
            data,
            json!({"position": {"latitude": 44.5, "longitude": 0.3}, "nom": "Durand"})
        );
    }

    #[test]
    fn numbers_are_converted_or_refused_in_words() {
        let integer = FieldKind::Integer {
            min: None,
            max: None,
        };
        let real = FieldKind::Number {
            min: None,
            max: None,
        };
        assert_eq!(number(&integer, " 4 "), Ok(json!(4)));
        assert_eq!(number(&real, "44,5"), Ok(json!(44.5)));
        assert!(number(&integer, "4.5").unwrap_err().contains("entier"));
        assert!(
            number(&real, "abc")
                .unwrap_err()
                .contains("n'est pas un nombre")
        );
        assert!(number(&real, "NaN").is_err());
        assert!(number(&real, "inf").is_err());
    }
}
