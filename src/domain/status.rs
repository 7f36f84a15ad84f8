//! The life cycle of a request, as staff and citizens see it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Received,
    InProgress,
    WaitingForCitizen,
    Resolved,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Received,
        Status::InProgress,
        Status::WaitingForCitizen,
        Status::Resolved,
        Status::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::InProgress => "in_progress",
            Status::WaitingForCitizen => "waiting_for_citizen",
            Status::Resolved => "resolved",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == input)
            .ok_or_else(|| format!("statut inconnu : {input}"))
    }

    /// What staff and élus read: the same, but the wait is the citizen's, not "yours".
    pub fn staff_label_fr(self) -> &'static str {
        match self {
            Status::WaitingForCitizen => "En attente du demandeur",
            other => other.label_fr(),
        }
    }

    /// What a citizen reads on the tracking page.
    /// What a citizen reads, in `lang`.
    pub fn label(self, lang: crate::i18n::Lang) -> String {
        lang.text(match self {
            Status::Received => "status-received",
            Status::InProgress => "status-in-progress",
            Status::WaitingForCitizen => "status-waiting",
            Status::Resolved => "status-resolved",
            Status::Rejected => "status-rejected",
        })
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Status::Received => "Reçue",
            Status::InProgress => "En cours de traitement",
            Status::WaitingForCitizen => "En attente de votre réponse",
            Status::Resolved => "Traitée",
            Status::Rejected => "Refusée",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: width and alignment (`{:<9}`) apply, as for a `str`.
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
        }
        assert!(Status::parse("done").is_err());
    }
}
