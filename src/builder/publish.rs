//! Publishing a draft: check it with the whole catalogue, write its files, commit them.
//!
//! We shell out to `git` (the admins' own tool, with their hooks and configuration) rather
//! than link a git library. Only the form's files are staged and committed, so other local
//! changes in the catalogue are never swept into a designer's commit. The designer is the
//! commit's author; the committer is the repository's configured identity, or "Guichet"
//! when it has none.

use std::path::Path;
use std::process::Command;

use super::staging::{Edit, stage};
use crate::catalogue::Diagnostic;

/// The person publishing, as git records them.
#[derive(Debug, Clone)]
pub struct Author {
    pub name: String,
    pub email: String,
}

/// What happened to the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Committed; the commit's hash.
    Committed(String),
    /// The catalogue is not in a git repository: the files are written, nothing committed.
    NotARepository,
}

#[derive(Debug)]
pub enum PublishError {
    /// The draft (with the rest of the catalogue) does not pass the checks; nothing written.
    Check(Vec<Diagnostic>),
    /// The files are the ones already published.
    Unchanged,
    /// Writing or committing failed (the message says what was done).
    Failed(String),
}

static PUBLISHING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Checks `edit` against the catalogue at `root`, writes its files and commits them.
/// Publications in this process run one at a time.
pub fn publish(
    root: &Path,
    edit: &Edit,
    author: &Author,
    message: &str,
) -> Result<Recorded, PublishError> {
    let _one_at_a_time = PUBLISHING.lock().unwrap_or_else(|e| e.into_inner());
    let staged = stage(root, edit).map_err(PublishError::Check)?;
    if !staged.problems.is_empty() {
        return Err(PublishError::Check(staged.problems));
    }
    drop(staged);
    let files = edit.files();
    let unchanged = files.iter().all(|(path, text)| {
        std::fs::read_to_string(root.join(path)).is_ok_and(|current| current == *text)
    });
    if unchanged {
        return Err(PublishError::Unchanged);
    }
    // What was there before, to put back if anything below fails: a publication is whole
    // or nothing, so that it can simply be tried again.
    let previous: Vec<Option<String>> = files
        .iter()
        .map(|(path, _)| std::fs::read_to_string(root.join(path)).ok())
        .collect();
    let paths: Vec<String> = files
        .iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    let undo = |why: String| {
        for ((path, _), before) in files.iter().zip(&previous) {
            let _ = match before {
                Some(text) => write_atomically(&root.join(path), text),
                None => std::fs::remove_file(root.join(path)),
            };
        }
        let _ = git(
            root,
            &[&["reset", "--quiet", "--"][..], &to_refs(&paths)].concat(),
        );
        PublishError::Failed(format!("{why}; nothing was published"))
    };
    for (path, text) in &files {
        write_atomically(&root.join(path), text)
            .map_err(|err| undo(format!("cannot write {}: {err}", path.display())))?;
    }
    if git(root, &["rev-parse", "--is-inside-work-tree"]).is_err() {
        return Ok(Recorded::NotARepository);
    }
    let committed = git(root, &[&["add", "--"][..], &to_refs(&paths)].concat()).and_then(|_| {
        let identity = format!("{} <{}>", author.name, author.email);
        git(
            root,
            &[
                &[
                    "commit", "--quiet", "--author", &identity, "-m", message, "--",
                ][..],
                &to_refs(&paths),
            ]
            .concat(),
        )
    });
    committed.map_err(|err| undo(format!("the git commit failed: {err}")))?;
    let head = git(root, &["rev-parse", "HEAD"]).map_err(PublishError::Failed)?;
    Ok(Recorded::Committed(head.trim().to_owned()))
}

fn to_refs(paths: &[String]) -> Vec<&str> {
    paths.iter().map(String::as_str).collect()
}

/// Runs git in `root`; its stdout, or its stderr as the error.
fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    command.arg("-C").arg(root).args(args);
    let configured = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["config", "user.email"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !configured {
        command
            .env("GIT_COMMITTER_NAME", "Guichet")
            .env("GIT_COMMITTER_EMAIL", "guichet@localhost");
    }
    let output = command
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Readers (a reload, another instance) see the old file or the new one, never half.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    // A temporary file is private (0600): give it the file's permissions, or the usual
    // ones for a new file, so that other readers of the catalogue still can.
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        });
    file.as_file().set_permissions(permissions)?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}
