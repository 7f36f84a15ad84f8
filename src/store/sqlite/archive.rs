//! SQLite: a territory's whole records, out and in (`guichet export`/`import`).

use async_trait::async_trait;
use serde_json::json;
use sqlx::Row;

use super::{SqliteStore, json_column, optional_time, other};
use crate::domain::Role;
use crate::store::archive::{
    ArchiveStore, ArchivedEvent, ArchivedFormVersion, ArchivedRequest, ArchivedStaffAccount,
};
use crate::store::requests::form_version_row;
use crate::store::{StoreError, format_time, parse_time};

#[async_trait]
impl ArchiveStore for SqliteStore {
    async fn export_form_versions(&self) -> Result<Vec<ArchivedFormVersion>, StoreError> {
        let rows = sqlx::query("SELECT * FROM form_versions ORDER BY recorded_at, version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(form_version_row).collect()
    }

    async fn export_requests(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ArchivedRequest>, StoreError> {
        let rows = sqlx::query("SELECT * FROM requests WHERE id > ? ORDER BY id LIMIT ?")
            .bind(after.unwrap_or(""))
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id")?;
            let events =
                sqlx::query("SELECT * FROM request_events WHERE request_id = ? ORDER BY id")
                    .bind(&id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|e| {
                        Ok(ArchivedEvent {
                            kind: e.try_get("kind")?,
                            actor: e.try_get("actor")?,
                            visible_to_citizen: e.try_get("visible_to_citizen")?,
                            body: json_column(e, "body")?,
                            created_at: parse_time(&e.try_get::<String, _>("created_at")?)?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
            requests.push(ArchivedRequest {
                id,
                reference: row.try_get("reference")?,
                tracking_hash: row.try_get("tracking_hash")?,
                form_id: row.try_get("form_id")?,
                form_version: row.try_get("form_version")?,
                commune: row.try_get("commune")?,
                channel: row.try_get("channel")?,
                data: json_column(row, "data")?,
                status: row.try_get("status")?,
                service: row.try_get("service")?,
                queue: row.try_get("queue")?,
                priority: row.try_get("priority")?,
                tags: serde_json::from_value(json_column(row, "tags")?)
                    .map_err(|e| StoreError::Other(e.into()))?,
                routing_reason: row.try_get("routing_reason")?,
                routing_fallback: row.try_get("routing_fallback")?,
                due_at: row
                    .try_get::<Option<String>, _>("due_at")?
                    .map(|t| parse_time(&t))
                    .transpose()?,
                created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
                updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
                assignee: row.try_get("assignee")?,
                paused_at: optional_time(row, "paused_at")?,
                filed_by: row.try_get("filed_by")?,
                citizen_contact: row.try_get("citizen_contact")?,
                last_event: row.try_get("last_event")?,
                closed_at: optional_time(row, "closed_at")?,
                anonymised_at: optional_time(row, "anonymised_at")?,
                events,
            });
        }
        Ok(requests)
    }

    async fn import(
        &self,
        versions: &[ArchivedFormVersion],
        requests: &[ArchivedRequest],
    ) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for v in versions {
            sqlx::query(
                "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            )
            .bind(&v.version)
            .bind(&v.form_id)
            .bind(&v.title)
            .bind(v.definition.to_string())
            .bind(&v.rule_source)
            .bind(&v.git_commit)
            .bind(format_time(v.recorded_at))
            .execute(&mut *tx)
            .await?;
        }
        let mut imported = 0;
        for r in requests {
            let inserted = sqlx::query(
                "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
                    status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
                    assignee, paused_at, filed_by, citizen_contact, last_event, closed_at, anonymised_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&r.id)
            .bind(&r.reference)
            .bind(&r.tracking_hash)
            .bind(&r.form_id)
            .bind(&r.form_version)
            .bind(&r.commune)
            .bind(&r.channel)
            .bind(r.data.to_string())
            .bind(&r.status)
            .bind(&r.service)
            .bind(&r.queue)
            .bind(&r.priority)
            .bind(json!(r.tags).to_string())
            .bind(&r.routing_reason)
            .bind(&r.routing_fallback)
            .bind(r.due_at.map(format_time))
            .bind(format_time(r.created_at))
            .bind(format_time(r.updated_at))
            .bind(&r.assignee)
            .bind(r.paused_at.map(format_time))
            .bind(&r.filed_by)
            .bind(&r.citizen_contact)
            .bind(&r.last_event)
            .bind(r.closed_at.map(format_time))
            .bind(r.anonymised_at.map(format_time))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                continue;
            }
            imported += 1;
            for e in &r.events {
                sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                    .bind(&r.id)
                    .bind(&e.kind)
                    .bind(&e.actor)
                    .bind(e.visible_to_citizen)
                    .bind(e.body.to_string())
                    .bind(format_time(e.created_at))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Closed requests from archives older than retention: closed when they last became
        // resolved or rejected, as migration 0006 did.
        sqlx::query(
            "UPDATE requests SET closed_at = coalesce(
                (SELECT max(e.created_at) FROM request_events e
                 WHERE e.request_id = requests.id AND e.kind = 'status_changed'
                   AND json_extract(e.body, '$.to') IN ('resolved', 'rejected')),
                updated_at)
             WHERE status IN ('resolved', 'rejected') AND closed_at IS NULL",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(imported)
    }

    async fn import_staff_account(
        &self,
        account: &ArchivedStaffAccount,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO staff_users (id, email, name, role, services, communes, password_hash, disabled, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&account.id)
        .bind(account.email.to_lowercase())
        .bind(&account.name)
        .bind(Role::parse(&account.role).map_err(other)?.as_str())
        .bind(json!(account.services).to_string())
        .bind(json!(account.communes).to_string())
        .bind(&account.password_hash)
        .bind(account.disabled)
        .bind(format_time(account.created_at))
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}
