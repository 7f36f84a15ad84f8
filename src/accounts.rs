//! Staff accounts, changed the same way from the command line (`guichet user …`) and the
//! back office (`/bureau/admin/comptes`): the access an admin gives, checked against the
//! catalogue; password-set links (an invitation, or "mot de passe oublié"); every change
//! recorded in the account's history by the store, in the change's own transaction.
//!
//! A password-set link is a 256-bit capability, like a tracking link: the e-mail holds the
//! token, the database only its SHA-256. It works once, for [`LINK_TTL`], only while the
//! account is enabled, and a later link, a new password or disabling the account spends it.
//! The e-mail goes through the outbox (durable, retried), its link removed from the stored
//! row once delivered.

use std::sync::Arc;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::auth::password;
use crate::catalogue::territory::Territory;
use crate::domain::Capability;
use crate::domain::account::{Access, AccountProblem, LinkReason, StaffEmail};
use crate::domain::outbox::{OutboxChannel, OutboxMessage};
use crate::domain::{CommuneSlug, Role, ServiceId};
use crate::store::staff::{AccountActor, NewPasswordLink};
use crate::store::{NewStaffUser, StaffUser, Store, StoreError};

/// How long a password-set link works.
pub const LINK_TTL: Duration = Duration::hours(24);
/// "Mot de passe oublié" sends an account at most one link in this time, however often it
/// is asked: the form cannot be used to flood someone's mailbox.
pub const FORGOTTEN_EVERY: Duration = Duration::minutes(5);

/// Where a link's e-mail points, and whose it says it is.
#[derive(Debug, Clone)]
pub struct Site {
    /// The public origin, without a trailing slash.
    pub public_url: String,
    /// The territory's name, signed under the e-mail.
    pub territory: String,
}

/// The path of a password-set link's page, for a token.
pub fn link_path(token: &str) -> String {
    format!("/bureau/mot-de-passe/nouveau/{token}")
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// What the admin asked is not possible; the problem says why, in both languages.
    #[error("{0}")]
    Problem(#[from] AccountProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// An access as typed (role, service ids, commune slugs), checked: the scope fits the role
/// and names services and communes of the territory.
pub fn check_access(
    territory: &Territory,
    role: &str,
    services: &[String],
    communes: &[String],
    site_editor: bool,
) -> Result<Access, AccountProblem> {
    let role = Role::parse(role).map_err(|_| AccountProblem::UnknownRole(role.trim().into()))?;
    let services = services
        .iter()
        .map(|id| {
            territory
                .service(id)
                .and_then(|_| ServiceId::try_from(id.clone()).ok())
                .ok_or_else(|| AccountProblem::UnknownService(id.chars().take(60).collect()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let communes = communes
        .iter()
        .map(|slug| {
            territory
                .commune(slug)
                .and_then(|_| CommuneSlug::try_from(slug.clone()).ok())
                .ok_or_else(|| AccountProblem::UnknownCommune(slug.chars().take(60).collect()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Access::new(role, services, communes, site_editor)
}

/// Creates an account with this password hash (see [`unusable_password_hash`] for one
/// whose owner will choose it from a link).
pub async fn create(
    store: &Arc<dyn Store>,
    email: StaffEmail,
    name: String,
    access: Access,
    password_hash: String,
    by: &AccountActor,
) -> Result<StaffUser, AccountError> {
    let email = email.into_string();
    let new = NewStaffUser {
        email: email.clone(),
        name,
        role: access.role,
        services: access.services,
        communes: access.communes,
        site_editor: access.site_editor,
        password_hash,
    };
    match store.create_user(new, by).await {
        Err(StoreError::Refused(_)) => Err(AccountProblem::Taken(email).into()),
        other => Ok(other?),
    }
}

/// The hash of a random password nobody knows: an account made in the back office has no
/// password until its owner chooses one from a link, and signing in to it before then
/// costs the same time as to any other (no way to tell such accounts apart).
pub async fn unusable_password_hash() -> anyhow::Result<String> {
    password::hash_async(Capability::generate().as_str().to_owned()).await
}

/// Makes a link for `user`, queues its e-mail and records it (one transaction).
pub async fn send_password_link(
    store: &Arc<dyn Store>,
    user: &StaffUser,
    reason: LinkReason,
    by: &AccountActor,
    site: &Site,
) -> Result<(), StoreError> {
    let token = Capability::generate();
    let expires_at = by.at + LINK_TTL;
    let mail = OutboxMessage {
        channel: OutboxChannel::Email,
        target: user.email.clone(),
        kind: "password_link".into(),
        payload: json!({
            "name": user.name,
            "email": user.email,
            "reason": reason.as_str(),
            "link_url": format!("{}{}", site.public_url, link_path(token.as_str())),
            "expires": crate::domain::time::date_fr(expires_at),
            "territory": site.territory,
        }),
        not_before: None,
    };
    store
        .issue_password_link(
            &NewPasswordLink {
                user_id: user.id.clone(),
                token_hash: token.hash(),
                reason,
                created_at: by.at,
                expires_at,
            },
            &mail,
            by,
        )
        .await
}

/// "Mot de passe oublié": sends a link to the address if an enabled account has it and no
/// link went to it in the last [`FORGOTTEN_EVERY`]; otherwise does nothing. The caller
/// answers the same either way.
pub async fn forgotten_password(
    store: &Arc<dyn Store>,
    email: &str,
    site: &Site,
) -> Result<bool, StoreError> {
    let Ok(email) = StaffEmail::parse(email) else {
        return Ok(false);
    };
    let Some(user) = store.user_by_email(email.as_str()).await? else {
        return Ok(false);
    };
    if user.disabled {
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc();
    if store
        .last_password_link_at(&user.id)
        .await?
        .is_some_and(|at| now - at < FORGOTTEN_EVERY)
    {
        return Ok(false);
    }
    let by = AccountActor {
        actor: user.email.clone(),
        at: now,
    };
    send_password_link(store, &user, LinkReason::Forgotten, &by, site).await?;
    Ok(true)
}

/// Why a password could not be set from a link.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Unknown, used, replaced, expired, or its account disabled: one answer for all.
    #[error("the link does not work")]
    Dead,
    /// The password is refused (too short…), in French.
    #[error("{0}")]
    Weak(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The enabled account a live link is for.
pub async fn link_account(store: &Arc<dyn Store>, token: &str) -> Result<StaffUser, LinkError> {
    let token = Capability::parse(token).map_err(|_| LinkError::Dead)?;
    store
        .password_link_account(&token.hash(), OffsetDateTime::now_utc())
        .await?
        .ok_or(LinkError::Dead)
}

/// Sets the password a person chose on a link's page, with the same rules as everywhere
/// ([`password::check_new`]), and spends the link. Returns the account, signed in by the
/// caller.
pub async fn set_password_from_link(
    store: &Arc<dyn Store>,
    token: &str,
    new_password: String,
) -> Result<StaffUser, LinkError> {
    let token = Capability::parse(token).map_err(|_| LinkError::Dead)?;
    password::check_new(&new_password).map_err(LinkError::Weak)?;
    let hash = password::hash_async(new_password).await?;
    store
        .use_password_link(&token.hash(), &hash, OffsetDateTime::now_utc())
        .await?
        .ok_or(LinkError::Dead)
}
