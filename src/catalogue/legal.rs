//! What the catalogue says to citizens about their personal data and the site's legal
//! mentions: the territory's `[privacy]` and `[legal]` tables, each form's
//! `x-guichet.privacy` block, and the privacy notice built from them.
//!
//! The notice is what GDPR article 13 asks for at collection time (controller, purpose,
//! legal basis, recipients, retention, rights, DPO contact). A form that does not state its
//! purpose still shows a generic one, and `guichet check` warns of it: refusing the whole
//! catalogue would take every existing form offline for a missing sentence. Missing legal
//! mentions are likewise warnings, and the pages say « non renseigné » rather than invent.

use serde::{Deserialize, Serialize};

/// What a page says where a legal mention is missing.
pub const NOT_GIVEN: &str = "non renseigné";

/// The legal basis of a public body's processing, unless the territory says otherwise.
pub const DEFAULT_LEGAL_BASIS: &str =
    "exécution d'une mission d'intérêt public (article 6-1-e du RGPD)";

/// The CNIL complaint wording, unless the territory gives its own.
pub const DEFAULT_COMPLAINT: &str = "Si vous estimez, après nous avoir contactés, que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la CNIL : en ligne sur www.cnil.fr/fr/plaintes, ou par courrier à la CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07.";

/// The territory's `[privacy]` table: who is responsible for the data and how to reach
/// their data protection officer (DPO).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    /// The controller (responsable du traitement); the territory's name when absent.
    pub controller: Option<String>,
    /// The controller's postal address; the territory's address when absent.
    pub controller_address: Option<String>,
    pub dpo_email: Option<String>,
    pub dpo_address: Option<String>,
    /// For forms that do not give theirs; [`DEFAULT_LEGAL_BASIS`] when absent.
    pub legal_basis: Option<String>,
    /// How to complain to the CNIL; [`DEFAULT_COMPLAINT`] when absent.
    pub complaint: Option<String>,
}

/// A form's `x-guichet.privacy` block: what its notice says on top of the territory's.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormPrivacy {
    /// Why the data is collected, as citizens read it.
    pub purpose: Option<String>,
    /// Overrides the territory's default legal basis.
    pub legal_basis: Option<String>,
    /// Who receives the data; by default the form's service and the commune's élus.
    pub recipients: Option<Vec<String>>,
}

pub(super) const FORM_PRIVACY_KEYS: [&str; 3] = ["purpose", "legal_basis", "recipients"];
/// Notices are read on a phone: a purpose or a recipient is a sentence, not a page.
pub(super) const MAX_PRIVACY_TEXT: usize = 1000;

/// The territory's `[legal]` table: the mentions légales (LCEN article 6) and the RGAA
/// accessibility statement.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Legal {
    /// The publisher (éditeur du site); the territory's name when absent.
    pub publisher: Option<String>,
    /// The publisher's address; the territory's address when absent.
    pub publisher_address: Option<String>,
    /// The publisher's phone (the LCEN asks for it); the territory's phone when absent.
    pub publisher_phone: Option<String>,
    pub publication_director: Option<String>,
    /// The host (hébergeur): name, postal address and phone, as the LCEN requires.
    pub host: Option<String>,
    pub host_address: Option<String>,
    pub host_phone: Option<String>,
    #[serde(default)]
    pub accessibility: Accessibility,
}

/// The `[legal.accessibility]` table: the RGAA 4.1 accessibility statement.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Accessibility {
    /// « non conforme » until an audit says otherwise, as the RGAA requires.
    #[serde(default)]
    pub status: Conformity,
    /// The audit's date, `YYYY-MM-DD`.
    pub audit_date: Option<String>,
    /// Who audited.
    pub auditor: Option<String>,
    /// The share of RGAA criteria met, in percent.
    pub audit_rate: Option<f64>,
    #[serde(default)]
    pub non_conformities: Vec<String>,
    #[serde(default)]
    pub derogations: Vec<String>,
    /// How to report an accessibility problem (an e-mail address, a phone, a page).
    pub contact: Option<String>,
    /// The statement's date, `YYYY-MM-DD`.
    pub statement_date: Option<String>,
    /// Replaces the standard Défenseur des droits recourse text.
    pub recourse: Option<String>,
}

/// The RGAA conformity status, in the words the RGAA prescribes.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Conformity {
    #[default]
    #[serde(rename = "non conforme")]
    Non,
    #[serde(rename = "partiellement conforme")]
    Partial,
    #[serde(rename = "totalement conforme")]
    Total,
}

impl Conformity {
    pub fn label_fr(self) -> &'static str {
        match self {
            Conformity::Non => "non conforme",
            Conformity::Partial => "partiellement conforme",
            Conformity::Total => "totalement conforme",
        }
    }
}

impl Privacy {
    pub fn legal_basis(&self) -> &str {
        self.legal_basis.as_deref().unwrap_or(DEFAULT_LEGAL_BASIS)
    }

    pub fn complaint(&self) -> &str {
        self.complaint.as_deref().unwrap_or(DEFAULT_COMPLAINT)
    }

    /// The DPO's contact as one line, or « non renseigné ».
    pub fn dpo_contact(&self) -> String {
        let parts: Vec<&str> = [&self.dpo_email, &self.dpo_address]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if parts.is_empty() {
            NOT_GIVEN.to_owned()
        } else {
            parts.join(" ; ")
        }
    }
}

/// Errors in the territory's `[privacy]` and `[legal]` tables, as (pointer, message).
pub fn lint_territory(privacy: &Privacy, legal: &Legal) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if let Some(email) = &privacy.dpo_email
        && !email.contains('@')
    {
        problems.push((
            "/privacy/dpo_email".into(),
            format!("« {email} » is not an e-mail address"),
        ));
    }
    let a11y = &legal.accessibility;
    if let Some(rate) = a11y.audit_rate
        && !(0.0..=100.0).contains(&rate)
    {
        problems.push((
            "/legal/accessibility/audit_rate".into(),
            format!(
                "the audit rate is a percentage of RGAA criteria met, from 0 to 100 (found {rate})"
            ),
        ));
    }
    for (field, value) in [
        ("audit_date", &a11y.audit_date),
        ("statement_date", &a11y.statement_date),
    ] {
        if let Some(text) = value
            && date_fr(text).is_none()
        {
            problems.push((
                format!("/legal/accessibility/{field}"),
                format!("« {text} » is not a date: write it as \"YYYY-MM-DD\", in quotes"),
            ));
        }
    }
    if a11y.status == Conformity::Total && !a11y.non_conformities.is_empty() {
        problems.push((
            "/legal/accessibility/status".into(),
            "a site with non-conformities is not « totalement conforme »: say « partiellement conforme »".into(),
        ));
    }
    problems
}

/// "365 jours (≈ 12 mois) après la clôture de la demande".
pub fn retention_fr(days: u32) -> String {
    let months = (f64::from(days) / (365.25 / 12.0)).round() as u32;
    let days_text = if days == 1 {
        "1 jour".to_owned()
    } else {
        format!("{days} jours")
    };
    if months == 0 {
        format!("{days_text} après la clôture de la demande")
    } else {
        format!("{days_text} (≈ {months} mois) après la clôture de la demande")
    }
}

/// "12 mars 2026" for "2026-03-12", or `None` if it is not such a date.
pub fn date_fr(text: &str) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = match date.day() {
        1 => "1er".to_owned(),
        d => d.to_string(),
    };
    Some(format!(
        "{day} {} {}",
        MONTHS[usize::from(u8::from(date.month())) - 1],
        date.year()
    ))
}

/// The legal pages every public page's footer links to, with their titles.
pub const PAGES: [(&str, &str); 4] = [
    ("/mentions-legales", "Mentions légales"),
    ("/donnees-personnelles", "Données personnelles"),
    ("/accessibilite", "Accessibilité"),
    ("/plan-du-site", "Plan du site"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_in_days_and_months() {
        assert_eq!(
            retention_fr(365),
            "365 jours (≈ 12 mois) après la clôture de la demande"
        );
        assert_eq!(
            retention_fr(730),
            "730 jours (≈ 24 mois) après la clôture de la demande"
        );
        assert_eq!(retention_fr(1), "1 jour après la clôture de la demande");
        assert_eq!(
            retention_fr(45),
            "45 jours (≈ 1 mois) après la clôture de la demande"
        );
    }

    #[test]
    fn dates_read_in_french() {
        assert_eq!(date_fr("2026-03-12").as_deref(), Some("12 mars 2026"));
        assert_eq!(date_fr("2026-08-01").as_deref(), Some("1er août 2026"));
        assert_eq!(date_fr("12/03/2026"), None);
    }

    #[test]
    fn the_status_is_read_in_the_rgaa_words() {
        let a: Accessibility = toml::from_str("status = \"partiellement conforme\"").unwrap();
        assert_eq!(a.status, Conformity::Partial);
        assert!(toml::from_str::<Accessibility>("status = \"conforme\"").is_err());
        assert_eq!(Accessibility::default().status, Conformity::Non);
    }
}
