//! The legal pages every public page's footer links to: mentions légales, personal data
//! (each citizen form's notice, the rights, the CNIL), the RGAA accessibility statement and
//! the site map. Their content comes from territory.toml's `[privacy]` and `[legal]`
//! tables; a missing mention reads « non renseigné » (and `guichet check` warns of it).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use crate::catalogue::legal::{self, Conformity, NOT_GIVEN};
use crate::catalogue::notices::{self, Notice};
use crate::web::AppState;
use crate::web::language::Localizer;

/// `Some(text)` or « non renseigné ».
fn given(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| NOT_GIVEN.to_owned())
}

#[derive(Template, WebTemplate)]
#[template(path = "public/legal_notice.html")]
pub struct LegalNoticePage {
    pub t: Localizer,
    pub territory: String,
    pub publisher: String,
    pub publisher_address: String,
    pub publisher_email: String,
    pub publisher_phone: String,
    pub publication_director: String,
    pub host: String,
    pub host_address: String,
    pub host_phone: String,
}

pub async fn legal_notice(State(state): State<AppState>, tr: Localizer) -> LegalNoticePage {
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    let legal = &t.legal;
    LegalNoticePage {
        t: tr,
        territory: t.territory.name.clone(),
        publisher: legal
            .publisher
            .clone()
            .unwrap_or_else(|| t.territory.name.clone()),
        publisher_address: given(
            &legal
                .publisher_address
                .clone()
                .or(t.territory.address.clone()),
        ),
        publisher_email: given(&t.territory.email),
        publisher_phone: given(&legal.publisher_phone.clone().or(t.territory.phone.clone())),
        publication_director: given(&legal.publication_director),
        host: given(&legal.host),
        host_address: given(&legal.host_address),
        host_phone: given(&legal.host_phone),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/personal_data.html")]
pub struct PersonalDataPage {
    pub t: Localizer,
    pub territory: String,
    pub controller: String,
    pub controller_address: String,
    pub dpo: String,
    pub complaint: String,
    /// One per form a citizen can file.
    pub notices: Vec<Notice>,
}

pub async fn personal_data(State(state): State<AppState>, tr: Localizer) -> PersonalDataPage {
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    PersonalDataPage {
        t: tr,
        territory: t.territory.name.clone(),
        controller: notices::controller(t),
        controller_address: given(
            &t.privacy
                .controller_address
                .clone()
                .or(t.territory.address.clone()),
        ),
        dpo: t.privacy.dpo_contact(),
        complaint: t.privacy.complaint().to_owned(),
        notices: catalogue
            .citizen_forms(None)
            .map(|form| Notice::of(form, &catalogue))
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/accessibility.html")]
pub struct AccessibilityPage {
    pub t: Localizer,
    pub territory: String,
    pub publisher: String,
    pub status: &'static str,
    /// What the audit found, in a sentence, when there was one.
    pub audit: Option<String>,
    /// No audit, and the status says so.
    pub never_audited: bool,
    pub non_conformities: Vec<String>,
    pub derogations: Vec<String>,
    pub contact: String,
    pub statement_date: String,
    /// The territory's own recourse text; the standard one otherwise.
    pub recourse: Option<String>,
}

pub async fn accessibility(State(state): State<AppState>, tr: Localizer) -> AccessibilityPage {
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    let a11y = &t.legal.accessibility;
    let audit = a11y.audit_date.as_deref().map(|date| {
        let date = legal::date_fr(date).unwrap_or_else(|| date.to_owned());
        let by = a11y
            .auditor
            .as_deref()
            .map(|who| format!(" par {who}"))
            .unwrap_or_default();
        match a11y.audit_rate {
            Some(rate) => format!(
                "L'audit de conformité réalisé le {date}{by} révèle que {} % des critères du RGAA version 4.1 sont respectés.",
                percent_fr(rate)
            ),
            None => format!("Un audit de conformité a été réalisé le {date}{by}."),
        }
    });
    AccessibilityPage {
        t: tr,
        territory: t.territory.name.clone(),
        publisher: t
            .legal
            .publisher
            .clone()
            .unwrap_or_else(|| t.territory.name.clone()),
        status: a11y.status.label_fr(),
        never_audited: audit.is_none() && a11y.status == Conformity::Non,
        audit,
        non_conformities: a11y.non_conformities.clone(),
        derogations: a11y.derogations.clone(),
        contact: given(&a11y.contact),
        statement_date: a11y
            .statement_date
            .as_deref()
            .map(|d| legal::date_fr(d).unwrap_or_else(|| d.to_owned()))
            .unwrap_or_else(|| NOT_GIVEN.to_owned()),
        recourse: a11y.recourse.clone(),
    }
}

/// "72,5" for 72.5, "80" for 80.0.
fn percent_fr(rate: f64) -> String {
    let rounded = (rate * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}").replace('.', ",")
    }
}

pub struct Level {
    pub name: &'static str,
    /// (title, url)
    pub links: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/site_map.html")]
pub struct SiteMapPage {
    pub t: Localizer,
    pub territory: String,
    /// (id, title) of every form a citizen can file.
    pub forms: Vec<(String, String)>,
    /// (slug, name)
    pub communes: Vec<(String, String)>,
    pub external: Vec<Level>,
    /// (path, title)
    pub legal_pages: Vec<(&'static str, &'static str)>,
}

pub async fn site_map(State(state): State<AppState>, tr: Localizer) -> SiteMapPage {
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    SiteMapPage {
        t: tr,
        territory: t.territory.name.clone(),
        forms: catalogue
            .citizen_forms(None)
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect(),
        communes: t
            .communes
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect(),
        external: t
            .procedures_by_level()
            .into_iter()
            .map(|(level, procedures)| Level {
                name: level.label_fr(),
                links: procedures
                    .into_iter()
                    .map(|p| (p.title.clone(), p.url.clone()))
                    .collect(),
            })
            .collect(),
        legal_pages: legal::PAGES.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_read_in_french() {
        assert_eq!(super::percent_fr(72.5), "72,5");
        assert_eq!(super::percent_fr(80.0), "80");
        assert_eq!(super::percent_fr(66.666), "66,7");
    }
}
