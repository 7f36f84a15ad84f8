//! Storage: one interface, one implementation per database (atuin's shape).
//!
//! Everything that must be atomic is one method: filing a request writes the form version,
//! the request and its first events in one transaction, or nothing. The store knows neither
//! HTTP nor templates.

pub mod archive;
pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::{Channel, FormVersion, Priority, Reference, Status};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// What a store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded; the caller may retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A request with this tracking token is already stored: the same submission was sent
    /// twice (a double click, a retried POST).
    #[error("this submission was already filed")]
    AlreadyFiled,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(err.to_string())
            }
            sqlx::Error::Database(ref db) if db.message().contains("database is locked") => {
                StoreError::Unavailable(err.to_string())
            }
            other => StoreError::Other(other.into()),
        }
    }
}

/// The version of a form a request was filed under, recorded once.
#[derive(Debug, Clone)]
pub struct FormVersionRecord {
    pub version: FormVersion,
    pub form_id: String,
    pub title: String,
    pub definition: Value,
    pub rule_source: Option<String>,
    pub git_commit: Option<String>,
}

/// A validated, routed request ready to be filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub tracking_hash: String,
    pub form: FormVersionRecord,
    pub commune: Option<String>,
    pub channel: Channel,
    pub data: Value,
    pub service: String,
    pub queue: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub routing_reason: Option<String>,
    pub routing_fallback: Option<String>,
    pub due_in_days: Option<u32>,
    /// Who filed it, for the first event ("citoyen", an API client…).
    pub actor: String,
}

/// What the citizen gets back once the request is durably stored.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub reference: Reference,
    pub status: Status,
    pub created_at: OffsetDateTime,
}

/// A request as its tracking-link holder sees it.
#[derive(Debug, Clone)]
pub struct TrackedRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_title: String,
    pub form_version: FormVersion,
    pub status: Status,
    pub service: String,
    pub commune: Option<String>,
    pub data: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Only the events the citizen may see, oldest first.
    pub history: Vec<Event>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub actor: String,
    pub body: Value,
    pub created_at: OffsetDateTime,
}

/// What the short reference alone reveals: the status, nothing personal.
#[derive(Debug, Clone)]
pub struct StatusSummary {
    pub reference: Reference,
    pub status: Status,
    pub updated_at: OffsetDateTime,
}

/// A request as staff see it (used by tests and, later, the back office).
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_version: FormVersion,
    pub commune: Option<String>,
    pub channel: String,
    pub data: Value,
    pub status: Status,
    pub service: String,
    pub queue: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub routing_reason: Option<String>,
    pub routing_fallback: Option<String>,
    pub due_at: Option<OffsetDateTime>,
    pub events: Vec<Event>,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Files a request with its `submitted` and `routed` events in one transaction. Returns
    /// only after the transaction is durably committed.
    async fn file_request(&self, request: NewRequest) -> Result<Receipt, StoreError>;

    /// The request behind a tracking token's hash, with its citizen-visible history.
    async fn track(&self, tracking_hash: &str) -> Result<Option<TrackedRequest>, StoreError>;

    async fn status_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StatusSummary>, StoreError>;

    /// The whole request, internal events included.
    async fn request_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StoredRequest>, StoreError>;

    async fn count_requests(&self) -> Result<u64, StoreError>;

    /// Takes the oldest received request of a queue for `actor`: it moves to "in progress"
    /// with a `status_changed` event, in one transaction. Several instances may call this at
    /// once: each request is taken by exactly one of them (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`; SQLite: its single writer).
    async fn claim_next(&self, queue: &str, actor: &str) -> Result<Option<Reference>, StoreError>;

    /// Every form version, for an archive.
    async fn export_form_versions(&self) -> Result<Vec<archive::ArchivedFormVersion>, StoreError>;

    /// Up to `limit` whole requests with ids after `after`, in id (= filing time) order.
    async fn export_requests(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<archive::ArchivedRequest>, StoreError>;

    /// Writes archived records in one transaction, skipping those already present; returns
    /// how many requests were new.
    async fn import(
        &self,
        versions: &[archive::ArchivedFormVersion],
        requests: &[archive::ArchivedRequest],
    ) -> Result<u64, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The events every request starts with: filed (the citizen sees it, with the service it
/// went to), then routed (staff only: the rule's reason can quote personal data, and a
/// fallback explains an internal failure).
pub(crate) fn first_events(request: &NewRequest) -> [(&'static str, &str, bool, Value); 2] {
    [
        (
            "submitted",
            request.actor.as_str(),
            true,
            json!({"channel": request.channel.as_str(), "service": request.service}),
        ),
        (
            "routed",
            "guichet",
            false,
            json!({
                "service": request.service,
                "queue": request.queue,
                "priority": request.priority.as_str(),
                "reason": request.routing_reason,
                "fallback": request.routing_fallback,
            }),
        ),
    ]
}

/// RFC 3339 text with a fixed width, so text order is time order.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

pub fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        StoreError::Other(anyhow::anyhow!(
            "bad timestamp {text:?} in the database: {e}"
        ))
    })
}

/// Opens the store a database URL names, running its migrations.
pub async fn open(
    config: &crate::config::DatabaseConfig,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let url = config.url.as_str();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(
            PostgresStore::open(url, config.max_connections).await?,
        ));
    }
    Ok(std::sync::Arc::new(
        SqliteStore::open(url, config.max_connections).await?,
    ))
}
