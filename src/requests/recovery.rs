//! A lost tracking link found again: the citizen gives the e-mail address they filed with,
//! and each of their requests of the last twelve months gets a fresh private link, sent to
//! that address. The old link stops working in the same transaction that records the
//! `tracking_renewed` event and queues the e-mail, so a renewal is whole or not at all.
//!
//! Only the address the citizen gave as theirs counts (the form's e-mail question, the one
//! receipts go to): a request that merely mentions the address in a description, or that
//! someone else filed with another address, is not sent. Requests whose personal data was
//! erased have no address left and are never sent.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::handling::apply;
use crate::catalogue::Catalogue;
use crate::domain::outbox::Planner;
use crate::domain::workflow::Action;
use crate::domain::{ContactKey, Reference, TrackingToken};
use crate::store::{Store, StoreError, Target};

/// How far back a lost link is found again.
pub const LOOKBACK: Duration = Duration::days(365);

/// Who the history names as having asked for the fresh link.
const ACTOR: &str = "citoyen";

/// Sends a fresh link for each request filed with `email` since `now - LOOKBACK`; returns
/// the references renewed. `planner_for` builds the planner that carries a new link into
/// its e-mail. A request that fails is logged and skipped: the others are still sent.
pub async fn renew_links(
    store: &dyn Store,
    catalogue: &Catalogue,
    email: &str,
    now: OffsetDateTime,
    planner_for: &(dyn Fn(&TrackingToken) -> Arc<Planner> + Send + Sync),
) -> Result<Vec<Reference>, StoreError> {
    let Ok(ContactKey::Email(address)) = ContactKey::parse(email) else {
        return Ok(Vec::new());
    };
    let key = ContactKey::Email(address.clone());
    let mut renewed = Vec::new();
    for found in store.find_subject(&key).await? {
        let Some(request) = store.request_by_reference(&found.reference).await? else {
            continue;
        };
        let theirs = catalogue
            .citizen_email(&request.form_id, &request.data)
            .is_some_and(|given| given.eq_ignore_ascii_case(&address));
        if !theirs || request.anonymised_at.is_some() || request.created_at < now - LOOKBACK {
            continue;
        }
        match renew(store, &request.reference, planner_for).await {
            Ok(true) => renewed.push(request.reference),
            Ok(false) => {}
            Err(err) => tracing::warn!(
                reference = %request.reference,
                error = %err,
                "a lost tracking link could not be renewed"
            ),
        }
    }
    Ok(renewed)
}

/// One request: a new token, its hash written, the event recorded and the e-mail queued,
/// in one transaction. `false` when the request is gone or anonymised meanwhile.
async fn renew(
    store: &dyn Store,
    reference: &Reference,
    planner_for: &(dyn Fn(&TrackingToken) -> Arc<Planner> + Send + Sync),
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let Some(request) = tx.lock(Target::Reference(reference)).await? else {
        return Ok(false);
    };
    if request.anonymised_at.is_some() {
        return Ok(false);
    }
    let token = TrackingToken::generate();
    tx.write_tracking_hash(request.id, &token.hash()).await?;
    let planner = planner_for(&token);
    apply(
        tx,
        request,
        ACTOR,
        &Action::RenewTracking,
        planner.as_ref(),
        OffsetDateTime::now_utc(),
    )
    .await?;
    Ok(true)
}
