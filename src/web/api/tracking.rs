//! `GET /track/{token}`: status and citizen-visible history, for the token holder.

use axum::Json;
use axum::extract::{Path, State};

use super::bodies::{Errors, TrackedForm, Tracking, TrackingEvent};
use super::openapi::{Always, TRACKING};
use crate::store::format_time;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::tracking::{self, history_label};

/// A request's status and history, as its citizen sees them.
#[utoipa::path(get, path = "/track/{token}", tag = TRACKING, operation_id = "track",
    params(("token" = String, Path, description = "The token of the private tracking link (`/suivi/{token}`).")),
    responses(
        Always,
        (status = 200, description = "The request as its citizen sees it.", body = Tracking),
        (status = 404, description = "No request has this token (or its link was replaced).", body = Errors),
        (status = 429, description = "Too many lookups from this address.", body = Errors,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    ))]
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Tracking>, ApiError> {
    let (_, request) = tracking::find(&state, &token).await?;
    let catalogue = state.catalogue.load();
    let history = request
        .history
        .iter()
        .map(|e| TrackingEvent {
            at: format_time(e.created_at),
            kind: e.kind.as_str().to_owned(),
            label: history_label(&catalogue, e),
        })
        .collect();
    // A closed request: the day its personal data goes (as on the tracking page).
    let erased_on = match request.closed_at {
        Some(closed_at) => Some(
            crate::retention::planned(
                state.store.as_ref(),
                &catalogue,
                &request.form_id,
                &request.form_version,
                closed_at,
            )
            .await?
            .to_string(),
        ),
        None => None,
    };
    Ok(Json(Tracking {
        reference: request.reference.to_string(),
        status: request.status.as_str().to_owned(),
        status_label: request.status.label_fr().to_owned(),
        form: TrackedForm {
            id: request.form_id.clone(),
            title: request.form_title.clone(),
            version: request.form_version.as_str().to_owned(),
        },
        service: catalogue.service_name(&request.service).to_owned(),
        created_at: format_time(request.created_at),
        updated_at: format_time(request.updated_at),
        history,
        personal_data_erased_on: erased_on,
    }))
}
