//! The legal pages every public page's footer links to: mentions légales, personal data
//! (each citizen form's notice, the rights, the CNIL), the RGAA accessibility statement and
//! the site map. Their content comes from territory.toml's `[privacy]` and `[legal]`
//! tables; a missing mention reads « non renseigné » (and `guichet check` warns of it).
//! Guichet's own words are messages (`i18n/<lang>/legal.ftl`); the territory's texts are
//! shown as it wrote them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use crate::catalogue::legal::{self, Conformity};
use crate::catalogue::notices::{self, Notice};
use crate::i18n::{Arg, Lang};
use crate::web::AppState;
use crate::web::language::Localizer;

/// `Some(text)` or « non renseigné » ("not given").
fn given(value: &Option<String>, lang: Lang) -> String {
    value
        .clone()
        .unwrap_or_else(|| lang.text("legal-not-given"))
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
    let lang = tr.lang;
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
            lang,
        ),
        publisher_email: given(&t.territory.email, lang),
        publisher_phone: given(
            &legal.publisher_phone.clone().or(t.territory.phone.clone()),
            lang,
        ),
        publication_director: given(&legal.publication_director, lang),
        host: given(&legal.host, lang),
        host_address: given(&legal.host_address, lang),
        host_phone: given(&legal.host_phone, lang),
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
    let lang = tr.lang;
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
            lang,
        ),
        dpo: t.privacy.dpo_contact(lang),
        complaint: t
            .privacy
            .complaint
            .clone()
            .unwrap_or_else(|| lang.text("pd-complaint")),
        notices: catalogue
            .citizen_forms(None)
            .map(|form| Notice::of(&form.in_lang(lang), &catalogue, lang))
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/accessibility.html")]
pub struct AccessibilityPage {
    pub t: Localizer,
    pub territory: String,
    pub publisher: String,
    pub status: String,
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
    let lang = tr.lang;
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    let a11y = &t.legal.accessibility;
    let day = |text: &str| legal::date_in(text, lang).unwrap_or_else(|| text.to_owned());
    let audit = a11y.audit_date.as_deref().map(|date| {
        let mut args: Vec<(&'static str, Arg)> = vec![("date", day(date).into())];
        if let Some(who) = &a11y.auditor {
            args.push(("auditor", who.as_str().into()));
        }
        if let Some(rate) = a11y.audit_rate {
            args.push(("rate", percent_in(rate, lang).into()));
        }
        let key = match (a11y.audit_rate.is_some(), a11y.auditor.is_some()) {
            (true, true) => "a11y-audit-rate-by",
            (true, false) => "a11y-audit-rate",
            (false, true) => "a11y-audit-by",
            (false, false) => "a11y-audit",
        };
        lang.text_with(key, &args)
    });
    AccessibilityPage {
        t: tr,
        territory: t.territory.name.clone(),
        publisher: t
            .legal
            .publisher
            .clone()
            .unwrap_or_else(|| t.territory.name.clone()),
        status: a11y.status.label(lang),
        never_audited: audit.is_none() && a11y.status == Conformity::Non,
        audit,
        non_conformities: a11y.non_conformities.clone(),
        derogations: a11y.derogations.clone(),
        contact: given(&a11y.contact, lang),
        statement_date: a11y
            .statement_date
            .as_deref()
            .map(day)
            .unwrap_or_else(|| lang.text("legal-not-given")),
        recourse: a11y.recourse.clone(),
    }
}

/// "72,5" for 72.5 ("72.5" in English), "80" for 80.0.
fn percent_in(rate: f64, lang: Lang) -> String {
    let rounded = (rate * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else if lang == Lang::Fr {
        format!("{rounded:.1}").replace('.', ",")
    } else {
        format!("{rounded:.1}")
    }
}

pub struct Level {
    pub name: String,
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
    /// (path, message key of the title)
    pub legal_pages: Vec<(&'static str, &'static str)>,
}

pub async fn site_map(State(state): State<AppState>, tr: Localizer) -> SiteMapPage {
    let lang = tr.lang;
    let catalogue = state.catalogue.load();
    let t = &catalogue.territory;
    SiteMapPage {
        t: tr,
        territory: t.territory.name.clone(),
        forms: catalogue
            .citizen_forms(None)
            .map(|f| (f.id.clone(), f.in_lang(lang).title.clone()))
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
                name: level.label(lang),
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
    fn percentages_read_in_french_and_english() {
        use crate::i18n::Lang;
        assert_eq!(super::percent_in(72.5, Lang::Fr), "72,5");
        assert_eq!(super::percent_in(80.0, Lang::Fr), "80");
        assert_eq!(super::percent_in(66.666, Lang::Fr), "66,7");
        assert_eq!(super::percent_in(72.5, Lang::En), "72.5");
    }
}
