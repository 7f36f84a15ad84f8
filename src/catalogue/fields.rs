//! The field model of a form: its JSON Schema read as the questions a person answers.
//!
//! The renderer draws these fields and intake coerces posted values with them, so the HTML
//! form, the coercion and the validation always agree. Building the model also finds what a
//! designer can get wrong (an unsupported type, a condition naming a missing property, a
//! circular `$ref`), reported as JSON Pointers into the definition.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// `$ref` chains and nested objects deeper than this are refused (and stop circular refs).
const MAX_DEPTH: usize = 12;
/// More choices than this are shown as a `<select>` by default.
const MAX_RADIOS: usize = 5;

#[derive(Debug, Clone)]
pub struct Field {
    /// Property names from the root, e.g. `["adresse", "rue"]`.
    pub path: Vec<String>,
    pub label: String,
    pub hint: Option<String>,
    pub required: bool,
    pub kind: FieldKind,
    /// Shown (and kept) only when a sibling field has one of some values.
    pub condition: Option<Condition>,
    /// The designer's French explanation of `pattern`, shown when it does not match.
    pub pattern_message: Option<String>,
    /// `x-autocomplete`: the HTML autocomplete token (`name`, `address-line1`…), so
    /// browsers and assistive tools can fill the field (WCAG 1.3.5).
    pub autocomplete: Option<String>,
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Text {
        input: TextInput,
        max_length: Option<u64>,
    },
    Textarea {
        max_length: Option<u64>,
    },
    Integer {
        min: Option<f64>,
        max: Option<f64>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    Choice {
        choices: Vec<Choice>,
        widget: ChoiceWidget,
    },
    MultiChoice {
        choices: Vec<Choice>,
    },
    Group {
        fields: Vec<Field>,
    },
    /// Files (`x-attachment` on an array property): the data holds one
    /// `{sha256, name, type, size}` object per file.
    Attachment(AttachmentRules),
}

/// What an attachment field accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRules {
    pub max_bytes: u64,
    /// Media types, as sniffed from the content (`image/jpeg`, `application/pdf`…).
    pub types: Vec<String>,
    pub max_count: u32,
}

/// The largest file a form may accept, whatever it declares.
pub const MAX_ATTACHMENT_BYTES: u64 = 20 * 1024 * 1024;
/// The most files one field may take.
pub const MAX_ATTACHMENT_COUNT: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextInput {
    Text,
    Email,
    Date,
    /// `format: date-time`: typed as text (a browser's `datetime-local` sends no time zone,
    /// which RFC 3339 requires), shown to people as a French date and time.
    DateTime,
    Tel,
}

impl TextInput {
    pub fn html_type(self) -> &'static str {
        match self {
            TextInput::Text | TextInput::DateTime => "text",
            TextInput::Email => "email",
            TextInput::Date => "date",
            TextInput::Tel => "tel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceWidget {
    Radio,
    Select,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: Value,
    pub label: String,
}

impl Choice {
    /// The value as it travels in an HTML form.
    pub fn value_text(&self) -> String {
        value_text(&self.value)
    }
}

pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct Condition {
    /// Path of the controlling field.
    pub path: Vec<String>,
    pub values: Vec<Value>,
    /// True for an `else` branch: shown when the field has none of the values.
    pub negate: bool,
    /// The branch lists the field in `required`: it must be answered whenever it is shown.
    pub required_when_shown: bool,
}

impl Condition {
    pub fn holds(&self, controlling_value: Option<&Value>) -> bool {
        let matches = controlling_value.is_some_and(|v| self.values.contains(v));
        matches != self.negate
    }
}

impl Field {
    pub fn name(&self) -> String {
        self.path.join(".")
    }

    pub fn pointer(&self) -> String {
        pointer_of(&self.path)
    }
}

pub fn pointer_of(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Every field, depth first, groups included.
/// The attachment fields, at any depth.
pub fn attachments(fields: &[Field]) -> Vec<&Field> {
    walk(fields)
        .into_iter()
        .filter(|f| matches!(f.kind, FieldKind::Attachment(_)))
        .collect()
}

pub fn walk(fields: &[Field]) -> Vec<&Field> {
    let mut out = Vec::new();
    for field in fields {
        out.push(field);
        if let FieldKind::Group { fields } = &field.kind {
            out.extend(walk(fields));
        }
    }
    out
}

/// The field at a path, or the closest field above it (`/objets/0` → the `objets` field).
pub fn nearest<'a>(fields: &'a [Field], path: &[String]) -> Option<&'a Field> {
    (1..=path.len())
        .rev()
        .find_map(|n| find(fields, &path[..n]))
}

/// The field at a path, if the form has one.
pub fn find<'a>(fields: &'a [Field], path: &[String]) -> Option<&'a Field> {
    let (first, rest) = path.split_first()?;
    let field = fields.iter().find(|f| f.path.last() == Some(first))?;
    if rest.is_empty() {
        return Some(field);
    }
    match &field.kind {
        FieldKind::Group { fields } => find(fields, rest),
        _ => None,
    }
}

/// Builds the field model of a (commune-injected) form schema.
pub fn build(schema: &Value) -> Result<Vec<Field>, Vec<(String, String)>> {
    let mut builder = Builder {
        root: schema,
        problems: Vec::new(),
    };
    let fields = match schema.as_object() {
        Some(object) => builder.object_fields(object, &[], "", 0),
        None => Vec::new(),
    };
    if builder.problems.is_empty() {
        Ok(fields)
    } else {
        Err(builder.problems)
    }
}

struct Builder<'a> {
    root: &'a Value,
    problems: Vec<(String, String)>,
}

impl Builder<'_> {
    fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems.push((pointer.to_owned(), message.into()));
    }

    /// Follows `$ref`s to `#/...`, merging sibling keywords over the target's, as 2020-12 does.
    fn resolve(&mut self, node: &Map<String, Value>, pointer: &str) -> Option<Map<String, Value>> {
        let mut merged = node.clone();
        for _ in 0..MAX_DEPTH {
            let Some(reference) = merged.remove("$ref") else {
                return Some(merged);
            };
            let Some(target) = reference
                .as_str()
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|p| self.root.pointer(p))
                .and_then(Value::as_object)
            else {
                self.problem(
                    &format!("{pointer}/$ref"),
                    format!("$ref {reference} does not point to a schema in this file (use \"#/$defs/name\")"),
                );
                return None;
            };
            let mut next = target.clone();
            for (key, value) in merged {
                next.insert(key, value);
            }
            merged = next;
        }
        self.problem(pointer, "$ref chain too deep or circular");
        None
    }

    fn object_fields(
        &mut self,
        object: &Map<String, Value>,
        path: &[String],
        pointer: &str,
        depth: usize,
    ) -> Vec<Field> {
        if depth > MAX_DEPTH {
            self.problem(pointer, "objects are nested too deeply (circular $ref?)");
            return Vec::new();
        }
        let empty = Map::new();
        let properties = object
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let conditions = self.conditions(object, properties, path, pointer);
        self.check_dependent_required(object, properties, pointer);

        let mut ordered: Vec<(usize, i64, &String, &Value)> = properties
            .iter()
            .enumerate()
            .map(|(i, (name, prop))| {
                let order = prop
                    .get("x-order")
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX);
                (i, order, name, prop)
            })
            .collect();
        ordered.sort_by_key(|(i, order, _, _)| (*order, *i));

        let mut fields = Vec::new();
        for (_, _, name, prop) in ordered {
            let prop_pointer = format!("{pointer}/properties/{name}");
            let mut field_path = path.to_vec();
            field_path.push(name.clone());
            let Some(prop) = prop.as_object() else {
                self.problem(&prop_pointer, "a property must be a schema object");
                continue;
            };
            if let Some(mut field) = self.field(prop, field_path, &prop_pointer, depth) {
                field.required = required.contains(&name.as_str());
                field.condition = conditions.get(name.as_str()).cloned();
                fields.push(field);
            }
        }
        for name in &required {
            if !properties.contains_key(*name) {
                self.problem(
                    &format!("{pointer}/required"),
                    format!("« {name} » is required but is not a property"),
                );
            }
        }
        fields
    }

    fn field(
        &mut self,
        prop: &Map<String, Value>,
        path: Vec<String>,
        pointer: &str,
        depth: usize,
    ) -> Option<Field> {
        let prop = self.resolve(prop, pointer)?;
        let label = prop
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| path.last().cloned().unwrap_or_default());
        let hint = prop
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let pattern_message = prop
            .get("x-pattern-message")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let autocomplete = prop
            .get("x-autocomplete")
            .and_then(Value::as_str)
            .filter(|t| {
                t.len() <= 64
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b' ')
            })
            .map(str::to_owned);
        let kind = self.kind(&prop, &path, pointer, depth)?;
        Some(Field {
            path,
            label,
            hint,
            required: false,
            kind,
            condition: None,
            pattern_message,
            autocomplete,
        })
    }

    fn kind(
        &mut self,
        prop: &Map<String, Value>,
        path: &[String],
        pointer: &str,
        depth: usize,
    ) -> Option<FieldKind> {
        let widget = prop.get("x-widget").and_then(Value::as_str);
        let number = |key: &str| prop.get(key).and_then(Value::as_f64);
        let max_length = prop.get("maxLength").and_then(Value::as_u64);
        if let Some(choices) = self.choices(prop, pointer) {
            let widget = match widget {
                Some("select") => ChoiceWidget::Select,
                Some("radio") => ChoiceWidget::Radio,
                _ if choices.len() > MAX_RADIOS => ChoiceWidget::Select,
                _ => ChoiceWidget::Radio,
            };
            return Some(FieldKind::Choice { choices, widget });
        }
        match schema_type(prop) {
            Some("object") => {
                let fields = self.object_fields(prop, path, pointer, depth + 1);
                Some(FieldKind::Group { fields })
            }
            Some("array") if prop.contains_key("x-attachment") => self
                .attachment_rules(prop, pointer)
                .map(FieldKind::Attachment),
            Some("array") => {
                let items_pointer = format!("{pointer}/items");
                let items = prop
                    .get("items")
                    .and_then(Value::as_object)
                    .and_then(|items| self.resolve(items, &items_pointer));
                match items.and_then(|items| self.choices(&items, &items_pointer)) {
                    Some(choices) => Some(FieldKind::MultiChoice { choices }),
                    None => {
                        self.problem(pointer, "arrays are supported only as a list of choices (items with enum or oneOf of const)");
                        None
                    }
                }
            }
            Some("string") => {
                let input = match prop.get("format").and_then(Value::as_str) {
                    Some("email") => TextInput::Email,
                    Some("date") => TextInput::Date,
                    Some("date-time") => TextInput::DateTime,
                    Some("tel") => TextInput::Tel,
                    _ => TextInput::Text,
                };
                if widget == Some("textarea") {
                    Some(FieldKind::Textarea { max_length })
                } else {
                    Some(FieldKind::Text { input, max_length })
                }
            }
            Some("integer") => Some(FieldKind::Integer {
                min: number("minimum"),
                max: number("maximum"),
            }),
            Some("number") => Some(FieldKind::Number {
                min: number("minimum"),
                max: number("maximum"),
            }),
            Some("boolean") => Some(FieldKind::Boolean),
            Some(other) => {
                self.problem(
                    pointer,
                    format!("type « {other} » cannot be shown in a form"),
                );
                None
            }
            None => {
                self.problem(pointer, "the property has no `type` (string, integer, number, boolean, object or array)");
                None
            }
        }
    }

    /// `x-attachment: {max_bytes, types, max_count}`, checked against the hard limits.
    fn attachment_rules(
        &mut self,
        prop: &Map<String, Value>,
        pointer: &str,
    ) -> Option<AttachmentRules> {
        let block = prop.get("x-attachment").and_then(Value::as_object);
        let Some(block) = block else {
            self.problem(
                &format!("{pointer}/x-attachment"),
                "x-attachment must be an object {max_bytes, types, max_count}",
            );
            return None;
        };
        let max_bytes = block
            .get("max_bytes")
            .and_then(Value::as_u64)
            .unwrap_or(5 * 1024 * 1024);
        let max_count = block.get("max_count").and_then(Value::as_u64).unwrap_or(1);
        let types: Vec<String> = block
            .get("types")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut ok = true;
        if max_bytes == 0 || max_bytes > MAX_ATTACHMENT_BYTES {
            self.problem(
                &format!("{pointer}/x-attachment/max_bytes"),
                format!("max_bytes must be between 1 and {MAX_ATTACHMENT_BYTES}"),
            );
            ok = false;
        }
        if max_count == 0 || max_count > u64::from(MAX_ATTACHMENT_COUNT) {
            self.problem(
                &format!("{pointer}/x-attachment/max_count"),
                format!("max_count must be between 1 and {MAX_ATTACHMENT_COUNT}"),
            );
            ok = false;
        }
        if types.is_empty() || types.iter().any(|t| !t.contains('/')) {
            self.problem(&format!("{pointer}/x-attachment/types"), "types lists the accepted media types, e.g. [\"image/jpeg\", \"image/png\", \"application/pdf\"]");
            ok = false;
        }
        ok.then_some(AttachmentRules {
            max_bytes,
            types,
            max_count: max_count as u32,
        })
    }

    /// Labelled choices from `enum` or `oneOf: [{const, title}]`.
    fn choices(&mut self, prop: &Map<String, Value>, pointer: &str) -> Option<Vec<Choice>> {
        if let Some(values) = prop.get("enum").and_then(Value::as_array) {
            return Some(
                values
                    .iter()
                    .map(|v| Choice {
                        value: v.clone(),
                        label: value_text(v),
                    })
                    .collect(),
            );
        }
        let one_of = prop.get("oneOf").and_then(Value::as_array)?;
        let mut choices = Vec::new();
        for (i, option) in one_of.iter().enumerate() {
            let Some(value) = option.get("const") else {
                self.problem(
                    &format!("{pointer}/oneOf/{i}"),
                    "each labelled choice needs `const` (and a `title`)",
                );
                return None;
            };
            let label = option
                .get("title")
                .and_then(Value::as_str)
                .map_or_else(|| value_text(value), str::to_owned);
            choices.push(Choice {
                value: value.clone(),
                label,
            });
        }
        Some(choices)
    }

    /// Conditions from `if`/`then`/`else`, at this level or in its `allOf`.
    fn conditions(
        &mut self,
        object: &Map<String, Value>,
        properties: &Map<String, Value>,
        path: &[String],
        pointer: &str,
    ) -> HashMap<String, Condition> {
        let mut branches: Vec<(String, &Map<String, Value>)> = vec![(pointer.to_owned(), object)];
        if let Some(all_of) = object.get("allOf").and_then(Value::as_array) {
            for (i, item) in all_of.iter().enumerate() {
                if let Some(item) = item.as_object() {
                    branches.push((format!("{pointer}/allOf/{i}"), item));
                }
            }
        }
        let mut conditions = HashMap::new();
        for (at, branch) in branches {
            let Some(condition) = branch.get("if").and_then(Value::as_object) else {
                continue;
            };
            let tested = condition.get("properties").and_then(Value::as_object);
            let mut controlling = None;
            for (name, test) in tested.into_iter().flatten() {
                if !properties.contains_key(name) {
                    self.problem(
                        &format!("{at}/if/properties/{name}"),
                        format!(
                            "the condition tests « {name} », which is not a property of this form"
                        ),
                    );
                    continue;
                }
                let values = match (
                    test.get("const"),
                    test.get("enum").and_then(Value::as_array),
                ) {
                    (Some(value), _) => vec![value.clone()],
                    (None, Some(values)) => values.clone(),
                    _ => continue,
                };
                // Without `required`, JSON Schema's `if` holds when the field is absent, so
                // `then` would demand a field the form hides: refuse the ambiguity.
                let tested_is_required = condition
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(name)));
                if !tested_is_required {
                    self.problem(
                        &format!("{at}/if"),
                        format!("the condition tests « {name} » but does not list it in `required`: add \"required\": [\"{name}\"] to `if`, otherwise the `then` branch also applies when « {name} » is not answered"),
                    );
                }
                let mut controlling_path = path.to_vec();
                controlling_path.push(name.clone());
                controlling = Some((controlling_path, values));
            }
            for (key, negate) in [("then", false), ("else", true)] {
                let Some(branch_schema) = branch.get(key).and_then(Value::as_object) else {
                    continue;
                };
                let required: Vec<String> = branch_schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                let mut named = required.clone();
                named.extend(
                    branch_schema
                        .get("properties")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|p| p.keys().cloned()),
                );
                for name in named {
                    if !properties.contains_key(&name) {
                        self.problem(
                            &format!("{at}/{key}"),
                            format!(
                                "« {name} » is named in `{key}` but is not a property of this form"
                            ),
                        );
                        continue;
                    }
                    if let Some((controlling_path, values)) = &controlling {
                        let required_when_shown = required.contains(&name);
                        conditions.insert(
                            name,
                            Condition {
                                path: controlling_path.clone(),
                                values: values.clone(),
                                negate,
                                required_when_shown,
                            },
                        );
                    }
                }
            }
        }
        conditions
    }

    fn check_dependent_required(
        &mut self,
        object: &Map<String, Value>,
        properties: &Map<String, Value>,
        pointer: &str,
    ) {
        let Some(dependent) = object.get("dependentRequired").and_then(Value::as_object) else {
            return;
        };
        for (name, needs) in dependent {
            let mut names = vec![name.as_str()];
            names.extend(
                needs
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
            for missing in names.into_iter().filter(|n| !properties.contains_key(*n)) {
                self.problem(&format!("{pointer}/dependentRequired/{name}"), format!("« {missing} » is named in dependentRequired but is not a property of this form"));
            }
        }
    }
}

fn schema_type(prop: &Map<String, Value>) -> Option<&str> {
    match prop.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ if prop.contains_key("properties") => Some("object"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_every_supported_kind() {
        let schema = json!({
            "type": "object",
            "required": ["motif"],
            "properties": {
                "motif": {"type": "string", "title": "Motif", "oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}]},
                "n": {"type": "integer", "minimum": 1, "maximum": 20, "x-order": 0},
                "texte": {"type": "string", "x-widget": "textarea"},
                "mail": {"type": "string", "format": "email"},
                "ok": {"type": "boolean"},
                "objets": {"type": "array", "items": {"enum": ["x", "y"]}},
                "adresse": {"$ref": "#/$defs/adresse", "title": "Adresse"}
            },
            "$defs": {"adresse": {"type": "object", "properties": {"rue": {"type": "string"}}, "required": ["rue"]}},
            "allOf": [{"if": {"properties": {"motif": {"const": "a"}}, "required": ["motif"]}, "then": {"required": ["texte"]}}]
        });
        let fields = build(&schema).unwrap();
        assert_eq!(fields[0].name(), "n", "x-order puts n first");
        let motif = find(&fields, &["motif".into()]).unwrap();
        assert!(motif.required);
        assert!(
            matches!(&motif.kind, FieldKind::Choice { widget: ChoiceWidget::Radio, choices } if choices.len() == 2)
        );
        let texte = find(&fields, &["texte".into()]).unwrap();
        assert!(texte.condition.as_ref().unwrap().holds(Some(&json!("a"))));
        assert!(!texte.condition.as_ref().unwrap().holds(Some(&json!("b"))));
        let rue = find(&fields, &["adresse".into(), "rue".into()]).unwrap();
        assert!(rue.required);
        assert_eq!(rue.pointer(), "/adresse/rue");
        assert_eq!(find(&fields, &["adresse".into()]).unwrap().label, "Adresse");
        assert!(matches!(
            find(&fields, &["objets".into()]).unwrap().kind,
            FieldKind::MultiChoice { .. }
        ));
    }

    #[test]
    fn circular_refs_and_bad_conditions_are_reported() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/loop"}, "b": {"type": "string"}},
            "$defs": {"loop": {"type": "object", "properties": {"again": {"$ref": "#/$defs/loop"}}}},
            "dependentRequired": {"b": ["ghost"]},
            "if": {"properties": {"nope": {"const": 1}}}, "then": {"required": ["phantom"]},
            "allOf": [{"if": {"properties": {"b": {"const": "x"}}}, "then": {"required": ["b"]}}]
        });
        let problems = build(&schema).unwrap_err();
        let text = format!("{problems:?}");
        assert!(text.contains("too deeply"), "{text}");
        assert!(text.contains("ghost"), "{text}");
        assert!(text.contains("nope"), "{text}");
        assert!(text.contains("phantom"), "{text}");
        assert!(text.contains("does not list it in `required`"), "{text}");
    }
}
