//! The JSON API, versioned under `/api/v1`. Errors are always `{errors: [{path, message}]}`.

mod forms;
mod staff;
mod tracking;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use super::AppState;
use super::framing::{BodyLimit, bound_body};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/forms", get(forms::list))
        .route("/forms/{id}", get(forms::show))
        .route(
            "/forms/{id}/submissions",
            post(forms::submit).layer(from_fn_with_state(
                BodyLimit::json(&state.limits),
                bound_body,
            )),
        )
        .route(
            "/track/{token}",
            get(tracking::show).layer(from_fn_with_state(
                state.clone(),
                super::rate_limits::limit_lookups,
            )),
        )
        .route("/queues", get(staff::queues))
        .route("/queues/{queue}/requests", get(staff::queue_requests))
        .route("/queues/{queue}/requests.jsonl", get(staff::queue_export))
        .route("/requests/{reference}", get(staff::request))
        .route(
            "/requests/{reference}/attachments/{sha256}",
            get(staff::attachment),
        )
        .route(
            "/requests/{reference}/{action}",
            post(staff::act).layer(from_fn_with_state(
                BodyLimit::json(&state.limits),
                bound_body,
            )),
        )
}
