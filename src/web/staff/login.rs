//! Signing in and out, and changing one's password.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::Me;
use super::session::{self, ClientIp, Signed};
use crate::auth::{self, LoginError, password};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;

#[derive(Template, WebTemplate)]
#[template(path = "staff/login.html")]
pub struct LoginPage {
    pub territory: String,
    pub email: String,
    pub error: String,
    /// The OpenID Connect provider's name, when staff may sign in through it.
    pub sign_in_with: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/password.html")]
pub struct PasswordPage {
    pub territory: String,
    pub me: Me,
    pub error: String,
    pub done: bool,
}

fn territory(state: &AppState) -> String {
    state.catalogue.load().territory.territory.name.clone()
}

pub async fn show(State(state): State<AppState>) -> LoginPage {
    LoginPage {
        territory: territory(&state),
        email: String::new(),
        error: String::new(),
        sign_in_with: super::oidc::button(&state),
    }
}

pub async fn post(
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
    let password = fields.get("password").cloned().unwrap_or_default();
    let page = |status: StatusCode, error: &str| {
        (
            status,
            LoginPage {
                territory: territory(&state),
                email: email.clone(),
                error: error.to_owned(),
                sign_in_with: super::oidc::button(&state),
            },
        )
            .into_response()
    };
    if let Err(wait) = state.login_limiter.check(ip) {
        let mut refused = page(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Trop de tentatives de connexion depuis ce poste. Patientez {} avant de réessayer.",
                crate::web::rate_limits::wait_fr(wait)
            ),
        );
        refused
            .headers_mut()
            .insert(header::RETRY_AFTER, crate::web::error::retry_after(wait));
        return Ok(refused);
    }
    if email.is_empty() || password.is_empty() {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Saisissez votre adresse électronique et votre mot de passe.",
        ));
    }
    match auth::authenticate(&state.store, &email, &password, ip).await {
        Ok(user) => {
            let (token, _) = auth::open_session(&state.store, &user).await?;
            tracing::info!(user = %user.id, method = "password", "signed in");
            let target = super::landing(user.role);
            Ok((
                [(
                    header::SET_COOKIE,
                    session::set_cookie(token.as_str(), auth::SESSION_TTL.whole_seconds()),
                )],
                Redirect::to(target),
            )
                .into_response())
        }
        // One answer whatever went wrong, so it tells nothing about which addresses have an
        // account or which pair is locked (see `crate::auth`).
        Err(LoginError::Invalid) => Ok(page(
            StatusCode::UNAUTHORIZED,
            "Adresse électronique ou mot de passe incorrect. Après cinq essais manqués, ce poste doit attendre un quart d'heure avant de réessayer avec cette adresse ; en cas d'oubli, suivez « Mot de passe oublié ? ».",
        )),
        Err(LoginError::Store(err)) => Err(err.into()),
        Err(LoginError::Internal(err)) => Err(AppError::Internal(err).into()),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    state.store.delete_session(&signed.token_hash).await?;
    Ok((
        [(header::SET_COOKIE, session::set_cookie("", 0))],
        Redirect::to("/bureau/connexion"),
    )
        .into_response())
}

pub async fn password_page(State(state): State<AppState>, signed: Signed) -> PasswordPage {
    PasswordPage {
        territory: territory(&state),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        error: String::new(),
        done: false,
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (current, new, again) = (get("current"), get("new"), get("again"));
    let refuse = |error: String| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            PasswordPage {
                territory: territory(&state),
                me: Me::of(user, &signed.session.csrf_token),
                error,
                done: false,
            },
        )
            .into_response()
    };
    if let Err(message) = password::check_new(&new) {
        return Ok(refuse(message));
    }
    if new != again {
        return Ok(refuse(
            "Les deux saisies du nouveau mot de passe diffèrent : retapez-les.".into(),
        ));
    }
    match auth::authenticate(&state.store, &user.email, &current, ip).await {
        Ok(_) => {}
        Err(LoginError::Invalid) => {
            return Ok(refuse("Le mot de passe actuel est incorrect.".into()));
        }
        Err(LoginError::Store(err)) => return Err(err.into()),
        Err(LoginError::Internal(err)) => return Err(AppError::Internal(err).into()),
    }
    let hash = password::hash_async(new)
        .await
        .map_err(AppError::Internal)?;
    // Every session ends, this one included: sign in again with the new password.
    state
        .store
        .set_password(
            &user.email,
            &hash,
            &crate::store::staff::AccountActor::now(&user.email),
        )
        .await?;
    Ok((
        [(header::SET_COOKIE, session::set_cookie("", 0))],
        PasswordPage {
            territory: territory(&state),
            me: Me::of(user, ""),
            error: String::new(),
            done: true,
        },
    )
        .into_response())
}
