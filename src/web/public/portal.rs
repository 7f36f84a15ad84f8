//! The portal's home and commune pages: every procedure (the territory's forms and other
//! levels' procedures) grouped by theme, and the one search over them (`?q=`, no JavaScript).

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use crate::catalogue::search::{self, Entry};
use crate::catalogue::territory::Commune;
use crate::catalogue::{Catalogue, Form};
use crate::i18n::Lang;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::language::Localizer;

/// One line of the listing or of the results: what it is, who runs it, where it is filed.
pub struct EntryLink {
    pub title: String,
    pub href: String,
    pub description: String,
    /// Who runs it: the territory's service for a form, the level for a procedure.
    pub runs: String,
    /// Filed on this site (a form), or on another one (a procedure's link).
    pub here: bool,
    /// Where a form is offered (« Toutes les communes », « Marmande, Tonneins »); empty on
    /// a commune's page and for procedures.
    pub communes: String,
}

pub struct Theme {
    pub name: String,
    pub entries: Vec<EntryLink>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/portal.html")]
pub struct PortalPage {
    pub t: Localizer,
    pub territory: String,
    /// The page's own path, where the search form goes and « all procedures » leads back.
    pub path: String,
    pub query: String,
    pub themes: Vec<Theme>,
    pub results: Vec<EntryLink>,
    pub communes: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/commune.html")]
pub struct CommunePage {
    pub t: Localizer,
    pub territory: String,
    pub commune: Commune,
    pub path: String,
    pub query: String,
    pub themes: Vec<Theme>,
    pub results: Vec<EntryLink>,
    /// The commune's own page and news (docs/commune-sites.md).
    pub site: super::site::SiteView,
    pub embed: super::site::EmbedCode,
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

impl Search {
    fn query(self) -> String {
        self.q.unwrap_or_default().chars().take(200).collect()
    }
}

pub async fn home(
    State(state): State<AppState>,
    Query(search): Query<Search>,
    t: Localizer,
) -> PortalPage {
    let lang = t.lang;
    let catalogue = state.catalogue.load();
    let query = search.query();
    PortalPage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        path: "/".into(),
        themes: themes(&catalogue, None, lang),
        results: results(&catalogue, None, &query, lang),
        query,
        communes: catalogue
            .territory
            .communes
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect(),
    }
}

pub async fn commune(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(search): Query<Search>,
    t: Localizer,
) -> Result<axum::response::Response, PageError> {
    let catalogue = state.catalogue.load();
    let commune = catalogue
        .territory
        .commune(&slug)
        .cloned()
        .ok_or_else(|| AppError::NotFound(t.lang.text("error-unknown-commune")))?;
    let lang = t.lang;
    let query = search.query();
    let site = super::site::published_site(&state, &slug, lang).await?;
    let origins = commune.embed_origins.clone();
    let page = CommunePage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        path: format!("/communes/{slug}"),
        themes: themes(&catalogue, Some(&slug), lang),
        results: results(&catalogue, Some(&slug), &query, lang),
        query,
        embed: super::site::EmbedCode::of(&state.public_url, &commune),
        site,
        commune,
    };
    let mut response = axum::response::IntoResponse::into_response(page);
    crate::web::embed::allow_framing(&mut response, &origins);
    Ok(response)
}

/// What a search finds, best first.
fn results(
    catalogue: &Catalogue,
    commune: Option<&str>,
    query: &str,
    lang: Lang,
) -> Vec<EntryLink> {
    search::search(catalogue, commune, query, lang)
        .into_iter()
        .map(|entry| link(catalogue, commune, entry, lang))
        .collect()
}

/// Every entry grouped by theme; in a theme, the territory's forms first, then the
/// procedures from the nearest level to the farthest.
fn themes(catalogue: &Catalogue, commune: Option<&str>, lang: Lang) -> Vec<Theme> {
    // Keyed by the folded name too, so that « Véhicules » sorts before « Voirie ».
    let mut grouped: BTreeMap<(String, String), Vec<Entry>> = BTreeMap::new();
    for entry in search::entries(catalogue, commune) {
        // A form's theme in the person's language; the territory's procedures are listed
        // as the territory wrote them, those it gave no theme under Guichet's own heading.
        let theme = match entry {
            Entry::Form(form) if lang != Lang::Fr => form
                .in_lang(lang)
                .meta
                .theme
                .clone()
                .unwrap_or_else(|| entry.theme(catalogue).to_owned()),
            Entry::Procedure(p) if p.theme.is_none() => lang.text("procedures-other-theme"),
            _ => entry.theme(catalogue).to_owned(),
        };
        grouped
            .entry((search::fold(&theme), theme))
            .or_default()
            .push(entry);
    }
    grouped
        .into_iter()
        .map(|((_, name), mut entries)| {
            entries.sort_by_key(|e| match e {
                Entry::Form(_) => None,
                Entry::Procedure(p) => Some(p.level),
            });
            Theme {
                name,
                entries: entries
                    .into_iter()
                    .map(|e| link(catalogue, commune, e, lang))
                    .collect(),
            }
        })
        .collect()
}

fn link(catalogue: &Catalogue, commune: Option<&str>, entry: Entry, lang: Lang) -> EntryLink {
    let (href, runs, communes) = match entry {
        Entry::Form(form) => (
            match commune {
                Some(slug) => format!("/demarches/{}?commune={slug}", form.id),
                None => format!("/demarches/{}", form.id),
            },
            catalogue.service_name(&form.meta.service).to_owned(),
            if commune.is_some() {
                String::new()
            } else {
                offered_in(catalogue, form, lang)
            },
        ),
        Entry::Procedure(p) => (p.url.clone(), p.level.label(lang), String::new()),
    };
    let (title, description) = match entry {
        Entry::Form(form) => {
            let shown = form.in_lang(lang);
            (
                shown.title.clone(),
                shown.description.clone().unwrap_or_default(),
            )
        }
        Entry::Procedure(_) => (entry.title().to_owned(), entry.description().to_owned()),
    };
    EntryLink {
        title,
        description,
        here: entry.is_own(),
        href,
        runs,
        communes,
    }
}

fn offered_in(catalogue: &Catalogue, form: &Form, lang: Lang) -> String {
    if form.meta.communes.is_empty() {
        return lang.text("portal-all-communes");
    }
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
}
