//! A problem found in a catalogue file, located precisely enough for an admin to fix it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column in the file.
    LineCol(usize, usize),
    /// A JSON Pointer into the file's document.
    Pointer(String),
    /// The file as a whole.
    File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path relative to the catalogue root, as the admin sees it in git.
    pub file: PathBuf,
    pub location: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            location,
            message: message.into(),
        }
    }

    pub fn at_pointer(file: impl Into<PathBuf>, pointer: &str, message: impl Into<String>) -> Self {
        Diagnostic::new(file, Location::Pointer(pointer.to_owned()), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.location {
            Location::LineCol(line, col) => write!(f, "{file}:{line}:{col}: {}", self.message),
            Location::Pointer(p) if p.is_empty() => {
                write!(f, "{file}: at the root: {}", self.message)
            }
            Location::Pointer(p) => write!(f, "{file}: at {p}: {}", self.message),
            Location::File => write!(f, "{file}: {}", self.message),
        }
    }
}

/// 1-based line and column of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
