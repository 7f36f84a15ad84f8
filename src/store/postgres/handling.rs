//! PostgreSQL: queue listings and their counts, filtered by scope in SQL.

use async_trait::async_trait;
use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::PostgresStore;
use crate::domain::workflow;
use crate::store::handling::NO_DUE_DATE;
use crate::store::handling::{OVERDUE, counts_per_queue, queue_item};
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

    async fn count_queues(
        &self,
        scope: &Scope,
        queues: &[&str],
        now: OffsetDateTime,
    ) -> Result<Vec<StatusCounts>, StoreError> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = queues.iter().map(|q| q.to_string()).collect();
        let in_queues = |qb: &mut QueryBuilder<Postgres>| {
            qb.push(" WHERE r.queue = ANY(")
                .push_bind(names.clone())
                .push(")");
            push_scope(qb, scope);
        };
        let mut qb = QueryBuilder::<Postgres>::new("");
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
            qb.push("SELECT r.queue, r.status, SUM(r.requests)::BIGINT FROM queue_counts r");
            in_queues(&mut qb);
            qb.push(" GROUP BY r.queue, r.status UNION ALL SELECT r.queue, ")
                .push_bind(OVERDUE)
                .push(", SUM(r.requests)::BIGINT FROM queue_open_due_days r");
            in_queues(&mut qb);
            qb.push(" AND r.due_day < ")
                .push_bind(midnight.date())
                .push(" GROUP BY r.queue UNION ALL SELECT r.queue, ")
                .push_bind(OVERDUE)
                .push(", COUNT(*) FROM requests r");
            in_queues(&mut qb);
            qb.push(format!(
                " AND r.status IN ('received', 'in_progress') AND {DUE_KEY} >= "
            ))
            .push_bind(midnight)
            .push(format!(" AND {DUE_KEY} < "))
            .push_bind(now)
            .push(" GROUP BY r.queue");
        }
        let rows = qb.build_query_as().fetch_all(&self.pool).await?;
        counts_per_queue(queues, rows)
    }
}
