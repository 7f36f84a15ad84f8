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
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::{Capability, QueueId};
use crate::store::personal_data::AccessView;
use crate::store::{QueueItem, RequestQuery, StaffUser, StoredRequest, format_time};
use crate::web::AppState;
use crate::web::error::{ApiError, AppError};
use crate::web::staff::{Filters, export_lines};
use crate::web::{handling, personal_data};

/// The account behind the request's bearer token.
pub struct ApiStaff(pub StaffUser);

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let unauthorized = || {
            let mut response = ApiError(AppError::Unauthorized(
                "Authentification requise : envoyez un jeton d'API valide dans l'en-tête `Authorization: Bearer <jeton>` (créé par `guichet user token EMAIL`).".into(),
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
        match state.store.user_by_api_token(&token.hash()).await {
            Ok(Some(user)) => Ok(ApiStaff(user)),
            Ok(None) => Err(unauthorized()),
            Err(err) => Err(ApiError(AppError::from(err)).into_response()),
        }
    }
}

fn item_json(item: &QueueItem) -> Value {
    json!({
        "reference": item.reference.to_string(),
        "form": item.form_id,
        "commune": item.commune,
        "channel": item.channel,
        "status": item.status.as_str(),
        "service": item.service,
        "queue": item.queue,
        "priority": item.priority.as_str(),
        "assignee": item.assignee,
        "due_at": item.due_at.map(format_time),
        "paused": item.paused,
        "last_event": item.last_event,
        "created_at": format_time(item.created_at),
        "updated_at": format_time(item.updated_at),
    })
}

fn request_json(request: &StoredRequest) -> Value {
    json!({
        "reference": request.reference.to_string(),
        "form": {"id": request.form_id, "version": request.form_version.as_str()},
        "commune": request.commune,
        "channel": request.channel,
        "data": request.data,
        "status": request.status.as_str(),
        "service": request.service,
        "queue": request.queue,
        "priority": request.priority.as_str(),
        "tags": request.tags,
        "routing": {"reason": request.routing_reason, "fallback": request.routing_fallback},
        "assignee": request.assignee,
        "due_at": request.due_at.map(format_time),
        "paused": request.paused_at.is_some(),
        "filed_by": request.filed_by,
        "citizen_contact": request.citizen_contact,
        "created_at": format_time(request.created_at),
        "updated_at": format_time(request.updated_at),
        "closed_at": request.closed_at.map(format_time),
        "anonymised_at": request.anonymised_at.map(format_time),
        "events": request.events.iter().map(|e| json!({
            "kind": e.kind, "actor": e.actor, "body": e.body, "at": format_time(e.created_at),
        })).collect::<Vec<_>>(),
    })
}

/// `GET /queues`: the queues the account handles, with counts per status.
pub async fn queues(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
) -> Result<Json<Value>, ApiError> {
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for service in &catalogue.territory.services {
        if !user.handles_requests() || !user.scope().allows(&service.id, None, None) {
            continue;
        }
        for queue in &service.queues {
            let counts = state
                .store
                .count_by_status(&user.scope(), Some(&queue.id), now)
                .await?;
            let per_status: serde_json::Map<String, Value> = counts
                .per_status
                .iter()
                .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
                .collect();
            out.push(json!({"id": queue.id, "name": queue.name, "service": service.id, "counts": per_status, "overdue": counts.overdue}));
        }
    }
    Ok(Json(json!({"queues": out})))
}

/// `GET /queues/{queue}/requests`: one page of a queue, with the back office's filters;
/// `next` is the `after` value of the following page.
pub async fn queue_requests(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(queue): Path<String>,
    Query(filters): Query<Filters>,
    Query(page): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(
        json!({"requests": items.iter().map(item_json).collect::<Vec<_>>(), "next": next}),
    ))
}

/// `GET /queues/{queue}/requests.jsonl`: the whole listing, with the back office's
/// filters, as JSON Lines (one request per line, its answers labelled as the citizen saw
/// them), streamed without a row cap.
pub async fn queue_export(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(queue): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, ApiError> {
    let query = export_lines::listing(&state, &user, &queue, &filters)?;
    Ok(export_lines::stream(state, user, query, &queue).await?)
}

/// `GET /requests/{reference}`.
pub async fn request(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path(reference): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let request = handling::find(&state, &user, &reference).await?;
    personal_data::record_access(&state, &user, [&request.reference], AccessView::Api).await?;
    let mut body = request_json(&request);
    // Élus: the contact details read "masqué", and this says why.
    let hidden =
        personal_data::contact_hidden(&state.catalogue.load(), &user, request.filed_by.as_deref());
    body["contact_masked"] = if hidden {
        json!(personal_data::MASKED_WHY)
    } else {
        Value::Null
    };
    Ok(Json(body))
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

/// `POST /requests/{reference}/{action}` with a JSON body: `status` `{status}`, `notes`
/// `{text}`, `public_notes` `{text}`, `messages` `{text, await_reply}`, `transfer` `{queue, reason}`, `assign`
/// `{to}`, `take` `{}`, `priority` `{priority}`, `due` `{due}`; and, for admins, `erasure`
/// `{reason}` (erases a closed request's personal data).
pub async fn act(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
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
            Json(json!({
                "reference": request.reference.to_string(),
                "status": request.status.as_str(),
                "anonymised_at": request.anonymised_at.map(crate::store::format_time),
            })),
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
        Json(json!({
            "reference": done.reference.to_string(),
            "status": done.status.as_str(),
            "service": done.service,
            "queue": done.queue,
            "events": done.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        })),
    )
        .into_response())
}

/// `GET /requests/{reference}/attachments/{sha256}`: one of the request's files.
pub async fn attachment(
    State(state): State<AppState>,
    ApiStaff(user): ApiStaff,
    Path((reference, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let request = handling::find(&state, &user, &reference).await?;
    personal_data::record_access(&state, &user, [&request.reference], AccessView::ApiPiece).await?;
    Ok(crate::web::uploads::download(&state, &request.data, &sha256).await?)
}
