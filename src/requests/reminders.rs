//! Requests left waiting for the citizen's answer (`x-guichet.reminders`): after
//! `remind_after_days` the citizen is reminded of the service's question, by e-mail and on
//! their tracking page; `close_after_days` after that reminder, the request is closed
//! "sans réponse" (rejected, with a message saying why and what to do). A form may turn
//! both off with `"reminders": false`.
//!
//! Each request is one transaction that locks it, reads its history and re-decides, so
//! several instances (or a run that overlaps the last) never remind twice or close early.
//! The wait counts from the moment the request started waiting (`paused_at`): a citizen who
//! answers, then is asked again, starts a new wait with a new reminder.

use time::{Duration, OffsetDateTime};

use super::handling::apply;
use crate::catalogue::Catalogue;
use crate::catalogue::form::Reminders;
use crate::domain::outbox::Planner;
use crate::domain::time::paris_time;
use crate::domain::workflow::Action;
use crate::domain::{EventKind, Reference, Status};
use crate::store::{Cursor, RequestQuery, Scope, Store, StoreError, Target};

/// Who the history names as having reminded or closed.
pub const ACTOR: &str = "guichet";

/// How many waiting requests are read at a time.
const PAGE: u32 = 200;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    pub reminded: Vec<Reference>,
    pub closed: Vec<Reference>,
    /// Requests that could not be handled this time (logged; tried again next run).
    pub failed: usize,
}

/// Reminds or closes every request due for it at `now`.
pub async fn run(
    store: &dyn Store,
    catalogue: &Catalogue,
    planner: &Planner,
    now: OffsetDateTime,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let mut query = RequestQuery::new(Scope::All, now);
    query.status = Some(Status::WaitingForCitizen);
    query.limit = PAGE;
    loop {
        let page = store.list_requests(&query).await?;
        for item in &page {
            match follow_up(store, catalogue, &item.reference, planner, now).await {
                Ok(Some(FollowUp::Reminded)) => report.reminded.push(item.reference.clone()),
                Ok(Some(FollowUp::Closed)) => report.closed.push(item.reference.clone()),
                Ok(None) => {}
                Err(err) => {
                    report.failed += 1;
                    tracing::warn!(reference = %item.reference, error = %err, "a waiting request could not be followed up");
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => {
                query.after = Some(Cursor::parse(query.sort, &last.cursor).map_err(|e| {
                    StoreError::Other(anyhow::anyhow!("a listing cursor did not read back: {e}"))
                })?);
            }
            _ => break,
        }
    }
    Ok(report)
}

enum FollowUp {
    Reminded,
    Closed,
}

async fn follow_up(
    store: &dyn Store,
    catalogue: &Catalogue,
    reference: &Reference,
    planner: &Planner,
    now: OffsetDateTime,
) -> Result<Option<FollowUp>, StoreError> {
    let mut tx = store.begin().await?;
    let Some(request) = tx.lock(Target::Reference(reference)).await? else {
        return Ok(None);
    };
    let Some(since) = request.state.paused_at else {
        return Ok(None);
    };
    if request.state.status != Status::WaitingForCitizen || request.anonymised_at.is_some() {
        return Ok(None);
    }
    // A form no longer in the catalogue keeps the defaults.
    let reminders = catalogue
        .forms
        .get(&request.form_id)
        .map_or_else(Reminders::default, |form| form.meta.reminders);
    let Reminders::After {
        remind_after_days,
        close_after_days,
    } = reminders
    else {
        return Ok(None);
    };
    let history = tx.history(request.id).await?;
    let reminded_at = history
        .iter()
        .rev()
        .take_while(|e| e.created_at >= since)
        .find(|e| e.kind == EventKind::Reminded)
        .map(|e| e.created_at);
    let (action, done) = match reminded_at {
        None if now - since >= Duration::days(remind_after_days.into()) => {
            // The service's question, as the citizen read it.
            let question = history
                .iter()
                .rev()
                .find(|e| e.kind == EventKind::Message)
                .and_then(|e| e.body.get("text"))
                .and_then(|t| t.as_str())
                .unwrap_or_default();
            // In the citizen's language: the text is theirs to read, in the history and
            // in the reminder e-mail.
            let text = if question.is_empty() {
                request.lang.text("reminder-waiting")
            } else {
                request
                    .lang
                    .text_with("reminder-question", &[("question", question.into())])
            };
            let close_on = paris_time(now + Duration::days(close_after_days.into())).date();
            (Action::Remind { text, close_on }, FollowUp::Reminded)
        }
        Some(at) if now - at >= Duration::days(close_after_days.into()) => {
            let text = request.lang.text_with(
                "reminder-closed",
                &[("reference", request.reference.to_string().into())],
            );
            (Action::CloseWithoutReply { text }, FollowUp::Closed)
        }
        _ => return Ok(None),
    };
    apply(tx, request, ACTOR, &action, planner, now).await?;
    Ok(Some(done))
}
