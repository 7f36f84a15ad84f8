//! The SQLite store: the embedded default, one file, no server.
//!
//! Personal data: `secure_delete` is on, so a deleted or overwritten row is zeroed in the
//! page instead of lingering in free space, and a graceful shutdown empties the WAL
//! (`Store::close`), where the previous versions of pages live until a checkpoint.
//!
//! Durability: WAL journal with `synchronous=FULL`. In WAL mode, FULL syncs the log on every
//! commit, so a request acknowledged to a citizen survives a process crash *and* a power loss
//! or OS crash. (`NORMAL` would survive a process crash but could lose the last commits on
//! power loss; we do not acknowledge under that.)
//!
//! SQLite has one writer at a time. Writes go through a pool of one connection, so they
//! queue in order in the pool instead of sleeping in SQLite's busy handler (which made tail
//! latency jump to 130 ms under 8 concurrent clients); reads use their own pool and run
//! concurrently thanks to WAL. Writes still start with `BEGIN IMMEDIATE`, so another process
//! writing to the same file waits on the busy timeout instead of failing a lock upgrade.

mod archive;
mod builder;
mod digest;
mod handling;
mod oidc;
mod open311;
mod outbox;
mod personal_data;
mod requests;
mod retention;
mod site;
mod staff;
mod statistics;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use time::OffsetDateTime;

use super::requests::event;
use super::{Event, Store, StoreError, parse_time};
use crate::domain::{FormVersion, Reference, Status};

/// The most writes one group commits: a group holds the single writer while it is
/// written, so the bound keeps other writes' wait short (a filing takes about 0.3 ms of the
/// writer's time at 64 clients, measured 2026-12-08; see docs/benchmarks.md).
const MAX_GROUP: usize = 128;

pub struct SqliteStore {
    /// One connection: all writes.
    writer: SqlitePool,
    /// Reads.
    pool: SqlitePool,
    /// Filings, grouped on the writer.
    group: super::GroupCommit,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and
    /// runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<SqliteStore> {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let group_writer = writer.clone();
        let group = super::GroupCommit::new(
            std::sync::Arc::new(move || {
                let writer = group_writer.clone();
                Box::pin(async move { requests::begin_write(&writer).await })
            }),
            1,
            MAX_GROUP,
        );
        Ok(SqliteStore {
            writer,
            pool,
            group,
        })
    }

    async fn events(&self, request_id: &str, citizen_only: bool) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query("SELECT kind, actor, body, created_at FROM request_events WHERE request_id = ? AND (visible_to_citizen = 1 OR ? = 0) ORDER BY id")
            .bind(request_id)
            .bind(citizen_only)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event).collect()
    }
}

/// A value the database holds that the code cannot read back (a bug or a hand edit).
pub(super) fn other(message: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("{message}"))
}

fn is_unique_violation_on(err: &sqlx::Error, column: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains(column))
}

fn json_column(row: &SqliteRow, column: &str) -> Result<Value, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad JSON in column {column}: {e}")))
}

fn optional_time(row: &SqliteRow, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| parse_time(&t))
        .transpose()
}

fn status_column(row: &SqliteRow) -> Result<Status, StoreError> {
    Status::parse(&row.try_get::<String, _>("status")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

fn reference_column(row: &SqliteRow) -> Result<Reference, StoreError> {
    Reference::parse(&row.try_get::<String, _>("reference")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

fn version_column(row: &SqliteRow) -> Result<FormVersion, StoreError> {
    FormVersion::parse(&row.try_get::<String, _>("form_version")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool_stats(&self) -> Vec<super::PoolStats> {
        vec![
            super::PoolStats::of("writer", &self.writer),
            super::PoolStats::of("reader", &self.pool),
        ]
    }

    async fn server_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(super::format_time(time::OffsetDateTime::now_utc()))
        .execute(&self.writer)
        .await?;
        let secret: String = sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(&self.writer)
            .await?;
        Ok(secret)
    }

    async fn close(&self) {
        // Readers first: a checkpoint cannot pass a reader's snapshot.
        self.pool.close().await;
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await
        {
            Ok((0, _, _)) => {}
            Ok(_) => {
                tracing::warn!("the WAL could not be emptied: another process reads the database")
            }
            Err(err) => tracing::warn!(%err, "the WAL could not be emptied"),
        }
        self.writer.close().await;
    }
}
