//! OpenID Connect sign-ins under way, as stored between the redirect to the provider and its
//! callback.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;

/// What finishing one sign-in needs, keyed by the hash of its `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// SHA-256 of the `state` parameter: the stored row alone cannot be replayed.
    pub state_hash: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// The PKCE code verifier the token request proves the code's origin with.
    pub pkce_verifier: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

#[async_trait]
pub trait OidcStore: Send + Sync {
    /// Keeps a sign-in until its callback (and forgets the expired ones).
    async fn save_oidc_sign_in(&self, pending: &PendingSignIn) -> Result<(), StoreError>;
    /// Takes the live sign-in with this state hash out of the store: single use, so a
    /// replayed callback finds nothing. `None` if unknown, already taken or expired.
    async fn take_oidc_sign_in(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<PendingSignIn>, StoreError>;
}
