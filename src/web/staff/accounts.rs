//! Staff accounts, for admins (`/bureau/admin/comptes`): the list (name, address, role,
//! scope, state, last sign-in), creating an account (checked against the catalogue, with a
//! password-set link e-mailed to its owner), and on each account's page: its name and
//! access, disabling and enabling it, sending a link again, and its history. The rules are
//! `crate::accounts`', shared with `guichet user`; every change is recorded by the store.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::Me;
use super::session::Signed;
use crate::accounts::{self, AccountError, Site};
use crate::catalogue::Catalogue;
use crate::domain::account::{
    Access, AccountEventKind, AccountProblem, LinkReason, StaffEmail, display_name,
};
use crate::domain::{Role, time::date_fr};
use crate::store::StaffUser;
use crate::store::staff::{AccountActor, AccountEvent};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;

/// One account in the list.
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub scope: String,
    pub disabled: bool,
    pub last_sign_in: String,
}

/// A choice in the form: value, label, checked.
pub type Choice = (String, String, bool);

/// What the access form shows: the values typed or stored, and every choice.
pub struct AccessForm {
    pub email: String,
    pub name: String,
    pub roles: Vec<Choice>,
    pub services: Vec<Choice>,
    pub communes: Vec<Choice>,
    pub site_editor: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/accounts.html")]
pub struct AccountsPage {
    pub territory: String,
    pub me: Me,
    pub accounts: Vec<AccountRow>,
    pub form: AccessForm,
    pub send_link: bool,
    pub error: String,
}

/// One record of an account's history, in words.
pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/account.html")]
pub struct AccountPage {
    pub territory: String,
    pub me: Me,
    pub account: AccountRow,
    pub created: String,
    pub is_me: bool,
    pub form: AccessForm,
    pub history: Vec<HistoryRow>,
    /// What was just done ("Lien envoyé à …"), after a redirect.
    pub notice: String,
    pub error: String,
}

fn admin_only(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "La gestion des comptes est réservée aux administrateurs : demandez à l'un d'eux."
                .into(),
        ))
    }
}

fn site(state: &AppState, catalogue: &Catalogue) -> Site {
    Site {
        public_url: state.public_url.to_string(),
        territory: catalogue.territory.territory.name.clone(),
    }
}

/// "Voirie, Environnement", "Marmande", "tout le territoire".
fn scope_words(catalogue: &Catalogue, access: &Access) -> String {
    let mut words: Vec<String> = match access.role {
        Role::Admin => vec!["tout le territoire".into()],
        Role::Accueil => vec!["tout le territoire (les demandes qu'il dépose)".into()],
        Role::Agent | Role::Designer => access
            .services
            .iter()
            .map(|s| catalogue.service_name(s).to_owned())
            .collect(),
        Role::Elu | Role::Redacteur => access
            .communes
            .iter()
            .map(|c| {
                catalogue
                    .territory
                    .commune(c)
                    .map_or_else(|| c.to_string(), |c| c.name.clone())
            })
            .collect(),
    };
    if access.site_editor {
        words.push("rédacteur de leurs sites".into());
    }
    words.join(", ")
}

fn row(catalogue: &Catalogue, user: &StaffUser) -> AccountRow {
    AccountRow {
        id: user.id.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.label_fr().to_owned(),
        scope: scope_words(catalogue, &user.access()),
        disabled: user.disabled,
        last_sign_in: user
            .last_sign_in_at
            .map_or_else(|| "jamais".into(), date_fr),
    }
}

fn access_form(
    catalogue: &Catalogue,
    email: &str,
    name: &str,
    role: &str,
    services: &[String],
    communes: &[String],
    site_editor: bool,
) -> AccessForm {
    let territory = &catalogue.territory;
    AccessForm {
        email: email.to_owned(),
        name: name.to_owned(),
        roles: Role::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_owned(),
                    r.label_fr().to_owned(),
                    r.as_str() == role,
                )
            })
            .collect(),
        services: territory
            .services
            .iter()
            .map(|s| (s.id.clone(), s.name.clone(), services.contains(&s.id)))
            .collect(),
        communes: territory
            .communes
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone(), communes.contains(&c.slug)))
            .collect(),
        site_editor,
    }
}

/// The fields of an access form: email, name, role, services, communes, rédacteur.
struct Typed {
    email: String,
    name: String,
    role: String,
    services: Vec<String>,
    communes: Vec<String>,
    site_editor: bool,
    send_link: bool,
    csrf: String,
}

fn typed(pairs: Vec<(String, String)>) -> Typed {
    let mut typed = Typed {
        email: String::new(),
        name: String::new(),
        role: String::new(),
        services: Vec::new(),
        communes: Vec::new(),
        site_editor: false,
        send_link: false,
        csrf: String::new(),
    };
    for (name, value) in pairs {
        match name.as_str() {
            "email" => typed.email = value.trim().chars().take(254).collect(),
            "name" => typed.name = value.chars().take(200).collect(),
            "role" => typed.role = value.chars().take(40).collect(),
            "service" => typed.services.push(value),
            "commune" => typed.communes.push(value),
            "redacteur" => typed.site_editor = true,
            "send_link" => typed.send_link = true,
            "_csrf" => typed.csrf = value,
            _ => {}
        }
    }
    typed
}

fn check_csrf(signed: &Signed, typed: &Typed) -> Result<(), AppError> {
    let fields = HashMap::from([("_csrf".to_owned(), typed.csrf.clone())]);
    signed.check_csrf(&fields)
}

async fn list_page(
    state: &AppState,
    signed: &Signed,
    form: Option<AccessForm>,
    error: String,
) -> Result<AccountsPage, AppError> {
    let catalogue = state.catalogue.load();
    let mut users = state.store.list_users().await?;
    users.sort_by(|a, b| {
        (a.disabled, a.name.to_lowercase()).cmp(&(b.disabled, b.name.to_lowercase()))
    });
    Ok(AccountsPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        accounts: users.iter().map(|u| row(&catalogue, u)).collect(),
        form: form.unwrap_or_else(|| access_form(&catalogue, "", "", "agent", &[], &[], false)),
        send_link: true,
        error,
    })
}

pub async fn list(State(state): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    admin_only(&signed.session.user)?;
    Ok(list_page(&state, &signed, None, String::new())
        .await?
        .into_response())
}

/// Creates an account (its owner chooses a password from the link e-mailed, when asked)
/// and goes to its page; a refusal shows the list again with the reason and what was typed.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let typed = typed(forms::read_pairs(
        &headers,
        body,
        state.limits.max_form_bytes,
    )?);
    check_csrf(&signed, &typed)?;
    admin_only(&signed.session.user)?;
    let catalogue = state.catalogue.load_full();
    let checked = (|| {
        let email = StaffEmail::parse(&typed.email)?;
        let name = display_name(&typed.name)?;
        let access = accounts::check_access(
            &catalogue.territory,
            &typed.role,
            &typed.services,
            &typed.communes,
            typed.site_editor,
        )?;
        Ok::<_, AccountProblem>((email, name, access))
    })();
    let (email, name, access) = match checked {
        Ok(checked) => checked,
        Err(problem) => return refuse_creation(&state, &signed, &catalogue, &typed, problem).await,
    };
    let by = AccountActor::now(&signed.session.user.email);
    let hash = accounts::unusable_password_hash()
        .await
        .map_err(AppError::Internal)?;
    let user = match accounts::create(&state.store, email, name, access, hash, &by).await {
        Ok(user) => user,
        Err(AccountError::Problem(problem)) => {
            return refuse_creation(&state, &signed, &catalogue, &typed, problem).await;
        }
        Err(AccountError::Store(err)) => return Err(err.into()),
        Err(AccountError::Internal(err)) => return Err(AppError::Internal(err).into()),
    };
    tracing::info!(by = %by.actor, role = %user.role, "account created");
    let mut done = "cree";
    if typed.send_link {
        accounts::send_password_link(
            &state.store,
            &user,
            LinkReason::Invitation,
            &AccountActor::now(&signed.session.user.email),
            &site(&state, &catalogue),
        )
        .await?;
        done = "cree-lien";
    }
    Ok(Redirect::to(&format!("/bureau/admin/comptes/{}?fait={done}", user.id)).into_response())
}

/// The list again, with the reason and what was typed (422).
async fn refuse_creation(
    state: &AppState,
    signed: &Signed,
    catalogue: &Catalogue,
    typed: &Typed,
    problem: AccountProblem,
) -> Result<Response, PageError> {
    let form = access_form(
        catalogue,
        &typed.email,
        &typed.name,
        &typed.role,
        &typed.services,
        &typed.communes,
        typed.site_editor,
    );
    let mut page = list_page(state, signed, Some(form), problem.fr()).await?;
    page.send_link = typed.send_link;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The account's page again, with the reason and what was typed (422).
async fn refuse_change(
    state: &AppState,
    signed: &Signed,
    catalogue: &Catalogue,
    user: &StaffUser,
    typed: &Typed,
    error: String,
) -> Result<Response, PageError> {
    let mut page = account_page(state, signed, user, String::new(), error).await?;
    page.form = access_form(
        catalogue,
        &user.email,
        &typed.name,
        &typed.role,
        &typed.services,
        &typed.communes,
        typed.site_editor,
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    fait: String,
}

async fn account_page(
    state: &AppState,
    signed: &Signed,
    user: &StaffUser,
    notice: String,
    error: String,
) -> Result<AccountPage, AppError> {
    let catalogue = state.catalogue.load();
    let names: HashMap<String, String> = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| (u.email, u.name))
        .collect();
    let history = state
        .store
        .account_events(&user.id)
        .await?
        .into_iter()
        .map(|event| history_row(&catalogue, &names, event))
        .collect();
    let services: Vec<String> = user.services.iter().map(|s| s.to_string()).collect();
    let communes: Vec<String> = user.communes.iter().map(|c| c.to_string()).collect();
    Ok(AccountPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        account: row(&catalogue, user),
        created: date_fr(user.created_at),
        is_me: user.id == signed.session.user.id,
        form: access_form(
            &catalogue,
            &user.email,
            &user.name,
            user.role.as_str(),
            &services,
            &communes,
            user.site_editor,
        ),
        history,
        notice,
        error,
    })
}

fn notice(done: &str, user: &StaffUser) -> String {
    match done {
        "cree" => format!("Compte créé pour {}.", user.name),
        "cree-lien" => format!(
            "Compte créé. Un lien pour choisir son mot de passe est envoyé à {} ; il expire dans 24 heures.",
            user.email
        ),
        "acces" => "Nom et accès enregistrés : ils valent dès la prochaine page du compte.".into(),
        "desactive" => "Compte désactivé : ses sessions sont fermées et ses jetons d'API révoqués.".into(),
        "reactive" => "Compte réactivé. Ses anciens jetons restent révoqués ; envoyez-lui un lien s'il doit choisir un nouveau mot de passe.".into(),
        "lien" => format!(
            "Lien envoyé à {} ; il expire dans 24 heures et remplace les liens précédents.",
            user.email
        ),
        _ => String::new(),
    }
}

fn no_such_account() -> AppError {
    AppError::NotFound("Ce compte n'existe pas : retrouvez-le dans la liste des comptes.".into())
}

async fn account_or_404(state: &AppState, id: &str) -> Result<StaffUser, AppError> {
    state
        .store
        .user_by_id(id)
        .await?
        .ok_or_else(no_such_account)
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    admin_only(&signed.session.user)?;
    let user = account_or_404(&state, &id).await?;
    let notice = notice(&done.fait, &user);
    Ok(account_page(&state, &signed, &user, notice, String::new())
        .await?
        .into_response())
}

/// Changes an account's name and access.
pub async fn change(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let typed = typed(forms::read_pairs(
        &headers,
        body,
        state.limits.max_form_bytes,
    )?);
    check_csrf(&signed, &typed)?;
    admin_only(&signed.session.user)?;
    let user = account_or_404(&state, &id).await?;
    let catalogue = state.catalogue.load_full();
    let checked = display_name(&typed.name).and_then(|name| {
        let access = accounts::check_access(
            &catalogue.territory,
            &typed.role,
            &typed.services,
            &typed.communes,
            typed.site_editor,
        )?;
        Ok((name, access))
    });
    let (name, access) = match checked {
        Ok(checked) => checked,
        Err(problem) => {
            return refuse_change(&state, &signed, &catalogue, &user, &typed, problem.fr()).await;
        }
    };
    if user.id == signed.session.user.id && access.role != Role::Admin {
        let error = "Vous ne pouvez pas retirer vous-même votre rôle d'administrateur : demandez-le à un autre administrateur.";
        return refuse_change(&state, &signed, &catalogue, &user, &typed, error.into()).await;
    }
    if name != user.name || !access.same_as(&user.access()) {
        let by = AccountActor::now(&signed.session.user.email);
        if !state
            .store
            .change_access(&user.id, &name, &access, &by)
            .await?
        {
            return Err(no_such_account().into());
        }
        tracing::info!(by = %by.actor, role = %access.role, "account access changed");
    }
    Ok(Redirect::to(&format!("/bureau/admin/comptes/{}?fait=acces", user.id)).into_response())
}

async fn set_disabled(
    state: AppState,
    signed: Signed,
    id: String,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    disabled: bool,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    admin_only(&signed.session.user)?;
    let user = account_or_404(&state, &id).await?;
    if disabled && user.id == signed.session.user.id {
        let page = account_page(
            &state,
            &signed,
            &user,
            String::new(),
            "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur.".into(),
        )
        .await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let by = AccountActor::now(&signed.session.user.email);
    state
        .store
        .set_user_disabled(&user.email, disabled, &by)
        .await?;
    tracing::info!(by = %by.actor, disabled, "account state changed");
    let done = if disabled { "desactive" } else { "reactive" };
    Ok(Redirect::to(&format!("/bureau/admin/comptes/{}?fait={done}", user.id)).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    set_disabled(state, signed, id, headers, body, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    set_disabled(state, signed, id, headers, body, false).await
}

/// E-mails the account a new password-set link (the earlier ones stop working).
pub async fn send_link(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    admin_only(&signed.session.user)?;
    let user = account_or_404(&state, &id).await?;
    if user.disabled {
        let page = account_page(
            &state,
            &signed,
            &user,
            String::new(),
            "Ce compte est désactivé : réactivez-le avant de lui envoyer un lien.".into(),
        )
        .await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    let catalogue = state.catalogue.load_full();
    let by = AccountActor::now(&signed.session.user.email);
    accounts::send_password_link(
        &state.store,
        &user,
        LinkReason::Invitation,
        &by,
        &site(&state, &catalogue),
    )
    .await?;
    tracing::info!(by = %by.actor, "password link sent");
    Ok(Redirect::to(&format!("/bureau/admin/comptes/{}?fait=lien", user.id)).into_response())
}

/// A history record in words: when, who (by name when an account has the address), what.
fn history_row(
    catalogue: &Catalogue,
    names: &HashMap<String, String>,
    event: AccountEvent,
) -> HistoryRow {
    let access_in = |value: &Value| -> Option<(String, Access)> {
        let role = Role::parse(value.get("role")?.as_str()?).ok()?;
        let list = |key: &str| -> Vec<String> {
            value
                .get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let access = Access {
            role,
            services: list("services")
                .into_iter()
                .filter_map(|s| s.try_into().ok())
                .collect(),
            communes: list("communes")
                .into_iter()
                .filter_map(|c| c.try_into().ok())
                .collect(),
            site_editor: value.get("site_editor").and_then(Value::as_bool) == Some(true),
        };
        let name = value.get("name")?.as_str()?.to_owned();
        Some((name, access))
    };
    let described = |name: &str, access: &Access| {
        format!(
            "{name}, {} ({})",
            access.role.label_fr(),
            scope_words(catalogue, access)
        )
    };
    let detail = match event.kind {
        AccountEventKind::Created => access_in(&event.detail["after"])
            .map(|(name, access)| described(&name, &access))
            .unwrap_or_default(),
        AccountEventKind::AccessChanged => {
            match (
                access_in(&event.detail["before"]),
                access_in(&event.detail["after"]),
            ) {
                (Some((n1, a1)), Some((n2, a2))) => {
                    format!(
                        "avant : {} ; après : {}",
                        described(&n1, &a1),
                        described(&n2, &a2)
                    )
                }
                _ => String::new(),
            }
        }
        AccountEventKind::LinkSent => match event.detail["reason"].as_str() {
            Some("forgotten") => "demandé depuis « Mot de passe oublié ? »".into(),
            _ => "envoyé par un administrateur".into(),
        },
        _ => String::new(),
    };
    HistoryRow {
        when: date_fr(event.at),
        who: names
            .get(&event.actor)
            .cloned()
            .unwrap_or_else(|| event.actor.clone()),
        what: event.kind.label_fr().to_owned(),
        detail,
    }
}
