//! PostgreSQL: OpenID Connect sign-ins under way.

use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::oidc::{OidcStore, PendingSignIn};

#[async_trait]
impl OidcStore for PostgresStore {
    async fn save_oidc_sign_in(&self, pending: &PendingSignIn) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM oidc_sign_ins WHERE expires_at < $1")
            .bind(pending.created_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_sign_ins (state_hash, nonce, pkce_verifier, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&pending.state_hash)
        .bind(&pending.nonce)
        .bind(&pending.pkce_verifier)
        .bind(pending.created_at)
        .bind(pending.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_oidc_sign_in(
        &self,
        state_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oidc_sign_ins WHERE state_hash = $1
             RETURNING state_hash, nonce, pkce_verifier, created_at, expires_at",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let pending = PendingSignIn {
            state_hash: row.try_get("state_hash")?,
            nonce: row.try_get("nonce")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok((pending.expires_at > now).then_some(pending))
    }
}
