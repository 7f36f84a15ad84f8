//! One form definition: a JSON Schema 2020-12 document with an `x-guichet` block.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use jsonschema::{Draft, PatternOptions, Validator};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::diagnostic::{Diagnostic, Location};
use super::fields::{self, Field};
use super::legal::{FORM_PRIVACY_KEYS, FormPrivacy, MAX_PRIVACY_TEXT};
use super::rule::Rule;
use super::rule_reads::data_reads;
use super::steps::{self, Steps};
use super::territory::{Territory, is_valid_id};
use super::translation;
use crate::domain::FormVersion;
use crate::i18n::Lang;

pub const DIR: &str = "form-definitions";
pub const META_KEY: &str = "x-guichet";
/// Definitions larger than this are refused: a form is a document people read, not data.
pub const MAX_DEFINITION_BYTES: usize = 1024 * 1024;
const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `x-guichet` block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormMeta {
    pub service: String,
    pub rule: Option<String>,
    #[serde(default = "default_audience")]
    pub audience: Vec<Audience>,
    /// Communes where the form is offered; empty means all.
    #[serde(default)]
    pub communes: Vec<String>,
    /// JSON Pointer to the property holding the commune slug.
    pub commune_field: Option<String>,
    /// JSON Pointer to the address's postcode, checked against the commune's postcodes.
    pub postcode_field: Option<String>,
    /// JSON Pointer to the citizen's e-mail address, for notifications (default `/email`).
    pub email_field: Option<String>,
    pub theme: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Days personal data is kept. DESIGN.md calls it `retention`; both names are read.
    #[serde(alias = "retention")]
    pub retention_days: Option<u32>,
    pub due_in_days: Option<u32>,
    /// What the form's privacy notice says on top of the territory's `[privacy]` table.
    #[serde(default)]
    pub privacy: FormPrivacy,
    /// No longer offered (portal, API, élus); kept so that its requests keep their form.
    #[serde(default)]
    pub retired: bool,
    /// The examples that pin the rule's behaviour (DESIGN.md's "examples"; both names are
    /// read, `cases` avoids confusion with the standard top-level `examples`).
    #[serde(default, alias = "examples")]
    pub cases: Vec<Case>,
    /// The fields that receive Open311's standard arguments (see `super::open311`).
    pub open311: Option<super::open311::Mapping>,
    /// When a request waits for the citizen's answer: the reminder, then the closing.
    #[serde(default)]
    pub reminders: Reminders,
    /// The pages the portal shows the form in (see `super::steps`); none: one page.
    #[serde(default)]
    pub steps: Vec<super::steps::Step>,
    /// The form's texts in other languages (see `super::translation`): `{"en": {pointer:
    /// text}}`.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub i18n: serde_json::Map<String, Value>,
}

/// `x-guichet.reminders`: a request waiting for the citizen's answer gets a reminder to the
/// citizen after `remind_after_days`, then, `close_after_days` after the reminder, is closed
/// "sans réponse" with a message. `false` turns both off; `true` or a missing key means the
/// defaults (15 and 30 days); an object may give either number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminders {
    Off,
    After {
        remind_after_days: u32,
        close_after_days: u32,
    },
}

impl Reminders {
    pub const DEFAULT_REMIND_AFTER_DAYS: u32 = 15;
    pub const DEFAULT_CLOSE_AFTER_DAYS: u32 = 30;
    /// The longest wait either number may name.
    pub const MAX_DAYS: u32 = 365;
}

impl Default for Reminders {
    fn default() -> Self {
        Reminders::After {
            remind_after_days: Self::DEFAULT_REMIND_AFTER_DAYS,
            close_after_days: Self::DEFAULT_CLOSE_AFTER_DAYS,
        }
    }
}

impl<'de> Deserialize<'de> for Reminders {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Days {
            remind_after_days: Option<u32>,
            close_after_days: Option<u32>,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Switch(bool),
            Days(Days),
        }
        let days = match Raw::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "`reminders` must be false, true, or {\"remind_after_days\": N, \"close_after_days\": M}",
            )
        })? {
            Raw::Switch(false) => return Ok(Reminders::Off),
            Raw::Switch(true) => Days {
                remind_after_days: None,
                close_after_days: None,
            },
            Raw::Days(days) => days,
        };
        let checked = |value: Option<u32>, default: u32, name: &str| match value.unwrap_or(default)
        {
            n @ 1..=Reminders::MAX_DAYS => Ok(n),
            n => Err(serde::de::Error::custom(format!(
                "`reminders.{name}` must be between 1 and {} days, not {n}",
                Reminders::MAX_DAYS
            ))),
        };
        Ok(Reminders::After {
            remind_after_days: checked(
                days.remind_after_days,
                Self::DEFAULT_REMIND_AFTER_DAYS,
                "remind_after_days",
            )?,
            close_after_days: checked(
                days.close_after_days,
                Self::DEFAULT_CLOSE_AFTER_DAYS,
                "close_after_days",
            )?,
        })
    }
}

impl Serialize for Reminders {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Reminders::Off => serializer.serialize_bool(false),
            Reminders::After {
                remind_after_days,
                close_after_days,
            } => serde_json::json!({
                "remind_after_days": remind_after_days,
                "close_after_days": close_after_days,
            })
            .serialize(serializer),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Citizen,
    Elected,
    Staff,
}

fn default_audience() -> Vec<Audience> {
    vec![Audience::Citizen]
}

/// An example that pins the rule's behaviour; `guichet check` runs it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub commune: Option<String>,
    #[serde(default = "default_channel")]
    pub channel: String,
    pub data: Value,
    pub expect: Expectation,
}

fn default_channel() -> String {
    "web".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub valid: bool,
    pub queue: Option<String>,
    pub priority: Option<String>,
}

/// A loaded, checked form. Immutable: a change on disk makes a new catalogue snapshot.
pub struct Form {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// The schema as validated: the file's content with commune choices filled in.
    pub schema: Value,
    pub meta: FormMeta,
    pub rule: Option<Arc<Rule>>,
    pub version: FormVersion,
    pub fields: Vec<Field>,
    /// The pages citizens fill it in: the declared steps, or one holding every question.
    pub steps: Steps,
    pub examples: Vec<Value>,
    /// Relative path of the definition file.
    pub file: PathBuf,
    pub git_commit: Option<String>,
    /// Shared with its translations, which validate as it does (only their words differ).
    validator: Arc<Validator>,
    /// `schema` as JSON text, as a form version records it: written on the first filing and
    /// shared by every one after (a definition is tens of kilobytes).
    definition_text: OnceLock<Arc<str>>,
    /// The form in each language its `x-guichet.i18n` translates it into.
    translations: Vec<(Lang, Arc<Form>)>,
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Form")
            .field("id", &self.id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Form {
    /// Days a closed request of this form keeps its personal data: the form's own
    /// `retention_days`, or the territory's default.
    pub fn retention_days(&self, territory: &Territory) -> u32 {
        self.meta.retention_days.unwrap_or(territory.retention.days)
    }

    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The effective definition (`schema`) as JSON text, written once.
    pub fn definition_text(&self) -> Arc<str> {
        Arc::clone(
            self.definition_text
                .get_or_init(|| Arc::from(self.schema.to_string())),
        )
    }

    /// Records the commit the definition came from, in its translations too.
    pub fn set_git_commit(&mut self, commit: Option<String>) {
        for (_, translated) in &mut self.translations {
            if let Some(translated) = Arc::get_mut(translated) {
                translated.git_commit = commit.clone();
            }
        }
        self.git_commit = commit;
    }

    /// The form as citizens read it in `lang`: its translation, or itself (French, or no
    /// translation into `lang`). Same id, version and questions; only the words differ.
    /// Filing records the French original, the version's definition.
    pub fn in_lang(self: &Arc<Form>, lang: Lang) -> Arc<Form> {
        self.translations
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or_else(|| Arc::clone(self), |(_, form)| Arc::clone(form))
    }

    /// Whether the form is offered in a commune (an empty list means everywhere).
    pub fn offered_in(&self, commune: &str) -> bool {
        self.meta.communes.is_empty() || self.meta.communes.iter().any(|c| c == commune)
    }

    /// Whether the form is offered to that audience. A retired form is offered to no one;
    /// its requests and versions stay readable.
    pub fn is_for(&self, audience: Audience) -> bool {
        !self.meta.retired && self.meta.audience.contains(&audience)
    }

    /// Reads a definition file's text. Every problem found is reported.
    pub fn load(
        id: &str,
        text: &str,
        territory: &Territory,
        rules: &HashMap<String, Arc<Rule>>,
    ) -> Result<Form, Vec<Diagnostic>> {
        Form::read(id, text, Some(territory), rules, Reading::Original)
    }

    /// The definition's own problems, when the territory did not load. Whatever the form
    /// names in the territory (its service, communes, queues) is not checked: against a
    /// territory that is not there, every name would be reported unknown, and those
    /// follow-on errors would bury the one mistake in territory.toml.
    pub fn problems_without_territory(
        id: &str,
        text: &str,
        rules: &HashMap<String, Arc<Rule>>,
    ) -> Vec<Diagnostic> {
        Form::read(id, text, None, rules, Reading::Original)
            .err()
            .unwrap_or_default()
    }

    fn read(
        id: &str,
        text: &str,
        territory: Option<&Territory>,
        rules: &HashMap<String, Arc<Rule>>,
        reading: Reading<'_>,
    ) -> Result<Form, Vec<Diagnostic>> {
        let file = PathBuf::from(DIR).join(format!("{id}.json"));
        let mut problems = Vec::new();
        let at = |pointer: &str, message: String| Diagnostic::at_pointer(&file, pointer, message);
        if !is_valid_id(id) {
            problems.push(Diagnostic::new(
                &file,
                Location::File,
                "the file name must use only a-z, 0-9 and - (it is the form's id in URLs)",
            ));
        }
        if text.len() > MAX_DEFINITION_BYTES {
            problems.push(Diagnostic::new(
                &file,
                Location::File,
                format!(
                    "the definition is {} bytes; the limit is {MAX_DEFINITION_BYTES}",
                    text.len()
                ),
            ));
            return Err(problems);
        }
        let mut schema: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(err) => {
                problems.push(Diagnostic::new(
                    &file,
                    Location::LineCol(err.line(), err.column()),
                    format!("invalid JSON: {}", strip_position(&err.to_string())),
                ));
                return Err(problems);
            }
        };
        let Some(object) = schema.as_object() else {
            problems.push(at("", "a form definition must be a JSON object".into()));
            return Err(problems);
        };
        if let Some(pointer) = crate::domain::text::stray_controls(&schema, 1).pop() {
            problems.push(at(
                &pointer,
                "a text holds a control character (such as \\u0000): remove it; only tabs and line breaks are allowed".into(),
            ));
            return Err(problems);
        }
        match object.get("$schema") {
            None => {}
            Some(Value::String(s)) if s.trim_end_matches('#') == DRAFT_2020_12 => {}
            Some(other) => problems.push(at("/$schema", format!("forms use JSON Schema 2020-12: set $schema to \"{DRAFT_2020_12}\" (found {other})"))),
        }
        if object.get("type").and_then(Value::as_str) != Some("object") {
            problems.push(at(
                "/type",
                "a form's root must have \"type\": \"object\"".into(),
            ));
        }
        let title = object
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if title.as_deref().is_none_or(|t| t.trim().is_empty()) {
            problems.push(at(
                "/title",
                "the form needs a `title`: it is the page's heading".into(),
            ));
        }
        if problems.is_empty()
            && let Err(err) = jsonschema::draft202012::meta::validate(&schema)
        {
            problems.push(at(
                err.instance_path().as_str(),
                format!("not a valid JSON Schema: {err}"),
            ));
        }
        let meta = match object.get(META_KEY) {
            None => {
                problems.push(at("", format!("the `{META_KEY}` block is missing (it names the service, the rule, the communes…)")));
                None
            }
            Some(block)
                if block
                    .get("privacy")
                    .is_some_and(|p| !lint_form_privacy(p).is_empty()) =>
            {
                // Told key by key, rather than in serde's words about the whole block.
                let found = lint_form_privacy(&block["privacy"]);
                problems.extend(found.into_iter().map(|(p, m)| at(&p, m)));
                None
            }
            Some(block)
                if block.get("steps").is_some_and(|s| {
                    !steps::shape_problems(s, &format!("/{META_KEY}/steps")).is_empty()
                }) =>
            {
                let found = steps::shape_problems(&block["steps"], &format!("/{META_KEY}/steps"));
                problems.extend(found.into_iter().map(|(p, m)| at(&p, m)));
                None
            }
            Some(block) => match serde_json::from_value::<FormMeta>(block.clone()) {
                Ok(meta) => Some(meta),
                Err(err) => {
                    problems.push(at(
                        &format!("/{META_KEY}"),
                        format!("invalid {META_KEY} block: {err}"),
                    ));
                    None
                }
            },
        };
        let Some(meta) = meta else {
            return Err(problems);
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        problems.extend(
            check_meta(&meta, territory, rules)
                .into_iter()
                .map(|(p, m)| at(&p, m)),
        );
        problems.extend(
            translation::problems(&schema)
                .into_iter()
                .map(|(p, m)| at(&p, m)),
        );
        // The definition as written, which its translations replace the texts of.
        let written =
            (matches!(reading, Reading::Original) && !meta.i18n.is_empty()).then(|| schema.clone());

        let validator = match reading {
            Reading::TranslationOf(original) => Some(Arc::clone(original)),
            Reading::Original => {
                let checked = match territory {
                    Some(territory) => {
                        let mut checked = schema.clone();
                        let bare = CommuneChoices::Bare;
                        inject_commune_choices(&mut checked, territory, &meta.communes, bare);
                        std::borrow::Cow::Owned(checked)
                    }
                    None => std::borrow::Cow::Borrowed(&schema),
                };
                match build_validator(&checked) {
                    Ok(validator) => Some(Arc::new(validator)),
                    Err(message) => {
                        problems.push(at("", message));
                        None
                    }
                }
            }
        };
        if let Some(territory) = territory {
            let labelled = CommuneChoices::Labelled;
            inject_commune_choices(&mut schema, territory, &meta.communes, labelled);
        }
        let fields = match fields::build(&schema) {
            Ok(fields) => fields,
            Err(found) => {
                // Without a field model, checks that look fields up would only repeat
                // this problem in other words.
                problems.extend(found.into_iter().map(|(p, m)| at(&p, m)));
                return Err(problems);
            }
        };
        problems.extend(
            steps::coverage_problems(&meta.steps, &fields, &format!("/{META_KEY}/steps"))
                .into_iter()
                .map(|(p, m)| at(&p, m)),
        );
        if let Some(pointer) = &meta.commune_field {
            let path: Vec<String> = pointer.split('/').skip(1).map(str::to_owned).collect();
            if fields::find(&fields, &path).is_none() {
                problems.push(at(
                    &format!("/{META_KEY}/commune_field"),
                    format!("commune_field « {pointer} » does not name a property of the form"),
                ));
            }
        }
        if let Some(pointer) = &meta.postcode_field {
            let path: Vec<String> = pointer.split('/').skip(1).map(str::to_owned).collect();
            if fields::find(&fields, &path).is_none() {
                problems.push(at(
                    &format!("/{META_KEY}/postcode_field"),
                    format!("postcode_field « {pointer} » does not name a property of the form"),
                ));
            }
        }
        if let Some(pointer) = &meta.email_field {
            let path: Vec<String> = pointer.split('/').skip(1).map(str::to_owned).collect();
            if fields::find(&fields, &path).is_none() {
                problems.push(at(
                    &format!("/{META_KEY}/email_field"),
                    format!("email_field « {pointer} » does not name a property of the form"),
                ));
            }
        }
        if let Some(mapping) = &meta.open311 {
            let base = format!("/{META_KEY}/open311");
            problems.extend(
                mapping
                    .problems(&fields, &base)
                    .into_iter()
                    .map(|(p, m)| at(&p, m)),
            );
        }
        let rule = meta.rule.as_ref().and_then(|name| rules.get(name)).cloned();
        if let Some(rule) = &rule {
            problems.extend(check_rule_reads(rule, &fields, id));
        }
        let Some(validator) = validator else {
            return Err(problems);
        };
        let examples = schema
            .get("examples")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // A translation's examples are the original's, already checked.
        let checked = matches!(reading, Reading::Original).then_some(examples.as_slice());
        for (i, example) in checked.into_iter().flatten().enumerate() {
            if let Some(err) = validator.iter_errors(example).next() {
                problems.push(at(
                    &format!("/examples/{i}"),
                    format!(
                        "this example does not validate: at « {} »: {err}",
                        err.instance_path()
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let version = FormVersion::compute(&schema, rule.as_ref().map(|r| &*r.source));
        let steps = Steps::of(&meta.steps, &fields);
        let mut translations = Vec::new();
        for (code, texts) in written.as_ref().map(|_| &meta.i18n).into_iter().flatten() {
            let (Some(lang), Some(texts), Some(written)) =
                (Lang::parse(code), texts.as_object(), &written)
            else {
                continue;
            };
            let text = translation::translated(written, texts).to_string();
            match Form::read(
                id,
                &text,
                territory,
                rules,
                Reading::TranslationOf(&validator),
            ) {
                Ok(mut translated) => {
                    translated.version = version.clone();
                    translations.push((lang, Arc::new(translated)));
                }
                Err(found) => {
                    problems.extend(found.into_iter().map(|mut d| {
                        d.message = format!("in the {code} translation: {}", d.message);
                        d
                    }));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Form {
            id: id.to_owned(),
            title: title.unwrap_or_default(),
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            schema,
            meta,
            rule,
            version,
            steps,
            fields,
            examples,
            file,
            git_commit: None,
            validator,
            definition_text: OnceLock::new(),
            translations,
        })
    }
}

/// What [`Form::read`] reads: a definition file, or a translation of one. A translation
/// has no translations of its own, and shares the original's validator instead of
/// compiling its own: a translation only changes words (titles, descriptions, messages),
/// never what validates, and a compiled validator is a large part of a form's memory.
enum Reading<'a> {
    Original,
    TranslationOf(&'a Arc<Validator>),
}

/// The validator every submission goes through. Patterns use the linear-time `regex` engine,
/// so no pattern can backtrack exponentially; formats are asserted, and an unknown format is
/// an error rather than silently accepted.
pub fn build_validator(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .should_ignore_unknown_formats(false)
        .with_format("tel", is_phone_number)
        .with_pattern_options(PatternOptions::regex())
        .build(schema)
        .map_err(|err| {
            format!(
                "the schema cannot be compiled: {err} (at {})",
                err.instance_path()
            )
        })
}

/// A phone number as people write it: digits with spaces, dots, dashes, parentheses and a
/// leading `+`; 6 to 20 digits.
pub fn is_phone_number(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || " .-()".contains(c) || (c == '+' && i == 0));
    allowed && (6..=20).contains(&digits)
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

fn check_meta(
    meta: &FormMeta,
    territory: Option<&Territory>,
    rules: &HashMap<String, Arc<Rule>>,
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let base = format!("/{META_KEY}");
    if let Some(rule) = &meta.rule
        && !rules.contains_key(rule)
    {
        problems.push((
            format!("{base}/rule"),
            format!("no rule « {rule} »: expected a file rules/{rule}.rhai that compiles"),
        ));
    }
    let Some(territory) = territory else {
        return problems;
    };
    if territory.service(&meta.service).is_none() {
        let known: Vec<&str> = territory.services.iter().map(|s| s.id.as_str()).collect();
        problems.push((
            format!("{base}/service"),
            format!(
                "unknown service « {} » (the territory has: {})",
                meta.service,
                known.join(", ")
            ),
        ));
    }
    for (i, commune) in meta.communes.iter().enumerate() {
        if territory.commune(commune).is_none() {
            problems.push((
                format!("{base}/communes/{i}"),
                format!("unknown commune « {commune} »"),
            ));
        }
    }
    for (i, case) in meta.cases.iter().enumerate() {
        if let Some(commune) = &case.commune
            && territory.commune(commune).is_none()
        {
            problems.push((
                format!("{base}/cases/{i}/commune"),
                format!("unknown commune « {commune} »"),
            ));
        }
        if let Some(queue) = &case.expect.queue
            && territory.queue(queue).is_none()
        {
            problems.push((
                format!("{base}/cases/{i}/expect/queue"),
                format!("unknown queue « {queue} »"),
            ));
        }
    }
    problems
}

fn check_rule_reads(rule: &Rule, fields: &[Field], form_id: &str) -> Vec<Diagnostic> {
    let file = PathBuf::from("rules").join(format!("{}.rhai", rule.name));
    data_reads(&rule.source)
        .into_iter()
        .filter_map(|read| {
            // Reading inside a choice list or past a scalar is not a field read we can check.
            let known = (1..=read.path.len()).rev().any(|n| {
                fields::find(fields, &read.path[..n]).is_some_and(|f| {
                    n == read.path.len() || !matches!(f.kind, fields::FieldKind::Group { .. })
                })
            });
            (!known).then(|| {
                Diagnostic::new(
                    &file,
                    Location::LineCol(read.line, read.col),
                    format!(
                        "the rule reads data.{} but form « {form_id} » has no such property",
                        read.path.join(".")
                    ),
                )
            })
        })
        .collect()
}

/// How [`inject_commune_choices`] writes a commune field's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommuneChoices {
    /// `oneOf` of `{"const": slug, "title": name}`: the schema the API publishes, the
    /// portal renders and the form's version hashes.
    Labelled,
    /// `enum` of slugs: the schema the validator is compiled from. It accepts exactly the
    /// same values, with the same message (`intake::validate` words both as a wrong
    /// choice), but compiles to a list of strings where a `oneOf` compiles a whole
    /// subschema per commune (with the territory's 43, most of a form's validator).
    Bare,
}

/// Fills `x-widget: "commune"` properties with the territory's communes as choices (see
/// [`CommuneChoices`]), so validation, the API's schema and the rendered `<select>` all list
/// the same communes.
pub fn inject_commune_choices(
    schema: &mut Value,
    territory: &Territory,
    offered: &[String],
    how: CommuneChoices,
) {
    let communes = territory
        .communes
        .iter()
        .filter(|c| offered.is_empty() || offered.contains(&c.slug));
    let (keyword, choices): (&str, Vec<Value>) = match how {
        CommuneChoices::Labelled => (
            "oneOf",
            communes
                .map(|c| json!({"const": c.slug, "title": c.name}))
                .collect(),
        ),
        CommuneChoices::Bare => ("enum", communes.map(|c| json!(c.slug)).collect()),
    };
    fn visit(node: &mut Value, keyword: &str, choices: &[Value]) {
        match node {
            Value::Object(map) => {
                if map.get("x-widget").and_then(Value::as_str) == Some("commune")
                    && !map.contains_key("enum")
                    && !map.contains_key("oneOf")
                {
                    map.insert(keyword.into(), Value::Array(choices.to_vec()));
                    map.insert("x-widget".into(), Value::String("select".into()));
                }
                for value in map.values_mut() {
                    visit(value, keyword, choices);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| visit(v, keyword, choices)),
            _ => {}
        }
    }
    visit(schema, keyword, &choices);
}

/// Problems in a form's `x-guichet.privacy` value, as (pointer, message), checked before the
/// block is read so each one names its key rather than serde's type names.
pub fn lint_form_privacy(value: &Value) -> Vec<(String, String)> {
    let base = format!("/{META_KEY}/privacy");
    let Some(object) = value.as_object() else {
        return vec![(
            base,
            "`privacy` must be an object such as {\"purpose\": \"…\"}".into(),
        )];
    };
    let mut problems = Vec::new();
    let text_problem = |v: &Value| match v.as_str() {
        None => Some("must be a text"),
        Some(s) if s.trim().is_empty() => Some("is empty"),
        Some(s) if s.chars().count() > MAX_PRIVACY_TEXT => {
            Some("is too long (1000 characters at most)")
        }
        Some(_) => None,
    };
    for (key, v) in object {
        let at = format!("{base}/{key}");
        match key.as_str() {
            "purpose" | "legal_basis" => {
                if let Some(why) = text_problem(v) {
                    problems.push((at, format!("`{key}` {why}: write it as citizens will read it")));
                }
            }
            "recipients" => match v.as_array() {
                Some(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(why) = text_problem(item) {
                            problems.push((format!("{at}/{i}"), format!("a recipient {why}: name a service or an organisation")));
                        }
                    }
                }
                _ => problems.push((
                    at,
                    "`recipients` must be a non-empty list of texts, such as [\"Service voirie\"]; leave it out to name the form's service".into(),
                )),
            },
            other => problems.push((
                at,
                format!(
                    "unknown key `{other}` in privacy (the keys are {})",
                    FORM_PRIVACY_KEYS.join(", ")
                ),
            )),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        assert!(is_phone_number("05 53 64 00 00"));
        assert!(is_phone_number("+33 5 53 64 00 00"));
        assert!(!is_phone_number("call me"));
        assert!(!is_phone_number("12"));
        assert!(!is_phone_number("05+53"));
    }

    #[test]
    fn commune_fields_publish_labelled_choices_and_validate_the_same_slugs() {
        let territory = Territory::parse(concat!(
            "[territory]\nname = \"T\"\n",
            "[[communes]]\nslug = \"alpha\"\nname = \"Alpha\"\n",
            "[[communes]]\nslug = \"beta\"\nname = \"Bêta\"\n",
            "[[communes]]\nslug = \"gamma\"\nname = \"Gamma\"\n",
            "[[services]]\nid = \"voirie\"\nname = \"Voirie\"\ndefault_queue = \"q\"\n",
            "[[services.queues]]\nid = \"q\"\nname = \"Q\"\n",
        ))
        .unwrap();
        let definition = json!({
            "title": "Signaler",
            "type": "object",
            "x-guichet": {"service": "voirie", "communes": ["alpha", "beta"]},
            "properties": {
                "lieu": {"type": "object", "properties": {
                    "commune": {"type": "string", "title": "Commune", "x-widget": "commune"}
                }}
            },
            "examples": [{"lieu": {"commune": "beta"}}]
        });
        let form = Form::load("f", &definition.to_string(), &territory, &HashMap::new()).unwrap();
        let field = &form.schema["properties"]["lieu"]["properties"]["commune"];
        assert_eq!(
            field["oneOf"],
            json!([{"const": "alpha", "title": "Alpha"}, {"const": "beta", "title": "Bêta"}])
        );
        assert_eq!(field["x-widget"], "select");
        assert!(field.get("enum").is_none(), "{field}");
        for (commune, valid) in [
            ("alpha", true),
            ("beta", true),
            ("gamma", false),
            ("x", false),
        ] {
            let data = json!({"lieu": {"commune": commune}});
            assert_eq!(form.validator().is_valid(&data), valid, "{commune}");
        }
        let data = json!({"lieu": {"commune": "gamma"}});
        let error = form.validator().iter_errors(&data).next().unwrap();
        assert_eq!(error.instance_path().as_str(), "/lieu/commune");
        // A field that lists its own choices keeps them.
        let mut own = definition.clone();
        own["properties"]["lieu"]["properties"]["commune"]["enum"] = json!(["gamma"]);
        let form = Form::load("f", &own.to_string(), &territory, &HashMap::new());
        let problems = form.unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("does not validate")),
            "the example names beta, which the field's own enum refuses: {problems:?}"
        );
    }

    #[test]
    fn json_errors_have_positions() {
        let territory = Territory::parse("[territory]\nname = \"T\"\n").unwrap();
        let err = Form::load("f", "{\n  \"title\": }", &territory, &HashMap::new()).unwrap_err();
        assert_eq!(err[0].location, Location::LineCol(2, 12));
        let (line, _) = super::super::diagnostic::line_col("a\nb", 2);
        assert_eq!(line, 2);
    }

    #[test]
    fn bad_privacy_values_name_their_key() {
        assert!(lint_form_privacy(&json!({"purpose": "Livrer un bac."})).is_empty());
        let found = lint_form_privacy(&json!({"purpose": 3, "recipients": [], "why": "x"}));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/x-guichet/privacy/purpose",
                "/x-guichet/privacy/recipients",
                "/x-guichet/privacy/why"
            ]
        );
        assert_eq!(lint_form_privacy(&json!("x"))[0].0, "/x-guichet/privacy");
    }
}
