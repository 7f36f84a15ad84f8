//! A draft's rule replayed over real past requests: how many would now land in another
//! queue than the one they were routed to, with a few of them to look at.

use crate::catalogue::rule::RuleFailure;
use crate::catalogue::{Catalogue, Form};
use crate::domain::Channel;
use crate::intake::route;
use crate::store::builder::PastRequest;

/// At most this many changed requests are listed.
pub const SHOWN: usize = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub reference: String,
    pub from: String,
    pub to: String,
    /// The rule's "why it came here".
    pub reason: Option<String>,
    /// Why the rule could not decide, when it sent the request to the default queue.
    pub failure: Option<RuleFailure>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DryRun {
    pub examined: usize,
    /// Requests the new rule sends elsewhere.
    pub moved: usize,
    /// Requests the new rule could not route (they would fall back to the default queue).
    pub fallbacks: usize,
    /// The first [`SHOWN`] moved requests, newest first.
    pub examples: Vec<Moved>,
}

/// Routes each past request with `form` (the draft, staged in `catalogue`).
pub fn replay(catalogue: &Catalogue, form: &Form, past: &[PastRequest]) -> DryRun {
    let mut run = DryRun {
        examined: past.len(),
        ..DryRun::default()
    };
    for request in past {
        let channel = Channel::parse(&request.channel).unwrap_or(Channel::Web);
        let decision = route::route(
            catalogue,
            form,
            &request.data,
            request.commune.as_deref(),
            channel,
        );
        if decision.fallback.is_some() {
            run.fallbacks += 1;
        }
        if decision.queue != request.queue {
            run.moved += 1;
            if run.examples.len() < SHOWN {
                run.examples.push(Moved {
                    reference: request.reference.to_string(),
                    from: request.queue.clone(),
                    to: decision.queue.into(),
                    reason: decision.reason,
                    failure: decision.fallback,
                });
            }
        }
    }
    run
}
