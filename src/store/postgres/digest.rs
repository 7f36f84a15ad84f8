//! PostgreSQL: the élus' daily digest.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;

use super::PostgresStore;
use super::staff::parse_user_id;
use crate::domain::outbox::OutboxMessage;
use crate::domain::{CommuneSlug, Reference};
use crate::store::StoreError;
use crate::store::digest::{DigestLine, DigestStore};

#[async_trait]
impl DigestStore for PostgresStore {
    async fn digest_sent_until(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT sent_until FROM elu_digests WHERE user_id = $1")
                .bind(parse_user_id(user_id)?)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_digest(
        &self,
        user_id: &str,
        wanted: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let id = parse_user_id(user_id)?;
        if wanted {
            sqlx::query(
                "INSERT INTO elu_digests (user_id, sent_until) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?;
        } else {
            sqlx::query("DELETE FROM elu_digests WHERE user_id = $1")
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn digest_subscribers(&self) -> Result<Vec<(String, OffsetDateTime)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, sent_until FROM elu_digests ORDER BY user_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let id: uuid::Uuid = row.try_get("user_id")?;
                Ok((id.to_string(), row.try_get("sent_until")?))
            })
            .collect()
    }

    async fn digest_lines(
        &self,
        communes: &[CommuneSlug],
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<DigestLine>, StoreError> {
        if communes.is_empty() {
            return Ok(Vec::new());
        }
        let communes: Vec<String> = communes.iter().map(ToString::to_string).collect();
        let mut qb = QueryBuilder::<Postgres>::new(
            "(SELECT r.reference, v.title, r.commune, FALSE AS resolved, r.created_at AS at
              FROM requests r JOIN form_versions v ON v.version = r.form_version
              WHERE r.created_at > ",
        );
        qb.push_bind(from)
            .push(" AND r.created_at <= ")
            .push_bind(to)
            .push(" AND r.commune = ANY(")
            .push_bind(communes.clone())
            .push(") ORDER BY r.created_at LIMIT ")
            .push_bind(i64::from(limit))
            .push(
                ") UNION ALL (SELECT r.reference, v.title, r.commune, TRUE AS resolved, e.created_at AS at
                  FROM request_events e
                  JOIN requests r ON r.id = e.request_id
                  JOIN form_versions v ON v.version = r.form_version
                  WHERE e.kind = 'status_changed' AND e.body->>'to' = 'resolved'
                    AND e.created_at > ",
            )
            .push_bind(from)
            .push(" AND e.created_at <= ")
            .push_bind(to)
            .push(" AND r.commune = ANY(")
            .push_bind(communes)
            .push(") ORDER BY e.created_at LIMIT ")
            .push_bind(i64::from(limit))
            .push(")");
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let reference: String = row.try_get("reference")?;
                let commune: Option<String> = row.try_get("commune")?;
                Ok(DigestLine {
                    reference: Reference::parse(&reference).map_err(|e| {
                        StoreError::Other(anyhow::anyhow!("bad reference {reference}: {e}"))
                    })?,
                    form_title: row.try_get("title")?,
                    commune: commune.and_then(|c| CommuneSlug::parse(&c).ok()),
                    resolved: row.try_get("resolved")?,
                    at: row.try_get("at")?,
                })
            })
            .collect()
    }

    async fn advance_digest(
        &self,
        user_id: &str,
        from: OffsetDateTime,
        until: OffsetDateTime,
        mail: Option<&OutboxMessage>,
    ) -> Result<bool, StoreError> {
        let id = parse_user_id(user_id)?;
        let mut tx = self.pool.begin().await?;
        let moved = sqlx::query(
            "UPDATE elu_digests SET sent_until = $1 WHERE user_id = $2 AND sent_until = $3",
        )
        .bind(until)
        .bind(id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(false);
        }
        if let Some(mail) = mail {
            super::outbox::insert_outbox(&mut tx, None, std::slice::from_ref(mail), until).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
