//! The élus' daily digest: an élu who asks for it (on their workspace, `/bureau/elu`) gets,
//! once a day from 7:00 (Paris time), one e-mail listing the requests of their communes
//! filed and resolved since the previous one, each with a link to it. A day with nothing
//! new sends nothing. No personal data goes in it: references, forms and communes only.
//!
//! Each account's digest moves its period's end and queues its e-mail in one transaction,
//! conditional on the period's start: two instances (or an overlapping run) never send the
//! same period twice.

use serde_json::json;
use time::{OffsetDateTime, PrimitiveDateTime, Time};

use crate::catalogue::Catalogue;
use crate::domain::Role;
use crate::domain::outbox::{OutboxChannel, OutboxMessage};
use crate::domain::time::paris_time;
use crate::store::{Store, StoreError};

/// The hour (Paris time) from which the day's digest goes.
pub const SEND_FROM: Time = time::macros::time!(7:00);

/// The most lines of each kind (filed, resolved) one digest lists.
pub const MAX_LINES: u32 = 200;

/// Sends the digests due at `now`; returns how many e-mails were queued.
pub async fn run(
    store: &dyn Store,
    catalogue: &Catalogue,
    public_url: &str,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let local = paris_time(now);
    let today_from = PrimitiveDateTime::new(local.date(), SEND_FROM);
    if local < today_from {
        return Ok(0);
    }
    let mut sent = 0;
    for (user_id, sent_until) in store.digest_subscribers().await? {
        if paris_time(sent_until) >= today_from {
            continue;
        }
        let account = store.user_by_id(&user_id).await?;
        let communes = match &account {
            Some(user) if !user.disabled && user.role == Role::Elu => user.communes.clone(),
            // A disabled account, or one that is no longer an élu's, gets nothing; its
            // period still moves on, so that nothing piles up for a later return.
            _ => Vec::new(),
        };
        let lines = store
            .digest_lines(&communes, sent_until, now, MAX_LINES)
            .await?;
        let mail = match &account {
            Some(user) if !lines.is_empty() => {
                let filed = lines.iter().filter(|l| !l.resolved).count();
                let resolved = lines.len() - filed;
                let items: Vec<_> = lines
                    .iter()
                    .map(|line| {
                        let commune = line
                            .commune
                            .as_deref()
                            .and_then(|c| catalogue.territory.commune(c))
                            .map(|c| format!(" ({})", c.name))
                            .unwrap_or_default();
                        let what = if line.resolved { "traitée" } else { "nouvelle" };
                        json!({
                            "text": format!("{} – {}{commune} : {what}", line.reference, line.form_title),
                            "url": format!("{public_url}/bureau/demandes/{}", line.reference),
                        })
                    })
                    .collect();
                Some(OutboxMessage {
                    channel: OutboxChannel::Email,
                    target: user.email.clone(),
                    kind: "elu_digest".into(),
                    payload: json!({
                        "territory": catalogue.territory.territory.name,
                        "filed": filed,
                        "resolved": resolved,
                        "lines": items,
                        "settings_url": format!("{public_url}/bureau/elu"),
                    }),
                    not_before: None,
                })
            }
            _ => None,
        };
        if store
            .advance_digest(&user_id, sent_until, now, mail.as_ref())
            .await?
            && mail.is_some()
        {
            sent += 1;
        }
    }
    Ok(sent)
}
