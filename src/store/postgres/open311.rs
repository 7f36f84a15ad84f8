//! PostgreSQL: Open311's API keys and the read behind its public request listings.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::open311::{
    KEY_COLUMNS, Open311Key, Open311Store, PublicRequestQuery, PublicRequestRow, open311_key,
    public_request,
};

#[async_trait]
impl Open311Store for PostgresStore {
    async fn create_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        created_by: &str,
        now: OffsetDateTime,
    ) -> Result<Open311Key, StoreError> {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO open311_keys (id, name, key_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(key_hash)
        .bind(created_by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Open311Key {
            id: id.to_string(),
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
        // An id that is not a UUID names no key.
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn open311_key_by_hash(&self, key_hash: &str) -> Result<Option<Open311Key>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {KEY_COLUMNS} FROM open311_keys WHERE key_hash = $1"
        )))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(open311_key)
        .transpose()
    }

    async fn touch_open311_key(&self, id: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(());
        };
        sqlx::query("UPDATE open311_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn public_requests(
        &self,
        query: &PublicRequestQuery,
    ) -> Result<Vec<PublicRequestRow>, StoreError> {
        if query.form_ids.is_empty()
            || query.references.as_ref().is_some_and(Vec::is_empty)
            || query.statuses.as_ref().is_some_and(Vec::is_empty)
        {
            return Ok(Vec::new());
        }
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT r.reference, r.form_id, r.form_version, r.status, r.service, r.data,
                    r.due_at, r.created_at, r.updated_at,
                    (SELECT e.body->>'text' FROM request_events e
                     WHERE e.request_id = r.id AND e.kind = 'public_note'
                     ORDER BY e.id DESC LIMIT 1) AS public_note
             FROM requests r WHERE r.form_id = ANY(",
        );
        qb.push_bind(query.form_ids.clone()).push(")");
        if let Some(references) = &query.references {
            let references: Vec<String> = references.iter().map(ToString::to_string).collect();
            qb.push(" AND r.reference = ANY(")
                .push_bind(references)
                .push(")");
        }
        if let Some(statuses) = &query.statuses {
            let statuses: Vec<String> = statuses.iter().map(|s| s.as_str().to_owned()).collect();
            qb.push(" AND r.status = ANY(")
                .push_bind(statuses)
                .push(")");
        }
        if let Some(from) = query.from {
            qb.push(" AND r.created_at >= ").push_bind(from);
        }
        if let Some(to) = query.to {
            qb.push(" AND r.created_at <= ").push_bind(to);
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
