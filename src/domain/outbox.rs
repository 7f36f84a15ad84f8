//! What the transactional outbox is asked to send: the messages a planner decides inside
//! the transaction that records a request's events, and what the planner reads to decide.
//! Planning and delivery are the dispatch module's; the rows the store keeps them in, and
//! how a delivery went, are the store's outbox module's.

use serde_json::Value;

use crate::domain::Reference;
use crate::domain::workflow::{HandlingState, NewEvent};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxChannel {
    Webhook,
    Email,
}

impl OutboxChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxChannel::Webhook => "webhook",
            OutboxChannel::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxChannel> {
        match text {
            "webhook" => Some(OutboxChannel::Webhook),
            "email" => Some(OutboxChannel::Email),
            _ => None,
        }
    }
}

/// A message to write to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub channel: OutboxChannel,
    /// The webhook's id, or the e-mail address.
    pub target: String,
    /// The event kind (webhooks) or the e-mail's template.
    pub kind: String,
    pub payload: Value,
    /// Not before this time (digests wait for their slot).
    pub not_before: Option<time::OffsetDateTime>,
}

/// What the planner sees: a request around the events just recorded for it.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub reference: &'a Reference,
    pub form_id: &'a str,
    pub form_version: &'a str,
    pub commune: Option<&'a str>,
    pub channel: &'a str,
    pub data: &'a Value,
    pub filed_by: Option<&'a str>,
    /// `None` when the request is being filed.
    pub before: Option<&'a HandlingState>,
    pub after: &'a HandlingState,
    pub events: &'a [NewEvent],
    pub actor: &'a str,
    /// The language the citizen filed in: the language of their e-mails.
    pub lang: crate::i18n::Lang,
}

/// Decides which messages events cause. Pure: called inside the store's transaction.
pub type Planner = dyn Fn(&PlanInput<'_>) -> Vec<OutboxMessage> + Send + Sync;

/// A planner that sends nothing (imports, tools, tests of other parts).
pub fn no_messages(_: &PlanInput<'_>) -> Vec<OutboxMessage> {
    Vec::new()
}
