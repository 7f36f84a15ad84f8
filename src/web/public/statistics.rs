//! The territory's public figures (`/statistiques`): requests filed per month over the last
//! year, the backlog, how fast they are handled, the most asked-for procedures and the
//! communes, per 1,000 inhabitants where the population is known.
//!
//! Nothing personal: only counts and durations over every request of the territory, and a
//! count under 5 is withheld (the open-data file's rule, [`super::open_data::published`]), as
//! is a duration or a share computed over fewer than 5 requests. The page is computed at most
//! once a minute, like the open-data file: it is public and counts a year of requests.

use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use time::OffsetDateTime;

use super::open_data::published;
use crate::i18n::Lang;
use crate::statistics::{Grain, Period};
use crate::store::Scope;
use crate::store::statistics::FactsFilter;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::language::Localizer;
use crate::web::statistics::{
    ChartView, Counts, Stack, backlog_chart, duration_in, filings_chart, per_thousand, percent_in,
    ranking_chart,
};

/// How long a computed page is served before it is computed again.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// The last page computed in each language, shared by its readers.
#[derive(Default)]
pub struct PublicStatisticsCache(tokio::sync::Mutex<[Option<(Instant, String)>; 2]>);

/// A commune's line.
pub struct CommuneLine {
    pub name: String,
    pub filed: String,
    pub per_thousand: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/statistics.html")]
pub struct PublicStatisticsPage {
    pub t: Localizer,
    pub territory: String,
    pub period: String,
    pub filed: String,
    pub median_resolution: String,
    pub within: String,
    pub filings: ChartView,
    pub backlog: ChartView,
    pub top_forms: ChartView,
    pub communes: Vec<CommuneLine>,
}

/// `GET /statistiques`.
pub async fn page(State(state): State<AppState>, t: Localizer) -> Result<Response, PageError> {
    let mut slots = state.public_statistics.0.lock().await;
    let cached = &mut slots[usize::from(t.lang != Lang::Fr)];
    let html = match cached.as_ref() {
        Some((at, html)) if at.elapsed() < FRESH_FOR => html.clone(),
        _ => {
            let html = compute(&state, t)
                .await?
                .render()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
            *cached = Some((Instant::now(), html.clone()));
            html
        }
    };
    drop(slots);
    Ok(Html(html).into_response())
}

/// A figure over `n` requests, shown only when `n` is at least the smallest published count.
fn over_enough(n: u64, lang: Lang, shown: impl FnOnce() -> String) -> String {
    if n >= super::open_data::SMALLEST_PUBLISHED {
        shown()
    } else {
        lang.text("stats-withheld")
    }
}

async fn compute(state: &AppState, t: Localizer) -> Result<PublicStatisticsPage, AppError> {
    let lang = t.lang;
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let period = Period::year_to(now.date());
    let (from, to) = period.seconds();
    let filter = FactsFilter {
        from,
        to,
        scope: Scope::All,
        service: None,
        queue: None,
        form_id: None,
        commune: None,
        channel: None,
    };
    let figures =
        crate::statistics::figures(state.store.as_ref(), &filter, period, Grain::Month, now)
            .await?;
    let totals = &figures.totals;
    let overall = figures.resolution.iter().find(|p| p.key.is_none());
    let forms: Vec<(String, u64)> = figures
        .by_form
        .iter()
        .take(10)
        .map(|s| {
            let id = s.key.clone().unwrap_or_default();
            let title = catalogue
                .form(&id)
                .map_or(id, |f| f.in_lang(lang).title.clone());
            (title, s.filed)
        })
        .collect();
    let communes = figures
        .by_commune
        .iter()
        .filter_map(|s| {
            let commune = catalogue.territory.commune(s.key.as_deref()?)?;
            Some(CommuneLine {
                name: commune.name.clone(),
                filed: Counts::Published.show(s.filed, lang),
                per_thousand: match published(s.filed) {
                    Some(n) => per_thousand(n, commune.population, lang),
                    None => "—".to_owned(),
                },
            })
        })
        .collect();
    Ok(PublicStatisticsPage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        period: lang.text_with(
            "stats-period",
            &[
                ("first", crate::domain::time::day_fr(period.first).into()),
                ("last", crate::domain::time::day_fr(period.last).into()),
            ],
        ),
        filed: Counts::Published.show(totals.filed, lang),
        median_resolution: overall.map_or_else(
            || lang.text("stats-withheld"),
            |p| over_enough(p.n, lang, || duration_in(p.p50, lang)),
        ),
        within: over_enough(totals.closed_with_deadline, lang, || {
            percent_in(totals.within_deadline, totals.closed_with_deadline, lang)
        }),
        filings: filings_chart(&figures, Stack::Status, Counts::Published, lang),
        backlog: backlog_chart(&figures, Counts::Published, lang),
        top_forms: ranking_chart(
            "demarches",
            &lang.text("chart-top-forms"),
            &forms,
            Counts::Published,
            lang,
        ),
        communes,
    })
}
