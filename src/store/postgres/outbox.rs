//! PostgreSQL: claiming, finishing and listing the outbox's messages.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, other};
use crate::domain::outbox::OutboxMessage;
use crate::store::outbox::outbox_row;
use crate::store::{OutboxRow, OutboxStore, Outcome, StoreError};

/// Writes the planner's messages in the caller's transaction.
pub(super) async fn insert_outbox(
    tx: &mut sqlx::PgConnection,
    request_id: Option<Uuid>,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut insert = QueryBuilder::<Postgres>::new(
        "INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at) ",
    );
    insert.push_values(messages, |mut row, message| {
        row.push_bind(Uuid::now_v7())
            .push_bind(Uuid::new_v4())
            .push_bind(request_id)
            .push_bind(message.channel.as_str())
            .push_bind(&message.target)
            .push_bind(&message.kind)
            .push_bind(Json(&message.payload))
            .push_bind("pending")
            .push_bind(message.not_before.unwrap_or(now))
            .push_bind(now);
    });
    insert.build().execute(&mut *tx).await?;
    Ok(())
}

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn claim_outbox(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let now = OffsetDateTime::now_utc();
        // A claim is only a lease: lost in a crash, its rows are claimed again, as they would
        // be had the claimer died after it. So its commit does not wait for the WAL flush,
        // which the filings' commits are waiting for.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        // SKIP LOCKED: rows another instance is claiming are passed over, not waited for.
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE outbox o SET next_attempt_at = $3, attempts = o.attempts + 1
             FROM due WHERE o.id = due.id
             RETURNING o.*",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(now + lease)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(outbox_row).collect()
    }

    async fn finish_outbox(&self, finished: &[(String, Outcome)]) -> Result<(), StoreError> {
        if finished.is_empty() {
            return Ok(());
        }
        // One transaction for the whole round, and one statement for all its deliveries
        // (most of a round). Its commit does not wait for the WAL flush either: lost in a
        // crash, these outcomes leave their rows pending, to be delivered again, which
        // delivery at least once (and the idempotency key each attempt carries) allows.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        let mut delivered = Vec::new();
        for (id, outcome) in finished {
            let id = Uuid::parse_str(id).map_err(other)?;
            let query = match outcome {
                Outcome::Delivered => {
                    delivered.push(id);
                    continue;
                }
                Outcome::Retry { error, at } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
                )
                .bind(*at)
                .bind(error.clone())
                .bind(id),
                Outcome::Dead { error } => {
                    sqlx::query("UPDATE outbox SET state = 'dead', last_error = $1 WHERE id = $2")
                        .bind(error.clone())
                        .bind(id)
                }
            };
            query.execute(&mut *tx).await?;
        }
        if !delivered.is_empty() {
            sqlx::query(
                "UPDATE outbox SET state = 'delivered', delivered_at = $1, last_error = NULL,
                payload = payload - 'tracking_url' - 'link_url' WHERE id = ANY($2)",
            )
            .bind(OffsetDateTime::now_utc())
            .bind(delivered)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_outbox(&self, states: &[&str], limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        let states: Vec<String> = states.iter().map(|s| s.to_string()).collect();
        let rows =
            sqlx::query("SELECT * FROM outbox WHERE state = ANY($1) ORDER BY id DESC LIMIT $2")
                .bind(states)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(outbox_row).collect()
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state
             UNION ALL SELECT 'failing', COUNT(*) FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("state")?,
                    row.try_get::<i64, _>("n")?.max(0) as u64,
                ))
            })
            .collect()
    }

    async fn redeliver(&self, id: &str) -> Result<bool, StoreError> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(false);
        };
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state <> 'delivered'",
        )
        .bind(OffsetDateTime::now_utc())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}
