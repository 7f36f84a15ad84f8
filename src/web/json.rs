//! JSON request bodies read strictly: a key given twice in one object is refused instead of
//! the last one silently winning, so what a client meant is never guessed. Depth stays
//! bounded by serde_json's recursion limit.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Parses a body; the error says what is wrong and where, in French.
pub fn parse(body: &[u8]) -> Result<Value, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = StrictValue::deserialize(&mut deserializer).and_then(|StrictValue(value)| {
        deserializer.end()?;
        Ok(value)
    });
    parsed.map_err(|err| {
        let what = err.to_string();
        let why = match what.split_once(" at line ") {
            Some((message, _)) if message.starts_with("la clé") => message.to_owned(),
            _ => "le JSON envoyé est mal formé".to_owned(),
        };
        format!(
            "{} (ligne {}, colonne {}) : corrigez-le et renvoyez la demande.",
            capitalise(&why),
            err.line(),
            err.column()
        )
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// No text anyone types holds NUL, and PostgreSQL cannot store it.
fn no_nul<E: de::Error>(text: &str) -> Result<(), E> {
    if text.contains('\0') {
        return Err(E::custom(
            "la clé ou le texte contient un caractère nul (\\u0000) ; retirez-le",
        ));
    }
    Ok(())
}

struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        no_nul(v)?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        no_nul(&v)?;
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            no_nul(&key)?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "la clé « {key} » apparaît deux fois dans le même objet ; gardez-en une seule"
                )));
            }
            let StrictValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"a": [1, -2, 3.5, "x", true, null, {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(
            parse(text.as_bytes()).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(parse(b" [] ").unwrap(), json!([]));
    }

    #[test]
    fn refuses_a_key_given_twice_at_any_depth() {
        let err = parse(br#"{"a": {"b": 1, "b": 2}}"#).unwrap_err();
        assert!(err.starts_with("La clé « b » apparaît deux fois"), "{err}");
        assert!(err.contains("ligne 1"), "{err}");
    }

    #[test]
    fn refuses_nul_in_texts_and_keys() {
        for bad in [
            &br#"{"a": "x\u0000y"}"#[..],
            br#"{"a\u0000": 1}"#,
            br#"["\u0000"]"#,
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains("caractère nul"), "{err}");
        }
    }

    #[test]
    fn refuses_malformed_text_trailing_data_and_huge_numbers() {
        for bad in [&b"{\"a\": "[..], b"{} {}", b"1e400", b"\"\xff\""] {
            let err = parse(bad).unwrap_err();
            assert!(err.starts_with("Le JSON envoyé est mal formé"), "{err}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(deep.as_bytes()).is_err());
    }
}
