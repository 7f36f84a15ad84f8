//! A draft tried as part of the whole catalogue: a private copy of the catalogue with the
//! draft's files laid over it, loaded and checked exactly as `guichet check` and
//! `guichet serve` would. Nothing in the real catalogue is touched.

use std::path::{Path, PathBuf};

use crate::catalogue::territory::is_valid_id;
use crate::catalogue::{Catalogue, Diagnostic, Location, RULES_DIR, form, territory};

/// A form's files as the designer wants them.
#[derive(Debug, Clone)]
pub struct Edit {
    pub form_id: String,
    /// The definition file's text (`form-definitions/{form_id}.json`).
    pub definition: String,
    /// The rule's name and source (`rules/{name}.rhai`), when the form has one.
    pub rule: Option<(String, String)>,
}

impl Edit {
    /// The files this edit writes, relative to the catalogue's root, with their text.
    pub fn files(&self) -> Vec<(PathBuf, &str)> {
        let mut files = vec![(
            PathBuf::from(form::DIR).join(format!("{}.json", self.form_id)),
            self.definition.as_str(),
        )];
        if let Some((name, source)) = &self.rule {
            files.push((
                PathBuf::from(RULES_DIR).join(format!("{name}.rhai")),
                source.as_str(),
            ));
        }
        files
    }

    /// Names become file names: only `a-z`, `0-9` and `-`, checked before any file is touched.
    pub fn check_names(&self) -> Result<(), Vec<Diagnostic>> {
        let mut problems = Vec::new();
        if !is_valid_id(&self.form_id) {
            problems.push(Diagnostic::new(
                form::DIR,
                Location::File,
                "l'identifiant du formulaire ne peut contenir que a-z, 0-9 et - (il sert dans les adresses)",
            ));
        }
        if let Some((name, _)) = &self.rule
            && !is_valid_id(name)
        {
            problems.push(Diagnostic::new(
                RULES_DIR,
                Location::File,
                "le nom de la règle ne peut contenir que a-z, 0-9 et -",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// A staged catalogue: its private folder lives as long as this value.
pub struct Staged {
    /// The catalogue with the draft loaded in it (a draft whose pinned cases disagree with
    /// its rule still loads: it can be tried, not published).
    pub catalogue: Catalogue,
    /// Everything `guichet check` would print; publishing needs none.
    pub problems: Vec<Diagnostic>,
    _dir: tempfile::TempDir,
}

/// Loads the catalogue at `root` with `edit` laid over it and runs every check. Fails with
/// the problems when the draft itself does not load (invalid JSON, a rule that does not
/// compile…), so there is nothing to try.
pub fn stage(root: &Path, edit: &Edit) -> Result<Staged, Vec<Diagnostic>> {
    edit.check_names()?;
    let io = |err: std::io::Error| {
        vec![Diagnostic::new(
            ".",
            Location::File,
            format!("cannot copy the catalogue to try the draft: {err}"),
        )]
    };
    let dir = tempfile::TempDir::new().map_err(io)?;
    std::fs::copy(
        root.join(territory::FILE_NAME),
        dir.path().join(territory::FILE_NAME),
    )
    .map_err(io)?;
    for sub in [form::DIR, RULES_DIR] {
        std::fs::create_dir_all(dir.path().join(sub)).map_err(io)?;
        let Ok(entries) = std::fs::read_dir(root.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                std::fs::copy(entry.path(), dir.path().join(sub).join(entry.file_name()))
                    .map_err(io)?;
            }
        }
    }
    for (path, text) in edit.files() {
        std::fs::write(dir.path().join(path), text).map_err(io)?;
    }
    let (catalogue, problems) = crate::intake::cases::checked(dir.path());
    if !catalogue.forms.contains_key(&edit.form_id) {
        return Err(problems);
    }
    Ok(Staged {
        catalogue,
        problems,
        _dir: dir,
    })
}
