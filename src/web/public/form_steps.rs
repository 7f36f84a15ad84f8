//! Where a post of a form in steps leads: what its button asked for, which step (or the
//! review page) comes next, which problems that step shows, and the answers the post carries
//! (its state's, with the shown step's replaced by what was posted). No HTTP here: the
//! handler (`form.rs`) reads the post and renders the page this decides.

use std::collections::HashSet;

use super::form_state::{FormState, Page};
use crate::catalogue::Form;
use crate::intake::FieldError;
use crate::intake::coerce::Posted;

/// What a page's button asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// « Continuer » / « Vérifier mes réponses ».
    Next,
    /// « Retour ».
    Back,
    /// « Modifier » a step (by index) from the review page.
    Edit(usize),
    /// « Envoyer ma demande ».
    Submit,
}

impl Action {
    pub(super) fn parse(text: &str) -> Action {
        match text {
            "back" => Action::Back,
            "submit" => Action::Submit,
            "edit" => Action::Edit(0),
            other => match other
                .strip_prefix("edit-")
                .and_then(|n| n.parse::<usize>().ok())
            {
                Some(n) if n >= 1 => Action::Edit(n - 1),
                _ => Action::Next,
            },
        }
    }
}

/// Where a person goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Destination {
    /// A step to fill in (or change): shown without problems.
    Fill(usize),
    /// A step with problems to fix, shown with its own.
    Fix(usize),
    /// The review page (or, for `submit`, filing).
    Review,
}

/// After a post checked against the whole form: where the person goes, given the step they
/// were on (`None`: the review page, or a post without state, taken as the whole form).
pub(super) fn destination(
    form: &Form,
    action: Action,
    on: Option<usize>,
    back_to_review: bool,
    errors: &[FieldError],
) -> Destination {
    let last = form.steps.len() - 1;
    let first_with_problems = || {
        errors
            .iter()
            .map(|e| form.steps.of_pointer(&e.path))
            .min()
            .map_or(Destination::Review, Destination::Fix)
    };
    match (action, on) {
        (Action::Back, on) => Destination::Fill(on.unwrap_or(last).saturating_sub(1)),
        (Action::Edit(step), _) => Destination::Fill(step.min(last)),
        (Action::Submit, _) | (Action::Next, None) => first_with_problems(),
        (Action::Next, Some(step)) => {
            if errors
                .iter()
                .any(|e| form.steps.of_pointer(&e.path) == step)
            {
                Destination::Fix(step)
            } else if back_to_review || step >= last {
                first_with_problems()
            } else {
                Destination::Fill(step + 1)
            }
        }
    }
}

/// The problems a step shows: those at its own questions.
pub(super) fn errors_of_step(form: &Form, errors: &[FieldError], step: usize) -> Vec<FieldError> {
    errors
        .iter()
        .filter(|e| form.steps.of_pointer(&e.path) == step)
        .cloned()
        .collect()
}

/// The answers a post carries: the state's, with those of the step it showed replaced by
/// what was posted (an unticked box posts nothing, so a step's answers are replaced whole).
/// The review page shows no questions: its state is the answers.
pub(super) fn merged_answers(
    form: &Form,
    kept: &FormState,
    posted: Vec<(String, String)>,
) -> Posted {
    let shown = match kept.page {
        Page::Step(step) => Some(step),
        Page::Review => None,
    };
    let on_page = |name: &str| shown.is_some() && form.steps.of_name(name) == shown;
    let mut answers: Vec<(String, String)> = kept
        .answers
        .iter()
        .filter(|(name, _)| !on_page(name))
        .cloned()
        .collect();
    answers.extend(posted.into_iter().filter(|(name, _)| on_page(name)));
    Posted::from_pairs(answers)
}

/// The answers kept from a state made for an earlier version of the form, with what was
/// posted over them by name: what still fits the new version is kept, the rest dropped.
pub(super) fn carried_over(kept: &FormState, posted: Vec<(String, String)>) -> Posted {
    let names: HashSet<String> = posted.iter().map(|(k, _)| k.clone()).collect();
    let mut answers: Vec<(String, String)> = kept
        .answers
        .iter()
        .filter(|(name, _)| !names.contains(name))
        .cloned()
        .collect();
    answers.extend(posted);
    Posted::from_pairs(answers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::territory::Territory;
    use std::collections::HashMap;

    /// Three steps: `a`, then `b`, then `c`.
    fn form() -> Form {
        let territory = Territory::parse(
            "[territory]\nname = \"T\"\n[[services]]\nid = \"s\"\nname = \"S\"\ndefault_queue = \"q\"\n[[services.queues]]\nid = \"q\"\nname = \"Q\"\n",
        )
        .unwrap();
        let definition = serde_json::json!({
            "title": "F", "type": "object", "additionalProperties": false,
            "x-guichet": {"service": "s", "steps": [
                {"title": "Un", "properties": ["a"]},
                {"title": "Deux", "properties": ["b"]},
                {"title": "Trois", "properties": ["c"]}
            ]},
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}}
        });
        Form::load("f", &definition.to_string(), &territory, &HashMap::new()).unwrap()
    }

    fn error(path: &str) -> FieldError {
        FieldError::new(path, "x")
    }

    #[test]
    fn buttons_read_as_actions() {
        assert_eq!(Action::parse("next"), Action::Next);
        assert_eq!(Action::parse("review"), Action::Next);
        assert_eq!(Action::parse(""), Action::Next);
        assert_eq!(Action::parse("back"), Action::Back);
        assert_eq!(Action::parse("submit"), Action::Submit);
        assert_eq!(Action::parse("edit"), Action::Edit(0));
        assert_eq!(Action::parse("edit-3"), Action::Edit(2));
        assert_eq!(Action::parse("edit-0"), Action::Next, "steps count from 1");
        assert_eq!(Action::parse("edit-x"), Action::Next);
    }

    #[test]
    fn continuing_checks_the_step_then_moves_on() {
        let form = form();
        // Problems at later steps do not hold the person back.
        let later = [error("/c")];
        assert_eq!(
            destination(&form, Action::Next, Some(0), false, &later),
            Destination::Fill(1)
        );
        assert_eq!(
            destination(&form, Action::Next, Some(1), false, &[error("/b")]),
            Destination::Fix(1)
        );
        // The last step, or a step changed from the review: the first step with a problem.
        assert_eq!(
            destination(&form, Action::Next, Some(2), false, &[error("/a")]),
            Destination::Fix(0)
        );
        assert_eq!(
            destination(&form, Action::Next, Some(2), false, &[]),
            Destination::Review
        );
        assert_eq!(
            destination(&form, Action::Next, Some(0), true, &[]),
            Destination::Review
        );
        assert_eq!(
            destination(&form, Action::Next, Some(0), true, &later),
            Destination::Fix(2)
        );
        // A problem about the whole form belongs to the first step.
        assert_eq!(
            destination(&form, Action::Submit, None, false, &[error("")]),
            Destination::Fix(0)
        );
    }

    #[test]
    fn back_and_edit_lead_to_a_step_to_fill() {
        let form = form();
        assert_eq!(
            destination(&form, Action::Back, Some(2), false, &[]),
            Destination::Fill(1)
        );
        assert_eq!(
            destination(&form, Action::Back, Some(0), false, &[]),
            Destination::Fill(0)
        );
        assert_eq!(
            destination(&form, Action::Edit(1), None, false, &[]),
            Destination::Fill(1)
        );
        assert_eq!(
            destination(&form, Action::Edit(9), None, false, &[]),
            Destination::Fill(2)
        );
    }

    #[test]
    fn a_post_replaces_the_answers_of_its_own_step_only() {
        let form = form();
        let kept = FormState {
            form: "f".into(),
            version: form.version.as_str().into(),
            page: Page::Step(1),
            back_to_review: false,
            answers: vec![
                ("a".into(), "1".into()),
                ("b".into(), "old".into()),
                ("c".into(), "3".into()),
            ],
            issued: 0,
        };
        // `b` emptied (not posted), and an answer to another step's question ignored.
        let merged = merged_answers(&form, &kept, vec![("a".into(), "forged".into())]);
        assert_eq!(
            merged.pairs(),
            [
                ("a".to_owned(), "1".to_owned()),
                ("c".to_owned(), "3".to_owned())
            ]
        );
        let review = FormState {
            page: Page::Review,
            ..kept
        };
        let merged = merged_answers(&form, &review, vec![("b".into(), "new".into())]);
        assert_eq!(
            merged.first("b"),
            Some("old"),
            "the review page posts no answer"
        );
    }
}
