//! Open311 GeoReport v2, as stored: the applications' API keys (only their SHA-256), and the
//! read of requests that public listings start from. Which of a request's fields may be
//! published is decided above the store, from the form version's `x-personal` marks.

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use super::StoreError;
use super::row::ReadRow;
use crate::domain::{FormVersion, Reference, ServiceId, Status};

/// How often a key's "last used" is written: reads do not each cost a write on SQLite's
/// single writer, and an admin deciding whether a key is still in use needs no more.
pub const LAST_USE_PRECISION: time::Duration = time::Duration::minutes(1);

/// An application's key, as the admin page lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Key {
    pub id: String,
    /// The application, as the admin named it; filings record `open311:<name>` as their
    /// author.
    pub name: String,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

/// Which requests a public listing reads, newest first.
#[derive(Debug, Clone, Default)]
pub struct PublicRequestQuery {
    /// Only these references (`service_request_id`); `None` for any.
    pub references: Option<Vec<Reference>>,
    /// The forms whose requests may be listed at all (the Open311 services).
    pub form_ids: Vec<String>,
    /// Filed at or after.
    pub from: Option<OffsetDateTime>,
    /// Filed at or before.
    pub to: Option<OffsetDateTime>,
    /// Only these statuses; `None` for any.
    pub statuses: Option<Vec<Status>>,
    pub limit: u32,
}

/// A request as a public listing starts from. `data` holds personal answers (or, once
/// anonymised, only the statistical ones): the caller keeps the public part.
#[derive(Debug, Clone)]
pub struct PublicRequestRow {
    pub reference: Reference,
    pub form_id: String,
    pub form_version: FormVersion,
    pub status: Status,
    pub service: ServiceId,
    pub data: Value,
    pub due_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The text of the latest note the service published (an anonymised one has none).
    pub public_note: Option<String>,
}

#[async_trait]
pub trait Open311Store: Send + Sync {
    /// Stores a new key under its hash.
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<Open311Key, StoreError>;
    /// Every key, newest first, revoked ones included.
    async fn open311_keys(&self) -> Result<Vec<Open311Key>, StoreError>;
    /// Revokes a live key; `false` if there is no such key or it is revoked already.
    async fn revoke_open311_key(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// The key behind a hash, revoked or not.
    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>, StoreError>;
    async fn touch_open311_key(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError>;
    /// The requests a public listing reads, newest first, at most `query.limit`.
    async fn public_requests(
        &self,
        query: &PublicRequestQuery,
    ) -> Result<Vec<PublicRequestRow>, StoreError>;

    /// The live key behind a hash, its last use recorded (to the minute); `None` for an
    /// unknown or revoked key.
    async fn use_open311_key(
        &self,
        key_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Open311Key>, StoreError> {
        let Some(key) = self
            .open311_key_by_hash(key_hash)
            .await?
            .filter(|k| k.revoked_at.is_none())
        else {
            return Ok(None);
        };
        if key
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USE_PRECISION)
        {
            self.touch_open311_key(&key.id, now).await?;
        }
        Ok(Some(key))
    }
}

/// The columns both databases select for a key.
pub(super) const KEY_COLUMNS: &str = "id, name, created_by, created_at, revoked_at, last_used_at";

pub(super) fn open311_key(row: &impl ReadRow) -> Result<Open311Key, StoreError> {
    Ok(Open311Key {
        id: row.uuid("id")?.to_string(),
        name: row.text("name")?,
        created_by: row.text("created_by")?,
        created_at: row.time("created_at")?,
        revoked_at: row.opt_time("revoked_at")?,
        last_used_at: row.opt_time("last_used_at")?,
    })
}

pub(super) fn public_request(row: &impl ReadRow) -> Result<PublicRequestRow, StoreError> {
    Ok(PublicRequestRow {
        reference: row.parsed("reference", Reference::parse)?,
        form_id: row.text("form_id")?,
        form_version: row.parsed("form_version", FormVersion::parse)?,
        status: row.parsed("status", Status::parse)?,
        service: row.ident("service")?,
        data: row.json("data")?,
        due_at: row.opt_time("due_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        public_note: row.opt_text("public_note")?,
    })
}
