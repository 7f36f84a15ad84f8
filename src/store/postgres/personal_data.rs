//! Access records and the subject-access scan on PostgreSQL.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, parsed};
use crate::domain::Reference;
use crate::store::StoreError;
use crate::store::personal_data::{AccessRecord, PersonalDataRow, PersonalDataStore};

#[async_trait]
impl PersonalDataStore for PostgresStore {
    async fn record_access(&self, records: &[AccessRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // One statement whatever the count: the columns travel as arrays.
        let column = |get: fn(&AccessRecord) -> String| records.iter().map(get).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO access_records (reference, actor, role, view, at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])",
        )
        .bind(column(|r| r.reference.to_string()))
        .bind(column(|r| r.actor.clone()))
        .bind(column(|r| r.role.clone()))
        .bind(column(|r| r.view.clone()))
        .bind(records.iter().map(|r| r.at).collect::<Vec<_>>())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn access_records(
        &self,
        reference: &Reference,
        limit: u32,
    ) -> Result<Vec<AccessRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, actor, role, view, at FROM access_records
             WHERE reference = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(reference.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AccessRecord {
                    reference: parsed(row, "reference", Reference::parse)?,
                    actor: row.try_get("actor")?,
                    role: row.try_get("role")?,
                    view: row.try_get("view")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    async fn forget_access_records(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM access_records WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    async fn personal_data_batch(
        &self,
        after: Option<&str>,
        limit: u32,
        containing: Option<&str>,
    ) -> Result<Vec<PersonalDataRow>, StoreError> {
        let after = after
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|e| StoreError::Other(anyhow::anyhow!("bad scan position: {e}")))?
            .unwrap_or(Uuid::nil());
        // `lower` folds at least ASCII, as `ContactKey::prefilter` expects; `strpos`,
        // unlike `LIKE`, gives `%` and `_` no meaning.
        let rows = sqlx::query(
            "SELECT id, reference, data, citizen_contact FROM requests
             WHERE id > $1
               AND ($2::text IS NULL OR strpos(lower(data::text), $2) > 0
                    OR strpos(lower(coalesce(citizen_contact, '')), $2) > 0)
             ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(containing)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PersonalDataRow {
                    id: row.try_get::<Uuid, _>("id")?.to_string(),
                    reference: parsed(row, "reference", Reference::parse)?,
                    data: row.try_get::<Json<Value>, _>("data")?.0,
                    citizen_contact: row.try_get("citizen_contact")?,
                })
            })
            .collect()
    }
}
