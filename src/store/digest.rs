//! The élus' daily digest: who asked for it, what happened in their communes since the
//! last one, and queuing the next one (with the outbox row) in one transaction.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::outbox::OutboxMessage;
use crate::domain::{CommuneSlug, Reference};

/// One line of a digest: a request filed, or resolved, in the period.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestLine {
    pub reference: Reference,
    pub form_title: String,
    pub commune: Option<CommuneSlug>,
    /// True for a request resolved in the period, false for one filed in it.
    pub resolved: bool,
    pub at: OffsetDateTime,
}

#[async_trait]
pub trait DigestStore {
    /// Since when the account's digest runs (`None`: it did not ask for one).
    async fn digest_sent_until(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Asks for the digest from `now` on, or stops it.
    async fn set_digest(
        &self,
        user_id: &str,
        wanted: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Every account that asked for the digest, with the end of the period its last one
    /// covered.
    async fn digest_subscribers(&self) -> Result<Vec<(String, OffsetDateTime)>, StoreError>;

    /// Requests of `communes` filed, and those resolved, in `(from, to]`, oldest first; at
    /// most `limit` of each.
    async fn digest_lines(
        &self,
        communes: &[CommuneSlug],
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DigestLine>, StoreError>;

    /// Moves the account's digest from `from` to `until` and queues `mail` (if any) in the
    /// same transaction. `false` when another instance moved it first (nothing queued).
    async fn advance_digest(
        &self,
        user_id: &str,
        from: OffsetDateTime,
        until: OffsetDateTime,
        mail: Option<&OutboxMessage>,
    ) -> Result<bool, StoreError>;
}
