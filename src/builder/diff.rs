//! Two versions of a form side by side: the questions added, removed or changed (compared
//! through the field model, so reordering JSON keys is not a change), and the rule's diff
//! line by line.

use std::collections::BTreeMap;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::catalogue::fields::{self, Field};

#[derive(Debug, Clone, PartialEq)]
pub enum FieldChange {
    Added {
        pointer: String,
        label: String,
    },
    Removed {
        pointer: String,
        label: String,
    },
    /// `what` names the properties that differ (label, help, required…), in French.
    Changed {
        pointer: String,
        label: String,
        what: Vec<&'static str>,
    },
}

/// One line of the rule's diff: `+` added, `-` removed, ` ` unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleLine {
    pub tag: char,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionDiff {
    pub fields: Vec<FieldChange>,
    pub rule: Vec<RuleLine>,
    pub rule_changed: bool,
}

/// Compares two definitions (effective schemas) and their rules.
pub fn compare(
    old: &Value,
    old_rule: Option<&str>,
    new: &Value,
    new_rule: Option<&str>,
) -> VersionDiff {
    let old_fields = by_pointer(old);
    let new_fields = by_pointer(new);
    let mut changes = Vec::new();
    for (pointer, field) in &old_fields {
        match new_fields.get(pointer) {
            None => changes.push(FieldChange::Removed {
                pointer: pointer.clone(),
                label: field.label.clone(),
            }),
            Some(now) => {
                let what = differences(field, now);
                if !what.is_empty() {
                    changes.push(FieldChange::Changed {
                        pointer: pointer.clone(),
                        label: now.label.clone(),
                        what,
                    });
                }
            }
        }
    }
    for (pointer, field) in &new_fields {
        if !old_fields.contains_key(pointer) {
            changes.push(FieldChange::Added {
                pointer: pointer.clone(),
                label: field.label.clone(),
            });
        }
    }
    let (old_rule, new_rule) = (old_rule.unwrap_or_default(), new_rule.unwrap_or_default());
    let rule = TextDiff::from_lines(old_rule, new_rule)
        .iter_all_changes()
        .map(|change| RuleLine {
            tag: match change.tag() {
                ChangeTag::Insert => '+',
                ChangeTag::Delete => '-',
                ChangeTag::Equal => ' ',
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect();
    VersionDiff {
        fields: changes,
        rule,
        rule_changed: old_rule != new_rule,
    }
}

fn by_pointer(schema: &Value) -> BTreeMap<String, Field> {
    fields::build(schema)
        .map(|fields| {
            fields::walk(&fields)
                .into_iter()
                .map(|f| (f.pointer(), f.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn differences(old: &Field, new: &Field) -> Vec<&'static str> {
    let mut what = Vec::new();
    if old.label != new.label {
        what.push("libellé");
    }
    if old.hint != new.hint {
        what.push("aide");
    }
    if old.required != new.required {
        what.push("obligatoire");
    }
    if format!("{:?}", old.kind) != format!("{:?}", new.kind) {
        what.push("type, choix ou contraintes");
    }
    if format!("{:?}", old.condition) != format!("{:?}", new.condition) {
        what.push("condition d'affichage");
    }
    if old.pattern_message != new.pattern_message {
        what.push("message du format");
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_added_removed_and_changed_questions_and_the_rule_diff() {
        let old = json!({"type": "object", "properties": {
            "a": {"type": "string", "title": "A"},
            "b": {"type": "integer", "title": "B", "maximum": 5}
        }, "required": ["a"]});
        let new = json!({"type": "object", "properties": {
            "b": {"type": "integer", "title": "B", "maximum": 9},
            "c": {"type": "string", "title": "C"},
            "a": {"type": "string", "title": "A (nouveau)"}
        }, "required": ["a", "c"]});
        let diff = compare(&old, Some("\"x\"\n"), &new, Some("\"y\"\n"));
        assert!(diff.fields.contains(&FieldChange::Added {
            pointer: "/c".into(),
            label: "C".into()
        }));
        assert!(diff.fields.contains(&FieldChange::Changed {
            pointer: "/a".into(),
            label: "A (nouveau)".into(),
            what: vec!["libellé"]
        }));
        assert!(diff.fields.contains(&FieldChange::Changed {
            pointer: "/b".into(),
            label: "B".into(),
            what: vec!["type, choix ou contraintes"]
        }));
        assert_eq!(diff.fields.len(), 3);
        assert!(diff.rule_changed);
        let tags: Vec<char> = diff.rule.iter().map(|l| l.tag).collect();
        assert_eq!(tags, ['-', '+']);
        let same = compare(&old, Some("r"), &old, Some("r"));
        assert!(same.fields.is_empty() && !same.rule_changed);
    }
}
