//! `GET /forms`, `GET /forms/{id}` and `POST /forms/{id}/submissions`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::Value;

use std::sync::Arc;

use crate::catalogue::{Audience, Catalogue, Form};
use crate::domain::{Channel, TrackingToken};
use crate::intake;
use crate::requests::filing;
use crate::web::AppState;
use crate::web::client::ClientInfo;
use crate::web::error::{ApiError, AppError};

use super::bodies::{Created, Errors, FormDetail, FormList, FormSummary};
use super::openapi::{Always, FORMS};

/// The citizen forms of the catalogue.
#[utoipa::path(get, path = "/forms", tag = FORMS, operation_id = "list_forms", responses(
    Always,
    (status = 200, description = "The citizen forms.", body = FormList),
))]
pub async fn list(State(state): State<AppState>) -> Json<FormList> {
    let catalogue = state.catalogue.load();
    let forms: Vec<FormSummary> = catalogue
        .forms
        .values()
        .filter(|f| f.is_for(Audience::Citizen))
        .map(|f| FormSummary {
            id: f.id.clone(),
            title: f.title.clone(),
            description: f.description.clone(),
            service: f.meta.service.clone(),
            communes: f.meta.communes.clone(),
            version: f.version.to_string(),
            url: format!("{}/demarches/{}", state.public_url, f.id),
        })
        .collect();
    Json(FormList { forms })
}

/// One citizen form, with its JSON Schema.
#[utoipa::path(get, path = "/forms/{id}", tag = FORMS, operation_id = "show_form",
    params(("id" = String, Path, description = "The form's id, from `GET /forms`.")),
    responses(
        Always,
        (status = 200, description = "The form and its JSON Schema.", body = FormDetail),
        (status = 404, description = "No citizen form has this id.", body = Errors),
    ))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FormDetail>, ApiError> {
    let catalogue = state.catalogue.load();
    let form = citizen_form(&catalogue, &id)?;
    Ok(Json(FormDetail {
        id: form.id.clone(),
        title: form.title.clone(),
        version: form.version.to_string(),
        git_commit: form.git_commit.clone(),
        schema: form.schema.clone(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// The commune of the filing page, if any; a commune field in the data wins over it.
    commune: Option<String>,
}

/// Files a request.
///
/// The body is the form's data itself, exactly as the form's JSON Schema describes it
/// (`GET /forms/{id}`, or the form's own OpenAPI document at `GET /forms/{id}/openapi.json`).
/// Files cannot be sent this way.
#[utoipa::path(post, path = "/forms/{id}/submissions", tag = FORMS,
    params(("id" = String, Path, description = "The form's id."), SubmitQuery),
    request_body(content = Object, content_type = "application/json",
        description = "The answers, as the form's JSON Schema describes them."),
    responses(
        Always,
        (status = 201, description = "Stored and routed: the request's reference and private tracking link.", body = Created),
        (status = 400, description = "The body is not JSON, or could not be read in full.", body = Errors),
        (status = 404, description = "No citizen form has this id.", body = Errors),
        (status = 413, description = "The body is larger than the limit (`--max-json-bytes`).", body = Errors),
        (status = 415, description = "The body is not sent as `application/json`.", body = Errors),
        (status = 422, description = "The data does not satisfy the form: one entry per problem, at its JSON pointer.", body = Errors),
        (status = 429, description = "Too many filings from this address: nothing was stored.", body = Errors,
            headers(("Retry-After" = u64, description = "Seconds to wait before sending again."))),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<SubmitQuery>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let catalogue = state.catalogue.load_full();
    let form = citizen_form(&catalogue, &id)?.clone();
    if !is_json(&headers) {
        return Err(AppError::UnsupportedMediaType(
            "Envoyez les données en JSON, avec l'en-tête Content-Type: application/json.".into(),
        )
        .into());
    }
    let body = body.map_err(|r| AppError::from_body(r, state.limits.max_json_bytes))?;
    let data: Value = crate::web::json::parse(&body).map_err(AppError::BadRequest)?;
    if !data.is_object() {
        return Err(AppError::Invalid(vec![intake::FieldError::new(
            "",
            "Envoyez un objet JSON dont les champs sont ceux du formulaire.",
        )])
        .into());
    }
    // Files cannot be named in JSON: they are uploaded through the form, which stores them.
    let with_files: Vec<intake::FieldError> = crate::catalogue::fields::attachments(&form.fields)
        .into_iter()
        .filter(|f| data.pointer(&f.pointer()).is_some())
        .map(|f| intake::FieldError::new(f.pointer(), "Les pièces jointes ne peuvent pas être envoyées par l'API JSON : déposez la demande par le formulaire en ligne pour joindre des fichiers."))
        .collect();
    if !with_files.is_empty() {
        return Err(AppError::Invalid(with_files).into());
    }
    let accepted = intake::accept(
        &catalogue,
        &form,
        data,
        query.commune.as_deref(),
        Channel::Api,
    )
    .map_err(AppError::Invalid)?;
    // Counted once the data is valid: a client fixing its payload is not held back.
    if let Err(wait) = state.rate_limits.submissions.check(client.address) {
        return Err(AppError::TooManyRequests(
            format!(
                "Trop de demandes déposées depuis cette adresse : celle-ci n'a pas été enregistrée. Renvoyez-la dans {} (en-tête Retry-After).",
                crate::web::rate_limits::wait_fr(wait)
            ),
            wait,
        )
        .into());
    }
    let queue = accepted.decision.queue.clone();
    let token = TrackingToken::generate();
    let planner = state.planner(Some(format!(
        "{}/suivi/{}",
        state.public_url,
        token.as_str()
    )));
    let (receipt, token) = filing::file(
        &state.store,
        &form,
        accepted,
        token,
        filing::Filer::named("api"),
        planner,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            reference: receipt.reference.to_string(),
            tracking_url: format!("{}/suivi/{}", state.public_url, token.as_str()),
            status: receipt.status.as_str().to_owned(),
            queue: queue.into(),
            version: form.version.to_string(),
        }),
    ))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// Forms for élus and staff are filed through authenticated channels, not this anonymous
/// endpoint: to an anonymous caller they do not exist.
pub(super) fn citizen_form<'a>(
    catalogue: &'a Catalogue,
    id: &str,
) -> Result<&'a Arc<Form>, AppError> {
    catalogue
        .form(id)
        .filter(|f| f.is_for(Audience::Citizen))
        .ok_or_else(|| unknown_form(id))
}

fn unknown_form(id: &str) -> AppError {
    AppError::NotFound(format!(
        "Aucun formulaire « {} » : la liste des formulaires est sur GET /api/v1/forms.",
        id.chars().take(80).collect::<String>()
    ))
}
