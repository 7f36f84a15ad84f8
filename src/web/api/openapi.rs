//! The API's OpenAPI 3.1 description, generated from the code: each handler declares its
//! path, parameters and responses (`#[utoipa::path]`), the router is built from those same
//! declarations (`utoipa_axum::routes!`, see `super::router`), and the bodies are the types of
//! `super::bodies`. A route cannot be served without being described, and a described body
//! is the type the handler returns.
//!
//! - `GET /api/v1/openapi.json`: the document (built once per router).
//! - `GET /api/v1/forms/{id}/openapi.json`: one form's submission endpoint, with the form's
//!   JSON Schema as its exact request body.
//! - `GET /api/docs/`: the document rendered by Swagger UI, served from the binary (no CDN).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

use super::bodies::Errors;
use crate::web::AppState;
use crate::web::error::ApiError;

pub const FORMS: &str = "forms";
pub const TRACKING: &str = "tracking";
pub const STAFF: &str = "staff";
pub const DESCRIPTION: &str = "description";

/// Where the API is mounted; the document's paths are relative to it.
pub const BASE: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Guichet API",
        version = "1",
        description = "Citizen forms and their submissions (no account), a request's tracking \
by its private link, and, for staff software, queues and requests with a bearer token \
(`guichet user token EMAIL`) bound by the same access rules as the back office.\n\n\
Every refusal is `{\"errors\": [{\"path\", \"message\"}]}`, with messages in French that say \
what to do. An address that is not described here answers 404 in that shape, a described \
address with another method 405; before any route, a malformed request may be answered 400, \
408 or 417 in that shape, and request headers over 64 KiB 431 without a body.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1", description = "This Guichet")),
    modifiers(&BearerToken),
    components(schemas(Errors)),
    tags(
        (name = "forms", description = "The citizen forms and their submissions."),
        (name = "tracking", description = "A request, for the holder of its tracking link."),
        (name = "staff", description = "Queues and requests, for staff accounts' API tokens."),
        (name = "description", description = "This document, and each form's own."),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A staff account's API token, created by `guichet user token EMAIL`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers any route may give, whatever it does: the HTTP layer refusing the request
/// before it reaches the route (malformed headers or framing, a body too slow to arrive, an
/// `Expect` other than `100-continue`), a wrong method, the database unreachable, a bug. An
/// operation that answers one of these for its own reasons lists it after `Always`, with its
/// own description.
pub struct Always;

impl IntoResponses for Always {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::response::Response>> {
        [
            (
                "400",
                "The request is malformed (its headers, its framing or its query string).",
            ),
            ("405", "This address does not take this method."),
            (
                "408",
                "The request took too long to arrive; nothing was stored.",
            ),
            (
                "417",
                "An `Expect` header other than `100-continue`: send the request without it.",
            ),
            (
                "500",
                "An unexpected failure on Guichet's side; nothing was stored.",
            ),
            (
                "503",
                "The database is unreachable for now; nothing was stored. Retry in a few minutes.",
            ),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_owned(), error_response(description)))
        .collect()
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::response::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Errors")))
                .build(),
        )
        .build()
        .into()
}

/// The document as served: its JSON, kept as a value to derive each form's document from.
pub struct Document {
    value: Value,
    text: String,
}

impl Document {
    pub fn new(openapi: utoipa::openapi::OpenApi) -> Document {
        let value = serde_json::to_value(&openapi).expect("the OpenAPI document serialises");
        let text = serde_json::to_string_pretty(&value).expect("a value serialises");
        Document { value, text }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The document of one form's submissions: the API's submission operation, with the
    /// form's JSON Schema as the request body and its first example as the body's example.
    pub fn for_form(&self, form: &crate::catalogue::Form) -> Value {
        let template = "/forms/{id}/submissions";
        let mut operation = self.value["paths"][template]["post"].clone();
        if let Some(params) = operation["parameters"].as_array_mut() {
            params.retain(|p| p["in"] != "path");
        }
        operation["operationId"] = json!(format!("submit_{}", form.id));
        operation["summary"] = json!(format!("Déposer : {}", form.title));
        let mut media = json!({ "schema": form.schema });
        if let Some(example) = form.schema["examples"].get(0) {
            media["example"] = example.clone();
        }
        operation["requestBody"] = json!({
            "description": "The answers, exactly as the form's JSON Schema describes them.",
            "required": true,
            "content": { "application/json": media },
        });
        json!({
            "openapi": self.value["openapi"],
            "info": {
                "title": format!("Guichet — {}", form.title),
                "version": form.version.as_str(),
                "description": format!(
                    "Submissions of the form « {} » (version {}). The request body is the \
                     form's JSON Schema; the answers and refusals are the API's (see \
                     {BASE}/openapi.json).",
                    form.title,
                    form.version.as_str()
                ),
            },
            "servers": self.value["servers"],
            "paths": { format!("/forms/{}/submissions", form.id): { "post": operation } },
            "components": { "schemas": self.value["components"]["schemas"] },
        })
    }
}

/// The API's description.
#[utoipa::path(get, path = "/openapi.json", tag = DESCRIPTION, responses(
    Always,
    (status = 200, description = "This document (OpenAPI 3.1).", content_type = "application/json", body = Object),
))]
pub async fn document(Extension(document): Extension<Arc<Document>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.text.clone(),
    )
        .into_response()
}

/// One citizen form's own OpenAPI 3.1 document.
///
/// Its submission endpoint, whose request body is the form's JSON Schema.
#[utoipa::path(get, path = "/forms/{id}/openapi.json", tag = DESCRIPTION,
    params(("id" = String, Path, description = "The form's id, from `GET /forms`.")),
    responses(
        Always,
        (status = 200, description = "The form's OpenAPI 3.1 document.", content_type = "application/json", body = Object),
        (status = 404, description = "No citizen form has this id.", body = Errors),
    ))]
pub async fn form_document(
    State(state): State<AppState>,
    Extension(document): Extension<Arc<Document>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalogue = state.catalogue.load();
    let form = super::forms::citizen_form(&catalogue, &id)?;
    Ok(Json(document.for_form(form)))
}
