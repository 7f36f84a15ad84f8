//! A small XML writer for Open311's documents, written here rather than taken from a crate:
//! GeoReport v2's XML is a tree of elements holding text, with no attributes or namespaces,
//! so turning the same `serde_json::Value` the JSON answer serialises into XML takes a page,
//! and no dependency has to be kept up to date for it.
//!
//! What it guarantees is well-formedness: text is escaped (`&`, `<`, `>`, quotes), and the
//! characters XML 1.0 forbids (most control characters, lone surrogates cannot occur in a
//! Rust string, U+FFFE and U+FFFF) are dropped, since no escape can carry them.

use serde_json::Value;

/// A document: `<root>` holding `value`. An array's items are named `item` at the top,
/// and by [`singular`] of their array's name below.
pub fn document(root: &str, item: &str, value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    element(&mut out, root, value, item);
    out.push('\n');
    out
}

fn element(out: &mut String, name: &str, value: &Value, item: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(text) => escape_into(out, text),
        Value::Array(items) => {
            for value in items {
                element(out, item, value, "item");
            }
        }
        Value::Object(members) => {
            for (key, value) in members {
                element(out, key, value, singular(key));
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The name of one item of a list element, as GeoReport v2's examples write them.
fn singular(list: &str) -> &str {
    match list {
        "endpoints" => "endpoint",
        "formats" => "format",
        "attributes" => "attribute",
        "values" => "value",
        "errors" => "error",
        "services" => "service",
        "service_requests" => "request",
        _ => "item",
    }
}

/// Whether XML 1.0 allows the character at all (its `Char` production).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars().filter(|c| allowed(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_is_escaped_and_forbidden_characters_dropped() {
        let xml = document(
            "errors",
            "error",
            &json!([{"code": 400, "description": "a < b & \"c\" 'd' > e\u{0}\u{1b}\u{FFFF}é"}]),
        );
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>400</code><description>a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; eé</description></error></errors>\n"
        );
    }

    #[test]
    fn lists_name_their_items_and_null_is_empty() {
        let xml = document(
            "service_definition",
            "item",
            &json!({"service_code": "x", "attributes": [{"values": [{"key": "a", "name": null}]}]}),
        );
        assert!(xml.contains(
            "<attributes><attribute><values><value><key>a</key><name></name></value></values></attribute></attributes>"
        ));
    }
}
