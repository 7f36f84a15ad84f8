//! The SQLite store: the embedded default, one file, no server.
//!
//! Personal data: `secure_delete` is on, so a deleted or overwritten row is zeroed in the
//! page instead of lingering in free space, and a graceful shutdown empties the WAL
//! (`Store::close`), where the previous versions of pages live until a checkpoint.
//!
//! Durability: WAL journal with `synchronous=FULL`. In WAL mode, FULL syncs the log on every
//! commit, so a request acknowledged to a citizen survives a process crash *and* a power loss
//! or OS crash. (`NORMAL` would survive a process crash but could lose the last commits on
//! power loss; we do not acknowledge under that.)
//!
//! SQLite has one writer at a time. Writes go through a pool of one connection, so they
//! queue in order in the pool instead of sleeping in SQLite's busy handler (which made tail
//! latency jump to 130 ms under 8 concurrent clients); reads use their own pool and run
//! concurrently thanks to WAL. Writes still start with `BEGIN IMMEDIATE`, so another process
//! writing to the same file waits on the busy timeout instead of failing a lock upgrade.

mod back_office;
mod builder;
mod personal_data;
mod retention;
mod site;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::archive::{ArchivedEvent, ArchivedFormVersion, ArchivedRequest};
use super::{
    ActionDone, Event, LoginCount, NewRequest, NewStaffUser, QueueItem, Receipt, RequestQuery,
    Scope, Session, StaffUser, StatusCounts, StatusSummary, Store, StoreError, StoredRequest,
    Target, TrackedRequest, first_events, format_time, parse_time,
};
use crate::domain::outbox::{OutboxRow, Outcome, Planner};
use crate::domain::workflow::Action;
use crate::domain::{FormVersion, Priority, Reference, Status};

/// A fresh reference collides with an existing one about once in 10^12 filings per thousand
/// requests stored; five attempts make a failure practically impossible.
const REFERENCE_ATTEMPTS: usize = 5;

pub struct SqliteStore {
    /// One connection: all writes.
    writer: SqlitePool,
    /// Reads.
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and
    /// runs the migrations.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<SqliteStore> {
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(SqliteStore { writer, pool })
    }

    async fn insert(
        &self,
        request: &NewRequest,
        reference: &Reference,
        now: OffsetDateTime,
        planner: &Planner,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let now_text = format_time(now);
        sqlx::query(
            "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
        )
        .bind(request.form.version.as_str())
        .bind(&request.form.form_id)
        .bind(&request.form.title)
        .bind(request.form.definition.to_string())
        .bind(&request.form.rule_source)
        .bind(&request.form.git_commit)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;

        let id = Uuid::now_v7().to_string();
        let due_at = request
            .due_in_days
            .map(|d| format_time(now + time::Duration::days(i64::from(d))));
        sqlx::query(
            "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
                status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
                filed_by, citizen_contact)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(reference.to_string())
        .bind(&request.tracking_hash)
        .bind(&request.form.form_id)
        .bind(request.form.version.as_str())
        .bind(&request.commune)
        .bind(request.channel.as_str())
        .bind(request.data.to_string())
        .bind(Status::Received.as_str())
        .bind(&request.service)
        .bind(&request.queue)
        .bind(request.priority.as_str())
        .bind(json!(request.tags).to_string())
        .bind(&request.routing_reason)
        .bind(&request.routing_fallback)
        .bind(&due_at)
        .bind(&now_text)
        .bind(&now_text)
        .bind(&request.filed_by)
        .bind(&request.citizen_contact)
        .execute(&mut *tx)
        .await?;

        for (kind, actor, visible, body) in first_events(request) {
            sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(&id)
                .bind(kind.as_str())
                .bind(actor)
                .bind(visible)
                .bind(body.to_string())
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
        }
        let (state, events) = super::filed_state(request, now);
        let messages = planner(&super::filing_plan(request, reference, &state, &events));
        back_office::insert_outbox(&mut tx, &id, &messages, now).await?;
        tx.commit().await
    }

    async fn events(&self, request_id: &str, citizen_only: bool) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query("SELECT kind, actor, body, created_at FROM request_events WHERE request_id = ? AND (visible_to_citizen = 1 OR ? = 0) ORDER BY id")
            .bind(request_id)
            .bind(citizen_only)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Event {
                    kind: row.try_get("kind")?,
                    actor: row.try_get("actor")?,
                    body: json_column(row, "body")?,
                    created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
                })
            })
            .collect()
    }
}

fn is_unique_violation_on(err: &sqlx::Error, column: &str) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains(column))
}

fn json_column(row: &SqliteRow, column: &str) -> Result<Value, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad JSON in column {column}: {e}")))
}

fn optional_time(row: &SqliteRow, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|t| parse_time(&t))
        .transpose()
}

fn status_column(row: &SqliteRow) -> Result<Status, StoreError> {
    Status::parse(&row.try_get::<String, _>("status")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

fn reference_column(row: &SqliteRow) -> Result<Reference, StoreError> {
    Reference::parse(&row.try_get::<String, _>("reference")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

fn version_column(row: &SqliteRow) -> Result<FormVersion, StoreError> {
    FormVersion::parse(&row.try_get::<String, _>("form_version")?)
        .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))
}

#[async_trait]
impl Store for SqliteStore {
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
                Err(err) if is_unique_violation_on(&err, "requests.reference") => {
                    last_error = Some(err)
                }
                Err(err) if is_unique_violation_on(&err, "requests.tracking_hash") => {
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
             FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE r.tracking_hash = ?",
        )
        .bind(tracking_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        Ok(Some(TrackedRequest {
            reference: reference_column(&row)?,
            form_id: row.try_get("form_id")?,
            form_title: row.try_get("title")?,
            form_version: version_column(&row)?,
            status: status_column(&row)?,
            service: row.try_get("service")?,
            commune: row.try_get("commune")?,
            data: json_column(&row, "data")?,
            created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
            updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
            closed_at: optional_time(&row, "closed_at")?,
            history: self.events(&id, true).await?,
        }))
    }

    async fn status_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StatusSummary>, StoreError> {
        let row =
            sqlx::query("SELECT reference, status, updated_at FROM requests WHERE reference = ?")
                .bind(reference.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(StatusSummary {
                reference: reference_column(&row)?,
                status: status_column(&row)?,
                updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
            })
        })
        .transpose()
    }

    async fn request_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StoredRequest>, StoreError> {
        let row = sqlx::query("SELECT * FROM requests WHERE reference = ?")
            .bind(reference.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        let tags: Vec<String> = serde_json::from_value(json_column(&row, "tags")?)
            .map_err(|e| StoreError::Other(e.into()))?;
        Ok(Some(StoredRequest {
            reference: reference_column(&row)?,
            form_id: row.try_get("form_id")?,
            form_version: version_column(&row)?,
            commune: row.try_get("commune")?,
            channel: row.try_get("channel")?,
            data: json_column(&row, "data")?,
            status: status_column(&row)?,
            service: row.try_get("service")?,
            queue: row.try_get("queue")?,
            priority: Priority::parse(&row.try_get::<String, _>("priority")?)
                .map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?,
            tags,
            routing_reason: row.try_get("routing_reason")?,
            routing_fallback: row.try_get("routing_fallback")?,
            due_at: optional_time(&row, "due_at")?,
            assignee: row.try_get("assignee")?,
            paused_at: optional_time(&row, "paused_at")?,
            filed_by: row.try_get("filed_by")?,
            citizen_contact: row.try_get("citizen_contact")?,
            created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
            updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
            closed_at: optional_time(&row, "closed_at")?,
            anonymised_at: optional_time(&row, "anonymised_at")?,
            events: self.events(&id, false).await?,
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
        let hashes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT t.value FROM requests r, json_tree(r.data) t
             WHERE t.key = 'sha256' AND t.type = 'text'",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(hashes.into_iter().collect())
    }

    async fn claim_next(&self, queue: &str, actor: &str) -> Result<Option<Reference>, StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        // The single writer connection and BEGIN IMMEDIATE serialise claims.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let claimed = sqlx::query(
            "UPDATE requests SET status = ?, updated_at = ?, assignee = ?, last_event = 'status_changed'
             WHERE id = (SELECT id FROM requests WHERE queue = ? AND status = ? ORDER BY id LIMIT 1)
             RETURNING id, reference",
        )
        .bind(Status::InProgress.as_str())
        .bind(&now)
        .bind(actor)
        .bind(queue)
        .bind(Status::Received.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = claimed else { return Ok(None) };
        let id: String = row.try_get("id")?;
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             VALUES (?, 'status_changed', ?, 1, ?, ?)",
        )
        .bind(&id)
        .bind(actor)
        .bind(json!({"from": Status::Received.as_str(), "to": Status::InProgress.as_str()}).to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(reference_column(&row)?))
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
                    definition: json_column(row, "definition")?,
                    rule_source: row.try_get("rule_source")?,
                    git_commit: row.try_get("git_commit")?,
                    recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
                })
            })
            .collect()
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

    fn pool_stats(&self) -> Vec<super::PoolStats> {
        vec![
            super::PoolStats::of("writer", &self.writer),
            super::PoolStats::of("reader", &self.pool),
        ]
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        // Readers first: a checkpoint cannot pass a reader's snapshot.
        self.pool.close().await;
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await
        {
            Ok((0, _, _)) => {}
            Ok(_) => {
                tracing::warn!("the WAL could not be emptied: another process reads the database")
            }
            Err(err) => tracing::warn!(%err, "the WAL could not be emptied"),
        }
        self.writer.close().await;
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
