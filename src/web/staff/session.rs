//! Who is signed in: the session cookie, read into the account behind it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use crate::auth;
use crate::domain::Capability;
use crate::store::Session;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};

pub const COOKIE: &str = "guichet_session";

/// A signed-in staff member. Extracting it from a request without a live session
/// redirects to the login page.
pub struct Signed {
    pub session: Session,
    pub token_hash: String,
}

impl Signed {
    /// Every state-changing form carries the session's CSRF token; a post without it (a
    /// forged form on another site) is refused.
    pub fn check_csrf(
        &self,
        fields: &std::collections::HashMap<String, String>,
    ) -> Result<(), AppError> {
        let sent = fields.get("_csrf").map(String::as_str).unwrap_or_default();
        if auth::same_secret(sent, &self.session.csrf_token) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Cette action a été refusée car le formulaire a expiré ou ne vient pas de Guichet. Rechargez la page et recommencez.".into(),
            ))
        }
    }
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie: HttpOnly (no script reads it), Secure (HTTPS only; browsers treat
/// http://localhost as secure; on a site declared plain HTTP `client::identify` drops
/// `Secure`, which browsers would refuse there), SameSite=Strict (never sent by another site's request).
pub fn set_cookie(token: &str, max_age_secs: i64) -> String {
    format!("{COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}")
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || Redirect::to("/bureau/connexion").into_response();
        let Some(token) =
            cookie_value(&parts.headers, COOKIE).and_then(|t| Capability::parse(t).ok())
        else {
            return Err(to_login());
        };
        let token_hash = token.hash();
        match state
            .store
            .session(&token_hash, OffsetDateTime::now_utc())
            .await
        {
            Ok(Some(session)) => Ok(Signed {
                session,
                token_hash,
            }),
            Ok(None) => Err(to_login()),
            Err(err) => Err(PageError(AppError::from(err)).into_response()),
        }
    }
}

/// The client's address, as [`crate::web::client`] worked it out (through a trusted proxy).
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let client = crate::web::client::ClientInfo::from_request_parts(parts, state).await?;
        Ok(ClientIp(client.address))
    }
}
