//! PostgreSQL: closed requests to anonymise, anonymising one, and the advisory lock that
//! lets one instance at a time run retention.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::pool::PoolConnection;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, parsed};
use crate::domain::workflow::is_open;
use crate::domain::{EventKind, FormVersion, Reference, Status};
use crate::store::StoreError;
use crate::store::retention::{
    Anonymisation, Anonymised, ClosedRequest, RetentionLock, RetentionStore, anonymised_refusal,
    dead_tracking_hash, file_hashes,
};

/// The advisory lock's key: "guichet retention", in a number of its own.
const LOCK_KEY: i64 = 0x6775_6963_6865_7472;

/// The session lock, held on one pooled connection for the run.
struct AdvisoryLock {
    connection: Option<PoolConnection<sqlx::Postgres>>,
}

#[async_trait]
impl RetentionLock for AdvisoryLock {
    async fn release(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LOCK_KEY)
                .execute(&mut *connection)
                .await;
            if unlocked.is_err() {
                // Closing the session releases its locks.
                connection.close_on_drop();
            }
        }
    }
}

impl Drop for AdvisoryLock {
    fn drop(&mut self) {
        // Not released (a panic, a cancelled task): the session ends, and its lock with it,
        // rather than going back to the pool still held.
        if let Some(connection) = &mut self.connection {
            connection.close_on_drop();
        }
    }
}

#[async_trait]
impl RetentionStore for PostgresStore {
    async fn closed_requests(
        &self,
        closed_by: OffsetDateTime,
    ) -> Result<Vec<ClosedRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, form_id, form_version, closed_at FROM requests
             WHERE closed_at IS NOT NULL AND anonymised_at IS NULL AND closed_at <= $1
             ORDER BY closed_at",
        )
        .bind(closed_by)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ClosedRequest {
                    reference: parsed(row, "reference", Reference::parse)?,
                    form_id: row.try_get("form_id")?,
                    form_version: parsed(row, "form_version", FormVersion::parse)?,
                    closed_at: row.try_get("closed_at")?,
                })
            })
            .collect()
    }

    async fn anonymise(&self, job: &Anonymisation<'_>) -> Result<Option<Anonymised>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT id, reference, status, data, anonymised_at FROM requests WHERE reference = $1 FOR UPDATE",
        )
        .bind(job.reference.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if let Some(at) = row.try_get::<Option<OffsetDateTime>, _>("anonymised_at")? {
            return Err(anonymised_refusal(at));
        }
        if is_open(parsed(&row, "status", Status::parse)?) {
            return Err(StoreError::Refused(
                "Cette demande est encore ouverte : clôturez-la (résolue ou rejetée) avant d'effacer ses données personnelles.".into(),
            ));
        }
        let id: Uuid = row.try_get("id")?;
        let data = row.try_get::<Json<Value>, _>("data")?.0;
        // Marked first: the history's trigger lets an event's body change only then.
        sqlx::query(
            "UPDATE requests SET data = $1, citizen_contact = NULL, routing_reason = NULL,
                routing_fallback = NULL, tracking_hash = $2, anonymised_at = $3, last_event = $4
             WHERE id = $5",
        )
        .bind(Json((job.answers)(&data)))
        .bind(dead_tracking_hash())
        .bind(job.now)
        .bind(EventKind::Anonymised.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let events = sqlx::query("SELECT id, kind, body FROM request_events WHERE request_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for event in &events {
            let kind: String = event.try_get("kind")?;
            let body = event.try_get::<Json<Value>, _>("body")?.0;
            let reduced = (job.event_body)(&kind, &body);
            if reduced != body {
                sqlx::query("UPDATE request_events SET body = $1 WHERE id = $2")
                    .bind(Json(reduced))
                    .bind(event.try_get::<i64, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("DELETE FROM outbox WHERE request_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             VALUES ($1, $2, $3, FALSE, $4, $5)",
        )
        .bind(id)
        .bind(EventKind::Anonymised.as_str())
        .bind(job.actor)
        .bind(Json(job.recorded()))
        .bind(job.now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Anonymised {
            reference: parsed(&row, "reference", Reference::parse)?,
            files: file_hashes(&data),
        }))
    }

    async fn anonymised_since(&self, since: OffsetDateTime) -> Result<Vec<Reference>, StoreError> {
        let rows = sqlx::query("SELECT reference FROM requests WHERE anonymised_at >= $1")
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| parsed(row, "reference", Reference::parse))
            .collect()
    }

    async fn compact(&self) -> Result<(), StoreError> {
        // Old row versions go with (auto)vacuum; nothing to do here.
        Ok(())
    }

    async fn retention_lock(&self) -> Result<Option<Box<dyn RetentionLock>>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut *connection)
            .await?;
        if !locked {
            return Ok(None);
        }
        Ok(Some(Box::new(AdvisoryLock {
            connection: Some(connection),
        })))
    }
}
