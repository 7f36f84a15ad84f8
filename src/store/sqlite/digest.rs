//! SQLite: the élus' daily digest.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;

use super::SqliteStore;
use crate::domain::outbox::OutboxMessage;
use crate::domain::{CommuneSlug, Reference};
use crate::store::digest::{DigestLine, DigestStore};
use crate::store::{StoreError, format_time, parse_time};

#[async_trait]
impl DigestStore for SqliteStore {
    async fn digest_sent_until(&self, user_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let until: Option<String> =
            sqlx::query_scalar("SELECT sent_until FROM elu_digests WHERE user_id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        until.as_deref().map(parse_time).transpose()
    }

    async fn set_digest(
        &self,
        user_id: &str,
        wanted: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if wanted {
            sqlx::query(
                "INSERT INTO elu_digests (user_id, sent_until) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(format_time(now))
            .execute(&self.writer)
            .await?;
        } else {
            sqlx::query("DELETE FROM elu_digests WHERE user_id = ?")
                .bind(user_id)
                .execute(&self.writer)
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
                let until: String = row.try_get("sent_until")?;
                Ok((row.try_get("user_id")?, parse_time(&until)?))
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
        let (from, to) = (format_time(from), format_time(to));
        let push_communes = |qb: &mut QueryBuilder<Sqlite>| {
            qb.push(" AND r.commune IN (");
            let mut list = qb.separated(", ");
            for commune in communes {
                list.push_bind(commune.to_string());
            }
            list.push_unseparated(")");
        };
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT r.reference, v.title, r.commune, 0 AS resolved, r.created_at AS at
             FROM requests r JOIN form_versions v ON v.version = r.form_version
             WHERE r.created_at > ",
        );
        qb.push_bind(from.clone())
            .push(" AND r.created_at <= ")
            .push_bind(to.clone());
        push_communes(&mut qb);
        qb.push(" ORDER BY r.created_at LIMIT ")
            .push_bind(i64::from(limit));
        let mut rows = qb.build().fetch_all(&self.pool).await?;
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT r.reference, v.title, r.commune, 1 AS resolved, e.created_at AS at
             FROM request_events e
             JOIN requests r ON r.id = e.request_id
             JOIN form_versions v ON v.version = r.form_version
             WHERE e.kind = 'status_changed' AND json_extract(e.body, '$.to') = 'resolved'
               AND e.created_at > ",
        );
        qb.push_bind(from)
            .push(" AND e.created_at <= ")
            .push_bind(to);
        push_communes(&mut qb);
        qb.push(" ORDER BY e.created_at LIMIT ")
            .push_bind(i64::from(limit));
        rows.extend(qb.build().fetch_all(&self.pool).await?);
        rows.iter()
            .map(|row| {
                let reference: String = row.try_get("reference")?;
                let commune: Option<String> = row.try_get("commune")?;
                let at: String = row.try_get("at")?;
                let resolved: i64 = row.try_get("resolved")?;
                Ok(DigestLine {
                    reference: Reference::parse(&reference)
                        .map_err(|e| super::other(format!("bad reference {reference}: {e}")))?,
                    form_title: row.try_get("title")?,
                    commune: commune.and_then(|c| CommuneSlug::parse(&c).ok()),
                    resolved: resolved == 1,
                    at: parse_time(&at)?,
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let moved = sqlx::query(
            "UPDATE elu_digests SET sent_until = ? WHERE user_id = ? AND sent_until = ?",
        )
        .bind(format_time(until))
        .bind(user_id)
        .bind(format_time(from))
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
