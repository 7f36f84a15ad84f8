//! Staff authentication: passwords, login with lock-out, sessions and API tokens.
//!
//! Sessions and API tokens are 256-bit random capabilities; the database keeps only their
//! SHA-256 hashes. A session also carries a CSRF token, which every state-changing form
//! sends back.

pub mod password;
mod rate_limit;

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use rate_limit::RateLimiter;

use crate::domain::Capability;
use crate::store::{StaffUser, Store, StoreError};

/// Consecutive failures that lock an account.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// How long a session lasts (a working day), whatever its use.
pub const SESSION_TTL: Duration = Duration::hours(10);

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address, wrong password or disabled account: the same answer for all three.
    #[error("invalid credentials")]
    Invalid,
    #[error("account locked")]
    Locked { until: OffsetDateTime },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Checks an e-mail address and password, counting failures and locking the account after
/// [`LOCK_AFTER`] of them.
pub async fn authenticate(
    store: &Arc<dyn Store>,
    email: &str,
    password: &str,
) -> Result<StaffUser, LoginError> {
    let now = OffsetDateTime::now_utc();
    let user = store.user_by_email(email).await?;
    let password = password.to_owned();
    let Some(user) = user.filter(|u| !u.disabled) else {
        tokio::task::spawn_blocking(move || password::waste_time(&password))
            .await
            .map_err(anyhow::Error::from)?;
        return Err(LoginError::Invalid);
    };
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        return Err(LoginError::Locked { until });
    }
    let phc = user.password_hash.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .map_err(anyhow::Error::from)?;
    if !matches {
        store
            .record_login_failure(&user.id, LOCK_AFTER, LOCK_FOR, now)
            .await?;
        return Err(LoginError::Invalid);
    }
    store.record_login_success(&user.id).await?;
    Ok(user)
}

/// A new session for `user`: returns the cookie's token (the store keeps its hash) and the
/// CSRF token.
pub async fn open_session(
    store: &Arc<dyn Store>,
    user: &StaffUser,
) -> Result<(Capability, String), StoreError> {
    let token = Capability::generate();
    let csrf = Capability::generate().as_str().to_owned();
    store
        .create_session(
            &user.id,
            &token.hash(),
            &csrf,
            OffsetDateTime::now_utc() + SESSION_TTL,
        )
        .await?;
    Ok((token, csrf))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    // Hashing first makes the comparison length-independent too.
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
