//! Wires the catalogue, the store and the web layer into a running server.
//!
//! `Application::build` binds the port (which may be 0) before serving, so tests start the
//! real thing on a free port and read it back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use tokio::net::TcpListener;

use crate::catalogue::Diagnostic;
use crate::config::ServeConfig;
use crate::dispatch::mail::Mailer;
use crate::dispatch::worker::{Worker, WorkerSettings};
use crate::store;
use crate::web::{self, AppState, Limits};

/// Login attempts one client address may make per window (the account lock is separate).
const LOGIN_ATTEMPTS_PER_WINDOW: u32 = 20;
const LOGIN_WINDOW: Duration = Duration::from_secs(10 * 60);

pub struct Application {
    listener: TcpListener,
    /// `/metrics`, when `--metrics-bind` is set.
    metrics: Option<TcpListener>,
    state: AppState,
    header_timeout: Duration,
    worker: Arc<Worker>,
    /// How often to look for changed catalogue files (None: never), and what they were when
    /// the catalogue was loaded.
    catalogue_refresh: Option<(Duration, Fingerprint)>,
    /// How often to sweep the attachments folder (None: never), and the grace period.
    attachments_sweep: Option<(Duration, Duration)>,
    /// What to wrap the router in before serving, if anything (see [`Application::wrap`]).
    wrap: Option<Box<dyn FnOnce(axum::Router) -> axum::Router + Send>>,
}

impl Application {
    pub async fn build(config: ServeConfig) -> anyhow::Result<Application> {
        // Taken before loading: a change made while the catalogue loads is seen later.
        let fingerprint = catalogue_fingerprint(&config.catalogue);
        let catalogue =
            crate::intake::cases::load_checked(&config.catalogue).map_err(|problems| {
                anyhow::anyhow!(
                    "the catalogue in {} has errors; run `guichet check` to see them:\n{}",
                    config.catalogue.display(),
                    list(&problems)
                )
            })?;
        if let Some(refusal) = refuse_unsigned_webhooks(&catalogue) {
            anyhow::bail!(refusal);
        }
        let oidc = crate::auth::oidc::Oidc::new(crate::auth::oidc::Overrides::read(&config.oidc)?)?;
        // A provider half configured, or new accounts scoped to a service the catalogue does
        // not have, stops the start rather than the first agent who tries to sign in.
        if let Err(why) = oidc.settings(&catalogue.territory) {
            anyhow::bail!("cannot start: {why}");
        }
        let store = store::open(&config.database).await.with_context(|| {
            format!(
                "cannot open the database {}",
                crate::telemetry::redact_url(&config.database.url)
            )
        })?;
        if let Some(url) = &config.public_url
            && crate::web::client::origin_of(url).is_none()
        {
            anyhow::bail!(
                "--public-url {url:?} is not an address a browser opens: write it as https://guichet.example.fr (http or https, a host, an optional port)"
            );
        }
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|err| bind_error(config.bind, err))?;
        let local = listener.local_addr()?;
        let metrics = match config.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address).await.map_err(|err| {
                    anyhow::anyhow!(
                        "cannot listen on {address} for metrics: {err}. Choose another address (`--metrics-bind 127.0.0.1:9100`, or GUICHET_METRICS_BIND), or leave it unset to turn metrics off"
                    )
                })?;
                // Installed before the first request, so every request is counted.
                crate::telemetry::metrics_handle();
                Some(listener)
            }
            None => None,
        };
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"))
            .trim_end_matches('/')
            .to_owned();
        let dispatch = &config.dispatch;
        let mailer = Mailer::from_url(&dispatch.mail_url).with_context(|| {
            format!(
                "cannot set up e-mail with {}",
                crate::telemetry::redact_url(&dispatch.mail_url)
            )
        })?;
        let mail_from = dispatch
            .mail_from
            .parse()
            .with_context(|| format!("--mail-from {:?} is not an address", dispatch.mail_from))?;
        let catalogue = Arc::new(ArcSwap::from_pointee(catalogue));
        let worker = Arc::new(Worker {
            store: store.clone(),
            catalogue: catalogue.clone(),
            mailer: Arc::new(mailer),
            settings: WorkerSettings {
                mail_from,
                webhook_timeout: Duration::from_secs(dispatch.webhook_timeout_secs.max(1)),
                allow_private_targets: dispatch.webhook_allow_private,
                max_attempts: dispatch.outbox_max_attempts.max(1),
                retry_base: Duration::from_millis(dispatch.outbox_retry_base_ms.max(1)),
                lease: Duration::from_secs(
                    dispatch
                        .outbox_lease_secs
                        .max(dispatch.webhook_timeout_secs + 5),
                ),
                idle: Duration::from_millis(dispatch.outbox_poll_ms.max(10)),
            },
        });
        let places = crate::retention::Places::new(&config.attachments_dir, &dispatch.mail_url)
            .with_context(|| {
                format!(
                    "cannot use {} for attachments",
                    config.attachments_dir.display()
                )
            })?;
        let form_state_key = crate::web::public::form_state::FormStateKey::load(store.as_ref())
            .await
            .context("cannot read or keep the key that signs form pages")?;
        let state = AppState::new(crate::web::Shared {
            form_state_key: Arc::new(form_state_key),
            pages: Arc::default(),
            retention: Arc::new(places),
            open_data: Arc::default(),
            public_statistics: Arc::default(),
            catalogue,
            store,
            digest_minutes: dispatch.mail_digest_minutes.max(1),
            attachments: Arc::new(
                crate::attachments::Storage::new(
                    config.attachments_dir.clone(),
                    config.clamd_socket.clone(),
                )
                .with_context(|| {
                    format!(
                        "cannot use {} for attachments",
                        config.attachments_dir.display()
                    )
                })?,
            ),
            public_url: Arc::from(public_url),
            edge: Arc::new(crate::web::client::Edge::new(
                config.proxy.trusted_proxies.clone(),
                config.public_url.as_deref(),
            )),
            rate_limits: Arc::new(crate::web::rate_limits::RateLimits::new(
                &config.rate_limits,
                config.max_upload_bytes.max(config.max_form_bytes),
            )),
            limits: Limits {
                max_json_bytes: config.max_json_bytes,
                max_form_bytes: config.max_form_bytes,
                max_upload_bytes: config.max_upload_bytes.max(config.max_form_bytes),
                request_timeout: Duration::from_secs(config.request_timeout_secs),
            },
            login_limiter: Arc::new(crate::auth::RateLimiter::new(
                LOGIN_ATTEMPTS_PER_WINDOW,
                LOGIN_WINDOW,
            )),
            oidc: Arc::new(oidc),
        });
        Ok(Application {
            listener,
            metrics,
            state,
            header_timeout: Duration::from_secs(config.header_timeout_secs),
            worker,
            catalogue_refresh: (config.catalogue_refresh_secs > 0).then(|| {
                (
                    Duration::from_secs(config.catalogue_refresh_secs),
                    fingerprint,
                )
            }),
            attachments_sweep: (config.attachments_sweep_secs > 0).then(|| {
                (
                    Duration::from_secs(config.attachments_sweep_secs),
                    Duration::from_secs(config.attachments_grace_secs),
                )
            }),
            wrap: None,
        })
    }

    /// Wraps the whole router (every layer included) in `wrap` before serving: the test
    /// suite checks each API answer against the OpenAPI document this way.
    pub fn wrap(
        mut self,
        wrap: impl FnOnce(axum::Router) -> axum::Router + Send + 'static,
    ) -> Self {
        self.wrap = Some(Box::new(wrap));
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served, if it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, reloading the catalogue on SIGHUP.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes (or SIGTERM, Ctrl-C), then stops as on a signal:
    /// the requests in flight finish, the background tasks stop, the store closes.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        #[cfg(unix)]
        tokio::spawn(reload_on_sighup(self.state.clone()));
        if let Some((every, loaded)) = self.catalogue_refresh {
            tokio::spawn(reload_on_change(self.state.clone(), every, loaded));
        }
        if let Some((every, grace)) = self.attachments_sweep {
            tokio::spawn(sweep_attachments(self.state.clone(), every, grace));
        }
        tokio::spawn(crate::builder::history::record_versions(
            self.state.store.clone(),
            self.state.catalogue.load_full(),
        ));
        tokio::spawn(rebuild_statistics(self.state.store.clone()));
        let reminders = tokio::spawn(hourly_follow_ups(self.state.clone()));
        let retention = tokio::spawn(crate::retention::daily(
            self.state.store.clone(),
            self.state.catalogue.clone(),
            (*self.state.retention).clone(),
        ));
        // The outbox worker stops with the server; a delivery it was in the middle of is
        // retried when its lease ends.
        let worker = tokio::spawn(self.worker.run());
        let store = self.state.store.clone();
        let metrics = self.metrics.map(|listener| {
            tokio::spawn(serve_metrics(listener, store.clone(), self.header_timeout))
        });
        let router = web::router(self.state);
        let router = match self.wrap {
            Some(wrap) => wrap(router),
            None => router,
        };
        let served = web::serve(self.listener, router, self.header_timeout, async {
            tokio::select! {
                _ = shutdown => {}
                _ = shutdown_signal() => {}
            }
        })
        .await;
        worker.abort();
        let _ = worker.await;
        // A run cut short leaves each request whole (one transaction each) and is redone.
        retention.abort();
        let _ = retention.await;
        reminders.abort();
        let _ = reminders.await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        store.close().await;
        served?;
        Ok(())
    }
}

/// Serves `/metrics` until aborted. Histogram samples are folded into their buckets every
/// few seconds, so they do not pile up in memory when nobody scrapes.
async fn serve_metrics(
    listener: TcpListener,
    store: Arc<dyn store::Store>,
    header_timeout: Duration,
) {
    let handle = crate::telemetry::metrics_handle();
    let upkeep = handle.clone();
    let upkeep = async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    };
    let router = web::scrape::router(store, handle);
    tokio::select! {
        served = web::serve(listener, router, header_timeout, std::future::pending()) => {
            if let Err(err) = served {
                tracing::error!(%err, "the metrics listener stopped");
            }
        }
        () = upkeep => {}
    }
}

/// Reloads the catalogue when its files change: another instance sharing the folder
/// published a form, or an admin pulled from git. A change that does not pass the checks is
/// logged once and the previous catalogue stays in service, as with SIGHUP.
async fn reload_on_change(state: AppState, every: Duration, loaded: Fingerprint) {
    let root = state.catalogue.load().root.clone();
    let mut seen = loaded;
    loop {
        tokio::time::sleep(every).await;
        let now = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || catalogue_fingerprint(&root))
                .await
                .unwrap_or_default()
        };
        if now == seen {
            continue;
        }
        seen = now;
        if let Err(problems) = web::reload::reload(&state) {
            tracing::error!(
                "the catalogue's files changed but do NOT pass the checks; the previous catalogue stays in service:\n{}",
                list(&problems)
            );
        }
    }
}

/// Sweeps the attachments folder every `every` (see `crate::attachments`). Several instances
/// sharing the folder may all sweep: removing a file twice is harmless. A failed sweep (the
/// database away) removes nothing and is tried again next time.
async fn sweep_attachments(state: AppState, every: Duration, grace: Duration) {
    loop {
        tokio::time::sleep(every).await;
        if let Err(err) = crate::attachments::sweep(&state.store, &state.attachments, grace).await {
            tracing::error!("sweeping the attachments folder: {err:#}");
        }
    }
}

/// Names, sizes and modification times of the catalogue's files: cheap to read, and any
/// edit, copy or checkout changes it.
type Fingerprint = Vec<(std::path::PathBuf, u64, Option<std::time::SystemTime>)>;

fn catalogue_fingerprint(root: &std::path::Path) -> Fingerprint {
    let mut files = Vec::new();
    let mut note = |path: std::path::PathBuf| {
        if let Ok(meta) = std::fs::metadata(&path) {
            files.push((path, meta.len(), meta.modified().ok()));
        }
    };
    note(root.join(crate::catalogue::territory::FILE_NAME));
    for dir in [crate::catalogue::form::DIR, crate::catalogue::RULES_DIR] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for entry in entries.flatten() {
                note(entry.path());
            }
        }
    }
    files.sort();
    files
}

#[cfg(unix)]
async fn reload_on_sighup(state: AppState) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::error!("cannot listen for SIGHUP; catalogue reload is disabled");
        return;
    };
    while hangups.recv().await.is_some() {
        if let Err(problems) = web::reload::reload(&state) {
            tracing::error!(
                "catalogue NOT reloaded, the previous one stays in service:\n{}",
                list(&problems)
            );
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

/// Why the address cannot be used, and what to type instead.
fn bind_error(address: SocketAddr, err: std::io::Error) -> anyhow::Error {
    let other = SocketAddr::new(address.ip(), address.port().wrapping_add(1).max(1024));
    let hint = match err.kind() {
        std::io::ErrorKind::AddrInUse => format!(
            "the address is already in use (another Guichet, or another program, listens there). Stop it, or choose another address: `guichet serve --bind {other}` (with cargo: `cargo run --release -- --bind {other}`), or set GUICHET_BIND={other}"
        ),
        std::io::ErrorKind::PermissionDenied => format!(
            "this account may not listen on port {} (ports below 1024 need privileges). Choose a port from 1024 up, e.g. `--bind {other}`, and put a reverse proxy in front",
            address.port()
        ),
        std::io::ErrorKind::AddrNotAvailable => format!(
            "no network interface of this machine has the address {}. Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), e.g. `--bind 127.0.0.1:{}`",
            address.ip(),
            address.port()
        ),
        _ => err.to_string(),
    };
    anyhow::anyhow!("cannot listen on {address}: {hint}")
}

/// Why the server will not start when a webhook has no signing secret in its environment
/// (unset, empty or blank), saying which variables to set. Every delivery of that webhook
/// would fail, be retried for hours and end up dead: better to refuse at once.
fn refuse_unsigned_webhooks(catalogue: &crate::catalogue::Catalogue) -> Option<String> {
    let unsigned = catalogue.territory.unsigned_webhooks();
    if unsigned.is_empty() {
        return None;
    }
    let variables: Vec<&str> = unsigned
        .iter()
        .filter_map(|hook| hook.variable.as_deref())
        .collect();
    let what = if variables.is_empty() {
        "give each webhook its secret in territory.toml".to_owned()
    } else {
        format!(
            "set {} in the server's environment to the secret shared with the receiver (or remove the webhook from territory.toml)",
            variables.join(", ")
        )
    };
    let whose = match unsigned.len() {
        1 => "a webhook in territory.toml cannot sign its deliveries".to_owned(),
        n => format!("{n} webhooks in territory.toml cannot sign their deliveries"),
    };
    Some(format!(
        "cannot start: {whose}, so every one would fail:\n{}\n{what}, then start again.",
        list(&crate::catalogue::checks::unsigned_webhooks(catalogue))
    ))
}

fn list(problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every hour, reminds the citizens a service has waited on too long and closes the
/// requests whose reminder went unanswered (`x-guichet.reminders`), and queues the élus'
/// daily digests once 7:00 has passed. A failed run is logged
/// and tried again the next hour. The first run waits a minute, as retention's does, so
/// that a restart loop does not run it at every start.
async fn hourly_follow_ups(state: web::AppState) {
    tokio::time::sleep(Duration::from_secs(60)).await;
    loop {
        let catalogue = state.catalogue.load_full();
        let planner = state.planner(None);
        let now = time::OffsetDateTime::now_utc();
        match crate::requests::reminders::run(state.store.as_ref(), &catalogue, &planner, now).await
        {
            Ok(report) if report.reminded.is_empty() && report.closed.is_empty() => {}
            Ok(report) => tracing::info!(
                reminded = report.reminded.len(),
                closed = report.closed.len(),
                failed = report.failed,
                "waiting requests followed up"
            ),
            Err(err) => tracing::error!(error = %err, "waiting requests could not be followed up"),
        }
        match crate::elu_digest::run(state.store.as_ref(), &catalogue, &state.public_url, now).await
        {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "élus' daily digests queued"),
            Err(err) => tracing::error!(error = %err, "the élus' daily digests could not be sent"),
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

/// Folds the events of requests that have no statistics facts yet (filed before facts were
/// kept, or imported) into theirs, in the background: the dashboard counts them once done.
async fn rebuild_statistics(store: std::sync::Arc<dyn crate::store::Store>) {
    match crate::requests::facts::rebuild_missing(store.as_ref()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(requests = n, "statistics rebuilt from the events"),
        Err(err) => tracing::error!(error = %err, "statistics could not be rebuilt"),
    }
}
