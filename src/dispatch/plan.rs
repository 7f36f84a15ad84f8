//! Who is told what: from a request's events to webhook and e-mail messages.
//!
//! - Webhooks: each webhook of the request's service that subscribes to the event (a transfer
//!   also goes to the service it leaves). `"*"` means the kinds that may leave Guichet
//!   ([`EventKind::webhook_events`]): never an internal note.
//! - The citizen, when the form holds their e-mail address: the receipt with the private
//!   tracking link, status changes, the service's messages, and a fresh link when they
//!   lost theirs.
//! - The service, when it has an address: each new request (or transferred-in one), at once
//!   or in a digest.
//! - Whoever handles the request (its assignee, else the service's address) when the
//!   citizen answers or says it is not fixed.
//! - The élu who filed the request: every step the citizen would see.

use std::sync::Arc;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{OutboxChannel, OutboxMessage, PlanInput};
use crate::catalogue::Catalogue;
use crate::catalogue::territory::Notify;
use crate::domain::{EventKind, Status};
use crate::store::format_time;

/// Builds the planner for one filing or action. `tracking_url` is known only when the
/// request is filed (the token is never stored): it goes into the receipt alone.
pub fn planner(
    catalogue: Arc<Catalogue>,
    public_url: Arc<str>,
    tracking_url: Option<String>,
    digest_minutes: u32,
) -> impl Fn(&PlanInput<'_>) -> Vec<OutboxMessage> + Send + Sync {
    move |input| {
        plan(
            &catalogue,
            &public_url,
            tracking_url.as_deref(),
            digest_minutes,
            input,
        )
    }
}

/// The next digest slot: the next multiple of `minutes` since midnight UTC.
fn digest_slot(now: OffsetDateTime, minutes: u32) -> OffsetDateTime {
    let minutes = i64::from(minutes.max(1));
    let midnight = now.replace_time(time::Time::MIDNIGHT);
    let elapsed = (now - midnight).whole_minutes();
    midnight + time::Duration::minutes((elapsed / minutes + 1) * minutes)
}

fn plan(
    catalogue: &Catalogue,
    public_url: &str,
    tracking_url: Option<&str>,
    digest_minutes: u32,
    input: &PlanInput<'_>,
) -> Vec<OutboxMessage> {
    let mut messages = Vec::new();
    let after = input.after;
    let reference = input.reference.to_string();
    let form_title = catalogue
        .form(input.form_id)
        .map_or_else(|| input.form_id.to_owned(), |f| f.title.clone());
    let request = json!({
        "reference": reference,
        "form": {"id": input.form_id, "version": input.form_version, "title": form_title},
        "service": after.service,
        "queue": after.queue,
        "status": after.status.as_str(),
        "priority": after.priority.as_str(),
        "commune": input.commune,
        "channel": input.channel,
        "assignee": after.assignee,
        "due_at": after.due_at.map(format_time),
    });
    let citizen = catalogue.citizen_email(input.form_id, input.data);
    // The citizen reads their e-mails in the language they filed in: the form's title in
    // it, the statuses in it, and `lang` for `mail::compose`.
    let lang = input.lang;
    let citizen_form_title = catalogue
        .form(input.form_id)
        .map_or_else(|| form_title.clone(), |f| f.in_lang(lang).title.clone());
    let lookup_url = format!("{public_url}/suivi?reference={reference}");
    let staff_url = format!("{public_url}/bureau/demandes/{reference}");
    let mail = |template: &str, extra: Value| -> Value {
        let mut payload = json!({
            "template": template,
            "reference": reference,
            "form_title": form_title,
            "service": catalogue.service_name(&after.service),
            "status": after.status.label_fr(),
            "lookup_url": lookup_url,
            "staff_url": staff_url,
            "commune": input.commune.and_then(|c| catalogue.territory.commune(c)).map(|c| c.name.clone()),
            "territory": catalogue.territory.territory.name,
        });
        if let (Value::Object(map), Value::Object(more)) = (&mut payload, extra) {
            map.extend(more);
        }
        payload
    };
    let citizen_mail = |template: &str, extra: Value| -> Value {
        let mut payload = mail(template, extra);
        if lang != crate::i18n::Lang::Fr {
            payload["lang"] = json!(lang.code());
            payload["form_title"] = json!(citizen_form_title);
            if payload["status"] == json!(after.status.label_fr()) {
                payload["status"] = json!(after.status.label(lang));
            }
        }
        payload
    };
    let email = |to: &str, template: &str, payload: Value| OutboxMessage {
        channel: OutboxChannel::Email,
        target: to.to_owned(),
        kind: template.to_owned(),
        payload,
        not_before: None,
    };

    for event in input.events {
        let text = event
            .body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // Webhooks.
        let mut services = vec![after.service.as_str()];
        if event.kind == EventKind::Transferred
            && let Some(before) = input.before
            && before.service != after.service
        {
            services.push(before.service.as_str());
        }
        for service in services
            .iter()
            .filter_map(|s| catalogue.territory.service(s))
        {
            for hook in service.webhooks.iter().filter(|h| h.wants(event.kind)) {
                messages.push(OutboxMessage {
                    channel: OutboxChannel::Webhook,
                    target: format!("{}/{}", service.id, hook.id),
                    kind: event.kind.as_str().to_owned(),
                    payload: json!({
                        "event": {"kind": event.kind, "body": event.body, "actor": input.actor},
                        "request": request,
                    }),
                    not_before: None,
                });
            }
        }

        // The citizen.
        if let Some(to) = &citizen {
            match event.kind {
                EventKind::Submitted => messages.push(email(
                    to,
                    "receipt",
                    citizen_mail("receipt", json!({"tracking_url": tracking_url})),
                )),
                EventKind::StatusChanged => {
                    let to_status = event
                        .body
                        .get("to")
                        .and_then(Value::as_str)
                        .and_then(|s| Status::parse(s).ok());
                    let closed_without_reply =
                        event.body.get("reason").and_then(Value::as_str) == Some("no_reply");
                    if closed_without_reply {
                        messages.push(email(
                            to,
                            "closed_no_reply",
                            citizen_mail("closed_no_reply", json!({"text": text})),
                        ));
                    } else if let Some(status) = to_status {
                        messages.push(email(
                            to,
                            "status",
                            citizen_mail("status", json!({"status": status.label(lang)})),
                        ));
                    }
                }
                EventKind::Reminded => {
                    let close_on = event
                        .body
                        .get("close_on")
                        .and_then(Value::as_str)
                        .and_then(crate::requests::describe::iso_date_fr)
                        .unwrap_or_default();
                    messages.push(email(
                        to,
                        "reminder",
                        citizen_mail("reminder", json!({"text": text, "close_on": close_on})),
                    ))
                }
                EventKind::Message => messages.push(email(
                    to,
                    "message",
                    citizen_mail("message", json!({"text": text})),
                )),
                // The fresh link of a citizen who lost theirs: like the receipt, the only
                // other message that carries the private link.
                EventKind::TrackingRenewed => {
                    if let Some(tracking_url) = tracking_url {
                        messages.push(email(
                            to,
                            "new_link",
                            citizen_mail("new_link", json!({"tracking_url": tracking_url})),
                        ));
                    }
                }
                _ => {}
            }
        }

        // The service.
        let incoming = event.kind == EventKind::Submitted
            || (event.kind == EventKind::Transferred
                && input.before.is_some_and(|b| b.service != after.service));
        if incoming
            && let Some(service) = catalogue.territory.service(&after.service)
            && let Some(address) = &service.email
        {
            match service.notify {
                Notify::Immediate => messages.push(email(
                    address,
                    "new_request",
                    mail("new_request", json!({})),
                )),
                Notify::Digest => messages.push(OutboxMessage {
                    not_before: Some(digest_slot(OffsetDateTime::now_utc(), digest_minutes)),
                    ..email(address, "digest_item", mail("digest_item", json!({})))
                }),
                Notify::None => {}
            }
        }

        // The citizen answered or says it is not fixed: whoever handles it is told (the
        // assignee, else the service's address), without the citizen's words, which are
        // read in the back office where each look is recorded.
        if matches!(event.kind, EventKind::CitizenReply | EventKind::Reopened) {
            let to = after.assignee.clone().or_else(|| {
                catalogue
                    .territory
                    .service(&after.service)
                    .and_then(|s| s.email.clone())
            });
            if let Some(to) = to {
                let what = if event.kind == EventKind::CitizenReply {
                    "answered"
                } else {
                    "not_fixed"
                };
                messages.push(email(
                    &to,
                    "citizen_update",
                    mail("citizen_update", json!({"what": what})),
                ));
            }
        }

        // The élu who filed it follows what the citizen sees.
        if let Some(elu) = input.filed_by
            && elu != input.actor
            && event.visible_to_citizen
            && !matches!(
                event.kind,
                EventKind::Submitted | EventKind::TrackingRenewed
            )
        {
            let what =
                crate::requests::describe::describe_for_citizen(catalogue, event.kind, &event.body);
            messages.push(email(
                elu,
                "elu_update",
                mail("elu_update", json!({"text": what})),
            ));
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn digests_wait_for_the_next_slot() {
        assert_eq!(
            digest_slot(datetime!(2026-11-29 10:05 UTC), 60),
            datetime!(2026-11-29 11:00 UTC)
        );
        assert_eq!(
            digest_slot(datetime!(2026-11-29 23:59 UTC), 60),
            datetime!(2026-11-30 00:00 UTC)
        );
        assert_eq!(
            digest_slot(datetime!(2026-11-29 10:05 UTC), 1),
            datetime!(2026-11-29 10:06 UTC)
        );
    }
}
