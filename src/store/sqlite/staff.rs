//! SQLite: staff accounts, login attempts, sessions and API tokens.

use crate::domain::account::{Access, AccountEventKind};
use crate::domain::outbox::OutboxMessage;
use crate::store::row::ReadRow;
use crate::store::staff::{
    API_TOKEN_ID_LEN, AccountActor, AccountEvent, ApiTokenInfo, NewApiToken, NewPasswordLink,
    access_json, account_event, api_token_info,
};
use async_trait::async_trait;
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{SqliteStore, is_unique_violation_on, other};
use crate::store::staff::staff_user;
use crate::store::{
    LoginCount, NewStaffUser, Session, StaffStore, StaffUser, StoreError, format_time, parse_time,
};

const USER_COLUMNS: &str = "u.id, u.email, u.name, u.role, u.services, u.communes, u.disabled, u.password_hash, u.created_at, u.last_sign_in_at,
    EXISTS (SELECT 1 FROM site_editors e WHERE e.email = u.email) AS site_editor";

/// Appends to an account's history, in the caller's transaction.
async fn record(
    tx: &mut sqlx::SqliteConnection,
    account_id: &str,
    kind: AccountEventKind,
    by: &AccountActor,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO account_events (account_id, kind, actor, detail, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(&by.actor)
    .bind(detail.to_string())
    .bind(format_time(by.at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Spends every live password link of the account.
async fn spend_links(
    tx: &mut sqlx::SqliteConnection,
    account_id: &str,
    at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE password_links SET spent_at = ? WHERE account_id = ? AND spent_at IS NULL")
        .bind(format_time(at))
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn set_site_editor(
    tx: &mut sqlx::SqliteConnection,
    email: &str,
    editor: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(if editor {
        "INSERT INTO site_editors (email) VALUES (?) ON CONFLICT (email) DO NOTHING"
    } else {
        "DELETE FROM site_editors WHERE email = ?"
    })
    .bind(email)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets the password, forgets the address's failed logins, ends the sessions, spends the
/// links and records it.
async fn write_password(
    tx: &mut sqlx::SqliteConnection,
    email: &str,
    password_hash: &str,
    by: &AccountActor,
) -> Result<Option<String>, sqlx::Error> {
    let email = email.trim().to_lowercase();
    let id: Option<String> =
        sqlx::query_scalar("UPDATE staff_users SET password_hash = ? WHERE email = ? RETURNING id")
            .bind(password_hash)
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(id) = id else { return Ok(None) };
    sqlx::query("DELETE FROM staff_sessions WHERE user_id = ?")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE email = ?")
        .bind(&email)
        .execute(&mut *tx)
        .await?;
    spend_links(tx, &id, by.at).await?;
    record(tx, &id, AccountEventKind::PasswordSet, by, json!({})).await?;
    Ok(Some(id))
}

#[async_trait]
impl StaffStore for SqliteStore {
    async fn create_user(
        &self,
        user: NewStaffUser,
        by: &AccountActor,
    ) -> Result<StaffUser, StoreError> {
        let id = Uuid::new_v4().to_string();
        let email = user.email.trim().to_lowercase();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let result = sqlx::query(
            "INSERT INTO staff_users (id, email, name, role, services, communes, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(json!(user.services).to_string())
        .bind(json!(user.communes).to_string())
        .bind(&user.password_hash)
        .bind(format_time(by.at))
        .execute(&mut *tx)
        .await;
        match result {
            Err(err) if is_unique_violation_on(&err, "staff_users.email") => {
                return Err(StoreError::Refused(format!(
                    "an account already exists for {email}"
                )));
            }
            other => other?,
        };
        let access = Access {
            role: user.role,
            services: user.services,
            communes: user.communes,
            site_editor: user.site_editor,
        };
        set_site_editor(&mut tx, &email, access.site_editor).await?;
        record(
            &mut tx,
            &id,
            AccountEventKind::Created,
            by,
            json!({ "after": access_json(&user.name, &access) }),
        )
        .await?;
        tx.commit().await?;
        self.user_by_email(&email)
            .await?
            .ok_or_else(|| other("the account just created cannot be read back"))
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.email = ?"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(staff_user).transpose()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.id = ?"
        )))
        .bind(id)
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

    async fn change_access(
        &self,
        user_id: &str,
        name: &str,
        access: &Access,
        by: &AccountActor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM staff_users u WHERE u.id = ?"
        )))
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = row.as_ref().map(staff_user).transpose()? else {
            return Ok(false);
        };
        sqlx::query(
            "UPDATE staff_users SET name = ?, role = ?, services = ?, communes = ? WHERE id = ?",
        )
        .bind(name)
        .bind(access.role.as_str())
        .bind(json!(access.services).to_string())
        .bind(json!(access.communes).to_string())
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        set_site_editor(&mut tx, &before.email, access.site_editor).await?;
        record(
            &mut tx,
            user_id,
            AccountEventKind::AccessChanged,
            by,
            json!({
                "before": access_json(&before.name, &before.access()),
                "after": access_json(name, access),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_user_disabled(
        &self,
        email: &str,
        disabled: bool,
        by: &AccountActor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let row: Option<(String, bool)> =
            sqlx::query_as("SELECT id, disabled FROM staff_users WHERE email = ?")
                .bind(email.trim().to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((id, was_disabled)) = row else {
            return Ok(false);
        };
        if was_disabled == disabled {
            return Ok(true);
        }
        sqlx::query("UPDATE staff_users SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM staff_sessions WHERE user_id = ?")
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            // Revoked, not deleted: they stay listed with their last use.
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            )
            .bind(format_time(by.at))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            spend_links(&mut tx, &id, by.at).await?;
        }
        let kind = if disabled {
            AccountEventKind::Disabled
        } else {
            AccountEventKind::Enabled
        };
        record(&mut tx, &id, kind, by, json!({})).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_password(
        &self,
        email: &str,
        password_hash: &str,
        by: &AccountActor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let done = write_password(&mut tx, email, password_hash, by).await?;
        tx.commit().await?;
        Ok(done.is_some())
    }

    async fn issue_password_link(
        &self,
        link: &NewPasswordLink,
        mail: &OutboxMessage,
        by: &AccountActor,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        spend_links(&mut tx, &link.user_id, link.created_at).await?;
        sqlx::query(
            "INSERT INTO password_links (token_hash, account_id, reason, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&link.token_hash)
        .bind(&link.user_id)
        .bind(link.reason.as_str())
        .bind(format_time(link.created_at))
        .bind(format_time(link.expires_at))
        .execute(&mut *tx)
        .await?;
        super::outbox::insert_outbox(&mut tx, None, std::slice::from_ref(mail), link.created_at)
            .await?;
        record(
            &mut tx,
            &link.user_id,
            AccountEventKind::LinkSent,
            by,
            json!({ "reason": link.reason.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn password_link_account(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffUser>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM password_links l JOIN staff_users u ON u.id = l.account_id
             WHERE l.token_hash = ? AND l.spent_at IS NULL AND l.expires_at > ? AND u.disabled = 0"
        )))
        .bind(token_hash)
        .bind(format_time(now))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(staff_user).transpose()
    }

    async fn use_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffUser>, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let email: Option<String> = sqlx::query_scalar(
            "UPDATE password_links SET spent_at = ?1
             WHERE token_hash = ?2 AND spent_at IS NULL AND expires_at > ?1
               AND account_id IN (SELECT id FROM staff_users WHERE disabled = 0)
             RETURNING (SELECT email FROM staff_users WHERE id = account_id)",
        )
        .bind(format_time(now))
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(email) = email else {
            return Ok(None);
        };
        let by = AccountActor {
            actor: email.clone(),
            at: now,
        };
        write_password(&mut tx, &email, password_hash, &by).await?;
        tx.commit().await?;
        self.user_by_email(&email).await
    }

    async fn last_password_link_at(
        &self,
        user_id: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let at: Option<String> =
            sqlx::query_scalar("SELECT MAX(created_at) FROM password_links WHERE account_id = ?")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?;
        at.as_deref().map(parse_time).transpose()
    }

    async fn account_events(&self, user_id: &str) -> Result<Vec<AccountEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, actor, detail, created_at FROM account_events
             WHERE account_id = ? ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(account_event).collect()
    }

    async fn count_login_attempt(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError> {
        let (now_text, quiet_since) = (format_time(now), format_time(now - lock_for));
        let lock_until = format_time(now + lock_for);
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // A pair is stale once its lock has run out, or, unlocked, once it has been quiet
        // for `lock_for`: its next attempt counts from one again. (SET reads the old row.)
        let from_client: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (email, client, failures, last_failure_at, locked_until)
             VALUES (?1, ?2, 1, ?3, CASE WHEN ?4 <= 1 THEN ?5 END)
             ON CONFLICT (email, client) DO UPDATE SET
                failures = CASE WHEN (locked_until IS NOT NULL AND locked_until <= ?3)
                                  OR (locked_until IS NULL AND last_failure_at <= ?6)
                                THEN 1 ELSE failures + 1 END,
                locked_until = CASE
                    WHEN (locked_until IS NOT NULL AND locked_until <= ?3)
                      OR (locked_until IS NULL AND last_failure_at <= ?6)
                        THEN CASE WHEN ?4 <= 1 THEN ?5 END
                    WHEN locked_until IS NULL AND failures + 1 >= ?4 THEN ?5
                    ELSE locked_until END,
                last_failure_at = ?3
             RETURNING failures",
        )
        .bind(email)
        .bind(client)
        .bind(&now_text)
        .bind(i64::from(lock_after))
        .bind(&lock_until)
        .bind(&quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        let on_address: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(failures), 0) FROM login_failures
             WHERE email = ?1
               AND ((locked_until IS NOT NULL AND locked_until > ?2)
                 OR (locked_until IS NULL AND last_failure_at > ?3))",
        )
        .bind(email)
        .bind(&now_text)
        .bind(&quiet_since)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM login_failures
             WHERE last_failure_at <= ?2 AND (locked_until IS NULL OR locked_until <= ?1)",
        )
        .bind(&now_text)
        .bind(&quiet_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let count = |n: i64| n.clamp(0, i64::from(u32::MAX)) as u32;
        Ok(LoginCount {
            from_client: count(from_client),
            on_address: count(on_address),
        })
    }

    async fn clear_login_attempts(&self, email: &str, client: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE email = ? AND client = ?")
            .bind(email)
            .bind(client)
            .execute(&self.writer)
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
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // Expired sessions go when new ones come.
        sqlx::query("DELETE FROM staff_sessions WHERE expires_at < ?")
            .bind(format_time(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO staff_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(format_time(now))
            .bind(format_time(expires_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE staff_users SET last_sign_in_at = ? WHERE id = ?")
            .bind(format_time(now))
            .bind(user_id)
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
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0"
        )))
        .bind(token_hash)
        .bind(format_time(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Session {
                user: staff_user(&row)?,
                csrf_token: row.try_get("csrf_token")?,
                expires_at: parse_time(&row.try_get::<String, _>("session_expires_at")?)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn create_api_token(&self, token: &NewApiToken) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, created_at, name, expires_at, can_act)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&token.token_hash)
        .bind(&token.user_id)
        .bind(format_time(token.created_at))
        .bind(&token.name)
        .bind(format_time(token.expires_at))
        .bind(token.can_act)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(StaffUser, bool)>, StoreError> {
        let now_text = format_time(now);
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, t.can_act FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
             WHERE t.token_hash = ? AND u.disabled = 0 AND t.revoked_at IS NULL
               AND (t.expires_at IS NULL OR t.expires_at > ?)"
        )))
        .bind(token_hash)
        .bind(&now_text)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        // Its last use, to the minute: one write a minute at most, not one per call.
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = ?
             WHERE token_hash = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        )
        .bind(&now_text)
        .bind(token_hash)
        .bind(format_time(now - time::Duration::minutes(1)))
        .execute(&self.writer)
        .await?;
        Ok(Some((staff_user(&row)?, row.flag("can_act")?)))
    }

    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_hash, name, created_at, expires_at, can_act, last_used_at, revoked_at
             FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC",
        )
        .bind(user_id)
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
            "UPDATE api_tokens SET revoked_at = ?
             WHERE user_id = ? AND substr(token_hash, 1, 16) = ? AND revoked_at IS NULL",
        )
        .bind(format_time(now))
        .bind(user_id)
        .bind(id.to_ascii_lowercase())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}
