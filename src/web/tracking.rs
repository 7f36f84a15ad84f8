//! What the holder of a tracking link may see, shared by the tracking page and the API.

use crate::catalogue::Catalogue;
use crate::domain::TrackingToken;
use crate::store::{Event, TrackedRequest};

use super::AppState;
use super::error::AppError;

/// The request behind a tracking token, or a 404 that says what to check.
pub async fn find(
    state: &AppState,
    token: &str,
) -> Result<(TrackingToken, TrackedRequest), AppError> {
    let not_found = || {
        AppError::NotFound(
            "Aucune demande ne correspond à ce lien de suivi : vérifiez qu'il a été copié en entier, ou cherchez votre demande par sa référence."
                .into(),
        )
    };
    let token = TrackingToken::parse(token).map_err(|_| not_found())?;
    let request = state
        .store
        .track(&token.hash())
        .await?
        .ok_or_else(not_found)?;
    Ok((token, request))
}

/// What a citizen reads for an event of their request's history.
pub fn history_label(catalogue: &Catalogue, event: &Event) -> String {
    match event.kind.as_str() {
        "submitted" => {
            let service = event
                .body
                .get("service")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            format!(
                "Demande déposée et transmise au service « {} »",
                catalogue.service_name(service)
            )
        }
        "status_changed" => "Statut mis à jour".into(),
        other => other.to_owned(),
    }
}
