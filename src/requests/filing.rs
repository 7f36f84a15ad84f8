//! Filing an accepted submission: the request, its form version, its first events and the
//! messages they cause, in one transaction under a fresh reference; the receipt is handed
//! back only once that transaction is durable. Shared by the HTML form, the API and élus.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use time::OffsetDateTime;

use crate::catalogue::Form;
use crate::domain::outbox::{OutboxMessage, PlanInput, Planner};
use crate::domain::statistics::{FactsOrigin, RequestFacts};
use crate::domain::workflow::{HandlingState, NewEvent};
use crate::domain::{EventKind, Reference, Status, TrackingToken};
use crate::i18n::Lang;
use crate::intake::Accepted;
use crate::store::{
    Batched, FiledRequest, FormVersionRecord, Inserted, NewRequest, Receipt, RequestTransaction,
    Store, StoreError,
};

/// A fresh reference collides with an existing one about once in 10^12 filings per thousand
/// requests stored; five attempts make a failure practically impossible.
const REFERENCE_ATTEMPTS: usize = 5;

/// Who files a request.
#[derive(Debug, Clone)]
pub struct Filer {
    /// The actor of the first event.
    pub actor: String,
    /// The élu filing on a citizen's behalf, and the citizen's contact if given.
    pub on_behalf: Option<(String, Option<String>)>,
    /// The language the citizen filed in: their e-mails go out in it.
    pub lang: Lang,
}

impl Filer {
    pub fn named(actor: &str) -> Filer {
        Filer {
            actor: actor.to_owned(),
            on_behalf: None,
            lang: Lang::Fr,
        }
    }

    /// The same filer, for a citizen reading `lang`.
    pub fn in_lang(self, lang: Lang) -> Filer {
        Filer { lang, ..self }
    }
}

/// Files `accepted` under `token`, with the messages `planner` decides.
pub async fn file(
    store: &Arc<dyn Store>,
    form: &Form,
    accepted: Accepted,
    token: TrackingToken,
    filer: Filer,
    planner: impl Fn(&PlanInput<'_>) -> Vec<crate::domain::outbox::OutboxMessage>
    + Send
    + Sync
    + 'static,
) -> Result<(Receipt, TrackingToken), StoreError> {
    let rule_fallback = accepted.decision.fallback.is_some();
    let (service, queue) = (
        accepted.decision.service.clone(),
        accepted.decision.queue.clone(),
    );
    let request = new_request(form, accepted, &token, filer);
    // The store's group committer writes it, in a task of its own: if the client goes away
    // or a timeout drops this handler, the filing still completes (or rolls back), never
    // half-way.
    let receipt = store_request(store.as_ref(), request, Arc::new(planner)).await?;
    tracing::info!(reference = %receipt.reference, form = %form.id, version = %form.version, rule_fallback, "request filed");
    metrics::counter!(
        "guichet_filings_total",
        "form" => form.id.clone(),
        "service" => String::from(service),
        "queue" => String::from(queue)
    )
    .increment(1);
    if rule_fallback {
        metrics::counter!("guichet_rule_fallbacks_total", "form" => form.id.clone()).increment(1);
    }
    Ok((receipt, token))
}

/// The request `accepted` becomes, filed by `filer` under `token`.
pub fn new_request(
    form: &Form,
    accepted: Accepted,
    token: &TrackingToken,
    filer: Filer,
) -> NewRequest {
    let (filed_by, citizen_contact) = filer.on_behalf.unzip();
    let decision = accepted.decision;
    NewRequest {
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
        lang: filer.lang,
    }
}

/// Stores a routed request with its first events and the messages they cause, in one
/// transaction shared with the filings waiting beside it (the store's group commit), under
/// a fresh reference (drawn again on the rare clash). Returns only after the commit is
/// durable; `AlreadyFiled` when the same submission (its tracking hash) is stored already,
/// which fails this filing alone.
pub async fn store_request(
    store: &dyn Store,
    request: NewRequest,
    planner: Arc<Planner>,
) -> Result<Receipt, StoreError> {
    store_request_at(store, request, planner, OffsetDateTime::now_utc()).await
}

/// [`store_request`] as if it were `now`: imports and seeded histories (tests, benches)
/// file at the instant they say.
pub async fn store_request_at(
    store: &dyn Store,
    request: NewRequest,
    planner: Arc<Planner>,
    now: OffsetDateTime,
) -> Result<Receipt, StoreError> {
    let filing = Filing::prepare(request, planner, now)?;
    store.group_commit().run(filing).await
}

/// One filing, as a group's transaction writes it.
///
/// All that can be decided before writing (its first state and events, its facts, a
/// reference and the messages naming it) is decided in the caller's task, where filings
/// run side by side: the committer, which writes one filing after another, only writes.
struct Filing {
    request: NewRequest,
    planner: Arc<Planner>,
    now: OffsetDateTime,
    state: HandlingState,
    events: Vec<NewEvent>,
    facts: RequestFacts,
    /// The reference drawn, and the messages planned for it; drawn again on a clash.
    reference: Reference,
    messages: Vec<OutboxMessage>,
}

impl Filing {
    fn prepare(
        request: NewRequest,
        planner: Arc<Planner>,
        now: OffsetDateTime,
    ) -> Result<Filing, StoreError> {
        let (state, events) = filed_state(&request, now);
        let facts = super::facts::filed(origin(&request), &events, now)?;
        let reference = Reference::generate();
        let messages = planner(&filing_plan(&request, &reference, &state, &events));
        Ok(Filing {
            request,
            planner,
            now,
            state,
            events,
            facts,
            reference,
            messages,
        })
    }

    /// Another reference, for when the one drawn is taken, and its messages.
    fn draw_again(&mut self) {
        self.reference = Reference::generate();
        self.messages = (self.planner)(&filing_plan(
            &self.request,
            &self.reference,
            &self.state,
            &self.events,
        ));
    }
}

#[async_trait]
impl Batched for Filing {
    type Output = Receipt;

    async fn write(&mut self, tx: &mut dyn RequestTransaction) -> Result<Receipt, StoreError> {
        tx.record_form_version(&self.request.form, self.now).await?;
        for attempt in 0..REFERENCE_ATTEMPTS {
            if attempt > 0 {
                self.draw_again();
            }
            let first: Vec<_> = first_actors(&self.request)
                .into_iter()
                .zip(&self.events)
                .collect();
            let filed = FiledRequest {
                request: &self.request,
                state: &self.state,
                events: &first,
                facts: &self.facts,
                messages: &self.messages,
            };
            if let Inserted::Request(_) = tx.file_request(&self.reference, &filed, self.now).await?
            {
                return Ok(Receipt {
                    reference: self.reference.clone(),
                    status: self.state.status,
                    created_at: self.now,
                });
            }
        }
        Err(StoreError::Other(anyhow::anyhow!(
            "no free reference after {REFERENCE_ATTEMPTS} draws"
        )))
    }
}

/// A request's handling state and first events as it is filed: received, with its deadline
/// counted from now; filed (the citizen sees it, with the service it went to), then routed
/// (staff only: the rule's reason can quote personal data, and a fallback explains an
/// internal failure).
pub fn filed_state(request: &NewRequest, now: OffsetDateTime) -> (HandlingState, Vec<NewEvent>) {
    let state = HandlingState {
        status: Status::Received,
        service: request.service.clone(),
        queue: request.queue.clone(),
        priority: request.priority,
        assignee: None,
        due_at: request
            .due_in_days
            .map(|d| now + time::Duration::days(i64::from(d))),
        paused_at: None,
        created_at: now,
    };
    let mut submitted = json!({
        "channel": request.channel.as_str(),
        "service": request.service,
        "filed_by": request.filed_by,
    });
    // The filing language, read back when later e-mails are planned (`LockedRequest::lang`);
    // French, the default, is not written.
    if request.lang != Lang::Fr {
        submitted["lang"] = json!(request.lang.code());
    }
    let events = vec![
        NewEvent {
            kind: EventKind::Submitted,
            visible_to_citizen: true,
            body: submitted,
        },
        NewEvent {
            kind: EventKind::Routed,
            visible_to_citizen: false,
            body: json!({
                "service": request.service,
                "queue": request.queue,
                "priority": request.priority.as_str(),
                "reason": request.routing_reason,
                "fallback": request.routing_fallback,
                // The first deadline, so that statistics can follow it from the events alone.
                "due_at": state.due_at.map(crate::domain::time::format_time),
            }),
        },
    ];
    (state, events)
}

/// What statistics keep of a request as it is filed.
fn origin(request: &NewRequest) -> FactsOrigin {
    FactsOrigin {
        form_id: request.form.form_id.clone(),
        commune: request.commune.as_ref().map(ToString::to_string),
        channel: request.channel.as_str().to_owned(),
        filed_by: request.filed_by.clone(),
    }
}

/// Who each first event is by: the filer submitted it, Guichet routed it.
fn first_actors(request: &NewRequest) -> [&str; 2] {
    [request.actor.as_str(), "guichet"]
}

/// The planner's view of a request being filed.
fn filing_plan<'a>(
    request: &'a NewRequest,
    reference: &'a Reference,
    state: &'a HandlingState,
    events: &'a [NewEvent],
) -> PlanInput<'a> {
    PlanInput {
        reference,
        form_id: &request.form.form_id,
        form_version: request.form.version.as_str(),
        commune: request.commune.as_deref(),
        channel: request.channel.as_str(),
        data: &request.data,
        filed_by: request.filed_by.as_deref(),
        before: None,
        after: state,
        events,
        actor: &request.actor,
        lang: request.lang,
    }
}
