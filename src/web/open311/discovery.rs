//! `GET discovery.{fmt}`: where the endpoint is, what it speaks, and how to get a key.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::Format;
use crate::web::AppState;

/// When this endpoint's interface last changed (GeoReport's `changeset`): a new date with
/// every change to what it accepts or answers.
pub const CHANGESET: &str = "2026-12-07T00:00:00Z";

pub fn show(state: &AppState, format: Format) -> Response {
    let catalogue = state.catalogue.load();
    let info = &catalogue.territory.territory;
    let contact = [
        Some(info.name.clone()),
        info.email.clone(),
        info.phone.clone(),
        info.website.clone(),
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    let key_service = match &info.email {
        Some(email) => format!(
            "Les clés d'API sont délivrées par les administrateurs de {} : écrivez à {email} en nommant votre application.",
            info.name
        ),
        None => format!(
            "Les clés d'API sont délivrées par les administrateurs de {} : contactez-les en nommant votre application.",
            info.name
        ),
    };
    format.render(
        StatusCode::OK,
        "discovery",
        "item",
        &json!({
            "changeset": CHANGESET,
            "contact": contact,
            "key_service": key_service,
            "endpoints": [{
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": format!("{}/open311/v2", state.public_url),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }],
        }),
    )
}
