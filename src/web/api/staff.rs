//! The staff API: queues and requests for other business software, authenticated by a
//! bearer token (`guichet user token EMAIL`) and bound by the same access rules as the back
//! office (see [`crate::web::handling`]).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use time::OffsetDateTime;

use super::bodies::{
    ActionBody, ActionDone, Erased, Errors, FileBytes, QueueEntry, QueueList, QueuePage,
    QueueSummary, RequestDetail, RequestEvent, RequestForm, Routing,
};
use super::openapi::{Always, STAFF};

use crate::domain::{Capability, QueueId};
use crate::store::personal_data::AccessView;
use crate::store::{QueueItem, RequestQuery, StaffUser, StoredRequest, format_time};
use crate::web::AppState;
use crate::web::error::{ApiError, AppError};
use crate::web::staff::export_lines::ExportLine;
use crate::web::staff::{Filters, export_lines};
use crate::web::{handling, personal_data};

/// The account behind the request's bearer token (live: not expired, not revoked).
pub struct ApiStaff(pub StaffUser);

/// The same, for a route that acts on requests: a read-only token is refused (403).
pub struct ApiActor(pub StaffUser);

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (user, _) = authenticate(parts, state).await?;
        Ok(ApiStaff(user))
    }
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match authenticate(parts, state).await? {
            (user, true) => Ok(ApiActor(user)),
            (_, false) => Err(ApiError(AppError::Forbidden(
                "Ce jeton d'API est en lecture seule : créez un jeton qui peut agir (/bureau/jetons) pour traiter les demandes.".into(),
            ))
            .into_response()),
        }
    }
}

/// The account behind the bearer token, and whether the token may act; 401 (with
/// `WWW-Authenticate`) without a live token.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<(StaffUser, bool), Response> {
    let unauthorized = || {
        let mut response = ApiError(AppError::Unauthorized(
            "Authentification requise : envoyez un jeton d'API valide, ni expiré ni révoqué, dans l'en-tête `Authorization: Bearer <jeton>` (créé sur /bureau/jetons ou par `guichet user token EMAIL`).".into(),
        ))
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| Capability::parse(t.trim()).ok())
        .ok_or_else(unauthorized)?;
    match state
        .store
        .user_by_api_token(&token.hash(), OffsetDateTime::now_utc())
        .await
    {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(unauthorized()),
        Err(err) => Err(ApiError(AppError::from(err)).into_response()),
    }
}

fn queue_entry(item: &QueueItem) -> QueueEntry {
    QueueEntry {
        reference: item.reference.to_string(),
        form: item.form_id.clone(),
        commune: item.commune.as_ref().map(|c| c.to_string()),
        channel: item.channel.clone(),
        status: item.status.as_str().to_owned(),
        service: item.service.to_string(),
        queue: item.queue.to_string(),
        priority: item.priority.as_str().to_owned(),
        assignee: item.assignee.clone(),
        tags: item.tags.clone(),
        due_at: item.due_at.map(format_time),
        paused: item.paused,
        last_event: item.last_event.as_str().to_owned(),
        created_at: format_time(item.created_at),
        updated_at: format_time(item.updated_at),
    }
}

fn request_detail(request: &StoredRequest, contact_masked: Option<String>) -> RequestDetail {
    RequestDetail {
        reference: request.reference.to_string(),
        form: RequestForm {
            id: request.form_id.clone(),
            version: request.form_version.as_str().to_owned(),
        },
        commune: request.commune.as_ref().map(|c| c.to_string()),
        channel: request.channel.clone(),
        data: request.data.clone(),
        status: request.status.as_str().to_owned(),
        service: request.service.to_string(),
        queue: request.queue.to_string(),
        priority: request.priority.as_str().to_owned(),
        tags: request.tags.clone(),
        routing: Routing {
            reason: request.routing_reason.clone(),
            fallback: request.routing_fallback.clone(),
        },
        assignee: request.assignee.clone(),
        due_at: request.due_at.map(format_time),
        paused: request.paused_at.is_some(),
        filed_by: request.filed_by.clone(),
        citizen_contact: request.citizen_contact.clone(),
        created_at: format_time(request.created_at),
        updated_at: format_time(request.updated_at),
        closed_at: request.closed_at.map(format_time),
        anonymised_at: request.anonymised_at.map(format_time),
        events: request
            .events
            .iter()
            .map(|e| RequestEvent {
                kind: e.kind.as_str().to_owned(),
                actor: e.actor.clone(),
                body: e.body.clone(),
                at: format_time(e.created_at),
            })
            .collect(),
        contact_masked,
    }
}

/// The queues the account handles, with counts per status.
#[utoipa::path(get, path = "/queues", tag = STAFF, operation_id = "list_queues", security(("bearer" = [])),
    responses(
        Always,
        (status = 200, description = "The queues of the account's services (none for an élu).", body = QueueList),
        (status = 401, description = "No valid API token.", body = Errors),
    ))]
pub async fn queues(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
) -> Result<Json<QueueList>, ApiError> {
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for service in &catalogue.territory.services {
        if !user.handles_requests() || !user.scope().allows(&service.id, None, None) {
            continue;
        }
        let ids: Vec<&str> = service.queues.iter().map(|q| q.id.as_str()).collect();
        let counts = state.store.count_queues(&user.scope(), &ids, now).await?;
        for (queue, counts) in service.queues.iter().zip(counts) {
            out.push(QueueSummary {
                id: queue.id.to_string(),
                name: queue.name.clone(),
                service: service.id.to_string(),
                counts: counts
                    .per_status
                    .iter()
                    .map(|(s, n)| (s.as_str().to_owned(), *n))
                    .collect(),
                overdue: counts.overdue,
            });
        }
    }
    Ok(Json(QueueList { queues: out }))
}

/// One page of a queue.
///
/// With the back office's filters; `next` is the `after` value of the following page.
#[utoipa::path(get, path = "/queues/{queue}/requests", tag = STAFF, security(("bearer" = [])),
    params(("queue" = String, Path, description = "The queue's id."), Filters,
        ("limit" = Option<u32>, Query, description = "Requests per page, 1 to 500 (50 by default).")),
    responses(
        Always,
        (status = 200, description = "One page of the listing.", body = QueuePage),
        (status = 400, description = "A filter, `after` or `limit` is not valid.", body = Errors),
        (status = 401, description = "No valid API token.", body = Errors),
        (status = 404, description = "No such queue among the account's services.", body = Errors),
    ))]
pub async fn queue_requests(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(queue): Path<String>,
    Query(filters): Query<Filters>,
    Query(page): Query<HashMap<String, String>>,
) -> Result<Json<QueuePage>, ApiError> {
    let catalogue = state.catalogue.load();
    catalogue
        .territory
        .queue(&queue)
        .filter(|(s, _)| user.handles_requests() && user.scope().allows(&s.id, None, None))
        .ok_or_else(|| {
            AppError::NotFound(
                "Cette file n'existe pas ou ne fait pas partie de vos services.".into(),
            )
        })?;
    let mut query = RequestQuery::for_reader(&user, OffsetDateTime::now_utc());
    query.queue = Some(QueueId::from_checked(queue));
    query.limit = match page.get("limit") {
        None => 50,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=500).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest("`limit` doit être un entier entre 1 et 500.".into())
            })?,
    };
    filters.apply(&mut query, &user)?;
    let items = state.store.list_requests(&query).await?;
    let next = (items.len() == query.limit as usize)
        .then(|| items.last().map(|i| i.cursor.clone()))
        .flatten();
    Ok(Json(QueuePage {
        requests: items.iter().map(queue_entry).collect(),
        next,
    }))
}

/// A queue's whole listing, as JSON Lines.
///
/// With the back office's filters, one request per line, its answers labelled as the
/// citizen saw them, streamed without a row cap. A failure after the first line cuts the
/// response off instead of ending it cleanly.
#[utoipa::path(get, path = "/queues/{queue}/requests.jsonl", tag = STAFF, security(("bearer" = [])),
    params(("queue" = String, Path, description = "The queue's id."), Filters),
    responses(
        Always,
        (status = 200, description = "One JSON object per line, each as described.", content_type = "application/jsonl", body = ExportLine),
        (status = 400, description = "A filter is not valid.", body = Errors),
        (status = 401, description = "No valid API token.", body = Errors),
        (status = 404, description = "No such queue among the account's services.", body = Errors),
    ))]
pub async fn queue_export(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(queue): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, ApiError> {
    let query = export_lines::listing(&state, &user, &queue, &filters)?;
    Ok(export_lines::stream(state, user, query, &queue).await?)
}

/// One request, whole: answers, handling and history.
///
/// Each read is recorded in the personal-data access log.
#[utoipa::path(get, path = "/requests/{reference}", tag = STAFF, security(("bearer" = [])),
    params(("reference" = String, Path, description = "The request's reference, e.g. `GU-2026-7K3M9Q`.")),
    responses(
        Always,
        (status = 200, description = "The request.", body = RequestDetail),
        (status = 401, description = "No valid API token.", body = Errors),
        (status = 404, description = "No such request in the account's scope.", body = Errors),
    ))]
pub async fn request(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<RequestDetail>, ApiError> {
    let request = handling::find(&state, &user, &reference).await?;
    personal_data::record_access(&state, &user, [&request.reference], AccessView::Api).await?;
    // Élus: the contact details read "masqué", and this says why.
    let hidden =
        personal_data::contact_hidden(&state.catalogue.load(), &user, request.filed_by.as_deref());
    let masked = hidden.then(|| personal_data::MASKED_WHY.to_owned());
    Ok(Json(request_detail(&request, masked)))
}

fn json_fields(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<HashMap<String, String>, AppError> {
    let body = body.map_err(|r| AppError::from_body(r, limit))?;
    let value: Value = crate::web::json::parse(&body).map_err(AppError::BadRequest)?;
    let Value::Object(map) = value else {
        return Err(AppError::BadRequest(
            "Le corps de la requête doit être un objet JSON.".into(),
        ));
    };
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                // As if the member were left out: `{"due": null}` removes the due date, a
                // null text is an empty one (refused as such), never the word "null".
                Value::Null => String::new(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(AppError::Unprocessable(
                        format!("« {k} » doit être un texte, pas une liste ni un objet : corrigez le corps de la requête."),
                    ));
                }
            };
            Ok((k, text))
        })
        .collect()
}

/// Acts on a request.
///
/// With a JSON body: `status` `{status}`, `notes` `{text}`, `public_notes` `{text}` (shown to
/// the citizen and in Open311's `status_notes`), `messages` `{text, await_reply}`,
/// `transfer` `{queue, reason}`, `assign` `{to}`, `take` `{}`, `priority` `{priority}`, `due`
/// `{due}`; and, for admins, `erasure` `{reason}` (erases a closed request's personal data;
/// answers `Erased`).
#[utoipa::path(post, path = "/requests/{reference}/{action}", tag = STAFF, security(("bearer" = [])),
    params(("reference" = String, Path, description = "The request's reference."),
        ("action" = String, Path, description = "`status`, `notes`, `public_notes`, `messages`, `transfer`, `assign`, `take`, `priority`, `due` or `erasure`.")),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        Always,
        (status = 200, description = "Done: where the request stands (`ActionDone`), or for `erasure` what was erased (`Erased`).",
            body = inline(ActionResult)),
        (status = 400, description = "The body is not a JSON object.", body = Errors),
        (status = 401, description = "No valid API token.", body = Errors),
        (status = 403, description = "The account's role may not take this action, or the token is read-only.", body = Errors),
        (status = 404, description = "No such request in the account's scope, or no such action.", body = Errors),
        (status = 409, description = "Refused in the request's state (closed, anonymised, not yet closed for an erasure…).", body = Errors),
        (status = 413, description = "The body is larger than the limit.", body = Errors),
        (status = 422, description = "A value is refused (unknown status, queue or agent, a due day in the past, a member that is a list…).", body = Errors),
    ))]
pub async fn act(
    State(state): State<AppState>,
    ApiActor(user): ApiActor,
    Path((reference, action)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if action == "erasure" {
        let fields = json_fields(body, state.limits.max_json_bytes)?;
        let reason = fields.get("reason").map(String::as_str).unwrap_or_default();
        handling::erase(&state, &user, &reference, reason).await?;
        let request = handling::find(&state, &user, &reference).await?;
        return Ok((
            StatusCode::OK,
            Json(Erased {
                reference: request.reference.to_string(),
                status: request.status.as_str().to_owned(),
                anonymised_at: request.anonymised_at.map(format_time),
            }),
        )
            .into_response());
    }
    let kind = match action.as_str() {
        "notes" => "note",
        "messages" => "message",
        "public_notes" => "public_note",
        "status" | "transfer" | "assign" | "take" | "priority" | "due" => action.as_str(),
        _ => return Err(AppError::NotFound("Cette action n'existe pas : status, notes, public_notes, messages, transfer, assign, take, priority, due ou erasure.".into()).into()),
    };
    let fields = json_fields(body, state.limits.max_json_bytes)?;
    let request = handling::find(&state, &user, &reference).await?;
    let catalogue = state.catalogue.load();
    let parsed =
        handling::parse_action(&state, &catalogue, &request.service, kind, &fields).await?;
    let done = handling::act(&state, &user, &reference, parsed).await?;
    Ok((
        StatusCode::OK,
        Json(ActionDone {
            reference: done.reference.to_string(),
            status: done.status.as_str().to_owned(),
            service: done.service.to_string(),
            queue: done.queue.to_string(),
            events: done
                .events
                .iter()
                .map(|e| e.kind.as_str().to_owned())
                .collect(),
        }),
    )
        .into_response())
}

/// One of the request's files, in its own media type.
///
/// Each read is recorded in the personal-data access log.
#[utoipa::path(get, path = "/requests/{reference}/attachments/{sha256}", tag = STAFF, security(("bearer" = [])),
    params(("reference" = String, Path, description = "The request's reference."),
        ("sha256" = String, Path, description = "The file's SHA-256, as the request's data names it.")),
    responses(
        Always,
        (status = 200, description = "The file.", content_type = "*/*", body = FileBytes),
        (status = 401, description = "No valid API token.", body = Errors),
        (status = 404, description = "No such request in the account's scope, or no such file in it.", body = Errors),
    ))]
pub async fn attachment(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path((reference, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let request = handling::find(&state, &user, &reference).await?;
    personal_data::record_access(&state, &user, [&request.reference], AccessView::ApiPiece).await?;
    Ok(crate::web::uploads::download(&state, &request.data, &sha256).await?)
}

/// What an action answers: `ActionDone`, or `Erased` for an erasure.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only described: each handler path returns one of the two.
enum ActionResult {
    Done(ActionDone),
    Erased(Erased),
}
