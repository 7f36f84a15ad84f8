//! Staff accounts, their sessions and API tokens, as stored.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use super::handling::Scope;
use crate::domain::{CommuneSlug, Role, ServiceId};

#[derive(Debug, Clone, PartialEq)]
pub struct StaffUser {
    pub id: String,
    /// Lower-case; also how the account appears as an actor in request histories.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub services: Vec<ServiceId>,
    pub communes: Vec<CommuneSlug>,
    pub disabled: bool,
    /// argon2id, PHC string format.
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

impl StaffUser {
    /// The requests this account may read.
    pub fn scope(&self) -> Scope {
        match self.role {
            Role::Admin => Scope::All,
            Role::Agent => Scope::Services(self.services.clone()),
            Role::Elu => Scope::Communes {
                communes: self.communes.clone(),
                filed_by: self.email.clone(),
            },
            Role::Designer | Role::Redacteur => Scope::Nothing,
        }
    }

    /// Whether this account handles requests (takes, answers, transfers…).
    pub fn handles_requests(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Agent)
    }

    /// Whether this account may see internal notes.
    pub fn sees_internal_notes(&self) -> bool {
        self.handles_requests()
    }
}

/// Login attempts on one e-mail address (as typed, whether or not an account has it), once
/// the current one is counted; see `crate::auth` for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginCount {
    /// Attempts from this client address since its last success or quiet spell, this one
    /// included.
    pub from_client: u32,
    /// Recent attempts on the address from every client, this one included.
    pub on_address: u32,
}

#[derive(Debug, Clone)]
pub struct NewStaffUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub services: Vec<ServiceId>,
    pub communes: Vec<CommuneSlug>,
    pub password_hash: String,
}

/// A signed-in person: their account and their session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: StaffUser,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

/// Staff accounts, their logins, sessions and API tokens.
#[async_trait]
pub trait StaffStore: Send + Sync {
    /// `Refused` if the e-mail address is taken.
    async fn create_user(&self, user: NewStaffUser) -> Result<StaffUser, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError>;
    async fn list_users(&self) -> Result<Vec<StaffUser>, StoreError>;
    /// Disables or re-enables an account; disabling ends its sessions and tokens. `false` if
    /// there is no such account.
    async fn set_user_disabled(&self, email: &str, disabled: bool) -> Result<bool, StoreError>;
    /// Sets a new password, forgets the failed logins on the address (from every client),
    /// and ends every session of the account.
    async fn set_password(&self, email: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// Counts a login attempt on `email` from `client` before its password is checked, so
    /// that parallel attempts cannot slip past the count. Attempts from one client address
    /// accumulate while each comes within `lock_for` of the previous one; the `lock_after`-th
    /// locks the pair until `now + lock_for`, after which it starts again from one. Also
    /// forgets pairs that have gone quiet.
    async fn count_login_attempt(
        &self,
        email: &str,
        client: &str,
        lock_after: u32,
        lock_for: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LoginCount, StoreError>;
    /// Forgets the attempts on `email` from `client` (a successful login).
    async fn clear_login_attempts(&self, email: &str, client: &str) -> Result<(), StoreError>;
    async fn create_session(
        &self,
        user_id: &str,
        token_hash: &str,
        csrf_token: &str,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The live session behind a cookie's token hash (not expired, account enabled).
    async fn session(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    async fn create_api_token(&self, token: &NewApiToken) -> Result<(), StoreError>;
    /// The enabled account behind a live API token's hash (not expired, not revoked), and
    /// whether the token may act; records its use (at most once a minute).
    async fn user_by_api_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(StaffUser, bool)>, StoreError>;
    /// An account's tokens, newest first, revoked and expired ones included.
    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiTokenInfo>, StoreError>;
    /// Revokes the account's token whose id (see [`ApiTokenInfo::id`]) is given; `false`
    /// when it has none such still live.
    async fn revoke_api_token(
        &self,
        user_id: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// How long a token lives unless its maker chooses otherwise.
pub const API_TOKEN_DEFAULT_DAYS: i64 = 90;

/// A token to store: only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: String,
    pub token_hash: String,
    /// What it is for, as its maker named it ("Logiciel de tournées").
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// False: it reads, it cannot act on requests.
    pub can_act: bool,
}

/// A token as its owner sees it in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTokenInfo {
    /// The first 16 hex digits of its hash: names it without revealing it.
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub can_act: bool,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// How many hex digits of a token's hash name it.
pub const API_TOKEN_ID_LEN: usize = 16;

/// A token's row (`token_hash, name, created_at, expires_at, can_act, last_used_at,
/// revoked_at`).
pub(super) fn api_token_info(row: &impl super::row::ReadRow) -> Result<ApiTokenInfo, StoreError> {
    let hash = row.text("token_hash")?;
    Ok(ApiTokenInfo {
        id: hash.chars().take(API_TOKEN_ID_LEN).collect(),
        name: row.text("name")?,
        created_at: row.time("created_at")?,
        expires_at: row.opt_time("expires_at")?,
        can_act: row.flag("can_act")?,
        last_used_at: row.opt_time("last_used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

/// A staff account (the columns of `USER_COLUMNS` in each database's module).
pub(super) fn staff_user(row: &impl super::row::ReadRow) -> Result<StaffUser, StoreError> {
    Ok(StaffUser {
        id: row.uuid("id")?.to_string(),
        email: row.text("email")?,
        name: row.text("name")?,
        role: row.parsed("role", Role::parse)?,
        services: row.decoded("services")?,
        communes: row.decoded("communes")?,
        disabled: row.flag("disabled")?,
        password_hash: row.text("password_hash")?,
        created_at: row.time("created_at")?,
    })
}
