//! The Open311 API keys, for admins (`/bureau/admin/open311`): list them, create one (shown
//! once: only its SHA-256 is stored), revoke one. A revoked key stays listed, so an admin
//! can still see who had it and when it was last used.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::domain::{Capability, Role};
use crate::store::StaffUser;
use crate::store::open311::Open311Key;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;
use crate::web::public::date_fr;

/// An application's name: it is written into every request the key files
/// (`open311:<name>`), so it stays short and plain.
const MAX_NAME_CHARS: usize = 60;

pub struct KeyView {
    pub id: String,
    pub name: String,
    pub created: String,
    pub created_by: String,
    pub last_used: String,
    pub revoked: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/open311_keys.html")]
pub struct KeysPage {
    pub territory: String,
    pub me: Me,
    pub endpoint: String,
    pub keys: Vec<KeyView>,
    /// The application's name and the key just created, shown this once.
    pub created: Option<(String, String)>,
    pub error: String,
    pub max_name: usize,
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

async fn page(
    state: &AppState,
    signed: &Signed,
    created: Option<(String, String)>,
    error: String,
) -> Result<KeysPage, AppError> {
    let keys = state
        .store
        .open311_keys()
        .await?
        .into_iter()
        .map(view)
        .collect();
    Ok(KeysPage {
        territory: state.catalogue.load().territory.territory.name.clone(),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        endpoint: format!("{}/open311/v2", state.public_url),
        keys,
        created,
        error,
        max_name: MAX_NAME_CHARS,
    })
}

fn view(key: Open311Key) -> KeyView {
    KeyView {
        created: date_fr(key.created_at),
        last_used: key.last_used_at.map_or_else(|| "jamais".into(), date_fr),
        revoked: key.revoked_at.map(date_fr).unwrap_or_default(),
        created_by: key.created_by,
        name: key.name,
        id: key.id,
    }
}

pub async fn show(State(state): State<AppState>, signed: Signed) -> Result<KeysPage, PageError> {
    admin_only(&signed.session.user)?;
    Ok(page(&state, &signed, None, String::new()).await?)
}

/// Creates a key and shows it on the page this once; a refused name shows the page again
/// with the reason (422).
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    admin_only(user)?;
    let name = fields.get("name").map(|n| n.trim()).unwrap_or_default();
    if let Err(why) = application_name(name) {
        let page = page(&state, &signed, None, why).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let key = Capability::generate();
    state
        .store
        .create_open311_key(name, &key.hash(), &user.email, OffsetDateTime::now_utc())
        .await?;
    tracing::info!(application = %name, by = %user.email, "Open311 key created");
    let created = Some((name.to_owned(), key.as_str().to_owned()));
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
    admin_only(&signed.session.user)?;
    if !state
        .store
        .revoke_open311_key(&id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(AppError::NotFound(
            "Cette clé n'existe pas ou a déjà été révoquée : rechargez la page des clés.".into(),
        )
        .into());
    }
    tracing::info!(%id, by = %signed.session.user.email, "Open311 key revoked");
    Ok(Redirect::to("/bureau/admin/open311").into_response())
}

/// A name an admin can give an application: letters, digits, spaces and `-_.`, short.
fn application_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Donnez un nom à l'application (par exemple appli-signalements-agglo) avant de créer sa clé.".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "Le nom de l'application dépasse {MAX_NAME_CHARS} caractères : raccourcissez-le."
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || " -_.".contains(c))
    {
        return Err("Le nom de l'application ne peut contenir que des lettres, des chiffres, des espaces et les signes - _ . : retirez les autres caractères.".into());
    }
    Ok(())
}
