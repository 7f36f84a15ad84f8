//! SQLite: Open311's API keys and the read behind its public request listings.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use crate::store::open311::{
    KEY_COLUMNS, Open311Key, Open311Store, PublicRequestQuery, PublicRequestRow, open311_key,
    public_request,
};
use crate::store::{StoreError, format_time};

#[async_trait]
impl Open311Store for SqliteStore {
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<Open311Key, StoreError> {
        let id = Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO open311_keys (id, name, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(name)
        .bind(key_hash)
        .bind(created_by)
        .bind(format_time(now))
        .execute(&self.writer)
        .await?;
        Ok(Open311Key {
            id,
            name: name.to_owned(),
            created_by: created_by.to_owned(),
            created_at: now,
            revoked_at: None,
            last_used_at: None,
        })
    }

    async fn open311_keys(&self) -> Result<Vec<Open311Key>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM open311_keys ORDER BY created_at DESC, id DESC"
        )))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(open311_key)
        .collect()
    }

    async fn revoke_open311_key(&self, id: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE open311_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        )
        .bind(format_time(now))
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM open311_keys WHERE key_hash = ?"
        )))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(open311_key)
        .transpose()
    }

    async fn touch_open311_key(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE open311_keys SET last_used_at = ? WHERE id = ?")
            .bind(format_time(now))
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn public_requests(
        &self,
        query: &PublicRequestQuery,
    ) -> Result<Vec<PublicRequestRow>, StoreError> {
        if query.form_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT r.reference, r.form_id, r.form_version, r.status, r.service, r.data,
                    r.due_at, r.created_at, r.updated_at,
                    (SELECT json_extract(e.body, '$.text') FROM request_events e
                     WHERE e.request_id = r.id AND e.kind = 'public_note'
                     ORDER BY e.id DESC LIMIT 1) AS public_note
             FROM requests r WHERE r.form_id IN (",
        );
        let mut forms = qb.separated(", ");
        for form in &query.form_ids {
            forms.push_bind(form.clone());
        }
        qb.push(")");
        if let Some(references) = &query.references {
            if references.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND r.reference IN (");
            let mut listed = qb.separated(", ");
            for reference in references {
                listed.push_bind(reference.to_string());
            }
            qb.push(")");
        }
        if let Some(statuses) = &query.statuses {
            if statuses.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND r.status IN (");
            let mut listed = qb.separated(", ");
            for status in statuses {
                listed.push_bind(status.as_str());
            }
            qb.push(")");
        }
        // Instants are RFC 3339 text in UTC, so text order is time order.
        if let Some(from) = query.from {
            qb.push(" AND r.created_at >= ")
                .push_bind(format_time(from));
        }
        if let Some(to) = query.to {
            qb.push(" AND r.created_at <= ").push_bind(format_time(to));
        }
        qb.push(" ORDER BY r.created_at DESC, r.id DESC LIMIT ")
            .push_bind(i64::from(query.limit));
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(public_request)
            .collect()
    }
}
