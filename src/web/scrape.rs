//! `GET /metrics` in Prometheus' text format, served on its own listener (`--metrics-bind`)
//! and never on the public one: counts of requests per form and queue are not for everyone.
//!
//! Counters and histograms are recorded where things happen (the access layer, filing, the
//! outbox worker, the store's error conversion); the gauges that describe a state (outbox
//! backlog, pool use) are read here, at scrape time, so no task polls the database when no
//! one is looking.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::store::Store;

/// Outbox states always reported, at 0 when no row is in them, so an alert on `dead > 0`
/// has a series to look at from the start. `failing` is pending after a failed attempt.
const OUTBOX_STATES: [&str; 3] = ["pending", "failing", "dead"];

#[derive(Clone)]
struct Scrape {
    store: Arc<dyn Store>,
    handle: PrometheusHandle,
}

pub fn router(store: Arc<dyn Store>, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(Scrape { store, handle })
}

async fn metrics(State(scrape): State<Scrape>) -> impl IntoResponse {
    match scrape.store.outbox_counts().await {
        Ok(counts) => {
            for state in OUTBOX_STATES {
                if !counts.iter().any(|(s, _)| s == state) {
                    metrics::gauge!("guichet_outbox_messages", "state" => state).set(0.0);
                }
            }
            for (state, n) in counts {
                metrics::gauge!("guichet_outbox_messages", "state" => state).set(n as f64);
            }
            metrics::gauge!("guichet_database_up").set(1.0);
        }
        Err(err) => {
            tracing::warn!(
                "metrics: cannot count the outbox: {}",
                crate::telemetry::scrub(&err.to_string())
            );
            metrics::gauge!("guichet_database_up").set(0.0);
        }
    }
    for pool in scrape.store.pool_stats() {
        let in_use = pool.open.saturating_sub(pool.idle);
        metrics::gauge!("guichet_db_pool_connections", "pool" => pool.pool, "state" => "in_use")
            .set(f64::from(in_use));
        metrics::gauge!("guichet_db_pool_connections", "pool" => pool.pool, "state" => "idle")
            .set(f64::from(pool.idle));
        metrics::gauge!("guichet_db_pool_max_connections", "pool" => pool.pool)
            .set(f64::from(pool.max));
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
}
