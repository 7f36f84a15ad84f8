//! Routing: runs the form's rule and turns its answer into a decision on a known queue.
//!
//! A request is never lost to a bad rule. If the rule fails, runs too long, answers
//! something malformed or names a queue the territory does not have, the request goes to the
//! form's service's default queue and the decision carries `fallback`: why, for staff.

use serde_json::Value;

use crate::catalogue::rule::{RuleFailure, RuleInput, RuleOutcome};
use crate::catalogue::{Catalogue, Form};
use crate::domain::{Channel, Priority, QueueId, ServiceId};

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingDecision {
    pub service: ServiceId,
    pub queue: QueueId,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub due_in_days: Option<u32>,
    /// "Why it came here", from the rule; shown to agents.
    pub reason: Option<String>,
    /// Set when the rule could not decide and the default queue was used.
    pub fallback: Option<RuleFailure>,
}

pub fn route(
    catalogue: &Catalogue,
    form: &Form,
    data: &Value,
    commune: Option<&str>,
    channel: Channel,
) -> RoutingDecision {
    let Some(rule) = &form.rule else {
        return default_queue(
            catalogue,
            form,
            None,
            Some("Ce formulaire n'a pas de règle : file par défaut du service.".into()),
        );
    };
    let input = RuleInput {
        data,
        form_id: &form.id,
        form_title: &form.title,
        form_version: form.version.as_str(),
        commune,
        channel: channel.as_str(),
    };
    match rule.evaluate(&input) {
        Ok(outcome) => match catalogue.territory.queue(&outcome.queue) {
            Some((service, _)) => decision(form, service.id.clone(), outcome),
            None => {
                let why = RuleFailure {
                    message: format!(
                        "the rule named queue « {} », which the territory does not have",
                        outcome.queue
                    ),
                    explanation: format!(
                        "La règle a choisi la file « {} », qui n'existe pas dans le territoire : vérifiez son identifiant.",
                        outcome.queue
                    ),
                };
                default_queue(catalogue, form, Some(why), outcome.reason)
            }
        },
        Err(why) => default_queue(catalogue, form, Some(why), None),
    }
}

fn decision(form: &Form, service: String, outcome: RuleOutcome) -> RoutingDecision {
    RoutingDecision {
        service: ServiceId::from_checked(service),
        queue: QueueId::from_checked(outcome.queue),
        priority: outcome.priority.unwrap_or_default(),
        tags: outcome.tags,
        due_in_days: outcome.due_in_days.or(form.meta.due_in_days),
        reason: outcome.reason,
        fallback: None,
    }
}

fn default_queue(
    catalogue: &Catalogue,
    form: &Form,
    fallback: Option<RuleFailure>,
    reason: Option<String>,
) -> RoutingDecision {
    // The catalogue check guarantees the form's service exists with a default queue.
    let queue = catalogue
        .territory
        .service(&form.meta.service)
        .map_or_else(String::new, |s| s.default_queue.clone());
    if fallback.is_some() {
        // Not the reason itself: it can quote the answers (a thrown value, a queue or a
        // priority computed from them). It is stored with the request, for its agents.
        tracing::warn!(form = %form.id, version = %form.version, "routing rule failed; the request goes to the default queue, flagged with the reason");
    }
    RoutingDecision {
        service: ServiceId::from_checked(form.meta.service.as_str()),
        queue: QueueId::from_checked(queue),
        priority: Priority::Normal,
        tags: Vec::new(),
        due_in_days: form.meta.due_in_days,
        reason,
        fallback,
    }
}
