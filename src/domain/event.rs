//! The kinds of event a request's history records, and which of them may leave Guichet.
//!
//! This is the one list. Filing and [`super::workflow`] record these kinds; `guichet check`
//! accepts exactly the ones that may leave in a webhook's `events`; the planner expands
//! `"*"` to them and to nothing else; docs/webhooks.md documents them (a test below compares
//! the page with this list). A new kind must say here whether it may leave: the match in
//! [`EventKind::leaves_guichet`] has no catch-all on purpose.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Submitted,
    Routed,
    Assigned,
    StatusChanged,
    Note,
    Message,
    CitizenReply,
    Transferred,
    PriorityChanged,
    DueChanged,
    Reopened,
    /// A note the service publishes about the request: shown to the citizen and to anyone
    /// reading the request's public fields (Open311's `status_notes`).
    PublicNote,
    /// Guichet reminded the citizen that the service still waits for their answer
    /// (`x-guichet.reminders`). Recorded by Guichet, never an action staff take.
    Reminded,
    /// A fresh tracking link was sent to the citizen, who had lost theirs (`/suivi/retrouver`);
    /// the old link stopped working. Recorded by Guichet, never an action staff take.
    TrackingRenewed,
    /// The request's personal data was removed (retention or erasure). Recorded by Guichet
    /// itself, never an action anyone can take.
    Anonymised,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::Submitted,
        EventKind::Routed,
        EventKind::Assigned,
        EventKind::StatusChanged,
        EventKind::Note,
        EventKind::Message,
        EventKind::CitizenReply,
        EventKind::Transferred,
        EventKind::PriorityChanged,
        EventKind::DueChanged,
        EventKind::Reopened,
        EventKind::PublicNote,
        EventKind::Reminded,
        EventKind::TrackingRenewed,
        EventKind::Anonymised,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Submitted => "submitted",
            EventKind::Routed => "routed",
            EventKind::Assigned => "assigned",
            EventKind::StatusChanged => "status_changed",
            EventKind::Note => "note",
            EventKind::Message => "message",
            EventKind::CitizenReply => "citizen_reply",
            EventKind::Transferred => "transferred",
            EventKind::PriorityChanged => "priority_changed",
            EventKind::DueChanged => "due_changed",
            EventKind::Reopened => "reopened",
            EventKind::PublicNote => "public_note",
            EventKind::Reminded => "reminded",
            EventKind::TrackingRenewed => "tracking_renewed",
            EventKind::Anonymised => "anonymised",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether webhooks may carry it. Webhooks go to the service's business applications,
    /// which get the request's data anyway, so the routing decision and the staff-only steps
    /// (assignment, priority, due date) may go. Internal notes may not: they are agents
    /// writing to each other, in words meant for no one else, and a receiver's logs or a
    /// contractor's application are outside the building. Not even a webhook that names
    /// `note` gets them (`guichet check` refuses that name).
    ///
    /// `anonymised` does not leave either: it concerns a request whose data is gone, and an
    /// erasure's reason is an admin's words about a person. Nor does `tracking_renewed`: it
    /// is between the citizen and Guichet, and changes nothing a business application holds.
    pub fn leaves_guichet(self) -> bool {
        match self {
            EventKind::Note | EventKind::Anonymised | EventKind::TrackingRenewed => false,
            EventKind::Submitted
            | EventKind::Routed
            | EventKind::Assigned
            | EventKind::StatusChanged
            | EventKind::Message
            | EventKind::CitizenReply
            | EventKind::Transferred
            | EventKind::PriorityChanged
            | EventKind::DueChanged
            | EventKind::Reopened
            | EventKind::PublicNote
            | EventKind::Reminded => true,
        }
    }

    /// The kinds a webhook can subscribe to, in documentation order: what `"*"` means.
    pub fn webhook_events() -> impl Iterator<Item = EventKind> {
        EventKind::ALL.into_iter().filter(|k| k.leaves_guichet())
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for EventKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_notes_stay_in() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("*"), None);
        assert!(!EventKind::Note.leaves_guichet());
        assert!(EventKind::webhook_events().all(|k| k != EventKind::Note));
        assert!(EventKind::webhook_events().any(|k| k == EventKind::Routed));
        assert!(EventKind::webhook_events().all(|k| k != EventKind::Anonymised));
    }

    /// docs/webhooks.md lists, in its "Events" table, exactly the kinds a webhook can
    /// subscribe to, in the same order.
    #[test]
    fn the_documented_events_are_the_webhook_events() {
        let page = include_str!("../../docs/webhooks.md");
        let table = page
            .split("## Events")
            .nth(1)
            .expect("docs/webhooks.md has an « Events » section");
        let documented: Vec<&str> = table
            .lines()
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let listed: Vec<&str> = EventKind::webhook_events().map(EventKind::as_str).collect();
        assert_eq!(documented, listed);
    }
}
