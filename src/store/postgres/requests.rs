//! PostgreSQL: reading requests, and the primitives of a write transaction on them.

use std::collections::HashSet;

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, violates};
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
const FILING_LANG: &str = "(SELECT e.body ->> 'lang' FROM request_events e
    WHERE e.request_id = requests.id AND e.kind = 'submitted' ORDER BY e.id LIMIT 1) AS filing_lang";
use crate::store::{
    Event, FormVersionRecord, Inserted, LockedRequest, NewRequest, RequestStore,
    RequestTransaction, StatusSummary, StoreError, StoredRequest, Target, TrackedRequest,
};

#[async_trait]
impl RequestStore for PostgresStore {
    async fn begin(&self) -> Result<Box<dyn RequestTransaction>, StoreError> {
        begin_write(&self.pool).await
    }

    fn group_commit(&self) -> &crate::store::GroupCommit {
        &self.group
    }

    async fn track(&self, tracking_hash: &str) -> Result<Option<TrackedRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.reference, r.form_id, r.form_version, v.title, r.status, r.service, r.commune, r.data, r.created_at, r.updated_at,
                    r.closed_at, r.due_at
             FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE r.tracking_hash = $1",
        )
        .bind(tracking_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id: Uuid = row.try_get("id")?;
        Ok(Some(tracked_request(&row, self.events(id, true).await?)?))
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
        row.map(|row| status_summary(&row)).transpose()
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
        Ok(Some(stored_request(&row, self.events(id, false).await?)?))
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

    async fn form_version(
        &self,
        version: &FormVersion,
    ) -> Result<Option<ArchivedFormVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM form_versions WHERE version = $1")
            .bind(version.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| form_version_row(&row)).transpose()
    }
}

pub(super) async fn begin_write(
    pool: &sqlx::PgPool,
) -> Result<Box<dyn RequestTransaction>, StoreError> {
    let tx = pool.begin().await?;
    Ok(Box::new(PostgresTransaction {
        tx,
        rollups: PendingRollups::default(),
        recorded_versions: HashSet::new(),
    }))
}

/// A write transaction; the rows it reads are locked `FOR UPDATE` until it ends, so two
/// instances acting on one request apply one after the other.
struct PostgresTransaction {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    /// What the facts written change in the rollups, added at commit.
    rollups: PendingRollups,
    /// The form versions recorded in this transaction: a group of filings of one form
    /// records its version once.
    recorded_versions: HashSet<String>,
}

impl PostgresTransaction {
    /// Writes a request's facts over `old` (what was stored, if anything), and keeps the
    /// rollups' change for the commit.
    async fn put_facts(
        &mut self,
        id: Uuid,
        row: FactsRow,
        old: Option<&FactsRow>,
    ) -> Result<(), StoreError> {
        let delta = RollupDelta::between(old, &row);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO request_facts (request_id, {FACTS_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
             ON CONFLICT (request_id) DO UPDATE SET form_id = excluded.form_id, commune = excluded.commune, channel = excluded.channel, filed_by = excluded.filed_by, service = excluded.service, queue = excluded.queue, status = excluded.status, filed_at = excluded.filed_at, first_action_at = excluded.first_action_at, closed_at = excluded.closed_at, due_at = excluded.due_at, paused_seconds = excluded.paused_seconds, within_deadline = excluded.within_deadline, reopened = excluded.reopened, transferred = excluded.transferred, fallback = excluded.fallback, filed_day = excluded.filed_day, closed_day = excluded.closed_day, first_action_bucket = excluded.first_action_bucket, resolution_bucket = excluded.resolution_bucket, filed_month = excluded.filed_month"
        )))
        .bind(id)
        .bind(row.form_id)
        .bind(row.commune)
        .bind(row.channel)
        .bind(row.filed_by)
        .bind(row.service)
        .bind(row.queue)
        .bind(row.status)
        .bind(row.filed_at)
        .bind(row.first_action_at)
        .bind(row.closed_at)
        .bind(row.due_at)
        .bind(row.paused_seconds)
        .bind(row.within_deadline)
        .bind(row.reopened)
        .bind(row.transferred)
        .bind(row.fallback)
        .bind(row.filed_day)
        .bind(row.closed_day)
        .bind(row.first_action_bucket)
        .bind(row.resolution_bucket)
        .bind(row.filed_month)
        .execute(&mut *self.tx)
        .await?;
        self.rollups.push(delta);
        Ok(())
    }
}

#[async_trait]
impl RequestTransaction for PostgresTransaction {
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
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (version) DO NOTHING",
        )
        .bind(form.version.as_str())
        .bind(&form.form_id)
        .bind(&form.title)
        .bind(&*form.definition)
        .bind(form.rule_source.as_deref())
        .bind(&form.git_commit)
        .bind(now)
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
        let inserted = sqlx::query(
            "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data,
                status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, updated_at,
                filed_by, citizen_contact)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19)
             ON CONFLICT (reference) DO NOTHING",
        )
        .bind(id)
        .bind(reference.to_string())
        .bind(&request.tracking_hash)
        .bind(&request.form.form_id)
        .bind(request.form.version.as_str())
        .bind(&request.commune)
        .bind(request.channel.as_str())
        .bind(Json(&request.data))
        .bind(state.status.as_str())
        .bind(&state.service)
        .bind(&state.queue)
        .bind(state.priority.as_str())
        .bind(Json(&request.tags))
        .bind(&request.routing_reason)
        .bind(&request.routing_fallback)
        .bind(state.due_at)
        .bind(now)
        .bind(&request.filed_by)
        .bind(&request.citizen_contact)
        .execute(&mut *self.tx)
        .await;
        match inserted {
            Ok(done) if done.rows_affected() == 0 => Ok(Inserted::ReferenceTaken),
            Ok(_) => Ok(Inserted::Request(id)),
            Err(err) if violates(&err, "requests_tracking_hash_key") => {
                Err(StoreError::AlreadyFiled)
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn lock(&mut self, target: Target<'_>) -> Result<Option<LockedRequest>, StoreError> {
        let (column, key) = match target {
            Target::Reference(reference) => ("reference", reference.to_string()),
            Target::Tracking(hash) => ("tracking_hash", hash.to_owned()),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOCKED_COLUMNS}, {FILING_LANG} FROM requests WHERE {column} = $1 FOR UPDATE"
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
        // SKIP LOCKED: a request another instance is taking is passed over, not waited for.
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {LOCKED_COLUMNS}, {FILING_LANG} FROM requests WHERE queue = $1 AND status = $2
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
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
        sqlx::query("UPDATE requests SET tracking_hash = $1 WHERE id = $2")
            .bind(tracking_hash)
            .bind(id)
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
        sqlx::query(
            "UPDATE requests SET status = $1, service = $2, queue = $3, priority = $4, assignee = $5, due_at = $6,
                paused_at = $7, last_event = $8, updated_at = $9,
                closed_at = CASE WHEN $11 THEN coalesce(closed_at, $9) END
             WHERE id = $10",
        )
        .bind(state.status.as_str())
        .bind(&state.service)
        .bind(&state.queue)
        .bind(state.priority.as_str())
        .bind(&state.assignee)
        .bind(state.due_at)
        .bind(state.paused_at)
        .bind(last_event.as_str())
        .bind(now)
        .bind(id)
        .bind(!workflow::is_open(state.status))
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
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(event.kind.as_str())
        .bind(actor)
        .bind(event.visible_to_citizen)
        .bind(Json(&event.body))
        .bind(now)
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
        let mut insert = QueryBuilder::<Postgres>::new(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) ",
        );
        insert.push_values(events, |mut row, (actor, event)| {
            row.push_bind(id)
                .push_bind(event.kind.as_str())
                .push_bind(*actor)
                .push_bind(event.visible_to_citizen)
                .push_bind(Json(&event.body))
                .push_bind(now);
        });
        insert.build().execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn history(&mut self, id: Uuid) -> Result<Vec<Event>, StoreError> {
        sqlx::query("SELECT kind, actor, body, created_at FROM request_events WHERE request_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut *self.tx)
            .await?
            .iter()
            .map(event)
            .collect()
    }

    async fn write_facts(&mut self, id: Uuid, facts: &RequestFacts) -> Result<(), StoreError> {
        let row = FactsRow::of(facts);
        // The rollups change by the difference between the old facts and the new ones.
        // The request's row is locked first (an action holds it already; a rebuild does
        // not), so that two transactions never take the same old facts away twice.
        sqlx::query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let old = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FACTS_COLUMNS} FROM request_facts WHERE request_id = $1"
        )))
        .bind(id)
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
        super::outbox::insert_outbox(&mut self.tx, Some(id), messages, now).await?;
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
