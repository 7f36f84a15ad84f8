//! The provider Guichet signs staff in with, as the territory file's `[oidc]` table and
//! `guichet serve`'s `--oidc-*` flags (which win, field by field) say together.

use std::path::Path;

use openidconnect::{ClientId, ClientSecret, IssuerUrl};

use crate::catalogue::Territory;
use crate::catalogue::oidc::{self, DEFAULT_SCOPES, NewAccountPolicy};
use crate::config::{OidcConfig, Secret};

/// The variable holding the client secret (a flag would show in `ps`).
pub const SECRET_VARIABLE: &str = "GUICHET_OIDC_CLIENT_SECRET";

/// What the environment says, the client secret read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    config: OidcConfig,
    secret: Option<Secret>,
}

impl Overrides {
    /// Reads the secret from `--oidc-client-secret-file` or GUICHET_OIDC_CLIENT_SECRET (not
    /// both: which one would win is a question the operator should not have to ask).
    pub fn read(config: &OidcConfig) -> anyhow::Result<Overrides> {
        let given = config
            .oidc_client_secret
            .clone()
            .or_else(|| std::env::var(SECRET_VARIABLE).ok().map(Secret::new));
        let secret = match (&config.oidc_client_secret_file, &given) {
            (Some(_), Some(_)) => anyhow::bail!(
                "the OpenID Connect client secret is given twice, by --oidc-client-secret-file (GUICHET_OIDC_CLIENT_SECRET_FILE) and by GUICHET_OIDC_CLIENT_SECRET: keep one"
            ),
            (Some(path), None) => Some(read_secret_file(path)?),
            (None, Some(secret)) if secret.expose().trim().is_empty() => anyhow::bail!(
                "GUICHET_OIDC_CLIENT_SECRET is empty: set it to the client secret the provider gave Guichet, or unset it for a public client"
            ),
            (None, Some(secret)) => Some(Secret::new(secret.expose().trim())),
            (None, None) => None,
        };
        Ok(Overrides {
            config: config.clone(),
            secret,
        })
    }
}

fn read_secret_file(path: &Path) -> anyhow::Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        anyhow::anyhow!(
            "cannot read the OpenID Connect client secret from {}: {err}",
            path.display()
        )
    })?;
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        anyhow::bail!(
            "{} is empty: write the client secret the provider gave Guichet on its first line",
            path.display()
        );
    }
    Ok(Secret::new(secret))
}

/// Sign-in through the provider, as configured.
#[derive(Debug, Clone)]
pub struct Settings {
    /// As the sign-in button shows it.
    pub name: String,
    pub issuer: IssuerUrl,
    pub client_id: ClientId,
    /// None: a public client, which PKCE alone protects.
    pub client_secret: Option<ClientSecret>,
    /// Asked for besides `openid`.
    pub scopes: Vec<String>,
    /// Lower case, without `@`.
    pub allowed_domains: Vec<String>,
    pub assume_email_verified: bool,
    pub new_accounts: Option<NewAccountPolicy>,
}

impl Settings {
    /// Whether an address's domain gets an account on its first sign-in.
    pub fn allows_domain_of(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.allowed_domains.iter().any(|d| d == domain))
    }
}

/// The settings, or None when sign-in through a provider is off (no issuer and no client id
/// anywhere); or why they do not hold together, in words for the operator.
pub fn resolve(territory: &Territory, env: &Overrides) -> Result<Option<Settings>, String> {
    let file = territory.oidc.clone().unwrap_or_default();
    let config = &env.config;
    let issuer = config.oidc_issuer.clone().or(file.issuer);
    let client_id = config.oidc_client_id.clone().or(file.client_id);
    let (issuer, client_id) = match (issuer, client_id) {
        (None, None) => return Ok(None),
        (Some(issuer), Some(id)) if !id.trim().is_empty() => (issuer, id.trim().to_owned()),
        _ => {
            return Err("OpenID Connect sign-in needs both an issuer URL and a client id: set [oidc] issuer and client_id in territory.toml, or GUICHET_OIDC_ISSUER and GUICHET_OIDC_CLIENT_ID".into());
        }
    };
    oidc::check_issuer(&issuer)?;
    let issuer = IssuerUrl::new(issuer).map_err(|err| format!("the issuer URL: {err}"))?;
    let allowed_domains = config
        .oidc_allowed_domains
        .clone()
        .unwrap_or(file.allowed_domains)
        .iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| oidc::check_domain(d))
        .collect::<Result<Vec<_>, _>>()?;
    let file_accounts = file.new_accounts.unwrap_or_default();
    let role = config
        .oidc_new_account_role
        .clone()
        .or(Some(file_accounts.role).filter(|r| !r.is_empty()));
    let services = config
        .oidc_new_account_services
        .clone()
        .unwrap_or(file_accounts.services);
    let communes = config
        .oidc_new_account_communes
        .clone()
        .unwrap_or(file_accounts.communes);
    let new_accounts = match role {
        Some(role) => Some(
            NewAccountPolicy::check(territory, &role, &services, &communes)
                .map_err(|why| format!("the role of accounts created on first sign-in: {why}"))?,
        ),
        None if !services.is_empty() || !communes.is_empty() => {
            return Err("services or communes are given for the accounts created on first sign-in, but no role: set [oidc.new_accounts] role (or GUICHET_OIDC_NEW_ACCOUNT_ROLE)".into());
        }
        None => None,
    };
    if !allowed_domains.is_empty() && new_accounts.is_none() {
        return Err("allowed domains create accounts on first sign-in, but no role is given for them: set [oidc.new_accounts] role (or GUICHET_OIDC_NEW_ACCOUNT_ROLE)".into());
    }
    let name = config
        .oidc_name
        .clone()
        .or(file.name)
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| {
            issuer
                .url()
                .host_str()
                .unwrap_or("le fournisseur d'identité")
                .to_owned()
        });
    let scopes = file
        .scopes
        .unwrap_or_else(|| DEFAULT_SCOPES.map(str::to_owned).to_vec())
        .into_iter()
        .filter(|s| s != "openid")
        .collect();
    Ok(Some(Settings {
        name,
        issuer,
        client_id: ClientId::new(client_id),
        client_secret: env
            .secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose().to_owned())),
        scopes,
        allowed_domains,
        assume_email_verified: file.assume_email_verified,
        new_accounts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territory(oidc: &str) -> Territory {
        Territory::parse(&format!(
            "[territory]\nname = \"T\"\n[[communes]]\nslug = \"a\"\nname = \"A\"\n[[services]]\nid = \"s\"\nname = \"S\"\ndefault_queue = \"q\"\n[[services.queues]]\nid = \"q\"\nname = \"Q\"\n{oidc}"
        ))
        .unwrap()
    }

    #[test]
    fn off_without_issuer_and_client() {
        assert!(
            resolve(&territory(""), &Overrides::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_environment_wins_field_by_field() {
        let t = territory(
            "[oidc]\nname = \"Keycloak\"\nissuer = \"https://kc.example.fr/realms/a\"\nclient_id = \"guichet\"\nallowed_domains = [\"a.fr\"]\n[oidc.new_accounts]\nrole = \"agent\"\nservices = [\"s\"]\n",
        );
        let env = Overrides {
            config: OidcConfig {
                oidc_issuer: Some("http://127.0.0.1:4000".into()),
                ..OidcConfig::default()
            },
            secret: Some(Secret::new("s3cret")),
        };
        let settings = resolve(&t, &env).unwrap().unwrap();
        assert_eq!(settings.issuer.as_str(), "http://127.0.0.1:4000");
        assert_eq!(settings.client_id.as_str(), "guichet");
        assert_eq!(settings.name, "Keycloak");
        assert_eq!(settings.scopes, ["email", "profile"]);
        assert!(settings.allows_domain_of("jo@a.fr"));
        assert!(!settings.allows_domain_of("jo@b.a.fr"));
        assert_eq!(
            settings.new_accounts.unwrap().role,
            crate::domain::Role::Agent
        );
        assert!(!format!("{env:?}").contains("s3cret"));
    }

    #[test]
    fn the_secret_comes_from_one_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cret\n").unwrap();
        let from_file = OidcConfig {
            oidc_client_secret_file: Some(file.clone()),
            ..OidcConfig::default()
        };
        let read = Overrides::read(&from_file).unwrap();
        assert_eq!(read.secret.unwrap().expose(), "s3cret");
        let twice = OidcConfig {
            oidc_client_secret: Some(Secret::new("other")),
            ..from_file
        };
        assert!(
            Overrides::read(&twice)
                .unwrap_err()
                .to_string()
                .contains("given twice")
        );
        std::fs::write(&file, "\n").unwrap();
        let empty = OidcConfig {
            oidc_client_secret_file: Some(file),
            ..OidcConfig::default()
        };
        assert!(
            Overrides::read(&empty)
                .unwrap_err()
                .to_string()
                .contains("is empty")
        );
    }

    #[test]
    fn half_a_configuration_is_refused() {
        let env = Overrides {
            config: OidcConfig {
                oidc_issuer: Some("https://kc.example.fr".into()),
                ..OidcConfig::default()
            },
            secret: None,
        };
        assert!(
            resolve(&territory(""), &env)
                .unwrap_err()
                .contains("client id")
        );
        let env = Overrides {
            config: OidcConfig {
                oidc_issuer: Some("https://kc.example.fr".into()),
                oidc_client_id: Some("g".into()),
                oidc_new_account_role: Some("agent".into()),
                oidc_new_account_services: Some(vec!["nope".into()]),
                ..OidcConfig::default()
            },
            secret: None,
        };
        assert!(
            resolve(&territory(""), &env)
                .unwrap_err()
                .contains("unknown service « nope »")
        );
    }
}
