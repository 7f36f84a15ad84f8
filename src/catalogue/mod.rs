//! The catalogue: form definitions, routing rules and the territory file, loaded from disk
//! into one immutable, checked snapshot.
//!
//! The server holds the current snapshot behind an `ArcSwap` and swaps in a new one on
//! reload; a request in flight keeps the snapshot it started with. A snapshot that fails to
//! load never replaces a good one.

pub mod checks;
pub mod cog;
pub mod contact;
pub mod diagnostic;
pub mod fields;
pub mod form;
pub mod legal;
pub mod notices;
pub mod oidc;
pub mod open311;
pub mod personal;
pub mod rule;
pub mod rule_limits;
pub mod rule_messages;
pub mod rule_reads;
pub mod search;
pub mod steps;
pub mod territory;
pub mod translation;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

pub use diagnostic::{Diagnostic, InFrench, Location};
pub use form::{Audience, Form};
pub use rule::Rule;
pub use territory::Territory;

pub const RULES_DIR: &str = "rules";

/// One consistent view of the catalogue.
#[derive(Debug)]
pub struct Catalogue {
    pub root: PathBuf,
    pub territory: Territory,
    /// Forms by id, in id order.
    pub forms: BTreeMap<String, Arc<Form>>,
    /// The git commit the files came from, when the root is a clean git checkout.
    pub git_commit: Option<String>,
}

/// The result of reading a catalogue: what loaded, and everything that is wrong.
pub struct Loaded {
    pub catalogue: Catalogue,
    pub diagnostics: Vec<Diagnostic>,
}

impl Catalogue {
    /// Loads every file it can and reports every problem. Forms with problems are left out
    /// of the snapshot; use [`Catalogue::load_strict`] to refuse a catalogue with any error.
    pub fn load(root: &Path) -> Loaded {
        let mut diagnostics = Vec::new();
        let territory_path = root.join(territory::FILE_NAME);
        let territory = match std::fs::read_to_string(&territory_path) {
            Ok(text) => Territory::parse(&text)
                .map_err(|found| diagnostics.extend(found))
                .ok(),
            Err(err) => {
                diagnostics.push(Diagnostic::new(
                    territory::FILE_NAME,
                    Location::File,
                    format!("cannot read the territory file: {err}"),
                ));
                None
            }
        };

        let mut rules = HashMap::new();
        for (name, path) in
            files_with_extension(&root.join(RULES_DIR), "rhai", &mut diagnostics, RULES_DIR)
        {
            let relative = PathBuf::from(RULES_DIR).join(format!("{name}.rhai"));
            match std::fs::read_to_string(&path) {
                Ok(source) => match Rule::compile(&name, &source) {
                    Ok(rule) => {
                        rules.insert(name, rule);
                    }
                    Err(err) => {
                        let french = format!(
                            "La règle ne se compile pas, ligne {}, colonne {} ({}) : {}",
                            err.line,
                            err.col,
                            relative.display(),
                            err.explanation
                        );
                        diagnostics.push(
                            Diagnostic::new(
                                relative,
                                Location::LineCol(err.line, err.col),
                                format!("the rule does not compile: {}", err.message),
                            )
                            .in_french(french, err.message),
                        )
                    }
                },
                Err(err) => diagnostics.push(Diagnostic::new(
                    relative,
                    Location::File,
                    format!("cannot read the rule: {err}"),
                )),
            }
        }

        let (git_commit, dirty) = git_state(root);
        let mut forms = BTreeMap::new();
        for (id, path) in
            files_with_extension(&root.join(form::DIR), "json", &mut diagnostics, form::DIR)
        {
            let relative = PathBuf::from(form::DIR).join(format!("{id}.json"));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) => {
                    diagnostics.push(Diagnostic::new(
                        relative,
                        Location::File,
                        format!("cannot read the definition (is it UTF-8?): {err}"),
                    ));
                    continue;
                }
            };
            let locate = |d: Diagnostic| {
                if d.file == relative {
                    d.locate_in_json(&text)
                } else {
                    d
                }
            };
            // Without a territory, a form is checked for its own problems only, and left out:
            // none can be served unchecked (see `Form::problems_without_territory`).
            let Some(territory) = &territory else {
                diagnostics.extend(
                    Form::problems_without_territory(&id, &text, &rules)
                        .into_iter()
                        .map(locate),
                );
                continue;
            };
            match Form::load(&id, &text, territory, &rules) {
                Ok(mut form) => {
                    let rule_file = form
                        .meta
                        .rule
                        .as_ref()
                        .map(|r| PathBuf::from(RULES_DIR).join(format!("{r}.rhai")));
                    let clean = !dirty.contains(&relative)
                        && rule_file.is_none_or(|f| !dirty.contains(&f))
                        && !dirty.contains(Path::new(territory::FILE_NAME));
                    form.set_git_commit(git_commit.clone().filter(|_| clean));
                    forms.insert(id, Arc::new(form));
                }
                Err(found) => diagnostics.extend(found.into_iter().map(locate)),
            }
        }
        Loaded {
            catalogue: Catalogue {
                root: root.to_owned(),
                territory: territory.unwrap_or_else(empty_territory),
                forms,
                git_commit,
            },
            diagnostics,
        }
    }

    /// Loads the catalogue, or returns every problem if there is any.
    pub fn load_strict(root: &Path) -> Result<Catalogue, Vec<Diagnostic>> {
        let loaded = Catalogue::load(root);
        if loaded.diagnostics.is_empty() {
            Ok(loaded.catalogue)
        } else {
            Err(loaded.diagnostics)
        }
    }

    pub fn form(&self, id: &str) -> Option<&Arc<Form>> {
        self.forms.get(id)
    }

    /// Forms a citizen can file, optionally limited to one commune.
    pub fn citizen_forms(&self, commune: Option<&str>) -> impl Iterator<Item = &Arc<Form>> {
        self.forms
            .values()
            .filter(move |f| f.is_for(Audience::Citizen) && commune.is_none_or(|c| f.offered_in(c)))
    }

    /// The display name of a service, falling back to its id.
    /// The address a request's citizen gave for e-mails: the form's `email_field` answer
    /// (`/email` by default), when it reads as one address.
    pub fn citizen_email(&self, form_id: &str, data: &serde_json::Value) -> Option<String> {
        let pointer = self
            .form(form_id)
            .and_then(|f| f.meta.email_field.clone())
            .unwrap_or_else(|| "/email".to_owned());
        data.pointer(&pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|e| e.contains('@') && e.len() <= 254 && !e.contains(['\r', '\n']))
            .map(str::to_owned)
    }

    pub fn service_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.territory.service(id).map_or(id, |s| s.name.as_str())
    }
}

fn empty_territory() -> Territory {
    Territory {
        territory: territory::TerritoryInfo {
            name: String::new(),
            short_name: None,
            website: None,
            email: None,
            phone: None,
            address: None,
            siren: None,
            department: None,
            region: None,
            languages: vec![crate::i18n::Lang::Fr],
        },
        communes: Vec::new(),
        services: Vec::new(),
        procedures: Vec::new(),
        retention: territory::Retention::default(),
        privacy: Default::default(),
        legal: Default::default(),
        elus: territory::Elus::default(),
        oidc: None,
    }
}

/// `(stem, path)` of the files with an extension in a directory, sorted by name.
fn files_with_extension(
    dir: &Path,
    extension: &str,
    diagnostics: &mut Vec<Diagnostic>,
    shown_as: &str,
) -> Vec<(String, PathBuf)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            diagnostics.push(Diagnostic::new(
                shown_as,
                Location::File,
                format!("cannot read the folder: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == extension))
        .filter_map(|p| Some((p.file_stem()?.to_str()?.to_owned(), p)))
        .collect();
    files.sort();
    files
}

/// HEAD's commit and the catalogue files with uncommitted changes, when `root` is in git.
fn git_state(root: &Path) -> (Option<String>, HashSet<PathBuf>) {
    let run = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let Some(head) = run(&["rev-parse", "HEAD"]) else {
        return (None, HashSet::new());
    };
    // Both commands print paths relative to `root`, whatever the repository's top level.
    let paths = [form::DIR, RULES_DIR, territory::FILE_NAME];
    let changed = run(&[
        &["diff", "--name-only", "--relative", "HEAD", "--"][..],
        &paths,
    ]
    .concat())
    .unwrap_or_default();
    let untracked = run(&[
        &["ls-files", "--others", "--exclude-standard", "--"][..],
        &paths,
    ]
    .concat())
    .unwrap_or_default();
    let dirty = changed
        .lines()
        .chain(untracked.lines())
        .map(PathBuf::from)
        .collect();
    (Some(head.trim().to_owned()), dirty)
}
