//! View models for the generated form and its review page: the field model flattened into
//! rows a template can loop over (askama templates cannot recurse), with the person's
//! values and the error messages put back next to each field.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalogue::fields::{ChoiceWidget, Condition, Field, FieldKind, find, value_text};
use crate::i18n::Lang;
use crate::intake::coerce::Posted;
pub use crate::requests::describe::{
    Answer, Section, answer_text, answers, answers_in, iso_date_fr, type_label,
};

pub struct ChoiceView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// One row of the form: a control, or the opening or closing of a fieldset.
pub struct Row {
    /// open, close, heading, text, textarea, number, checkbox, radio, select or checkboxes.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub label: String,
    /// The designer's hint, completed with the limits a person must respect.
    pub hint: String,
    pub required: bool,
    pub input_type: &'static str,
    pub inputmode: &'static str,
    pub autocomplete: String,
    pub value: String,
    pub checked: bool,
    pub choices: Vec<ChoiceView>,
    /// "Entre 1 et 20", next to number inputs.
    pub range: String,
    pub error: String,
    /// Name of the field this one depends on; empty when unconditional.
    pub show_when: String,
    /// The values, separated by `|`, that show this row (or hide it, when negated).
    pub show_values: String,
    pub show_negate: bool,
    /// The condition in words, for people without JavaScript.
    pub condition_text: String,
    /// File inputs: accepted media types, several files or one, files already sent.
    pub accept: String,
    pub multiple: bool,
    pub files: Vec<String>,
}

impl Row {
    fn new(kind: &'static str) -> Row {
        Row {
            kind,
            id: String::new(),
            name: String::new(),
            label: String::new(),
            hint: String::new(),
            required: false,
            input_type: "text",
            inputmode: "",
            autocomplete: String::new(),
            value: String::new(),
            checked: false,
            choices: Vec::new(),
            range: String::new(),
            error: String::new(),
            show_when: String::new(),
            show_values: String::new(),
            show_negate: false,
            condition_text: String::new(),
            accept: String::new(),
            multiple: false,
            files: Vec::new(),
        }
    }

    /// A step's title, between the questions of a designer's preview.
    pub fn heading(text: String) -> Row {
        let mut row = Row::new("heading");
        row.label = text;
        row
    }

    pub fn has_hint(&self) -> bool {
        !self.hint.is_empty() || !self.condition_text.is_empty()
    }

    /// Ids of the hint, range and error, for `aria-describedby`.
    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.has_hint() {
            ids.push(format!("{}-hint", self.id));
        }
        if !self.range.is_empty() {
            ids.push(format!("{}-range", self.id));
        }
        if !self.error.is_empty() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

pub fn field_id(field: &Field) -> String {
    format!("f-{}", field.path.join("-"))
}

/// Rows for the whole form. `errors` maps field JSON Pointers to messages; `lang` is the
/// language of the hints Guichet adds (the form's own texts come translated with it).
pub fn rows(
    fields: &[Field],
    posted: &Posted,
    errors: &HashMap<String, String>,
    lang: Lang,
) -> Vec<Row> {
    let mut out = Vec::new();
    for field in fields {
        push_rows(field, fields, posted, errors, lang, &mut out);
    }
    out
}

fn push_rows(
    field: &Field,
    all: &[Field],
    posted: &Posted,
    errors: &HashMap<String, String>,
    lang: Lang,
    out: &mut Vec<Row>,
) {
    let mut row = Row::new("text");
    row.id = field_id(field);
    row.name = field.name();
    // Designers type plain spaces; French marks get their no-break space here, so a lone
    // « ? » never starts a line.
    row.label = spacing(&field.label, lang);
    row.required = field.required
        || field
            .condition
            .as_ref()
            .is_some_and(|c| c.required_when_shown);
    row.autocomplete = field.autocomplete.clone().unwrap_or_default();
    row.value = posted.first(&row.name).unwrap_or_default().to_owned();
    row.error = errors
        .get(&field.pointer())
        .map(|e| spacing(e, lang))
        .unwrap_or_default();
    (
        row.show_when,
        row.show_values,
        row.show_negate,
        row.condition_text,
    ) = describe_condition(field.condition.as_ref(), all, lang);
    row.condition_text = spacing(&row.condition_text, lang);
    let mut hints: Vec<String> = field
        .hint
        .iter()
        .map(|h| {
            if field.required || lang != Lang::Fr {
                h.clone()
            } else {
                without_optional_prefix(h)
            }
        })
        .filter(|h| !h.is_empty())
        .collect();
    match &field.kind {
        FieldKind::Text { input, max_length } => {
            row.input_type = input.html_type();
            if row.autocomplete.is_empty() {
                row.autocomplete = match input.html_type() {
                    "email" => "email",
                    "tel" => "tel",
                    _ => "",
                }
                .to_owned();
            }
            if input.html_type() == "date" {
                hints.push(lang.text("field-date-example"));
            }
            // What is expected, rather than a length: a pattern's own explanation; and a
            // length only when it is short enough to matter on one line.
            match &field.pattern_message {
                Some(expected) => hints.push(expected.clone()),
                None => hints.extend(
                    max_length
                        .filter(|max| *max < SHORT_TEXT)
                        .map(|max| length_hint(max, lang)),
                ),
            }
        }
        FieldKind::Textarea { max_length } => {
            row.kind = "textarea";
            hints.extend(max_length.map(|max| length_hint(max, lang)));
        }
        FieldKind::Integer { min, max } | FieldKind::Number { min, max } => {
            row.kind = "number";
            row.inputmode = if matches!(field.kind, FieldKind::Integer { .. }) {
                "numeric"
            } else {
                "decimal"
            };
            row.range = range_text(*min, *max, lang);
        }
        FieldKind::Boolean => {
            row.kind = "checkbox";
            row.checked = posted
                .first(&row.name)
                .is_some_and(|v| matches!(v, "true" | "on" | "1" | "oui"));
        }
        FieldKind::Choice { choices, widget } => {
            row.kind = match widget {
                ChoiceWidget::Radio => "radio",
                ChoiceWidget::Select => "select",
            };
            let selected = row.value.clone();
            row.choices = choices
                .iter()
                .enumerate()
                .map(|(i, c)| ChoiceView {
                    id: choice_id(&row.id, i),
                    value: c.value_text(),
                    label: spacing(&c.label, lang),
                    checked: c.value_text() == selected,
                })
                .collect();
        }
        FieldKind::MultiChoice { choices } => {
            row.kind = "checkboxes";
            let selected = posted.all(&row.name);
            row.choices = choices
                .iter()
                .enumerate()
                .map(|(i, c)| ChoiceView {
                    id: choice_id(&row.id, i),
                    value: c.value_text(),
                    label: spacing(&c.label, lang),
                    checked: selected.contains(&c.value_text()),
                })
                .collect();
        }
        FieldKind::Attachment(rules) => {
            row.kind = "file";
            row.accept = rules.types.join(",");
            row.multiple = rules.max_count > 1;
            hints.push(attachment_hint(rules, lang));
        }
        FieldKind::Group { fields } => {
            row.kind = "open";
            row.hint = spacing(&hints.join(" "), lang);
            out.push(row);
            for child in fields {
                push_rows(child, all, posted, errors, lang, out);
            }
            out.push(Row::new("close"));
            return;
        }
    }
    row.hint = spacing(&hints.join(" "), lang);
    out.push(row);
}

/// French punctuation's no-break spaces (before `?`, `:`, `!`, `;`) in a French text; an
/// English one is left as it is.
fn spacing(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Fr => crate::domain::text::french_spacing(text),
        _ => text.to_owned(),
    }
}

/// "Jusqu'à 3 fichiers de 5 Mo chacun au plus, formats JPEG ou PNG."
pub fn attachment_hint(rules: &crate::catalogue::fields::AttachmentRules, lang: Lang) -> String {
    let size = if rules.max_bytes >= 1024 * 1024 {
        lang.text_with(
            "field-size-mb",
            &[("n", (rules.max_bytes / (1024 * 1024)).into())],
        )
    } else {
        lang.text_with(
            "field-size-kb",
            &[("n", rules.max_bytes.div_ceil(1024).into())],
        )
    };
    let formats: Vec<String> = rules.types.iter().map(|t| type_label(t)).collect();
    let files = if rules.max_count > 1 {
        lang.text_with(
            "field-files-several",
            &[("count", rules.max_count.into()), ("size", size.into())],
        )
    } else {
        lang.text_with("field-files-one", &[("size", size.into())])
    };
    lang.text_with(
        "field-files-formats",
        &[
            ("files", files.into()),
            ("count", formats.len().into()),
            (
                "formats",
                formats
                    .join(&format!(" {} ", lang.text("field-files-or")))
                    .into(),
            ),
        ],
    )
}

/// Below this many characters a one-line answer's limit is worth saying; above it (a name
/// of 200, an address of 300) nobody reaches it, and the hint would be noise.
const SHORT_TEXT: u64 = 100;

/// The designer's hint without a leading « Facultatif » the label already says:
/// « Facultatif : pour être informé » becomes « Pour être informé ».
fn without_optional_prefix(hint: &str) -> String {
    let trimmed = hint.trim_start();
    let Some(rest) = trimmed
        .get(..10)
        .filter(|head| head.eq_ignore_ascii_case("facultatif"))
        .map(|_| &trimmed[10..])
    else {
        return hint.to_owned();
    };
    let rest = rest.trim_start_matches([' ', '\u{a0}', ':', ',', '.', ';', '-', '–']);
    let rest = match rest.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("mais ") => &rest[5..],
        _ => rest,
    };
    let mut chars = rest.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn length_hint(max: u64, lang: Lang) -> String {
    lang.text_with("field-max-length", &[("max", max.into())])
}

fn range_text(min: Option<f64>, max: Option<f64>, lang: Lang) -> String {
    let number = |n: f64| match lang {
        Lang::Fr => n.to_string().replace('.', ","),
        Lang::En => n.to_string(),
    };
    match (min, max) {
        (Some(min), Some(max)) => lang.text_with(
            "field-range-between",
            &[("min", number(min).into()), ("max", number(max).into())],
        ),
        (Some(min), None) => lang.text_with("field-range-min", &[("min", number(min).into())]),
        (None, Some(max)) => lang.text_with("field-range-max", &[("max", number(max).into())]),
        (None, None) => String::new(),
    }
}

/// The first option of a group carries the field's own id, so error links land on it.
fn choice_id(field_id: &str, index: usize) -> String {
    if index == 0 {
        field_id.to_owned()
    } else {
        format!("{field_id}-{index}")
    }
}

fn describe_condition(
    condition: Option<&Condition>,
    all: &[Field],
    lang: Lang,
) -> (String, String, bool, String) {
    let Some(condition) = condition else {
        return Default::default();
    };
    let controlling = find(all, &condition.path);
    let label_of = |v: &Value| match controlling.map(|f| &f.kind) {
        Some(FieldKind::Choice { choices, .. }) => choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| value_text(v), |c| c.label.clone()),
        _ => value_text(v),
    };
    let values: Vec<String> = condition.values.iter().map(label_of).collect();
    let name = controlling.map_or_else(|| condition.path.join("."), |f| f.label.clone());
    let key = if condition.negate {
        "field-condition-not"
    } else {
        "field-condition"
    };
    let or = format!(" {} ", lang.text("field-files-or"));
    let text = lang.text_with(
        key,
        &[("name", name.into()), ("values", values.join(&or).into())],
    );
    let values = condition
        .values
        .iter()
        .map(value_text)
        .collect::<Vec<_>>()
        .join("|");
    (condition.path.join("."), values, condition.negate, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(length_hint(1, Lang::Fr), "1 caractère maximum.");
        assert_eq!(length_hint(200, Lang::Fr), "200 caractères maximum.");
        assert_eq!(length_hint(1, Lang::En), "1 character maximum.");
        assert_eq!(length_hint(200, Lang::En), "200 characters maximum.");
    }

    #[test]
    fn an_optional_fields_hint_does_not_say_facultatif_twice() {
        assert_eq!(
            without_optional_prefix("Facultatif : pour être informé de l'intervention."),
            "Pour être informé de l'intervention."
        );
        assert_eq!(
            without_optional_prefix("Facultatif, mais obligatoire si vous laissez un e-mail."),
            "Obligatoire si vous laissez un e-mail."
        );
        assert_eq!(without_optional_prefix("Facultatif."), "");
        assert_eq!(
            without_optional_prefix("Le numéro sur le couvercle."),
            "Le numéro sur le couvercle."
        );
    }
}
