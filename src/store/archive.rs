//! The portable archive written by `guichet export` and read by `guichet import`: JSON
//! lines, one form version or one request (with its whole history) per line, so a commune
//! can move from SQLite to PostgreSQL without losing a request, an event or a version.
//!
//! Everything is kept as stored, tracking-token hashes included, so citizens' links keep
//! working after the move. Importing is idempotent: records already present are skipped.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::{CommuneSlug, ServiceId};

/// The first line of an archive.
pub const FORMAT: &str = "guichet-archive";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Header {
        format: String,
        version: u32,
        #[serde(with = "time::serde::rfc3339")]
        exported_at: OffsetDateTime,
    },
    FormVersion(ArchivedFormVersion),
    Request(Box<ArchivedRequest>),
    /// A staff account, password hash included (the archive is as sensitive as the
    /// database). Sessions and API tokens are not carried: people sign in again and
    /// tokens are issued again.
    StaffAccount(ArchivedStaffAccount),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedStaffAccount {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub services: Vec<ServiceId>,
    pub communes: Vec<CommuneSlug>,
    pub password_hash: String,
    pub disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedFormVersion {
    pub version: String,
    pub form_id: String,
    pub title: String,
    pub definition: Value,
    pub rule_source: Option<String>,
    pub git_commit: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedRequest {
    pub id: String,
    pub reference: String,
    pub tracking_hash: String,
    pub form_id: String,
    pub form_version: String,
    pub commune: Option<String>,
    pub channel: String,
    pub data: Value,
    pub status: String,
    pub service: String,
    pub queue: String,
    pub priority: String,
    pub tags: Vec<String>,
    pub routing_reason: Option<String>,
    pub routing_fallback: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Back-office state (absent from archives written before it existed).
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub filed_by: Option<String>,
    #[serde(default)]
    pub citizen_contact: Option<String>,
    #[serde(default = "default_last_event")]
    pub last_event: String,
    /// Retention state (absent from archives written before it existed: a closed request
    /// gets the time of its closing event on import).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub anonymised_at: Option<OffsetDateTime>,
    /// Oldest first.
    pub events: Vec<ArchivedEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchivedEvent {
    pub kind: String,
    pub actor: String,
    pub visible_to_citizen: bool,
    pub body: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn default_last_event() -> String {
    "routed".to_owned()
}

impl ArchivedRequest {
    /// Whether the record holds what the stores read back: an archive written by hand, or
    /// by another version, is refused line by line rather than imported into rows that
    /// would later fail to load (a listing, a tracking page, an export).
    pub fn check(&self) -> Result<(), String> {
        let bad = |what: &str, value: &str| format!("{what} « {value} » cannot be read");
        uuid::Uuid::parse_str(&self.id).map_err(|_| bad("the id", &self.id))?;
        crate::domain::Reference::parse(&self.reference)
            .map_err(|_| bad("the reference", &self.reference))?;
        crate::domain::FormVersion::parse(&self.form_version)
            .map_err(|_| bad("the form version", &self.form_version))?;
        crate::domain::Status::parse(&self.status).map_err(|_| bad("the status", &self.status))?;
        crate::domain::Priority::parse(&self.priority)
            .map_err(|_| bad("the priority", &self.priority))?;
        crate::domain::ServiceId::parse(&self.service)
            .map_err(|_| bad("the service", &self.service))?;
        crate::domain::QueueId::parse(&self.queue).map_err(|_| bad("the queue", &self.queue))?;
        if let Some(commune) = &self.commune {
            CommuneSlug::parse(commune).map_err(|_| bad("the commune", commune))?;
        }
        for kind in self
            .events
            .iter()
            .map(|e| e.kind.as_str())
            .chain([self.last_event.as_str()])
        {
            crate::domain::EventKind::parse(kind).ok_or_else(|| bad("the event kind", kind))?;
        }
        Ok(())
    }
}

impl ArchivedStaffAccount {
    /// Whether the account's id is one the stores read back.
    pub fn check(&self) -> Result<(), String> {
        uuid::Uuid::parse_str(&self.id)
            .map(|_| ())
            .map_err(|_| format!("the account id « {} » cannot be read", self.id))
    }
}

/// Reading and writing a whole territory's records, for `guichet export`/`import` and
/// backups.
#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// Every form version, for an archive.
    async fn export_form_versions(&self) -> Result<Vec<ArchivedFormVersion>, StoreError>;

    /// Up to `limit` whole requests with ids after `after`, in id (= filing time) order.
    async fn export_requests(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ArchivedRequest>, StoreError>;

    /// Writes archived records in one transaction, skipping those already present; returns
    /// how many requests were new.
    async fn import(
        &self,
        versions: &[ArchivedFormVersion],
        requests: &[ArchivedRequest],
    ) -> Result<u64, StoreError>;

    /// Writes an archived account unless one with its id or e-mail address exists; returns
    /// whether it was new.
    async fn import_staff_account(
        &self,
        account: &ArchivedStaffAccount,
    ) -> Result<bool, StoreError>;
}
