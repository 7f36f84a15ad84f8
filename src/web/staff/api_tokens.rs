//! Each account's API tokens (`/bureau/jetons`): list them with their last use, create one
//! (named, with an expiry — 90 days unless chosen — and a scope: read, or read and act;
//! shown once, only its SHA-256 is stored), revoke one. Revoked and expired tokens stay
//! listed, so the account can see what it had and when it was last used.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use time::{Duration, OffsetDateTime};

use super::Me;
use super::session::Signed;
use crate::domain::Capability;
use crate::store::staff::{API_TOKEN_DEFAULT_DAYS, ApiTokenInfo, NewApiToken};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;
use crate::web::public::date_fr;

const MAX_NAME_CHARS: usize = 100;
const MAX_DAYS: i64 = 366;

pub struct TokenView {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    /// "active", "expiré le …" or "révoqué le …".
    pub state: String,
    pub live: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/api_tokens.html")]
pub struct TokensPage {
    pub territory: String,
    pub me: Me,
    pub endpoint: String,
    pub tokens: Vec<TokenView>,
    /// The name and the token just created, shown this once.
    pub created: Option<(String, String)>,
    pub error: String,
    /// What was typed, kept after a refusal.
    pub name: String,
    pub days: String,
    pub max_name: usize,
    pub max_days: i64,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    created: Option<(String, String)>,
    error: String,
) -> Result<TokensPage, AppError> {
    let now = OffsetDateTime::now_utc();
    let tokens = state
        .store
        .api_tokens(&signed.session.user.id)
        .await?
        .into_iter()
        .map(|t| view(t, now))
        .collect();
    Ok(TokensPage {
        territory: state.catalogue.load().territory.territory.name.clone(),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        endpoint: format!("{}/api/v1", state.public_url),
        tokens,
        created,
        error,
        name: String::new(),
        days: API_TOKEN_DEFAULT_DAYS.to_string(),
        max_name: MAX_NAME_CHARS,
        max_days: MAX_DAYS,
    })
}

fn view(token: ApiTokenInfo, now: OffsetDateTime) -> TokenView {
    let expired = token.expires_at.is_some_and(|e| e <= now);
    let state = match (token.revoked_at, expired) {
        (Some(at), _) => format!("révoqué le {}", date_fr(at)),
        (None, true) => format!(
            "expiré le {}",
            token.expires_at.map(date_fr).unwrap_or_default()
        ),
        (None, false) => "actif".to_owned(),
    };
    TokenView {
        live: token.revoked_at.is_none() && !expired,
        state,
        scope: if token.can_act {
            "lecture et traitement"
        } else {
            "lecture seule"
        },
        created: date_fr(token.created_at),
        expires: token.expires_at.map_or_else(|| "jamais".into(), date_fr),
        last_used: token.last_used_at.map_or_else(|| "jamais".into(), date_fr),
        name: token.name,
        id: token.id,
    }
}

pub async fn show(State(state): State<AppState>, signed: Signed) -> Result<TokensPage, PageError> {
    Ok(page(&state, &signed, None, String::new()).await?)
}

/// Creates a token and shows it this once; a refused name or lifetime shows the page again
/// with the reason and what was typed (422).
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    let name = fields.get("name").map(|n| n.trim()).unwrap_or_default();
    let days_text = fields.get("days").map(|d| d.trim()).unwrap_or_default();
    let can_act = fields.get("scope").map(String::as_str) == Some("act");
    let checked = token_name(name).and_then(|()| lifetime(days_text));
    let days = match checked {
        Ok(days) => days,
        Err(why) => {
            let mut page = page(&state, &signed, None, why).await?;
            page.name = name.chars().take(MAX_NAME_CHARS).collect();
            page.days = days_text.chars().take(6).collect();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let token = Capability::generate();
    let now = OffsetDateTime::now_utc();
    state
        .store
        .create_api_token(&NewApiToken {
            user_id: user.id.clone(),
            token_hash: token.hash(),
            name: name.to_owned(),
            created_at: now,
            expires_at: now + Duration::days(days),
            can_act,
        })
        .await?;
    tracing::info!(by = %user.email, days, can_act, "API token created");
    let created = Some((name.to_owned(), token.as_str().to_owned()));
    Ok(page(&state, &signed, created, String::new())
        .await?
        .into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    if !state
        .store
        .revoke_api_token(&user.id, &id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(AppError::NotFound(
            "Ce jeton n'existe pas parmi les vôtres ou a déjà été révoqué : rechargez la page des jetons.".into(),
        )
        .into());
    }
    tracing::info!(%id, by = %user.email, "API token revoked");
    Ok(Redirect::to("/bureau/jetons").into_response())
}

fn token_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Donnez un nom au jeton, qui dise à quoi il sert (par exemple « Logiciel de tournées »).".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "Le nom du jeton dépasse {MAX_NAME_CHARS} caractères : raccourcissez-le."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("Le nom du jeton contient un caractère invisible : retapez-le.".into());
    }
    Ok(())
}

fn lifetime(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| {
            format!("La durée de validité est un nombre de jours entre 1 et {MAX_DAYS} (90 par défaut) : corrigez-la.")
        })
}
