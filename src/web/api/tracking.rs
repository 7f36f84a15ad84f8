//! `GET /track/{token}`: status and citizen-visible history, for the token holder.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::store::format_time;
use crate::web::AppState;
use crate::web::error::ApiError;
use crate::web::tracking::{self, history_label};

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, request) = tracking::find(&state, &token).await?;
    let catalogue = state.catalogue.load();
    let history: Vec<Value> = request
        .history
        .iter()
        .map(|e| json!({"at": format_time(e.created_at), "kind": e.kind, "label": history_label(&catalogue, e)}))
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
    Ok(Json(json!({
        "reference": request.reference.to_string(),
        "status": request.status.as_str(),
        "status_label": request.status.label_fr(),
        "form": {"id": request.form_id, "title": request.form_title, "version": request.form_version.as_str()},
        "service": catalogue.service_name(&request.service),
        "created_at": format_time(request.created_at),
        "updated_at": format_time(request.updated_at),
        "history": history,
        "personal_data_erased_on": erased_on,
    })))
}
