//! What text people type may hold, and when it says nothing.
//!
//! Refused everywhere (answers, notes, messages, contacts, form definitions): control
//! characters but tabs and line breaks (none displays, and PostgreSQL cannot store NUL), and
//! the bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069),
//! which make a name or an address *display* as something else in the back office, e-mails
//! and spreadsheets ("Trojan Source"). Refusing them harms nobody: Arabic or Hebrew text
//! displays right to left through the Unicode bidirectional algorithm alone, without them.
//! The implicit marks (LRM U+200E, RLM U+200F, ALM U+061C) stay accepted: right-to-left
//! keyboards insert them, they cannot reorder a whole run, and a person could not see what
//! to remove.
//!
//! A text is blank when it holds no visible character: only whitespace (any Unicode space,
//! no-break spaces included) and characters that display nothing (zero-width space and
//! joiners, word joiner, BOM, soft hyphen, fillers…). A blank answer is no answer.

use serde_json::Value;

/// A character nobody types on purpose: a control character (tab, line feed and carriage
/// return are allowed) or a bidirectional embedding, override or isolate control.
pub fn is_stray_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || is_bidi_override(c)
}

/// The explicit bidirectional formatting controls: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
pub fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` holds no visible character.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

/// Whitespace, controls, and the characters that display nothing: Unicode's
/// Default_Ignorable_Code_Point set (DerivedCoreProperties.txt), plus the blank Braille
/// pattern, which renders as a space.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Removes, at any depth, the object members whose value is a blank string: a required
/// answer made only of spaces or invisible characters is then reported as missing, by the
/// schema's own `required`, on every path (JSON API, HTML form, élus, check's examples).
/// Blank items of lists stay, so a list keeps its length and its errors.
pub fn drop_blank_answers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, item| !item.as_str().is_some_and(is_blank));
            map.values_mut().for_each(drop_blank_answers);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_blank_answers),
        _ => {}
    }
}

/// The JSON Pointers of the strings, and of the object keys, that hold a stray control
/// character, in document order; at most `limit` of them.
pub fn stray_controls(value: &Value, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    walk(value, &mut String::new(), limit, &mut found);
    found
}

fn walk(value: &Value, pointer: &mut String, limit: usize, found: &mut Vec<String>) {
    let bad = |text: &str| text.chars().any(is_stray_control);
    match value {
        Value::String(text) if bad(text) && found.len() < limit => found.push(pointer.clone()),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{index}"));
                walk(item, pointer, limit, found);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                if bad(key) {
                    if found.len() < limit {
                        found.push(pointer.clone());
                    }
                } else {
                    walk(item, pointer, limit, found);
                }
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// French typography: a no-break space (U+00A0) before `?`, `!`, `:` and `;` (a plain
/// space there is replaced, and one is added where none was typed after a letter), so the
/// mark never starts a line on its own. `https://` and times like `10:30` are left alone:
/// a colon directly between two non-letters, or followed by `/`, is not punctuation.
pub fn french_spacing(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let is_mark = matches!(c, '?' | '!' | ':' | ';');
        let next = chars.get(i + 1).copied();
        let punctuation = is_mark && !(c == ':' && matches!(next, Some('/') | Some('0'..='9')));
        if punctuation {
            match out.chars().last() {
                Some(' ') => {
                    out.pop();
                    out.push('\u{a0}');
                }
                Some(prev) if prev.is_alphabetic() || prev == '»' || prev == ')' => {
                    out.push('\u{a0}')
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_values_and_keys_at_any_depth_and_allows_line_breaks() {
        let value = json!({"a": "ok\ttab\r\nline", "b": ["x", "y\u{7}"], "c": {"d\u{0}": 1, "e/f": "\u{1b}"}});
        assert_eq!(stray_controls(&value, 10), ["/b/1", "/c/d\u{0}", "/c/e~1f"]);
        assert_eq!(stray_controls(&value, 1), ["/b/1"]);
        assert!(stray_controls(&json!({"a": "é ü 中"}), 10).is_empty());
    }

    #[test]
    fn bidirectional_overrides_are_stray_but_implicit_marks_are_not() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(is_stray_control(c), "{:04X}", c as u32);
        }
        for c in ['\u{200E}', '\u{200F}', '\u{061C}', 'א', 'ع'] {
            assert!(!is_stray_control(c), "{:04X}", c as u32);
        }
        assert_eq!(
            stray_controls(&json!({"nom": "Jean\u{202E}tnI"}), 10),
            ["/nom"]
        );
    }

    #[test]
    fn blank_means_no_visible_character() {
        for blank in [
            "",
            " \t\n",
            "\u{A0}\u{202F}\u{2007}\u{3000}",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}\u{AD}",
            "\u{3164}\u{115F}\u{2800}\u{180E}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for visible in ["a", " .", "\u{200B}x", "中", "\u{05D0}", "0"] {
            assert!(!is_blank(visible), "{visible:?}");
        }
    }

    #[test]
    fn blank_answers_are_dropped_at_any_depth() {
        let mut data =
            json!({"a": " ", "b": "x", "c": {"d": "\u{200B}", "e": 3}, "f": ["\u{A0}", {"g": ""}]});
        drop_blank_answers(&mut data);
        assert_eq!(data, json!({"b": "x", "c": {"e": 3}, "f": ["\u{A0}", {}]}));
    }

    #[test]
    fn french_marks_get_a_no_break_space_before_them() {
        assert_eq!(
            french_spacing("Pourquoi ? Ce champ est obligatoire : choisissez!"),
            "Pourquoi\u{a0}? Ce champ est obligatoire\u{a0}: choisissez\u{a0}!"
        );
        assert_eq!(french_spacing("« Oui »; non"), "« Oui »\u{a0}; non");
        // Not punctuation: a time, an address, a mark already spaced.
        assert_eq!(
            french_spacing("à 10:30 sur https://x.fr"),
            "à 10:30 sur https://x.fr"
        );
        assert_eq!(french_spacing("Déjà\u{a0}?"), "Déjà\u{a0}?");
        assert_eq!(french_spacing("??"), "??");
    }
}
