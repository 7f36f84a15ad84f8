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
use serde_json::Value;

use super::Catalogue;
use super::diagnostic::Diagnostic;
use super::form::{Form, META_KEY};
use super::territory::{self, Territory};

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

const FORM_PRIVACY_KEYS: [&str; 3] = ["purpose", "legal_basis", "recipients"];
/// Notices are read on a phone: a purpose or a recipient is a sentence, not a page.
const MAX_PRIVACY_TEXT: usize = 1000;

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

/// Missing legal mentions, as (pointer, message): `guichet check` warns of them, the pages
/// say « non renseigné ».
pub fn missing_mentions(territory: &Territory) -> Vec<(String, String)> {
    let mut missing = Vec::new();
    let mut need = |pointer: &str, present: bool, what: &str| {
        if !present {
            missing.push((
                pointer.to_owned(),
                format!("{what} is not given; the legal pages say « {NOT_GIVEN} »"),
            ));
        }
    };
    let (privacy, legal) = (&territory.privacy, &territory.legal);
    need(
        "/privacy/dpo_email",
        privacy.dpo_email.is_some() || privacy.dpo_address.is_some(),
        "the DPO's contact ([privacy] dpo_email or dpo_address)",
    );
    need(
        "/privacy/controller_address",
        privacy.controller_address.is_some() || territory.territory.address.is_some(),
        "the controller's address ([privacy] controller_address)",
    );
    need(
        "/legal/publisher_phone",
        legal.publisher_phone.is_some() || territory.territory.phone.is_some(),
        "the publisher's phone ([legal] publisher_phone)",
    );
    need(
        "/legal/publication_director",
        legal.publication_director.is_some(),
        "the publication director ([legal] publication_director)",
    );
    need(
        "/legal/host",
        legal.host.is_some(),
        "the host ([legal] host)",
    );
    need(
        "/legal/host_address",
        legal.host_address.is_some(),
        "the host's address ([legal] host_address)",
    );
    let a11y = &legal.accessibility;
    need(
        "/legal/accessibility/contact",
        a11y.contact.is_some(),
        "the accessibility contact ([legal.accessibility] contact)",
    );
    need(
        "/legal/accessibility/statement_date",
        a11y.statement_date.is_some(),
        "the accessibility statement's date ([legal.accessibility] statement_date)",
    );
    if a11y.status != Conformity::Non && a11y.audit_date.is_none() {
        missing.push((
            "/legal/accessibility/audit_date".into(),
            format!(
                "a « {} » status needs an audit: give its audit_date and audit_rate, or say « non conforme »",
                a11y.status.label_fr()
            ),
        ));
    }
    missing
}

/// Problems in a form's `x-guichet.privacy` value, as (pointer, message), checked before the
/// block is read so each one names its key rather than serde's type names.
pub fn lint_form_privacy(value: &Value) -> Vec<(String, String)> {
    let base = format!("/{META_KEY}/privacy");
    let Some(object) = value.as_object() else {
        return vec![(
            base,
            "`privacy` must be an object such as {\"purpose\": \"…\"}".into(),
        )];
    };
    let mut problems = Vec::new();
    let text_problem = |v: &Value| match v.as_str() {
        None => Some("must be a text"),
        Some(s) if s.trim().is_empty() => Some("is empty"),
        Some(s) if s.chars().count() > MAX_PRIVACY_TEXT => {
            Some("is too long (1000 characters at most)")
        }
        Some(_) => None,
    };
    for (key, v) in object {
        let at = format!("{base}/{key}");
        match key.as_str() {
            "purpose" | "legal_basis" => {
                if let Some(why) = text_problem(v) {
                    problems.push((at, format!("`{key}` {why}: write it as citizens will read it")));
                }
            }
            "recipients" => match v.as_array() {
                Some(items) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(why) = text_problem(item) {
                            problems.push((format!("{at}/{i}"), format!("a recipient {why}: name a service or an organisation")));
                        }
                    }
                }
                _ => problems.push((
                    at,
                    "`recipients` must be a non-empty list of texts, such as [\"Service voirie\"]; leave it out to name the form's service".into(),
                )),
            },
            other => problems.push((
                at,
                format!(
                    "unknown key `{other}` in privacy (the keys are {})",
                    FORM_PRIVACY_KEYS.join(", ")
                ),
            )),
        }
    }
    problems
}

/// `guichet check`'s warnings about personal data and legal mentions: forms without a
/// purpose, and missing mentions in territory.toml; each located in its file.
pub fn warnings(catalogue: &Catalogue) -> Vec<Diagnostic> {
    let root = &catalogue.root;
    let text = std::fs::read_to_string(root.join(territory::FILE_NAME)).unwrap_or_default();
    let mut found: Vec<Diagnostic> = missing_mentions(&catalogue.territory)
        .into_iter()
        .map(|(pointer, message)| {
            Diagnostic::at_pointer(territory::FILE_NAME, &pointer, message).locate_in_toml(&text)
        })
        .collect();
    // Élus and agents file the other forms for citizens; only the portal's forms show a notice.
    for form in catalogue.citizen_forms(None) {
        if form.meta.privacy.purpose.is_none() {
            let text = std::fs::read_to_string(root.join(&form.file)).unwrap_or_default();
            found.push(
                Diagnostic::at_pointer(
                    &form.file,
                    &format!("/{META_KEY}/privacy/purpose"),
                    "the form states no purpose (x-guichet.privacy.purpose): its privacy notice shows a generic one; write why the data is collected",
                )
                .locate_in_json(&text),
            );
        }
    }
    found
}

/// A form's privacy notice: the essentials citizens read before the first question and on
/// the review page, and the "Données personnelles" page lists per form.
#[derive(Debug, Clone)]
pub struct Notice {
    pub form_id: String,
    pub form_title: String,
    pub controller: String,
    pub purpose: String,
    pub legal_basis: String,
    pub recipients: Vec<String>,
    pub retention: String,
    pub dpo: String,
}

impl Notice {
    pub fn of(form: &Form, catalogue: &Catalogue) -> Notice {
        let territory = &catalogue.territory;
        let privacy = &form.meta.privacy;
        let recipients = privacy.recipients.clone().unwrap_or_else(|| {
            let mut default = vec![catalogue.service_name(&form.meta.service).to_owned()];
            // Élus see every request concerning their communes (their workspace).
            if !territory.communes.is_empty() {
                default.push("les élus de la commune concernée par votre demande".to_owned());
            }
            default
        });
        Notice {
            form_id: form.id.clone(),
            form_title: form.title.clone(),
            controller: controller(territory),
            purpose: privacy.purpose.clone().unwrap_or_else(|| {
                format!("Traiter votre demande « {} » et vous répondre.", form.title)
            }),
            legal_basis: privacy
                .legal_basis
                .clone()
                .unwrap_or_else(|| territory.privacy.legal_basis().to_owned()),
            recipients,
            retention: retention_fr(form.retention_days(territory)),
            dpo: territory.privacy.dpo_contact(),
        }
    }
}

/// The controller's name: `[privacy] controller`, or the territory's name.
pub fn controller(territory: &Territory) -> String {
    territory
        .privacy
        .controller
        .clone()
        .unwrap_or_else(|| territory.territory.name.clone())
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
    use serde_json::json;

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
    fn bad_privacy_values_name_their_key() {
        assert!(lint_form_privacy(&json!({"purpose": "Livrer un bac."})).is_empty());
        let found = lint_form_privacy(&json!({"purpose": 3, "recipients": [], "why": "x"}));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/x-guichet/privacy/purpose",
                "/x-guichet/privacy/recipients",
                "/x-guichet/privacy/why"
            ]
        );
        assert_eq!(lint_form_privacy(&json!("x"))[0].0, "/x-guichet/privacy");
    }

    #[test]
    fn the_status_is_read_in_the_rgaa_words() {
        let a: Accessibility = toml::from_str("status = \"partiellement conforme\"").unwrap();
        assert_eq!(a.status, Conformity::Partial);
        assert!(toml::from_str::<Accessibility>("status = \"conforme\"").is_err());
        assert_eq!(Accessibility::default().status, Conformity::Non);
    }
}
