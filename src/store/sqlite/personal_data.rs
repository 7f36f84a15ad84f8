//! Access records and the subject-access scan on SQLite.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use super::{SqliteStore, json_column, reference_column};
use crate::domain::Reference;
use crate::store::personal_data::{AccessRecord, PersonalDataRow, PersonalDataStore};
use crate::store::{StoreError, format_time, parse_time};

/// SQLite binds at most 32,766 parameters per statement; five per record.
const RECORDS_PER_STATEMENT: usize = 1_000;

#[async_trait]
impl PersonalDataStore for SqliteStore {
    async fn record_access(&self, records: &[AccessRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in records.chunks(RECORDS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO access_records (reference, actor, role, view, at) ",
            );
            insert.push_values(chunk, |mut row, record| {
                row.push_bind(record.reference.to_string())
                    .push_bind(&record.actor)
                    .push_bind(&record.role)
                    .push_bind(&record.view)
                    .push_bind(format_time(record.at));
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn access_records(
        &self,
        reference: &Reference,
        limit: u32,
    ) -> Result<Vec<AccessRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, actor, role, view, at FROM access_records
             WHERE reference = ? ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(reference.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccessRecord {
                    reference: reference_column(row)?,
                    actor: row.try_get("actor")?,
                    role: row.try_get("role")?,
                    view: row.try_get("view")?,
                    at: parse_time(&row.try_get::<String, _>("at")?)?,
                })
            })
            .collect()
    }

    async fn forget_access_records(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        // RFC 3339 UTC text sorts as time does.
        Ok(sqlx::query("DELETE FROM access_records WHERE at < ?")
            .bind(format_time(before))
            .execute(&self.writer)
            .await?
            .rows_affected())
    }

    async fn personal_data_batch(
        &self,
        after: Option<&str>,
        limit: u32,
        containing: Option<&str>,
    ) -> Result<Vec<PersonalDataRow>, StoreError> {
        // `lower` folds ASCII only, as `ContactKey::prefilter` expects; `instr`, unlike
        // `LIKE`, gives `%` and `_` no meaning.
        let rows = sqlx::query(
            "SELECT id, reference, data, citizen_contact FROM requests
             WHERE id > ?1
               AND (?2 IS NULL OR instr(lower(data), ?2) > 0
                    OR instr(lower(coalesce(citizen_contact, '')), ?2) > 0)
             ORDER BY id LIMIT ?3",
        )
        .bind(after.unwrap_or(""))
        .bind(containing)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PersonalDataRow {
                    id: row.try_get("id")?,
                    reference: reference_column(row)?,
                    data: json_column(row, "data")?,
                    citizen_contact: row.try_get("citizen_contact")?,
                })
            })
            .collect()
    }
}
