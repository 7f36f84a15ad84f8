//! Open311 GeoReport v2 (<http://wiki.open311.org/GeoReport_v2>) under `/open311/v2`, in
//! JSON and XML, the format chosen by the path's extension (`services.json`,
//! `services.xml`).
//!
//! **One Open311 service per citizen form.** A form is what Guichet validates, routes and
//! stores, so a form's id is its `service_code`, its title the `service_name`, its
//! questions the service definition's attributes (`catalogue::open311`), its theme the
//! `group`. Guichet's own services (voirie, environnement…) are who handles a request: they
//! appear as `agency_responsible`.
//!
//! - `discovery.{fmt}`, `services.{fmt}`, `services/{code}.{fmt}`: read by anyone.
//! - `POST requests.{fmt}` (urlencoded): needs an application's `api_key` (created by an
//!   admin at `/bureau/admin/open311`); files a request exactly as the JSON API does
//!   (`intake::accept`, then `requests::filing::file`, channel `api`, filer
//!   `open311:<key name>`), under the same submission rate limit and body limit. The answer
//!   holds the reference and a public link, never the citizen's private tracking link: the
//!   citizen gets that by e-mail when one was given.
//! - `GET requests.{fmt}` and `requests/{id}.{fmt}`: public fields only
//!   (`requests::public`), read by anyone, under the tracking look-up limit.
//!
//! Errors are Open311's: `[{code, description}]` or `<errors><error>…`, each description
//! naming the argument it is about (`lat: …`, `attribute[urgence]: …`). A missing, unknown or
//! revoked key is 403; an unknown service, request or extension 404.

mod discovery;
mod requests;
mod services;
pub mod xml;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::error::AppError;
use super::framing::{BodyLimit, bound_body};
use crate::intake::FieldError;

/// Where Open311 lives; every path under it answers errors in Open311's shape.
pub const PREFIX: &str = "/open311/";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/open311/v2/{document}",
            get(document).post(requests::post).layer(from_fn_with_state(
                BodyLimit::form(&state.limits),
                bound_body,
            )),
        )
        .route("/open311/v2/services/{document}", get(services::definition))
        .route("/open311/v2/requests/{document}", get(requests::show))
        .route_layer(from_fn_with_state(state.clone(), limit_request_reads))
}

/// Reading requests, one by reference or the listing, counts against the tracking
/// look-up limit (`--limit-lookups`), as `/suivi?reference=` does: a client polling at a
/// sane pace passes, a script guessing references or hammering the listing does not. The
/// service documents and filing (under its own submission limit) are not counted.
async fn limit_request_reads(
    state: axum::extract::State<AppState>,
    client: crate::web::client::ClientInfo,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let reads_requests = request.method() == axum::http::Method::GET
        && request.uri().path().starts_with("/open311/v2/requests");
    if reads_requests {
        super::rate_limits::limit_lookups(state, client, request, next).await
    } else {
        next.run(request).await
    }
}

/// `GET /open311/v2/{name}.{fmt}`: the documents at the top.
async fn document(
    state: axum::extract::State<AppState>,
    path: axum::extract::Path<String>,
    query: axum::extract::RawQuery,
) -> Result<Response, Open311Error> {
    let (name, format) = Format::split(&path.0)?;
    match name {
        "discovery" => Ok(discovery::show(&state, format)),
        "services" => Ok(services::list(&state, format)),
        "requests" => requests::list(&state, format, query.0.as_deref()).await,
        _ => Err(Open311Error::not_found(format)),
    }
}

/// The format of an answer, from the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, JSON). Any other extension is 404, in JSON.
    pub fn split(document: &str) -> Result<(&str, Format), Open311Error> {
        let unsupported = || Open311Error::not_found(Format::Json);
        let (name, extension) = document.rsplit_once('.').ok_or_else(unsupported)?;
        let format = match extension {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return Err(unsupported()),
        };
        Ok((name, format))
    }

    /// The format a path asks for; JSON unless it ends in `.xml`.
    fn of_path(path: &str) -> Format {
        if path.ends_with(".xml") {
            Format::Xml
        } else {
            Format::Json
        }
    }

    /// Renders `value` (a list under `root`, each of its items an `item` element, or an
    /// object whose members become elements).
    pub fn render(self, status: StatusCode, root: &str, item: &str, value: &Value) -> Response {
        let (body, content_type) = match self {
            Format::Json => (value.to_string(), "application/json; charset=utf-8"),
            Format::Xml => (xml::document(root, item, value), "text/xml; charset=utf-8"),
        };
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }
}

/// An Open311 error answer: its status, and one description per problem.
#[derive(Debug)]
pub struct Open311Error {
    format: Format,
    error: AppError,
}

impl Open311Error {
    pub fn new(format: Format, error: AppError) -> Open311Error {
        Open311Error { format, error }
    }

    /// An error raised before a handler, in the format the path asks for.
    pub fn for_path(path: &str, error: AppError) -> Open311Error {
        Open311Error::new(Format::of_path(path), error)
    }

    fn not_found(format: Format) -> Open311Error {
        Open311Error::new(
            format,
            AppError::NotFound(
                "Cette adresse n'existe pas dans l'API Open311 : les documents sont discovery, services et requests, suivis de .json ou .xml (par exemple /open311/v2/services.json).".into(),
            ),
        )
    }

    /// Problems with what the client sent, each named by its argument: 400.
    fn bad_arguments(format: Format, errors: Vec<FieldError>) -> Open311Error {
        Open311Error::new(format, AppError::Invalid(errors))
    }

    /// A problem with one argument, of a given status.
    fn argument(format: Format, status: StatusCode, argument: &str, message: &str) -> Open311Error {
        let message = format!("{argument}: {message}");
        Open311Error::new(format, AppError::from_status(status, message))
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        // Open311 answers invalid data with 400 (its clients know no 422).
        let status = match self.error.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            status => status,
        };
        let errors: Vec<Value> = self
            .error
            .messages()
            .into_iter()
            .map(|e| {
                let description = if e.path.is_empty() {
                    e.message
                } else {
                    format!("{}: {}", e.path, e.message)
                };
                json!({"code": status.as_u16(), "description": description})
            })
            .collect();
        self.error.log();
        let mut response = self
            .format
            .render(status, "errors", "error", &Value::Array(errors));
        super::error::close_if_too_large(&mut response);
        self.error.add_retry_after(&mut response);
        response
    }
}
