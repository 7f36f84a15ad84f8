//! SQLite: queue listings, actions on requests, staff accounts and sessions.

use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    SqliteStore, is_unique_violation_on, json_column, optional_time, reference_column,
    status_column,
};
use crate::domain::outbox::{OutboxChannel, OutboxMessage, OutboxRow, Outcome, PlanInput, Planner};
use crate::domain::workflow::{self, Action, HandlingState};
use crate::domain::{FormVersion, Priority, Role};
use crate::store::archive::{ArchivedFormVersion, ArchivedStaffAccount};
use crate::store::handling::NO_DUE_DATE;
use crate::store::{
    ActionDone, AssigneeFilter, Cursor, LoginCount, NewStaffUser, QueueItem, RequestQuery, Scope,
    Session, SortOrder, StaffUser, StatusCounts, StoreError, Target, format_time, parse_time,
};

const DUE_KEY: &str = "coalesce(r.due_at, '9999-12-31T23:59:59.999999Z')";

fn other(message: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("{message}"))
}

/// `AND <scope>` for a listing.
fn push_scope(qb: &mut QueryBuilder<Sqlite>, scope: &Scope) {
    let push_in = |qb: &mut QueryBuilder<Sqlite>, column: &str, values: &[String]| {
        if values.is_empty() {
            qb.push(" AND 0");
            return;
        }
        qb.push(format!(" AND {column} IN ("));
        let mut list = qb.separated(", ");
        for value in values {
            list.push_bind(value.clone());
        }
        list.push_unseparated(")");
    };
    match scope {
        Scope::All => {}
        Scope::Nothing => {
            qb.push(" AND 0");
        }
        Scope::Services(services) => push_in(qb, "r.service", services),
        Scope::Communes { communes, filed_by } => {
            qb.push(" AND (r.filed_by = ").push_bind(filed_by.clone());
            if !communes.is_empty() {
                qb.push(" OR r.commune IN (");
                let mut list = qb.separated(", ");
                for commune in communes {
                    list.push_bind(commune.clone());
                }
                list.push_unseparated(")");
            }
            qb.push(")");
        }
    }
}

fn push_overdue(qb: &mut QueryBuilder<Sqlite>, now: OffsetDateTime) {
    qb.push(" AND r.status IN ('received', 'in_progress') AND r.due_at < ")
        .push_bind(format_time(now));
}

/// `… AS last_event`: the request's last event, or for a reader who may not see internal
/// events, the last one they may see (the request's first events are never internal).
fn push_last_event(qb: &mut QueryBuilder<Sqlite>, sees_internal_events: bool) {
    if sees_internal_events {
        qb.push("r.last_event AS last_event");
        return;
    }
    qb.push(
        "coalesce((SELECT e.kind FROM request_events e WHERE e.request_id = r.id AND e.kind NOT IN (",
    );
    let mut kinds = qb.separated(", ");
    for kind in workflow::INTERNAL_EVENT_KINDS {
        kinds.push_bind(*kind);
    }
    kinds.push_unseparated(") ORDER BY e.id DESC LIMIT 1), 'submitted') AS last_event");
}

fn queue_item(row: &SqliteRow, sort: SortOrder) -> Result<QueueItem, StoreError> {
    let id: String = row.try_get("id")?;
    let id = Uuid::parse_str(&id).map_err(other)?;
    let due_at = optional_time(row, "due_at")?;
    Ok(QueueItem {
        reference: reference_column(row)?,
        form_id: row.try_get("form_id")?,
        form_title: row.try_get("title")?,
        commune: row.try_get("commune")?,
        channel: row.try_get("channel")?,
        status: status_column(row)?,
        service: row.try_get("service")?,
        queue: row.try_get("queue")?,
        priority: Priority::parse(&row.try_get::<String, _>("priority")?).map_err(other)?,
        assignee: row.try_get("assignee")?,
        filed_by: row.try_get("filed_by")?,
        paused: row.try_get::<Option<String>, _>("paused_at")?.is_some(),
        last_event: row.try_get("last_event")?,
        created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
        updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
        cursor: Cursor::of(sort, id, due_at),
        due_at,
    })
}

fn staff_user(row: &SqliteRow) -> Result<StaffUser, StoreError> {
    let list = |column: &str| -> Result<Vec<String>, StoreError> {
        serde_json::from_value(json_column(row, column)?).map_err(other)
    };
    Ok(StaffUser {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&row.try_get::<String, _>("role")?).map_err(other)?,
        services: list("services")?,
        communes: list("communes")?,
        disabled: row.try_get("disabled")?,
        password_hash: row.try_get("password_hash")?,
        created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
    })
}

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.services, u.communes, u.disabled, u.password_hash, u.created_at";

impl SqliteStore {
    pub(super) async fn list_requests_impl(
        &self,
        query: &RequestQuery,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT r.id, r.reference, r.form_id, v.title, r.commune, r.channel, r.status, r.service, r.queue,
                    r.priority, r.assignee, r.filed_by, r.due_at, r.paused_at, r.created_at, r.updated_at, ",
        );
        push_last_event(&mut qb, query.sees_internal_events);
        qb.push(" FROM requests r JOIN form_versions v ON v.version = r.form_version WHERE 1");
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
                    qb.push(" AND r.id > ").push_bind(after.id.to_string());
                }
                SortOrder::Newest => {
                    qb.push(" AND r.id < ").push_bind(after.id.to_string());
                }
                SortOrder::DueDate => {
                    let due = after.due_key.clone().unwrap_or_else(|| NO_DUE_DATE.into());
                    qb.push(format!(" AND ({DUE_KEY}, r.id) > ("))
                        .push_bind(due)
                        .push(", ")
                        .push_bind(after.id.to_string())
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
        let mut qb =
            QueryBuilder::<Sqlite>::new("SELECT r.status, COUNT(*) AS n FROM requests r WHERE 1");
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
                .push((status_column(&row)?, n.max(0) as u64));
        }
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM requests r WHERE 1");
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let (column, key) = match target {
            Target::Reference(reference) => ("reference", reference.to_string()),
            Target::Tracking(hash) => ("tracking_hash", hash.to_owned()),
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, reference, status, service, queue, priority, assignee, due_at, paused_at, created_at, commune, filed_by,
                    form_id, form_version, channel, data, anonymised_at
             FROM requests WHERE {column} = ?"
        )))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let commune: Option<String> = row.try_get("commune")?;
        let filed_by: Option<String> = row.try_get("filed_by")?;
        let current = HandlingState {
            status: status_column(&row)?,
            service: row.try_get("service")?,
            queue: row.try_get("queue")?,
            priority: Priority::parse(&row.try_get::<String, _>("priority")?).map_err(other)?,
            assignee: row.try_get("assignee")?,
            due_at: optional_time(&row, "due_at")?,
            paused_at: optional_time(&row, "paused_at")?,
            created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
        };
        if !scope.allows(&current.service, commune.as_deref(), filed_by.as_deref()) {
            return Ok(None);
        }
        if let Some(anonymised_at) = optional_time(&row, "anonymised_at")? {
            return Err(crate::store::retention::anonymised_refusal(anonymised_at));
        }
        let transition = workflow::apply(&current, action, actor, now)?;
        let id: String = row.try_get("id")?;
        let state = &transition.state;
        let now_text = format_time(now);
        let last_event = transition
            .events
            .last()
            .map_or("routed", |e| e.kind.as_str());
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
        .bind(last_event)
        .bind(&now_text)
        .bind(!workflow::is_open(state.status))
        .bind(&now_text)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        for event in &transition.events {
            sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(&id)
                .bind(event.kind.as_str())
                .bind(actor)
                .bind(event.visible_to_citizen)
                .bind(event.body.to_string())
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
        }
        let reference = reference_column(&row)?;
        let data = json_column(&row, "data")?;
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
        insert_outbox(&mut tx, &id, &messages, now).await?;
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
        let row = sqlx::query("SELECT * FROM form_versions WHERE version = ?")
            .bind(version.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(ArchivedFormVersion {
                version: row.try_get("version")?,
                form_id: row.try_get("form_id")?,
                title: row.try_get("title")?,
                definition: json_column(&row, "definition")?,
                rule_source: row.try_get("rule_source")?,
                git_commit: row.try_get("git_commit")?,
                recorded_at: parse_time(&row.try_get::<String, _>("recorded_at")?)?,
            })
        })
        .transpose()
    }

    pub(super) async fn create_user_impl(
        &self,
        user: NewStaffUser,
    ) -> Result<StaffUser, StoreError> {
        let id = Uuid::new_v4().to_string();
        let result = sqlx::query(
            "INSERT INTO staff_users (id, email, name, role, services, communes, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(user.email.to_lowercase())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(json!(user.services).to_string())
        .bind(json!(user.communes).to_string())
        .bind(&user.password_hash)
        .bind(format_time(OffsetDateTime::now_utc()))
        .execute(&self.writer)
        .await;
        match result {
            Err(err) if is_unique_violation_on(&err, "staff_users.email") => {
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
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.email = ?"
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let id: Option<String> =
            sqlx::query_scalar("UPDATE staff_users SET disabled = ? WHERE email = ? RETURNING id")
                .bind(disabled)
                .bind(email.trim().to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = id else { return Ok(false) };
        if disabled {
            sqlx::query("DELETE FROM staff_sessions WHERE user_id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = ?")
                .bind(&id)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let id: Option<String> = sqlx::query_scalar(
            "UPDATE staff_users SET password_hash = ? WHERE email = ? RETURNING id",
        )
        .bind(password_hash)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        sqlx::query("DELETE FROM staff_sessions WHERE user_id = ?")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE email = ?")
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
        let (now_text, quiet_since) = (format_time(now), format_time(now - lock_for));
        let lock_until = format_time(now + lock_for);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // A pair is stale once its lock has run out, or, unlocked, once it has been quiet
        // for `lock_for`: its next attempt counts from one again. (SET reads the old row.)
        let from_client: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (email, client, failures, last_failure_at, locked_until)
             VALUES (?1, ?2, 1, ?3, CASE WHEN ?4 <= 1 THEN ?5 END)
             ON CONFLICT (email, client) DO UPDATE SET
                failures = CASE WHEN (locked_until IS NOT NULL AND locked_until <= ?3)
                                  OR (locked_until IS NULL AND last_failure_at <= ?6)
                                THEN 1 ELSE failures + 1 END,
                locked_until = CASE
                    WHEN (locked_until IS NOT NULL AND locked_until <= ?3)
                      OR (locked_until IS NULL AND last_failure_at <= ?6)
                        THEN CASE WHEN ?4 <= 1 THEN ?5 END
                    WHEN locked_until IS NULL AND failures + 1 >= ?4 THEN ?5
                    ELSE locked_until END,
                last_failure_at = ?3
             RETURNING failures",
        )
        .bind(email)
        .bind(client)
        .bind(&now_text)
        .bind(i64::from(lock_after))
        .bind(&lock_until)
        .bind(&quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        let on_address: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(failures), 0) FROM login_failures
             WHERE email = ?1
               AND ((locked_until IS NOT NULL AND locked_until > ?2)
                 OR (locked_until IS NULL AND last_failure_at > ?3))",
        )
        .bind(email)
        .bind(&now_text)
        .bind(&quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM login_failures
             WHERE last_failure_at <= ?2 AND (locked_until IS NULL OR locked_until <= ?1)",
        )
        .bind(&now_text)
        .bind(&quiet_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let count = |n: i64| n.clamp(0, i64::from(u32::MAX)) as u32;
        Ok(LoginCount {
            from_client: count(from_client),
            on_address: count(on_address),
        })
    }

    pub(super) async fn clear_login_attempts_impl(
        &self,
        email: &str,
        client: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = ? AND client = ?")
            .bind(email)
            .bind(client)
            .execute(&self.writer)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // Expired sessions go when new ones come.
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at < ?")
            .bind(format_time(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(format_time(now))
            .bind(format_time(expires_at))
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
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0"
        )))
        .bind(token_hash)
        .bind(format_time(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                user: staff_user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: parse_time(&row.try_get::<String, _>("session_expires_at")?)?,
            })
        })
        .transpose()
    }

    pub(super) async fn delete_session_impl(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(super) async fn create_api_token_impl(
        &self,
        user_id: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(format_time(OffsetDateTime::now_utc()))
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(super) async fn user_by_api_token_impl(
        &self,
        token_hash: &str,
    ) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND u.disabled = 0"
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

    pub(super) async fn claim_outbox_impl(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let now = OffsetDateTime::now_utc();
        // The single writer connection serialises claims.
        let rows = sqlx::query(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
                          ORDER BY next_attempt_at, id LIMIT ?)
             RETURNING *",
        )
        .bind(format_time(now + lease))
        .bind(format_time(now))
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?;
        rows.iter().map(outbox_row).collect()
    }

    pub(super) async fn finish_outbox_impl(
        &self,
        id: &str,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        let now = format_time(OffsetDateTime::now_utc());
        let query = match outcome {
            Outcome::Delivered => sqlx::query(
                "UPDATE outbox SET state = 'delivered', delivered_at = ?, last_error = NULL,
                    payload = json_remove(payload, '$.tracking_url') WHERE id = ?",
            )
            .bind(now)
            .bind(id),
            Outcome::Retry { error, at } => {
                sqlx::query("UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?")
                    .bind(format_time(*at))
                    .bind(error.clone())
                    .bind(id)
            }
            Outcome::Dead { error } => {
                sqlx::query("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?")
                    .bind(error.clone())
                    .bind(id)
            }
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    pub(super) async fn list_outbox_impl(
        &self,
        states: &[&str],
        limit: u32,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT * FROM outbox WHERE state IN (");
        let mut list = qb.separated(", ");
        for state in states {
            list.push_bind(state.to_string());
        }
        list.push_unseparated(")");
        qb.push(" ORDER BY id DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.pool).await?;
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
        let changed = sqlx::query(
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state <> 'delivered'",
        )
        .bind(format_time(OffsetDateTime::now_utc()))
        .bind(id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }
}

/// Writes the planner's messages in the caller's transaction.
pub(super) async fn insert_outbox(
    tx: &mut sqlx::SqliteConnection,
    request_id: &str,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    for message in messages {
        sqlx::query(
            "INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(Uuid::new_v4().to_string())
        .bind(request_id)
        .bind(message.channel.as_str())
        .bind(&message.target)
        .bind(&message.kind)
        .bind(message.payload.to_string())
        .bind(format_time(message.not_before.unwrap_or(now)))
        .bind(format_time(now))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn outbox_row(row: &SqliteRow) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        id: row.try_get("id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        request_id: row.try_get("request_id")?,
        channel: OutboxChannel::parse(&row.try_get::<String, _>("channel")?)
            .ok_or_else(|| other("bad outbox channel"))?,
        target: row.try_get("target")?,
        kind: row.try_get("kind")?,
        payload: json_column(row, "payload")?,
        state: row.try_get("state")?,
        attempts: row
            .try_get::<i64, _>("attempts")?
            .clamp(0, i64::from(u32::MAX)) as u32,
        next_attempt_at: parse_time(&row.try_get::<String, _>("next_attempt_at")?)?,
        last_error: row.try_get("last_error")?,
        created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
        delivered_at: optional_time(row, "delivered_at")?,
    })
}
