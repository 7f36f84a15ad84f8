//! A form's translations, carried in its definition: `x-guichet.i18n.<lang>` maps the JSON
//! Pointer of each French text in the definition to its text in that language:
//!
//! ```json
//! "i18n": {"en": {
//!   "/title": "Replace a waste bin",
//!   "/properties/motif/title": "Why do you need a new bin?",
//!   "/properties/motif/oneOf/0/title": "It is broken",
//!   "/x-guichet/steps/0/title": "Your bin"
//! }}
//! ```
//!
//! The texts that can be translated are those citizens read: every `title`, `description`
//! and `x-pattern-message` of the schema (labels, hints, choices, error messages), the steps'
//! titles, the theme, the search keywords (one text per keyword: `/x-guichet/keywords/0`…)
//! and the privacy notice's purpose, legal basis and recipients. A
//! translated form is the definition with those texts replaced, loaded like any form and
//! given the original's version: same questions, same values, other words. A text left
//! untranslated shows in French; `guichet check` lists them as warnings.

use serde_json::{Map, Value};

use super::form::META_KEY;
use crate::i18n::Lang;

/// The JSON Pointers of the texts citizens read in `definition`, in document order.
pub fn translatable(definition: &Value) -> Vec<String> {
    let mut found = Vec::new();
    schema_texts(definition, "", &mut found);
    if let Some(meta) = definition.get(META_KEY) {
        let base = format!("/{META_KEY}");
        if meta.get("theme").is_some_and(Value::is_string) {
            found.push(format!("{base}/theme"));
        }
        // Keywords let the portal's search find the form by the reader's words.
        for (i, keyword) in meta
            .get("keywords")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if keyword.is_string() {
                found.push(format!("{base}/keywords/{i}"));
            }
        }
        for (i, step) in meta
            .get("steps")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if step.get("title").is_some_and(Value::is_string) {
                found.push(format!("{base}/steps/{i}/title"));
            }
        }
        if let Some(privacy) = meta.get("privacy") {
            for key in ["purpose", "legal_basis"] {
                if privacy.get(key).is_some_and(Value::is_string) {
                    found.push(format!("{base}/privacy/{key}"));
                }
            }
            for (i, _) in privacy
                .get("recipients")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                found.push(format!("{base}/privacy/recipients/{i}"));
            }
        }
    }
    found
}

/// Texts of the schema: `title`, `description` and `x-pattern-message` strings, anywhere but
/// in data (`examples`, `const`, `enum`, `default`) and in `x-guichet` (seen apart).
fn schema_texts(node: &Value, at: &str, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match key.as_str() {
                    "title" | "description" | "x-pattern-message" if value.is_string() => {
                        found.push(here)
                    }
                    META_KEY | "examples" | "const" | "enum" | "default" => {}
                    _ => schema_texts(value, &here, found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                schema_texts(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The definition in `lang`: each translated text put in place of the French one, and the
/// `i18n` block left out (a translation has no translations).
pub fn translated(definition: &Value, texts: &Map<String, Value>) -> Value {
    let mut out = definition.clone();
    for pointer in translatable(definition) {
        // An empty text is a translation too: a French hint that says only « Facultatif. »
        // has nothing to say in English, where the label already says "(optional)".
        if let (Some(Value::String(text)), Some(slot)) =
            (texts.get(&pointer), out.pointer_mut(&pointer))
        {
            *slot = Value::String(text.clone());
        }
    }
    if let Some(Value::Object(meta)) = out.get_mut(META_KEY) {
        meta.remove("i18n");
    }
    out
}

/// Errors in an `i18n` block, as (pointer, message): an unknown language, a language that
/// is not an object, a text that is not a string. A pointer that names no text is only a
/// warning ([`stale`]): removing a question in the builder must not block publishing.
pub fn problems(definition: &Value) -> Vec<(String, String)> {
    let base = format!("/{META_KEY}/i18n");
    let Some(block) = definition.get(META_KEY).and_then(|m| m.get("i18n")) else {
        return Vec::new();
    };
    let Some(block) = block.as_object() else {
        return vec![(
            base,
            "`i18n` must be an object such as {\"en\": {\"/title\": \"…\"}}".into(),
        )];
    };
    let mut problems = Vec::new();
    for (code, texts) in block {
        let at = format!("{base}/{code}");
        match Lang::parse(code) {
            Some(Lang::Fr) => {
                problems.push((
                    at,
                    "the definition's own texts are French: `i18n` holds the other languages only"
                        .into(),
                ));
                continue;
            }
            Some(lang) if lang.code() == code => {}
            _ => {
                let codes: Vec<&str> = Lang::ALL[1..].iter().map(|l| l.code()).collect();
                problems.push((
                    at,
                    format!(
                        "unknown language « {code} » (translations exist for: {})",
                        codes.join(", ")
                    ),
                ));
                continue;
            }
        }
        let Some(texts) = texts.as_object() else {
            problems.push((
                at,
                format!(
                    "`i18n.{code}` must map JSON Pointers to texts, such as {{\"/title\": \"…\"}}"
                ),
            ));
            continue;
        };
        for (pointer, text) in texts {
            if !text.is_string() {
                let here = format!("{at}/{}", pointer.replace('~', "~0").replace('/', "~1"));
                problems.push((here, "a translation must be a text".into()));
            }
        }
    }
    problems
}

/// Translations of nothing, as (pointer, message): a typo in a pointer, or the translation
/// of a question since removed. They are ignored; `guichet check` warns of them.
pub fn stale(definition: &Value) -> Vec<(String, String)> {
    let Some(block) = definition
        .get(META_KEY)
        .and_then(|m| m.get("i18n"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    let known = translatable(definition);
    let mut found = Vec::new();
    for (code, texts) in block {
        for pointer in texts.as_object().into_iter().flat_map(|t| t.keys()) {
            if !known.contains(pointer) {
                found.push((
                    format!(
                        "/{META_KEY}/i18n/{code}/{}",
                        pointer.replace('~', "~0").replace('/', "~1")
                    ),
                    format!("« {pointer} » is not a text of this form that citizens read (a title, description, x-pattern-message, step title, theme, keyword or privacy text): this translation is ignored; check the pointer, or remove it"),
                ));
            }
        }
    }
    found
}

/// The texts of `definition` that have no translation in `lang`, with their French text.
pub fn missing(definition: &Value, lang: Lang) -> Vec<(String, String)> {
    let texts = definition
        .get(META_KEY)
        .and_then(|m| m.get("i18n"))
        .and_then(|block| block.get(lang.code()))
        .and_then(Value::as_object);
    translatable(definition)
        .into_iter()
        .filter(|pointer| {
            texts
                .and_then(|t| t.get(pointer))
                .and_then(Value::as_str)
                .is_none()
        })
        .filter_map(|pointer| {
            let french = definition.pointer(&pointer)?.as_str()?.to_owned();
            (!french.trim().is_empty()).then_some((pointer, french))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Value {
        json!({
            "title": "Bac", "type": "object",
            "x-guichet": {"service": "s", "theme": "Déchets", "keywords": ["poubelle"],
                "steps": [{"title": "Votre bac", "properties": ["motif"]}],
                "cases": [{"name": "x", "data": {"title": "not a text to translate"}, "expect": {"valid": true}}],
                "i18n": {"en": {"/title": "Bin", "/properties/motif/oneOf/0/title": "Broken"}}},
            "properties": {"motif": {"type": "string", "title": "Pourquoi ?",
                "oneOf": [{"const": "casse", "title": "Cassé"}]}},
            "examples": [{"title": "data"}]
        })
    }

    #[test]
    fn the_texts_citizens_read_are_found() {
        assert_eq!(
            translatable(&definition()),
            [
                "/title",
                "/properties/motif/title",
                "/properties/motif/oneOf/0/title",
                "/x-guichet/theme",
                "/x-guichet/keywords/0",
                "/x-guichet/steps/0/title"
            ]
        );
    }

    #[test]
    fn translating_replaces_texts_and_keeps_values() {
        let texts = definition()["x-guichet"]["i18n"]["en"]
            .as_object()
            .unwrap()
            .clone();
        let english = translated(&definition(), &texts);
        assert_eq!(english["title"], "Bin");
        assert_eq!(
            english["properties"]["motif"]["oneOf"][0]["title"],
            "Broken"
        );
        assert_eq!(english["properties"]["motif"]["oneOf"][0]["const"], "casse");
        assert_eq!(
            english["properties"]["motif"]["title"], "Pourquoi ?",
            "missing: French"
        );
        assert!(english["x-guichet"].get("i18n").is_none());
    }

    #[test]
    fn missing_translations_and_typos_are_reported() {
        let missing: Vec<String> = missing(&definition(), Lang::En)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            missing,
            [
                "/properties/motif/title",
                "/x-guichet/theme",
                "/x-guichet/keywords/0",
                "/x-guichet/steps/0/title"
            ]
        );
        let mut typo = definition();
        typo["x-guichet"]["i18n"]["en"]["/titel"] = json!("Bin");
        typo["x-guichet"]["i18n"]["de"] = json!({});
        let found: Vec<String> = problems(&typo).into_iter().map(|(p, _)| p).collect();
        assert_eq!(found, ["/x-guichet/i18n/de"]);
        let found: Vec<String> = stale(&typo).into_iter().map(|(p, _)| p).collect();
        assert_eq!(found, ["/x-guichet/i18n/en/~1titel"]);
    }
}
