//! The server as the benches run it: the demo catalogue, a database, e-mails written to a
//! folder, no per-address limits (one loopback client files thousands of requests).

use std::path::Path;

use guichet::config::{DatabaseConfig, ServeConfig};

/// The configuration of a bench's server on `database`, keeping its files in `dir`; the
/// outbox worker looks for due messages every `outbox_poll_ms` when it finds none.
pub fn config(root: &Path, database: &str, dir: &Path, outbox_poll_ms: u64) -> ServeConfig {
    let defaults = ServeConfig::from_env();
    ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        catalogue: root.to_owned(),
        public_url: None,
        attachments_dir: dir.join("attachments"),
        attachments_sweep_secs: 0,
        catalogue_refresh_secs: 0,
        log_format: guichet::telemetry::LogFormat::Text,
        metrics_bind: None,
        database: DatabaseConfig {
            url: database.to_owned(),
            max_connections: 8,
        },
        dispatch: guichet::config::DispatchConfig {
            mail_url: format!("file://{}", dir.join("mail").display()),
            outbox_poll_ms,
            ..defaults.dispatch.clone()
        },
        rate_limits: guichet::config::RateLimitConfig {
            limit_submissions: guichet::config::Rate(None),
            ..Default::default()
        },
        ..defaults
    }
}
