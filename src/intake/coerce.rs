//! Coercion: HTML form fields (all strings) into typed JSON, following the form's fields.
//!
//! Coercion never fails. A value that cannot be converted (letters in a number field) is
//! kept as a string, so validation reports it next to the field with the value intact.
//! Fields hidden by an unmet condition are dropped, as the person could not see them.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::catalogue::fields::{Choice, Field, FieldKind, TextInput};
use crate::i18n::Lang;

/// Posted values by field name (`adresse.rue`); checkboxes post several values.
#[derive(Debug, Default, Clone)]
pub struct Posted(HashMap<String, Vec<String>>);

impl Posted {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in pairs {
            map.entry(name).or_default().push(value);
        }
        Posted(map)
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every (name, value) pair, for carrying answers through the review page.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .0
            .iter()
            .flat_map(|(name, values)| values.iter().map(move |v| (name.clone(), v.clone())))
            .collect();
        pairs.sort();
        pairs
    }
}

/// The fields that take one answer but were posted more than once. A browser never does
/// that; the answer meant cannot be guessed, so it is refused rather than picked. The
/// message is in `lang`.
pub fn repeated(fields: &[Field], posted: &Posted, lang: Lang) -> Vec<super::FieldError> {
    crate::catalogue::fields::walk(fields)
        .into_iter()
        .filter(|field| {
            !matches!(
                field.kind,
                FieldKind::MultiChoice { .. } | FieldKind::Group { .. } | FieldKind::Attachment(_)
            ) && posted.all(&field.name()).len() > 1
        })
        .map(|field| super::FieldError::new(field.pointer(), lang.text("invalid-repeated")))
        .collect()
}

/// Builds the JSON instance for a form from posted fields.
pub fn coerce(fields: &[Field], posted: &Posted) -> Value {
    Value::Object(coerce_object(fields, posted))
}

fn coerce_object(fields: &[Field], posted: &Posted) -> Map<String, Value> {
    let mut object = Map::new();
    for field in fields {
        let key = field.path.last().cloned().unwrap_or_default();
        if let Some(value) = coerce_field(field, posted) {
            object.insert(key, value);
        }
    }
    // Drop what an unmet condition hid; conditions name siblings at this level.
    for field in fields {
        if let Some(condition) = &field.condition {
            let controlling = condition.path.last().and_then(|name| object.get(name));
            if !condition.holds(controlling)
                && let Some(key) = field.path.last()
            {
                object.remove(key);
            }
        }
    }
    object
}

fn coerce_field(field: &Field, posted: &Posted) -> Option<Value> {
    let name = field.name();
    let text = || posted.first(&name).map(normalise).filter(|s| !s.is_empty());
    match &field.kind {
        // Files are not in the posted text: they are uploaded, stored, and put into the data
        // by the caller (see `web::attachments`).
        FieldKind::Attachment(_) => None,
        FieldKind::Text {
            input: TextInput::Date,
            ..
        } => text().map(|t| Value::String(iso_date(&t).unwrap_or(t))),
        FieldKind::Text { .. } | FieldKind::Textarea { .. } => text().map(Value::String),
        FieldKind::Integer { .. } => text().map(|t| {
            let compact: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            compact
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(t))
        }),
        FieldKind::Number { .. } => text().map(|t| {
            let compact: String = t
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .replace(',', ".");
            compact
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(|n| match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                    _ => Value::Number(n),
                })
                .unwrap_or(Value::String(t))
        }),
        FieldKind::Boolean => Some(Value::Bool(
            posted
                .first(&name)
                .is_some_and(|v| matches!(v, "true" | "on" | "1" | "oui")),
        )),
        FieldKind::Choice { choices, .. } => text().map(|t| choice_value(choices, t)),
        FieldKind::MultiChoice { choices } => {
            let values: Vec<Value> = posted
                .all(&name)
                .iter()
                .map(|v| normalise(v))
                .filter(|v| !v.is_empty())
                .map(|v| choice_value(choices, v))
                .collect();
            // Nothing ticked is "no answer", so a required list is reported as missing.
            (!values.is_empty()).then_some(Value::Array(values))
        }
        FieldKind::Group { fields } => {
            let object = coerce_object(fields, posted);
            // An unticked checkbox is not an answer: a group holding nothing else is absent.
            let answered = object.values().any(|v| *v != Value::Bool(false));
            (answered || field.required).then_some(Value::Object(object))
        }
    }
}

/// The typed value of the choice whose text matches, or the text itself (validation then
/// says to pick one of the options).
fn choice_value(choices: &[Choice], text: String) -> Value {
    choices
        .iter()
        .find(|c| c.value_text() == text)
        .map_or(Value::String(text), |c| c.value.clone())
}

/// A date typed the French way (`14/03/2026`, `14-3-2026`), where the browser has no date
/// picker, as the ISO date JSON Schema expects. Anything else is left for validation.
fn iso_date(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    if year.len() != 4 || day.len() > 2 || month.len() > 2 {
        return None;
    }
    let (day, month, year): (u8, u8, u16) =
        (day.parse().ok()?, month.parse().ok()?, year.parse().ok()?);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// Trims, and writes line breaks as `\n` whatever the browser sent.
fn normalise(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::fields;
    use serde_json::json;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "motif": {"type": "string", "oneOf": [{"const": "casse"}, {"const": "vole"}]},
                "numero": {"type": "string"},
                "n": {"type": "integer"},
                "volume": {"type": "number"},
                "ok": {"type": "boolean"},
                "objets": {"type": "array", "items": {"enum": ["a", "b", 3]}},
                "adresse": {"type": "object", "properties": {"rue": {"type": "string"}, "cp": {"type": "string"}}}
            },
            "if": {"properties": {"motif": {"const": "casse"}}, "required": ["motif"]},
            "then": {"required": ["numero"]}
        })
    }

    #[test]
    fn values_are_typed_by_the_schema() {
        let fields = fields::build(&schema()).unwrap();
        let data = coerce(
            &fields,
            &posted(&[
                ("motif", "casse"),
                ("numero", " 123 "),
                ("n", "4"),
                ("volume", "2,5"),
                ("ok", "true"),
                ("objets", "a"),
                ("objets", "3"),
                ("adresse.rue", "rue\r\nde la Paix"),
            ]),
        );
        assert_eq!(
            data,
            json!({
                "motif": "casse", "numero": "123", "n": 4, "volume": 2.5, "ok": true,
                "objets": ["a", 3], "adresse": {"rue": "rue\nde la Paix"}
            })
        );
    }

    #[test]
    fn bad_numbers_stay_strings_and_empty_fields_are_absent() {
        let fields = fields::build(&schema()).unwrap();
        let data = coerce(
            &fields,
            &posted(&[("n", "quatre"), ("numero", "  "), ("adresse.cp", "")]),
        );
        assert_eq!(data, json!({"n": "quatre", "ok": false}));
    }

    #[test]
    fn french_dates_become_iso_dates() {
        let schema =
            json!({"type": "object", "properties": {"jour": {"type": "string", "format": "date"}}});
        let fields = fields::build(&schema).unwrap();
        assert_eq!(
            coerce(&fields, &posted(&[("jour", "14/03/2026")])),
            json!({"jour": "2026-03-14"})
        );
        assert_eq!(
            coerce(&fields, &posted(&[("jour", "2026-03-14")])),
            json!({"jour": "2026-03-14"})
        );
        assert_eq!(
            coerce(&fields, &posted(&[("jour", "demain")])),
            json!({"jour": "demain"})
        );
    }

    #[test]
    fn unanswered_groups_and_lists_are_absent() {
        let schema = json!({"type": "object", "properties": {
            "contact": {"type": "object", "properties": {"nom": {"type": "string"}, "rappel": {"type": "boolean"}}},
            "objets": {"type": "array", "items": {"enum": ["a"]}}
        }, "required": ["objets"]});
        let fields = fields::build(&schema).unwrap();
        assert_eq!(coerce(&fields, &posted(&[])), json!({}));
        assert_eq!(
            coerce(&fields, &posted(&[("contact.rappel", "true")])),
            json!({"contact": {"rappel": true}})
        );
    }

    #[test]
    fn hidden_conditional_fields_are_dropped() {
        let fields = fields::build(&schema()).unwrap();
        let data = coerce(&fields, &posted(&[("motif", "vole"), ("numero", "123")]));
        assert_eq!(data, json!({"motif": "vole", "ok": false}));
    }
}
