//! What handling a request does to it: each action a person takes is checked against the
//! request's current state and turns into a new state plus the events that record it.
//!
//! This is pure: the stores load the state inside their transaction, call [`apply`], and
//! write what it returns. Both databases therefore follow exactly the same rules.
//!
//! The deadline clock: while a request waits for the citizen (`paused_at` is set), its due
//! date does not run. When it leaves that status, the due date moves forward by the time
//! spent waiting.

use serde_json::{Value, json};
use time::{Date, OffsetDateTime, Time};

use super::{EventKind, Priority, QueueId, ServiceId, Status};

/// The longest text a person can attach to an action (note, message, reply, reason).
pub const MAX_TEXT_CHARS: usize = 5_000;

/// Where a request stands, as far as handling it is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlingState {
    pub status: Status,
    pub service: ServiceId,
    pub queue: QueueId,
    pub priority: Priority,
    pub assignee: Option<String>,
    pub due_at: Option<OffsetDateTime>,
    pub paused_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// Something a person does to a request. Staff actions come from the back office or the
/// staff API; the last two come from the citizen's tracking link.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The acting agent takes the request (a received request moves to "in progress").
    Take,
    /// Gives the request to a colleague (already checked to work for its service).
    Assign {
        to: String,
    },
    SetStatus {
        status: Status,
    },
    /// Internal: never shown to the citizen, nor to élus.
    Note {
        text: String,
    },
    /// Public: shown to the citizen and to anyone reading the request's public fields
    /// (Open311's `status_notes`), so it must hold no personal data. The service chooses
    /// to publish it; it sends no e-mail.
    PublicNote {
        text: String,
    },
    /// The citizen lost their tracking link and asked for a fresh one: nothing changes but
    /// the link (written by the caller in the same transaction). Allowed in any status.
    RenewTracking,
    /// Shown on the citizen's tracking page. With `await_reply`, the request waits for the
    /// citizen and its deadline clock stops.
    Message {
        text: String,
        await_reply: bool,
    },
    /// To another queue, possibly of another service (already checked to exist).
    Transfer {
        service: ServiceId,
        queue: QueueId,
        reason: String,
    },
    SetPriority {
        priority: Priority,
    },
    SetDueDate {
        due: Option<Date>,
    },
    /// The citizen answers through their link: the request goes back to the queue.
    CitizenReply {
        text: String,
    },
    /// The citizen says a resolved request is not fixed: it reopens in the same queue with
    /// a new deadline.
    NotFixed {
        text: String,
    },
    /// Guichet reminds the citizen that the service still waits for their answer, and
    /// says on which day the request will be closed without it. Only while it waits.
    Remind {
        text: String,
        close_on: Date,
    },
    /// Guichet closes a request whose citizen never answered, despite the reminder: it is
    /// rejected, with `text` telling the citizen why and what to do. Only while it waits.
    CloseWithoutReply {
        text: String,
    },
}

/// The kinds of events internal to the services: élus never see them, nor learn from
/// anything else (a listing's last step…) that they exist. Citizens see only events marked
/// `visible_to_citizen`, which these never are.
pub const INTERNAL_EVENT_KINDS: &[&str] = &["note"];

pub fn is_internal(kind: EventKind) -> bool {
    INTERNAL_EVENT_KINDS.contains(&kind.as_str())
}

/// An event to append, as the store writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub visible_to_citizen: bool,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub state: HandlingState,
    pub events: Vec<NewEvent>,
}

/// Why an action cannot be taken, in plain French, with what to do instead. The two kinds
/// differ for the person: an `Invalid` text is theirs to correct whatever the request's
/// state (422), a `Conflict` comes from the request's state (409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// What the person wrote cannot be recorded as it is: empty, too long, or holding an
    /// invisible character.
    #[error("{0}")]
    Invalid(String),
    /// The request's current state does not allow the action.
    #[error("{0}")]
    Conflict(String),
}

fn refuse<T>(message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::Conflict(message.into()))
}

/// Which status changes staff may make. Closed requests can be reopened ("in progress").
pub fn allowed_transition(from: Status, to: Status) -> bool {
    use Status::*;
    match from {
        Received => matches!(to, InProgress | WaitingForCitizen | Resolved | Rejected),
        InProgress => matches!(to, WaitingForCitizen | Resolved | Rejected),
        WaitingForCitizen => matches!(to, InProgress | Resolved | Rejected),
        Resolved | Rejected => matches!(to, InProgress),
    }
}

pub fn is_open(status: Status) -> bool {
    !matches!(status, Status::Resolved | Status::Rejected)
}

/// A request is overdue when its (running) deadline has passed and it is still being handled.
pub fn is_overdue(
    state_status: Status,
    due_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> bool {
    matches!(state_status, Status::Received | Status::InProgress) && due_at.is_some_and(|d| d < now)
}

/// A text a person attaches to an action, named as messages name it: French articles and
/// pronouns agree with the noun ("La note est vide : écrivez-la", "Le message…").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextName {
    Note,
    PublicNote,
    Message,
    TransferReason,
    /// The citizen's own words, through their tracking link.
    CitizenMessage,
}

impl TextName {
    /// The subject with its article, and the object pronoun that refers back to it.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            TextName::Note => ("La note", "la"),
            TextName::PublicNote => ("La note publique", "la"),
            TextName::Message => ("Le message", "le"),
            TextName::TransferReason => ("Le motif du transfert", "le"),
            TextName::CitizenMessage => ("Votre message", "le"),
        }
    }
}

/// What makes a text attached to an action unrecordable, whatever it is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    Blank,
    /// Over [`MAX_TEXT_CHARS`].
    TooLong,
    /// A control or bidirectional-override character, often from a copy-paste.
    StrayControl,
}

/// The problem of a text a person attaches to an action, if any (the pages that speak the
/// citizen's language ask before acting, and word it themselves).
pub fn text_problem(text: &str) -> Option<TextProblem> {
    let text = text.trim();
    if super::text::is_blank(text) {
        Some(TextProblem::Blank)
    } else if text.chars().count() > MAX_TEXT_CHARS {
        Some(TextProblem::TooLong)
    } else if text.chars().any(super::text::is_stray_control) {
        Some(TextProblem::StrayControl)
    } else {
        None
    }
}

/// Why the citizen's action does not fit the request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenConflict {
    /// A reply to a closed request: "not fixed" is the way to reopen it.
    ReplyToClosed,
    /// "Not fixed" on a request that is not resolved.
    NotResolved,
}

impl CitizenConflict {
    fn message_fr(self) -> &'static str {
        match self {
            CitizenConflict::ReplyToClosed => {
                "Cette demande est close. Si le problème n'est pas réglé, utilisez le bouton « Le problème n'est pas résolu »."
            }
            CitizenConflict::NotResolved => {
                "Seule une demande traitée peut être signalée comme non résolue."
            }
        }
    }
}

/// Whether a citizen's action fits a request in `status` (`None` for staff actions).
pub fn citizen_conflict(action: &Action, status: Status) -> Option<CitizenConflict> {
    match action {
        Action::CitizenReply { .. } if !is_open(status) => Some(CitizenConflict::ReplyToClosed),
        Action::NotFixed { .. } if status != Status::Resolved => Some(CitizenConflict::NotResolved),
        _ => None,
    }
}

fn checked_text(text: &str, name: TextName) -> Result<String, Refusal> {
    let (subject, it) = name.words();
    let invalid = |message: String| Err(Refusal::Invalid(message));
    match text_problem(text) {
        Some(TextProblem::Blank) => invalid(format!(
            "{subject} est vide : écrivez-{it} avant d'envoyer."
        )),
        Some(TextProblem::TooLong) => invalid(format!(
            "{subject} dépasse {MAX_TEXT_CHARS} caractères : raccourcissez-{it}."
        )),
        Some(TextProblem::StrayControl) => invalid(format!(
            "{subject} contient un caractère invisible (souvent venu d'un copier-coller) : retapez-{it} sans ce caractère."
        )),
        None => Ok(text.trim().to_owned()),
    }
}

/// Moves the request to `to`, pausing or resuming the deadline clock, and records it.
fn change_status(
    state: &mut HandlingState,
    to: Status,
    now: OffsetDateTime,
    events: &mut Vec<NewEvent>,
) {
    let from = state.status;
    if from == to {
        return;
    }
    if to == Status::WaitingForCitizen {
        state.paused_at = Some(now);
    } else if let Some(paused) = state.paused_at.take() {
        state.due_at = state.due_at.map(|due| due + (now - paused));
    }
    state.status = to;
    events.push(NewEvent {
        kind: EventKind::StatusChanged,
        visible_to_citizen: true,
        body: json!({"from": from.as_str(), "to": to.as_str()}),
    });
}

/// The instant a due date ends: the end of that day, Paris time being at most UTC+2.
pub fn end_of_due_day(day: Date) -> OffsetDateTime {
    day.with_time(Time::from_hms(21, 59, 59).expect("valid"))
        .assume_utc()
}

/// Applies `action`, taken by `actor`, at `now`.
pub fn apply(
    current: &HandlingState,
    action: &Action,
    actor: &str,
    now: OffsetDateTime,
) -> Result<Transition, Refusal> {
    let mut state = current.clone();
    let mut events = Vec::new();
    match action {
        Action::Take => {
            if !is_open(state.status) {
                return refuse(
                    "Cette demande est close : rouvrez-la (statut « en cours ») avant de la prendre.",
                );
            }
            if state.assignee.as_deref() != Some(actor) {
                state.assignee = Some(actor.to_owned());
                events.push(NewEvent {
                    kind: EventKind::Assigned,
                    visible_to_citizen: false,
                    body: json!({"to": actor}),
                });
            }
            if state.status == Status::Received {
                change_status(&mut state, Status::InProgress, now, &mut events);
            }
            if events.is_empty() {
                return refuse("Vous traitez déjà cette demande.");
            }
        }
        Action::Assign { to } => {
            if state.assignee.as_deref() == Some(to.as_str()) {
                return refuse(format!("La demande est déjà attribuée à {to}."));
            }
            state.assignee = Some(to.clone());
            events.push(NewEvent {
                kind: EventKind::Assigned,
                visible_to_citizen: false,
                body: json!({"to": to}),
            });
        }
        Action::SetStatus { status } => {
            if *status == state.status {
                return refuse(format!(
                    "La demande a déjà le statut « {} ».",
                    status.label_fr()
                ));
            }
            if !allowed_transition(state.status, *status) {
                return refuse(format!(
                    "Une demande au statut « {} » ne peut pas passer au statut « {} ».",
                    state.status.label_fr(),
                    status.label_fr()
                ));
            }
            change_status(&mut state, *status, now, &mut events);
        }
        Action::Note { text } => {
            let text = checked_text(text, TextName::Note)?;
            events.push(NewEvent {
                kind: EventKind::Note,
                visible_to_citizen: false,
                body: json!({"text": text}),
            });
        }
        // Allowed on a closed request too: a note often explains how it was closed.
        Action::PublicNote { text } => {
            let text = checked_text(text, TextName::PublicNote)?;
            events.push(NewEvent {
                kind: EventKind::PublicNote,
                visible_to_citizen: true,
                body: json!({"text": text}),
            });
        }
        Action::Remind { text, close_on } => {
            if state.status != Status::WaitingForCitizen {
                return refuse("Cette demande n'attend plus de réponse du demandeur.");
            }
            events.push(NewEvent {
                kind: EventKind::Reminded,
                visible_to_citizen: true,
                body: json!({"text": text, "close_on": close_on.to_string()}),
            });
        }
        Action::CloseWithoutReply { text } => {
            if state.status != Status::WaitingForCitizen {
                return refuse("Cette demande n'attend plus de réponse du demandeur.");
            }
            change_status(&mut state, Status::Rejected, now, &mut events);
            if let Some(Value::Object(body)) = events.last_mut().map(|e| &mut e.body) {
                body.insert("reason".into(), json!("no_reply"));
                body.insert("text".into(), json!(text));
            }
        }
        Action::RenewTracking => events.push(NewEvent {
            kind: EventKind::TrackingRenewed,
            visible_to_citizen: true,
            body: json!({}),
        }),
        Action::Message { text, await_reply } => {
            let text = checked_text(text, TextName::Message)?;
            if !is_open(state.status) {
                return refuse("Cette demande est close : rouvrez-la avant d'écrire au demandeur.");
            }
            events.push(NewEvent {
                kind: EventKind::Message,
                visible_to_citizen: true,
                body: json!({"text": text}),
            });
            if *await_reply {
                change_status(&mut state, Status::WaitingForCitizen, now, &mut events);
            }
        }
        Action::Transfer {
            service,
            queue,
            reason,
        } => {
            let reason = checked_text(reason, TextName::TransferReason)?;
            if *queue == state.queue {
                return refuse("La demande est déjà dans cette file : choisissez une autre file.");
            }
            events.push(NewEvent {
                kind: EventKind::Transferred,
                visible_to_citizen: true,
                body: json!({
                    "from_service": state.service,
                    "from_queue": state.queue,
                    "service": service,
                    "queue": queue,
                    "reason": reason,
                }),
            });
            // The new service decides who handles it.
            if state.service != *service {
                state.assignee = None;
            }
            state.service = service.clone();
            state.queue = queue.clone();
        }
        Action::SetPriority { priority } => {
            if *priority == state.priority {
                return refuse(format!("La priorité est déjà « {} ».", priority.label_fr()));
            }
            events.push(NewEvent {
                kind: EventKind::PriorityChanged,
                visible_to_citizen: false,
                body: json!({"from": state.priority.as_str(), "to": priority.as_str()}),
            });
            state.priority = *priority;
        }
        Action::SetDueDate { due } => {
            let due_at = due.map(end_of_due_day);
            if due_at == state.due_at {
                return refuse("L'échéance est inchangée.");
            }
            events.push(NewEvent {
                kind: EventKind::DueChanged,
                visible_to_citizen: false,
                body: json!({"due": due.map(|d| d.to_string())}),
            });
            state.due_at = due_at;
        }
        Action::CitizenReply { text } => {
            let text = checked_text(text, TextName::CitizenMessage)?;
            if let Some(conflict) = citizen_conflict(action, state.status) {
                return refuse(conflict.message_fr());
            }
            events.push(NewEvent {
                kind: EventKind::CitizenReply,
                visible_to_citizen: true,
                body: json!({"text": text}),
            });
            if state.status == Status::WaitingForCitizen {
                let back = if state.assignee.is_some() {
                    Status::InProgress
                } else {
                    Status::Received
                };
                change_status(&mut state, back, now, &mut events);
            }
        }
        Action::NotFixed { text } => {
            let text = checked_text(text, TextName::CitizenMessage)?;
            if let Some(conflict) = citizen_conflict(action, state.status) {
                return refuse(conflict.message_fr());
            }
            // The new deadline gives the same time as the first one did.
            let span = state
                .due_at
                .map(|due| (due - state.created_at).max(time::Duration::days(1)));
            state.due_at = span.map(|s| now + s);
            state.paused_at = None;
            change_status(&mut state, Status::Received, now, &mut events);
            events.insert(
                0,
                NewEvent {
                    kind: EventKind::Reopened,
                    visible_to_citizen: true,
                    body: json!({"text": text, "due_at": state.due_at.map(super::time::format_time)}),
                },
            );
        }
    }
    Ok(Transition { state, events })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn received() -> HandlingState {
        HandlingState {
            status: Status::Received,
            service: "environnement".into(),
            queue: "dechets-bacs".into(),
            priority: Priority::Normal,
            assignee: None,
            due_at: Some(datetime!(2026-12-10 12:00 UTC)),
            paused_at: None,
            created_at: datetime!(2026-11-25 12:00 UTC),
        }
    }

    #[test]
    fn taking_assigns_and_starts_handling() {
        let t = apply(
            &received(),
            &Action::Take,
            "agent@x",
            datetime!(2026-11-26 9:00 UTC),
        )
        .unwrap();
        assert_eq!(t.state.status, Status::InProgress);
        assert_eq!(t.state.assignee.as_deref(), Some("agent@x"));
        assert_eq!(
            t.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [EventKind::Assigned, EventKind::StatusChanged]
        );
        assert!(
            apply(
                &t.state,
                &Action::Take,
                "agent@x",
                datetime!(2026-11-26 9:00 UTC)
            )
            .is_err()
        );
    }

    #[test]
    fn waiting_for_the_citizen_pauses_the_deadline() {
        let asked = apply(
            &received(),
            &Action::Message {
                text: "Quel est le numéro du bac ?".into(),
                await_reply: true,
            },
            "agent@x",
            datetime!(2026-11-26 12:00 UTC),
        )
        .unwrap();
        assert_eq!(asked.state.status, Status::WaitingForCitizen);
        assert_eq!(asked.state.paused_at, Some(datetime!(2026-11-26 12:00 UTC)));
        // Three days later the citizen answers: the deadline moves three days on.
        let answered = apply(
            &asked.state,
            &Action::CitizenReply {
                text: "B-12345".into(),
            },
            "citoyen",
            datetime!(2026-11-29 12:00 UTC),
        )
        .unwrap();
        assert_eq!(answered.state.status, Status::Received);
        assert_eq!(answered.state.paused_at, None);
        assert_eq!(answered.state.due_at, Some(datetime!(2026-12-13 12:00 UTC)));
    }

    #[test]
    fn not_fixed_reopens_only_resolved_requests_with_a_new_deadline() {
        let mut state = received();
        assert!(
            apply(
                &state,
                &Action::NotFixed {
                    text: "Toujours cassé".into()
                },
                "citoyen",
                datetime!(2026-11-26 0:00 UTC)
            )
            .is_err()
        );
        state.status = Status::Resolved;
        let now = datetime!(2026-12-20 8:00 UTC);
        let t = apply(
            &state,
            &Action::NotFixed {
                text: "Toujours cassé".into(),
            },
            "citoyen",
            now,
        )
        .unwrap();
        assert_eq!(t.state.status, Status::Received);
        assert_eq!(t.state.queue, "dechets-bacs");
        assert_eq!(t.state.due_at, Some(now + time::Duration::days(15)));
        assert_eq!(t.events[0].kind, EventKind::Reopened);
    }

    #[test]
    fn status_changes_follow_the_life_cycle() {
        let state = received();
        assert!(
            apply(
                &state,
                &Action::SetStatus {
                    status: Status::Received
                },
                "a",
                datetime!(2026-11-26 0:00 UTC)
            )
            .is_err()
        );
        let mut closed = state.clone();
        closed.status = Status::Rejected;
        assert!(
            apply(
                &closed,
                &Action::SetStatus {
                    status: Status::Resolved
                },
                "a",
                datetime!(2026-11-26 0:00 UTC)
            )
            .is_err()
        );
        assert!(
            apply(
                &closed,
                &Action::SetStatus {
                    status: Status::InProgress
                },
                "a",
                datetime!(2026-11-26 0:00 UTC)
            )
            .is_ok()
        );
    }

    #[test]
    fn empty_oversized_and_invisible_texts_are_the_writers_to_correct() {
        let now = datetime!(2026-11-26 0:00 UTC);
        let refusal = |action: Action| apply(&received(), &action, "a", now).unwrap_err();
        assert_eq!(
            refusal(Action::Note { text: "  ".into() }),
            Refusal::Invalid("La note est vide : écrivez-la avant d'envoyer.".into())
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(
            refusal(Action::Note { text: long }),
            Refusal::Invalid(m) if m.starts_with("La note dépasse") && m.ends_with("raccourcissez-la.")
        ));
        let bell = "Rappeler\u{7} le foyer".to_owned();
        for (action, start) in [
            (Action::Note { text: bell.clone() }, "La note contient"),
            (
                Action::Message {
                    text: bell.clone(),
                    await_reply: false,
                },
                "Le message contient",
            ),
            (
                Action::Transfer {
                    service: "voirie".into(),
                    queue: "voirie-agglo".into(),
                    reason: bell.clone(),
                },
                "Le motif du transfert contient",
            ),
            (
                Action::CitizenReply { text: bell.clone() },
                "Votre message contient",
            ),
        ] {
            match refusal(action) {
                Refusal::Invalid(message) => {
                    assert!(message.starts_with(start), "{message}");
                    assert!(message.contains("caractère invisible"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        // A closed request refuses a message for its state, not for its text.
        let mut closed = received();
        closed.status = Status::Resolved;
        assert!(matches!(
            apply(
                &closed,
                &Action::Message {
                    text: "Bonjour".into(),
                    await_reply: false
                },
                "a",
                now
            ),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn transferring_to_another_service_clears_the_assignee() {
        let mut state = received();
        state.assignee = Some("agent@x".into());
        let t = apply(
            &state,
            &Action::Transfer {
                service: "voirie".into(),
                queue: "voirie-agglo".into(),
                reason: "Bac sur la chaussée".into(),
            },
            "agent@x",
            datetime!(2026-11-26 0:00 UTC),
        )
        .unwrap();
        assert_eq!(t.state.service, "voirie");
        assert_eq!(t.state.assignee, None);
        assert!(t.events[0].visible_to_citizen);
    }
}
