//! What the holder of a tracking link may see, shared by the tracking page and the API.

use crate::catalogue::Catalogue;
use crate::domain::TrackingToken;
use crate::domain::workflow::Action;
use crate::store::{Event, Scope, Target, TrackedRequest};

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

/// The citizen acts on their own request through their link: the capability is the scope.
pub async fn act(state: &AppState, token: &TrackingToken, action: &Action) -> Result<(), AppError> {
    let hash = token.hash();
    let done = state
        .store
        .act(
            Target::Tracking(&hash),
            &Scope::All,
            "citoyen",
            action,
            &state.planner(None),
        )
        .await?
        .ok_or_else(|| {
            AppError::NotFound("Aucune demande ne correspond à ce lien de suivi.".into())
        })?;
    tracing::info!(reference = %done.reference, "the citizen acted on their request");
    Ok(())
}

/// What a citizen reads for an event of their request's history.
pub fn history_label(catalogue: &Catalogue, event: &Event) -> String {
    describe_for_citizen(catalogue, &event.kind, &event.body)
}

/// What a citizen (or the élu who filed for them) reads for an event of a kind and body.
pub fn describe_for_citizen(catalogue: &Catalogue, kind: &str, body: &serde_json::Value) -> String {
    let text = |key: &str| body.get(key).and_then(|v| v.as_str()).unwrap_or_default();
    match kind {
        "submitted" => {
            let service = body
                .get("service")
                .and_then(|s| s.as_str())
                .unwrap_or_default();
            format!(
                "Demande déposée et transmise au service « {} »",
                catalogue.service_name(service)
            )
        }
        "status_changed" => {
            let label = |key: &str| {
                crate::domain::Status::parse(text(key))
                    .map(|s| s.label_fr())
                    .unwrap_or("?")
            };
            format!("Statut : {} → {}", label("from"), label("to"))
        }
        "message" => format!("Message du service : {}", text("text")),
        "citizen_reply" => format!("Votre réponse : {}", text("text")),
        // The reason of a transfer is internal: the citizen learns the new service.
        "transferred" => format!(
            "Demande transmise au service « {} »",
            catalogue.service_name(text("service"))
        ),
        "reopened" => format!(
            "Vous avez signalé que le problème n'est pas résolu : {}",
            text("text")
        ),
        other => other.to_owned(),
    }
}
