//! SQLite: claiming, finishing and listing the outbox's messages.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use crate::domain::outbox::OutboxMessage;
use crate::store::outbox::outbox_row;
use crate::store::{OutboxRow, OutboxStore, Outcome, StoreError, format_time};

/// Writes the planner's messages in the caller's transaction, in one statement.
pub(super) async fn insert_outbox(
    tx: &mut sqlx::SqliteConnection,
    request_id: Option<&str>,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut insert = QueryBuilder::<Sqlite>::new("");
    push_outbox(&mut insert, request_id, messages, now);
    insert.build().execute(&mut *tx).await?;
    Ok(())
}

/// `INSERT INTO outbox …` of `messages`, pending from `now` (or when each says).
pub(super) fn push_outbox(
    sql: &mut QueryBuilder<Sqlite>,
    request_id: Option<&str>,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) {
    sql.push(
        "INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at) ",
    );
    sql.push_values(messages, |mut row, message| {
        row.push_bind(Uuid::now_v7().to_string())
            .push_bind(Uuid::new_v4().to_string())
            .push_bind(request_id)
            .push_bind(message.channel.as_str())
            .push_bind(&message.target)
            .push_bind(&message.kind)
            .push_bind(message.payload.to_string())
            .push_bind("pending")
            .push_bind(format_time(message.not_before.unwrap_or(now)))
            .push_bind(format_time(now));
    });
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let now = OffsetDateTime::now_utc();
        // The single writer connection serialises claims.
        let rows = sqlx::query(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
                          ORDER BY next_attempt_at, id LIMIT ?)
             RETURNING *",
        )
        .bind(format_time(now + lease))
        .bind(format_time(now))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    async fn finish_outbox(&self, finished: &[(String, Outcome)]) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        if finished.is_empty() {
            return Ok(());
        }
        // One transaction (one durable commit) for the whole round, and one statement for
        // all its deliveries (most of a round).
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut delivered = Vec::new();
        for (id, outcome) in finished {
            let query = match outcome {
                Outcome::Delivered => {
                    delivered.push(id);
                    continue;
                }
                Outcome::Retry { error, at } => sqlx::query(
                    "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?",
                )
                .bind(format_time(*at))
                .bind(error.clone())
                .bind(id),
                Outcome::Dead { error } => {
                    sqlx::query("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?")
                        .bind(error.clone())
                        .bind(id)
                }
            };
            query.execute(&mut *tx).await?;
        }
        if !delivered.is_empty() {
            let mut update = QueryBuilder::<Sqlite>::new(
                "UPDATE outbox SET state = 'delivered', delivered_at = ",
            );
            update.push_bind(&now).push(
                ", last_error = NULL, payload = json_remove(payload, '$.tracking_url', '$.link_url')
                WHERE id IN (",
            );
            let mut ids = update.separated(", ");
            for id in delivered {
                ids.push_bind(id);
            }
            ids.push_unseparated(")");
            update.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_outbox(&self, states: &[&str], limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT * FROM outbox WHERE state IN (");
        let mut list = qb.separated(", ");
        for state in states {
            list.push_bind(state.to_string());
        }
        list.push_unseparated(")");
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
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
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state <> 'delivered'",
        )
        .bind(format_time(OffsetDateTime::now_utc()))
        .bind(id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}
