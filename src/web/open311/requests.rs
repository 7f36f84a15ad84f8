//! `POST requests.{fmt}` (file a request), `GET requests.{fmt}` (a public listing) and
//! `GET requests/{id}.{fmt}` (one request's public fields).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Format, Open311Error, services};
use crate::catalogue::Audience;
use crate::domain::{Capability, Channel, Reference, Status, TrackingToken};
use crate::intake::{self, FieldError};
use crate::requests::filing;
use crate::requests::public::{PublicRequest, public_requests};
use crate::store::open311::PublicRequestQuery;
use crate::web::AppState;
use crate::web::client::ClientInfo;
use crate::web::error::AppError;

/// The most requests one listing returns, newest first; a client wanting more narrows the
/// dates.
pub const MAX_RESULTS: u32 = 1000;
/// Without `start_date` or `end_date`, a listing covers this many days back from now (as
/// GeoReport v2 suggests).
pub const DEFAULT_DAYS: i64 = 90;

/// Files a request. The order of the checks is the order a client fixes things in: the
/// format, the key, the service, then the data; the rate limit counts only valid requests.
pub async fn post(
    State(state): State<AppState>,
    Path(document): Path<String>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Open311Error> {
    let (name, format) = Format::split(&document)?;
    if name != "requests" {
        return Err(Open311Error::not_found(format));
    }
    let fail = |error: AppError| Open311Error::new(format, error);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !crate::web::forms::is_urlencoded(content_type) {
        return Err(fail(AppError::UnsupportedMediaType(
            "Envoyez les arguments encodés comme un formulaire (Content-Type: application/x-www-form-urlencoded), comme le prévoit GeoReport v2.".into(),
        )));
    }
    let body = body.map_err(|r| fail(AppError::from_body(r, state.limits.max_form_bytes)))?;
    let arguments = crate::web::forms::parse_pairs(&body).map_err(fail)?;
    let argument = |name: &str| {
        arguments
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };

    let Some(key) = argument("api_key") else {
        return Err(Open311Error::argument(
            format,
            StatusCode::FORBIDDEN,
            "api_key",
            "La clé d'API manque : envoyez la clé que les administrateurs du territoire ont créée pour votre application.",
        ));
    };
    let key = match Capability::parse(key) {
        Ok(key) => state
            .store
            .use_open311_key(&key.hash(), OffsetDateTime::now_utc())
            .await
            .map_err(|e| fail(e.into()))?,
        Err(_) => None,
    };
    let Some(key) = key else {
        return Err(Open311Error::argument(
            format,
            StatusCode::FORBIDDEN,
            "api_key",
            "Cette clé d'API n'est pas valide ou a été révoquée : vérifiez-la, ou demandez-en une nouvelle aux administrateurs du territoire.",
        ));
    };

    let catalogue = state.catalogue.load_full();
    let Some(code) = argument("service_code") else {
        return Err(Open311Error::argument(
            format,
            StatusCode::BAD_REQUEST,
            "service_code",
            "Le service manque : envoyez le service_code d'un des services de GET services.json.",
        ));
    };
    let form = services::service(&catalogue, code, format)?;
    let data = intake::open311::form_data(form, &arguments)
        .map_err(|errors| Open311Error::bad_arguments(format, errors))?;
    let accepted =
        intake::accept(&catalogue, form, data, None, Channel::Api).map_err(|errors| {
            let renamed: Vec<FieldError> = errors
                .into_iter()
                .map(|e| intake::open311::renamed(form, e))
                .collect();
            Open311Error::bad_arguments(format, renamed)
        })?;
    // Counted once the data is valid, as for the JSON API.
    if let Err(wait) = state.rate_limits.submissions.check(client.address) {
        return Err(fail(AppError::TooManyRequests(
            format!(
                "Trop de demandes déposées depuis cette adresse : celle-ci n'a pas été enregistrée. Renvoyez-la dans {} (en-tête Retry-After).",
                crate::web::rate_limits::wait_fr(wait)
            ),
            wait,
        )));
    }
    let due_in_days = accepted.decision.due_in_days;
    let service_name = catalogue
        .service_name(accepted.decision.service.as_ref())
        .to_owned();
    let token = TrackingToken::generate();
    // The citizen's receipt e-mail, if they gave an address, carries their private link.
    let planner = state.planner(Some(format!(
        "{}/suivi/{}",
        state.public_url,
        token.as_str()
    )));
    let (receipt, _token) = filing::file(
        &state.store,
        form,
        accepted,
        token,
        filing::Filer::named(&format!("open311:{}", key.name)),
        planner,
    )
    .await
    .map_err(|e| fail(e.into()))?;
    let mut notice = format!(
        "Demande enregistrée sous la référence {} et transmise au service « {service_name} ».",
        receipt.reference
    );
    if let Some(days) = due_in_days {
        notice.push_str(&format!(
            " Traitement prévu d'ici le {}.",
            crate::domain::time::date_fr(receipt.created_at + time::Duration::days(days.into()))
        ));
    }
    let extension = extension(format);
    Ok(format.render(
        StatusCode::CREATED,
        "service_requests",
        "request",
        &json!([{
            "service_request_id": receipt.reference.to_string(),
            "service_notice": notice,
            "account_id": null,
            "token": null,
            "url": format!("{}/open311/v2/requests/{}.{extension}", state.public_url, receipt.reference),
        }]),
    ))
}

/// `GET requests.{fmt}?service_request_id=&service_code=&start_date=&end_date=&status=`.
pub async fn list(
    state: &AppState,
    format: Format,
    raw_query: Option<&str>,
) -> Result<Response, Open311Error> {
    let query = listing_query(state, format, raw_query.unwrap_or_default())?;
    let catalogue = state.catalogue.load();
    let found = public_requests(state.store.as_ref(), &catalogue, &query)
        .await
        .map_err(|e| Open311Error::new(format, e.into()))?;
    Ok(render(format, &found))
}

/// `GET requests/{id}.{fmt}`.
pub async fn show(
    State(state): State<AppState>,
    Path(document): Path<String>,
) -> Result<Response, Open311Error> {
    let (id, format) = Format::split(&document)?;
    let unknown = || {
        Open311Error::new(
            format,
            AppError::NotFound(format!(
                "service_request_id: Aucune demande « {} » : vérifiez la référence (de la forme GU-XXXX-XXXX).",
                id.chars().take(40).collect::<String>()
            )),
        )
    };
    let reference = Reference::parse(id).map_err(|_| unknown())?;
    let catalogue = state.catalogue.load();
    let query = PublicRequestQuery {
        references: Some(vec![reference]),
        form_ids: open311_forms(&catalogue),
        limit: 1,
        ..PublicRequestQuery::default()
    };
    let found = public_requests(state.store.as_ref(), &catalogue, &query)
        .await
        .map_err(|e| Open311Error::new(format, e.into()))?;
    if found.is_empty() {
        return Err(unknown());
    }
    Ok(render(format, &found))
}

/// The forms whose requests Open311 lists: those offered to citizens, retired ones
/// included (their requests are still followed). Forms for élus and staff only are not
/// Open311 services.
fn open311_forms(catalogue: &crate::catalogue::Catalogue) -> Vec<String> {
    catalogue
        .forms
        .values()
        .filter(|f| f.meta.audience.contains(&Audience::Citizen))
        .map(|f| f.id.clone())
        .collect()
}

fn listing_query(
    state: &AppState,
    format: Format,
    raw: &str,
) -> Result<PublicRequestQuery, Open311Error> {
    let catalogue = state.catalogue.load();
    let mut query = PublicRequestQuery {
        form_ids: open311_forms(&catalogue),
        limit: MAX_RESULTS,
        ..PublicRequestQuery::default()
    };
    let mut errors = Vec::new();
    for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_ref() {
            // An id that is no reference names no request: nothing to list for it.
            "service_request_id" => {
                query.references = Some(
                    value
                        .split(',')
                        .filter_map(|r| Reference::parse(r.trim()).ok())
                        .collect(),
                )
            }
            "service_code" => {
                let codes: Vec<&str> = value.split(',').map(str::trim).collect();
                query.form_ids.retain(|f| codes.contains(&f.as_str()));
            }
            "start_date" | "end_date" => match OffsetDateTime::parse(value, &Rfc3339) {
                Ok(at) if name == "start_date" => query.from = Some(at),
                Ok(at) => query.to = Some(at),
                Err(_) => errors.push(FieldError::new(
                    name.as_ref(),
                    "Date illisible : écrivez une date et une heure W3C avec son fuseau, par exemple 2026-03-14T00:00:00Z ou 2026-03-14T00:00:00+01:00.",
                )),
            },
            "status" => {
                let mut statuses = Vec::new();
                for wanted in value.split(',').map(str::trim) {
                    match wanted {
                        "open" => statuses.extend(OPEN),
                        "closed" => statuses.extend(CLOSED),
                        _ => errors.push(FieldError::new(
                            "status",
                            "Statut inconnu : écrivez open ou closed (ou open,closed).",
                        )),
                    }
                }
                query.statuses = Some(statuses);
            }
            _ => {}
        }
    }
    if !errors.is_empty() {
        return Err(Open311Error::bad_arguments(format, errors));
    }
    // Asked by reference, a request is found whatever its service, status or date: as
    // GeoReport v2 says, `service_request_id` overrides the other filters.
    if query.references.is_some() {
        query.form_ids = open311_forms(&catalogue);
        query.statuses = None;
        query.from = None;
        query.to = None;
    } else if query.from.is_none() && query.to.is_none() {
        query.from = Some(OffsetDateTime::now_utc() - time::Duration::days(DEFAULT_DAYS));
    }
    Ok(query)
}

const OPEN: [Status; 3] = [
    Status::Received,
    Status::InProgress,
    Status::WaitingForCitizen,
];
const CLOSED: [Status; 2] = [Status::Resolved, Status::Rejected];

fn render(format: Format, found: &[PublicRequest]) -> Response {
    let requests: Vec<Value> = found.iter().map(public_json).collect();
    format.render(
        StatusCode::OK,
        "service_requests",
        "request",
        &Value::Array(requests),
    )
}

/// One request's public fields, in GeoReport v2's names. Nothing else is read: the
/// answers never reach this function, only what `requests::public` kept.
fn public_json(request: &PublicRequest) -> Value {
    let time = crate::domain::time::format_time;
    let mut fields = json!({
        "service_request_id": request.reference.to_string(),
        "status": if request.open { "open" } else { "closed" },
        "status_notes": request.status_notes,
        "service_name": request.form_title,
        "service_code": request.form_id,
        "agency_responsible": request.service_name,
        "service_notice": null,
        "requested_datetime": time(request.requested_at),
        "updated_datetime": time(request.updated_at),
        "expected_datetime": request.expected_at.map(time),
        "address": request.address,
        "lat": request.position.map(|(lat, _)| lat),
        "long": request.position.map(|(_, long)| long),
    });
    // Nothing to say where a request is: the members are left out rather than empty.
    if let Value::Object(members) = &mut fields {
        for name in ["address", "lat", "long", "expected_datetime"] {
            if members.get(name).is_some_and(Value::is_null) {
                members.remove(name);
            }
        }
    }
    fields
}

fn extension(format: Format) -> &'static str {
    match format {
        Format::Json => "json",
        Format::Xml => "xml",
    }
}
