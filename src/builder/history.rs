//! Every form version in service goes into the history, including those made outside the
//! builder (an admin editing files, a `git pull`): on start and on every reload, each form's
//! version is recorded once, with the author and subject of the last commit that touched
//! its files when they are committed.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use crate::catalogue::{Catalogue, Form, RULES_DIR, form};
use crate::store::builder::Provenance;
use crate::store::{FormVersionRecord, Store};

pub async fn record_versions(store: Arc<dyn Store>, catalogue: Arc<Catalogue>) {
    for form in catalogue.forms.values() {
        let record = FormVersionRecord::of(form);
        match store.record_version(&record, &Provenance::default()).await {
            Ok(true) if form.git_commit.is_some() => {
                let provenance = git_provenance(&catalogue, form);
                if let Err(err) = store.record_version(&record, &provenance).await {
                    tracing::warn!(form = %form.id, %err, "cannot record the version's author");
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(form = %form.id, %err, "cannot record the form's version"),
        }
    }
}

/// The author (e-mail) and subject of the last commit touching the form's files, up to the
/// commit the form was loaded from.
fn git_provenance(catalogue: &Catalogue, form: &Form) -> Provenance {
    let mut paths = vec![PathBuf::from(form::DIR).join(format!("{}.json", form.id))];
    if let Some(rule) = &form.meta.rule {
        paths.push(PathBuf::from(RULES_DIR).join(format!("{rule}.rhai")));
    }
    // As of the commit the snapshot was loaded from, not today's HEAD: the files may have
    // moved on since.
    let Some(commit) = &form.git_commit else {
        return Provenance::default();
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(&catalogue.root)
        .args(["log", "-1", "--format=%ae%x1f%s", commit.as_str(), "--"])
        .args(&paths)
        .output();
    let Some(output) = output.ok().filter(|o| o.status.success()) else {
        return Provenance::default();
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let (author, message) = text.trim().split_once('\u{1f}').unwrap_or_default();
    Provenance {
        author: Some(author.to_owned()).filter(|a| !a.is_empty()),
        message: Some(message.to_owned()).filter(|m| !m.is_empty()),
    }
}
