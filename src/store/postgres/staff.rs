//! PostgreSQL: staff accounts, login attempts, sessions and API tokens.

use crate::store::row::ReadRow;
use crate::store::staff::{API_TOKEN_ID_LEN, ApiTokenInfo, NewApiToken, api_token_info};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{PostgresStore, other, violates};
use crate::store::staff::staff_user;
use crate::store::{LoginCount, NewStaffUser, Session, StaffStore, StaffUser, StoreError};

pub(super) fn parse_user_id(id: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(id).map_err(|e| other(format!("bad account id {id}: {e}")))
}

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.services, u.communes, u.disabled, u.password_hash, u.created_at";

#[async_trait]
impl StaffStore for PostgresStore {
    async fn create_user(&self, user: NewStaffUser) -> Result<StaffUser, StoreError> {
        let result = sqlx::query(
            "INSERT INTO staff_users (id, email, name, role, services, communes, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::new_v4())
        .bind(user.email.to_lowercase())
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(Json(&user.services))
        .bind(Json(&user.communes))
        .bind(&user.password_hash)
        .bind(OffsetDateTime::now_utc())
        .execute(&self.pool)
        .await;
        match result {
            Err(err) if violates(&err, "staff_users_email_key") => {
                return Err(StoreError::Refused(format!(
                    "an account already exists for {}",
                    user.email
                )));
            }
            other => other?,
        };
        self.user_by_email(&user.email)
            .await?
            .ok_or_else(|| other("the account just created cannot be read back"))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.email = $1"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(staff_user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<StaffUser>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u ORDER BY u.email"
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(staff_user).collect()
    }

    async fn set_user_disabled(&self, email: &str, disabled: bool) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "UPDATE staff_users SET disabled = $1 WHERE email = $2 RETURNING id",
        )
        .bind(disabled)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        if disabled {
            sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn set_password(&self, email: &str, password_hash: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: Option<Uuid> = sqlx::query_scalar(
            "UPDATE staff_users SET password_hash = $1 WHERE email = $2 RETURNING id",
        )
        .bind(password_hash)
        .bind(email.trim().to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else { return Ok(false) };
        sqlx::query("DELETE FROM staff_sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn count_login_attempt(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError> {
        let quiet_since = now - lock_for;
        let lock_after = i32::try_from(lock_after).unwrap_or(i32::MAX);
        let mut tx = self.pool.begin().await?;
        // A pair is stale once its lock has run out, or, unlocked, once it has been quiet
        // for `lock_for`: its next attempt counts from one again. (SET reads the old row,
        // and the conflict locks it, so parallel attempts are all counted.)
        let from_client: i32 = sqlx::query_scalar(
            "INSERT INTO login_failures AS f (email, client, failures, last_failure_at, locked_until)
             VALUES ($1, $2, 1, $3, CASE WHEN $4 <= 1 THEN $5 END)
             ON CONFLICT (email, client) DO UPDATE SET
                failures = CASE WHEN (f.locked_until IS NOT NULL AND f.locked_until <= $3)
                                  OR (f.locked_until IS NULL AND f.last_failure_at <= $6)
                                THEN 1 ELSE f.failures + 1 END,
                locked_until = CASE
                    WHEN (f.locked_until IS NOT NULL AND f.locked_until <= $3)
                      OR (f.locked_until IS NULL AND f.last_failure_at <= $6)
                        THEN CASE WHEN $4 <= 1 THEN $5 END
                    WHEN f.locked_until IS NULL AND f.failures + 1 >= $4 THEN $5
                    ELSE f.locked_until END,
                last_failure_at = $3
             RETURNING f.failures",
        )
        .bind(email)
        .bind(client)
        .bind(now)
        .bind(lock_after)
        .bind(now + lock_for)
        .bind(quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        let on_address: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(failures), 0)::BIGINT FROM login_failures
             WHERE email = $1
               AND ((locked_until IS NOT NULL AND locked_until > $2)
                 OR (locked_until IS NULL AND last_failure_at > $3))",
        )
        .bind(email)
        .bind(now)
        .bind(quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM login_failures
             WHERE last_failure_at <= $2 AND (locked_until IS NULL OR locked_until <= $1)",
        )
        .bind(now)
        .bind(quiet_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(LoginCount {
            from_client: from_client.max(0) as u32,
            on_address: on_address.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }

    async fn clear_login_attempts(&self, email: &str, client: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = $1 AND client = $2")
            .bind(email)
            .bind(client)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.pool.begin().await?;
        // Expired sessions go when new ones come.
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(parse_user_id(user_id)?)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, s.csrf_token, s.expires_at AS session_expires_at
             FROM staff_sessions s JOIN staff_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                user: staff_user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: row.try_get("session_expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_api_token(&self, token: &NewApiToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, created_at, name, expires_at, can_act)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.token_hash)
        .bind(parse_user_id(&token.user_id)?)
        .bind(token.created_at)
        .bind(&token.name)
        .bind(token.expires_at)
        .bind(token.can_act)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(StaffUser, bool)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, t.can_act FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND NOT u.disabled AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > $2)"
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        // Its last use, to the minute: one write a minute at most, not one per call.
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE token_hash = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now - time::Duration::minutes(1))
        .execute(&self.pool)
        .await?;
        Ok(Some((staff_user(&row)?, row.flag("can_act")?)))
    }

    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_hash, name, created_at, expires_at, can_act, last_used_at, revoked_at
             FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(parse_user_id(user_id)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(api_token_info).collect()
    }

    async fn revoke_api_token(
        &self,
        user_id: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if id.len() != API_TOKEN_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1
             WHERE user_id = $2 AND substr(token_hash, 1, 16) = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(parse_user_id(user_id)?)
        .bind(id.to_ascii_lowercase())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
