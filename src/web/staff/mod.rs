//! The back office (`/bureau`): staff sign in, work their queues, handle requests; élus
//! file requests for citizens and follow those of their communes.

mod accounts;
mod api_tokens;
mod builder;
mod elu;
mod export;
pub mod export_lines;
mod front_desk;
mod login;
mod oidc;
mod open311_keys;
mod outbox;
mod password_link;
mod personal_data;
mod queues;
pub use queues::Filters;
mod request;
pub mod session;
mod site;
mod statistics;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use super::AppState;
use super::framing::{BodyLimit, bound_body};
use crate::domain::Role;
use crate::store::StaffUser;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/bureau", get(queues::home))
        .route("/bureau/connexion", get(login::show).post(login::post))
        .route("/bureau/connexion/oidc", get(oidc::begin))
        .route(oidc::CALLBACK_PATH, get(oidc::finish))
        .route("/bureau/deconnexion", post(login::logout))
        .route(
            "/bureau/mot-de-passe",
            get(login::password_page).post(login::change_password),
        )
        .route("/bureau/files/{queue}", get(queues::queue))
        .route("/bureau/files/{queue}/export.csv", get(export::export))
        .route(
            "/bureau/files/{queue}/export.jsonl",
            get(export_lines::export),
        )
        .route(
            "/bureau/demandes/{reference}",
            get(request::show).post(request::post),
        )
        .route(
            "/bureau/demandes/{reference}/compte-rendu",
            get(request::report),
        )
        .route(
            "/bureau/demandes/{reference}/pieces/{sha256}",
            get(request::attachment),
        )
        .route("/bureau/atelier", get(builder::list).post(builder::create))
        .route("/bureau/atelier/{id}/apercu", get(builder::preview))
        .route("/bureau/atelier/{id}/comparer", get(builder::compare))
        .route("/bureau/elu", get(elu::follow))
        .route("/bureau/accueil", get(front_desk::home))
        .route("/bureau/elu/resume", post(elu::set_digest))
        .route("/bureau/statistiques", get(statistics::dashboard))
        .route(
            "/bureau/statistiques/synthese",
            get(statistics::summary_page),
        )
        .route(
            "/bureau/statistiques/synthese.csv",
            get(statistics::summary_csv),
        )
        .route(
            "/bureau/demandes/{reference}/acces",
            get(personal_data::records),
        )
        .route("/bureau/donnees-personnelles", get(personal_data::page))
        .route(
            "/bureau/donnees-personnelles/export.json",
            get(personal_data::export),
        )
        .route("/bureau/communes", get(site::list))
        .route(
            "/bureau/communes/{slug}/page",
            get(site::show).post(site::post),
        )
        .route(
            "/bureau/communes/{slug}/page/historique",
            get(site::history),
        )
        .route(
            "/bureau/communes/{slug}/page/historique/{number}",
            post(site::restore),
        )
        .route(
            "/bureau/communes/{slug}/actualites",
            post(site::news_create),
        )
        .route(
            "/bureau/communes/{slug}/actualites/{id}",
            get(site::news_show).post(site::news_update),
        )
        .route(
            "/bureau/mot-de-passe-oublie",
            get(password_link::forgotten_form).post(password_link::forgotten),
        )
        .route(
            "/bureau/mot-de-passe/nouveau/{token}",
            get(password_link::show).post(password_link::set),
        )
        .route(
            "/bureau/admin/comptes",
            get(accounts::list).post(accounts::create),
        )
        .route("/bureau/admin/comptes/{id}", get(accounts::show))
        .route("/bureau/admin/comptes/{id}/acces", post(accounts::change))
        .route(
            "/bureau/admin/comptes/{id}/desactivation",
            post(accounts::disable),
        )
        .route(
            "/bureau/admin/comptes/{id}/reactivation",
            post(accounts::enable),
        )
        .route("/bureau/admin/comptes/{id}/lien", post(accounts::send_link))
        .route("/bureau/admin/envois", get(outbox::show))
        .route("/bureau/admin/envois/{id}", post(outbox::redeliver))
        .route(
            "/bureau/jetons",
            get(api_tokens::show).post(api_tokens::create),
        )
        .route("/bureau/jetons/{id}/revocation", post(api_tokens::revoke))
        .route(
            "/bureau/admin/open311",
            get(open311_keys::show).post(open311_keys::create),
        )
        .route(
            "/bureau/admin/open311/{id}/revocation",
            post(open311_keys::revoke),
        )
        .layer(from_fn_with_state(
            BodyLimit::form(&state.limits),
            bound_body,
        ))
        .route(
            "/bureau/accueil/demarches/{id}",
            get(front_desk::form)
                .post(front_desk::file)
                .layer(from_fn_with_state(
                    BodyLimit::form_with_files(&state.limits),
                    bound_body,
                )),
        )
        .route(
            "/bureau/elu/demarches/{id}",
            get(elu::form).post(elu::file).layer(from_fn_with_state(
                BodyLimit::form_with_files(&state.limits),
                bound_body,
            )),
        )
        .route(
            "/bureau/communes/{slug}/blason",
            post(site::upload_picture).layer(from_fn_with_state(
                BodyLimit::form_with_files(&state.limits),
                bound_body,
            )),
        )
        // A definition and its rule: the size of a JSON body.
        .route(
            "/bureau/atelier/{id}",
            get(builder::show)
                .post(builder::post)
                .layer(from_fn_with_state(
                    BodyLimit::json(&state.limits),
                    bound_body,
                )),
        )
}

/// Staff by name where the back office shows people (assignee, history, who filed): an
/// actor is an e-mail address, or a word such as « citoyen », shown as it is.
pub struct StaffNames(std::collections::HashMap<String, String>);

impl StaffNames {
    pub async fn load(state: &super::AppState) -> Result<StaffNames, super::error::AppError> {
        Ok(StaffNames(
            state.store.staff_names().await?.into_iter().collect(),
        ))
    }

    /// The account's name, or `actor` itself when no account has that address.
    pub fn of(&self, actor: &str) -> String {
        self.0
            .get(actor)
            .cloned()
            .unwrap_or_else(|| actor.to_owned())
    }
}

/// The signed-in person, as every back-office page shows them.
pub struct Me {
    pub name: String,
    pub email: String,
    pub role: String,
    pub csrf: String,
    pub handles: bool,
    pub is_elu: bool,
    /// The front desk's page: agents d'accueil and admins.
    pub front_desk: bool,
    pub is_admin: bool,
    pub designs: bool,
    /// Rédacteurs, élus (who may be given the rights) and admins: the communes' sites.
    pub edits_sites: bool,
}

/// Where an account lands after signing in: its role's own page.
pub fn landing(role: Role) -> &'static str {
    match role {
        Role::Elu => "/bureau/elu",
        Role::Redacteur => "/bureau/communes",
        Role::Accueil => "/bureau/accueil",
        Role::Admin | Role::Agent | Role::Designer => "/bureau",
    }
}

impl Me {
    pub fn of(user: &StaffUser, csrf: &str) -> Me {
        Me {
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.label_fr().to_owned(),
            csrf: csrf.to_owned(),
            handles: user.handles_requests(),
            is_elu: user.role == Role::Elu,
            front_desk: matches!(user.role, Role::Accueil | Role::Admin),
            is_admin: user.role == Role::Admin,
            designs: matches!(user.role, Role::Admin | Role::Designer),
            edits_sites: matches!(user.role, Role::Admin | Role::Redacteur | Role::Elu),
        }
    }
}
