//! PostgreSQL: queue listings, actions on requests, staff accounts and sessions.
//!
//! An action locks its request row (`FOR UPDATE`) for the length of its transaction, so two
//! instances acting on the same request at once apply one after the other.

use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, parsed, violates};
use crate::domain::outbox::{OutboxChannel, OutboxMessage, OutboxRow, Outcome, PlanInput, Planner};
use crate::domain::workflow::{self, Action, HandlingState};
use crate::domain::{FormVersion, Priority, Reference, Role, Status};
use crate::store::archive::{ArchivedFormVersion, ArchivedStaffAccount};
use crate::store::handling::NO_DUE_DATE;
use crate::store::{
    ActionDone, AssigneeFilter, Cursor, LoginCount, NewStaffUser, QueueItem, RequestQuery, Scope,
    Session, SortOrder, StaffUser, StatusCounts, StoreError, Target, parse_time,
};

const DUE_KEY: &str = "coalesce(r.due_at, 'infinity'::timestamptz)";

fn other(message: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("{message}"))
}

/// `AND <scope>` for a listing.
fn push_scope(qb: &mut QueryBuilder<Postgres>, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Nothing => {
            qb.push(" AND FALSE");
        }
        Scope::Services(services) => {
            qb.push(" AND r.service = ANY(")
                .push_bind(services.clone())
                .push(")");
        }
        Scope::Communes { communes, filed_by } => {
            qb.push(" AND (r.filed_by = ")
                .push_bind(filed_by.clone())
                .push(" OR r.commune = ANY(")
                .push_bind(communes.clone())
                .push("))");
        }
    }
}

fn push_overdue(qb: &mut QueryBuilder<Postgres>, now: OffsetDateTime) {
    qb.push(" AND r.status IN ('received', 'in_progress') AND r.due_at < ")
        .push_bind(now);
}

/// `… AS last_event`: the request's last event, or for a reader who may not see internal
/// events, the last one they may see (the request's first events are never internal).
fn push_last_event(qb: &mut QueryBuilder<Postgres>, sees_internal_events: bool) {
    if sees_internal_events {
        qb.push("r.last_event AS last_event");
        return;
    }
    qb.push(
        "coalesce((SELECT e.kind FROM request_events e WHERE e.request_id = r.id AND NOT (e.kind = ANY(",
    )
    .push_bind(
        workflow::INTERNAL_EVENT_KINDS
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
    )
    .push(")) ORDER BY e.id DESC LIMIT 1), 'submitted') AS last_event");
}

fn queue_item(row: &PgRow, sort: SortOrder) -> Result<QueueItem, StoreError> {
    let id: Uuid = row.try_get("id")?;
    let due_at: Option<OffsetDateTime> = row.try_get("due_at")?;
    Ok(QueueItem {
        reference: parsed(row, "reference", Reference::parse)?,
        form_id: row.try_get("form_id")?,
        form_title: row.try_get("title")?,
        commune: row.try_get("commune")?,
        channel: row.try_get("channel")?,
        status: parsed(row, "status", Status::parse)?,
        service: row.try_get("service")?,
        queue: row.try_get("queue")?,
        priority: parsed(row, "priority", Priority::parse)?,
        assignee: row.try_get("assignee")?,
        filed_by: row.try_get("filed_by")?,
        paused: row
            .try_get::<Option<OffsetDateTime>, _>("paused_at")?
            .is_some(),
        last_event: row.try_get("last_event")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        cursor: Cursor::of(sort, id, due_at),
        due_at,
    })
}

fn staff_user(row: &PgRow) -> Result<StaffUser, StoreError> {
    let id: Uuid = row.try_get("id")?;
    Ok(StaffUser {
        id: id.to_string(),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: parsed(row, "role", Role::parse)?,
        services: row.try_get::<Json<Vec<String>>, _>("services")?.0,
        communes: row.try_get::<Json<Vec<String>>, _>("communes")?.0,
        disabled: row.try_get("disabled")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

fn parse_user_id(id: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(id).map_err(|e| other(format!("bad account id {id}: {e}")))
}

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.services, u.communes, u.disabled, u.password_hash, u.created_at";

impl PostgresStore {
    pub(super) async fn list_requests_impl(
        &self,
        query: &RequestQuery,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT r.id, r.reference, r.form_id, v.title, r.commune, r.channel, r.status, r.service, r.queue,
                    r.priority, r.assignee, r.filed_by, r.due_at, r.paused_at, r.created_at, r.updated_at, ",
        );
        push_last_event(&mut qb, query.sees_internal_events);
        qb.push(" FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE TRUE");
        push_scope(&mut qb, &query.scope);
        if let Some(queue) = &query.queue {
            qb.push(" AND r.queue = ").push_bind(queue.clone());
        }
        if let Some(status) = query.status {
            qb.push(" AND r.status = ").push_bind(status.as_str());
        }
        if let Some(commune) = &query.commune {
            qb.push(" AND r.commune = ").push_bind(commune.clone());
        }
        if let Some(form) = &query.form_id {
            qb.push(" AND r.form_id = ").push_bind(form.clone());
        }
        if let Some(priority) = query.priority {
            qb.push(" AND r.priority = ").push_bind(priority.as_str());
        }
        match &query.assignee {
            None => {}
            Some(AssigneeFilter::Nobody) => {
                qb.push(" AND r.assignee IS NULL");
            }
            Some(AssigneeFilter::Person(who)) => {
                qb.push(" AND r.assignee = ").push_bind(who.clone());
            }
        }
        if query.overdue {
            push_overdue(&mut qb, query.now);
        }
        if let Some(after) = &query.after {
            match query.sort {
                SortOrder::Oldest => {
                    qb.push(" AND r.id > ").push_bind(after.id);
                }
                SortOrder::Newest => {
                    qb.push(" AND r.id < ").push_bind(after.id);
                }
                SortOrder::DueDate => {
                    let due = match after.due_key.as_deref() {
                        None | Some(NO_DUE_DATE) => None,
                        Some(text) => Some(parse_time(text)?),
                    };
                    qb.push(format!(" AND ({DUE_KEY}, r.id) > (coalesce("))
                        .push_bind(due)
                        .push(", 'infinity'::timestamptz), ")
                        .push_bind(after.id)
                        .push(")");
                }
            }
        }
        qb.push(match query.sort {
            SortOrder::Oldest => " ORDER BY r.id".to_owned(),
            SortOrder::Newest => " ORDER BY r.id DESC".to_owned(),
            SortOrder::DueDate => format!(" ORDER BY {DUE_KEY}, r.id"),
        });
        qb.push(" LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, 500)));
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(|row| queue_item(row, query.sort)).collect()
    }

    pub(super) async fn count_by_status_impl(
        &self,
        scope: &Scope,
        queue: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<StatusCounts, StoreError> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT r.status, COUNT(*) AS n FROM requests r WHERE TRUE",
        );
        push_scope(&mut qb, scope);
        if let Some(queue) = queue {
            qb.push(" AND r.queue = ").push_bind(queue.to_owned());
        }
        qb.push(" GROUP BY r.status");
        let mut counts = StatusCounts::default();
        for row in qb.build().fetch_all(&self.pool).await? {
            let n: i64 = row.try_get("n")?;
            counts
                .per_status
                .push((parsed(&row, "status", Status::parse)?, n.max(0) as u64));
        }
        let mut qb = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM requests r WHERE TRUE");
        push_scope(&mut qb, scope);
        if let Some(queue) = queue {
            qb.push(" AND r.queue = ").push_bind(queue.to_owned());
        }
        push_overdue(&mut qb, now);
        let overdue: i64 = qb.build_query_scalar().fetch_one(&self.pool).await?;
        counts.overdue = overdue.max(0) as u64;
        Ok(counts)
    }

    pub(super) async fn act_impl(
        &self,
        target: Target<'_>,
        scope: &Scope,
        actor: &str,
        action: &Action,
        planner: &Planner,
    ) -> Result<Option<ActionDone>, StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        let (column, key) = match target {
            Target::Reference(reference) => ("reference", reference.to_string()),
            Target::Tracking(hash) => ("tracking_hash", hash.to_owned()),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, reference, status, service, queue, priority, assignee, due_at, paused_at, created_at, commune, filed_by,
                    form_id, form_version, channel, data, anonymised_at
             FROM requests WHERE {column} = $1 FOR UPDATE"
        )))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let commune: Option<String> = row.try_get("commune")?;
        let filed_by: Option<String> = row.try_get("filed_by")?;
        let current = HandlingState {
            status: parsed(&row, "status", Status::parse)?,
            service: row.try_get("service")?,
            queue: row.try_get("queue")?,
            priority: parsed(&row, "priority", Priority::parse)?,
            assignee: row.try_get("assignee")?,
            due_at: row.try_get("due_at")?,
            paused_at: row.try_get("paused_at")?,
            created_at: row.try_get("created_at")?,
        };
        if !scope.allows(&current.service, commune.as_deref(), filed_by.as_deref()) {
            return Ok(None);
        }
        if let Some(anonymised_at) = row.try_get::<Option<OffsetDateTime>, _>("anonymised_at")? {
            return Err(crate::store::retention::anonymised_refusal(anonymised_at));
        }
        let transition = workflow::apply(&current, action, actor, now)?;
        let id: Uuid = row.try_get("id")?;
        let state = &transition.state;
        let last_event = transition
            .events
            .last()
            .map_or("routed", |e| e.kind.as_str());
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
        .bind(last_event)
        .bind(now)
        .bind(id)
        .bind(!workflow::is_open(state.status))
        .execute(&mut *tx)
        .await?;
        for event in &transition.events {
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
            .execute(&mut *tx)
            .await?;
        }
        let reference = parsed(&row, "reference", Reference::parse)?;
        let data = row.try_get::<Json<serde_json::Value>, _>("data")?.0;
        let (form_id, form_version, channel): (String, String, String) = (
            row.try_get("form_id")?,
            row.try_get("form_version")?,
            row.try_get("channel")?,
        );
        let messages = planner(&PlanInput {
            reference: &reference,
            form_id: &form_id,
            form_version: &form_version,
            commune: commune.as_deref(),
            channel: &channel,
            data: &data,
            filed_by: filed_by.as_deref(),
            before: Some(&current),
            after: state,
            events: &transition.events,
            actor,
        });
        insert_outbox(&mut tx, id, &messages, now).await?;
        tx.commit().await?;
        Ok(Some(ActionDone {
            reference,
            status: state.status,
            service: state.service.clone(),
            queue: state.queue.clone(),
            events: transition.events,
        }))
    }

    pub(super) async fn form_version_impl(
        &self,
        version: &FormVersion,
    ) -> Result<Option<ArchivedFormVersion>, StoreError> {
        let row = sqlx::query("SELECT * FROM form_versions WHERE version = $1")
            .bind(version.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(ArchivedFormVersion {
                version: row.try_get("version")?,
                form_id: row.try_get("form_id")?,
                title: row.try_get("title")?,
                definition: super::json_text(&row, "definition")?,
                rule_source: row.try_get("rule_source")?,
                git_commit: row.try_get("git_commit")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        })
        .transpose()
    }

    pub(super) async fn create_user_impl(
        &self,
        user: NewStaffUser,
    ) -> Result<StaffUser, StoreError> {
        let result = sqlx::query(
            "INSERT INTO staff_users (id, email, name, role, services, communes, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::new_v4())
        .bind(user.email.to_lowercase())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(Json(&user.services))
        .bind(Json(&user.communes))
        .bind(&user.password_hash)
        .bind(OffsetDateTime::now_utc())
        .execute(&self.pool)
        .await;
        match result {
            Err(err) if violates(&err, "staff_users_email_key") => {
                return Err(StoreError::Refused(format!(
                    "an account already exists for {}",
                    user.email
                )));
            }
            other => other?,
        };
        self.user_by_email_impl(&user.email)
            .await?
            .ok_or_else(|| other("the account just created cannot be read back"))
    }

    pub(super) async fn user_by_email_impl(
        &self,
        email: &str,
    ) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.email = $1"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(staff_user).transpose()
    }

    pub(super) async fn list_users_impl(&self) -> Result<Vec<StaffUser>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u ORDER BY u.email"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(staff_user).collect()
    }

    pub(super) async fn set_user_disabled_impl(
        &self,
        email: &str,
        disabled: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "UPDATE staff_users SET disabled = $1 WHERE email = $2 RETURNING id",
        )
        .bind(disabled)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        if disabled {
            sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn set_password_impl(
        &self,
        email: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "UPDATE staff_users SET password_hash = $1 WHERE email = $2 RETURNING id",
        )
        .bind(password_hash)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn count_login_attempt_impl(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError> {
        let quiet_since = now - lock_for;
        let lock_after = i32::try_from(lock_after).unwrap_or(i32::MAX);
        let mut tx = self.pool.begin().await?;
        // A pair is stale once its lock has run out, or, unlocked, once it has been quiet
        // for `lock_for`: its next attempt counts from one again. (SET reads the old row,
        // and the conflict locks it, so parallel attempts are all counted.)
        let from_client: i32 = sqlx::query_scalar(
            "INSERT INTO login_failures AS f (email, client, failures, last_failure_at, locked_until)
             VALUES ($1, $2, 1, $3, CASE WHEN $4 <= 1 THEN $5 END)
             ON CONFLICT (email, client) DO UPDATE SET
                failures = CASE WHEN (f.locked_until IS NOT NULL AND f.locked_until <= $3)
                                  OR (f.locked_until IS NULL AND f.last_failure_at <= $6)
                                THEN 1 ELSE f.failures + 1 END,
                locked_until = CASE
                    WHEN (f.locked_until IS NOT NULL AND f.locked_until <= $3)
                      OR (f.locked_until IS NULL AND f.last_failure_at <= $6)
                        THEN CASE WHEN $4 <= 1 THEN $5 END
                    WHEN f.locked_until IS NULL AND f.failures + 1 >= $4 THEN $5
                    ELSE f.locked_until END,
                last_failure_at = $3
             RETURNING f.failures",
        )
        .bind(email)
        .bind(client)
        .bind(now)
        .bind(lock_after)
        .bind(now + lock_for)
        .bind(quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        let on_address: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(failures), 0)::BIGINT FROM login_failures
             WHERE email = $1
               AND ((locked_until IS NOT NULL AND locked_until > $2)
                 OR (locked_until IS NULL AND last_failure_at > $3))",
        )
        .bind(email)
        .bind(now)
        .bind(quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM login_failures
             WHERE last_failure_at <= $2 AND (locked_until IS NULL OR locked_until <= $1)",
        )
        .bind(now)
        .bind(quiet_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LoginCount {
            from_client: from_client.max(0) as u32,
            on_address: on_address.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }

    pub(super) async fn clear_login_attempts_impl(
        &self,
        email: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = $1 AND client = $2")
            .bind(email)
            .bind(client)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn create_session_impl(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        // Expired sessions go when new ones come.
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(parse_user_id(user_id)?)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn session_impl(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at AS session_expires_at
             FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                user: staff_user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: row.try_get("session_expires_at")?,
            })
        })
        .transpose()
    }

    pub(super) async fn delete_session_impl(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn create_api_token_impl(
        &self,
        user_id: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(parse_user_id(user_id)?)
            .bind(OffsetDateTime::now_utc())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn user_by_api_token_impl(
        &self,
        token_hash: &str,
    ) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND NOT u.disabled"
        )))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(staff_user).transpose()
    }

    pub(super) async fn import_staff_account_impl(
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

    pub(super) async fn claim_outbox_impl(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let now = OffsetDateTime::now_utc();
        // SKIP LOCKED: rows another instance is claiming are passed over, not waited for.
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE outbox o SET next_attempt_at = $3, attempts = o.attempts + 1
             FROM due WHERE o.id = due.id
             RETURNING o.*",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(now + lease)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    pub(super) async fn finish_outbox_impl(
        &self,
        id: &str,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        let id = Uuid::parse_str(id).map_err(other)?;
        let query = match outcome {
            Outcome::Delivered => sqlx::query(
                "UPDATE outbox SET state = 'delivered', delivered_at = $1, last_error = NULL,
                    payload = payload - 'tracking_url' WHERE id = $2",
            )
            .bind(OffsetDateTime::now_utc())
            .bind(id),
            Outcome::Retry { error, at } => {
                sqlx::query("UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3")
                    .bind(*at)
                    .bind(error.clone())
                    .bind(id)
            }
            Outcome::Dead { error } => {
                sqlx::query("UPDATE outbox SET state = 'dead', last_error = $1 WHERE id = $2")
                    .bind(error.clone())
                    .bind(id)
            }
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    pub(super) async fn list_outbox_impl(
        &self,
        states: &[&str],
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let states: Vec<String> = states.iter().map(|s| s.to_string()).collect();
        let rows =
            sqlx::query("SELECT * FROM outbox WHERE state = ANY($1) ORDER BY id DESC LIMIT $2")
                .bind(states)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(outbox_row).collect()
    }

    pub(super) async fn outbox_counts_impl(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n FROM outbox GROUP BY state
             UNION ALL SELECT 'failing', COUNT(*) FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("state")?,
                    row.try_get::<i64, _>("n")?.max(0) as u64,
                ))
            })
            .collect()
    }

    pub(super) async fn redeliver_impl(&self, id: &str) -> Result<bool, StoreError> {
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(false);
        };
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state <> 'delivered'",
        )
        .bind(OffsetDateTime::now_utc())
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}

/// Writes the planner's messages in the caller's transaction.
pub(super) async fn insert_outbox(
    tx: &mut sqlx::PgConnection,
    request_id: Uuid,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for message in messages {
        sqlx::query(
            "INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(Uuid::new_v4())
        .bind(request_id)
        .bind(message.channel.as_str())
        .bind(&message.target)
        .bind(&message.kind)
        .bind(Json(&message.payload))
        .bind(message.not_before.unwrap_or(now))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn outbox_row(row: &PgRow) -> Result<OutboxRow, StoreError> {
    let id: Uuid = row.try_get("id")?;
    let key: Uuid = row.try_get("idempotency_key")?;
    let request_id: Uuid = row.try_get("request_id")?;
    Ok(OutboxRow {
        id: id.to_string(),
        idempotency_key: key.to_string(),
        request_id: request_id.to_string(),
        channel: OutboxChannel::parse(&row.try_get::<String, _>("channel")?)
            .ok_or_else(|| other("bad outbox channel"))?,
        target: row.try_get("target")?,
        kind: row.try_get("kind")?,
        payload: row.try_get::<Json<serde_json::Value>, _>("payload")?.0,
        state: row.try_get("state")?,
        attempts: row.try_get::<i32, _>("attempts")?.max(0) as u32,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}
