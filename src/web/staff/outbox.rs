//! The outbox, for admins: what is waiting, what keeps failing, what was given up on, and
//! a button to deliver a message again.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::Me;
use super::session::Signed;
use crate::dispatch::OutboxChannel;
use crate::domain::{Reference, Role};
use crate::store::StaffUser;
use crate::store::personal_data::AccessView;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::public::date_fr;
use crate::web::{forms, personal_data};

pub struct MessageView {
    pub id: String,
    pub channel: String,
    pub target: String,
    pub kind: String,
    pub state: String,
    pub attempts: u32,
    pub next_attempt: String,
    pub last_error: String,
    pub created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/outbox.html")]
pub struct OutboxPage {
    pub territory: String,
    pub me: Me,
    pub counts: Vec<(String, u64)>,
    pub messages: Vec<MessageView>,
}

fn admin_only(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "Cette page est réservée aux administrateurs.".into(),
        ))
    }
}

pub async fn show(State(state): State<AppState>, signed: Signed) -> Result<OutboxPage, PageError> {
    let user = &signed.session.user;
    admin_only(user)?;
    let counts = state.store.outbox_counts().await?;
    let rows: Vec<_> = state
        .store
        .list_outbox(&["pending", "dead"], 200)
        .await?
        .into_iter()
        // Pending messages that never failed are simply on their way.
        .filter(|m| m.state == "dead" || m.last_error.is_some())
        .collect();
    // An e-mail's target is the citizen's address: listing it is a look at that request's
    // personal data, recorded like any other.
    let mut references: Vec<Reference> = rows
        .iter()
        .filter(|m| m.channel == OutboxChannel::Email)
        .filter_map(|m| m.payload.get("reference")?.as_str())
        .filter_map(|r| Reference::parse(r).ok())
        .collect();
    references.sort_by_key(|r| r.to_string());
    references.dedup();
    if !references.is_empty() {
        personal_data::record_access(&state, user, &references, AccessView::Outbox).await?;
    }
    let messages = rows
        .into_iter()
        .map(|m| MessageView {
            channel: m.channel.as_str().to_owned(),
            state: m.state.clone(),
            attempts: m.attempts,
            next_attempt: date_fr(m.next_attempt_at),
            last_error: m.last_error.clone().unwrap_or_default(),
            created: date_fr(m.created_at),
            target: m.target,
            kind: m.kind,
            id: m.id,
        })
        .collect();
    Ok(OutboxPage {
        territory: state.catalogue.load().territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        counts,
        messages,
    })
}

pub async fn redeliver(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    admin_only(&signed.session.user)?;
    if !state.store.redeliver(&id).await? {
        return Err(
            AppError::NotFound("Ce message n'existe pas ou a déjà été remis.".into()).into(),
        );
    }
    tracing::info!(%id, by = %signed.session.user.email, "outbox message put back in line");
    Ok(Redirect::to("/bureau/admin/envois").into_response())
}
