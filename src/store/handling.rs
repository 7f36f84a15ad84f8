//! The types the back office reads and writes requests with: who may see what (scope),
//! queue listings with keyset pagination, and actions.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{StaffUser, StoreError, format_time, parse_time};
use crate::domain::workflow::NewEvent;
use crate::domain::{CommuneSlug, EventKind, Priority, QueueId, Reference, ServiceId, Status};

/// Which requests a person may see. Deny by default: an empty list sees nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Admins, and the citizen acting through their own tracking link.
    All,
    /// Agents: the requests of their services.
    Services(Vec<ServiceId>),
    /// Élus: the requests of their communes, and those they filed themselves.
    Communes {
        communes: Vec<CommuneSlug>,
        filed_by: String,
    },
    /// Nobody (designers have no access to requests).
    Nothing,
}

impl Scope {
    pub fn allows(&self, service: &str, commune: Option<&str>, filed_by: Option<&str>) -> bool {
        match self {
            Scope::All => true,
            Scope::Services(services) => services.iter().any(|s| s == service),
            Scope::Communes {
                communes,
                filed_by: me,
            } => {
                commune.is_some_and(|c| communes.iter().any(|x| x == c))
                    || filed_by == Some(me.as_str())
            }
            Scope::Nothing => false,
        }
    }
}

/// Which request an action is for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Reference(&'a Reference),
    /// The hash of a citizen's tracking token.
    Tracking(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Oldest first: the order a queue is worked in.
    #[default]
    Oldest,
    Newest,
    /// Soonest due first; requests without a due date last.
    DueDate,
}

impl SortOrder {
    pub fn parse(input: &str) -> Option<SortOrder> {
        match input {
            "" | "age" | "oldest" => Some(SortOrder::Oldest),
            "newest" => Some(SortOrder::Newest),
            "due" => Some(SortOrder::DueDate),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Oldest => "age",
            SortOrder::Newest => "newest",
            SortOrder::DueDate => "due",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    Person(String),
}

/// The due-date sort key of a request without one: after every real date.
pub const NO_DUE_DATE: &str = "9999-12-31T23:59:59.999999Z";

/// Where the previous page ended. Opaque to people: `id` or `due~id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub id: Uuid,
    /// The due-date sort key (`NO_DUE_DATE` when the request has none); only for the
    /// due-date order.
    pub due_key: Option<String>,
}

impl Cursor {
    pub fn parse(sort: SortOrder, text: &str) -> Result<Cursor, String> {
        let bad = || {
            "Ce lien de page n'est plus valide : revenez à la première page de la file.".to_owned()
        };
        match sort {
            SortOrder::Oldest | SortOrder::Newest => Ok(Cursor {
                id: Uuid::parse_str(text).map_err(|_| bad())?,
                due_key: None,
            }),
            SortOrder::DueDate => {
                let (due, id) = text.split_once('~').ok_or_else(bad)?;
                if due != NO_DUE_DATE {
                    parse_time(due).map_err(|_| bad())?;
                }
                Ok(Cursor {
                    id: Uuid::parse_str(id).map_err(|_| bad())?,
                    due_key: Some(due.to_owned()),
                })
            }
        }
    }

    pub fn of(sort: SortOrder, id: Uuid, due_at: Option<OffsetDateTime>) -> String {
        match sort {
            SortOrder::Oldest | SortOrder::Newest => id.to_string(),
            SortOrder::DueDate => format!(
                "{}~{id}",
                due_at.map_or_else(|| NO_DUE_DATE.to_owned(), format_time)
            ),
        }
    }
}

/// A queue listing's filters, page and order.
#[derive(Debug, Clone)]
pub struct RequestQuery {
    pub scope: Scope,
    pub queue: Option<QueueId>,
    pub status: Option<Status>,
    pub commune: Option<CommuneSlug>,
    pub form_id: Option<String>,
    pub priority: Option<Priority>,
    /// Only requests whose routing rule set this tag.
    pub tag: Option<String>,
    pub overdue: bool,
    pub assignee: Option<AssigneeFilter>,
    pub sort: SortOrder,
    pub after: Option<Cursor>,
    pub limit: u32,
    pub now: OffsetDateTime,
    /// Whether the reader sees internal events (see
    /// [`crate::domain::workflow::INTERNAL_EVENT_KINDS`]). When not, each item's
    /// `last_event` is the last event they may see.
    pub sees_internal_events: bool,
}

impl RequestQuery {
    /// What `reader` may list: their scope, and the history they may see, decided by the
    /// same rules as a request's page.
    pub fn for_reader(reader: &StaffUser, now: OffsetDateTime) -> RequestQuery {
        RequestQuery {
            sees_internal_events: reader.sees_internal_notes(),
            ..RequestQuery::new(reader.scope(), now)
        }
    }

    /// A listing of `scope` that, by default, hides internal events.
    pub fn new(scope: Scope, now: OffsetDateTime) -> RequestQuery {
        RequestQuery {
            sees_internal_events: false,
            scope,
            queue: None,
            status: None,
            commune: None,
            form_id: None,
            priority: None,
            tag: None,
            overdue: false,
            assignee: None,
            sort: SortOrder::Oldest,
            after: None,
            limit: 50,
            now,
        }
    }
}

/// One line of a queue listing.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub reference: Reference,
    pub form_id: String,
    pub form_title: String,
    pub commune: Option<CommuneSlug>,
    pub channel: String,
    pub status: Status,
    pub service: ServiceId,
    pub queue: QueueId,
    pub priority: Priority,
    pub assignee: Option<String>,
    pub filed_by: Option<String>,
    /// The tags its routing rule set.
    pub tags: Vec<String>,
    pub due_at: Option<OffsetDateTime>,
    pub paused: bool,
    /// The kind of the last event the reader may see.
    pub last_event: EventKind,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Give this back as `after` for the next page.
    pub cursor: String,
}

/// How many requests a listing holds, per status, and how many are overdue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusCounts {
    pub per_status: Vec<(Status, u64)>,
    pub overdue: u64,
}

impl StatusCounts {
    pub fn of(&self, status: Status) -> u64 {
        self.per_status
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

/// What an action changed.
#[derive(Debug, Clone)]
pub struct ActionDone {
    pub reference: Reference,
    pub status: Status,
    pub service: ServiceId,
    pub queue: QueueId,
    pub events: Vec<NewEvent>,
}

/// The back office's reads of requests: queue listings and their counts. What changes a
/// request goes through [`super::RequestTransaction`].
#[async_trait]
pub trait HandlingStore: Send + Sync {
    /// One page of a queue listing, filtered and ordered, after `query.after`.
    async fn list_requests(&self, query: &RequestQuery) -> Result<Vec<QueueItem>, StoreError>;

    /// Counts per status (and overdue at `now`) of the requests in `scope` of each of
    /// `queues`, in their order, read in one statement. For every scope but an élu's they
    /// come from counts the database keeps as requests change (`queue_counts`, and open
    /// requests per due day: migration 0017), so they cost the same in a queue of any size.
    async fn count_queues(
        &self,
        scope: &Scope,
        queues: &[&str],
        now: OffsetDateTime,
    ) -> Result<Vec<StatusCounts>, StoreError>;

    /// [`HandlingStore::count_queues`] for one queue.
    async fn count_by_status(
        &self,
        scope: &Scope,
        queue: &str,
        now: OffsetDateTime,
    ) -> Result<StatusCounts, StoreError> {
        let mut counts = self.count_queues(scope, &[queue], now).await?;
        Ok(counts.pop().unwrap_or_default())
    }
}

/// The second column of a count's rows that are overdue requests, not a status.
pub(super) const OVERDUE: &str = "overdue";

/// A count's rows, `(queue, status or OVERDUE, requests)`, added up per queue of `queues`
/// (in their order); statuses in a stable order, those with no request left out.
pub(super) fn counts_per_queue(
    queues: &[&str],
    rows: Vec<(String, String, i64)>,
) -> Result<Vec<StatusCounts>, StoreError> {
    let mut counts = vec![StatusCounts::default(); queues.len()];
    for (queue, what, n) in rows {
        let Some(i) = queues.iter().position(|q| *q == queue) else {
            continue;
        };
        let n = n.max(0) as u64;
        if what == OVERDUE {
            counts[i].overdue += n;
        } else if n > 0 {
            let status = Status::parse(&what).map_err(|e| StoreError::Other(anyhow::anyhow!(e)))?;
            counts[i].per_status.push((status, n));
        }
    }
    for queue in &mut counts {
        queue.per_status.sort_by_key(|(status, _)| status.as_str());
    }
    Ok(counts)
}

/// One line of a listing (a `requests` row joined with its version's title and its last
/// event), with the cursor that resumes after it in `sort` order.
pub(super) fn queue_item(
    row: &impl super::row::ReadRow,
    sort: SortOrder,
) -> Result<QueueItem, StoreError> {
    let due_at = row.opt_time("due_at")?;
    Ok(QueueItem {
        reference: row.parsed("reference", Reference::parse)?,
        form_id: row.text("form_id")?,
        form_title: row.text("title")?,
        commune: row.opt_ident("commune")?,
        channel: row.text("channel")?,
        status: row.parsed("status", Status::parse)?,
        service: row.ident("service")?,
        queue: row.ident("queue")?,
        priority: row.parsed("priority", Priority::parse)?,
        assignee: row.opt_text("assignee")?,
        filed_by: row.opt_text("filed_by")?,
        tags: row.decoded("tags")?,
        paused: row.opt_time("paused_at")?.is_some(),
        last_event: row.event_kind("last_event")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        cursor: Cursor::of(sort, row.uuid("id")?, due_at),
        due_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_deny_by_default() {
        assert!(!Scope::Services(vec![]).allows("voirie", None, None));
        assert!(Scope::Services(vec!["voirie".into()]).allows("voirie", None, None));
        let elu = Scope::Communes {
            communes: vec!["marmande".into()],
            filed_by: "elu@x".into(),
        };
        assert!(elu.allows("voirie", Some("marmande"), None));
        assert!(!elu.allows("voirie", Some("tonneins"), None));
        assert!(elu.allows("voirie", None, Some("elu@x")));
        assert!(!Scope::Nothing.allows("voirie", Some("marmande"), None));
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let id = Uuid::now_v7();
        let text = Cursor::of(SortOrder::DueDate, id, None);
        assert_eq!(
            Cursor::parse(SortOrder::DueDate, &text).unwrap(),
            Cursor {
                id,
                due_key: Some(NO_DUE_DATE.into())
            }
        );
        assert!(Cursor::parse(SortOrder::Oldest, "'; drop table requests").is_err());
        assert!(Cursor::parse(SortOrder::DueDate, "yesterday~x").is_err());
    }
}
