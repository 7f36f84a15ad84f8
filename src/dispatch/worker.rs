//! The delivery worker: claims due outbox rows, delivers them, records the outcome.
//!
//! At least once: a row is leased when claimed; if the process dies mid-delivery, the lease
//! runs out and the row is claimed again (the receiver deduplicates by idempotency key).
//! Failures are retried with exponential backoff and jitter; after `max_attempts` the row is
//! parked as dead until an admin redelivers it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use lettre::message::Mailbox;
use tokio::task::JoinSet;

use super::mail::{self, Mailer};
use super::webhook::{self, Delivery};
use super::{OutboxChannel, OutboxRow, Outcome};
use crate::catalogue::Catalogue;
use crate::store::{Store, backoff};

/// Rows claimed per round.
const BATCH: u32 = 32;

/// Pause after a round that found fewer rows than a batch (at most `idle`): under load the
/// next round then takes what queued meanwhile, and the worker's claims and outcomes (a
/// durable commit each) stay a few a second instead of one pair per filing, on the writer
/// that files requests. A message waits this much longer at most.
const GATHER: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub mail_from: Mailbox,
    pub webhook_timeout: Duration,
    pub allow_private_targets: bool,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub lease: Duration,
    /// Pause between rounds when nothing is due.
    pub idle: Duration,
}

pub struct Worker {
    pub store: Arc<dyn Store>,
    pub catalogue: Arc<ArcSwap<Catalogue>>,
    pub mailer: Arc<Mailer>,
    pub settings: WorkerSettings,
}

impl Worker {
    /// Runs until the task is dropped (the server's shutdown aborts it; a row being
    /// delivered then is retried when its lease ends).
    pub async fn run(self: Arc<Self>) {
        loop {
            match self.round().await {
                Ok(0) => tokio::time::sleep(self.settings.idle).await,
                Ok(claimed) if claimed < BATCH as usize => {
                    tokio::time::sleep(self.settings.idle.min(GATHER)).await;
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(
                        "outbox worker: {}",
                        crate::telemetry::scrub(&format!("{err:#}"))
                    );
                    tokio::time::sleep(self.settings.idle.max(Duration::from_secs(1))).await;
                }
            }
        }
    }

    /// One round: claims due rows and delivers them concurrently. Returns how many it took.
    pub async fn round(self: &Arc<Self>) -> anyhow::Result<usize> {
        let lease = time::Duration::try_from(self.settings.lease)?;
        let rows = self.store.claim_outbox(BATCH, lease).await?;
        let claimed = rows.len();
        // Digest items to one address go out as one e-mail.
        let mut digests: BTreeMap<String, Vec<OutboxRow>> = BTreeMap::new();
        let mut tasks = JoinSet::new();
        for row in rows {
            if row.kind == "digest_item" {
                digests.entry(row.target.clone()).or_default().push(row);
                continue;
            }
            let worker = Arc::clone(self);
            tasks.spawn(async move {
                let outcome = worker.deliver(std::slice::from_ref(&row)).await;
                vec![worker.outcome(&row, outcome)]
            });
        }
        for (_, rows) in digests {
            let worker = Arc::clone(self);
            tasks.spawn(async move {
                let outcome = worker.deliver(&rows).await;
                rows.iter()
                    .map(|row| worker.outcome(row, outcome.clone()))
                    .collect::<Vec<_>>()
            });
        }
        // The round's outcomes are recorded together, in one transaction: the writer (on
        // SQLite, the one that files requests too) commits once per round, not per message.
        let mut finished = Vec::with_capacity(claimed);
        while let Some(done) = tasks.join_next().await {
            if let Ok(done) = done {
                finished.extend(done);
            }
        }
        if let Err(err) = self.store.finish_outbox(&finished).await {
            // The leases will end and the rows be retried: at least once still holds.
            tracing::warn!(
                messages = finished.len(),
                "cannot record delivery outcomes: {}",
                crate::telemetry::scrub(&err.to_string())
            );
        }
        Ok(claimed)
    }

    /// What a delivery attempt of `row` comes to, counted and logged.
    fn outcome(&self, row: &OutboxRow, delivered: Result<(), String>) -> (String, Outcome) {
        let outcome = match delivered {
            Ok(()) => Outcome::Delivered,
            Err(error) if row.attempts >= self.settings.max_attempts => {
                tracing::warn!(id = %row.id, channel = row.channel.as_str(), kind = %row.kind, attempts = row.attempts, error = %crate::telemetry::scrub(&error), "outbox message parked as dead");
                Outcome::Dead { error }
            }
            Err(error) => {
                let at = time::OffsetDateTime::now_utc()
                    + backoff(self.settings.retry_base, row.attempts);
                tracing::info!(id = %row.id, channel = row.channel.as_str(), kind = %row.kind, attempts = row.attempts, error = %crate::telemetry::scrub(&error), "delivery failed; will retry");
                Outcome::Retry { error, at }
            }
        };
        let counted = match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Retry { .. } => "retry",
            Outcome::Dead { .. } => "dead",
        };
        metrics::counter!(
            "guichet_outbox_deliveries_total",
            "channel" => row.channel.as_str(),
            "outcome" => counted
        )
        .increment(1);
        (row.id.clone(), outcome)
    }

    /// Delivers one message (or one digest of several rows to one address).
    async fn deliver(&self, rows: &[OutboxRow]) -> Result<(), String> {
        let row = rows.first().ok_or("nothing to deliver")?;
        match row.channel {
            OutboxChannel::Email => {
                let composed = mail::compose(rows)?;
                self.mailer
                    .send(&self.settings.mail_from, &row.target, &composed)
                    .await
            }
            OutboxChannel::Webhook => {
                let (service_id, hook_id) =
                    row.target.split_once('/').ok_or("bad webhook target")?;
                let catalogue = self.catalogue.load();
                let hook = catalogue
                    .territory
                    .service(service_id)
                    .and_then(|s| s.webhooks.iter().find(|h| h.id == hook_id))
                    .ok_or_else(|| {
                        format!(
                            "webhook {} is no longer declared in territory.toml",
                            row.target
                        )
                    })?;
                let secret = hook
                    .signing_secret()
                    .map_err(|why| format!("webhook {} cannot sign: {why}", row.target))?;
                let body = self.webhook_body(row).await?;
                match webhook::deliver(
                    &hook.url,
                    &secret,
                    &row.kind,
                    &row.idempotency_key,
                    &body,
                    self.settings.webhook_timeout,
                    self.settings.allow_private_targets,
                )
                .await
                {
                    Delivery::Accepted => Ok(()),
                    Delivery::Failed(why) => Err(why),
                }
            }
        }
    }

    /// The webhook body: the event and request snapshot recorded with the event, plus the
    /// request's data and the labels of the form version it was filed under (both immutable,
    /// so reading them now gives what they were then).
    async fn webhook_body(&self, row: &OutboxRow) -> Result<Vec<u8>, String> {
        let mut payload = row.payload.clone();
        let reference = payload["request"]["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let reference = crate::domain::Reference::parse(&reference).map_err(|e| e.to_string())?;
        let request = self
            .store
            .request_by_reference(&reference)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the request is gone")?;
        let version = self
            .store
            .form_version(&request.form_version)
            .await
            .map_err(|e| e.to_string())?;
        let labels: Vec<serde_json::Value> = version
            .and_then(|v| crate::catalogue::fields::build(&v.definition).ok())
            .map(|fields| {
                crate::requests::describe::answers(&fields, &request.data)
                    .into_iter()
                    .map(|section| {
                        serde_json::json!({
                            "section": section.heading,
                            "answers": section.answers.iter().map(|a| serde_json::json!({"label": a.label, "value": a.value})).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        payload["idempotency_key"] = serde_json::json!(row.idempotency_key);
        payload["occurred_at"] = serde_json::json!(crate::store::format_time(row.created_at));
        payload["request"]["data"] = request.data;
        payload["request"]["labels"] = serde_json::json!(labels);
        serde_json::to_vec(&payload).map_err(|e| e.to_string())
    }
}
