//! The transactional outbox as stored: the rows the planner's messages become, claimed and
//! finished by the dispatch module's worker. The messages themselves are queued in the
//! transaction that causes them ([`super::RequestTransaction::queue_outbox`]).

use async_trait::async_trait;

use super::StoreError;
use serde_json::Value;

use crate::domain::outbox::OutboxChannel;

/// An outbox row as the worker and the admin page see it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: String,
    pub idempotency_key: String,
    /// `None` for an e-mail about an account (a password-set link).
    pub request_id: Option<String>,
    pub channel: OutboxChannel,
    pub target: String,
    pub kind: String,
    pub payload: Value,
    pub state: String,
    pub attempts: u32,
    pub next_attempt_at: time::OffsetDateTime,
    pub last_error: Option<String>,
    pub created_at: time::OffsetDateTime,
    pub delivered_at: Option<time::OffsetDateTime>,
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    /// Try again at this time.
    Retry {
        error: String,
        at: time::OffsetDateTime,
    },
    /// Give up: the dead-letter state, until an admin redelivers it.
    Dead {
        error: String,
    },
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` pending messages that are due: each is leased (its next attempt
    /// pushed `lease` into the future) and its attempt counted, so a worker that dies
    /// mid-delivery leaves it to be retried when the lease ends. Several instances may call
    /// this at once: each row goes to one of them (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_outbox(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError>;
    /// Records how deliveries went (message id, outcome), all in one transaction. A
    /// delivered receipt loses its tracking link.
    async fn finish_outbox(&self, finished: &[(String, Outcome)]) -> Result<(), StoreError>;
    /// The most recent messages in these states (`pending`, `delivered`, `dead`).
    async fn list_outbox(&self, states: &[&str], limit: u32) -> Result<Vec<OutboxRow>, StoreError>;
    /// How many messages are in each state, and how many pending ones have failed at least once.
    async fn outbox_counts(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// Puts a dead (or pending) message back in line for an immediate attempt. `false` if
    /// there is no such message or it was delivered.
    async fn redeliver(&self, id: &str) -> Result<bool, StoreError>;
}

/// An `outbox` row.
pub(super) fn outbox_row(row: &impl super::row::ReadRow) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        id: row.uuid("id")?.to_string(),
        idempotency_key: row.uuid("idempotency_key")?.to_string(),
        request_id: row.opt_uuid("request_id")?.map(|id| id.to_string()),
        channel: row.parsed("channel", |c| {
            OutboxChannel::parse(c).ok_or_else(|| format!("unknown channel {c}"))
        })?,
        target: row.text("target")?,
        kind: row.text("kind")?,
        payload: row.json("payload")?,
        state: row.text("state")?,
        attempts: row.int("attempts")?.clamp(0, i64::from(u32::MAX)) as u32,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.time("created_at")?,
        delivered_at: row.opt_time("delivered_at")?,
    })
}

/// The delay before the next attempt of a message that failed `attempts` times: exponential
/// from `base`, capped at an hour, with ±20 % jitter so retries of many messages spread out.
pub fn backoff(base: std::time::Duration, attempts: u32) -> time::Duration {
    use rand::Rng;
    let exponential = base.as_secs_f64() * 2f64.powi(attempts.saturating_sub(1).min(20) as i32);
    let capped = exponential.min(3600.0);
    let jitter = rand::rng().random_range(0.8..1.2);
    time::Duration::seconds_f64(capped * jitter)
}
