//! The bodies the API answers with, as types: each handler returns one of these, and the
//! OpenAPI document describes them from the same declarations (`ToSchema`), so the document
//! cannot drift from what is sent. Every object is closed (`deny_unknown_fields` becomes
//! `additionalProperties: false`): a field the document does not name is a bug the suite's
//! conformance check catches.
//!
//! Times are RFC 3339 in UTC (`2026-11-30T09:15:00Z`), days are `YYYY-MM-DD`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Every refusal: one entry per problem, each with the JSON pointer of the member it is
/// about (`""` for the request as a whole) and a message in plain French saying what to do.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"errors": [{"path": "/nombre_residents", "message": "Indiquez un nombre entre 1 et 20."}]}))]
pub struct Errors {
    pub errors: Vec<ErrorEntry>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorEntry {
    /// JSON pointer into the submitted data, or `""`.
    pub path: String,
    pub message: String,
}

/// `GET /forms`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormList {
    pub forms: Vec<FormSummary>,
}

/// A citizen form of the catalogue.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "remplacement-bac", "title": "Remplacer un bac à déchets", "description": null, "service": "environnement", "communes": [], "version": "3f2a9c41d0b7", "url": "https://guichet.example.fr/demarches/remplacement-bac"}))]
pub struct FormSummary {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// The service that handles its requests.
    pub service: String,
    /// The communes it is offered in; empty for the whole territory.
    pub communes: Vec<String>,
    /// The version submissions are validated against (a hash of the definition and rule).
    pub version: String,
    /// Its page for citizens.
    pub url: String,
}

/// `GET /forms/{id}`: the form and its JSON Schema (2020-12), the exact body of its
/// submissions (also served as an OpenAPI document at `/forms/{id}/openapi.json`).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormDetail {
    pub id: String,
    pub title: String,
    pub version: String,
    /// The catalogue's git commit the definition comes from, when known.
    pub git_commit: Option<String>,
    /// The form's JSON Schema.
    #[schema(value_type = Object)]
    pub schema: Value,
}

/// `201` to a submission: the request is stored and routed.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reference": "GU-2026-7K3M9Q", "tracking_url": "https://guichet.example.fr/suivi/q2XrV4bL8tHn0cPz6sYwA1", "status": "received", "queue": "environnement-bacs", "version": "3f2a9c41d0b7"}))]
pub struct Created {
    /// The request's reference, to quote to the service.
    pub reference: String,
    /// The private tracking link (it holds the capability to read the request).
    pub tracking_url: String,
    /// `received`.
    pub status: String,
    /// The queue the routing rule chose.
    pub queue: String,
    /// The form version it was validated against.
    pub version: String,
}

/// `GET /track/{token}`: what the holder of a tracking link may see.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tracking {
    pub reference: String,
    /// `received`, `in_progress`, `waiting_for_citizen`, `resolved` or `rejected`.
    pub status: String,
    /// The status in French, as the tracking page shows it.
    pub status_label: String,
    pub form: TrackedForm,
    /// The handling service's name.
    pub service: String,
    pub created_at: String,
    pub updated_at: String,
    /// What happened, as the citizen sees it, oldest first.
    pub history: Vec<TrackingEvent>,
    /// For a closed request: the day its personal data is erased.
    pub personal_data_erased_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackedForm {
    pub id: String,
    pub title: String,
    pub version: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingEvent {
    pub at: String,
    /// The event kind (`submitted`, `status_changed`, `message`…).
    pub kind: String,
    /// What it means, in French.
    pub label: String,
}

/// `GET /queues`.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueList {
    pub queues: Vec<QueueSummary>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSummary {
    pub id: String,
    pub name: String,
    pub service: String,
    /// Requests per status (only statuses that have some).
    pub counts: BTreeMap<String, u64>,
    /// Open requests past their due date.
    pub overdue: u64,
}

/// `GET /queues/{queue}/requests`: one page.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueuePage {
    pub requests: Vec<QueueEntry>,
    /// Pass it as `after` for the next page; `null` on the last one.
    pub next: Option<String>,
}

/// A request as a listing shows it (no answers, no contact).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueEntry {
    pub reference: String,
    /// The form's id.
    pub form: String,
    pub commune: Option<String>,
    /// `web`, `api`, `elected` or `staff`.
    pub channel: String,
    pub status: String,
    pub service: String,
    pub queue: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The assignee's e-mail.
    pub assignee: Option<String>,
    /// The tags its routing rule set.
    pub tags: Vec<String>,
    pub due_at: Option<String>,
    /// True while the request waits for the citizen (the deadline is paused).
    pub paused: bool,
    /// The kind of the last event the reader may see.
    pub last_event: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /requests/{reference}`: the whole request, for staff whose scope covers it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestDetail {
    pub reference: String,
    pub form: RequestForm,
    pub commune: Option<String>,
    pub channel: String,
    /// The answers, as the form's JSON (what its schema describes).
    #[schema(value_type = Object)]
    pub data: Value,
    pub status: String,
    pub service: String,
    pub queue: String,
    pub priority: String,
    /// Tags the routing rule set.
    pub tags: Vec<String>,
    pub routing: Routing,
    pub assignee: Option<String>,
    pub due_at: Option<String>,
    pub paused: bool,
    /// The élu or agent who filed it for someone, if any.
    pub filed_by: Option<String>,
    /// How to reach the citizen (`masqué` for élus, see `contact_masked`).
    pub citizen_contact: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// When its personal data was removed; it is then read-only.
    pub anonymised_at: Option<String>,
    pub events: Vec<RequestEvent>,
    /// Why the contact details are hidden from this reader, when they are.
    pub contact_masked: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestForm {
    pub id: String,
    pub version: String,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// The rule's reason, in French.
    pub reason: Option<String>,
    /// Set when the rule failed and the form's fallback queue was used: why.
    pub fallback: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestEvent {
    pub kind: String,
    /// Who did it (an e-mail, `citoyen`, `guichet`…).
    pub actor: String,
    /// What the event carries (a status, a message's text, a queue…), by kind.
    #[schema(value_type = Object)]
    pub body: Value,
    pub at: String,
}

/// `200` to an action: where the request stands after it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reference": "GU-2026-7K3M9Q", "status": "in_progress", "service": "environnement", "queue": "environnement-bacs", "events": ["status_changed"]}))]
pub struct ActionDone {
    pub reference: String,
    pub status: String,
    pub service: String,
    pub queue: String,
    /// The kinds of the events the action recorded.
    pub events: Vec<String>,
}

/// `200` to an erasure.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Erased {
    pub reference: String,
    pub status: String,
    pub anonymised_at: Option<String>,
}

/// The body of `POST /requests/{reference}/{action}`: the members the action reads (the
/// others are ignored).
#[derive(ToSchema)]
#[allow(dead_code)] // Only described: the handler reads the members as text.
pub struct ActionBody {
    /// `status`: the new status.
    pub status: Option<String>,
    /// `notes`, `public_notes`, `messages`: the text.
    pub text: Option<String>,
    /// `messages`: true to wait for the citizen's answer (pauses the deadline).
    pub await_reply: Option<bool>,
    /// `transfer`: the target queue.
    pub queue: Option<String>,
    /// `transfer`, `erasure`: why.
    pub reason: Option<String>,
    /// `assign`: the agent's e-mail; empty to unassign.
    pub to: Option<String>,
    /// `priority`: `low`, `normal`, `high` or `urgent`.
    pub priority: Option<String>,
    /// `due`: the due day, `YYYY-MM-DD`; empty or null to remove it.
    pub due: Option<String>,
}

/// A file's bytes, in the file's own media type.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // Only described: the file is streamed as it is stored.
pub struct FileBytes(Vec<u8>);
