//! Which answers are personal data: every property is, unless its schema says
//! `"x-personal": false` (a bin's volume, a category, the commune). What is kept when a
//! request is anonymised is exactly those answers, so statistics by category still hold.
//!
//! Personal by default on purpose: a designer who forgets the keyword loses a statistic,
//! never leaks a name. A file is personal whatever its mark (a photo shows a house, a face).

use serde_json::{Map, Value};

/// The keyword, on a property's schema.
pub const KEYWORD: &str = "x-personal";

/// How deep `$ref`, `allOf`… are followed when gathering a property's schemas (forms are
/// shallow; a self-referencing `$ref` must not loop).
const MAX_DEPTH: usize = 16;

/// The answers that stay once personal data is gone: the properties marked
/// `x-personal: false` in `schema` (the version the request was filed under), at any depth,
/// without files. Always an object.
pub fn statistical_answers(schema: &Value, data: &Value) -> Value {
    keep(schema, &[schema], data).unwrap_or_else(|| Value::Object(Map::new()))
}

/// Every `x-personal` in `schema` whose value is not a boolean, as (JSON Pointer, message).
pub fn problems(schema: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    walk(schema, String::new(), &mut found);
    found
}

fn walk(node: &Value, pointer: String, found: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                // Inside `examples`, `const`, `enum`, `default` and cases, keys are data.
                if matches!(
                    key.as_str(),
                    "examples" | "const" | "enum" | "default" | "x-guichet"
                ) {
                    continue;
                }
                if key == KEYWORD && !value.is_boolean() {
                    found.push((
                        here.clone(),
                        format!(
                            "« {KEYWORD} » must be true or false (got {value}): write \"{KEYWORD}\": false on a field that holds no personal data, or leave it out (personal by default)"
                        ),
                    ));
                }
                walk(value, here, found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The schemas that describe a value: each given one, what its `$ref` points to, and the
/// members of its `allOf`, `anyOf`, `oneOf`, `then` and `else`.
fn gather<'a>(root: &'a Value, schemas: &[&'a Value]) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Value, usize)> = schemas.iter().map(|s| (*s, 0)).collect();
    while let Some((schema, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !schema.is_object() {
            continue;
        }
        out.push(schema);
        if let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| root.pointer(pointer))
        {
            stack.push((target, depth + 1));
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(members)) = schema.get(key) {
                stack.extend(members.iter().map(|m| (m, depth + 1)));
            }
        }
        for key in ["then", "else"] {
            if let Some(branch) = schema.get(key) {
                stack.push((branch, depth + 1));
            }
        }
    }
    out
}

fn keep(root: &Value, schemas: &[&Value], data: &Value) -> Option<Value> {
    if is_file(data) {
        return None;
    }
    let schemas = gather(root, schemas);
    let marked_not_personal = schemas
        .iter()
        .any(|s| s.get(KEYWORD) == Some(&Value::Bool(false)));
    if marked_not_personal {
        return without_files(data);
    }
    match data {
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .iter()
                .filter_map(|(key, value)| {
                    let described: Vec<&Value> = schemas
                        .iter()
                        .filter_map(|s| s.get("properties")?.get(key))
                        .collect();
                    Some((key.clone(), keep(root, &described, value)?))
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let described: Vec<&Value> = schemas.iter().filter_map(|s| s.get("items")).collect();
            let kept: Vec<Value> = items
                .iter()
                .filter_map(|item| keep(root, &described, item))
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

/// An attachment object, as requests record them (`crate::attachments::StoredFile`).
fn is_file(value: &Value) -> bool {
    value.get("sha256").is_some_and(Value::is_string)
}

fn without_files(value: &Value) -> Option<Value> {
    match value {
        v if is_file(v) => None,
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), without_files(v)?)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(without_files).collect(),
        )),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_fields_marked_not_personal_stay_at_any_depth() {
        let schema = json!({
            "type": "object",
            "$defs": {"volume": {"type": "string", "x-personal": false}},
            "properties": {
                "nom": {"type": "string"},
                "email": {"type": "string", "x-personal": true},
                "volume": {"$ref": "#/$defs/volume"},
                "adresse": {"type": "object", "properties": {
                    "rue": {"type": "string"},
                    "commune": {"type": "string", "x-personal": false}
                }},
                "photos": {"type": "array", "x-personal": false},
                "motif": {"type": "string"}
            },
            "allOf": [{"if": {}, "then": {"properties": {"motif": {"x-personal": false}}}}]
        });
        let data = json!({
            "nom": "Claire Martin", "email": "c@example.org", "volume": "240",
            "adresse": {"rue": "1 rue X", "commune": "marmande"},
            "photos": [{"sha256": "ab", "name": "maison.jpg"}],
            "motif": "casse", "inconnu": "texte libre"
        });
        assert_eq!(
            statistical_answers(&schema, &data),
            json!({"volume": "240", "adresse": {"commune": "marmande"}, "photos": [], "motif": "casse"})
        );
        assert_eq!(statistical_answers(&json!({}), &data), json!({}));
    }

    #[test]
    fn a_non_boolean_mark_is_reported_where_it_is() {
        let schema =
            json!({"properties": {"a": {"x-personal": "non"}, "b": {"x-personal": false}}});
        let found = problems(&schema);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "/properties/a/x-personal");
        assert!(found[0].1.contains("true or false"));
    }
}
