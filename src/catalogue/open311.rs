//! Open311 GeoReport v2 as the catalogue sees it: each citizen form is one Open311
//! service, and this module says what that service is made of.
//!
//! - The mapping block, `x-guichet.open311`: which of the form's fields receive the
//!   standard arguments of a `POST requests` (`lat`, `long`, `address_string`, `email`,
//!   `name` for `first_name` + `last_name`, `phone`, `description`), as JSON Pointers. It is
//!   checked when the form loads: each pointer must name a property of the right type.
//! - The service definition: the form's other questions as Open311 attributes. A nested
//!   question's code is its path joined with `/` (`adresse/rue`); files are not offered
//!   (Open311 cannot send them); a yes/no question is a `singlevaluelist` of `true` and
//!   `false`, since the standard has no boolean datatype.
//!
//! How arguments become a form's data is intake's business (`intake::open311`).

use serde::{Deserialize, Serialize};

use super::fields::{self, Field, FieldKind, TextInput};
use super::form::Form;

/// The `x-guichet.open311` block: the form's field for each standard argument it takes.
/// A standard argument a form does not map is ignored when sent (a generic application
/// sends them all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    pub email: Option<String>,
    /// `first_name` and `last_name`, joined with a space.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
}

/// A standard argument of `POST requests` that a form's field can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    Lat,
    Long,
    AddressString,
    Email,
    Name,
    Phone,
    Description,
}

impl Argument {
    pub const ALL: [Argument; 7] = [
        Argument::Lat,
        Argument::Long,
        Argument::AddressString,
        Argument::Email,
        Argument::Name,
        Argument::Phone,
        Argument::Description,
    ];

    /// The key in the mapping block.
    pub fn key(self) -> &'static str {
        match self {
            Argument::Lat => "lat",
            Argument::Long => "long",
            Argument::AddressString => "address_string",
            Argument::Email => "email",
            Argument::Name => "name",
            Argument::Phone => "phone",
            Argument::Description => "description",
        }
    }

    /// What the field must hold: a number for coordinates, text otherwise.
    fn takes_number(self) -> bool {
        matches!(self, Argument::Lat | Argument::Long)
    }
}

impl Mapping {
    pub fn pointer(&self, argument: Argument) -> Option<&str> {
        match argument {
            Argument::Lat => self.lat.as_deref(),
            Argument::Long => self.long.as_deref(),
            Argument::AddressString => self.address_string.as_deref(),
            Argument::Email => self.email.as_deref(),
            Argument::Name => self.name.as_deref(),
            Argument::Phone => self.phone.as_deref(),
            Argument::Description => self.description.as_deref(),
        }
    }

    /// The mapped arguments with their pointers.
    pub fn mapped(&self) -> impl Iterator<Item = (Argument, &str)> {
        Argument::ALL
            .into_iter()
            .filter_map(|a| self.pointer(a).map(|p| (a, p)))
    }

    /// The argument whose field is at `pointer`, if any.
    pub fn argument_at(&self, pointer: &str) -> Option<Argument> {
        self.mapped().find(|(_, p)| *p == pointer).map(|(a, _)| a)
    }

    /// What is wrong with the block, as (JSON Pointer into the definition, message).
    pub fn problems(&self, form_fields: &[Field], base: &str) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        for (argument, pointer) in self.mapped() {
            let at = format!("{base}/{}", argument.key());
            let key = argument.key();
            let Some(field) = path_of(pointer).and_then(|path| fields::find(form_fields, &path))
            else {
                problems.push((
                    at,
                    format!(
                        "open311.{key} « {pointer} » does not name a property of the form (write a JSON Pointer such as \"/localisation\")"
                    ),
                ));
                continue;
            };
            let fits = match &field.kind {
                FieldKind::Integer { .. } | FieldKind::Number { .. } => argument.takes_number(),
                FieldKind::Text { .. } | FieldKind::Textarea { .. } => !argument.takes_number(),
                _ => false,
            };
            if !fits {
                let wanted = if argument.takes_number() {
                    "a number (\"type\": \"number\")"
                } else {
                    "text (\"type\": \"string\", without choices)"
                };
                problems.push((
                    at,
                    format!("open311.{key} « {pointer} » must name a property holding {wanted}"),
                ));
            }
        }
        if self.lat.is_some() != self.long.is_some() {
            problems.push((
                base.to_owned(),
                "open311 maps lat and long together: give both, or neither".to_owned(),
            ));
        }
        problems
    }
}

/// A JSON Pointer's property names; `None` for what is not a pointer to a property.
pub fn path_of(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// One attribute of a service definition.
#[derive(Debug, Clone, Serialize)]
pub struct Attribute {
    pub variable: bool,
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

/// The form's questions Open311 clients answer as attributes, each with its field: every
/// question but files and those the mapping block gives to a standard argument (and the
/// groups holding them).
pub fn attribute_fields(form: &Form) -> Vec<(String, &Field)> {
    let mapping = form.meta.open311.clone().unwrap_or_default();
    let mapped: Vec<Vec<String>> = mapping.mapped().filter_map(|(_, p)| path_of(p)).collect();
    fields::walk(&form.fields)
        .into_iter()
        .filter(|f| !matches!(f.kind, FieldKind::Group { .. } | FieldKind::Attachment(_)))
        .filter(|f| !mapped.iter().any(|m| f.path.starts_with(m)))
        .map(|f| (f.path.join("/"), f))
        .collect()
}

/// The service definition's attributes, in the form's order.
pub fn attributes(form: &Form) -> Vec<Attribute> {
    attribute_fields(form)
        .into_iter()
        .zip(1..)
        .map(|((code, field), order)| attribute(code, field, order))
        .collect()
}

fn attribute(code: String, field: &Field, order: u32) -> Attribute {
    let (datatype, datatype_description, values) = match &field.kind {
        FieldKind::Text { input, max_length } => match input {
            TextInput::DateTime => (
                Datatype::Datetime,
                "Date et heure au format W3C, par exemple 2026-03-14T09:30:00+01:00.".to_owned(),
                Vec::new(),
            ),
            TextInput::Date => (
                Datatype::String,
                "Date au format AAAA-MM-JJ, par exemple 2026-03-14.".to_owned(),
                Vec::new(),
            ),
            TextInput::Email => (
                Datatype::String,
                "Adresse électronique.".to_owned(),
                Vec::new(),
            ),
            TextInput::Tel => (
                Datatype::String,
                "Numéro de téléphone.".to_owned(),
                Vec::new(),
            ),
            TextInput::Text => (Datatype::String, at_most(*max_length), Vec::new()),
        },
        FieldKind::Textarea { max_length } => (Datatype::Text, at_most(*max_length), Vec::new()),
        FieldKind::Integer { min, max } => (
            Datatype::Number,
            format!("Nombre entier{}.", range(*min, *max)),
            Vec::new(),
        ),
        FieldKind::Number { min, max } => (
            Datatype::Number,
            format!("Nombre (point décimal){}.", range(*min, *max)),
            Vec::new(),
        ),
        FieldKind::Boolean => (
            Datatype::Singlevaluelist,
            "Oui (true) ou non (false).".to_owned(),
            vec![
                AttributeValue {
                    key: "true".into(),
                    name: "Oui".into(),
                },
                AttributeValue {
                    key: "false".into(),
                    name: "Non".into(),
                },
            ],
        ),
        FieldKind::Choice { choices, .. } => (
            Datatype::Singlevaluelist,
            "Une valeur de la liste (sa clé).".to_owned(),
            listed(choices),
        ),
        FieldKind::MultiChoice { choices } => (
            Datatype::Multivaluelist,
            "Une ou plusieurs valeurs de la liste (leurs clés, en attribute[code][]).".to_owned(),
            listed(choices),
        ),
        FieldKind::Group { .. } | FieldKind::Attachment(_) => {
            unreachable!("groups and files are not attributes")
        }
    };
    let mut description = field.label.clone();
    if let Some(hint) = &field.hint {
        description.push_str(" — ");
        description.push_str(hint);
    }
    let mut datatype_description = datatype_description;
    if field.condition.is_some() {
        datatype_description
            .push_str(" Demandé seulement selon la réponse à une autre question du formulaire.");
    }
    Attribute {
        variable: true,
        code,
        datatype,
        // A question asked only in some cases is not required of every request.
        required: field.required && field.condition.is_none(),
        datatype_description: datatype_description.trim().to_owned(),
        order,
        description,
        values,
    }
}

fn listed(choices: &[fields::Choice]) -> Vec<AttributeValue> {
    choices
        .iter()
        .map(|c| AttributeValue {
            key: c.value_text(),
            name: c.label.clone(),
        })
        .collect()
}

fn at_most(max_length: Option<u64>) -> String {
    max_length.map_or_else(String::new, |n| format!("Texte, {n} caractères au plus."))
}

fn range(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!(", de {min} à {max}"),
        (Some(min), None) => format!(", {min} au moins"),
        (None, Some(max)) => format!(", {max} au plus"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<Field> {
        fields::build(&json!({
            "type": "object",
            "properties": {
                "position": {"type": "object", "properties": {
                    "latitude": {"type": "number"}, "longitude": {"type": "number"}
                }},
                "lieu": {"type": "string"},
                "categorie": {"type": "string", "enum": ["a", "b"]}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_sound_block_has_no_problems() {
        let mapping = Mapping {
            lat: Some("/position/latitude".into()),
            long: Some("/position/longitude".into()),
            address_string: Some("/lieu".into()),
            ..Mapping::default()
        };
        assert_eq!(mapping.problems(&fields(), "/x-guichet/open311"), vec![]);
    }

    #[test]
    fn pointers_must_name_properties_of_the_right_type() {
        let mapping = Mapping {
            lat: Some("/lieu".into()),
            address_string: Some("/position/latitude".into()),
            email: Some("/courriel".into()),
            phone: Some("/categorie".into()),
            ..Mapping::default()
        };
        let problems = mapping.problems(&fields(), "/x-guichet/open311");
        let at: Vec<&str> = problems.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            at,
            [
                "/x-guichet/open311/lat",
                "/x-guichet/open311/address_string",
                "/x-guichet/open311/email",
                "/x-guichet/open311/phone",
                "/x-guichet/open311",
            ]
        );
        assert!(problems[0].1.contains("a number"), "{problems:?}");
        assert!(problems[2].1.contains("does not name a property"));
        assert!(problems[4].1.contains("lat and long together"));
    }
}
