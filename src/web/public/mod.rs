//! The citizens' portal: procedures, commune pages, generated forms and tracking pages.
//! Everything is rendered on the server and works without JavaScript.

mod commune_finder;
pub mod form;
pub mod form_state;
mod form_steps;
mod legal;
mod my_data;
pub mod open_data;

pub use open_data::OpenDataCache;
mod portal;
mod recovery;
pub mod site;
mod statistics;
pub use statistics::PublicStatisticsCache;
mod tracking;
pub mod view;

pub use crate::domain::time::date_fr;

use axum::Router;
use axum::http::header;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;
use super::framing::{BodyLimit, bound_body};

pub fn router(state: &AppState) -> Router<AppState> {
    // Every use of a tracking link or a reference counts against the client's look-ups.
    let lookups = || from_fn_with_state(state.clone(), super::rate_limits::limit_lookups);
    Router::new()
        .route("/", get(portal::home))
        .route("/communes", get(commune_finder::find))
        .route("/communes/{slug}", get(portal::commune))
        .route("/communes/{slug}/actualites.atom", get(site::feed))
        .route("/communes/{slug}/blason", get(site::picture))
        .route(
            "/demarches/{id}",
            get(form::show)
                .post(form::post)
                .layer(from_fn_with_state(
                    BodyLimit::form_with_files(&state.limits),
                    bound_body,
                ))
                .layer(from_fn_with_state(
                    state.clone(),
                    super::embed::commune_forms,
                )),
        )
        .route("/suivi", get(tracking::lookup).layer(lookups()))
        // A lost link: asking counts as a look-up.
        .route(
            "/suivi/retrouver",
            get(recovery::show).merge(axum::routing::post(recovery::send).layer(lookups()).layer(
                from_fn_with_state(BodyLimit::form(&state.limits), bound_body),
            )),
        )
        .route("/suivi/{token}", get(tracking::show).layer(lookups()))
        // The citizen's copy of their data (right of access): a printable page and a file.
        .route(
            "/suivi/{token}/donnees",
            get(my_data::page).layer(lookups()),
        )
        .route(
            "/suivi/{token}/donnees.json",
            get(my_data::download).layer(lookups()),
        )
        .route(
            "/suivi/{token}/pieces/{sha256}",
            get(tracking::attachment).layer(lookups()),
        )
        .route(
            "/suivi/{token}/{what}",
            axum::routing::post(tracking::respond)
                .layer(from_fn_with_state(
                    BodyLimit::form(&state.limits),
                    bound_body,
                ))
                .layer(lookups()),
        )
        // The language switch: a link on every citizen page, no JavaScript needed.
        .route("/langue", get(super::language::switch))
        .route("/mentions-legales", get(legal::legal_notice))
        .route("/donnees-personnelles", get(legal::personal_data))
        .route("/accessibilite", get(legal::accessibility))
        .route("/plan-du-site", get(legal::site_map))
        .route("/statistiques", get(statistics::page))
        .route(
            "/donnees-ouvertes/demandes.csv",
            get(open_data::requests_csv),
        )
        .route("/static/guichet.css", get(stylesheet))
        .route("/static/form.js", get(form_script))
        .route("/static/builder.js", get(builder_script))
        .route("/static/favicon.svg", get(favicon))
        // Browsers ask for /favicon.ico on their own; the icon is an SVG.
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/static/favicon.svg") }),
        )
        .route("/healthz", get(health))
        .route("/livez", get(alive))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/guichet.css"),
    )
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../../static/favicon.svg"),
    )
}

async fn builder_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/builder.js"),
    )
}

async fn form_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/form.js"),
    )
}

/// For process supervisors: 200 while the process serves HTTP, whatever the database does
/// (restarting Guichet does not bring a database back; `/healthz` says whether it answers).
async fn alive() -> &'static str {
    "ok"
}

/// For load balancers: 200 when the database answers, 503 otherwise.
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        ),
    }
}
