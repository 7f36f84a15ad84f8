//! Acting on a filed request: one transaction that locks it, checks who may act, lets
//! [`workflow::apply`] decide the new state and events, writes them, and queues the
//! messages they cause. The same steps serve agents, admins, the staff API and the citizen
//! acting through their link.

use time::OffsetDateTime;

use crate::domain::outbox::{PlanInput, Planner};
use crate::domain::statistics::FactsOrigin;
use crate::domain::workflow::{self, Action};
use crate::domain::{EventKind, Reference};
use crate::store::{
    ActionDone, LockedRequest, RequestTransaction, Scope, Store, StoreError, Target,
};

/// Applies `action`, taken by `actor`, to the request `target` names. `Ok(None)` when there
/// is no such request in `scope` (its existence is not revealed); `Refused` when its state
/// does not allow the action (or its data was anonymised); `Invalid` when the action's text
/// cannot be recorded.
pub async fn act(
    store: &dyn Store,
    target: Target<'_>,
    scope: &Scope,
    actor: &str,
    action: &Action,
    planner: &Planner,
) -> Result<Option<ActionDone>, StoreError> {
    act_at(
        store,
        target,
        scope,
        actor,
        action,
        planner,
        OffsetDateTime::now_utc(),
    )
    .await
}

/// [`act`] as if it were `now`: seeded histories (tests, benches) act at the instant they
/// say.
pub async fn act_at(
    store: &dyn Store,
    target: Target<'_>,
    scope: &Scope,
    actor: &str,
    action: &Action,
    planner: &Planner,
    now: OffsetDateTime,
) -> Result<Option<ActionDone>, StoreError> {
    let mut tx = store.begin().await?;
    let Some(request) = tx.lock(target).await? else {
        return Ok(None);
    };
    let state = &request.state;
    if !scope.allows(
        &state.service,
        request.commune.as_deref(),
        request.filed_by.as_deref(),
    ) {
        return Ok(None);
    }
    apply(tx, request, actor, action, planner, now)
        .await
        .map(Some)
}

/// Takes the oldest received request of `queue` for `actor`, as [`Action::Take`] would.
/// Several instances may call this at once: each request is taken by exactly one of them
/// (PostgreSQL skips the rows another transaction holds; SQLite has a single writer).
pub async fn claim_next(
    store: &dyn Store,
    queue: &str,
    actor: &str,
    planner: &Planner,
) -> Result<Option<Reference>, StoreError> {
    let mut tx = store.begin().await?;
    let Some(request) = tx.lock_next_received(queue).await? else {
        return Ok(None);
    };
    let now = OffsetDateTime::now_utc();
    let done = apply(tx, request, actor, &Action::Take, planner, now).await?;
    Ok(Some(done.reference))
}

/// The rest of an action once its request is locked and in scope.
pub(super) async fn apply(
    mut tx: Box<dyn RequestTransaction>,
    request: LockedRequest,
    actor: &str,
    action: &Action,
    planner: &Planner,
    now: OffsetDateTime,
) -> Result<ActionDone, StoreError> {
    if let Some(anonymised_at) = request.anonymised_at {
        return Err(crate::store::retention::anonymised_refusal(anonymised_at));
    }
    let transition = workflow::apply(&request.state, action, actor, now)?;
    let state = &transition.state;
    let last_event = transition
        .events
        .last()
        .map_or(EventKind::Routed, |e| e.kind);
    tx.write_state(request.id, state, last_event, now).await?;
    for event in &transition.events {
        tx.append_event(request.id, actor, event, now).await?;
    }
    let origin = FactsOrigin {
        form_id: request.form_id.clone(),
        commune: request.commune.as_ref().map(ToString::to_string),
        channel: request.channel.clone(),
        filed_by: request.filed_by.clone(),
    };
    super::facts::record(tx.as_mut(), request.id, origin).await?;
    let messages = planner(&PlanInput {
        reference: &request.reference,
        form_id: &request.form_id,
        form_version: &request.form_version,
        commune: request.commune.as_deref(),
        channel: &request.channel,
        data: &request.data,
        filed_by: request.filed_by.as_deref(),
        before: Some(&request.state),
        after: state,
        events: &transition.events,
        actor,
        lang: request.lang,
    });
    tx.queue_outbox(request.id, &messages, now).await?;
    tx.commit().await?;
    Ok(ActionDone {
        reference: request.reference,
        status: state.status,
        service: state.service.clone(),
        queue: state.queue.clone(),
        events: transition.events,
    })
}
