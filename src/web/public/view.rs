//! View models for the generated form and its review page: the field model flattened into
//! rows a template can loop over (askama templates cannot recurse), with the person's
//! values and the error messages put back next to each field.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalogue::fields::{
    ChoiceWidget, Condition, Field, FieldKind, TextInput, find, value_text,
};
use crate::intake::coerce::Posted;

pub struct ChoiceView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// One row of the form: a control, or the opening or closing of a fieldset.
pub struct Row {
    /// open, close, text, textarea, number, checkbox, radio, select or checkboxes.
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

/// Rows for the whole form. `errors` maps field JSON Pointers to messages.
pub fn rows(fields: &[Field], posted: &Posted, errors: &HashMap<String, String>) -> Vec<Row> {
    let mut out = Vec::new();
    for field in fields {
        push_rows(field, fields, posted, errors, &mut out);
    }
    out
}

fn push_rows(
    field: &Field,
    all: &[Field],
    posted: &Posted,
    errors: &HashMap<String, String>,
    out: &mut Vec<Row>,
) {
    let mut row = Row::new("text");
    row.id = field_id(field);
    row.name = field.name();
    row.label = field.label.clone();
    row.required = field.required
        || field
            .condition
            .as_ref()
            .is_some_and(|c| c.required_when_shown);
    row.autocomplete = field.autocomplete.clone().unwrap_or_default();
    row.value = posted.first(&row.name).unwrap_or_default().to_owned();
    row.error = errors.get(&field.pointer()).cloned().unwrap_or_default();
    (
        row.show_when,
        row.show_values,
        row.show_negate,
        row.condition_text,
    ) = describe_condition(field.condition.as_ref(), all);
    let mut hints: Vec<String> = field.hint.iter().cloned().collect();
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
                hints.push("Par exemple : 14/03/2026.".into());
            }
            hints.extend(max_length.map(length_hint));
        }
        FieldKind::Textarea { max_length } => {
            row.kind = "textarea";
            hints.extend(max_length.map(length_hint));
        }
        FieldKind::Integer { min, max } | FieldKind::Number { min, max } => {
            row.kind = "number";
            row.inputmode = if matches!(field.kind, FieldKind::Integer { .. }) {
                "numeric"
            } else {
                "decimal"
            };
            row.range = range_text(*min, *max);
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
                    label: c.label.clone(),
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
                    label: c.label.clone(),
                    checked: selected.contains(&c.value_text()),
                })
                .collect();
        }
        FieldKind::Attachment(rules) => {
            row.kind = "file";
            row.accept = rules.types.join(",");
            row.multiple = rules.max_count > 1;
            hints.push(attachment_hint(rules));
        }
        FieldKind::Group { fields } => {
            row.kind = "open";
            row.hint = hints.join(" ");
            out.push(row);
            for child in fields {
                push_rows(child, all, posted, errors, out);
            }
            out.push(Row::new("close"));
            return;
        }
    }
    row.hint = hints.join(" ");
    out.push(row);
}

/// "Jusqu'à 3 fichiers de 5 Mo chacun au plus, formats JPEG ou PNG."
pub fn attachment_hint(rules: &crate::catalogue::fields::AttachmentRules) -> String {
    let size = if rules.max_bytes >= 1024 * 1024 {
        format!("{} Mo", rules.max_bytes / (1024 * 1024))
    } else {
        format!("{} Ko", rules.max_bytes.div_ceil(1024))
    };
    let formats: Vec<String> = rules.types.iter().map(|t| type_label(t)).collect();
    let count = if rules.max_count > 1 {
        format!(
            "Jusqu'à {} fichiers de {size} chacun au plus",
            rules.max_count
        )
    } else {
        format!("Un fichier de {size} au plus")
    };
    format!(
        "{count}, format{} {}.",
        if formats.len() > 1 { "s" } else { "" },
        formats.join(" ou ")
    )
}

/// "JPEG" for image/jpeg, "PDF" for application/pdf.
pub fn type_label(media_type: &str) -> String {
    media_type
        .rsplit('/')
        .next()
        .unwrap_or(media_type)
        .to_uppercase()
}

fn length_hint(max: u64) -> String {
    format!("{max} caractère{} maximum.", if max > 1 { "s" } else { "" })
}

fn range_text(min: Option<f64>, max: Option<f64>) -> String {
    let number = |n: f64| n.to_string().replace('.', ",");
    match (min, max) {
        (Some(min), Some(max)) => format!("Entre {} et {}.", number(min), number(max)),
        (Some(min), None) => format!("Au moins {}.", number(min)),
        (None, Some(max)) => format!("Au plus {}.", number(max)),
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
    let text = if condition.negate {
        format!(
            "À remplir seulement si « {name} » n'est pas : {}.",
            values.join(" ou ")
        )
    } else {
        format!(
            "À remplir seulement si « {name} » est : {}.",
            values.join(" ou ")
        )
    };
    let values = condition
        .values
        .iter()
        .map(value_text)
        .collect::<Vec<_>>()
        .join("|");
    (condition.path.join("."), values, condition.negate, text)
}

/// One line of the "check your answers" page.
pub struct Answer {
    pub label: String,
    pub value: String,
}

/// Answers under one heading (a fieldset's legend; none for top-level answers).
pub struct Section {
    pub heading: String,
    pub answers: Vec<Answer>,
}

/// The answers as they will be sent (the coerced data), with the labels the person saw,
/// in sections that follow the form's fieldsets.
pub fn answers(fields: &[Field], data: &Value) -> Vec<Section> {
    let mut sections = vec![Section {
        heading: String::new(),
        answers: Vec::new(),
    }];
    collect(fields, data, &mut sections);
    sections.retain(|s| !s.answers.is_empty());
    sections
}

fn collect(fields: &[Field], data: &Value, sections: &mut Vec<Section>) {
    let resume = sections
        .last()
        .map(|s| s.heading.clone())
        .unwrap_or_default();
    for field in fields {
        let key = field.path.last().map(String::as_str).unwrap_or_default();
        let Some(value) = data.get(key) else { continue };
        if let FieldKind::Group { fields } = &field.kind {
            sections.push(Section {
                heading: field.label.clone(),
                answers: Vec::new(),
            });
            collect(fields, value, sections);
            // Answers after a fieldset belong to the enclosing level again.
            sections.push(Section {
                heading: resume.clone(),
                answers: Vec::new(),
            });
            continue;
        }
        if let Some(section) = sections.last_mut() {
            section.answers.push(Answer {
                label: field.label.clone(),
                value: answer_text(field, value),
            });
        }
    }
}

/// An answer as people read it: a choice by its label, yes/no in words, a decimal comma,
/// dates the French way, files by their names. The data keeps ISO dates (the API and
/// webhooks give them as stored); only what a person reads changes.
pub fn answer_text(field: &Field, value: &Value) -> String {
    let label_of = |v: &Value, choices: &[crate::catalogue::fields::Choice]| {
        choices
            .iter()
            .find(|c| &c.value == v)
            .map_or_else(|| value_text(v), |c| c.label.clone())
    };
    match (&field.kind, value) {
        (FieldKind::Boolean, Value::Bool(b)) => if *b { "Oui" } else { "Non" }.to_owned(),
        (FieldKind::Choice { choices, .. }, v) => label_of(v, choices),
        (FieldKind::MultiChoice { choices }, Value::Array(items)) => items
            .iter()
            .map(|v| label_of(v, choices))
            .collect::<Vec<_>>()
            .join(", "),
        (FieldKind::Number { .. }, v) => value_text(v).replace('.', ","),
        (
            FieldKind::Text {
                input: TextInput::Date,
                ..
            },
            Value::String(text),
        ) => iso_date_fr(text).unwrap_or_else(|| text.clone()),
        (
            FieldKind::Text {
                input: TextInput::DateTime,
                ..
            },
            Value::String(text),
        ) => date_time_fr(text).unwrap_or_else(|| text.clone()),
        (FieldKind::Attachment(_), Value::Array(files)) => files
            .iter()
            .filter_map(|f| f.get("name").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(", "),
        (_, v) => value_text(v),
    }
}

/// "2026-03-14" → "14/03/2026", as the form's hint writes it; `None` if it is no ISO date.
pub fn iso_date_fr(iso: &str) -> Option<String> {
    let date = time::Date::parse(
        iso,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(format!(
        "{:02}/{:02}/{}",
        date.day(),
        u8::from(date.month()),
        date.year()
    ))
}

/// An RFC 3339 date-time → "14/03/2026 à 10 h 30", in French legal time like every other
/// time people read; `None` if it is not one.
fn date_time_fr(rfc3339: &str) -> Option<String> {
    let at = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()?;
    Some(super::date_fr(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(length_hint(1), "1 caractère maximum.");
        assert_eq!(length_hint(200), "200 caractères maximum.");
    }

    #[test]
    fn dates_read_the_french_way_and_anything_else_as_typed() {
        let fields = crate::catalogue::fields::build(&json!({
            "type": "object",
            "properties": {
                "jour": {"type": "string", "format": "date", "title": "Jour"},
                "rdv": {"type": "string", "format": "date-time", "title": "Rendez-vous"},
                "texte": {"type": "string", "title": "Texte"}
            }
        }))
        .unwrap();
        let text = |name: &str, value: Value| {
            let field = fields.iter().find(|f| f.path == [name]).unwrap();
            answer_text(field, &value)
        };
        assert_eq!(text("jour", json!("2026-03-14")), "14/03/2026");
        assert_eq!(text("jour", json!("2026-02-30")), "2026-02-30");
        assert_eq!(
            text("rdv", json!("2026-03-14T09:30:00Z")),
            "14/03/2026 à 10 h 30"
        );
        assert_eq!(
            text("rdv", json!("2026-07-01T08:05:00+02:00")),
            "01/07/2026 à 08 h 05"
        );
        assert_eq!(text("rdv", json!("demain")), "demain");
        assert_eq!(text("texte", json!("2026-03-14")), "2026-03-14");
    }
}
