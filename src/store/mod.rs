//! Storage: one interface, one implementation per database (atuin's shape).
//!
//! Everything that must be atomic is one method: filing a request writes the form version,
//! the request and its first events in one transaction, or nothing. The store knows neither
//! HTTP nor templates.

pub mod archive;
pub mod builder;
pub mod handling;
pub mod personal_data;
pub mod postgres;
pub mod retention;
pub mod site;
pub mod sqlite;
pub mod staff;

use async_trait::async_trait;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::outbox::{OutboxRow, Outcome, Planner};
use crate::domain::workflow::Action;
use crate::domain::{Channel, EventKind, FormVersion, Priority, Reference, Status};

pub use handling::{
    ActionDone, AssigneeFilter, Cursor, QueueItem, RequestQuery, Scope, SortOrder, StatusCounts,
    Target,
};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use staff::{LoginCount, NewStaffUser, Session, StaffUser};

/// What a store can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded; the caller may retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A request with this tracking token is already stored: the same submission was sent
    /// twice (a double click, a retried POST).
    #[error("this submission was already filed")]
    AlreadyFiled,
    /// What was asked conflicts with the current state (an action the request's status does
    /// not allow, an e-mail address already taken); the message says so in plain French.
    #[error("{0}")]
    Refused(String),
    /// What was sent cannot be recorded as it is, whatever the state (a text that is empty,
    /// too long, or holds an invisible character); the message says what to correct.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::domain::workflow::Refusal> for StoreError {
    fn from(refusal: crate::domain::workflow::Refusal) -> Self {
        use crate::domain::workflow::Refusal;
        match refusal {
            Refusal::Invalid(why) => StoreError::Invalid(why),
            Refusal::Conflict(why) => StoreError::Refused(why),
        }
    }
}

/// Every database failure the stores do not handle themselves passes here, so this is
/// where `guichet_db_errors_total` counts them, by kind.
impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let (kind, error) = match err {
            sqlx::Error::PoolTimedOut => ("pool_timeout", StoreError::Unavailable(err.to_string())),
            sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ("unavailable", StoreError::Unavailable(err.to_string()))
            }
            sqlx::Error::Database(ref db) if db.message().contains("database is locked") => {
                ("locked", StoreError::Unavailable(err.to_string()))
            }
            other => ("other", StoreError::Other(other.into())),
        };
        metrics::counter!("guichet_db_errors_total", "kind" => kind).increment(1);
        error
    }
}

/// One connection pool's use, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Which pool: `main` (PostgreSQL), `reader` or `writer` (SQLite).
    pub pool: &'static str,
    /// Connections open, in use or idle.
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolStats {
    pub fn of<DB: sqlx::Database>(pool: &'static str, of: &sqlx::Pool<DB>) -> PoolStats {
        PoolStats {
            pool,
            open: of.size(),
            idle: u32::try_from(of.num_idle()).unwrap_or(u32::MAX),
            max: of.options().get_max_connections(),
        }
    }
}

/// The version of a form a request was filed under, recorded once.
#[derive(Debug, Clone)]
pub struct FormVersionRecord {
    pub version: FormVersion,
    pub form_id: String,
    pub title: String,
    pub definition: Value,
    pub rule_source: Option<String>,
    pub git_commit: Option<String>,
}

impl FormVersionRecord {
    /// The version a loaded form is in, with the commit it was loaded from.
    pub fn of(form: &crate::catalogue::Form) -> FormVersionRecord {
        FormVersionRecord {
            version: form.version.clone(),
            form_id: form.id.clone(),
            title: form.title.clone(),
            definition: form.schema.clone(),
            rule_source: form.rule.as_ref().map(|r| r.source.clone()),
            git_commit: form.git_commit.clone(),
        }
    }
}

/// A validated, routed request ready to be filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub tracking_hash: String,
    pub form: FormVersionRecord,
    pub commune: Option<String>,
    pub channel: Channel,
    pub data: Value,
    pub service: String,
    pub queue: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub routing_reason: Option<String>,
    pub routing_fallback: Option<String>,
    pub due_in_days: Option<u32>,
    /// Who filed it, for the first event ("citoyen", an API client, an élu's e-mail).
    pub actor: String,
    /// The élu who filed it on the citizen's behalf.
    pub filed_by: Option<String>,
    /// How to reach the citizen, when an élu filed it and was given it.
    pub citizen_contact: Option<String>,
}

/// What the citizen gets back once the request is durably stored.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub reference: Reference,
    pub status: Status,
    pub created_at: OffsetDateTime,
}

/// A request as its tracking-link holder sees it.
#[derive(Debug, Clone)]
pub struct TrackedRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_title: String,
    pub form_version: FormVersion,
    pub status: Status,
    pub service: String,
    pub commune: Option<String>,
    pub data: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When it was last resolved or rejected, while it stays so.
    pub closed_at: Option<OffsetDateTime>,
    /// Only the events the citizen may see, oldest first.
    pub history: Vec<Event>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: String,
    pub actor: String,
    pub body: Value,
    pub created_at: OffsetDateTime,
}

/// What the short reference alone reveals: the status, nothing personal.
#[derive(Debug, Clone)]
pub struct StatusSummary {
    pub reference: Reference,
    pub status: Status,
    pub updated_at: OffsetDateTime,
}

/// A request as staff see it (used by tests and, later, the back office).
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_version: FormVersion,
    pub commune: Option<String>,
    pub channel: String,
    pub data: Value,
    pub status: Status,
    pub service: String,
    pub queue: String,
    pub priority: Priority,
    pub tags: Vec<String>,
    pub routing_reason: Option<String>,
    pub routing_fallback: Option<String>,
    pub due_at: Option<OffsetDateTime>,
    pub assignee: Option<String>,
    /// Set while the request waits for the citizen (the deadline clock is paused).
    pub paused_at: Option<OffsetDateTime>,
    pub filed_by: Option<String>,
    pub citizen_contact: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When it was last resolved or rejected, while it stays so.
    pub closed_at: Option<OffsetDateTime>,
    /// When its personal data was removed (retention or erasure); it is then read-only.
    pub anonymised_at: Option<OffsetDateTime>,
    pub events: Vec<Event>,
}

#[async_trait]
pub trait Store:
    Send
    + Sync
    + builder::BuilderStore
    + retention::RetentionStore
    + personal_data::PersonalDataStore
    + site::SiteStore
{
    /// Files a request with its `submitted` and `routed` events in one transaction. Returns
    /// only after the transaction is durably committed.
    /// `planner` decides the outbox messages the filing causes; they are written in the
    /// same transaction.
    async fn file_request(
        &self,
        request: NewRequest,
        planner: &Planner,
    ) -> Result<Receipt, StoreError>;

    /// The request behind a tracking token's hash, with its citizen-visible history.
    async fn track(&self, tracking_hash: &str) -> Result<Option<TrackedRequest>, StoreError>;

    async fn status_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StatusSummary>, StoreError>;

    /// The whole request, internal events included.
    async fn request_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<StoredRequest>, StoreError>;

    async fn count_requests(&self) -> Result<u64, StoreError>;
    /// The SHA-256 of every file a stored request's data references (the `sha256` of its
    /// attachment objects), for the attachments sweep. It reads every request's data, which
    /// the database walks itself; the sweep runs hourly.
    async fn referenced_attachments(&self)
    -> Result<std::collections::HashSet<String>, StoreError>;

    /// Takes the oldest received request of a queue for `actor`: it moves to "in progress"
    /// with a `status_changed` event, in one transaction. Several instances may call this at
    /// once: each request is taken by exactly one of them (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`; SQLite: its single writer).
    async fn claim_next(&self, queue: &str, actor: &str) -> Result<Option<Reference>, StoreError>;

    /// Every form version, for an archive.
    async fn export_form_versions(&self) -> Result<Vec<archive::ArchivedFormVersion>, StoreError>;

    /// Up to `limit` whole requests with ids after `after`, in id (= filing time) order.
    async fn export_requests(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<archive::ArchivedRequest>, StoreError>;

    /// Writes archived records in one transaction, skipping those already present; returns
    /// how many requests were new.
    async fn import(
        &self,
        versions: &[archive::ArchivedFormVersion],
        requests: &[archive::ArchivedRequest],
    ) -> Result<u64, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The connection pools' use, read without touching the database.
    fn pool_stats(&self) -> Vec<PoolStats>;

    /// Ends the store on a graceful shutdown, after the last request. SQLite folds its
    /// write-ahead log back into the file and empties it, so what was deleted or overwritten
    /// (a session's token, later a scrubbed answer) leaves no copy in the WAL.
    async fn close(&self);

    // --- Back office: requests -------------------------------------------------------

    /// One page of a queue listing, filtered and ordered, after `query.after`.
    async fn list_requests(&self, query: &RequestQuery) -> Result<Vec<QueueItem>, StoreError>;

    /// Counts per status (and overdue) of the requests in `scope`, in one queue if given.
    async fn count_by_status(
        &self,
        scope: &Scope,
        queue: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<StatusCounts, StoreError>;

    /// Applies an action in one transaction: loads the request (locked), checks `scope`,
    /// applies [`crate::domain::workflow::apply`], writes the new state and its events.
    /// `Ok(None)` when there is no such request in scope; `Refused` when the request's state
    /// does not allow it; `Invalid` when the action's text cannot be recorded.
    async fn act(
        &self,
        target: Target<'_>,
        scope: &Scope,
        actor: &str,
        action: &Action,
        planner: &Planner,
    ) -> Result<Option<ActionDone>, StoreError>;

    /// A recorded form version (to show a request with the labels it was filed under).
    async fn form_version(
        &self,
        version: &FormVersion,
    ) -> Result<Option<archive::ArchivedFormVersion>, StoreError>;

    // --- Back office: accounts, sessions, tokens --------------------------------------

    /// `Refused` if the e-mail address is taken.
    async fn create_user(&self, user: NewStaffUser) -> Result<StaffUser, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError>;
    async fn list_users(&self) -> Result<Vec<StaffUser>, StoreError>;
    /// Disables or re-enables an account; disabling ends its sessions and tokens. `false` if
    /// there is no such account.
    async fn set_user_disabled(&self, email: &str, disabled: bool) -> Result<bool, StoreError>;
    /// Sets a new password, forgets the failed logins on the address (from every client),
    /// and ends every session of the account.
    async fn set_password(&self, email: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// Counts a login attempt on `email` from `client` before its password is checked, so
    /// that parallel attempts cannot slip past the count. Attempts from one client address
    /// accumulate while each comes within `lock_for` of the previous one; the `lock_after`-th
    /// locks the pair until `now + lock_for`, after which it starts again from one. Also
    /// forgets pairs that have gone quiet.
    async fn count_login_attempt(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError>;
    /// Forgets the attempts on `email` from `client` (a successful login).
    async fn clear_login_attempts(&self, email: &str, client: &str) -> Result<(), StoreError>;
    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The live session behind a cookie's token hash (not expired, account enabled).
    async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn create_api_token(&self, user_id: &str, token_hash: &str) -> Result<(), StoreError>;
    /// The enabled account behind an API token's hash.
    async fn user_by_api_token(&self, token_hash: &str) -> Result<Option<StaffUser>, StoreError>;
    /// Writes an archived account unless one with its id or e-mail address exists; returns
    /// whether it was new.
    async fn import_staff_account(
        &self,
        account: &archive::ArchivedStaffAccount,
    ) -> Result<bool, StoreError>;

    // --- Outbox ------------------------------------------------------------------------

    /// Claims up to `limit` pending messages that are due: each is leased (its next attempt
    /// pushed `lease` into the future) and its attempt counted, so a worker that dies
    /// mid-delivery leaves it to be retried when the lease ends. Several instances may call
    /// this at once: each row goes to one of them (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    async fn claim_outbox(
        &self,
        limit: u32,
        lease: time::Duration,
    ) -> Result<Vec<OutboxRow>, StoreError>;
    /// Records how a delivery went. A delivered receipt loses its tracking link.
    async fn finish_outbox(&self, id: &str, outcome: &Outcome) -> Result<(), StoreError>;
    /// The most recent messages in these states (`pending`, `delivered`, `dead`).
    async fn list_outbox(&self, states: &[&str], limit: u32) -> Result<Vec<OutboxRow>, StoreError>;
    /// How many messages are in each state, and how many pending ones have failed at least once.
    async fn outbox_counts(&self) -> Result<Vec<(String, u64)>, StoreError>;
    /// Puts a dead (or pending) message back in line for an immediate attempt. `false` if
    /// there is no such message or it was delivered.
    async fn redeliver(&self, id: &str) -> Result<bool, StoreError>;
}

/// The events every request starts with: filed (the citizen sees it, with the service it
/// went to), then routed (staff only: the rule's reason can quote personal data, and a
/// fallback explains an internal failure).
pub(crate) fn first_events(request: &NewRequest) -> [(EventKind, &str, bool, Value); 2] {
    [
        (
            EventKind::Submitted,
            request.actor.as_str(),
            true,
            json!({
                "channel": request.channel.as_str(),
                "service": request.service,
                "filed_by": request.filed_by,
            }),
        ),
        (
            EventKind::Routed,
            "guichet",
            false,
            json!({
                "service": request.service,
                "queue": request.queue,
                "priority": request.priority.as_str(),
                "reason": request.routing_reason,
                "fallback": request.routing_fallback,
            }),
        ),
    ]
}

/// A request's handling state and first events as it is filed, for the planner.
pub(crate) fn filed_state(
    request: &NewRequest,
    now: OffsetDateTime,
) -> (
    crate::domain::workflow::HandlingState,
    Vec<crate::domain::workflow::NewEvent>,
) {
    let state = crate::domain::workflow::HandlingState {
        status: Status::Received,
        service: request.service.clone(),
        queue: request.queue.clone(),
        priority: request.priority,
        assignee: None,
        due_at: request
            .due_in_days
            .map(|d| now + time::Duration::days(i64::from(d))),
        paused_at: None,
        created_at: now,
    };
    let events = first_events(request)
        .into_iter()
        .map(
            |(kind, _, visible, body)| crate::domain::workflow::NewEvent {
                kind,
                visible_to_citizen: visible,
                body,
            },
        )
        .collect();
    (state, events)
}

/// The planner's view of a request being filed.
pub(crate) fn filing_plan<'a>(
    request: &'a NewRequest,
    reference: &'a Reference,
    state: &'a crate::domain::workflow::HandlingState,
    events: &'a [crate::domain::workflow::NewEvent],
) -> crate::domain::outbox::PlanInput<'a> {
    crate::domain::outbox::PlanInput {
        reference,
        form_id: &request.form.form_id,
        form_version: request.form.version.as_str(),
        commune: request.commune.as_deref(),
        channel: request.channel.as_str(),
        data: &request.data,
        filed_by: request.filed_by.as_deref(),
        before: None,
        after: state,
        events,
        actor: &request.actor,
    }
}

/// The delay before the next attempt of a message that failed `attempts` times: exponential
/// from `base`, capped at an hour, with ±20 % jitter so retries of many messages spread out.
pub fn backoff(base: std::time::Duration, attempts: u32) -> time::Duration {
    use rand::Rng;
    let exponential = base.as_secs_f64() * 2f64.powi(attempts.saturating_sub(1).min(20) as i32);
    let capped = exponential.min(3600.0);
    let jitter = rand::rng().random_range(0.8..1.2);
    time::Duration::seconds_f64(capped * jitter)
}

pub use crate::domain::time::format_time;

pub fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
        StoreError::Other(anyhow::anyhow!(
            "bad timestamp {text:?} in the database: {e}"
        ))
    })
}

/// Opens the store a database URL names, running its migrations.
pub async fn open(
    config: &crate::config::DatabaseConfig,
) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let url = config.url.as_str();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(
            PostgresStore::open(url, config.max_connections).await?,
        ));
    }
    Ok(std::sync::Arc::new(
        SqliteStore::open(url, config.max_connections).await?,
    ))
}
