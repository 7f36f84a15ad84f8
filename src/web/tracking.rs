//! What the holder of a tracking link may see, shared by the tracking page and the API.

use crate::domain::TrackingToken;
use crate::domain::workflow::Action;
use crate::store::{Scope, Target, TrackedRequest};

pub use crate::requests::describe::{history_label, history_label_in};

use super::AppState;
use super::error::AppError;

/// The request behind a tracking token, or a 404 that says what to check.
pub async fn find(
    state: &AppState,
    token: &str,
) -> Result<(TrackingToken, TrackedRequest), AppError> {
    let not_found = || AppError::NotFound(super::language::current().text("error-unknown-link"));
    let token = TrackingToken::parse(token).map_err(|_| not_found())?;
    let request = state
        .store
        .track(&token.hash())
        .await?
        .ok_or_else(not_found)?;
    Ok((token, request))
}

/// The citizen acts on their own request through their link: the capability is the scope.
pub async fn act(state: &AppState, token: &TrackingToken, action: &Action) -> Result<(), AppError> {
    let hash = token.hash();
    let done = crate::requests::act(
        state.store.as_ref(),
        Target::Tracking(&hash),
        &Scope::All,
        "citoyen",
        action,
        &state.planner(None),
    )
    .await?
    .ok_or_else(|| AppError::NotFound(super::language::current().text("error-unknown-link")))?;
    tracing::info!(reference = %done.reference, "the citizen acted on their request");
    Ok(())
}
