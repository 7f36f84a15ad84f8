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

use crate::i18n::Lang;

/// What a French page says where a legal mention is missing (the message
/// `legal-not-given`, named in `guichet check`'s warnings).
pub const NOT_GIVEN: &str = "non renseigné";

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
    /// For forms that do not give theirs; the message `notice-legal-basis` (a public
    /// body's mission of public interest) when absent.
    pub legal_basis: Option<String>,
    /// How to complain to the CNIL; the message `pd-complaint` when absent.
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

    /// The status as the statement says it, in `lang`.
    pub fn label(self, lang: Lang) -> String {
        lang.text(match self {
            Conformity::Non => "a11y-status-non",
            Conformity::Partial => "a11y-status-partial",
            Conformity::Total => "a11y-status-total",
        })
    }
}

impl Privacy {
    /// The DPO's contact as one line, or « non renseigné » ("not given") in `lang`.
    pub fn dpo_contact(&self, lang: Lang) -> String {
        let parts: Vec<&str> = [&self.dpo_email, &self.dpo_address]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if parts.is_empty() {
            lang.text("legal-not-given")
        } else {
            parts.join(match lang {
                Lang::Fr => "\u{a0}; ",
                Lang::En => "; ",
            })
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
    retention_in(days, Lang::Fr)
}

/// [`retention_fr`] in `lang`: "365 days (≈ 12 months) after the request is closed".
pub fn retention_in(days: u32, lang: Lang) -> String {
    let months = (f64::from(days) / (365.25 / 12.0)).round() as u32;
    if months == 0 {
        lang.text_with("notice-retention", &[("days", days.into())])
    } else {
        lang.text_with(
            "notice-retention-months",
            &[("days", days.into()), ("months", months.into())],
        )
    }
}

/// "12 mars 2026" for "2026-03-12", or `None` if it is not such a date.
pub fn date_fr(text: &str) -> Option<String> {
    date_in(text, Lang::Fr)
}

/// [`date_fr`] in `lang`: "12 March 2026".
pub fn date_in(text: &str, lang: Lang) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    let month = lang.text(&format!("month-long-{}", u8::from(date.month())));
    Some(lang.text_with(
        "date-long",
        &[
            ("day", u32::from(date.day()).into()),
            ("month", month.into()),
            ("year", date.year().to_string().into()),
        ],
    ))
}

/// The legal pages every public page's footer links to, with the message keys of their titles.
pub const PAGES: [(&str, &str); 4] = [
    ("/mentions-legales", "footer-legal-notice"),
    ("/donnees-personnelles", "footer-personal-data"),
    ("/accessibilite", "footer-accessibility"),
    ("/plan-du-site", "footer-site-map"),
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
    fn the_missing_mention_is_the_french_message() {
        assert_eq!(Lang::Fr.text("legal-not-given"), NOT_GIVEN);
        assert_eq!(Lang::En.text("legal-not-given"), "not given");
    }

    #[test]
    fn dates_and_retention_read_in_english() {
        assert_eq!(
            date_in("2026-08-01", Lang::En).as_deref(),
            Some("1 August 2026")
        );
        assert_eq!(
            retention_in(365, Lang::En),
            "365 days (≈ 12 months) after the request is closed"
        );
        assert_eq!(
            retention_in(1, Lang::En),
            "1 day after the request is closed"
        );
    }

    #[test]
    fn the_status_is_read_in_the_rgaa_words() {
        let a: Accessibility = toml::from_str("status = \"partiellement conforme\"").unwrap();
        assert_eq!(a.status, Conformity::Partial);
        assert!(toml::from_str::<Accessibility>("status = \"conforme\"").is_err());
        assert_eq!(Accessibility::default().status, Conformity::Non);
    }
}
