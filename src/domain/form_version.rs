//! A form version: the hash of a form's canonical content (effective schema plus rule).
//!
//! Every request records the version it was validated and routed with. Two instances that
//! load the same files compute the same version, whatever the key order or whitespace.

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// 16 hex characters (64 bits): unique among a territory's form versions, short enough to show.
const LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormVersion(String);

impl FormVersion {
    /// Hashes the canonical JSON of the schema (keys sorted, no whitespace) and the rule source.
    pub fn compute(schema: &Value, rule_source: Option<&str>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"guichet-form-v1\0");
        hasher.update(canonical_json(schema).as_bytes());
        hasher.update(b"\0");
        hasher.update(rule_source.unwrap_or("").as_bytes());
        let digest = hex::encode(hasher.finalize());
        FormVersion(digest[..LEN].to_owned())
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        if input.len() == LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            Ok(FormVersion(input.to_owned()))
        } else {
            Err(format!(
                "« {input} » is not a form version (16 lowercase hex digits)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FormVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// JSON with object keys sorted at every level: the same content always gives the same text.
pub fn canonical_json(value: &Value) -> String {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push(':');
                    write(&map[key], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_version() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1,2], "x": "s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).unwrap();
        assert_eq!(
            FormVersion::compute(&a, Some("\"q\"")),
            FormVersion::compute(&b, Some("\"q\""))
        );
    }

    #[test]
    fn content_and_rule_change_the_version() {
        let a = json!({"title": "A"});
        let b = json!({"title": "B"});
        assert_ne!(
            FormVersion::compute(&a, None),
            FormVersion::compute(&b, None)
        );
        assert_ne!(
            FormVersion::compute(&a, Some("1")),
            FormVersion::compute(&a, Some("2"))
        );
        let v = FormVersion::compute(&a, None);
        assert_eq!(FormVersion::parse(v.as_str()).unwrap(), v);
        assert!(FormVersion::parse("XYZ").is_err());
    }
}
