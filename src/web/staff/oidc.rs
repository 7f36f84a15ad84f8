//! Signing in through the OpenID Connect provider ([`crate::auth::oidc`]): the sign-in
//! page's button sends the browser to the provider, which sends it back to the callback.
//! The session opened is the same as a password's.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::login::LoginPage;
use super::session::{self, ClientIp};
use crate::auth::oidc::{Callback, Refusal, Settings};
use crate::auth::{self};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};

/// Where the provider sends the browser back: the redirect URI to register with it.
pub const CALLBACK_PATH: &str = "/bureau/connexion/oidc/retour";
/// Keeps the `state` of the sign-in under way in this browser, for the callback to match.
const STATE_COOKIE: &str = "guichet_oidc_state";

/// The page after a successful sign-in: the session cookie is SameSite=Strict, which a
/// browser does not send on a redirect chain that began at the provider's site, so the page
/// moves on to the back office by itself (a same-site navigation), with a link for those
/// whose browser does not refresh.
#[derive(Template, WebTemplate)]
#[template(path = "staff/signed_in.html")]
pub struct SignedInPage {
    pub territory: String,
    pub target: &'static str,
}

/// The provider's name for the sign-in button, when sign-in through one is configured.
pub fn button(state: &AppState) -> Option<String> {
    let catalogue = state.catalogue.load();
    state
        .oidc
        .settings(&catalogue.territory)
        .ok()
        .flatten()
        .map(|s| s.name)
}

/// The current settings, or the page to answer instead.
fn settings(state: &AppState) -> Result<Settings, Box<Response>> {
    let catalogue = state.catalogue.load();
    match state.oidc.settings(&catalogue.territory) {
        Ok(Some(settings)) => Ok(settings),
        Ok(None) => Err(Box::new(PageError(AppError::NotFound(
            "La connexion par un fournisseur d'identité n'est pas proposée ici : connectez-vous avec votre adresse et votre mot de passe.".into(),
        ))
        .into_response())),
        Err(why) => {
            tracing::error!("OpenID Connect sign-in is misconfigured: {why}");
            Err(Box::new(refused(
                state,
                None,
                StatusCode::SERVICE_UNAVAILABLE,
                "La connexion par le fournisseur d'identité est mal configurée. Connectez-vous avec votre mot de passe, et prévenez l'administrateur de Guichet.",
            )))
        }
    }
}

fn redirect_url(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.public_url)
}

/// The sign-in page again, with why the sign-in did not happen; the state cookie goes.
fn refused(state: &AppState, provider: Option<&str>, status: StatusCode, error: &str) -> Response {
    let page = LoginPage {
        territory: state.catalogue.load().territory.territory.name.clone(),
        email: String::new(),
        error: error.to_owned(),
        sign_in_with: provider.map(str::to_owned).or_else(|| button(state)),
    };
    (status, [(header::SET_COOKIE, state_cookie("", 0))], page).into_response()
}

/// SameSite=Lax, not Strict: the callback is a top-level navigation from the provider's
/// site, on which a Strict cookie would not be sent. Only the callback's path gets it.
fn state_cookie(value: &str, max_age_secs: i64) -> String {
    format!(
        "{STATE_COOKIE}={value}; Path={CALLBACK_PATH}; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age_secs}"
    )
}

/// `GET /bureau/connexion/oidc`: sends the browser to the provider.
pub async fn begin(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
) -> Result<Response, PageError> {
    let settings = match settings(&state) {
        Ok(settings) => settings,
        Err(page) => return Ok(*page),
    };
    // Each start stores a row: the sign-in limit of the client's address bounds them.
    if let Err(wait) = state.login_limiter.check(ip) {
        return Err(AppError::TooManyRequests(
            format!(
                "Trop de tentatives de connexion depuis ce poste. Patientez {} avant de réessayer.",
                crate::web::rate_limits::wait_fr(wait)
            ),
            wait,
        )
        .into());
    }
    match state
        .oidc
        .begin(state.store.as_ref(), &settings, &redirect_url(&state))
        .await
    {
        Ok(begun) => Ok((
            [(
                header::SET_COOKIE,
                state_cookie(&begun.state, auth::oidc::SIGN_IN_TTL.whole_seconds()),
            )],
            Redirect::to(begun.authorize_url.as_str()),
        )
            .into_response()),
        Err(refusal) => Ok(answer_refusal(&state, &settings, refusal)?),
    }
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// `GET /bureau/connexion/oidc/retour`: the provider's answer. Signs in, or says why not.
pub async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let settings = match settings(&state) {
        Ok(settings) => settings,
        Err(page) => return Ok(*page),
    };
    let Ok(Query(query)) = query else {
        return Ok(answer_refusal(&state, &settings, Refusal::Expired)?);
    };
    let callback = Callback {
        state: query.state.as_deref(),
        code: query.code.as_deref(),
        error: query.error.as_deref(),
        issuer: query.iss.as_deref(),
        cookie_state: session::cookie_value(&headers, STATE_COOKIE),
    };
    let identity = match state
        .oidc
        .finish(
            state.store.as_ref(),
            &settings,
            &redirect_url(&state),
            callback,
        )
        .await
    {
        Ok(identity) => identity,
        Err(refusal) => return Ok(answer_refusal(&state, &settings, refusal)?),
    };
    let user = match auth::oidc::admit(&state.store, &settings, &identity).await {
        Ok(user) => user,
        Err(refusal) => return Ok(answer_refusal(&state, &settings, refusal)?),
    };
    let (token, _) = auth::open_session(&state.store, &user).await?;
    tracing::info!(user = %user.id, method = "oidc", "signed in");
    let target = super::landing(user.role);
    let mut response = SignedInPage {
        territory: state.catalogue.load().territory.territory.name.clone(),
        target,
    }
    .into_response();
    let cookies = response.headers_mut();
    for cookie in [
        session::set_cookie(token.as_str(), auth::SESSION_TTL.whole_seconds()),
        state_cookie("", 0),
    ] {
        cookies.append(
            header::SET_COOKIE,
            cookie.parse().map_err(|_| {
                AppError::Internal(anyhow::anyhow!("a cookie that is not a header value"))
            })?,
        );
    }
    Ok(response)
}

/// The sign-in page with the refusal in plain French; what went wrong at the provider is
/// logged, never the address or a token.
fn answer_refusal(
    state: &AppState,
    settings: &Settings,
    refusal: Refusal,
) -> Result<Response, AppError> {
    let provider = settings.name.as_str();
    let (status, message) = match refusal {
        Refusal::Expired => (
            StatusCode::BAD_REQUEST,
            "Cette tentative de connexion a expiré ou n'a pas été commencée dans ce navigateur. Recommencez depuis cette page.".to_owned(),
        ),
        Refusal::Cancelled(error) => {
            tracing::info!(error = %error, "the provider ended a sign-in without signing in");
            (
                StatusCode::FORBIDDEN,
                format!("La connexion avec {provider} n'a pas abouti (annulée ou refusée). Recommencez, ou connectez-vous avec votre mot de passe."),
            )
        }
        Refusal::Provider(why) => {
            tracing::warn!("OpenID Connect sign-in failed at the provider: {why}");
            (
                StatusCode::BAD_GATEWAY,
                format!("{provider} n'a pas répondu comme prévu. Réessayez dans un moment, ou connectez-vous avec votre mot de passe."),
            )
        }
        Refusal::NoEmail => (
            StatusCode::FORBIDDEN,
            format!("{provider} n'a pas transmis votre adresse électronique, qui sert à retrouver votre compte. Autorisez-la lors de la connexion, ou demandez à un administrateur."),
        ),
        Refusal::Unverified => (
            StatusCode::FORBIDDEN,
            format!("{provider} n'indique pas que votre adresse électronique est vérifiée. Faites-la vérifier auprès de {provider}, puis reconnectez-vous."),
        ),
        Refusal::Unknown => (
            StatusCode::FORBIDDEN,
            "Aucun compte du bureau n'est ouvert pour votre adresse électronique. Demandez à un administrateur de vous en créer un, puis reconnectez-vous.".to_owned(),
        ),
        Refusal::Disabled => (
            StatusCode::FORBIDDEN,
            "Votre compte est désactivé. Adressez-vous à un administrateur pour le réactiver.".to_owned(),
        ),
        Refusal::Store(err) => return Err(err.into()),
    };
    Ok(refused(state, Some(provider), status, &message))
}
