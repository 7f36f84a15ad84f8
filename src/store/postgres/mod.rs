//! The PostgreSQL store: the scale path, for several application instances in front of one
//! database.
//!
//! Same model as SQLite with native types (`uuid`, `timestamptz`, `jsonb`). A request, its
//! form version and its first events are one transaction; it is acknowledged only after
//! `COMMIT` returns, which with PostgreSQL's default `synchronous_commit = on` means the WAL
//! is flushed. References are unique by constraint, so two instances can never hand out the
//! same one: a collision rolls back and is retried with a fresh reference.

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

use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use uuid::Uuid;

use super::requests::event;
use super::{Event, Store, StoreError};

/// The most writes one group commits.
const MAX_GROUP: usize = 128;

/// How many shards a kept queue count may be split into (one per connection, numbered
/// modulo this): as many rows to add up for each count read.
const COUNTER_SHARDS: usize = 16;

pub struct PostgresStore {
    pool: PgPool,
    /// Filings, grouped: a few committers, each on a connection of its own.
    group: super::GroupCommit,
}

impl PostgresStore {
    /// Connects to `url` and runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<PostgresStore> {
        // Each connection adds to its own shard of the kept queue counts (migration 0018),
        // so that concurrent transactions do not queue on one counter row. Numbered as
        // they open: the few connections that write at once get different shards.
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .after_connect(move |conn, _| {
                let shard =
                    opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % COUNTER_SHARDS;
                Box::pin(async move {
                    sqlx::query("SELECT set_config('guichet.counter_shard', $1, false)")
                        .bind(shard.to_string())
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            // Fail fast while the database is down rather than queue requests for long.
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let group_pool = pool.clone();
        // Half the pool at most, so that reads and other writes always find a connection.
        let committers = (max_connections / 2).clamp(1, 4) as usize;
        let group = super::GroupCommit::new(
            std::sync::Arc::new(move || {
                let pool = group_pool.clone();
                Box::pin(async move { requests::begin_write(&pool).await })
            }),
            committers,
            MAX_GROUP,
        );
        Ok(PostgresStore { pool, group })
    }

    async fn events(&self, request_id: Uuid, citizen_only: bool) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, actor, body, created_at FROM request_events
             WHERE request_id = $1 AND (visible_to_citizen OR NOT $2) ORDER BY id",
        )
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

fn violates(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(constraint))
}

fn parsed<T>(
    row: &PgRow,
    column: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad {column} in the database: {e}")))
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn pool_stats(&self) -> Vec<super::PoolStats> {
        vec![super::PoolStats::of("main", &self.pool)]
    }

    async fn server_secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(super::format_time(time::OffsetDateTime::now_utc()))
        .execute(&self.pool)
        .await?;
        let secret: String =
            sqlx::query_scalar("SELECT secret FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
        Ok(secret)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
