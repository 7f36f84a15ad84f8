//! Files an accepted submission: stores the request in one transaction under its tracking
//! token, and only then hands back the receipt. Shared by the HTML form and the API.

use std::sync::Arc;

use tracing::Instrument;

use crate::catalogue::Form;
use crate::dispatch::{OutboxMessage, PlanInput};
use crate::domain::TrackingToken;
use crate::intake::Accepted;
use crate::store::{FormVersionRecord, NewRequest, Receipt, Store, StoreError};

/// Who files a request.
#[derive(Debug, Clone)]
pub struct Filer {
    /// The actor of the first event.
    pub actor: String,
    /// The élu filing on a citizen's behalf, and the citizen's contact if given.
    pub on_behalf: Option<(String, Option<String>)>,
}

impl Filer {
    pub fn named(actor: &str) -> Filer {
        Filer {
            actor: actor.to_owned(),
            on_behalf: None,
        }
    }
}

pub async fn file(
    store: &Arc<dyn Store>,
    form: &Form,
    accepted: Accepted,
    token: TrackingToken,
    filer: Filer,
    planner: impl Fn(&PlanInput<'_>) -> Vec<OutboxMessage> + Send + Sync + 'static,
) -> Result<(Receipt, TrackingToken), StoreError> {
    let (filed_by, citizen_contact) = filer.on_behalf.unzip();
    let decision = accepted.decision;
    let rule_fallback = decision.fallback.is_some();
    let (service, queue) = (decision.service.clone(), decision.queue.clone());
    let request = NewRequest {
        tracking_hash: token.hash(),
        form: FormVersionRecord::of(form),
        commune: accepted.commune,
        channel: accepted.channel,
        data: accepted.data,
        service: decision.service,
        queue: decision.queue,
        priority: decision.priority,
        tags: decision.tags,
        routing_reason: decision.reason,
        routing_fallback: decision.fallback.map(|f| f.message),
        due_in_days: decision.due_in_days,
        actor: filer.actor,
        filed_by,
        citizen_contact: citizen_contact.flatten(),
    };
    // Filing runs in its own task: if the client goes away or a timeout drops this handler,
    // the transaction still completes (or rolls back) on its own, never half-way.
    let store = Arc::clone(store);
    // In the request's span: what the store logs names the request it came from.
    let receipt =
        tokio::spawn(async move { store.file_request(request, &planner).await }.in_current_span())
            .await
            .map_err(|err| StoreError::Other(anyhow::anyhow!("the filing task failed: {err}")))??;
    tracing::info!(reference = %receipt.reference, form = %form.id, version = %form.version, rule_fallback, "request filed");
    metrics::counter!(
        "guichet_filings_total",
        "form" => form.id.clone(),
        "service" => service,
        "queue" => queue
    )
    .increment(1);
    if rule_fallback {
        metrics::counter!("guichet_rule_fallbacks_total", "form" => form.id.clone()).increment(1);
    }
    Ok((receipt, token))
}
