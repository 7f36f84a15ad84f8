//! PostgreSQL: a territory's whole records, out and in (`guichet export`/`import`).

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;
use uuid::Uuid;

use super::staff::parse_user_id;
use super::{PostgresStore, other};
use crate::domain::Role;
use crate::store::StoreError;
use crate::store::archive::{
    ArchiveStore, ArchivedEvent, ArchivedFormVersion, ArchivedRequest, ArchivedStaffAccount,
};
use crate::store::requests::form_version_row;

#[async_trait]
impl ArchiveStore for PostgresStore {
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
        let after = after
            .map(|a| {
                Uuid::parse_str(a)
                    .map_err(|e| StoreError::Other(anyhow::anyhow!("bad request id {a}: {e}")))
            })
            .transpose()?
            .unwrap_or(Uuid::nil());
        let rows = sqlx::query("SELECT * FROM requests WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut requests = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: Uuid = row.try_get("id")?;
            let events =
                sqlx::query("SELECT * FROM request_events WHERE request_id = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|e| {
                        Ok(ArchivedEvent {
                            kind: e.try_get("kind")?,
                            actor: e.try_get("actor")?,
                            visible_to_citizen: e.try_get("visible_to_citizen")?,
                            body: e.try_get::<Json<Value>, _>("body")?.0,
                            created_at: e.try_get("created_at")?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
            requests.push(ArchivedRequest {
                id: id.to_string(),
                reference: row.try_get("reference")?,
                tracking_hash: row.try_get("tracking_hash")?,
                form_id: row.try_get("form_id")?,
                form_version: row.try_get("form_version")?,
                commune: row.try_get("commune")?,
                channel: row.try_get("channel")?,
                data: row.try_get::<Json<Value>, _>("data")?.0,
                status: row.try_get("status")?,
                service: row.try_get("service")?,
                queue: row.try_get("queue")?,
                priority: row.try_get("priority")?,
                tags: row.try_get::<Json<Vec<String>>, _>("tags")?.0,
                routing_reason: row.try_get("routing_reason")?,
                routing_fallback: row.try_get("routing_fallback")?,
                due_at: row.try_get("due_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                assignee: row.try_get("assignee")?,
                paused_at: row.try_get("paused_at")?,
                filed_by: row.try_get("filed_by")?,
                citizen_contact: row.try_get("citizen_contact")?,
                last_event: row.try_get("last_event")?,
                closed_at: row.try_get("closed_at")?,
                anonymised_at: row.try_get("anonymised_at")?,
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
        let mut tx = self.pool.begin().await?;
        for v in versions {
            sqlx::query(
                "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING",
            )
            .bind(&v.version)
            .bind(&v.form_id)
            .bind(&v.title)
            .bind(v.definition.to_string())
            .bind(&v.rule_source)
            .bind(&v.git_commit)
            .bind(v.recorded_at)
            .execute(&mut *tx)
            .await?;
        }
        let mut imported = 0;
        for r in requests {
            let id = Uuid::parse_str(&r.id)
                .map_err(|e| StoreError::Other(anyhow::anyhow!("bad request id {}: {e}", r.id)))?;
            let inserted = sqlx::query(
                "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
                    status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
                    assignee, paused_at, filed_by, citizen_contact, last_event, closed_at, anonymised_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(&r.reference)
            .bind(&r.tracking_hash)
            .bind(&r.form_id)
            .bind(&r.form_version)
            .bind(&r.commune)
            .bind(&r.channel)
            .bind(Json(&r.data))
            .bind(&r.status)
            .bind(&r.service)
            .bind(&r.queue)
            .bind(&r.priority)
            .bind(Json(&r.tags))
            .bind(&r.routing_reason)
            .bind(&r.routing_fallback)
            .bind(r.due_at)
            .bind(r.created_at)
            .bind(r.updated_at)
            .bind(&r.assignee)
            .bind(r.paused_at)
            .bind(&r.filed_by)
            .bind(&r.citizen_contact)
            .bind(&r.last_event)
            .bind(r.closed_at)
            .bind(r.anonymised_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                continue;
            }
            imported += 1;
            for e in &r.events {
                sqlx::query(
                    "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(&e.kind)
                .bind(&e.actor)
                .bind(e.visible_to_citizen)
                .bind(Json(&e.body))
                .bind(e.created_at)
                .execute(&mut *tx)
                .await?;
            }
        }
        // Closed requests from archives older than retention: closed when they last became
        // resolved or rejected, as migration 0006 did.
        sqlx::query(
            "UPDATE requests r SET closed_at = coalesce(
                (SELECT max(e.created_at) FROM request_events e
                 WHERE e.request_id = r.id AND e.kind = 'status_changed'
                   AND e.body->>'to' IN ('resolved', 'rejected')),
                r.updated_at)
             WHERE r.status IN ('resolved', 'rejected') AND r.closed_at IS NULL",
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .bind(parse_user_id(&account.id)?)
        .bind(account.email.to_lowercase())
        .bind(&account.name)
        .bind(Role::parse(&account.role).map_err(other)?.as_str())
        .bind(Json(&account.services))
        .bind(Json(&account.communes))
        .bind(&account.password_hash)
        .bind(account.disabled)
        .bind(account.created_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}
