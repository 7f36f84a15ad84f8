//! Staff accounts, their sessions and API tokens, as stored.

use time::OffsetDateTime;

use super::handling::Scope;
use crate::domain::Role;

#[derive(Debug, Clone, PartialEq)]
pub struct StaffUser {
    pub id: String,
    /// Lower-case; also how the account appears as an actor in request histories.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub services: Vec<String>,
    pub communes: Vec<String>,
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
    pub services: Vec<String>,
    pub communes: Vec<String>,
    pub password_hash: String,
}

/// A signed-in person: their account and their session's CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: StaffUser,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}
