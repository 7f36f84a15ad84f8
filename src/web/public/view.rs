//! View models for the generated form and its review page: the field model flattened into
//! rows a template can loop over (askama templates cannot recurse), with the person's
//! values and the error messages put back next to each field.

use std::collections::HashMap;

use crate::catalogue::fields::{Condition, Field, FieldKind, find, value_text};
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
    pub hint: String,
    pub required: bool,
    pub input_type: &'static str,
    pub inputmode: &'static str,
    pub value: String,
    pub checked: bool,
    pub choices: Vec<ChoiceView>,
    pub min: String,
    pub max: String,
    pub maxlength: String,
    pub error: String,
    /// Name of the field this one depends on; empty when unconditional.
    pub show_when: String,
    /// The values, separated by `|`, that show this row (or hide it, when negated).
    pub show_values: String,
    pub show_negate: bool,
    /// The condition in words, for people without JavaScript.
    pub condition_text: String,
}

impl Row {
    /// Ids of the hint and error, for `aria-describedby`.
    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() || !self.condition_text.is_empty() {
            ids.push(format!("{}-hint", self.id));
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

/// Rows for the whole form. `errors` maps JSON Pointers to messages.
pub fn rows(
    fields: &[Field],
    all: &[Field],
    posted: &Posted,
    errors: &HashMap<String, String>,
) -> Vec<Row> {
    let mut out = Vec::new();
    for field in fields {
        push_rows(field, all, posted, errors, &mut out);
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
    let id = field_id(field);
    let name = field.name();
    let (show_when, show_values, show_negate, condition_text) =
        describe_condition(field.condition.as_ref(), all);
    let number = |n: &Option<f64>| n.map(|v| v.to_string()).unwrap_or_default();
    let mut row = Row {
        kind: "text",
        id: id.clone(),
        name: name.clone(),
        label: field.label.clone(),
        hint: field.hint.clone().unwrap_or_default(),
        required: field.required
            || field
                .condition
                .as_ref()
                .is_some_and(|c| c.required_when_shown),
        input_type: "text",
        inputmode: "",
        value: posted.first(&name).unwrap_or_default().to_owned(),
        checked: false,
        choices: Vec::new(),
        min: String::new(),
        max: String::new(),
        maxlength: String::new(),
        error: errors.get(&field.pointer()).cloned().unwrap_or_default(),
        show_when,
        show_values,
        show_negate,
        condition_text,
    };
    match &field.kind {
        FieldKind::Text { input, max_length } => {
            row.input_type = input.html_type();
            row.maxlength = max_length.map(|m| m.to_string()).unwrap_or_default();
        }
        FieldKind::Textarea { max_length } => {
            row.kind = "textarea";
            row.maxlength = max_length.map(|m| m.to_string()).unwrap_or_default();
        }
        FieldKind::Integer { min, max } => {
            row.kind = "number";
            row.inputmode = "numeric";
            (row.min, row.max) = (number(min), number(max));
        }
        FieldKind::Number { min, max } => {
            row.kind = "number";
            row.inputmode = "decimal";
            (row.min, row.max) = (number(min), number(max));
        }
        FieldKind::Boolean => {
            row.kind = "checkbox";
            row.checked = posted
                .first(&name)
                .is_some_and(|v| matches!(v, "true" | "on" | "1" | "oui"));
        }
        FieldKind::Choice { choices, widget } => {
            row.kind = match widget {
                crate::catalogue::fields::ChoiceWidget::Radio => "radio",
                crate::catalogue::fields::ChoiceWidget::Select => "select",
            };
            let selected = posted.first(&name).unwrap_or_default().to_owned();
            row.choices = choices
                .iter()
                .enumerate()
                .map(|(i, c)| ChoiceView {
                    id: choice_id(&id, i),
                    value: c.value_text(),
                    label: c.label.clone(),
                    checked: c.value_text() == selected,
                })
                .collect();
        }
        FieldKind::MultiChoice { choices } => {
            row.kind = "checkboxes";
            let selected = posted.all(&name);
            row.choices = choices
                .iter()
                .enumerate()
                .map(|(i, c)| ChoiceView {
                    id: choice_id(&id, i),
                    value: c.value_text(),
                    label: c.label.clone(),
                    checked: selected.contains(&c.value_text()),
                })
                .collect();
        }
        FieldKind::Group { fields } => {
            row.kind = "open";
            out.push(row);
            for child in fields {
                push_rows(child, all, posted, errors, out);
            }
            out.push(Row {
                kind: "close",
                ..empty_row()
            });
            return;
        }
    }
    out.push(row);
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
    let label_of = |v: &serde_json::Value| match controlling.map(|f| &f.kind) {
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
    (
        condition.path.join("."),
        condition
            .values
            .iter()
            .map(value_text)
            .collect::<Vec<_>>()
            .join("|"),
        condition.negate,
        text,
    )
}

fn empty_row() -> Row {
    Row {
        kind: "",
        id: String::new(),
        name: String::new(),
        label: String::new(),
        hint: String::new(),
        required: false,
        input_type: "text",
        inputmode: "",
        value: String::new(),
        checked: false,
        choices: Vec::new(),
        min: String::new(),
        max: String::new(),
        maxlength: String::new(),
        error: String::new(),
        show_when: String::new(),
        show_values: String::new(),
        show_negate: false,
        condition_text: String::new(),
    }
}

/// One line of the "check your answers" page.
pub struct Answer {
    pub label: String,
    pub value: String,
    /// A fieldset's heading rather than an answer.
    pub heading: bool,
}

/// The answers as the person will send them (coerced data), with the labels they saw.
pub fn answers(fields: &[Field], data: &serde_json::Value) -> Vec<Answer> {
    let mut out = Vec::new();
    for field in fields {
        let key = field.path.last().map(String::as_str).unwrap_or_default();
        let value = data.get(key);
        match &field.kind {
            FieldKind::Group { fields } => {
                if let Some(inner) = value {
                    out.push(Answer {
                        label: field.label.clone(),
                        value: String::new(),
                        heading: true,
                    });
                    out.extend(answers(fields, inner));
                }
            }
            kind => {
                let Some(value) = value else { continue };
                let text = match (kind, value) {
                    (FieldKind::Boolean, serde_json::Value::Bool(b)) => {
                        if *b { "Oui" } else { "Non" }.to_owned()
                    }
                    (FieldKind::Choice { choices, .. }, v) => choices
                        .iter()
                        .find(|c| &c.value == v)
                        .map_or_else(|| value_text(v), |c| c.label.clone()),
                    (FieldKind::MultiChoice { choices }, serde_json::Value::Array(items)) => items
                        .iter()
                        .map(|v| {
                            choices
                                .iter()
                                .find(|c| &c.value == v)
                                .map_or_else(|| value_text(v), |c| c.label.clone())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    (_, v) => value_text(v).replace(
                        '.',
                        if matches!(kind, FieldKind::Number { .. }) {
                            ","
                        } else {
                            "."
                        },
                    ),
                };
                out.push(Answer {
                    label: field.label.clone(),
                    value: text,
                    heading: false,
                });
            }
        }
    }
    out
}
