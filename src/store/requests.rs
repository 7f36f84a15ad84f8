//! Requests as stored: what filing writes, what tracking and the back office read, and the
//! primitives of one write transaction on requests ([`RequestTransaction`]).
//!
//! A request's life (file, take, message, transfer, reply, reopen…) is orchestrated once, in
//! the `requests` module, on top of these primitives; each database implements them with its
//! own SQL and nothing else.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::StoreError;
use super::archive::ArchivedFormVersion;
use super::group_commit::Savepoint;
use super::handling::Target;
use crate::domain::outbox::OutboxMessage;
use crate::domain::statistics::RequestFacts;
use crate::domain::workflow::{HandlingState, NewEvent};
use crate::domain::{
    Channel, CommuneSlug, EventKind, FormVersion, Priority, QueueId, Reference, ServiceId, Status,
};
use crate::i18n::Lang;

/// The version of a form a request was filed under, recorded once.
///
/// Every filing carries one, so its large parts are shared with the loaded form rather
/// than copied: the definition's JSON text is written once per form (see
/// [`crate::catalogue::Form::definition_text`]), and the rule's source is the rule's own.
#[derive(Debug, Clone)]
pub struct FormVersionRecord {
    pub version: FormVersion,
    pub form_id: String,
    pub title: String,
    /// The effective definition as JSON text, as the `form_versions` table keeps it.
    pub definition: Arc<str>,
    pub rule_source: Option<Arc<str>>,
    pub git_commit: Option<String>,
}

impl FormVersionRecord {
    /// The version a loaded form is in, with the commit it was loaded from.
    pub fn of(form: &crate::catalogue::Form) -> FormVersionRecord {
        FormVersionRecord {
            version: form.version.clone(),
            form_id: form.id.clone(),
            title: form.title.clone(),
            definition: form.definition_text(),
            rule_source: form.rule.as_ref().map(|r| Arc::clone(&r.source)),
            git_commit: form.git_commit.clone(),
        }
    }
}

/// A validated, routed request ready to be filed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub tracking_hash: String,
    pub form: FormVersionRecord,
    pub commune: Option<CommuneSlug>,
    pub channel: Channel,
    pub data: Value,
    pub service: ServiceId,
    pub queue: QueueId,
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
    /// The language the citizen filed in: recorded in the `submitted` event when it is not
    /// French, for the e-mails that follow.
    pub lang: Lang,
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
    pub service: ServiceId,
    pub commune: Option<CommuneSlug>,
    pub data: Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// When it was last resolved or rejected, while it stays so.
    pub closed_at: Option<OffsetDateTime>,
    /// The service's deadline, when its form or rule set one (the receipt tells the citizen).
    pub due_at: Option<OffsetDateTime>,
    /// Only the events the citizen may see, oldest first.
    pub history: Vec<Event>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
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

/// A request as staff see it.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    pub reference: Reference,
    pub form_id: String,
    pub form_version: FormVersion,
    pub commune: Option<CommuneSlug>,
    pub channel: String,
    pub data: Value,
    pub status: Status,
    pub service: ServiceId,
    pub queue: QueueId,
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

/// A request locked for writing in a [`RequestTransaction`], with what its life's next step
/// needs: its handling state, what scopes are checked against, and what the planner reads.
#[derive(Debug, Clone)]
pub struct LockedRequest {
    /// The database's key of the request (never shown to anyone).
    pub id: Uuid,
    pub reference: Reference,
    pub state: HandlingState,
    pub commune: Option<CommuneSlug>,
    pub filed_by: Option<String>,
    pub form_id: String,
    pub form_version: String,
    pub channel: String,
    pub data: Value,
    /// When its personal data was removed; it is then read-only.
    pub anonymised_at: Option<OffsetDateTime>,
    /// The language the citizen filed in (the `submitted` event's `lang`; French when it
    /// has none): their e-mails go out in it.
    pub lang: Lang,
}

/// Everything a request's filing writes besides its form version: the request in its first
/// state, its first events, what statistics know of it and the messages it causes.
#[derive(Debug, Clone, Copy)]
pub struct FiledRequest<'a> {
    pub request: &'a NewRequest,
    pub state: &'a HandlingState,
    /// The first events, oldest first, each with its actor.
    pub events: &'a [(&'a str, &'a NewEvent)],
    pub facts: &'a RequestFacts,
    pub messages: &'a [OutboxMessage],
}

/// How inserting a new request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored under this key.
    Request(Uuid),
    /// Another request already has the reference drawn: roll back and draw another.
    ReferenceTaken,
}

/// Reading requests, and opening a write transaction on them.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Opens a write transaction on requests. Dropping it without [`RequestTransaction::commit`]
    /// rolls everything back.
    async fn begin(&self) -> Result<Box<dyn RequestTransaction>, StoreError>;

    /// The group committer of this store's writes: what is run through it shares a
    /// transaction and one durable commit with the writes waiting beside it.
    fn group_commit(&self) -> &super::GroupCommit;

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

    /// A recorded form version (to show a request with the labels it was filed under).
    async fn form_version(
        &self,
        version: &FormVersion,
    ) -> Result<Option<ArchivedFormVersion>, StoreError>;
}

/// The primitives of one write transaction on requests. Nothing is visible to others, and
/// nothing is durable, before [`RequestTransaction::commit`] returns; SQLite serialises
/// these transactions on its single writer, PostgreSQL locks the rows it reads.
#[async_trait]
pub trait RequestTransaction: Send {
    /// Records a form version unless it is recorded already.
    async fn record_form_version(
        &mut self,
        form: &FormVersionRecord,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Inserts a new request under `reference`, in `state`. [`Inserted::ReferenceTaken`]
    /// when another request holds the reference: nothing is written, and the transaction
    /// goes on (draw another). `Err(AlreadyFiled)` when its tracking hash is stored already
    /// (the same submission sent twice); after it, or any error, roll back to a savepoint
    /// set before it (on PostgreSQL the transaction refuses every statement until then).
    async fn insert_request(
        &mut self,
        reference: &Reference,
        request: &NewRequest,
        state: &HandlingState,
        now: OffsetDateTime,
    ) -> Result<Inserted, StoreError>;

    /// Files a new request under `reference`: what [`RequestTransaction::insert_request`],
    /// [`RequestTransaction::append_events`], [`RequestTransaction::insert_facts`] and
    /// [`RequestTransaction::queue_outbox`] write one after the other, with the same
    /// answers. A database may write it all at once: SQLite sends it as one query, one trip
    /// to its writer thread instead of four, which is most of what a filing waits for in a
    /// busy group.
    async fn file_request(
        &mut self,
        reference: &Reference,
        filed: &FiledRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Inserted, StoreError> {
        let inserted = self
            .insert_request(reference, filed.request, filed.state, now)
            .await?;
        let Inserted::Request(id) = inserted else {
            return Ok(inserted);
        };
        self.append_events(id, filed.events, now).await?;
        self.insert_facts(id, filed.facts).await?;
        self.queue_outbox(id, filed.messages, now).await?;
        Ok(inserted)
    }

    /// Locks the request `target` names and reads it; `None` if there is none.
    async fn lock(&mut self, target: Target<'_>) -> Result<Option<LockedRequest>, StoreError>;

    /// Locks the oldest received request of `queue` that no other transaction holds.
    async fn lock_next_received(
        &mut self,
        queue: &str,
    ) -> Result<Option<LockedRequest>, StoreError>;

    /// Writes a locked request's new handling state; `last_event` is the kind of its latest
    /// event (the listings' "last step"). Closing it (resolved, rejected) sets `closed_at`
    /// unless set; reopening clears it.
    async fn write_state(
        &mut self,
        id: Uuid,
        state: &HandlingState,
        last_event: EventKind,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Replaces a locked request's tracking link: `tracking_hash` is the SHA-256 of the new
    /// token. The old link stops working when the transaction commits.
    async fn write_tracking_hash(
        &mut self,
        id: Uuid,
        tracking_hash: &str,
    ) -> Result<(), StoreError>;

    /// Appends one event to a request's history.
    async fn append_event(
        &mut self,
        id: Uuid,
        actor: &str,
        event: &NewEvent,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Appends events to a request's history, in order, each with its actor: one
    /// statement, as a filing's first events are written.
    async fn append_events(
        &mut self,
        id: Uuid,
        events: &[(&str, &NewEvent)],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The request's whole history, oldest first, as this transaction sees it.
    async fn history(&mut self, id: Uuid) -> Result<Vec<Event>, StoreError>;

    /// Writes what statistics know of the request (its row of `request_facts`), replacing
    /// what was there.
    async fn write_facts(&mut self, id: Uuid, facts: &RequestFacts) -> Result<(), StoreError>;

    /// Writes the facts of a request inserted in this transaction, which has none yet:
    /// [`RequestTransaction::write_facts`] without reading what was there.
    async fn insert_facts(&mut self, id: Uuid, facts: &RequestFacts) -> Result<(), StoreError>;

    /// Queues the planner's messages for delivery once the transaction commits.
    async fn queue_outbox(
        &mut self,
        id: Uuid,
        messages: &[OutboxMessage],
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Sets `savepoint`, nested in those already set: what is written after it can be
    /// undone alone ([`RequestTransaction::roll_back_to`]), as when one write of a group
    /// fails ([`super::group_commit`]).
    async fn set_savepoint(&mut self, savepoint: Savepoint) -> Result<(), StoreError>;

    /// Keeps what was written since `savepoint` and forgets the savepoint.
    async fn release_savepoint(&mut self, savepoint: Savepoint) -> Result<(), StoreError>;

    /// Undoes what was written since `savepoint` (which stays set), and makes the
    /// transaction usable again after a failed statement.
    async fn roll_back_to(&mut self, savepoint: Savepoint) -> Result<(), StoreError>;

    /// Commits; returns once the transaction is durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;

    /// Undoes everything the transaction wrote, and ends it.
    async fn roll_back(self: Box<Self>) -> Result<(), StoreError>;
}

// --- Reading rows, once for both databases ------------------------------------------

use super::row::ReadRow;

/// What the holder of a tracking link sees (the row of `track`'s query), with its history.
pub(super) fn tracked_request(
    row: &impl ReadRow,
    history: Vec<Event>,
) -> Result<TrackedRequest, StoreError> {
    Ok(TrackedRequest {
        reference: row.parsed("reference", Reference::parse)?,
        form_id: row.text("form_id")?,
        form_title: row.text("title")?,
        form_version: row.parsed("form_version", FormVersion::parse)?,
        status: row.parsed("status", Status::parse)?,
        service: row.ident("service")?,
        commune: row.opt_ident("commune")?,
        data: row.json("data")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        closed_at: row.opt_time("closed_at")?,
        due_at: row.opt_time("due_at")?,
        history,
    })
}

pub(super) fn status_summary(row: &impl ReadRow) -> Result<StatusSummary, StoreError> {
    Ok(StatusSummary {
        reference: row.parsed("reference", Reference::parse)?,
        status: row.parsed("status", Status::parse)?,
        updated_at: row.time("updated_at")?,
    })
}

/// A whole request (a `requests` row), with its events.
pub(super) fn stored_request(
    row: &impl ReadRow,
    events: Vec<Event>,
) -> Result<StoredRequest, StoreError> {
    Ok(StoredRequest {
        reference: row.parsed("reference", Reference::parse)?,
        form_id: row.text("form_id")?,
        form_version: row.parsed("form_version", FormVersion::parse)?,
        commune: row.opt_ident("commune")?,
        channel: row.text("channel")?,
        data: row.json("data")?,
        status: row.parsed("status", Status::parse)?,
        service: row.ident("service")?,
        queue: row.ident("queue")?,
        priority: row.parsed("priority", Priority::parse)?,
        tags: row.decoded("tags")?,
        routing_reason: row.opt_text("routing_reason")?,
        routing_fallback: row.opt_text("routing_fallback")?,
        due_at: row.opt_time("due_at")?,
        assignee: row.opt_text("assignee")?,
        paused_at: row.opt_time("paused_at")?,
        filed_by: row.opt_text("filed_by")?,
        citizen_contact: row.opt_text("citizen_contact")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        closed_at: row.opt_time("closed_at")?,
        anonymised_at: row.opt_time("anonymised_at")?,
        events,
    })
}

/// One event of a request's history (`kind, actor, body, created_at`).
pub(super) fn event(row: &impl ReadRow) -> Result<Event, StoreError> {
    Ok(Event {
        kind: row.event_kind("kind")?,
        actor: row.text("actor")?,
        body: row.json("body")?,
        created_at: row.time("created_at")?,
    })
}

/// The columns [`locked_request`] reads.
pub(super) const LOCKED_COLUMNS: &str =
    "id, reference, status, service, queue, priority, assignee, due_at, paused_at, created_at,
    commune, filed_by, form_id, form_version, channel, data, anonymised_at";

pub(super) fn locked_request(row: &impl ReadRow) -> Result<LockedRequest, StoreError> {
    Ok(LockedRequest {
        id: row.uuid("id")?,
        reference: row.parsed("reference", Reference::parse)?,
        state: HandlingState {
            status: row.parsed("status", Status::parse)?,
            service: row.ident("service")?,
            queue: row.ident("queue")?,
            priority: row.parsed("priority", Priority::parse)?,
            assignee: row.opt_text("assignee")?,
            due_at: row.opt_time("due_at")?,
            paused_at: row.opt_time("paused_at")?,
            created_at: row.time("created_at")?,
        },
        commune: row.opt_ident("commune")?,
        filed_by: row.opt_text("filed_by")?,
        form_id: row.text("form_id")?,
        form_version: row.text("form_version")?,
        channel: row.text("channel")?,
        data: row.json("data")?,
        anonymised_at: row.opt_time("anonymised_at")?,
        lang: row
            .opt_text("filing_lang")?
            .as_deref()
            .and_then(Lang::parse)
            .unwrap_or_default(),
    })
}

/// A recorded form version (a `form_versions` row).
pub(super) fn form_version_row(row: &impl ReadRow) -> Result<ArchivedFormVersion, StoreError> {
    Ok(ArchivedFormVersion {
        version: row.text("version")?,
        form_id: row.text("form_id")?,
        title: row.text("title")?,
        definition: row.json("definition")?,
        rule_source: row.opt_text("rule_source")?,
        git_commit: row.opt_text("git_commit")?,
        recorded_at: row.time("recorded_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filings_share_one_definition_text_that_reads_back_as_the_effective_schema() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let catalogue = crate::catalogue::Catalogue::load_strict(root).unwrap();
        let form = catalogue.form("remplacement-bac").unwrap();
        let first = FormVersionRecord::of(form);
        let second = FormVersionRecord::of(form);
        assert!(Arc::ptr_eq(&first.definition, &second.definition));
        // The effective schema, commune choices filled in, in the file's key order.
        let read: Value = serde_json::from_str(&first.definition).unwrap();
        assert_eq!(read, form.schema);
        let keys = |schema: &Value| -> Vec<String> {
            schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(keys(&read), keys(&form.schema));
        assert_eq!(keys(&read)[..2], ["motif", "numero_bac"]);
        assert!(
            read.pointer("/$defs/adresse/properties/commune/oneOf")
                .is_some_and(Value::is_array),
            "{read}"
        );
        assert_eq!(first.version, form.version);
        // The rule's own source, shared rather than copied.
        let rule = form.rule.as_ref().unwrap();
        assert!(Arc::ptr_eq(
            first.rule_source.as_ref().unwrap(),
            &rule.source
        ));
    }
}
