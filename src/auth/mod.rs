//! Staff authentication: passwords, login with a lock per (address, client), sessions and
//! API tokens.
//!
//! Sessions and API tokens are 256-bit random capabilities; the database keeps only their
//! SHA-256 hashes. A session also carries a CSRF token, which every state-changing form
//! sends back.

pub mod oidc;
pub mod password;
mod rate_limit;

use std::net::IpAddr;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use rate_limit::RateLimiter;

use crate::domain::Capability;
use crate::store::{StaffUser, Store, StoreError};

// Why failed logins lock a pair, not an account.
//
// Locking an *account* after a few wrong passwords hands anyone a way to keep an agent out of
// work (type their address five times), and answering "locked" for a real account and
// "incorrect" for an unknown one lists the staff's addresses. So, as OWASP's authentication
// cheat sheet recommends:
// - attempts are counted per (e-mail address as typed, client address), whether or not an
//   account has that address, and the [`LOCK_AFTER`]-th attempt within a quiet spell locks
//   that pair for [`LOCK_FOR`]: the stranger locks themselves out, while the agent's own
//   workstation still signs in;
// - every attempt on an address waits a little longer once the address has had
//   [`LOCK_AFTER`] recent attempts from anywhere (doubling from [`FIRST_DELAY`] up to
//   [`MAX_DELAY`]), which slows a guesser spread over many addresses but stays short for
//   the agent;
// - an unknown address, a wrong password, a disabled account and a locked pair give one
//   answer (same status, text and headers) after the same work: a password hash is checked
//   every time, against a dummy when there is nothing real to check;
// - attempts are counted *before* the password is checked, so parallel ones cannot slip
//   past the count; a success forgets its pair, and `guichet user reset` every pair of the
//   address.
// The per-client-address rate limit (in `web`) comes on top. Behind a reverse proxy every
// client has the proxy's address until forwarded headers are trusted; IPv6 clients are
// counted per /64, the block one subscriber usually holds.

/// Attempts from one client address on one e-mail address before that pair is locked.
pub const LOCK_AFTER: u32 = 5;
/// How long a pair stays locked, and how long a quiet spell makes it start again.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// The wait added once an address has had [`LOCK_AFTER`] recent attempts; it doubles with
/// each further one, up to [`MAX_DELAY`].
pub const FIRST_DELAY: std::time::Duration = std::time::Duration::from_millis(250);
pub const MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(2);
/// How long a session lasts (a working day), whatever its use.
pub const SESSION_TTL: Duration = Duration::hours(10);

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown address, wrong password, disabled account or locked pair: one answer for all.
    #[error("invalid credentials")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Checks an e-mail address and password typed from `client`, under the policy above.
pub async fn authenticate(
    store: &Arc<dyn Store>,
    email: &str,
    password: &str,
    client: IpAddr,
) -> Result<StaffUser, LoginError> {
    let email = email.trim().to_lowercase();
    let client = client_key(client);
    let count = store
        .count_login_attempt(
            &email,
            &client,
            LOCK_AFTER,
            LOCK_FOR,
            OffsetDateTime::now_utc(),
        )
        .await?;
    tokio::time::sleep(delay_after(count.on_address.saturating_sub(1))).await;
    let user = store
        .user_by_email(&email)
        .await?
        .filter(|u| !u.disabled && count.from_client <= LOCK_AFTER);
    let password = password.to_owned();
    let Some(user) = user else {
        tokio::task::spawn_blocking(move || password::waste_time(&password))
            .await
            .map_err(anyhow::Error::from)?;
        return Err(LoginError::Invalid);
    };
    let phc = user.password_hash.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .map_err(anyhow::Error::from)?;
    if !matches {
        return Err(LoginError::Invalid);
    }
    store.clear_login_attempts(&email, &client).await?;
    Ok(user)
}

/// The wait before checking an attempt on an address that had `earlier` recent attempts.
pub fn delay_after(earlier: u32) -> std::time::Duration {
    match earlier.checked_sub(LOCK_AFTER) {
        None => std::time::Duration::ZERO,
        Some(beyond) => FIRST_DELAY
            .saturating_mul(1u32 << beyond.min(16))
            .min(MAX_DELAY),
    }
}

/// The client as the lock counts it: an IPv4 address, or the /64 of an IPv6 one (one
/// subscriber's block, which a guesser could otherwise walk through).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_grows_from_the_lock_threshold_and_stays_short() {
        assert_eq!(delay_after(0), std::time::Duration::ZERO);
        assert_eq!(delay_after(LOCK_AFTER - 1), std::time::Duration::ZERO);
        assert_eq!(delay_after(LOCK_AFTER), FIRST_DELAY);
        assert_eq!(delay_after(LOCK_AFTER + 1), FIRST_DELAY * 2);
        assert_eq!(delay_after(LOCK_AFTER + 30), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(client_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }
}
