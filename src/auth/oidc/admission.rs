//! Who a provider's identity signs in as: the account with the same e-mail address, which the
//! provider must say it verified. An address without an account signs in only when its
//! domain is allowed, and then gets one, with the configured role and scope.

use std::sync::Arc;

use super::{Identity, Refusal, Settings};
use crate::store::staff::AccountActor;
use crate::store::{NewStaffUser, StaffUser, Store, StoreError};

/// The author, in an account's history, of an account created on its first sign-in.
pub const FIRST_SIGN_IN: &str = "première connexion OpenID Connect";

/// The account `identity` signs in as, created if its domain is allowed.
pub async fn admit(
    store: &Arc<dyn Store>,
    settings: &Settings,
    identity: &Identity,
) -> Result<StaffUser, Refusal> {
    let email = identity
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| e.contains('@') && e.len() <= 254)
        .ok_or(Refusal::NoEmail)?;
    if identity.email_verified != Some(true) && !settings.assume_email_verified {
        return Err(Refusal::Unverified);
    }
    if let Some(user) = store.user_by_email(&email).await? {
        return if user.disabled {
            Err(Refusal::Disabled)
        } else {
            Ok(user)
        };
    }
    let Some(policy) = settings
        .new_accounts
        .as_ref()
        .filter(|_| settings.allows_domain_of(&email))
    else {
        return Err(Refusal::Unknown);
    };
    let name = identity
        .name
        .clone()
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned());
    let created = store
        .create_user(
            NewStaffUser {
                email: email.clone(),
                name: name.chars().take(200).collect(),
                role: policy.role,
                services: policy.services.clone(),
                communes: policy.communes.clone(),
                // No password: the account signs in through the provider until an admin or a
                // password-set link gives it one. An empty hash never verifies.
                password_hash: String::new(),
                site_editor: false,
            },
            // The account's history names who created it: the provider's first sign-in.
            &AccountActor::now(FIRST_SIGN_IN),
        )
        .await;
    match created {
        Ok(user) => {
            tracing::info!(user = %user.id, role = %user.role, "account created on first sign-in through the provider");
            Ok(user)
        }
        // A second tab finishing at the same moment created it first.
        Err(StoreError::Refused(_)) => store
            .user_by_email(&email)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Refusal::Disabled),
        Err(err) => Err(err.into()),
    }
}
