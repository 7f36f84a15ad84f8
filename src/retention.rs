//! Retention and erasure: personal data is kept for the form's retention period after a
//! request is closed, then removed; an admin may remove it earlier, on request.
//!
//! Both go through [`anonymise`]: one database transaction per request (see
//! [`crate::store::retention`]), then, outside the database, the request's attachment files
//! that no other request references and the e-mails written as files that name it. A run
//! ends with the store's `compact` (SQLite folds its WAL into the file and empties it;
//! `secure_delete` already zeroes what was deleted), so the data really leaves the disk.
//!
//! Which retention applies: the form's in the current catalogue
//! ([`crate::catalogue::Form::retention_days`]); a form no longer in the catalogue uses
//! its recorded version's `x-guichet.retention_days`, else the territory's default. A request
//! is due on the day `closed_at + retention days` falls on (UTC), and a run "as of" a day
//! anonymises every request due on or before it.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::attachments::Storage;
use crate::catalogue::{Catalogue, personal};
use crate::domain::{FormVersion, Reference};
use crate::store::retention::{Anonymisation, Anonymised, Why};
use crate::store::{Store, StoreError};

pub use crate::domain::time::day_fr;

/// The actor of retention's `anonymised` events.
pub const ACTOR: &str = "guichet";

/// The keys of an event's body that hold no personal data: statuses, services, queues,
/// priorities, dates, the channel, and staff addresses (who filed, who was assigned). Free
/// text (notes, messages, replies, reasons, a rule's reason or failure) is not among them.
const EVENT_KEYS: &[&str] = &[
    "channel",
    "service",
    "queue",
    "priority",
    "from",
    "to",
    "from_service",
    "from_queue",
    "due",
    "due_at",
    "await_reply",
    "filed_by",
];

/// An event's body reduced to [`EVENT_KEYS`].
pub fn event_body(_kind: &str, body: &Value) -> Value {
    let kept: Map<String, Value> = body
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, value)| EVENT_KEYS.contains(&key.as_str()) && !value.is_object())
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(kept)
}

/// Where anonymisation cleans up outside the database.
#[derive(Clone, Default)]
pub struct Places {
    pub attachments: Option<Storage>,
    /// The folder of a `file://` mail transport.
    pub mail_folder: Option<PathBuf>,
}

impl Places {
    /// The places a server or a command configured with these folders uses.
    pub fn new(attachments_dir: &Path, mail_url: &str) -> std::io::Result<Places> {
        Ok(Places {
            attachments: Some(Storage::new(attachments_dir.to_owned(), None)?),
            mail_folder: mail_url.strip_prefix("file://").map(PathBuf::from),
        })
    }
}

/// The retention, in days, of a request of `form_id` filed under `version`.
pub async fn retention_days(
    store: &dyn Store,
    catalogue: &Catalogue,
    form_id: &str,
    version: &FormVersion,
) -> Result<u32, StoreError> {
    if let Some(form) = catalogue.form(form_id) {
        return Ok(form.retention_days(&catalogue.territory));
    }
    let recorded = store.form_version(version).await?.and_then(|v| {
        let meta = v.definition.get(crate::catalogue::form::META_KEY)?;
        let days = meta
            .get("retention_days")
            .or_else(|| meta.get("retention"))?;
        u32::try_from(days.as_u64()?).ok()
    });
    Ok(recorded.unwrap_or(catalogue.territory.retention.days))
}

/// The day a request closed at `closed_at` is anonymised.
pub fn due_on(closed_at: OffsetDateTime, days: u32) -> Date {
    (closed_at + time::Duration::days(i64::from(days)))
        .to_offset(time::UtcOffset::UTC)
        .date()
}

/// When a closed request's personal data goes, for its page.
pub async fn planned(
    store: &dyn Store,
    catalogue: &Catalogue,
    form_id: &str,
    version: &FormVersion,
    closed_at: OffsetDateTime,
) -> Result<Date, StoreError> {
    let days = retention_days(store, catalogue, form_id, version).await?;
    Ok(due_on(closed_at, days))
}

/// What a run did (or, dry, would do).
#[derive(Debug, Default)]
pub struct Report {
    /// Another instance holds the retention lock: this run did nothing.
    pub skipped: bool,
    pub dry_run: bool,
    /// The requests due, with the day each was due; anonymised unless dry.
    pub due: Vec<(Reference, Date)>,
    /// Closed requests still within their retention.
    pub kept: usize,
    /// Requests whose anonymisation failed, with why (they are tried again next run).
    pub failed: Vec<(Reference, String)>,
    pub files_removed: usize,
    pub mails_removed: usize,
    /// Access records older than their keep time, forgotten (see
    /// [`crate::store::personal_data::ACCESS_RECORDS_KEEP_DAYS`]).
    pub access_records_forgotten: u64,
}

impl Report {
    pub fn anonymised(&self) -> usize {
        if self.dry_run {
            0
        } else {
            self.due.len() - self.failed.len()
        }
    }
}

/// Applies retention as of `as_of` (today, or the day `--as-of` pretends it is).
pub async fn run(
    store: &dyn Store,
    catalogue: &Catalogue,
    places: &Places,
    as_of: Date,
    dry_run: bool,
) -> anyhow::Result<Report> {
    let mut report = Report {
        dry_run,
        ..Report::default()
    };
    let Some(mut lock) = store.retention_lock().await? else {
        report.skipped = true;
        return Ok(report);
    };
    let result = run_locked(store, catalogue, places, as_of, &mut report).await;
    lock.release().await;
    result.map(|()| report)
}

async fn run_locked(
    store: &dyn Store,
    catalogue: &Catalogue,
    places: &Places,
    as_of: Date,
    report: &mut Report,
) -> anyhow::Result<()> {
    let end_of_day = as_of.next_day().unwrap_or(as_of).midnight().assume_utc();
    let mut days: HashMap<(String, FormVersion), u32> = HashMap::new();
    for closed in store.closed_requests(end_of_day).await? {
        let key = (closed.form_id.clone(), closed.form_version.clone());
        let retention = match days.get(&key) {
            Some(d) => *d,
            None => {
                let d =
                    retention_days(store, catalogue, &closed.form_id, &closed.form_version).await?;
                days.insert(key, d);
                d
            }
        };
        let due = due_on(closed.closed_at, retention);
        if due <= as_of {
            report.due.push((closed.reference, due));
        } else {
            report.kept += 1;
        }
    }
    if report.dry_run {
        return Ok(());
    }
    let mut done = Vec::new();
    let now = OffsetDateTime::now_utc();
    for (reference, _) in &report.due {
        match anonymise_in_store(store, reference, ACTOR, &Why::Retention, now).await {
            Ok(Some(anonymised)) => done.push(anonymised),
            // Erased or anonymised by someone else meanwhile, or reopened: nothing to do.
            Ok(None) | Err(StoreError::Refused(_)) => {}
            Err(err) => {
                tracing::error!(%reference, "anonymising a request: {err:#}");
                report.failed.push((reference.clone(), err.to_string()));
            }
        }
    }
    // The e-mails of the requests anonymised now, and again of those anonymised in the last
    // two days: a delivery claimed just before an anonymisation (or an erasure) may have
    // written its file just after.
    let mut mails_of: Vec<String> = done.iter().map(|a| a.reference.to_string()).collect();
    for reference in store
        .anonymised_since(now - time::Duration::days(2))
        .await?
    {
        let reference = reference.to_string();
        if !mails_of.contains(&reference) {
            mails_of.push(reference);
        }
    }
    let (files, mails) = clean_up(store, places, &done, &mails_of).await?;
    report.files_removed = files;
    report.mails_removed = mails;
    // Who looked at a request is kept for a year, then forgotten like the rest.
    let keep = time::Duration::days(i64::from(
        crate::store::personal_data::ACCESS_RECORDS_KEEP_DAYS,
    ));
    report.access_records_forgotten = store
        .forget_access_records(as_of.midnight().assume_utc() - keep)
        .await?;
    store.compact().await?;
    Ok(())
}

/// Erases a request's personal data on demand (an admin, with a reason): the same
/// anonymisation as retention, at once. `Ok(None)` if there is no such request; `Refused`
/// if it is still open (close it first) or already anonymised.
pub async fn erase(
    store: &dyn Store,
    places: &Places,
    reference: &Reference,
    admin: &str,
    reason: &str,
) -> Result<Option<Anonymised>, StoreError> {
    let why = Why::Erasure {
        reason: reason.to_owned(),
    };
    let Some(anonymised) =
        anonymise_in_store(store, reference, admin, &why, OffsetDateTime::now_utc()).await?
    else {
        return Ok(None);
    };
    let mails_of = [reference.to_string()];
    if let Err(err) = clean_up(store, places, std::slice::from_ref(&anonymised), &mails_of).await {
        // The database is clean; the next retention run sweeps what is left on disk.
        tracing::error!(%reference, "removing an erased request's files and e-mails: {err:#}");
    }
    if let Err(err) = store.compact().await {
        tracing::error!("compacting the database after an erasure: {err:#}");
    }
    Ok(Some(anonymised))
}

/// One request, in one store transaction, with the answers reduced by the schema of the
/// version it was filed under.
async fn anonymise_in_store(
    store: &dyn Store,
    reference: &Reference,
    actor: &str,
    why: &Why,
    now: OffsetDateTime,
) -> Result<Option<Anonymised>, StoreError> {
    let Some(request) = store.request_by_reference(reference).await? else {
        return Ok(None);
    };
    let schema = store
        .form_version(&request.form_version)
        .await?
        .map(|v| v.definition)
        .unwrap_or(Value::Null);
    let answers = move |data: &Value| personal::statistical_answers(&schema, data);
    store
        .anonymise(&Anonymisation {
            reference,
            actor,
            why,
            now,
            answers: &answers,
            event_body: &event_body,
        })
        .await
}

/// Deletes the files of `done` that no remaining request references, and the e-mail files
/// naming one of `mails_of` (the folder is read once). Returns (files, e-mails) removed.
async fn clean_up(
    store: &dyn Store,
    places: &Places,
    done: &[Anonymised],
    mails_of: &[String],
) -> anyhow::Result<(usize, usize)> {
    let mut files = 0;
    if let Some(storage) = &places.attachments {
        let candidates: HashSet<&String> = done.iter().flat_map(|a| &a.files).collect();
        if !candidates.is_empty() {
            let referenced = store.referenced_attachments().await?;
            for sha256 in candidates {
                if crate::attachments::is_sha256(sha256)
                    && !referenced.contains(sha256)
                    && std::fs::remove_file(storage.path_of(sha256)).is_ok()
                {
                    files += 1;
                }
            }
        }
    }
    let mut mails = 0;
    if let Some(folder) = &places.mail_folder
        && !mails_of.is_empty()
    {
        mails = remove_mails(folder, mails_of)?;
    }
    Ok((files, mails))
}

/// Removes the `.eml` files that name one of `references`. Every e-mail Guichet writes
/// carries its request's reference in an `X-Guichet-Reference` header (plain ASCII, so it
/// is found whatever the body's encoding).
fn remove_mails(folder: &Path, references: &[String]) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut removed = 0;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("eml") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let names_one = references.iter().any(|r| contains(&bytes, r.as_bytes()));
        if names_one && std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs retention once shortly after start, then every 24 hours, as part of `serve`. A
/// failed run is logged and tried again the next day; it never stops the server.
pub async fn daily(
    store: std::sync::Arc<dyn Store>,
    catalogue: std::sync::Arc<arc_swap::ArcSwap<Catalogue>>,
    places: Places,
) {
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    loop {
        let today = OffsetDateTime::now_utc().date();
        let catalogue_now = catalogue.load_full();
        match run(store.as_ref(), &catalogue_now, &places, today, false).await {
            Ok(report) if report.skipped => {
                tracing::info!("retention: another instance is running it")
            }
            Ok(report) => tracing::info!(
                anonymised = report.anonymised(),
                failed = report.failed.len(),
                kept = report.kept,
                files = report.files_removed,
                mails = report.mails_removed,
                access_records = report.access_records_forgotten,
                "retention applied"
            ),
            Err(err) => tracing::error!("retention: {err:#}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(24 * 3600)).await;
    }
}

/// `guichet purge [--dry-run] [--as-of YYYY-MM-DD]`: prints what it anonymised (or would),
/// with references and counts.
pub async fn purge(args: crate::config::PurgeArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let catalogue = crate::intake::cases::load_checked(&args.catalogue).map_err(|problems| {
        anyhow::anyhow!(
            "the catalogue in {} has {} problem(s); run `guichet check {}` and fix them first (retention periods come from it)",
            args.catalogue.display(),
            problems.len(),
            args.catalogue.display()
        )
    })?;
    let store = crate::store::open(&args.database).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::telemetry::redact_url(&args.database.url)
        )
    })?;
    let places = Places::new(&args.attachments_dir, &args.mail_url).with_context(|| {
        format!(
            "cannot use {} for attachments",
            args.attachments_dir.display()
        )
    })?;
    let as_of = args
        .as_of
        .unwrap_or_else(|| OffsetDateTime::now_utc().date());
    let report = run(store.as_ref(), &catalogue, &places, as_of, args.dry_run).await;
    store.close().await;
    let report = report?;
    if report.skipped {
        println!("Another instance is applying retention right now; nothing was done.");
        return Ok(());
    }
    let verb = if report.dry_run {
        "would be anonymised"
    } else {
        "anonymised"
    };
    for (reference, due) in &report.due {
        let failed = report.failed.iter().find(|(r, _)| r == reference);
        match failed {
            Some((_, why)) => println!("{reference}  due {due}  FAILED: {why}"),
            None => println!("{reference}  due {due}  {verb}"),
        }
    }
    println!(
        "As of {as_of}: {} request(s) {verb}, {} closed request(s) still within their retention{}.",
        if report.dry_run {
            report.due.len()
        } else {
            report.anonymised()
        },
        report.kept,
        if report.dry_run {
            " (dry run: nothing was changed)".to_owned()
        } else {
            format!(
                "; {} attachment file(s), {} e-mail file(s) and {} access record(s) older than {} days deleted",
                report.files_removed,
                report.mails_removed,
                report.access_records_forgotten,
                crate::store::personal_data::ACCESS_RECORDS_KEEP_DAYS
            )
        }
    );
    if !report.failed.is_empty() {
        anyhow::bail!(
            "{} request(s) could not be anonymised; they are tried again at the next run",
            report.failed.len()
        );
    }
    Ok(())
}
