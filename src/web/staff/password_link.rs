//! Choosing a password without being signed in: "Mot de passe oublié ?" asks for a link
//! (`/bureau/mot-de-passe-oublie`), and the e-mailed link's page
//! (`/bureau/mot-de-passe/nouveau/{token}`) sets the password and signs the person in.
//!
//! The request page answers the same whatever the address (an account, none, a disabled
//! one) and in the same time: the link is made in a task of its own, after the answer. It
//! counts against the sign-in's limit per client address (`login_limiter`), and
//! `crate::accounts` sends one account at most one such link every few minutes.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::{self, ClientIp};
use crate::accounts::{self, LinkError, Site};
use crate::auth;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;

#[derive(Template, WebTemplate)]
#[template(path = "staff/forgotten.html")]
pub struct ForgottenPage {
    pub territory: String,
    pub email: String,
    pub sent: bool,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/password_link.html")]
pub struct LinkPage {
    pub territory: String,
    pub token: String,
    pub name: String,
    pub email: String,
    /// The link is unknown, used, replaced, expired or its account disabled.
    pub dead: bool,
    pub error: String,
}

fn territory(state: &AppState) -> String {
    state.catalogue.load().territory.territory.name.clone()
}

pub async fn forgotten_form(State(state): State<AppState>) -> ForgottenPage {
    ForgottenPage {
        territory: territory(&state),
        email: String::new(),
        sent: false,
        error: String::new(),
    }
}

pub async fn forgotten(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    let email: String = fields
        .get("email")
        .map(|e| e.trim().chars().take(254).collect())
        .unwrap_or_default();
    let page = |sent: bool, error: String| ForgottenPage {
        territory: territory(&state),
        email: email.clone(),
        sent,
        error,
    };
    if let Err(wait) = state.login_limiter.check(ip) {
        let mut refused = (
            StatusCode::TOO_MANY_REQUESTS,
            page(
                false,
                format!(
                    "Trop de demandes depuis ce poste. Patientez {} avant de réessayer.",
                    crate::web::rate_limits::wait_fr(wait)
                ),
            ),
        )
            .into_response();
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, crate::web::error::retry_after(wait));
        return Ok(refused);
    }
    if email.is_empty() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                false,
                "Saisissez l'adresse électronique de votre compte.".into(),
            ),
        )
            .into_response());
    }
    let site = Site {
        public_url: state.public_url.to_string(),
        territory: territory(&state),
    };
    let store = state.store.clone();
    let asked = email.clone();
    // After the answer, so that its timing tells nothing about the address.
    tokio::spawn(async move {
        if let Err(err) = accounts::forgotten_password(&store, &asked, &site).await {
            tracing::warn!(
                "a forgotten-password link could not be made: {}",
                crate::telemetry::scrub(&err.to_string())
            );
        }
    });
    Ok(page(true, String::new()).into_response())
}

fn dead_page(state: &AppState, token: &str) -> Response {
    (
        StatusCode::GONE,
        LinkPage {
            territory: territory(state),
            token: token.to_owned(),
            name: String::new(),
            email: String::new(),
            dead: true,
            error: String::new(),
        },
    )
        .into_response()
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    match accounts::link_account(&state.store, &token).await {
        Ok(user) => Ok(LinkPage {
            territory: territory(&state),
            token,
            name: user.name,
            email: user.email,
            dead: false,
            error: String::new(),
        }
        .into_response()),
        Err(LinkError::Dead) => Ok(dead_page(&state, "")),
        Err(LinkError::Store(err)) => Err(err.into()),
        Err(LinkError::Weak(_)) | Err(LinkError::Internal(_)) => {
            Err(AppError::Internal(anyhow::anyhow!("reading a link")).into())
        }
    }
}

/// Sets the password chosen, spends the link, and signs the person in.
pub async fn set(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (new, again) = (get("new"), get("again"));
    let user = match accounts::link_account(&state.store, &token).await {
        Ok(user) => user,
        Err(LinkError::Dead) => return Ok(dead_page(&state, "")),
        Err(LinkError::Store(err)) => return Err(err.into()),
        Err(LinkError::Weak(_)) | Err(LinkError::Internal(_)) => {
            return Err(AppError::Internal(anyhow::anyhow!("reading a link")).into());
        }
    };
    let refuse = |error: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            LinkPage {
                territory: territory(&state),
                token: token.clone(),
                name: user.name.clone(),
                email: user.email.clone(),
                dead: false,
                error,
            },
        )
            .into_response()
    };
    if new != again {
        return Ok(refuse(
            "Les deux saisies du mot de passe diffèrent : retapez-les.".into(),
        ));
    }
    let user = match accounts::set_password_from_link(&state.store, &token, new).await {
        Ok(user) => user,
        Err(LinkError::Weak(why)) => return Ok(refuse(why)),
        Err(LinkError::Dead) => return Ok(dead_page(&state, "")),
        Err(LinkError::Store(err)) => return Err(err.into()),
        Err(LinkError::Internal(err)) => return Err(AppError::Internal(err).into()),
    };
    let (session_token, _) = auth::open_session(&state.store, &user).await?;
    tracing::info!(user = %user.id, "password chosen from a link; signed in");
    let target = super::landing(user.role);
    Ok((
        [(
            header::SET_COOKIE,
            session::set_cookie(session_token.as_str(), auth::SESSION_TTL.whole_seconds()),
        )],
        Redirect::to(target),
    )
        .into_response())
}
