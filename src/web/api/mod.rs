//! The JSON API, versioned under `/api/v1` and described by an OpenAPI 3.1 document served
//! at `/api/v1/openapi.json` (rendered at `/api/docs/`). Errors are always
//! `{errors: [{path, message}]}`.
//!
//! The router is built from the handlers' own descriptions (`routes!`), so every route is in
//! the document and every path in the document is a route.

pub mod bodies;
mod forms;
pub mod openapi;
mod staff;
mod tracking;

use std::sync::Arc;

use axum::middleware::from_fn_with_state;
use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::AppState;
use super::framing::{BodyLimit, bound_body};
use openapi::{ApiDoc, Document};

pub fn router(state: &AppState) -> Router<AppState> {
    let json_body = |(schemas, paths, method): UtoipaMethodRouter<AppState>| {
        let limited = method.layer(from_fn_with_state(
            BodyLimit::json(&state.limits),
            bound_body,
        ));
        (schemas, paths, limited)
    };
    let (tracking, paths, method) = routes!(tracking::show);
    let tracking = (
        tracking,
        paths,
        method.layer(from_fn_with_state(
            state.clone(),
            super::rate_limits::limit_lookups,
        )),
    );
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi::document))
        .routes(routes!(forms::list))
        .routes(routes!(forms::show))
        .routes(routes!(openapi::form_document))
        .routes(json_body(routes!(forms::submit)))
        .routes(tracking)
        .routes(routes!(staff::queues))
        .routes(routes!(staff::queue_requests))
        .routes(routes!(staff::queue_export))
        .routes(routes!(staff::request))
        .routes(routes!(staff::attachment))
        .routes(json_body(routes!(staff::act)))
        .split_for_parts();
    router.layer(Extension(Arc::new(Document::new(document))))
}

/// `/api/docs/`: Swagger UI, from the files built into the binary, reading the served
/// document.
pub fn docs() -> Router<AppState> {
    Router::from(
        SwaggerUi::new("/api/docs")
            .config(Config::new([format!("{}/openapi.json", openapi::BASE)])),
    )
}
