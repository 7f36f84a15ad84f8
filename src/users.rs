//! `guichet user …`: staff accounts from the command line.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, bail};

use crate::auth::password;
use crate::catalogue::Catalogue;
use crate::config::{UserArgs, UserCommand};
use crate::domain::{Capability, Role};
use crate::store::{self, NewStaffUser};

pub async fn run(args: UserArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database).await?;
    match args.command {
        UserCommand::Add {
            email,
            name,
            role,
            services,
            communes,
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let email = checked_email(&email)?;
            check_scope(&args.catalogue, role, &services, &communes)?;
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let password = read_new_password()?;
            let user = store
                .create_user(NewStaffUser {
                    email,
                    name: name.trim().to_owned(),
                    role,
                    services,
                    communes,
                    password_hash: password::hash_async(password).await?,
                })
                .await?;
            eprintln!("Account created: {} ({})", user.email, user.role);
        }
        UserCommand::List => {
            println!(
                "{:<36} {:<9} {:<8} {:<24} scope",
                "email", "role", "state", "name"
            );
            for user in store.list_users().await? {
                // Failed logins lock a (address, client) pair, never the account: an account
                // is either active or disabled.
                let state = if user.disabled { "disabled" } else { "active" };
                let scope = match user.role {
                    Role::Admin => "everything".to_owned(),
                    Role::Elu => user.communes.join(", "),
                    Role::Agent | Role::Designer => user.services.join(", "),
                };
                println!(
                    "{:<36} {:<9} {:<8} {:<24} {scope}",
                    user.email, user.role, state, user.name
                );
            }
        }
        UserCommand::Disable { email } => {
            if !store.set_user_disabled(&email, true).await? {
                bail!("no account for {email}");
            }
            eprintln!("{email} is disabled; its sessions and API tokens are revoked.");
        }
        UserCommand::Enable { email } => {
            if !store.set_user_disabled(&email, false).await? {
                bail!("no account for {email}");
            }
            eprintln!("{email} is enabled.");
        }
        UserCommand::Reset { email } => {
            if store.user_by_email(&email).await?.is_none() {
                bail!("no account for {email}");
            }
            let password = read_new_password()?;
            store
                .set_password(&email, &password::hash_async(password).await?)
                .await?;
            eprintln!(
                "New password set for {email}; its failed logins are forgotten and its sessions ended."
            );
        }
        UserCommand::Token { email } => {
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account for {email}"))?;
            if user.disabled {
                bail!("{email} is disabled: enable it before creating a token");
            }
            let token = Capability::generate();
            store.create_api_token(&user.id, &token.hash()).await?;
            eprintln!(
                "API token for {email} (shown once; send it as `Authorization: Bearer <token>`):"
            );
            println!("{}", token.as_str());
        }
    }
    Ok(())
}

fn checked_email(email: &str) -> anyhow::Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !valid {
        bail!("{email:?} is not an e-mail address");
    }
    Ok(email)
}

/// Agents and designers need services, élus communes, all of them real.
fn check_scope(
    catalogue_dir: &Path,
    role: Role,
    services: &[String],
    communes: &[String],
) -> anyhow::Result<()> {
    match role {
        Role::Agent | Role::Designer if services.is_empty() => {
            bail!("a {role} works for at least one service: add --service ID")
        }
        Role::Elu if communes.is_empty() => {
            bail!("an élu represents at least one commune: add --commune SLUG")
        }
        Role::Admin if !services.is_empty() || !communes.is_empty() => {
            bail!("an admin sees everything: drop --service and --commune")
        }
        _ => {}
    }
    let catalogue = Catalogue::load_strict(catalogue_dir).map_err(|problems| {
        anyhow::anyhow!(
            "the catalogue in {} does not load ({} problems; run `guichet check`)",
            catalogue_dir.display(),
            problems.len()
        )
    })?;
    for service in services {
        if catalogue.territory.service(service).is_none() {
            bail!("unknown service {service:?}: see territory.toml");
        }
    }
    for commune in communes {
        if catalogue.territory.commune(commune).is_none() {
            bail!("unknown commune {commune:?}: see territory.toml");
        }
    }
    Ok(())
}

/// The first line of standard input, or a prompt (twice) on a terminal. Never an argument:
/// arguments show in `ps` and shell histories.
fn read_new_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    password::check_new(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}
