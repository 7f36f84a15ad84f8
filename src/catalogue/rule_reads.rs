//! Finds the submission fields a rule reads (`data.x`, `data.x.y`, `data["x"]`), with their
//! positions, so `guichet check` can report a rule that reads a field the form lacks.
//!
//! A small scanner rather than a walk of Rhai's AST: the AST's internals are unstable across
//! releases, while this only has to skip comments and string literals.

/// One read of `data`, as a path of property names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataRead {
    pub path: Vec<String>,
    pub line: usize,
    pub col: usize,
}

/// A position in the source that keeps its line and column up to date.
struct Cursor {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Cursor {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    fn bump(&mut self) {
        if self.peek(0) == Some('\n') {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        self.i += 1;
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self.peek(0).is_some_and(is_ident_char) {
            self.bump();
        }
        self.chars[start..self.i].iter().collect()
    }
}

pub fn data_reads(source: &str) -> Vec<DataRead> {
    let mut cur = Cursor {
        chars: source.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let mut reads = Vec::new();
    while let Some(c) = cur.peek(0) {
        match (c, cur.peek(1)) {
            ('/', Some('/')) => {
                while cur.peek(0).is_some_and(|c| c != '\n') {
                    cur.bump();
                }
            }
            ('/', Some('*')) => skip_block_comment(&mut cur),
            ('"' | '`' | '\'', _) => skip_string(&mut cur, c),
            _ if is_ident_start(c) => {
                let preceded_by_dot = cur.i > 0 && cur.chars[cur.i - 1] == '.';
                let (line, col) = (cur.line, cur.col);
                if cur.ident() == "data" && !preceded_by_dot {
                    let path = read_path(&mut cur);
                    if !path.is_empty() {
                        reads.push(DataRead { path, line, col });
                    }
                }
            }
            _ => cur.bump(),
        }
    }
    reads
}

/// Rhai block comments nest.
fn skip_block_comment(cur: &mut Cursor) {
    let mut depth = 0usize;
    while let Some(c) = cur.peek(0) {
        match (c, cur.peek(1)) {
            ('/', Some('*')) => {
                depth += 1;
                cur.bump();
            }
            ('*', Some('/')) => {
                depth -= 1;
                cur.bump();
                if depth == 0 {
                    cur.bump();
                    return;
                }
            }
            _ => {}
        }
        cur.bump();
    }
}

fn skip_string(cur: &mut Cursor, quote: char) {
    cur.bump();
    while let Some(c) = cur.peek(0) {
        if c == quote {
            cur.bump();
            return;
        }
        if c == '\\' {
            cur.bump();
        }
        cur.bump();
    }
}

/// Reads `.a`, `?.a` and `["a"]` segments after `data`.
fn read_path(cur: &mut Cursor) -> Vec<String> {
    let mut path = Vec::new();
    loop {
        match (cur.peek(0), cur.peek(1)) {
            (Some('.'), _) | (Some('?'), Some('.')) => {
                if cur.peek(0) == Some('?') {
                    cur.bump();
                }
                cur.bump();
                let name = cur.ident();
                // `data.keys()` is a method call, not a field read.
                if name.is_empty() || cur.peek(0) == Some('(') {
                    break;
                }
                path.push(name);
            }
            (Some('['), Some('"')) => {
                let rest: String = cur.chars[cur.i + 2..]
                    .iter()
                    .take_while(|c| **c != '"' && **c != '\n')
                    .collect();
                let end = cur.i + 2 + rest.chars().count();
                if cur.chars.get(end) != Some(&'"') || cur.chars.get(end + 1) != Some(&']') {
                    break;
                }
                while cur.i < end + 2 {
                    cur.bump();
                }
                path.push(rest);
            }
            _ => break,
        }
    }
    path
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(source: &str) -> Vec<String> {
        data_reads(source)
            .into_iter()
            .map(|r| r.path.join("."))
            .collect()
    }

    #[test]
    fn finds_dotted_and_indexed_reads() {
        assert_eq!(
            paths(r#"if data.a > 1 { data.b.c } else { data["d"] }"#),
            ["a", "b.c", "d"]
        );
    }

    #[test]
    fn skips_comments_strings_and_methods() {
        assert!(paths("// data.x\n/* data.y */ \"data.z\" data.keys()").is_empty());
        assert_eq!(paths("my.data.x; data?.opt"), ["opt"]);
    }

    #[test]
    fn reports_positions() {
        let reads = data_reads("let a = 1;\n  data.x");
        assert_eq!((reads[0].line, reads[0].col), (2, 3));
    }
}
