//! Staff accounts, their sessions and API tokens, as stored.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use super::handling::Scope;
use crate::domain::account::{Access, AccountEventKind, LinkReason};
use crate::domain::outbox::OutboxMessage;
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
    /// An élu who also keeps the sites of their communes.
    pub site_editor: bool,
    pub disabled: bool,
    /// argon2id, PHC string format.
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    /// When a session was last opened for it; `None` before its first sign-in (or before
    /// sign-ins were recorded).
    pub last_sign_in_at: Option<OffsetDateTime>,
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
            // The front desk reads what it filed, like an élu of no commune.
            Role::Accueil => Scope::Communes {
                communes: Vec::new(),
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

    /// Its role and scope.
    pub fn access(&self) -> Access {
        Access {
            role: self.role,
            services: self.services.clone(),
            communes: self.communes.clone(),
            site_editor: self.site_editor,
        }
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
    /// An élu who also keeps the sites of their communes.
    pub site_editor: bool,
    pub password_hash: String,
}

/// Who changed an account, and when: an admin's e-mail address, the account's own (a
/// password chosen from a link, a forgotten password), or [`COMMAND_LINE`].
#[derive(Debug, Clone)]
pub struct AccountActor {
    pub actor: String,
    pub at: OffsetDateTime,
}

/// The actor of changes made with `guichet user …`.
pub const COMMAND_LINE: &str = "ligne de commande";

impl AccountActor {
    pub fn now(actor: &str) -> AccountActor {
        AccountActor {
            actor: actor.to_owned(),
            at: OffsetDateTime::now_utc(),
        }
    }
}

/// One record of an account's history.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountEvent {
    pub kind: AccountEventKind,
    pub actor: String,
    /// What changed: `{before, after}` accesses, a link's `reason`, the new account's access.
    pub detail: serde_json::Value,
    pub at: OffsetDateTime,
}

/// A password-set link to store: only its token's hash is kept.
#[derive(Debug, Clone)]
pub struct NewPasswordLink {
    pub user_id: String,
    pub token_hash: String,
    pub reason: LinkReason,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An access as an account's history records it.
pub fn access_json(name: &str, access: &Access) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "role": access.role.as_str(),
        "services": access.services,
        "communes": access.communes,
        "site_editor": access.site_editor,
    })
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
    /// Creates the account and records it in its history, in one transaction. `Refused` if
    /// the e-mail address is taken.
    async fn create_user(
        &self,
        user: NewStaffUser,
        by: &AccountActor,
    ) -> Result<StaffUser, StoreError>;
    async fn user_by_email(&self, email: &str) -> Result<Option<StaffUser>, StoreError>;
    async fn user_by_id(&self, id: &str) -> Result<Option<StaffUser>, StoreError>;
    async fn list_users(&self) -> Result<Vec<StaffUser>, StoreError>;
    /// Every account's (e-mail address, display name): how the back office names the
    /// people in a request's history. Staff are a few hundred at most.
    async fn staff_names(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.email, u.name))
            .collect())
    }
    /// Gives the account this name and access (rédacteur rights included) and records the
    /// change, before and after, in its history. `false` if there is no such account. Its
    /// sessions and tokens read the account afresh on every request, so the change holds
    /// from the next one.
    async fn change_access(
        &self,
        user_id: &str,
        name: &str,
        access: &Access,
        by: &AccountActor,
    ) -> Result<bool, StoreError>;
    /// Disables or re-enables an account, and records it when its state changes. Disabling
    /// ends its sessions, revokes its API tokens and spends its password links, in the same
    /// transaction. `false` if there is no such account.
    async fn set_user_disabled(
        &self,
        email: &str,
        disabled: bool,
        by: &AccountActor,
    ) -> Result<bool, StoreError>;
    /// Sets a new password, forgets the failed logins on the address (from every client),
    /// ends every session of the account, spends its password links, and records it.
    async fn set_password(
        &self,
        email: &str,
        password_hash: &str,
        by: &AccountActor,
    ) -> Result<bool, StoreError>;
    /// Stores a password-set link, spends the account's earlier ones, queues its e-mail
    /// (an outbox row about no request) and records it, in one transaction.
    async fn issue_password_link(
        &self,
        link: &NewPasswordLink,
        mail: &OutboxMessage,
        by: &AccountActor,
    ) -> Result<(), StoreError>;
    /// The enabled account whose live link (unspent, unexpired at `now`) has this hash.
    async fn password_link_account(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffUser>, StoreError>;
    /// Spends a live link of an enabled account and sets its password (as
    /// [`StaffStore::set_password`] does, recorded with the account as its actor), in one
    /// transaction: of two uses at once, one wins. `None` when the link is not live.
    async fn use_password_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StaffUser>, StoreError>;
    /// When the account's latest password link was made.
    async fn last_password_link_at(
        &self,
        user_id: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
    /// The account's history, newest first.
    async fn account_events(&self, user_id: &str) -> Result<Vec<AccountEvent>, StoreError>;
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
    /// Opens a session and records the account's sign-in time.
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
        site_editor: row.flag("site_editor")?,
        disabled: row.flag("disabled")?,
        password_hash: row.text("password_hash")?,
        created_at: row.time("created_at")?,
        last_sign_in_at: row.opt_time("last_sign_in_at")?,
    })
}

/// An `account_events` row.
pub(super) fn account_event(row: &impl super::row::ReadRow) -> Result<AccountEvent, StoreError> {
    Ok(AccountEvent {
        kind: row.parsed("kind", |k| {
            AccountEventKind::parse(k).ok_or_else(|| format!("unknown account event {k}"))
        })?,
        actor: row.text("actor")?,
        detail: row.json("detail")?,
        at: row.time("created_at")?,
    })
}
