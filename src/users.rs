//! `guichet user …`: staff accounts from the command line.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, bail};

use crate::accounts::{self, AccountError};
use crate::auth::password;
use crate::catalogue::Catalogue;
use crate::catalogue::territory::Territory;
use crate::config::{UserArgs, UserCommand};
use crate::domain::account::{Access, AccountProblem, StaffEmail, display_name};
use crate::domain::{Capability, Role};
use crate::store;
use crate::store::staff::{AccountActor, COMMAND_LINE};

pub async fn run(args: UserArgs) -> anyhow::Result<()> {
    let store = store::open(&args.database).await?;
    match args.command {
        UserCommand::Add {
            email,
            name,
            role,
            services,
            communes,
            redacteur,
        } => {
            let territory = load_territory(&args.catalogue)?;
            let access = accounts::check_access(&territory, &role, &services, &communes, redacteur)
                .map_err(problem)?;
            let email = StaffEmail::parse(&email).map_err(problem)?;
            let name = display_name(&name).map_err(problem)?;
            let password = read_new_password()?;
            let user = accounts::create(
                &store,
                email,
                name,
                access,
                password::hash_async(password).await?,
                &AccountActor::now(COMMAND_LINE),
            )
            .await
            .map_err(|err| match err {
                AccountError::Problem(p) => problem(p),
                other => anyhow::Error::from(other),
            })?;
            eprintln!(
                "Account created: {} ({}{})",
                user.email,
                user.role,
                if user.site_editor { ", rédacteur" } else { "" }
            );
        }
        UserCommand::Redacteur { email, revoke } => {
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account for {email}"))?;
            if user.role != Role::Elu {
                bail!(
                    "{email} is a {}: only an élu is given rédacteur rights (a rédacteur account is --role redacteur)",
                    user.role
                );
            }
            let access = Access {
                site_editor: !revoke,
                ..user.access()
            };
            store
                .change_access(
                    &user.id,
                    &user.name,
                    &access,
                    &AccountActor::now(COMMAND_LINE),
                )
                .await?;
            if revoke {
                eprintln!("{email} no longer edits the sites of their communes.");
            } else {
                eprintln!(
                    "{email} now edits the sites of their communes ({}).",
                    user.communes.join(", ")
                );
            }
        }
        UserCommand::List => {
            let rows: Vec<[String; 5]> = store
                .list_users()
                .await?
                .into_iter()
                .map(|user| {
                    // Failed logins lock an (address, client) pair, never the account: an
                    // account is either active or disabled.
                    let state = if user.disabled { "disabled" } else { "active" };
                    let scope = match user.role {
                        Role::Admin => "everything".to_owned(),
                        Role::Accueil => "what it files".to_owned(),
                        Role::Elu | Role::Redacteur => user.communes.join(", "),
                        Role::Agent | Role::Designer => user.services.join(", "),
                    };
                    [
                        user.email,
                        user.role.as_str().to_owned(),
                        state.to_owned(),
                        user.name,
                        scope,
                    ]
                })
                .collect();
            print!(
                "{}",
                table(["email", "role", "state", "name", "scope"], &rows)
            );
        }
        UserCommand::Disable { email } => {
            if !store
                .set_user_disabled(&email, true, &AccountActor::now(COMMAND_LINE))
                .await?
            {
                bail!("no account for {email}");
            }
            eprintln!("{email} is disabled; its sessions and API tokens are revoked.");
        }
        UserCommand::Enable { email } => {
            if !store
                .set_user_disabled(&email, false, &AccountActor::now(COMMAND_LINE))
                .await?
            {
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
                .set_password(
                    &email,
                    &password::hash_async(password).await?,
                    &AccountActor::now(COMMAND_LINE),
                )
                .await?;
            eprintln!(
                "New password set for {email}; its failed logins are forgotten and its sessions ended."
            );
        }
        UserCommand::Token {
            email,
            name,
            days,
            read_only,
        } => {
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no account for {email}"))?;
            if user.disabled {
                bail!("{email} is disabled: enable it before creating a token");
            }
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                bail!("--name must say what the token is for, in 1 to 100 characters");
            }
            let token = Capability::generate();
            let now = time::OffsetDateTime::now_utc();
            let expires_at = now + time::Duration::days(days);
            store
                .create_api_token(&crate::store::staff::NewApiToken {
                    user_id: user.id.clone(),
                    token_hash: token.hash(),
                    name: name.to_owned(),
                    created_at: now,
                    expires_at,
                    can_act: !read_only,
                })
                .await?;
            eprintln!(
                "API token « {name} » for {email}, {}, expires on {} (shown once; send it as `Authorization: Bearer <token>`):",
                if read_only {
                    "read only"
                } else {
                    "reads and acts"
                },
                expires_at.date()
            );
            println!("{}", token.as_str());
        }
    }
    Ok(())
}

/// A refusal as the command line says it.
fn problem(problem: AccountProblem) -> anyhow::Error {
    anyhow::anyhow!(problem.cli())
}

/// Aligned columns, each as wide as its widest cell, so every column starts at the same
/// place on every line whatever the lengths of e-mails and names. Widths count what a
/// terminal shows: a combining accent (a name typed in decomposed form) takes no column,
/// and a control character is shown as `?` so it cannot move the cursor.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let shown = |cell: &str| -> String {
        cell.chars()
            .map(|c| if c.is_control() { '?' } else { c })
            .collect()
    };
    let width = |cell: &str| cell.chars().filter(|c| !is_combining(*c)).count();
    let lines: Vec<[String; N]> = std::iter::once(header.map(str::to_owned))
        .chain(rows.iter().map(|row| row.clone().map(|cell| shown(&cell))))
        .collect();
    let mut widths = [0; N];
    for line in &lines {
        for (w, cell) in widths.iter_mut().zip(line) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < N {
                text.push_str(&" ".repeat(widths[i] - width(cell) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

/// Combining diacritical marks (U+0300–U+036F): drawn over the previous letter.
fn is_combining(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// The territory whose services and communes accounts may be scoped to.
fn load_territory(catalogue_dir: &Path) -> anyhow::Result<Territory> {
    let catalogue = Catalogue::load_strict(catalogue_dir).map_err(|problems| {
        anyhow::anyhow!(
            "the catalogue in {} does not load ({} problem{}; run `guichet check`)",
            catalogue_dir.display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )
    })?;
    Ok(catalogue.territory.clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_starts_at_the_same_place_on_every_line() {
        let rows = [
            [
                "a@x.fr".to_owned(),
                "admin".to_owned(),
                "active".to_owned(),
                "Ana".to_owned(),
                "everything".to_owned(),
            ],
            [
                "jean-baptiste.delacroix@vdg.example.org".to_owned(),
                "designer".to_owned(),
                "locked".to_owned(),
                // "Éloïse", decomposed: E + U+0301 …
                "E\u{301}loi\u{308}se Tab\there".to_owned(),
                "voirie".to_owned(),
            ],
        ];
        let text = table(["email", "role", "state", "name", "scope"], &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].contains("Tab?here"), "{text}");
        let starts = |line: &str, cells: &[&str]| -> Vec<usize> {
            cells
                .iter()
                .map(|c| {
                    let byte = line.find(c).unwrap();
                    line[..byte].chars().filter(|c| !is_combining(*c)).count()
                })
                .collect()
        };
        let header = starts(lines[0], &["role", "state", "name", "scope"]);
        assert_eq!(
            header,
            starts(lines[1], &["admin", "active", "Ana", "everything"])
        );
        assert_eq!(
            header,
            starts(lines[2], &["designer", "locked", "E\u{301}", "voirie"])
        );
    }
}
