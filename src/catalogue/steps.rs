//! A form's steps (`x-guichet.steps`): the pages a citizen fills it in, each with a title and
//! the top-level properties it holds.
//!
//! Steps are presentation only. Validation, routing, the API and the stored request see the
//! whole schema; the portal shows one step at a time and checks each on its own. A form that
//! declares no steps is one step holding every question, shown as it always was.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::Field;

/// Longest step title: it is a heading, read on a phone.
pub const MAX_TITLE_CHARS: usize = 120;

/// One step as the definition declares it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// French, shown as « Étape 2 sur 3 : {title} ».
    pub title: String,
    /// Names of top-level properties; each property is in exactly one step.
    pub properties: Vec<String>,
}

/// The steps a form is filled in, in order; never empty.
#[derive(Debug, Clone)]
pub struct Steps {
    steps: Vec<Step>,
    declared: bool,
}

impl Steps {
    /// The form's declared steps, or one step holding every top-level property.
    pub fn of(declared: &[Step], fields: &[Field]) -> Steps {
        if declared.is_empty() {
            let properties = fields
                .iter()
                .filter_map(|f| f.path.first().cloned())
                .collect();
            return Steps {
                steps: vec![Step {
                    title: String::new(),
                    properties,
                }],
                declared: false,
            };
        }
        Steps {
            steps: declared.to_vec(),
            declared: true,
        }
    }

    /// Whether the form declares steps (and its pages say « Étape 2 sur 3 »).
    pub fn declared(&self) -> bool {
        self.declared
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Never true: a form is at least one step.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Step> {
        self.steps.get(index)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter()
    }

    /// The index of the step holding a top-level property.
    pub fn holding(&self, property: &str) -> Option<usize> {
        self.steps
            .iter()
            .position(|s| s.properties.iter().any(|p| p == property))
    }

    /// The step an answer's JSON Pointer belongs to (`/adresse/rue` → the step holding
    /// `adresse`). A pointer naming no property (the whole form, or the commune chosen beside
    /// the questions) belongs to the first step, where that choice is shown.
    pub fn of_pointer(&self, pointer: &str) -> usize {
        let property = pointer
            .split('/')
            .nth(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .unwrap_or_default();
        self.holding(&property).unwrap_or(0)
    }

    /// The step a posted field name belongs to (`adresse.rue` → the step holding `adresse`).
    pub fn of_name(&self, name: &str) -> Option<usize> {
        self.holding(name.split('.').next().unwrap_or(name))
    }
}

/// Problems with the shape of `x-guichet.steps`, as (pointer, message), checked before the
/// block is read so each one names its place rather than serde's type names.
pub fn shape_problems(value: &Value, base: &str) -> Vec<(String, String)> {
    let Some(items) = value.as_array() else {
        return vec![(
            base.to_owned(),
            "`steps` must be a list of steps such as [{\"title\": \"Votre adresse\", \"properties\": [\"adresse\"]}]".into(),
        )];
    };
    if items.is_empty() {
        return vec![(
            base.to_owned(),
            "`steps` is empty: list the steps, or leave the key out for a form on one page".into(),
        )];
    }
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{base}/{i}");
        let Some(object) = item.as_object() else {
            problems.push((
                at,
                "a step must be an object with a `title` and its `properties`".into(),
            ));
            continue;
        };
        for key in object
            .keys()
            .filter(|k| !matches!(k.as_str(), "title" | "properties"))
        {
            problems.push((
                format!("{at}/{key}"),
                format!("unknown key `{key}` in a step (the keys are title, properties)"),
            ));
        }
        match object.get("title").and_then(Value::as_str) {
            None => problems.push((
                format!("{at}/title"),
                "the step needs a `title`, in French: citizens read « Étape 2 sur 3 : <title> »"
                    .into(),
            )),
            Some(title) if title.trim().is_empty() => {
                problems.push((format!("{at}/title"), "the step's title is empty".into()))
            }
            Some(title) if title.chars().count() > MAX_TITLE_CHARS => problems.push((
                format!("{at}/title"),
                format!("the step's title is longer than {MAX_TITLE_CHARS} characters"),
            )),
            Some(_) => {}
        }
        match object.get("properties").and_then(Value::as_array) {
            Some(names) if !names.is_empty() => {
                for (j, name) in names.iter().enumerate() {
                    if !name.is_string() {
                        problems.push((
                            format!("{at}/properties/{j}"),
                            "a step's properties are names of the form's top-level properties, as texts".into(),
                        ));
                    }
                }
            }
            _ => problems.push((
                format!("{at}/properties"),
                "the step needs `properties`: a non-empty list of the top-level properties it asks"
                    .into(),
            )),
        }
    }
    problems
}

/// Problems with which properties the steps hold, as (pointer, message): a step naming a
/// property the form does not declare, a property in two steps, a property in none (it
/// would never be asked).
pub fn coverage_problems(steps: &[Step], fields: &[Field], base: &str) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if steps.is_empty() {
        // One page holding every question.
        return problems;
    }
    let top: Vec<&str> = fields
        .iter()
        .filter_map(|f| f.path.first().map(String::as_str))
        .collect();
    let mut first_seen: Vec<(&str, usize)> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        for (j, name) in step.properties.iter().enumerate() {
            let at = format!("{base}/{i}/properties/{j}");
            if !top.contains(&name.as_str()) {
                problems.push((
                    at,
                    format!(
                        "step « {} » names « {name} », which is not a top-level property of the form",
                        step.title
                    ),
                ));
                continue;
            }
            match first_seen.iter().find(|(n, _)| *n == name) {
                Some((_, earlier)) => problems.push((
                    at,
                    format!(
                        "« {name} » is in step {} (« {} ») and in step {} (« {} »): put it in one step",
                        earlier + 1,
                        steps[*earlier].title,
                        i + 1,
                        step.title
                    ),
                )),
                None => first_seen.push((name, i)),
            }
        }
    }
    for name in top {
        if !first_seen.iter().any(|(n, _)| *n == name) {
            problems.push((
                format!("/properties/{}", name.replace('~', "~0").replace('/', "~1")),
                format!(
                    "« {name} » is in no step of x-guichet.steps: citizens would never be asked it; add it to a step"
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::fields;
    use serde_json::json;

    fn fields() -> Vec<Field> {
        fields::build(&json!({"type": "object", "properties": {
            "objets": {"type": "string"},
            "adresse": {"type": "object", "properties": {"rue": {"type": "string"}}},
            "nom": {"type": "string"}
        }}))
        .unwrap()
    }

    fn step(title: &str, properties: &[&str]) -> Step {
        Step {
            title: title.into(),
            properties: properties.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_form_without_steps_is_one_step_holding_every_question() {
        let steps = Steps::of(&[], &fields());
        assert!(!steps.declared());
        assert_eq!(steps.len(), 1);
        assert_eq!(
            steps.get(0).unwrap().properties,
            ["objets", "adresse", "nom"]
        );
        assert_eq!(steps.of_pointer("/adresse/rue"), 0);
    }

    #[test]
    fn answers_belong_to_the_step_of_their_top_level_property() {
        let steps = Steps::of(
            &[
                step("Objets", &["objets"]),
                step("Vous", &["adresse", "nom"]),
            ],
            &fields(),
        );
        assert_eq!(steps.of_pointer("/adresse/rue"), 1);
        assert_eq!(steps.of_pointer("/objets"), 0);
        assert_eq!(steps.of_pointer(""), 0, "the whole form: the first step");
        assert_eq!(steps.of_name("adresse.rue"), Some(1));
        assert_eq!(steps.of_name("inconnu"), None);
    }

    #[test]
    fn every_property_must_be_in_exactly_one_step() {
        let found = coverage_problems(
            &[
                step("Objets", &["objets", "inconnu"]),
                step("Vous", &["objets", "nom"]),
            ],
            &fields(),
            "/x-guichet/steps",
        );
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/x-guichet/steps/0/properties/1",
                "/x-guichet/steps/1/properties/0",
                "/properties/adresse"
            ],
            "{found:?}"
        );
        assert!(
            found[1]
                .1
                .contains("step 1 (« Objets ») and in step 2 (« Vous »)")
        );
        assert!(found[2].1.contains("in no step"));
    }

    #[test]
    fn badly_shaped_steps_name_their_place() {
        let found = shape_problems(
            &json!([{"title": "", "properties": []}, {"titre": "x", "properties": ["a", 3]}]),
            "/x-guichet/steps",
        );
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/x-guichet/steps/0/title",
                "/x-guichet/steps/0/properties",
                "/x-guichet/steps/1/titre",
                "/x-guichet/steps/1/title",
                "/x-guichet/steps/1/properties/1"
            ]
        );
        assert_eq!(shape_problems(&json!([]), "/s")[0].0, "/s");
        assert_eq!(shape_problems(&json!({}), "/s")[0].0, "/s");
    }
}
