//! The territory file's `[oidc]` table: staff sign-in through an OpenID Connect provider
//! (ProConnect, a Keycloak, Azure AD). The client secret is never in this file: it comes from
//! the server's environment or a file (see docs/sign-in.md). Each field may be overridden by
//! `guichet serve`'s `--oidc-*` flags and their variables, so one territory file in git can
//! serve a staging and a production provider.

use serde::{Deserialize, Serialize};

use super::territory::Territory;
use crate::domain::{CommuneSlug, Role, ServiceId};

/// The scopes asked for besides `openid` when the file names none: the address and the
/// person's name (OpenID Connect Core § 5.4).
pub const DEFAULT_SCOPES: [&str; 2] = ["email", "profile"];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Oidc {
    /// The provider as the sign-in button names it: « Se connecter avec ProConnect ».
    pub name: Option<String>,
    /// The issuer URL; its discovery document is `{issuer}/.well-known/openid-configuration`.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Scopes asked for besides `openid` (default: email and profile).
    pub scopes: Option<Vec<String>>,
    /// Domains whose addresses get an account on their first sign-in (`marmande.fr`); an
    /// address elsewhere signs in only if an admin created its account.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Accept an address the provider does not say it verified. Off: Guichet requires
    /// `email_verified = true`. Turn it on only for a provider that verifies every address
    /// it hands out and does not send the claim (see docs/sign-in.md).
    #[serde(default)]
    pub assume_email_verified: bool,
    /// The role and scope of the accounts created on first sign-in.
    pub new_accounts: Option<NewAccounts>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccounts {
    pub role: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub communes: Vec<String>,
}

/// What an account created on first sign-in is: its role and the services or communes it
/// works for, all checked against the territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccountPolicy {
    pub role: Role,
    pub services: Vec<ServiceId>,
    pub communes: Vec<CommuneSlug>,
}

impl NewAccountPolicy {
    /// Checks a role and its scope: a real role other than admin (a domain must never make
    /// admins), with the services (agents, designers) or communes (élus, rédacteurs) it needs,
    /// each declared in the territory.
    pub fn check(
        territory: &Territory,
        role: &str,
        services: &[String],
        communes: &[String],
    ) -> Result<NewAccountPolicy, String> {
        let role = Role::parse(role)?;
        match role {
            Role::Admin => {
                return Err("accounts created on first sign-in cannot be admins: choose agent, designer, elu or redacteur, and make admins by hand".into());
            }
            Role::Agent | Role::Designer if services.is_empty() => {
                return Err(format!(
                    "a {role} works for at least one service: list them in services"
                ));
            }
            Role::Agent | Role::Designer if !communes.is_empty() => {
                return Err(format!(
                    "a {role} works for services, not communes: remove communes"
                ));
            }
            Role::Elu | Role::Redacteur if communes.is_empty() => {
                return Err(format!(
                    "a {role} works for at least one commune: list them in communes"
                ));
            }
            Role::Elu | Role::Redacteur if !services.is_empty() => {
                return Err(format!(
                    "a {role} works for communes, not services: remove services"
                ));
            }
            _ => {}
        }
        let mut checked_services = Vec::new();
        for service in services {
            if territory.service(service).is_none() {
                return Err(format!("unknown service « {service} »"));
            }
            checked_services.push(ServiceId::from_checked(service.clone()));
        }
        let mut checked_communes = Vec::new();
        for commune in communes {
            if territory.commune(commune).is_none() {
                return Err(format!("unknown commune « {commune} »"));
            }
            checked_communes.push(CommuneSlug::from_checked(commune.clone()));
        }
        Ok(NewAccountPolicy {
            role,
            services: checked_services,
            communes: checked_communes,
        })
    }
}

/// An issuer URL: https (plain http only on this machine, for tests and trials), a host, no
/// query, fragment or credentials (OpenID Connect Discovery § 2).
pub fn check_issuer(issuer: &str) -> Result<url::Url, String> {
    let bad = |why: &str| {
        format!(
            "issuer « {issuer} » {why}: write the provider's issuer URL, e.g. https://auth.example.fr/realms/agents"
        )
    };
    let url = url::Url::parse(issuer).map_err(|_| bad("is not a URL"))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if !(url.scheme() == "https" || (url.scheme() == "http" && local)) {
        return Err(bad("must use https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must have no query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must hold no credentials"));
    }
    Ok(url)
}

/// A mail domain as an address's part after `@`: lower case, dotted, no `@`.
pub fn check_domain(domain: &str) -> Result<String, String> {
    let domain = domain.trim().trim_start_matches('@').to_lowercase();
    let valid = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if valid {
        Ok(domain)
    } else {
        Err(format!(
            "« {domain} » is not a mail domain: write it as the part after @, e.g. marmande.fr"
        ))
    }
}

/// The problems of the `[oidc]` table, as (JSON pointer, message) pairs.
pub fn lint(territory: &Territory, oidc: &Oidc) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if let Some(issuer) = &oidc.issuer
        && let Err(why) = check_issuer(issuer)
    {
        problems.push(("/oidc/issuer".into(), why));
    }
    if let Some(id) = &oidc.client_id
        && id.trim().is_empty()
    {
        problems.push((
            "/oidc/client_id".into(),
            "the client id is empty: write the one the provider gave Guichet".into(),
        ));
    }
    if let Some(name) = &oidc.name
        && (name.trim().is_empty() || name.chars().count() > 60)
    {
        problems.push((
            "/oidc/name".into(),
            "the provider's name is shown on the sign-in button: 1 to 60 characters".into(),
        ));
    }
    for (i, scope) in oidc.scopes.iter().flatten().enumerate() {
        if scope.is_empty()
            || !scope
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            problems.push((
                format!("/oidc/scopes/{i}"),
                format!("« {scope} » is not a scope (one word, no spaces)"),
            ));
        }
    }
    for (i, domain) in oidc.allowed_domains.iter().enumerate() {
        if let Err(why) = check_domain(domain) {
            problems.push((format!("/oidc/allowed_domains/{i}"), why));
        }
    }
    if let Some(accounts) = &oidc.new_accounts
        && let Err(why) = NewAccountPolicy::check(
            territory,
            &accounts.role,
            &accounts.services,
            &accounts.communes,
        )
    {
        problems.push(("/oidc/new_accounts".into(), why));
    }
    if !oidc.allowed_domains.is_empty() && oidc.new_accounts.is_none() {
        problems.push((
            "/oidc/new_accounts".into(),
            "allowed_domains creates accounts on first sign-in: say with which role in [oidc.new_accounts] (role, and services or communes)".into(),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_urls_or_local() {
        assert!(check_issuer("https://auth.example.fr/realms/agents").is_ok());
        assert!(check_issuer("http://127.0.0.1:4000").is_ok());
        assert!(check_issuer("http://auth.example.fr").is_err());
        assert!(check_issuer("https://auth.example.fr/?x=1").is_err());
        assert!(check_issuer("https://user:pw@auth.example.fr").is_err());
        assert!(check_issuer("auth.example.fr").is_err());
    }

    fn problems(oidc: &str) -> Vec<String> {
        let text = format!(
            "[territory]\nname = \"T\"\n[[communes]]\nslug = \"a\"\nname = \"A\"\n[[services]]\nid = \"s\"\nname = \"S\"\ndefault_queue = \"q\"\n[[services.queues]]\nid = \"q\"\nname = \"Q\"\n{oidc}"
        );
        match Territory::parse(&text) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn check_reports_what_the_oidc_table_gets_wrong() {
        let good = "[oidc]\nissuer = \"https://kc.example.fr/realms/a\"\nclient_id = \"g\"\nallowed_domains = [\"a.fr\"]\n[oidc.new_accounts]\nrole = \"agent\"\nservices = [\"s\"]\n";
        assert_eq!(problems(good), Vec::<String>::new());
        let admin = problems(&good.replace("\"agent\"", "\"admin\""));
        assert!(admin[0].contains("cannot be admins"), "{admin:?}");
        let unknown = problems(&good.replace("[\"s\"]", "[\"nope\"]"));
        assert!(
            unknown[0].contains("unknown service « nope »"),
            "{unknown:?}"
        );
        let elu = problems(&good.replace("\"agent\"", "\"elu\""));
        assert!(elu[0].contains("at least one commune"), "{elu:?}");
        let no_role = problems(
            "[oidc]\nissuer = \"https://kc.example.fr\"\nclient_id = \"g\"\nallowed_domains = [\"a.fr\"]\n",
        );
        assert!(no_role[0].contains("[oidc.new_accounts]"), "{no_role:?}");
        let plain = problems("[oidc]\nissuer = \"http://kc.example.fr\"\nclient_id = \"g\"\n");
        assert!(plain[0].contains("must use https"), "{plain:?}");
        let secret = problems("[oidc]\nclient_secret = \"s3cret\"\n");
        assert!(secret[0].contains("client_secret"), "{secret:?}");
    }

    #[test]
    fn domains_are_the_part_after_the_at_sign() {
        assert_eq!(check_domain(" @Marmande.FR ").unwrap(), "marmande.fr");
        for bad in ["marmande", ".fr", "a@b.fr", "mar mande.fr", ""] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }
}
