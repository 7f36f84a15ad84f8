//! SQLite: reading requests, and the primitives of a write transaction on them.

use async_trait::async_trait;
use serde_json::json;
use std::collections::HashSet;

use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{SqliteStore, is_unique_violation_on};
use crate::domain::outbox::OutboxMessage;
use crate::domain::statistics::RequestFacts;
use crate::domain::workflow::{self, HandlingState, NewEvent};
use crate::domain::{EventKind, FormVersion, Reference, Status};
use crate::store::archive::ArchivedFormVersion;
use crate::store::group_commit::Savepoint;
use crate::store::requests::{
    LOCKED_COLUMNS, event, form_version_row, locked_request, status_summary, stored_request,
    tracked_request,
};
use crate::store::statistics::{FACTS_COLUMNS, FactsRow, PendingRollups, RollupDelta};

/// The language the citizen filed in, from the `submitted` event (see `LockedRequest`).
const FILING_LANG: &str = "(SELECT json_extract(e.body, '$.lang') FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'submitted' ORDER BY e.id LIMIT 1) AS filing_lang";
use crate::store::{
    Event, FiledRequest, FormVersionRecord, Inserted, LockedRequest, NewRequest, RequestStore,
    RequestTransaction, StatusSummary, StoreError, StoredRequest, Target, TrackedRequest,
    format_time,
};

#[async_trait]
impl RequestStore for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn RequestTransaction>, StoreError> {
        begin_write(&self.writer).await
    }

    fn group_commit(&self) -> &crate::store::GroupCommit {
        &self.group
    }

    async fn track(&self, tracking_hash: &str) -> Result<Option<TrackedRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.reference, r.form_id, r.form_version, v.title, r.status, r.service, r.commune, r.data, r.created_at, r.updated_at,
                    r.closed_at, r.due_at
             FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE r.tracking_hash = ?",
        )
        .bind(tracking_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("id")?;
        Ok(Some(tracked_request(&row, self.events(&id, true).await?)?))
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
        row.map(|row| status_summary(&row)).transpose()
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
        Ok(Some(stored_request(&row, self.events(&id, false).await?)?))
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

    async fn form_version(
        &self,
        version: &FormVersion,
    ) -> Result<Option<ArchivedFormVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM form_versions WHERE version = ?")
            .bind(version.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| form_version_row(&row)).transpose()
    }
}

/// A write transaction on the single writer connection, begun `IMMEDIATE` so that another
/// process writing the same file waits for the lock instead of failing to upgrade.
pub(super) async fn begin_write(
    writer: &sqlx::SqlitePool,
) -> Result<Box<dyn RequestTransaction>, StoreError> {
    let tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    Ok(Box::new(SqliteTransaction {
        tx,
        rollups: PendingRollups::default(),
        recorded_versions: HashSet::new(),
    }))
}

struct SqliteTransaction {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    /// What the facts written change in the rollups, added at commit.
    rollups: PendingRollups,
    /// The form versions recorded in this transaction: a group of filings of one form
    /// records its version once.
    recorded_versions: HashSet<String>,
}

impl SqliteTransaction {
    /// Writes a request's facts over `old` (what was stored, if anything), and keeps the
    /// rollups' change for the commit.
    async fn put_facts(
        &mut self,
        id: Uuid,
        row: FactsRow,
        old: Option<&FactsRow>,
    ) -> Result<(), StoreError> {
        let delta = RollupDelta::between(old, &row);
        let mut upsert = QueryBuilder::<Sqlite>::new("");
        push_facts(&mut upsert, &id.to_string(), row);
        upsert.push(
            " ON CONFLICT (request_id) DO UPDATE SET form_id = excluded.form_id, commune = excluded.commune, channel = excluded.channel, filed_by = excluded.filed_by, service = excluded.service, queue = excluded.queue, status = excluded.status, filed_at = excluded.filed_at, first_action_at = excluded.first_action_at, closed_at = excluded.closed_at, due_at = excluded.due_at, paused_seconds = excluded.paused_seconds, within_deadline = excluded.within_deadline, reopened = excluded.reopened, transferred = excluded.transferred, fallback = excluded.fallback, filed_day = excluded.filed_day, closed_day = excluded.closed_day, first_action_bucket = excluded.first_action_bucket, resolution_bucket = excluded.resolution_bucket, filed_month = excluded.filed_month",
        );
        upsert.build().execute(&mut *self.tx).await?;
        self.rollups.push(delta);
        Ok(())
    }
}

/// `INSERT INTO requests …` of a new request `id` under `reference`, with no conflict clause.
fn push_request(
    sql: &mut QueryBuilder<Sqlite>,
    id: &str,
    reference: &Reference,
    request: &NewRequest,
    state: &HandlingState,
    now: &str,
) {
    sql.push(
        "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
            status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
            filed_by, citizen_contact) ",
    );
    sql.push_values([()], |mut row, ()| {
        row.push_bind(id)
            .push_bind(reference.to_string())
            .push_bind(&request.tracking_hash)
            .push_bind(&request.form.form_id)
            .push_bind(request.form.version.as_str())
            .push_bind(&request.commune)
            .push_bind(request.channel.as_str())
            .push_bind(request.data.to_string())
            .push_bind(state.status.as_str())
            .push_bind(&state.service)
            .push_bind(&state.queue)
            .push_bind(state.priority.as_str())
            .push_bind(json!(request.tags).to_string())
            .push_bind(&request.routing_reason)
            .push_bind(&request.routing_fallback)
            .push_bind(state.due_at.map(format_time))
            .push_bind(now)
            .push_bind(now)
            .push_bind(&request.filed_by)
            .push_bind(&request.citizen_contact);
    });
}

/// What a refused request insert means: the same submission stored already, or a failure.
fn refused_request(err: sqlx::Error) -> Result<Inserted, StoreError> {
    if is_unique_violation_on(&err, "requests.tracking_hash") {
        Err(StoreError::AlreadyFiled)
    } else {
        Err(err.into())
    }
}

/// `INSERT INTO request_events …` of `events`, in order, on request `id`.
fn push_events(sql: &mut QueryBuilder<Sqlite>, id: &str, events: &[(&str, &NewEvent)], now: &str) {
    sql.push(
        "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) ",
    );
    sql.push_values(events, |mut row, (actor, event)| {
        row.push_bind(id)
            .push_bind(event.kind.as_str())
            .push_bind(*actor)
            .push_bind(event.visible_to_citizen)
            .push_bind(event.body.to_string())
            .push_bind(now);
    });
}

/// `INSERT INTO request_facts …` of request `id`'s `row`, with no conflict clause.
fn push_facts(sql: &mut QueryBuilder<Sqlite>, id: &str, row: FactsRow) {
    sql.push(format!(
        "INSERT INTO request_facts (request_id, {FACTS_COLUMNS}) "
    ));
    sql.push_values([row], |mut values, row| {
        values
            .push_bind(id)
            .push_bind(row.form_id)
            .push_bind(row.commune)
            .push_bind(row.channel)
            .push_bind(row.filed_by)
            .push_bind(row.service)
            .push_bind(row.queue)
            .push_bind(row.status)
            .push_bind(row.filed_at)
            .push_bind(row.first_action_at)
            .push_bind(row.closed_at)
            .push_bind(row.due_at)
            .push_bind(row.paused_seconds)
            .push_bind(row.within_deadline)
            .push_bind(row.reopened)
            .push_bind(row.transferred)
            .push_bind(row.fallback)
            .push_bind(row.filed_day)
            .push_bind(row.closed_day)
            .push_bind(row.first_action_bucket)
            .push_bind(row.resolution_bucket)
            .push_bind(row.filed_month);
    });
}

#[async_trait]
impl RequestTransaction for SqliteTransaction {
    async fn record_form_version(
        &mut self,
        form: &FormVersionRecord,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if self.recorded_versions.contains(form.version.as_str()) {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
        )
        .bind(form.version.as_str())
        .bind(&form.form_id)
        .bind(&form.title)
        .bind(&*form.definition)
        .bind(form.rule_source.as_deref())
        .bind(&form.git_commit)
        .bind(format_time(now))
        .execute(&mut *self.tx)
        .await?;
        self.recorded_versions
            .insert(form.version.as_str().to_owned());
        Ok(())
    }

    async fn insert_request(
        &mut self,
        reference: &Reference,
        request: &NewRequest,
        state: &HandlingState,
        now: OffsetDateTime,
    ) -> Result<Inserted, StoreError> {
        let id = Uuid::now_v7();
        let mut insert = QueryBuilder::<Sqlite>::new("");
        push_request(
            &mut insert,
            &id.to_string(),
            reference,
            request,
            state,
            &format_time(now),
        );
        insert.push(" ON CONFLICT (reference) DO NOTHING");
        match insert.build().execute(&mut *self.tx).await {
            Ok(done) if done.rows_affected() == 0 => Ok(Inserted::ReferenceTaken),
            Ok(_) => Ok(Inserted::Request(id)),
            Err(err) => refused_request(err),
        }
    }

    async fn file_request(
        &mut self,
        reference: &Reference,
        filed: &FiledRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Inserted, StoreError> {
        let id = Uuid::now_v7();
        let id_text = id.to_string();
        let (now_text, facts) = (format_time(now), FactsRow::of(filed.facts));
        let delta = RollupDelta::between(None, &facts);
        // One query of several statements: SQLite runs them in order and stops at the first
        // that fails, which is undone alone. The request comes first, without a conflict
        // clause, so a reference clash stops the query before anything of it is written.
        let mut sql = QueryBuilder::<Sqlite>::new("");
        push_request(
            &mut sql,
            &id_text,
            reference,
            filed.request,
            filed.state,
            &now_text,
        );
        if !filed.events.is_empty() {
            sql.push("; ");
            push_events(&mut sql, &id_text, filed.events, &now_text);
        }
        sql.push("; ");
        push_facts(&mut sql, &id_text, facts);
        if !filed.messages.is_empty() {
            sql.push("; ");
            super::outbox::push_outbox(&mut sql, Some(&id_text), filed.messages, now);
        }
        match sql.build().execute(&mut *self.tx).await {
            Ok(_) => {
                self.rollups.push(delta);
                Ok(Inserted::Request(id))
            }
            Err(err) if is_unique_violation_on(&err, "requests.reference") => {
                Ok(Inserted::ReferenceTaken)
            }
            Err(err) => refused_request(err),
        }
    }

    async fn lock(&mut self, target: Target<'_>) -> Result<Option<LockedRequest>, StoreError> {
        // BEGIN IMMEDIATE already holds the database's write lock.
        let (column, key) = match target {
            Target::Reference(reference) => ("reference", reference.to_string()),
            Target::Tracking(hash) => ("tracking_hash", hash.to_owned()),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOCKED_COLUMNS}, {FILING_LANG} FROM requests WHERE {column} = ?"
        )))
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(locked_request).transpose()
    }

    async fn lock_next_received(
        &mut self,
        queue: &str,
    ) -> Result<Option<LockedRequest>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOCKED_COLUMNS}, {FILING_LANG} FROM requests WHERE queue = ? AND status = ? ORDER BY id LIMIT 1"
        )))
        .bind(queue)
        .bind(Status::Received.as_str())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(locked_request).transpose()
    }

    async fn write_tracking_hash(
        &mut self,
        id: Uuid,
        tracking_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE requests SET tracking_hash = ? WHERE id = ?")
            .bind(tracking_hash)
            .bind(id.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn write_state(
        &mut self,
        id: Uuid,
        state: &HandlingState,
        last_event: EventKind,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now_text = format_time(now);
        sqlx::query(
            "UPDATE requests SET status = ?, service = ?, queue = ?, priority = ?, assignee = ?, due_at = ?,
                paused_at = ?, last_event = ?, updated_at = ?,
                closed_at = CASE WHEN ? THEN coalesce(closed_at, ?) END
             WHERE id = ?",
        )
        .bind(state.status.as_str())
        .bind(&state.service)
        .bind(&state.queue)
        .bind(state.priority.as_str())
        .bind(&state.assignee)
        .bind(state.due_at.map(format_time))
        .bind(state.paused_at.map(format_time))
        .bind(last_event.as_str())
        .bind(&now_text)
        .bind(!workflow::is_open(state.status))
        .bind(&now_text)
        .bind(id.to_string())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn append_event(
        &mut self,
        id: Uuid,
        actor: &str,
        event: &NewEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id.to_string())
            .bind(event.kind.as_str())
            .bind(actor)
            .bind(event.visible_to_citizen)
            .bind(event.body.to_string())
            .bind(format_time(now))
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn append_events(
        &mut self,
        id: Uuid,
        events: &[(&str, &NewEvent)],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut insert = QueryBuilder::<Sqlite>::new("");
        push_events(&mut insert, &id.to_string(), events, &format_time(now));
        insert.build().execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn history(&mut self, id: Uuid) -> Result<Vec<Event>, StoreError> {
        sqlx::query("SELECT kind, actor, body, created_at FROM request_events WHERE request_id = ? ORDER BY id")
            .bind(id.to_string())
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(event)
            .collect()
    }

    async fn write_facts(&mut self, id: Uuid, facts: &RequestFacts) -> Result<(), StoreError> {
        let row = FactsRow::of(facts);
        // The rollups change by the difference between the old facts and the new ones.
        let old = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FACTS_COLUMNS} FROM request_facts WHERE request_id = ?"
        )))
        .bind(id.to_string())
        .fetch_optional(&mut *self.tx)
        .await?
        .map(|r| FactsRow::read(&r))
        .transpose()?;
        self.put_facts(id, row, old.as_ref()).await
    }

    async fn insert_facts(&mut self, id: Uuid, facts: &RequestFacts) -> Result<(), StoreError> {
        self.put_facts(id, FactsRow::of(facts), None).await
    }

    async fn queue_outbox(
        &mut self,
        id: Uuid,
        messages: &[OutboxMessage],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        super::outbox::insert_outbox(&mut self.tx, Some(&id.to_string()), messages, now).await?;
        Ok(())
    }

    async fn set_savepoint(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        sqlx::query(savepoint.set()).execute(&mut *self.tx).await?;
        self.rollups.set(savepoint);
        Ok(())
    }

    async fn release_savepoint(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        sqlx::query(savepoint.release())
            .execute(&mut *self.tx)
            .await?;
        self.rollups.release(savepoint);
        Ok(())
    }

    async fn roll_back_to(&mut self, savepoint: Savepoint) -> Result<(), StoreError> {
        sqlx::query(savepoint.roll_back())
            .execute(&mut *self.tx)
            .await?;
        self.rollups.roll_back(savepoint);
        // A version recorded after the savepoint is gone with it.
        self.recorded_versions.clear();
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let rollups = self.rollups.take();
        super::statistics::add_to_rollups(&mut self.tx, &rollups).await?;
        self.tx.commit().await?;
        Ok(())
    }

    async fn roll_back(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}
