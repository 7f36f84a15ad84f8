//! A problem found in a catalogue file, located precisely enough for an admin to fix it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column in the file.
    LineCol(usize, usize),
    /// A JSON Pointer into the file's document.
    Pointer(String),
    /// A JSON Pointer, found at this 1-based line and column.
    PointerAt(String, usize, usize),
    /// The file as a whole.
    File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Path relative to the catalogue root, as the admin sees it in git.
    pub file: PathBuf,
    pub location: Location,
    /// In English, as `guichet check` prints it.
    pub message: String,
    /// The same problem for form designers in the builder, where there is one.
    pub french: Option<InFrench>,
}

/// A problem told in French, as a whole sentence with its position, and the original words
/// kept as a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFrench {
    pub text: String,
    pub detail: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            location,
            message: message.into(),
            french: None,
        }
    }

    /// Adds the French sentence the builder shows; `detail` is what the tool said.
    pub fn in_french(mut self, text: impl Into<String>, detail: impl Into<String>) -> Self {
        self.french = Some(InFrench {
            text: text.into(),
            detail: detail.into(),
        });
        self
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
            Location::PointerAt(p, line, col) if p.is_empty() => {
                write!(f, "{file}:{line}:{col}: at the root: {}", self.message)
            }
            Location::PointerAt(p, line, col) => {
                write!(f, "{file}:{line}:{col}: at {p}: {}", self.message)
            }
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

impl Diagnostic {
    /// Adds the line and column of a JSON Pointer location, found in the file's text, so
    /// editors can jump to it. The pointer stays in the message. A pointer to something
    /// absent (a missing property) is placed at its closest existing parent.
    pub fn locate_in_json(mut self, text: &str) -> Diagnostic {
        if let Location::Pointer(pointer) = &self.location {
            let mut path: Vec<String> = pointer
                .split('/')
                .skip(1)
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            loop {
                if let Some(offset) = json_position(text, &path) {
                    let (line, col) = line_col(text, offset);
                    self.location = Location::PointerAt(pointer.clone(), line, col);
                    break;
                }
                if path.pop().is_none() {
                    break;
                }
            }
        }
        self
    }
}

impl Diagnostic {
    /// The same for a pointer into a TOML file (the territory's checks report pointers such
    /// as `/services/0/default_queue`): placed at the value, or at its closest existing
    /// parent when the value is absent. A file that does not parse is left as it was.
    pub fn locate_in_toml(mut self, text: &str) -> Diagnostic {
        if let Location::Pointer(pointer) = &self.location
            && let Ok(root) = toml::de::DeTable::parse(text)
        {
            let mut path: Vec<&str> = pointer.split('/').skip(1).collect();
            while !path.is_empty() {
                if let Some(offset) = toml_position(root.get_ref(), &path) {
                    let (line, col) = line_col(text, offset);
                    self.location = Location::PointerAt(pointer.clone(), line, col);
                    break;
                }
                path.pop();
            }
        }
        self
    }
}

/// The byte offset of the value at `path` (keys and array indexes) in a parsed TOML file.
fn toml_position(root: &toml::de::DeTable<'_>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let mut node = root.get(*first)?;
    for segment in rest {
        let value = node.get_ref();
        node = match segment.parse::<usize>() {
            Ok(index) if value.is_array() => value.get(index)?,
            _ => value.get(*segment)?,
        };
    }
    Some(node.span().start)
}

/// The byte offset of the value at `path` in a JSON text, if it is there.
pub fn json_position(text: &str, path: &[String]) -> Option<usize> {
    let mut scanner = JsonScanner {
        bytes: text.as_bytes(),
        pos: 0,
    };
    scanner.find(path)
}

/// Just enough of a JSON reader to walk to a value: it never builds the document.
struct JsonScanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl JsonScanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    fn find(&mut self, path: &[String]) -> Option<usize> {
        self.skip_whitespace();
        let Some((first, rest)) = path.split_first() else {
            return Some(self.pos);
        };
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                loop {
                    self.skip_whitespace();
                    if self.peek()? == b'}' {
                        return None;
                    }
                    let key = self.string()?;
                    self.eat(b':')?;
                    if key == *first {
                        return self.find(rest);
                    }
                    self.skip_value()?;
                    self.eat(b',')?;
                }
            }
            b'[' => {
                let wanted: usize = first.parse().ok()?;
                self.pos += 1;
                for index in 0.. {
                    self.skip_whitespace();
                    if self.peek()? == b']' {
                        return None;
                    }
                    if index == wanted {
                        return self.find(rest);
                    }
                    self.skip_value()?;
                    self.eat(b',')?;
                }
                None
            }
            _ => None,
        }
    }

    /// Reads a string and decodes it, so keys with escapes compare right.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        while self.peek()? != b'"' {
            if self.peek()? == b'\\' {
                self.pos += 1;
            }
            self.pos += 1;
        }
        self.pos += 1;
        serde_json::from_slice(&self.bytes[start..self.pos]).ok()
    }

    fn skip_value(&mut self) -> Option<()> {
        self.skip_whitespace();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, pointer: &str) -> Location {
        Diagnostic::at_pointer("f.json", pointer, "m")
            .locate_in_json(text)
            .location
    }

    #[test]
    fn pointers_get_line_and_column() {
        let text = "{\n  \"a\": {\"b\": [1, {\"c\": \"x\"}]},\n  \"d\\\"e\": true\n}";
        assert_eq!(
            at(text, "/a/b/1/c"),
            Location::PointerAt("/a/b/1/c".into(), 2, 24)
        );
        assert_eq!(
            at(text, "/d\"e"),
            Location::PointerAt("/d\"e".into(), 3, 11)
        );
        // A missing member points at its parent.
        assert_eq!(
            at(text, "/a/missing"),
            Location::PointerAt("/a/missing".into(), 2, 8)
        );
        assert_eq!(at(text, ""), Location::PointerAt(String::new(), 1, 1));
        assert_eq!(at("not json", "/a"), Location::PointerAt("/a".into(), 1, 1));
    }

    #[test]
    fn toml_pointers_get_line_and_column() {
        let text = "[territory]\nname = \"T\"\n\n[[services]]\nid = \"a\"\n\n[[services]]\nid = \"b\"\ndefault_queue = \"q\"\n";
        let at = |pointer: &str| {
            Diagnostic::at_pointer("t.toml", pointer, "m")
                .locate_in_toml(text)
                .location
        };
        assert_eq!(
            at("/services/1/default_queue"),
            Location::PointerAt("/services/1/default_queue".into(), 9, 17)
        );
        assert_eq!(
            at("/territory/name"),
            Location::PointerAt("/territory/name".into(), 2, 8)
        );
        // Absent: the closest parent that is there.
        assert_eq!(
            at("/services/1/webhooks/0/url"),
            Location::PointerAt("/services/1/webhooks/0/url".into(), 7, 1)
        );
        assert_eq!(
            Diagnostic::at_pointer("t.toml", "/a", "m")
                .locate_in_toml("not = = toml")
                .location,
            Location::Pointer("/a".into())
        );
    }

    #[test]
    fn display_gives_file_line_col_and_pointer() {
        let d = Diagnostic::at_pointer("f.json", "/a", "bad").locate_in_json("{\"a\": 1}");
        assert_eq!(d.to_string(), "f.json:1:7: at /a: bad");
    }
}
