//! The territory's open data: how many requests were filed each month, per form, commune and
//! status, as CSV anyone may download (`/donnees-ouvertes/demandes.csv`).
//!
//! Nothing personal leaves: only counts, and a count under 5 is not given (statistical
//! secrecy, as INSEE applies it): its cell is empty and `secret_statistique` says `oui`, so
//! that a request in a small commune cannot be singled out. The file is plain RFC 4180 CSV
//! (comma, UTF-8, no byte-order mark), for software rather than spreadsheets.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::store::statistics::MonthlyCount;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};

/// Counts under this are not published.
pub const SMALLEST_PUBLISHED: u64 = 5;

/// A count as it may be published: `None` when it is under [`SMALLEST_PUBLISHED`] (and not
/// zero: that nobody asked singles nobody out). The public statistics page follows the same
/// rule.
pub fn published(count: u64) -> Option<u64> {
    (count == 0 || count >= SMALLEST_PUBLISHED).then_some(count)
}

/// How long a computed file is served before it is counted again.
const FRESH_FOR: Duration = Duration::from_secs(60);

/// The last file computed. The page is public and each computation counts every request,
/// so it is computed at most once a minute, by one caller while the others wait for it.
#[derive(Default)]
pub struct OpenDataCache(tokio::sync::Mutex<Option<(Instant, Bytes)>>);

const HEADER: [&str; 8] = [
    "mois",
    "demarche",
    "intitule",
    "commune",
    "code_insee",
    "statut",
    "nombre",
    "secret_statistique",
];

/// `GET /donnees-ouvertes/demandes.csv`.
pub async fn requests_csv(State(state): State<AppState>) -> Result<Response, PageError> {
    let mut cached = state.open_data.0.lock().await;
    let body = match cached.as_ref() {
        Some((at, body)) if at.elapsed() < FRESH_FOR => body.clone(),
        _ => {
            let body = Bytes::from(compute(&state).await?);
            *cached = Some((Instant::now(), body.clone()));
            body
        }
    };
    drop(cached);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"demandes.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The file, counted now.
async fn compute(state: &AppState) -> Result<Vec<u8>, AppError> {
    let counts = state.store.monthly_counts().await?;
    let catalogue = state.catalogue.load();
    let internal = |err: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {err}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(HEADER).map_err(internal)?;
    for MonthlyCount {
        month,
        form_id,
        commune,
        status,
        count,
    } in counts
    {
        let title = catalogue
            .forms
            .get(&form_id)
            .map(|f| f.title.clone())
            .unwrap_or_default();
        let place = commune
            .as_deref()
            .and_then(|slug| catalogue.territory.commune(slug));
        let published = published(count).is_some();
        out.write_record([
            month,
            form_id,
            title,
            commune.unwrap_or_default(),
            place.and_then(|c| c.insee.clone()).unwrap_or_default(),
            status.as_str().to_owned(),
            if published {
                count.to_string()
            } else {
                String::new()
            },
            if published { "non" } else { "oui" }.to_owned(),
        ])
        .map_err(internal)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))
}
