//! `/suivi/retrouver`: a citizen who lost their tracking link gives the e-mail address they
//! filed with, and each of their requests of the last twelve months gets a fresh link by
//! e-mail (`requests::recovery`).
//!
//! The page answers the same whether or not the address is known, and at once: the search
//! and the sending run after the answer, so neither the words nor the time it takes tell
//! whether someone filed with that address. Asking counts against the tracking look-up
//! limit.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use crate::domain::ContactKey;
use crate::domain::outbox::Planner;
use crate::requests::recovery;
use crate::web::error::PageError;
use crate::web::language::Localizer;
use crate::web::{AppState, forms};

#[derive(Template, WebTemplate)]
#[template(path = "public/recover.html")]
pub struct RecoverPage {
    pub t: Localizer,
    pub territory: String,
    pub email: String,
    pub error: String,
    /// The address the links were (or would have been) sent to.
    pub sent_to: String,
}

fn page(state: &AppState, t: Localizer) -> RecoverPage {
    RecoverPage {
        t,
        territory: state.catalogue.load().territory.territory.name.clone(),
        email: String::new(),
        error: String::new(),
        sent_to: String::new(),
    }
}

/// `GET /suivi/retrouver`.
pub async fn show(State(state): State<AppState>, t: Localizer) -> RecoverPage {
    page(&state, t)
}

/// `POST /suivi/retrouver`.
pub async fn send(
    State(state): State<AppState>,
    t: Localizer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    let typed = fields.get("email").map(|e| e.trim()).unwrap_or_default();
    let mut answer = page(&state, t);
    answer.email = typed.chars().take(254).collect();
    let email = match ContactKey::parse(typed) {
        Ok(ContactKey::Email(email)) => email,
        _ => {
            answer.error = answer.t.lang.text("recover-invalid");
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, answer).into_response());
        }
    };
    let background = state.clone();
    let address = email.clone();
    tokio::spawn(async move {
        let state = background;
        let catalogue = state.catalogue.load_full();
        let planner_for = |token: &crate::domain::TrackingToken| -> Arc<Planner> {
            Arc::new(state.planner(Some(format!(
                "{}/suivi/{}",
                state.public_url,
                token.as_str()
            ))))
        };
        let now = OffsetDateTime::now_utc();
        match recovery::renew_links(
            state.store.as_ref(),
            &catalogue,
            &address,
            now,
            &planner_for,
        )
        .await
        {
            Ok(renewed) => tracing::info!(renewed = renewed.len(), "lost tracking links renewed"),
            Err(err) => tracing::warn!(error = %err, "lost tracking links could not be looked for"),
        }
    });
    answer.sent_to = email;
    Ok(answer.into_response())
}
