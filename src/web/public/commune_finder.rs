//! « Trouver ma commune »: a postcode or a name leads to the commune's page; a postcode
//! several communes share (47200) lists them to choose from. Works without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::web::AppState;
use crate::web::language::Localizer;

#[derive(Template, WebTemplate)]
#[template(path = "public/commune_finder.html")]
pub struct FinderPage {
    pub t: Localizer,
    pub territory: String,
    pub query: String,
    /// (slug, name, postcodes) of the communes found, or of every commune with no query.
    pub communes: Vec<(String, String, String)>,
    pub message: String,
}

#[derive(Deserialize)]
pub struct Finder {
    q: Option<String>,
}

pub async fn find(
    State(state): State<AppState>,
    Query(finder): Query<Finder>,
    t: Localizer,
) -> Response {
    let catalogue = state.catalogue.load();
    let territory = &catalogue.territory;
    let query: String = finder
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(100)
        .collect();
    let found = if query.is_empty() {
        territory.communes.iter().collect()
    } else {
        territory.find_communes(&query)
    };
    if let [commune] = found[..]
        && !query.is_empty()
    {
        return Redirect::to(&format!("/communes/{}", commune.slug)).into_response();
    }
    let lang = t.lang;
    let message = match found.len() {
        _ if query.is_empty() => String::new(),
        0 => lang.text_with("finder-none", &[("query", query.clone().into())]),
        n => lang.text_with(
            "finder-several",
            &[("count", n.into()), ("query", query.clone().into())],
        ),
    };
    let communes = if found.is_empty() {
        territory.communes.iter().collect()
    } else {
        found
    };
    FinderPage {
        t,
        territory: territory.territory.name.clone(),
        communes: communes
            .into_iter()
            .map(|c| (c.slug.clone(), c.name.clone(), c.postcodes.join(", ")))
            .collect(),
        query,
        message,
    }
    .into_response()
}
