//! `guichet check`: lints a catalogue the way CI needs it. Every problem is printed as
//! `file:line:col: message` (or `file: at /json/pointer: message`), and the exit code is
//! non-zero if there is any.
//!
//! It prints what the server's loader finds ([`checked`]): on top of what loading checks
//! (JSON, meta-schema, territory references, rule compilation, fields read by rules,
//! conditions), each form's `cases` run through validation and routing and compared with
//! what the designer pinned.
//!
//! A webhook whose signing secret is missing from the environment is a warning, printed with
//! `warning:` and leaving the exit code at zero: CI need not hold production secrets. `serve`
//! refuses to start on it (see [`checks::unsigned_webhooks`]). So are a form that states no
//! purpose for its personal data and a missing legal mention (see [`checks::warnings`]),
//! printed once the catalogue has no errors: the notice and the legal pages still render,
//! with a generic purpose or « non renseigné ».

use std::path::PathBuf;
use std::process::ExitCode;

use crate::catalogue::{Diagnostic, checks};
use crate::intake::cases::checked;

/// Checks each catalogue folder; prints the report and returns the exit code.
pub fn run(paths: &[PathBuf]) -> ExitCode {
    let mut total = 0;
    let mut warned = 0;
    for path in paths {
        let (catalogue, problems) = checked(path);
        let mut warnings: Vec<Diagnostic> = checks::unsigned_webhooks(&catalogue)
            .into_iter()
            .map(|mut d| {
                d.message = format!(
                    "warning: {}; `guichet serve` refuses to start until it is set",
                    d.message
                );
                d
            })
            .collect();
        // Once the catalogue has no errors: it is not served until then, and wording would
        // bury what must be fixed first.
        if problems.is_empty() {
            warnings.extend(checks::warnings(&catalogue).into_iter().map(|mut d| {
                d.message = format!("warning: {}", d.message);
                d
            }));
        }
        for problem in problems.iter().chain(&warnings) {
            if paths.len() > 1 {
                println!("{}: {problem}", path.display());
            } else {
                println!("{problem}");
            }
        }
        total += problems.len();
        warned += warnings.len();
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let warnings = match warned {
        0 => String::new(),
        n => format!(" ({n} warning{})", plural(n)),
    };
    if total == 0 {
        eprintln!("guichet check: no problems found{warnings}");
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "guichet check: {total} problem{} found{warnings}",
            plural(total)
        );
        ExitCode::FAILURE
    }
}
