//! `guichet check`: lints a catalogue the way CI needs it. Every problem is printed as
//! `file:line:col: message` (or `file: at /json/pointer: message`), and the exit code is
//! non-zero if there is any.
//!
//! On top of what loading checks (JSON, meta-schema, territory references, rule compilation,
//! fields read by rules, conditions), it runs each form's `cases` through validation and
//! routing and compares the outcome with what the designer pinned.
//!
//! A webhook whose signing secret is missing from the environment is a warning, printed with
//! `warning:` and leaving the exit code at zero: CI need not hold production secrets. `serve`
//! refuses to start on it (see [`unsigned_webhooks`]). So are a form that states no purpose
//! for its personal data and a missing legal mention (see [`legal::warnings`]), printed
//! once the catalogue has no errors: the notice and the legal pages still render, with a
//! generic purpose or « non renseigné ».

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::catalogue::form::META_KEY;
use crate::catalogue::{Catalogue, Diagnostic, Form};
use crate::catalogue::{legal, territory};
use crate::domain::{Channel, Priority};
use crate::intake;

/// Checks each catalogue folder; prints the report and returns the exit code.
pub fn run(paths: &[PathBuf]) -> ExitCode {
    let mut total = 0;
    let mut warned = 0;
    for path in paths {
        let (catalogue, problems) = checked(path);
        let mut warnings: Vec<Diagnostic> = unsigned_webhooks(&catalogue)
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
            warnings.extend(legal::warnings(&catalogue).into_iter().map(|mut d| {
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

/// The webhooks that cannot sign their deliveries with what this process's environment
/// holds (their variable is unset, empty or blank), located in territory.toml. Every
/// delivery of theirs would fail, retried for hours and then parked as dead.
pub fn unsigned_webhooks(catalogue: &Catalogue) -> Vec<Diagnostic> {
    let unsigned = catalogue.territory.unsigned_webhooks();
    if unsigned.is_empty() {
        return Vec::new();
    }
    let text =
        std::fs::read_to_string(catalogue.root.join(territory::FILE_NAME)).unwrap_or_default();
    unsigned
        .into_iter()
        .map(|hook| {
            Diagnostic::at_pointer(
                territory::FILE_NAME,
                &hook.pointer,
                format!(
                    "webhook « {} » cannot sign its deliveries: {}",
                    hook.target, hook.why
                ),
            )
            .locate_in_toml(&text)
        })
        .collect()
}

/// Every problem in the catalogue at `root`.
pub fn check(root: &Path) -> Vec<Diagnostic> {
    checked(root).1
}

/// Loads the catalogue for service, or returns every problem `check` would print: a
/// catalogue whose rules contradict their own pinned cases is not served (the server
/// refuses to start on it, and a reload keeps the previous one).
pub fn load_checked(root: &Path) -> Result<Catalogue, Vec<Diagnostic>> {
    match checked(root) {
        (catalogue, problems) if problems.is_empty() => Ok(catalogue),
        (_, problems) => Err(problems),
    }
}

/// The catalogue as loaded (forms with errors left out, forms whose cases fail kept) and
/// every problem `check` would print.
pub fn checked(root: &Path) -> (Catalogue, Vec<Diagnostic>) {
    let loaded = Catalogue::load(root);
    let mut problems = loaded.diagnostics;
    for form in loaded.catalogue.forms.values() {
        let text = std::fs::read_to_string(root.join(&form.file)).unwrap_or_default();
        let found = run_cases(&loaded.catalogue, form)
            .into_iter()
            .chain(route_examples(&loaded.catalogue, form));
        problems.extend(found.map(|d| d.locate_in_json(&text)));
    }
    (loaded.catalogue, problems)
}

/// The top-level `examples` must not only validate (loading checks that) but also be
/// routed by the rule without falling back: they are what the form is for.
fn route_examples(catalogue: &Catalogue, form: &Form) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (i, example) in form.examples.iter().enumerate() {
        if let Ok(accepted) = intake::accept(catalogue, form, example.clone(), None, Channel::Web)
            && let Some(why) = accepted.decision.fallback
        {
            problems.push(
                Diagnostic::at_pointer(
                    &form.file,
                    &format!("/examples/{i}"),
                    format!("the rule could not route this example ({why})"),
                )
                .in_french(
                    format!(
                        "Exemple n° {} : la règle n'a pas pu l'orienter. {}",
                        i + 1,
                        why.explanation
                    ),
                    why.message,
                ),
            );
        }
    }
    problems
}

fn run_cases(catalogue: &Catalogue, form: &Form) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (i, case) in form.meta.cases.iter().enumerate() {
        let at = format!("/{META_KEY}/cases/{i}");
        // In English for `guichet check`, in French for the builder.
        let fail = |message: String, french: String| {
            let message = format!("case « {} »: {message}", case.name);
            Diagnostic::at_pointer(&form.file, &at, message.clone())
                .in_french(format!("Cas « {} » : {french}", case.name), message)
        };
        let channel = match Channel::parse(&case.channel) {
            Ok(channel) => channel,
            Err(err) => {
                problems.push(fail(
                    err,
                    format!(
                        "le canal « {} » n'existe pas (web, api, phone, in_person, mail ou event).",
                        case.channel
                    ),
                ));
                continue;
            }
        };
        let outcome = intake::accept(
            catalogue,
            form,
            case.data.clone(),
            case.commune.as_deref(),
            channel,
        );
        match (outcome, case.expect.valid) {
            (Err(errors), true) => {
                let listed: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {}",
                            if e.path.is_empty() { "/" } else { &e.path },
                            e.message
                        )
                    })
                    .collect();
                problems.push(fail(
                    format!("expected valid data, but: {}", listed.join("; ")),
                    format!(
                        "les données devaient être acceptées, mais : {}",
                        listed.join(" ; ")
                    ),
                ));
            }
            (Ok(_), false) => problems.push(fail(
                "expected invalid data, but it validates".into(),
                "les données devaient être refusées, mais elles sont acceptées.".into(),
            )),
            (Err(_), false) => {}
            (Ok(accepted), true) => {
                let decision = accepted.decision;
                if let Some(why) = &decision.fallback {
                    problems.push(fail(
                        format!("the rule could not decide ({why})"),
                        format!("la règle n'a pas pu décider. {}", why.explanation),
                    ));
                }
                if let Some(queue) = &case.expect.queue
                    && *queue != decision.queue
                {
                    problems.push(fail(
                        format!(
                            "expected queue « {queue} », the rule chose « {} »",
                            decision.queue
                        ),
                        format!(
                            "file attendue « {queue} », la règle a choisi « {} ».",
                            decision.queue
                        ),
                    ));
                }
                if let Some(priority) = &case.expect.priority {
                    match Priority::parse(priority) {
                        Ok(p) if p != decision.priority => {
                            problems.push(fail(
                                format!(
                                    "expected priority « {priority} », the rule chose « {} »",
                                    decision.priority
                                ),
                                format!(
                                    "priorité attendue « {priority} », la règle a choisi « {} ».",
                                    decision.priority
                                ),
                            ));
                        }
                        Ok(_) => {}
                        Err(err) => problems.push(fail(
                            err,
                            format!(
                                "la priorité attendue « {priority} » n'existe pas (low, normal, high ou urgent)."
                            ),
                        )),
                    }
                }
            }
        }
    }
    problems
}
