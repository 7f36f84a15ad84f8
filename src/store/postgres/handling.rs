//! PostgreSQL: queue listings and their counts, filtered by scope in SQL.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder, Row};
use time::OffsetDateTime;

use super::{PostgresStore, parsed};
use crate::domain::{Status, workflow};
use crate::store::handling::NO_DUE_DATE;
use crate::store::handling::queue_item;
use crate::store::{
    AssigneeFilter, HandlingStore, QueueItem, RequestQuery, Scope, SortOrder, StatusCounts,
    StoreError, parse_time,
};

const DUE_KEY: &str = "coalesce(r.due_at, 'infinity'::timestamptz)";

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

#[async_trait]
impl HandlingStore for PostgresStore {
    async fn list_requests(&self, query: &RequestQuery) -> Result<Vec<QueueItem>, StoreError> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT r.id, r.reference, r.form_id, v.title, r.commune, r.channel, r.status, r.service, r.queue,
                    r.priority, r.tags, r.assignee, r.filed_by, r.due_at, r.paused_at, r.created_at, r.updated_at, ",
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
        if let Some(tag) = &query.tag {
            qb.push(" AND r.tags @> jsonb_build_array(")
                .push_bind(tag.clone())
                .push("::text)");
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

    async fn count_by_status(
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
}
