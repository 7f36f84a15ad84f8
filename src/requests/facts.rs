//! What statistics know of each request (`request_facts`, and the rollups the dashboard
//! reads), kept from its events: folded in the transaction that appends them (filing and
//! every action call [`record`] before committing), and rebuilt from the events for requests
//! that have none ([`rebuild_missing`]: those filed before facts were kept, or imported), or
//! for all of them ([`rebuild`], `guichet statistics rebuild`), so they never say anything
//! the history does not.

use uuid::Uuid;

use crate::domain::statistics::{FactsOrigin, RequestFacts};
use crate::store::{RequestTransaction, Store, StoreError};

/// How many requests one rebuilding transaction covers.
const REBUILD_BATCH: u32 = 500;

/// Folds the request's whole history, as `tx` sees it, into its facts and writes them.
pub async fn record(
    tx: &mut dyn RequestTransaction,
    id: Uuid,
    origin: FactsOrigin,
) -> Result<(), StoreError> {
    let history = tx.history(id).await?;
    let Some(facts) = RequestFacts::fold(
        origin,
        history.iter().map(|e| (e.kind, &e.body, e.created_at)),
    ) else {
        return Err(StoreError::Other(anyhow::anyhow!(
            "request {id} has a history that does not start with its filing"
        )));
    };
    tx.write_facts(id, &facts).await
}

/// What statistics know of a request being filed, from its first events (appended at
/// `now`), without reading them back.
pub fn filed(
    origin: FactsOrigin,
    events: &[crate::domain::workflow::NewEvent],
    now: time::OffsetDateTime,
) -> Result<RequestFacts, StoreError> {
    RequestFacts::fold(origin, events.iter().map(|e| (e.kind, &e.body, now))).ok_or_else(|| {
        StoreError::Other(anyhow::anyhow!(
            "a request is filed without its submission event"
        ))
    })
}

/// Writes the facts of every request that has none; returns how many. Idempotent, and
/// safe while the server runs (each request is rewritten from its events in a transaction).
pub async fn rebuild_missing(store: &dyn Store) -> Result<u64, StoreError> {
    fold_missing(store, &mut |_| {}).await
}

/// [`rebuild_missing`], telling `progress` how many are done after each batch.
async fn fold_missing(
    store: &dyn Store,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, StoreError> {
    let mut done = 0;
    loop {
        let batch = store.requests_without_facts(REBUILD_BATCH).await?;
        if batch.is_empty() {
            return Ok(done);
        }
        let mut tx = store.begin().await?;
        for (id, origin) in batch.iter().cloned() {
            record(tx.as_mut(), id, origin).await?;
            done += 1;
        }
        tx.commit().await?;
        progress(done);
        if batch.len() < REBUILD_BATCH as usize {
            return Ok(done);
        }
    }
}

/// Folds every request again from its events, then computes both rollups again from the
/// facts; returns how many requests. For a database whose statistics are in doubt (a bug
/// fixed, a restore from parts): while it runs, the dashboard counts only the requests
/// folded so far. `progress` hears how many are folded after each batch.
pub async fn rebuild(
    store: &dyn Store,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64, StoreError> {
    store.forget_facts().await?;
    let folded = fold_missing(store, progress).await?;
    store.rebuild_rollups().await?;
    Ok(folded)
}
