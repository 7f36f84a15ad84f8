//! Storage: one interface per concern, one implementation per database (atuin's shape).
//!
//! Each concern is a trait ([`RequestStore`], [`HandlingStore`], [`StaffStore`],
//! [`OutboxStore`], [`ArchiveStore`], and the builder's, retention's, personal data's,
//! commune sites', statistics', Open311's and OpenID Connect sign-ins'); [`Store`] is all of them. A database module holds only its SQL: what a
//! request's life does in one transaction (lock, read, write, append events, queue outbox
//! messages, commit) is written once, in the `requests` module, over the primitives of
//! [`RequestTransaction`]. The store knows neither HTTP nor templates.

pub mod archive;
pub mod builder;
pub mod digest;
pub mod group_commit;
pub mod handling;
pub mod oidc;
pub mod open311;
pub mod outbox;
pub mod personal_data;
pub mod postgres;
pub mod requests;
pub mod retention;
pub mod row;
pub mod site;
pub mod sqlite;
pub mod staff;
pub mod statistics;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use archive::ArchiveStore;
pub use group_commit::{Batched, GroupCommit, GroupStats, Savepoint};
pub use handling::{
    ActionDone, AssigneeFilter, Cursor, HandlingStore, QueueItem, RequestQuery, Scope, SortOrder,
    StatusCounts, Target,
};
pub use outbox::{OutboxRow, OutboxStore, Outcome, backoff};
pub use postgres::PostgresStore;
pub use requests::{
    Event, FiledRequest, FormVersionRecord, Inserted, LockedRequest, NewRequest, Receipt,
    RequestStore, RequestTransaction, StatusSummary, StoredRequest, TrackedRequest,
};
pub use sqlite::SqliteStore;
pub use staff::{LoginCount, NewStaffUser, Session, StaffStore, StaffUser};

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
    /// What was asked conflicts with the current state (an action the request's status does
    /// not allow, an e-mail address already taken); the message says so in plain French.
    #[error("{0}")]
    Refused(String),
    /// What was sent cannot be recorded as it is, whatever the state (a text that is empty,
    /// too long, or holds an invisible character); the message says what to correct.
    #[error("{0}")]
    Invalid(String),
    /// Two transactions crossed on the same rows and the database undid this one (a
    /// deadlock, or a serialisation failure): running it again will succeed.
    #[error("the transaction crossed another: {0}")]
    Crossed(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::domain::workflow::Refusal> for StoreError {
    fn from(refusal: crate::domain::workflow::Refusal) -> Self {
        use crate::domain::workflow::Refusal;
        match refusal {
            Refusal::Invalid(why) => StoreError::Invalid(why),
            Refusal::Conflict(why) => StoreError::Refused(why),
        }
    }
}

/// Every database failure the stores do not handle themselves passes here, so this is
/// where `guichet_db_errors_total` counts them, by kind.
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let (kind, error) = match err {
            sqlx::Error::PoolTimedOut => ("pool_timeout", StoreError::Unavailable(err.to_string())),
            sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ("unavailable", StoreError::Unavailable(err.to_string()))
            }
            sqlx::Error::Database(ref db) if db.message().contains("database is locked") => {
                ("locked", StoreError::Unavailable(err.to_string()))
            }
            // PostgreSQL's deadlock_detected and serialization_failure.
            sqlx::Error::Database(ref db)
                if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
            {
                ("crossed", StoreError::Crossed(err.to_string()))
            }
            other => ("other", StoreError::Other(other.into())),
        };
        metrics::counter!("guichet_db_errors_total", "kind" => kind).increment(1);
        error
    }
}

/// One connection pool's use, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Which pool: `main` (PostgreSQL), `reader` or `writer` (SQLite).
    pub pool: &'static str,
    /// Connections open, in use or idle.
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolStats {
    pub fn of<DB: sqlx::Database>(pool: &'static str, of: &sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            pool,
            open: of.size(),
            idle: u32::try_from(of.num_idle()).unwrap_or(u32::MAX),
            max: of.options().get_max_connections(),
        }
    }
}

/// The whole store: every concern's trait, and the database's own housekeeping. Code that
/// needs one concern asks for that trait; the server holds an `Arc<dyn Store>`, on which
/// every concern's methods can be called.
#[async_trait]
pub trait Store:
    Send
    + Sync
    + RequestStore
    + HandlingStore
    + StaffStore
    + OutboxStore
    + ArchiveStore
    + builder::BuilderStore
    + retention::RetentionStore
    + personal_data::PersonalDataStore
    + site::SiteStore
    + statistics::StatisticsStore
    + open311::Open311Store
    + digest::DigestStore
    + oidc::OidcStore
{
    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The connection pools' use, read without touching the database.
    fn pool_stats(&self) -> Vec<PoolStats>;

    /// The server's secret called `name`: the one already kept, or else `fresh`, kept now.
    /// Every instance on the database gets the same, whoever asked first.
    async fn server_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError>;

    /// Ends the store on a graceful shutdown, after the last request. SQLite folds its
    /// write-ahead log back into the file and empties it, so what was deleted or overwritten
    /// (a session's token, later a scrubbed answer) leaves no copy in the WAL.
    async fn close(&self);
}

pub use crate::domain::time::format_time;

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
