//! `GET services.{fmt}` and `GET services/{code}.{fmt}`: each citizen form as an Open311
//! service, and its questions as the service definition's attributes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Format, Open311Error};
use crate::catalogue::open311::attributes;
use crate::catalogue::{Audience, Catalogue, Form};
use crate::web::AppState;
use crate::web::error::AppError;

pub fn list(state: &AppState, format: Format) -> Response {
    let catalogue = state.catalogue.load();
    let services: Vec<Value> = catalogue
        .forms
        .values()
        .filter(|f| f.is_for(Audience::Citizen))
        .map(|form| {
            json!({
                "service_code": form.id,
                "service_name": form.title,
                "description": form.description.clone().unwrap_or_default(),
                "metadata": !attributes(form).is_empty(),
                "type": "realtime",
                "keywords": form.meta.keywords.join(", "),
                "group": form.meta.theme.clone().unwrap_or_default(),
            })
        })
        .collect();
    format.render(
        StatusCode::OK,
        "services",
        "service",
        &Value::Array(services),
    )
}

pub async fn definition(
    State(state): State<AppState>,
    Path(document): Path<String>,
) -> Result<Response, Open311Error> {
    let (code, format) = Format::split(&document)?;
    let catalogue = state.catalogue.load();
    let form = service(&catalogue, code, format)?;
    Ok(format.render(
        StatusCode::OK,
        "service_definition",
        "item",
        &json!({
            "service_code": form.id,
            "attributes": attributes(form),
        }),
    ))
}

/// The form a `service_code` names, if it is offered to citizens; 404 naming the argument
/// otherwise (élus' and staff's forms do not exist for an anonymous caller).
pub fn service<'a>(
    catalogue: &'a Catalogue,
    code: &str,
    format: Format,
) -> Result<&'a Form, Open311Error> {
    catalogue
        .form(code)
        .filter(|f| f.is_for(Audience::Citizen))
        .map(|f| f.as_ref())
        .ok_or_else(|| {
            Open311Error::new(
                format,
                AppError::NotFound(format!(
                    "service_code: Aucun service « {} » : la liste des services est sur GET /open311/v2/services.{}.",
                    code.chars().take(80).collect::<String>(),
                    match format {
                        Format::Json => "json",
                        Format::Xml => "xml",
                    }
                )),
            )
        })
}
