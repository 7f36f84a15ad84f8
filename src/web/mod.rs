//! The web layer: the citizens' portal (HTML, no JavaScript required), the back office, the
//! JSON API and Open311 GeoReport v2.
//!
//! Handlers are thin: extract, call intake or the store, render. Every error goes through
//! [`error`], which answers in plain French and never leaks internals.

pub mod access;
pub mod api;
pub mod charts;
pub mod client;
pub mod embed;
pub mod envelope;
pub mod error;
pub mod forms;
pub mod framing;
pub mod handling;
pub mod json;
pub mod language;
pub mod markdown;
pub mod open311;
pub mod page_cache;
pub mod personal_data;
pub mod public;
pub mod rate_limits;
pub mod reload;
pub mod scrape;
pub mod staff;
pub mod statistics;
pub mod tracking;
pub mod uploads;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use crate::catalogue::Catalogue;
use crate::store::Store;

/// Everything a handler needs, built once in `startup`, behind one shared pointer: axum
/// hands every request's handler and middleware a clone, which costs one reference count
/// (it cost one per field, some thirty, and as many again to drop: 4 % of the server's
/// time serving `/livez` under load).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// The current catalogue snapshot; swapped whole on reload.
    pub catalogue: Arc<ArcSwap<Catalogue>>,
    pub store: Arc<dyn Store>,
    /// Base of the links we give out, without a trailing slash.
    pub public_url: Arc<str>,
    pub limits: Limits,
    /// How clients reach us: trusted proxies and the public origin.
    pub edge: Arc<client::Edge>,
    /// Anonymous submissions, uploads and tracking look-ups per client address.
    pub rate_limits: Arc<rate_limits::RateLimits>,
    /// Login attempts per client address.
    pub login_limiter: Arc<crate::auth::RateLimiter>,
    /// Sign-in through an OpenID Connect provider, when configured.
    pub oidc: Arc<crate::auth::oidc::Oidc>,
    /// Minutes between two digest e-mails to a service.
    pub digest_minutes: u32,
    pub attachments: Arc<crate::attachments::Storage>,
    /// Where an erasure removes files and e-mails, besides the database.
    pub retention: Arc<crate::retention::Places>,
    /// The open-data file, computed at most once a minute.
    pub open_data: Arc<public::OpenDataCache>,
    /// The public statistics page, computed at most once a minute.
    pub public_statistics: Arc<public::PublicStatisticsCache>,
    /// Signs the answers a form carries from page to page (`public::form_state`).
    pub form_state_key: Arc<public::form_state::FormStateKey>,
    /// Blank form pages, rendered once per catalogue snapshot.
    pub pages: Arc<page_cache::PageCache>,
}

impl AppState {
    /// The outbox planner for one filing or action, on the current catalogue.
    pub fn planner(
        &self,
        tracking_url: Option<String>,
    ) -> impl Fn(&crate::dispatch::PlanInput<'_>) -> Vec<crate::dispatch::OutboxMessage>
    + Send
    + Sync
    + 'static {
        crate::dispatch::planner(
            self.catalogue.load_full(),
            self.public_url.clone(),
            tracking_url,
            self.digest_minutes,
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_json_bytes: usize,
    pub max_form_bytes: usize,
    pub max_upload_bytes: usize,
    pub request_timeout: Duration,
}

/// Headers are bounded in size as well as time: a request line and header lines (with
/// their line ends and the blank line closing them) of more than this many bytes are
/// answered 431 and the connection closed. So are more than 100 header lines, hyper's
/// default (`max_headers`, left unset: setting it moves the parser's array to the heap).
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// hyper's read buffer per connection, for headers and then body chunks. It must be larger
/// than the header limit: a buffer that filled first would close the connection at a size
/// that depends on how the reads fell (its reads overshoot the maximum), not at the limit.
const READ_BUFFER_BYTES: usize = 2 * MAX_HEADER_BYTES;
/// Time a request gets beyond its body's timeout to be processed.
const PROCESSING_TIME: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish on shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Every route, under the layers every request goes through. Those wrap the router as one
/// service (not `Router::layer`, which wraps each route and whose every layer clones the
/// route's whole stack per request): only [`access::NameRoute`] sits on each route.
pub fn router(state: AppState) -> Router {
    let timeout = state.limits.request_timeout;
    let around = state.clone();
    let routes = Router::new()
        .merge(public::router(&state))
        .merge(staff::router(&state))
        .nest("/api/v1", api::router(&state))
        .merge(api::docs())
        .merge(open311::router(&state))
        .fallback(error::not_found)
        .with_state(state)
        .layer(access::NameRoute);
    let layers = tower::ServiceBuilder::new()
        // Outermost: the request's id, span, language and client, the refusals before any
        // route, and on the way out the framework's errors rewritten, the headers every
        // answer carries and the access line.
        .layer(tower::layer::layer_fn(move |inner| {
            envelope::Envelope::new(around.clone(), inner)
        }))
        // A bug must not drop the connection without an answer: catch it, answer 500 in
        // plain words (rewritten by `error::framework_errors`) and log it.
        .layer(CatchPanicLayer::new())
        // The whole request gets more time than its body, so a slow upload still leaves
        // time to validate and file it.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout + PROCESSING_TIME,
        ))
        .layer(RequestBodyTimeoutLayer::new(timeout));
    Router::new().fallback_service(layers.service(routes))
}

/// Serves HTTP/1.1 with a bound on how long and how large request headers may be, which
/// `axum::serve` does not set: a slow client cannot hold a socket forever.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .max_buf_size(READ_BUFFER_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // `client::identify` reads the peer's address from `ConnectInfo`.
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            router.clone(),
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                request
            },
        ));
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("some connections did not finish in time"),
    }
    Ok(())
}
