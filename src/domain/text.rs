//! What text people type may hold: no control characters but tabs and line breaks. None of
//! the others displays, and PostgreSQL cannot store NUL at all. Answers and form definitions
//! are checked the same way.

use serde_json::Value;

/// A control character nobody types (tab, line feed and carriage return are allowed).
pub fn is_stray_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
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
}
