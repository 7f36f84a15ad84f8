//! SQLite: queue listings and their counts, filtered by scope in SQL.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};
use time::OffsetDateTime;

use super::SqliteStore;
use crate::domain::{ServiceId, workflow};
use crate::store::handling::NO_DUE_DATE;
use crate::store::handling::{OVERDUE, counts_per_queue, queue_item};
use crate::store::{
    AssigneeFilter, HandlingStore, QueueItem, RequestQuery, Scope, SortOrder, StatusCounts,
    StoreError, format_time,
};

/// The due-date order's key: a virtual column (`coalesce(due_at, NO_DUE_DATE)`, migration
/// 0017), so that a row value on it seeks the index.
const DUE_KEY: &str = "r.due_key";

/// `AND <scope>` for a listing.
fn push_scope(qb: &mut QueryBuilder<Sqlite>, scope: &Scope) {
    let push_in = |qb: &mut QueryBuilder<Sqlite>, column: &str, values: &[ServiceId]| {
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

#[async_trait]
impl HandlingStore for SqliteStore {
    async fn list_requests(&self, query: &RequestQuery) -> Result<Vec<QueueItem>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT r.id, r.reference, r.form_id, v.title, r.commune, r.channel, r.status, r.service, r.queue,
                    r.priority, r.tags, r.assignee, r.filed_by, r.due_at, r.paused_at, r.created_at, r.updated_at, ",
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
        if let Some(tag) = &query.tag {
            qb.push(" AND EXISTS (SELECT 1 FROM json_each(r.tags) t WHERE t.value = ")
                .push_bind(tag.clone())
                .push(")");
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

    async fn count_queues(
        &self,
        scope: &Scope,
        queues: &[&str],
        now: OffsetDateTime,
    ) -> Result<Vec<StatusCounts>, StoreError> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let in_queues = |qb: &mut QueryBuilder<Sqlite>| {
            qb.push(" WHERE r.queue IN (");
            let mut list = qb.separated(", ");
            for queue in queues {
                list.push_bind(queue.to_string());
            }
            list.push_unseparated(")");
            push_scope(qb, scope);
        };
        let mut qb = QueryBuilder::<Sqlite>::new("");
        if matches!(scope, Scope::Communes { .. }) {
            // An élu's scope (their communes, or what they filed) is no key of the kept
            // counts: their queue's rows are counted.
            qb.push("SELECT r.queue, r.status, COUNT(*) FROM requests r");
            in_queues(&mut qb);
            qb.push(" GROUP BY r.queue, r.status UNION ALL SELECT r.queue, ")
                .push_bind(OVERDUE)
                .push(", COUNT(*) FROM requests r");
            in_queues(&mut qb);
            push_overdue(&mut qb, now);
            qb.push(" GROUP BY r.queue");
        } else {
            // Open requests due on an earlier day are kept per day; those due earlier
            // today are a short range of `requests_queue_status_by_due`.
            let midnight = now
                .to_offset(time::UtcOffset::UTC)
                .replace_time(time::Time::MIDNIGHT);
            let today = format_time(midnight);
            qb.push("SELECT r.queue, r.status, SUM(r.requests) FROM queue_counts r");
            in_queues(&mut qb);
            qb.push(" GROUP BY r.queue, r.status UNION ALL SELECT r.queue, ")
                .push_bind(OVERDUE)
                .push(", SUM(r.requests) FROM queue_open_due_days r");
            in_queues(&mut qb);
            qb.push(" AND r.due_day < ")
                .push_bind(today[..10].to_owned())
                .push(" GROUP BY r.queue UNION ALL SELECT r.queue, ")
                .push_bind(OVERDUE)
                // Named: with an agent's `service IN (…)` the planner may otherwise walk
                // `requests_service_by_age`, the whole service.
                .push(", COUNT(*) FROM requests r INDEXED BY requests_queue_status_by_due");
            in_queues(&mut qb);
            qb.push(" AND r.status IN ('received', 'in_progress') AND r.due_key >= ")
                .push_bind(today)
                .push(" AND r.due_key < ")
                .push_bind(format_time(now))
                .push(" GROUP BY r.queue");
        }
        let rows = qb.build_query_as().fetch_all(&self.pool).await?;
        counts_per_queue(queues, rows)
    }
}
