//! A catalogue's pinned cases and examples, run through intake, and the loader that serves
//! a catalogue only when they hold: the server at start-up and on reload, the builder's
//! preview, `guichet purge` and `guichet check` all load through [`checked`].
//!
//! It sits here, not in the catalogue, because a case is data sent through
//! [`accept`](super::accept) (validation and routing), and the catalogue knows nothing of
//! requests.

use std::path::Path;

use crate::catalogue::form::META_KEY;
use crate::catalogue::{Catalogue, Diagnostic, Form, checks};
use crate::domain::{Channel, Priority};

/// Loads the catalogue for service, or returns every problem `guichet check` would print: a
/// catalogue whose rules contradict their own pinned cases is not served (the server
/// refuses to start on it, and a reload keeps the previous one).
pub fn load_checked(root: &Path) -> Result<Catalogue, Vec<Diagnostic>> {
    match checked(root) {
        (catalogue, problems) if problems.is_empty() => Ok(catalogue),
        (_, problems) => Err(problems),
    }
}

/// The catalogue as loaded (forms with errors left out, forms whose cases fail kept) and
/// every problem `guichet check` would print.
pub fn checked(root: &Path) -> (Catalogue, Vec<Diagnostic>) {
    let loaded = Catalogue::load(root);
    let mut problems = loaded.diagnostics;
    for form in loaded.catalogue.forms.values() {
        let text = std::fs::read_to_string(root.join(&form.file)).unwrap_or_default();
        let found = run_cases(&loaded.catalogue, form)
            .into_iter()
            .chain(route_examples(&loaded.catalogue, form))
            .chain(checks::personal_data(&loaded.catalogue, form));
        problems.extend(found.map(|d| d.locate_in_json(&text)));
    }
    (loaded.catalogue, problems)
}

/// The top-level `examples` must not only validate (loading checks that) but also be
/// routed by the rule without falling back: they are what the form is for.
fn route_examples(catalogue: &Catalogue, form: &Form) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    for (i, example) in form.examples.iter().enumerate() {
        if let Ok(accepted) = super::accept(catalogue, form, example.clone(), None, Channel::Web)
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
        let outcome = super::accept(
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
                    && decision.queue != *queue
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
