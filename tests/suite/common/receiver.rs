//! A webhook receiver started by a test, and the demo territory with a webhook to it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use guichet::dispatch::webhook;
use serde_json::Value;

use super::{catalogue_copy, repo_root};

pub const SECRET: &str = "le secret partagé avec le SIG";

#[derive(Clone, Copy, PartialEq)]
pub enum Mode {
    Accept,
    Fail,
    /// Answers after 10 s.
    Slow,
    /// Records the delivery, then holds the connection for 30 s.
    Hold,
}

#[derive(Clone)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    pub applied: Arc<Mutex<std::collections::HashSet<String>>>,
    pub mode: Arc<Mutex<Mode>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mode = *receiver.mode.lock().unwrap();
    if mode == Mode::Slow {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    receiver
        .received
        .lock()
        .unwrap()
        .push((headers.clone(), body));
    if mode == Mode::Hold {
        tokio::time::sleep(Duration::from_secs(30)).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    // A receiver applies each message once, whatever the number of deliveries.
    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
    if mode == Mode::Accept {
        receiver.applied.lock().unwrap().insert(key);
    }
    match mode {
        Mode::Fail => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::NO_CONTENT,
    }
}

impl Receiver {
    pub fn new(mode: Mode) -> Receiver {
        Receiver {
            received: Arc::default(),
            applied: Arc::default(),
            mode: Arc::new(Mutex::new(mode)),
        }
    }

    /// Serves on `listener` (so a test can choose when the port starts answering).
    pub fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// The bodies received, as JSON, after checking each one's signature.
    pub fn verified(&self) -> Vec<Value> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(headers, body)| {
                let signature = headers["x-guichet-signature"].to_str().unwrap();
                assert!(
                    webhook::verify(SECRET, signature, body, now, 300),
                    "a valid signature"
                );
                assert!(!webhook::verify(
                    "un autre secret",
                    signature,
                    body,
                    now,
                    300
                ));
                let value: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(
                    headers["idempotency-key"].to_str().unwrap(),
                    value["idempotency_key"]
                );
                assert_eq!(
                    headers["x-guichet-event"].to_str().unwrap(),
                    value["event"]["kind"]
                );
                value
            })
            .collect()
    }
}

/// The demo territory with a webhook on the roads service, to `port`.
pub fn catalogue_with_webhook(port: u16) -> tempfile::TempDir {
    catalogue_with_hook(
        port,
        r#"["submitted", "status_changed", "transferred"]"#,
        &format!("secret = \"{SECRET}\""),
    )
}

/// The demo territory with a webhook on the roads service, to `port`, subscribed to
/// `events` (a TOML array) and signed as `secret_line` says (`secret = …` or `secret_env = …`).
pub fn catalogue_with_hook(port: u16, events: &str, secret_line: &str) -> tempfile::TempDir {
    let dir = catalogue_copy(&repo_root(), &[]);
    let path = dir.path().join("territory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let hook = format!(
        "[[services.webhooks]]\nid = \"sig-voirie\"\nurl = \"http://127.0.0.1:{port}/hook\"\nevents = {events}\n{secret_line}\n\n[[services]]\nid = \"mairies\""
    );
    let text = text.replacen("[[services]]\nid = \"mairies\"", &hook, 1);
    assert!(text.contains("sig-voirie"));
    std::fs::write(&path, text).unwrap();
    dir
}
