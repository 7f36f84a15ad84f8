//! What retention and erasure need from the database: the closed requests still holding
//! personal data, and anonymising one request in one transaction.
//!
//! Which data is personal is decided above the store (the retention module): the store is
//! handed the functions that reduce a request's answers and its events' bodies, and applies
//! them inside its transaction, so a request is never left half anonymised.

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::{FormVersion, Reference};

/// A closed request that still holds personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_version: FormVersion,
    pub closed_at: OffsetDateTime,
}

/// Why a request's personal data goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its form's retention period ran out.
    Retention,
    /// An admin erased it on request, for this reason.
    Erasure { reason: String },
}

impl Why {
    pub fn as_str(&self) -> &'static str {
        match self {
            Why::Retention => "retention",
            Why::Erasure { .. } => "erasure",
        }
    }
}

/// Reduces a JSON value to what may stay once personal data is gone.
pub type Reduce<'a> = &'a (dyn Fn(&Value) -> Value + Send + Sync);
/// Reduces an event's body, given its kind.
pub type ReduceEvent<'a> = &'a (dyn Fn(&str, &Value) -> Value + Send + Sync);

/// One anonymisation to apply.
pub struct Anonymisation<'a> {
    pub reference: &'a Reference,
    /// Who records it: `guichet` for retention, the admin's e-mail for an erasure.
    pub actor: &'a str,
    pub why: &'a Why,
    pub now: OffsetDateTime,
    /// The answers → their statistical part.
    pub answers: Reduce<'a>,
    /// An event's body → its non-personal structured keys.
    pub event_body: ReduceEvent<'a>,
}

impl Anonymisation<'_> {
    /// The body of the `anonymised` event: why, and an erasure's reason.
    pub fn recorded(&self) -> Value {
        match self.why {
            Why::Retention => serde_json::json!({"why": "retention"}),
            Why::Erasure { reason } => serde_json::json!({"why": "erasure", "reason": reason}),
        }
    }
}

/// What an anonymisation removed that lives outside the database.
#[derive(Debug, Clone, PartialEq)]
pub struct Anonymised {
    pub reference: Reference,
    /// The SHA-256 of every file its answers referenced: to delete unless another request
    /// references the same content.
    pub files: Vec<String>,
}

/// Held while one retention run works; released (or dropped) at its end.
#[async_trait]
pub trait RetentionLock: Send {
    async fn release(&mut self);
}

/// A lock that is always granted (SQLite: one writer, and each anonymisation checks the
/// request is not anonymised yet).
pub struct NoLock;

#[async_trait]
impl RetentionLock for NoLock {
    async fn release(&mut self) {}
}

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// The closed, not yet anonymised requests closed at or before `closed_by`, oldest
    /// closure first.
    async fn closed_requests(
        &self,
        closed_by: OffsetDateTime,
    ) -> Result<Vec<ClosedRequest>, StoreError>;

    /// Anonymises one request in one transaction: answers reduced, citizen contact and
    /// routing reason cleared, tracking hash replaced by a value no token hashes to, every
    /// event body reduced, every outbox row of the request deleted, then an `anonymised`
    /// event. `Ok(None)` when there is no such request; `Refused` when it is still open
    /// or already anonymised.
    async fn anonymise(
        &self,
        anonymisation: &Anonymisation<'_>,
    ) -> Result<Option<Anonymised>, StoreError>;

    /// The requests anonymised at or after `since`: a run also looks for their e-mail
    /// files, in case a delivery claimed before an anonymisation wrote one after it.
    async fn anonymised_since(&self, since: OffsetDateTime) -> Result<Vec<Reference>, StoreError>;

    /// Makes what was removed leave the database's files at once (SQLite: folds the WAL
    /// back into the file and empties it; PostgreSQL: nothing, its vacuum does).
    async fn compact(&self) -> Result<(), StoreError>;

    /// The right to run retention now: `None` when another instance is running it
    /// (PostgreSQL: a session advisory lock).
    async fn retention_lock(&self) -> Result<Option<Box<dyn RetentionLock>>, StoreError>;
}

/// The message an action on an anonymised request gets.
pub fn anonymised_refusal(anonymised_at: OffsetDateTime) -> StoreError {
    StoreError::Refused(format!(
        "Cette demande a été anonymisée le {} : ses données personnelles sont effacées et elle ne peut plus être traitée ni rouverte.",
        crate::domain::time::utc_day_fr(anonymised_at)
    ))
}

/// The SHA-256 of every file `data` references.
pub(crate) fn file_hashes(data: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![data];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => match map.get("sha256").and_then(Value::as_str) {
                Some(sha256) => found.push(sha256.to_owned()),
                None => stack.extend(map.values()),
            },
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    found
}

/// A value to put in place of a tracking hash: 256 random bits, hex, with a prefix that
/// SHA-256 hex never has, so no token can ever hash to it (and the column stays unique).
pub(crate) fn dead_tracking_hash() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    format!("anonymised-{}", hex::encode(bytes))
}
