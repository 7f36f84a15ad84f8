//! Which answers of a form are the citizen's contact details: what an élu does not see on a
//! request they did not file (unless the territory says otherwise, `[elus] see_contact`).
//!
//! The rule, from what the field model can tell:
//! - the form's `x-guichet.email_field` (default `/email`);
//! - every text with `format: email` or `format: tel`;
//! - every field whose `x-autocomplete` token names a person, a postal address or a way to
//!   reach them (`name`, `given-name`, `family-name`…, `street-address`, `address-line1`
//!   to `3`, `postal-code`, `email`, `tel`…, `impp`), with or without a `section-*`,
//!   `shipping`/`billing` or `home`/`work`/`mobile` prefix. The commune (`address-level2`)
//!   is not: an élu sees the commune of every request they follow.
//!
//! Free text (a description) is not masked: the form's own hint tells citizens what to put
//! there, and a designer who asks for contact details marks the field.

use serde_json::Value;

use super::fields::{Field, FieldKind, TextInput, walk};

/// The `x-autocomplete` tokens of contact details (WHATWG autofill field names).
const CONTACT_TOKENS: &[&str] = &[
    "name",
    "honorific-prefix",
    "given-name",
    "additional-name",
    "family-name",
    "honorific-suffix",
    "nickname",
    "street-address",
    "address-line1",
    "address-line2",
    "address-line3",
    "postal-code",
    "email",
    "impp",
    "tel",
    "tel-country-code",
    "tel-national",
    "tel-area-code",
    "tel-local",
    "tel-local-prefix",
    "tel-local-suffix",
    "tel-extension",
];

/// The JSON Pointer of the form's notification address (`x-guichet.email_field`).
pub fn email_field(definition: &Value) -> &str {
    definition
        .pointer("/x-guichet/email_field")
        .and_then(Value::as_str)
        .unwrap_or("/email")
}

/// Whether a field holds contact details, by the rule above.
pub fn is_contact(field: &Field, email_field: &str) -> bool {
    if field.pointer() == email_field {
        return true;
    }
    if let FieldKind::Text {
        input: TextInput::Email | TextInput::Tel,
        ..
    } = field.kind
    {
        return true;
    }
    field.autocomplete.as_deref().is_some_and(|tokens| {
        tokens
            .split_whitespace()
            .last()
            .is_some_and(|token| CONTACT_TOKENS.contains(&token.to_ascii_lowercase().as_str()))
    })
}

/// The pointers of every contact field of a form version (groups are walked, not masked
/// whole).
pub fn contact_pointers(definition: &Value, fields: &[Field]) -> Vec<String> {
    let email = email_field(definition);
    walk(fields)
        .into_iter()
        .filter(|f| !matches!(f.kind, FieldKind::Group { .. }))
        .filter(|f| is_contact(f, email))
        .map(Field::pointer)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_demo_forms_contact_fields() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("form-definitions");
        let pointers = |form: &str| {
            let text = std::fs::read_to_string(root.join(format!("{form}.json"))).unwrap();
            let definition: Value = serde_json::from_str(&text).unwrap();
            let fields = crate::catalogue::fields::build(&definition).unwrap();
            let mut found = contact_pointers(&definition, &fields);
            found.sort();
            found
        };
        assert_eq!(
            pointers("encombrants"),
            [
                "/adresse/code_postal",
                "/adresse/complement",
                "/adresse/rue",
                "/nom",
                "/telephone"
            ]
        );
        assert_eq!(
            pointers("signalement-voirie"),
            ["/email", "/nom", "/telephone"]
        );
    }

    #[test]
    fn the_email_field_and_prefixed_tokens_count() {
        let definition = json!({
            "x-guichet": {"service": "s", "email_field": "/courriel"},
            "type": "object",
            "properties": {
                "courriel": {"type": "string", "title": "Courriel"},
                "nom": {"type": "string", "x-autocomplete": "section-demandeur family-name"},
                "ville": {"type": "string", "x-autocomplete": "address-level2"},
                "objet": {"type": "string"}
            }
        });
        let fields = crate::catalogue::fields::build(&definition).unwrap();
        let mut found = contact_pointers(&definition, &fields);
        found.sort();
        assert_eq!(found, ["/courriel", "/nom"]);
    }
}
