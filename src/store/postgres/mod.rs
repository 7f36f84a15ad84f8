//! The PostgreSQL store: the scale path, for several application instances in front of one
//! database.
//!
//! Same model as SQLite with native types (`uuid`, `timestamptz`, `jsonb`). A request, its
//! form version and its first events are one transaction; it is acknowledged only after
//! `COMMIT` returns, which with PostgreSQL's default `synchronous_commit = on` means the WAL
//! is flushed. References are unique by constraint, so two instances can never hand out the
//! same one: a collision rolls back and is retried with a fresh reference.

mod back_office;
mod builder;
mod personal_data;
mod retention;
mod site;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::archive::{ArchivedEvent, ArchivedFormVersion, ArchivedRequest};
use super::{
    ActionDone, Event, LoginCount, NewRequest, NewStaffUser, QueueItem, Receipt, RequestQuery,
    Scope, Session, StaffUser, StatusCounts, StatusSummary, Store, StoreError, StoredRequest,
    Target, TrackedRequest, first_events,
};
use crate::domain::outbox::{OutboxRow, Outcome, Planner};
use crate::domain::workflow::Action;
use crate::domain::{FormVersion, Priority, Reference, Status};

const REFERENCE_ATTEMPTS: usize = 5;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<PostgresStore> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            // Fail fast while the database is down rather than queue requests for long.
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }

    async fn insert(
        &self,
        request: &NewRequest,
        reference: &Reference,
        now: OffsetDateTime,
        planner: &Planner,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING",
        )
        .bind(request.form.version.as_str())
        .bind(&request.form.form_id)
        .bind(&request.form.title)
        .bind(request.form.definition.to_string())
        .bind(&request.form.rule_source)
        .bind(&request.form.git_commit)
        .bind(now)
        .execute(&mut *tx)
        .await?;

        let id = Uuid::now_v7();
        let due_at = request
            .due_in_days
            .map(|d| now + time::Duration::days(i64::from(d)));
        sqlx::query(
            "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
                status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
                filed_by, citizen_contact)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19)",
        )
        .bind(id)
        .bind(reference.to_string())
        .bind(&request.tracking_hash)
        .bind(&request.form.form_id)
        .bind(request.form.version.as_str())
        .bind(&request.commune)
        .bind(request.channel.as_str())
        .bind(Json(&request.data))
        .bind(Status::Received.as_str())
        .bind(&request.service)
        .bind(&request.queue)
        .bind(request.priority.as_str())
        .bind(Json(&request.tags))
        .bind(&request.routing_reason)
        .bind(&request.routing_fallback)
        .bind(due_at)
        .bind(now)
        .bind(&request.filed_by)
        .bind(&request.citizen_contact)
        .execute(&mut *tx)
        .await?;

        for (kind, actor, visible, body) in first_events(request) {
            sqlx::query(
                "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(kind.as_str())
            .bind(actor)
            .bind(visible)
            .bind(Json(body))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let (state, events) = super::filed_state(request, now);
        let messages = planner(&super::filing_plan(request, reference, &state, &events));
        back_office::insert_outbox(&mut tx, id, &messages, now).await?;
        tx.commit().await
    }

    async fn events(&self, request_id: Uuid, citizen_only: bool) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, actor, body, created_at FROM request_events
             WHERE request_id = $1 AND (visible_to_citizen OR NOT $2) ORDER BY id",
        )
        .bind(request_id)
        .bind(citizen_only)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    kind: row.try_get("kind")?,
                    actor: row.try_get("actor")?,
                    body: row.try_get::<Json<Value>, _>("body")?.0,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// A JSON document kept as text (key order matters: it is the order of a form's questions).
pub(super) fn json_text(row: &PgRow, column: &str) -> Result<Value, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad {column} in the database: {e}")))
}

fn violates(err: &sqlx::Error, constraint: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(constraint))
}

fn parsed<T>(
    row: &PgRow,
    column: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, StoreError> {
    let text: String = row.try_get(column)?;
    parse(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad {column} in the database: {e}")))
}

#[async_trait]
impl Store for PostgresStore {
    async fn file_request(
        &self,
        request: NewRequest,
        planner: &Planner,
    ) -> Result<Receipt, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut last_error = None;
        for _ in 0..REFERENCE_ATTEMPTS {
            let reference = Reference::generate();
            match self.insert(&request, &reference, now, planner).await {
                Ok(()) => {
                    return Ok(Receipt {
                        reference,
                        status: Status::Received,
                        created_at: now,
                    });
                }
                Err(err) if violates(&err, "requests_reference_key") => last_error = Some(err),
                Err(err) if violates(&err, "requests_tracking_hash_key") => {
                    return Err(StoreError::AlreadyFiled);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(last_error.map_or_else(
            || StoreError::Other(anyhow::anyhow!("no reference could be allocated")),
            Into::into,
        ))
    }

    async fn track(&self, tracking_hash: &str) -> Result<Option<TrackedRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.reference, r.form_id, r.form_version, v.title, r.status, r.service, r.commune, r.data, r.created_at, r.updated_at,
                    r.closed_at
             FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE r.tracking_hash = $1",
        )
        .bind(tracking_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: Uuid = row.try_get("id")?;
        Ok(Some(TrackedRequest {
            reference: parsed(&row, "reference", Reference::parse)?,
            form_id: row.try_get("form_id")?,
            form_title: row.try_get("title")?,
            form_version: parsed(&row, "form_version", FormVersion::parse)?,
            status: parsed(&row, "status", Status::parse)?,
            service: row.try_get("service")?,
            commune: row.try_get("commune")?,
            data: row.try_get::<Json<Value>, _>("data")?.0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            closed_at: row.try_get("closed_at")?,
            history: self.events(id, true).await?,
        }))
    }

    async fn status_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StatusSummary>, StoreError> {
        let row =
            sqlx::query("SELECT reference, status, updated_at FROM requests WHERE reference = $1")
                .bind(reference.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(StatusSummary {
                reference: parsed(&row, "reference", Reference::parse)?,
                status: parsed(&row, "status", Status::parse)?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    async fn request_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query("SELECT * FROM requests WHERE reference = $1")
            .bind(reference.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: Uuid = row.try_get("id")?;
        Ok(Some(StoredRequest {
            reference: parsed(&row, "reference", Reference::parse)?,
            form_id: row.try_get("form_id")?,
            form_version: parsed(&row, "form_version", FormVersion::parse)?,
            commune: row.try_get("commune")?,
            channel: row.try_get("channel")?,
            data: row.try_get::<Json<Value>, _>("data")?.0,
            status: parsed(&row, "status", Status::parse)?,
            service: row.try_get("service")?,
            queue: row.try_get("queue")?,
            priority: parsed(&row, "priority", Priority::parse)?,
            tags: row.try_get::<Json<Vec<String>>, _>("tags")?.0,
            routing_reason: row.try_get("routing_reason")?,
            routing_fallback: row.try_get("routing_fallback")?,
            due_at: row.try_get("due_at")?,
            assignee: row.try_get("assignee")?,
            paused_at: row.try_get("paused_at")?,
            filed_by: row.try_get("filed_by")?,
            citizen_contact: row.try_get("citizen_contact")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            closed_at: row.try_get("closed_at")?,
            anonymised_at: row.try_get("anonymised_at")?,
            events: self.events(id, false).await?,
        }))
    }

    async fn count_requests(&self) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests")
            .fetch_one(&self.pool)
            .await?;
        Ok(count.max(0) as u64)
    }

    async fn referenced_attachments(
        &self,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        // Strict mode: `.**` in lax mode would unwrap arrays and see values twice.
        let hashes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT v #>> '{}' FROM requests r,
                 jsonb_path_query(r.data, 'strict $.**.sha256') AS v
             WHERE jsonb_typeof(v) = 'string'",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(hashes.into_iter().collect())
    }

    async fn claim_next(&self, queue: &str, actor: &str) -> Result<Option<Reference>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        // SKIP LOCKED: a row another instance is taking is passed over, not waited for.
        let claimed = sqlx::query(
            "WITH next AS (
                 SELECT id FROM requests WHERE queue = $1 AND status = $2
                 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
             UPDATE requests r SET status = $3, updated_at = $4, assignee = $5, last_event = 'status_changed'
             FROM next WHERE r.id = next.id
             RETURNING r.id, r.reference",
        )
        .bind(queue)
        .bind(Status::Received.as_str())
        .bind(Status::InProgress.as_str())
        .bind(now)
        .bind(actor)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else { return Ok(None) };
        let id: Uuid = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             VALUES ($1, 'status_changed', $2, TRUE, $3, $4)",
        )
        .bind(id)
        .bind(actor)
        .bind(Json(serde_json::json!({"from": Status::Received.as_str(), "to": Status::InProgress.as_str()})))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(parsed(&row, "reference", Reference::parse)?))
    }

    async fn export_form_versions(&self) -> Result<Vec<ArchivedFormVersion>, StoreError> {
        let rows = sqlx::query("SELECT * FROM form_versions ORDER BY recorded_at, version")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ArchivedFormVersion {
                    version: row.try_get("version")?,
                    form_id: row.try_get("form_id")?,
                    title: row.try_get("title")?,
                    definition: json_text(row, "definition")?,
                    rule_source: row.try_get("rule_source")?,
                    git_commit: row.try_get("git_commit")?,
                    recorded_at: row.try_get("recorded_at")?,
                })
            })
            .collect()
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

    async fn close(&self) {
        self.pool.close().await;
    }

    fn pool_stats(&self) -> Vec<super::PoolStats> {
        vec![super::PoolStats::of("main", &self.pool)]
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn list_requests(&self, query: &RequestQuery) -> Result<Vec<QueueItem>, StoreError> {
        self.list_requests_impl(query).await
    }

    async fn count_by_status(
        &self,
        scope: &Scope,
        queue: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<StatusCounts, StoreError> {
        self.count_by_status_impl(scope, queue, now).await
    }

    async fn act(
        &self,
        target: Target<'_>,
        scope: &Scope,
        actor: &str,
        action: &Action,
        planner: &Planner,
    ) -> Result<Option<ActionDone>, StoreError> {
        self.act_impl(target, scope, actor, action, planner).await
    }

    async fn form_version(
        &self,
        version: &FormVersion,
    ) -> Result<Option<ArchivedFormVersion>, StoreError> {
        self.form_version_impl(version).await
    }

    async fn create_user(&self, user: NewStaffUser) -> Result<StaffUser, StoreError> {
        self.create_user_impl(user).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError> {
        self.user_by_email_impl(email).await
    }

    async fn list_users(&self) -> Result<Vec<StaffUser>, StoreError> {
        self.list_users_impl().await
    }

    async fn set_user_disabled(&self, email: &str, disabled: bool) -> Result<bool, StoreError> {
        self.set_user_disabled_impl(email, disabled).await
    }

    async fn set_password(&self, email: &str, password_hash: &str) -> Result<bool, StoreError> {
        self.set_password_impl(email, password_hash).await
    }

    async fn count_login_attempt(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError> {
        self.count_login_attempt_impl(email, client, lock_after, lock_for, now)
            .await
    }

    async fn clear_login_attempts(&self, email: &str, client: &str) -> Result<(), StoreError> {
        self.clear_login_attempts_impl(email, client).await
    }

    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.create_session_impl(user_id, token_hash, csrf_token, expires_at)
            .await
    }

    async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        self.session_impl(token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.delete_session_impl(token_hash).await
    }

    async fn create_api_token(&self, user_id: &str, token_hash: &str) -> Result<(), StoreError> {
        self.create_api_token_impl(user_id, token_hash).await
    }

    async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<StaffUser>, StoreError> {
        self.user_by_api_token_impl(token_hash).await
    }

    async fn import_staff_account(
        &self,
        account: &super::archive::ArchivedStaffAccount,
    ) -> Result<bool, StoreError> {
        self.import_staff_account_impl(account).await
    }

    async fn claim_outbox(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.claim_outbox_impl(limit, lease).await
    }

    async fn finish_outbox(&self, id: &str, outcome: &Outcome) -> Result<(), StoreError> {
        self.finish_outbox_impl(id, outcome).await
    }

    async fn list_outbox(&self, states: &[&str], limit: u32) -> Result<Vec<OutboxRow>, StoreError> {
        self.list_outbox_impl(states, limit).await
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.outbox_counts_impl().await
    }

    async fn redeliver(&self, id: &str) -> Result<bool, StoreError> {
        self.redeliver_impl(id).await
    }
}
