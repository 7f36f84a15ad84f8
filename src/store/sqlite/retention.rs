//! SQLite: closed requests to anonymise, and anonymising one.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use super::{SqliteStore, json_column, optional_time, reference_column, version_column};
use crate::domain::EventKind;
use crate::domain::workflow::is_open;
use crate::store::retention::{
    Anonymisation, Anonymised, ClosedRequest, NoLock, RetentionLock, RetentionStore,
    anonymised_refusal, dead_tracking_hash, file_hashes,
};
use crate::store::{StoreError, format_time, parse_time};

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn closed_requests(
        &self,
        closed_by: OffsetDateTime,
    ) -> Result<Vec<ClosedRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, form_id, form_version, closed_at FROM requests
             WHERE closed_at IS NOT NULL AND anonymised_at IS NULL AND closed_at <= ?
             ORDER BY closed_at",
        )
        .bind(format_time(closed_by))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ClosedRequest {
                    reference: reference_column(row)?,
                    form_id: row.try_get("form_id")?,
                    form_version: version_column(row)?,
                    closed_at: parse_time(&row.try_get::<String, _>("closed_at")?)?,
                })
            })
            .collect()
    }

    async fn anonymise(&self, job: &Anonymisation<'_>) -> Result<Option<Anonymised>, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(
            "SELECT id, reference, status, data, anonymised_at FROM requests WHERE reference = ?",
        )
        .bind(job.reference.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if let Some(at) = optional_time(&row, "anonymised_at")? {
            return Err(anonymised_refusal(at));
        }
        if is_open(super::status_column(&row)?) {
            return Err(StoreError::Refused(
                "Cette demande est encore ouverte : clôturez-la (résolue ou rejetée) avant d'effacer ses données personnelles.".into(),
            ));
        }
        let id: String = row.try_get("id")?;
        let data = json_column(&row, "data")?;
        let now = format_time(job.now);
        // Marked first: the history's trigger lets an event's body change only then.
        sqlx::query(
            "UPDATE requests SET data = ?, citizen_contact = NULL, routing_reason = NULL,
                routing_fallback = NULL, tracking_hash = ?, anonymised_at = ?, last_event = ?
             WHERE id = ?",
        )
        .bind((job.answers)(&data).to_string())
        .bind(dead_tracking_hash())
        .bind(&now)
        .bind(EventKind::Anonymised.as_str())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        let events = sqlx::query("SELECT id, kind, body FROM request_events WHERE request_id = ?")
            .bind(&id)
            .fetch_all(&mut *tx)
            .await?;
        for event in &events {
            let kind: String = event.try_get("kind")?;
            let body = json_column(event, "body")?;
            let reduced = (job.event_body)(&kind, &body);
            if reduced != body {
                sqlx::query("UPDATE request_events SET body = ? WHERE id = ?")
                    .bind(reduced.to_string())
                    .bind(event.try_get::<i64, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("DELETE FROM outbox WHERE request_id = ?")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             VALUES (?, ?, ?, 0, ?, ?)",
        )
        .bind(&id)
        .bind(EventKind::Anonymised.as_str())
        .bind(job.actor)
        .bind(job.recorded().to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(Anonymised {
            reference: reference_column(&row)?,
            files: file_hashes(&data),
        }))
    }

    async fn anonymised_since(
        &self,
        since: OffsetDateTime,
    ) -> Result<Vec<crate::domain::Reference>, StoreError> {
        let rows = sqlx::query("SELECT reference FROM requests WHERE anonymised_at >= ?")
            .bind(format_time(since))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(reference_column).collect()
    }

    async fn compact(&self) -> Result<(), StoreError> {
        // Readers' snapshots can hold the checkpoint back; what is left is emptied at the
        // next run, or at shutdown (`Store::close`).
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await?;
        if busy != 0 {
            tracing::warn!("the WAL could not be emptied yet: a reader holds it");
        }
        Ok(())
    }

    async fn retention_lock(&self) -> Result<Option<Box<dyn RetentionLock>>, StoreError> {
        Ok(Some(Box::new(NoLock)))
    }
}
