//! A staff account as an admin gives it: its address, the name people see, its access (a
//! role and its scope), and the kinds of change its history records. The same rules hold
//! whether the account is made on the command line or in the back office; whether the
//! services and communes exist is the catalogue's to say (`crate::accounts`).

use std::fmt;

use super::{CommuneSlug, Role, ServiceId};

/// A staff e-mail address: trimmed, lower-case, one `@` with a dotted domain after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEmail(String);

/// The longest e-mail address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;
/// The longest display name.
pub const MAX_NAME_CHARS: usize = 100;

impl StaffEmail {
    pub fn parse(input: &str) -> Result<StaffEmail, AccountProblem> {
        let email = input.trim().to_lowercase();
        let valid = email.chars().count() <= MAX_EMAIL_CHARS
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(StaffEmail(email))
        } else {
            Err(AccountProblem::BadEmail(
                input.trim().chars().take(80).collect(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The name an account is shown by (« Claire Martin »): not blank, at most
/// [`MAX_NAME_CHARS`] characters, nothing invisible that could move text around.
pub fn display_name(input: &str) -> Result<String, AccountProblem> {
    let name = input.trim();
    if super::text::is_blank(name) {
        return Err(AccountProblem::NoName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AccountProblem::LongName);
    }
    if name.chars().any(super::text::is_stray_control) || name.contains(['\n', '\r', '\t']) {
        return Err(AccountProblem::InvisibleInName);
    }
    Ok(name.to_owned())
}

/// What an account may reach: its role, and the services or communes the role is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub services: Vec<ServiceId>,
    pub communes: Vec<CommuneSlug>,
    /// An élu who also keeps the sites of their communes (the rédacteur's rights).
    pub site_editor: bool,
}

impl Access {
    /// Checks that the scope fits the role: agents and designers work for services, élus
    /// and rédacteurs for communes, admins for everything (and nothing else).
    pub fn new(
        role: Role,
        services: Vec<ServiceId>,
        communes: Vec<CommuneSlug>,
        site_editor: bool,
    ) -> Result<Access, AccountProblem> {
        match role {
            Role::Agent | Role::Designer if services.is_empty() => {
                return Err(AccountProblem::NoService(role));
            }
            Role::Elu | Role::Redacteur if communes.is_empty() => {
                return Err(AccountProblem::NoCommune(role));
            }
            Role::Elu | Role::Redacteur if !services.is_empty() => {
                return Err(AccountProblem::ServicesForCommunes(role));
            }
            Role::Agent | Role::Designer if !communes.is_empty() => {
                return Err(AccountProblem::CommunesForServices(role));
            }
            Role::Admin if !services.is_empty() || !communes.is_empty() => {
                return Err(AccountProblem::ScopedAdmin);
            }
            Role::Accueil if !services.is_empty() || !communes.is_empty() => {
                return Err(AccountProblem::ScopedFrontDesk);
            }
            _ => {}
        }
        if site_editor && role != Role::Elu {
            return Err(AccountProblem::EditorNotElu);
        }
        Ok(Access {
            role,
            services: once_each(services),
            communes: once_each(communes),
            site_editor,
        })
    }

    /// Whether two accesses give the same rights, in whatever order their lists are.
    pub fn same_as(&self, other: &Access) -> bool {
        let sorted = |a: &Access| {
            let (mut services, mut communes) = (a.services.clone(), a.communes.clone());
            services.sort();
            communes.sort();
            (a.role, services, communes, a.site_editor)
        };
        sorted(self) == sorted(other)
    }
}

/// The list in its order, each item once.
fn once_each<T: PartialEq>(given: Vec<T>) -> Vec<T> {
    let mut kept: Vec<T> = Vec::with_capacity(given.len());
    for item in given {
        if !kept.contains(&item) {
            kept.push(item);
        }
    }
    kept
}

/// Why an account cannot be made or changed as asked. Each has a French sentence for the
/// back office and an English one for the command line (which names its flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountProblem {
    BadEmail(String),
    NoName,
    LongName,
    InvisibleInName,
    UnknownRole(String),
    NoService(Role),
    NoCommune(Role),
    ServicesForCommunes(Role),
    CommunesForServices(Role),
    ScopedAdmin,
    /// The front desk files for the whole territory and reads only what it filed.
    ScopedFrontDesk,
    EditorNotElu,
    UnknownService(String),
    UnknownCommune(String),
    Taken(String),
}

impl AccountProblem {
    pub fn fr(&self) -> String {
        match self {
            AccountProblem::BadEmail(given) => format!(
                "« {given} » n'est pas une adresse électronique complète : vérifiez-la (par exemple claire.martin@example.org)."
            ),
            AccountProblem::NoName => {
                "Saisissez le nom de la personne, tel que ses collègues le liront (par exemple « Claire Martin »).".into()
            }
            AccountProblem::LongName => {
                format!("Le nom dépasse {MAX_NAME_CHARS} caractères : raccourcissez-le.")
            }
            AccountProblem::InvisibleInName => {
                "Le nom contient un caractère invisible ou un retour à la ligne : retapez-le.".into()
            }
            AccountProblem::UnknownRole(given) => format!(
                "Le rôle « {given} » n'existe pas : choisissez administrateur, concepteur de formulaires, agent, élu ou rédacteur."
            ),
            AccountProblem::NoService(role) => format!(
                "Un compte {} travaille pour au moins un service : cochez-en un.",
                role.label_fr()
            ),
            AccountProblem::NoCommune(role) => format!(
                "Un compte {} est rattaché à au moins une commune : cochez-en une.",
                role.label_fr()
            ),
            AccountProblem::ServicesForCommunes(role) => format!(
                "Un compte {} est rattaché à des communes, pas à des services : décochez les services.",
                role.label_fr()
            ),
            AccountProblem::CommunesForServices(role) => format!(
                "Un compte {} travaille pour des services, pas pour des communes : décochez les communes.",
                role.label_fr()
            ),
            AccountProblem::ScopedAdmin => {
                "Un administrateur voit tout : décochez les services et les communes.".into()
            }
            AccountProblem::ScopedFrontDesk => {
                "Un agent d'accueil dépose des demandes pour tout le territoire et ne voit que celles qu'il a déposées : décochez les services et les communes.".into()
            }
            AccountProblem::EditorNotElu => {
                "Seul un élu reçoit en plus les droits de rédacteur de ses communes : pour un rédacteur seul, choisissez le rôle « rédacteur ».".into()
            }
            AccountProblem::UnknownService(id) => format!(
                "Le service « {id} » n'existe pas dans le territoire : choisissez un service de la liste."
            ),
            AccountProblem::UnknownCommune(slug) => format!(
                "La commune « {slug} » n'existe pas dans le territoire : choisissez une commune de la liste."
            ),
            AccountProblem::Taken(email) => format!(
                "Un compte existe déjà pour {email} : retrouvez-le dans la liste des comptes."
            ),
        }
    }

    /// For `guichet user …`.
    pub fn cli(&self) -> String {
        match self {
            AccountProblem::BadEmail(given) => format!("{given:?} is not an e-mail address"),
            AccountProblem::NoName => "--name must not be empty".into(),
            AccountProblem::LongName => {
                format!("--name must be at most {MAX_NAME_CHARS} characters")
            }
            AccountProblem::InvisibleInName => "--name holds an invisible character".into(),
            AccountProblem::UnknownRole(given) => {
                format!("role « {given} » is not one of admin, designer, agent, elu, redacteur")
            }
            AccountProblem::NoService(role) => {
                format!("a {role} works for at least one service: add --service ID")
            }
            AccountProblem::NoCommune(Role::Redacteur) => {
                "a rédacteur keeps the site of at least one commune: add --commune SLUG".into()
            }
            AccountProblem::NoCommune(_) => {
                "an élu represents at least one commune: add --commune SLUG".into()
            }
            AccountProblem::ServicesForCommunes(role) => {
                format!("a {role} works for communes, not services: drop --service")
            }
            AccountProblem::CommunesForServices(role) => {
                format!("a {role} works for services, not communes: drop --commune")
            }
            AccountProblem::ScopedAdmin => {
                "an admin sees everything: drop --service and --commune".into()
            }
            AccountProblem::ScopedFrontDesk => {
                "the front desk (accueil) files for the whole territory: drop --service and --commune".into()
            }
            AccountProblem::EditorNotElu => {
                "--redacteur is for élus; a rédacteur account is --role redacteur".into()
            }
            AccountProblem::UnknownService(id) => {
                format!("unknown service {id:?}: see territory.toml")
            }
            AccountProblem::UnknownCommune(slug) => {
                format!("unknown commune {slug:?}: see territory.toml")
            }
            AccountProblem::Taken(email) => format!("an account already exists for {email}"),
        }
    }
}

impl fmt::Display for AccountProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cli())
    }
}

impl std::error::Error for AccountProblem {}

/// What an account's history records. Append-only: the store refuses to change or remove
/// a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEventKind {
    Created,
    /// Its name, role, services, communes or rédacteur rights changed (before and after).
    AccessChanged,
    Disabled,
    Enabled,
    /// A password-set link was e-mailed (an invitation, or a reset).
    LinkSent,
    PasswordSet,
}

impl AccountEventKind {
    pub const ALL: [AccountEventKind; 6] = [
        AccountEventKind::Created,
        AccountEventKind::AccessChanged,
        AccountEventKind::Disabled,
        AccountEventKind::Enabled,
        AccountEventKind::LinkSent,
        AccountEventKind::PasswordSet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountEventKind::Created => "created",
            AccountEventKind::AccessChanged => "access_changed",
            AccountEventKind::Disabled => "disabled",
            AccountEventKind::Enabled => "enabled",
            AccountEventKind::LinkSent => "link_sent",
            AccountEventKind::PasswordSet => "password_set",
        }
    }

    pub fn parse(text: &str) -> Option<AccountEventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            AccountEventKind::Created => "compte créé",
            AccountEventKind::AccessChanged => "accès modifiés",
            AccountEventKind::Disabled => "compte désactivé",
            AccountEventKind::Enabled => "compte réactivé",
            AccountEventKind::LinkSent => "lien de mot de passe envoyé",
            AccountEventKind::PasswordSet => "mot de passe choisi",
        }
    }
}

/// Why a password-set link was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkReason {
    /// A new account, or an admin who sends one: "choose your password".
    Invitation,
    /// The person asked from the sign-in page ("mot de passe oublié").
    Forgotten,
}

impl LinkReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkReason::Invitation => "invitation",
            LinkReason::Forgotten => "forgotten",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<T: TryFrom<String>>(given: &[&str]) -> Vec<T>
    where
        T::Error: fmt::Debug,
    {
        given
            .iter()
            .map(|s| T::try_from(s.to_string()).unwrap())
            .collect()
    }

    #[test]
    fn addresses_are_lower_cased_and_checked() {
        assert_eq!(
            StaffEmail::parse("  Claire.Martin@VDG.example.org ")
                .unwrap()
                .as_str(),
            "claire.martin@vdg.example.org"
        );
        for bad in [
            "",
            "claire",
            "@x.fr",
            "claire@",
            "claire@x",
            "claire@.fr",
            "claire@x.",
            "a b@x.fr",
            "a@b@x.fr",
        ] {
            assert!(StaffEmail::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_visible_and_short() {
        assert_eq!(display_name("  Claire Martin ").unwrap(), "Claire Martin");
        assert_eq!(display_name(" \u{200B} "), Err(AccountProblem::NoName));
        assert_eq!(
            display_name(&"a".repeat(MAX_NAME_CHARS + 1)),
            Err(AccountProblem::LongName)
        );
        assert_eq!(
            display_name("Claire\u{202E}nitraM"),
            Err(AccountProblem::InvisibleInName)
        );
    }

    #[test]
    fn the_scope_fits_the_role() {
        let access =
            |role, s: &[&str], c: &[&str], editor| Access::new(role, ids(s), ids(c), editor);
        assert!(
            access(Role::Agent, &["voirie", "voirie"], &[], false)
                .is_ok_and(|a| a.services.len() == 1)
        );
        assert_eq!(
            access(Role::Agent, &[], &[], false),
            Err(AccountProblem::NoService(Role::Agent))
        );
        assert_eq!(
            access(Role::Elu, &[], &[], false),
            Err(AccountProblem::NoCommune(Role::Elu))
        );
        assert_eq!(
            access(Role::Elu, &["voirie"], &["marmande"], false),
            Err(AccountProblem::ServicesForCommunes(Role::Elu))
        );
        assert_eq!(
            access(Role::Agent, &["voirie"], &["marmande"], false),
            Err(AccountProblem::CommunesForServices(Role::Agent))
        );
        assert_eq!(
            access(Role::Admin, &["voirie"], &[], false),
            Err(AccountProblem::ScopedAdmin)
        );
        assert_eq!(
            access(Role::Redacteur, &[], &["marmande"], true),
            Err(AccountProblem::EditorNotElu)
        );
        assert!(access(Role::Elu, &[], &["marmande"], true).is_ok());
    }

    #[test]
    fn event_kinds_read_back() {
        for kind in AccountEventKind::ALL {
            assert_eq!(AccountEventKind::parse(kind.as_str()), Some(kind));
        }
    }
}
