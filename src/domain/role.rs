//! What a staff account may do. Agents and designers work for services; élus and rédacteurs
//! for communes.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, everywhere.
    Admin,
    /// Builds the forms of their services (no access to requests).
    Designer,
    /// Handles the requests of their services.
    Agent,
    /// An elected official: files requests for citizens and follows those of their communes.
    Elu,
    /// Keeps the small sites of their communes: page, news, picture (no access to requests).
    Redacteur,
    /// The front desk and the phone line (accueil): files requests for callers and follows
    /// those it filed (no access to the services' queues).
    Accueil,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Designer,
        Role::Agent,
        Role::Elu,
        Role::Redacteur,
        Role::Accueil,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Designer => "designer",
            Role::Agent => "agent",
            Role::Elu => "elu",
            Role::Redacteur => "redacteur",
            Role::Accueil => "accueil",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim().to_lowercase();
        let input = match input.as_str() {
            "élu" => "elu".to_owned(),
            "rédacteur" => "redacteur".to_owned(),
            _ => input,
        };
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == input)
            .ok_or_else(|| {
                format!(
                    "role « {input} » is not one of admin, designer, agent, elu, redacteur, accueil"
                )
            })
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Admin => "administrateur",
            Role::Designer => "concepteur de formulaires",
            Role::Agent => "agent",
            Role::Elu => "élu",
            Role::Redacteur => "rédacteur",
            Role::Accueil => "agent d'accueil",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: width and alignment (`{:<9}`) apply, as for a `str`.
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_honours_width_like_a_str() {
        assert_eq!(format!("[{:<9}]", Role::Elu), "[elu      ]");
        assert_eq!(format!("[{:>5}]", Role::Admin), "[admin]");
    }
}
