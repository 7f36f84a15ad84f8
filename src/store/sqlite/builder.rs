//! The form builder's tables on SQLite.

use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, json_column, reference_column};
use crate::store::builder::draft_row;
use crate::store::builder::{BuilderStore, Draft, PastRequest, Provenance, VersionSummary};
use crate::store::{FormVersionRecord, StoreError, format_time, parse_time};

#[async_trait]
impl BuilderStore for SqliteStore {
    async fn save_draft(&self, draft: &Draft) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO form_drafts (form_id, author, service, definition, rule_source, base_version, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (form_id, author) DO UPDATE SET service = excluded.service,
                definition = excluded.definition, rule_source = excluded.rule_source,
                base_version = excluded.base_version, updated_at = excluded.updated_at",
        )
        .bind(&draft.form_id)
        .bind(&draft.author)
        .bind(&draft.service)
        .bind(draft.definition.to_string())
        .bind(&draft.rule_source)
        .bind(&draft.base_version)
        .bind(format_time(draft.updated_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn draft(&self, form_id: &str, author: &str) -> Result<Option<Draft>, StoreError> {
        sqlx::query("SELECT * FROM form_drafts WHERE form_id = ? AND author = ?")
            .bind(form_id)
            .bind(author)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| draft_row(&row))
            .transpose()
    }

    async fn delete_draft(&self, form_id: &str, author: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM form_drafts WHERE form_id = ? AND author = ?")
            .bind(form_id)
            .bind(author)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn record_version(
        &self,
        record: &FormVersionRecord,
        provenance: &Provenance,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at, author, message)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
        )
        .bind(record.version.as_str())
        .bind(&record.form_id)
        .bind(&record.title)
        .bind(&*record.definition)
        .bind(record.rule_source.as_deref())
        .bind(&record.git_commit)
        .bind(format_time(time::OffsetDateTime::now_utc()))
        .bind(&provenance.author)
        .bind(&provenance.message)
        .execute(&self.writer)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            return Ok(true);
        }
        let known = provenance.author.is_some()
            || provenance.message.is_some()
            || record.git_commit.is_some();
        if known {
            sqlx::query(
                "UPDATE form_versions SET author = coalesce(author, ?), message = coalesce(message, ?),
                    git_commit = coalesce(git_commit, ?) WHERE version = ?",
            )
            .bind(&provenance.author)
            .bind(&provenance.message)
            .bind(&record.git_commit)
            .bind(record.version.as_str())
            .execute(&self.writer)
            .await?;
        }
        let missing: bool =
            sqlx::query("SELECT author IS NULL AS missing FROM form_versions WHERE version = ?")
                .bind(record.version.as_str())
                .fetch_one(&self.writer)
                .await?
                .try_get("missing")?;
        Ok(missing)
    }

    async fn form_history(&self, form_id: &str) -> Result<Vec<VersionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, title, git_commit, author, message, recorded_at FROM form_versions
             WHERE form_id = ? ORDER BY recorded_at DESC, version",
        )
        .bind(form_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(VersionSummary {
                    version: row.try_get("version")?,
                    title: row.try_get("title")?,
                    git_commit: row.try_get("git_commit")?,
                    author: row.try_get("author")?,
                    message: row.try_get("message")?,
                    recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
    }

    async fn recent_requests(
        &self,
        form_id: &str,
        limit: u32,
    ) -> Result<Vec<PastRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.reference, r.data, r.commune, r.channel,
                    coalesce(json_extract(e.body, '$.queue'), r.queue) AS queue
             FROM requests r
             LEFT JOIN request_events e ON e.request_id = r.id AND e.kind = 'routed'
             WHERE r.form_id = ? ORDER BY r.id DESC LIMIT ?",
        )
        .bind(form_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PastRequest {
                    reference: reference_column(row)?,
                    data: json_column(row, "data")?,
                    queue: row.try_get("queue")?,
                    commune: row.try_get("commune")?,
                    channel: row.try_get("channel")?,
                })
            })
            .collect()
    }
}
