//! The portal's home (every procedure, grouped by theme, with a search) and commune pages.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use crate::catalogue::Catalogue;
use crate::catalogue::territory::{Commune, ProcedureLevel};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};

pub struct FormLink {
    pub id: String,
    pub title: String,
    pub description: String,
    pub communes: String,
}

pub struct Theme {
    pub name: String,
    pub forms: Vec<FormLink>,
}

pub struct ExternalGroup {
    pub level: &'static str,
    pub links: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/portal.html")]
pub struct PortalPage {
    pub territory: String,
    pub query: String,
    pub themes: Vec<Theme>,
    pub communes: Vec<(String, String)>,
    pub external: Vec<ExternalGroup>,
    pub result_count: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/commune.html")]
pub struct CommunePage {
    pub territory: String,
    pub commune: Commune,
    pub themes: Vec<Theme>,
    /// The commune's own page and news (docs/commune-sites.md).
    pub site: super::site::SiteView,
    pub embed: super::site::EmbedCode,
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

pub async fn home(State(state): State<AppState>, Query(search): Query<Search>) -> PortalPage {
    let catalogue = state.catalogue.load();
    let query: String = search.q.unwrap_or_default().chars().take(200).collect();
    let themes = themes(&catalogue, None, &query);
    PortalPage {
        territory: catalogue.territory.territory.name.clone(),
        result_count: themes.iter().map(|t| t.forms.len()).sum(),
        query,
        themes,
        communes: catalogue
            .territory
            .communes
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect(),
        external: external(&catalogue),
    }
}

pub async fn commune(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<axum::response::Response, PageError> {
    let catalogue = state.catalogue.load();
    let commune = catalogue
        .territory
        .commune(&slug)
        .cloned()
        .ok_or_else(|| AppError::NotFound("Cette commune ne fait pas partie du territoire. Retournez à l'accueil pour choisir la vôtre.".into()))?;
    let site = super::site::published_site(&state, &slug).await?;
    let origins = commune.embed_origins.clone();
    let page = CommunePage {
        territory: catalogue.territory.territory.name.clone(),
        themes: themes(&catalogue, Some(&slug), ""),
        embed: super::site::EmbedCode::of(&state.public_url, &commune),
        site,
        commune,
    };
    let mut response = axum::response::IntoResponse::into_response(page);
    crate::web::embed::allow_framing(&mut response, &origins);
    Ok(response)
}

/// Forms grouped by theme (or service), filtered by commune and by a search on the title,
/// description and keywords, ignoring case and accents.
fn themes(catalogue: &Catalogue, commune: Option<&str>, query: &str) -> Vec<Theme> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    let mut grouped: BTreeMap<String, Vec<FormLink>> = BTreeMap::new();
    for form in catalogue.citizen_forms(commune) {
        let haystack = fold(&format!(
            "{} {} {}",
            form.title,
            form.description.as_deref().unwrap_or(""),
            form.meta.keywords.join(" ")
        ));
        if !words.iter().all(|w| haystack.contains(w.as_str())) {
            continue;
        }
        let theme = form
            .meta
            .theme
            .clone()
            .unwrap_or_else(|| catalogue.service_name(&form.meta.service).to_owned());
        let communes = if form.meta.communes.is_empty() {
            "Toutes les communes".to_owned()
        } else {
            form.meta
                .communes
                .iter()
                .map(|c| {
                    catalogue
                        .territory
                        .commune(c)
                        .map_or(c.as_str(), |c| c.name.as_str())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        grouped.entry(theme).or_default().push(FormLink {
            id: form.id.clone(),
            title: form.title.clone(),
            description: form.description.clone().unwrap_or_default(),
            communes,
        });
    }
    grouped
        .into_iter()
        .map(|(name, forms)| Theme { name, forms })
        .collect()
}

fn external(catalogue: &Catalogue) -> Vec<ExternalGroup> {
    catalogue
        .territory
        .procedures_by_level()
        .into_iter()
        .map(|(level, procedures): (ProcedureLevel, _)| ExternalGroup {
            level: level.label_fr(),
            links: procedures
                .into_iter()
                .map(|p| {
                    (
                        p.title.clone(),
                        p.url.clone(),
                        p.description.clone().unwrap_or_default(),
                    )
                })
                .collect(),
        })
        .collect()
}

/// Lower case without French accents, for searching.
fn fold(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'œ' => 'o',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(super::fold("Éclairage À Réparer"), "eclairage a reparer");
    }
}
