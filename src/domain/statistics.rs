//! What statistics know of one request, folded from its events (the single source of
//! truth), and the one definition of a percentile both databases follow.
//!
//! A request's facts are recomputed from its whole history in the transaction that appends
//! to it, and again by the rebuild; both run [`RequestFacts::fold`], so the table the
//! dashboard reads can always be rebuilt from the events and never says anything else.
//!
//! Definitions (docs/statistics.md shows them to readers):
//! - *first action*: the first event after filing that is the service's: staff took,
//!   assigned, noted, wrote, transferred… Not the filing itself (submitted, routed), not
//!   Guichet's own records (anonymised, a lost link sent again), and not the citizen's
//!   doing: an answer or a "not fixed", with the status change it brings.
//! - *resolution*: the request's current closure (resolved or rejected); a request reopened
//!   and not yet closed again has none.
//! - *within the deadline*: closed no later than its deadline as the workflow counts it —
//!   the first deadline, moved forward by each wait for the citizen, replaced by a due date
//!   staff set or by the new deadline of a reopening ([`super::workflow`] does the same).

use serde_json::Value;
use time::OffsetDateTime;

use super::workflow::{end_of_due_day, is_open};
use super::{EventKind, Status};

/// What never changes about a request: the dimensions statistics are cut by, besides the
/// service and queue, which transfers change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsOrigin {
    pub form_id: String,
    pub commune: Option<String>,
    pub channel: String,
    /// The élu who filed it for a citizen (élus see what they filed, in any commune).
    pub filed_by: Option<String>,
}

/// One request, as statistics count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub origin: FactsOrigin,
    pub service: String,
    pub queue: String,
    pub status: Status,
    pub filed_at: OffsetDateTime,
    pub first_action_at: Option<OffsetDateTime>,
    /// The current closure; `None` while it is open.
    pub closed_at: Option<OffsetDateTime>,
    /// The running deadline, paused time included up to the last wait's end.
    pub due_at: Option<OffsetDateTime>,
    /// Set while it waits for the citizen.
    pub paused_at: Option<OffsetDateTime>,
    /// Seconds spent waiting for the citizen, over finished waits.
    pub paused_seconds: i64,
    /// Whether its current closure came no later than its deadline; `None` while open or
    /// without a deadline.
    pub within_deadline: Option<bool>,
    /// How many times the citizen said "not fixed".
    pub reopened: u32,
    pub transferred: u32,
    /// Routed by the form's default queue because its rule could not decide.
    pub fallback: bool,
}

impl RequestFacts {
    /// The facts of a request whose history is `events` (kind, body, instant), oldest first.
    /// `None` if the history does not start with its filing.
    pub fn fold<'a>(
        origin: FactsOrigin,
        events: impl IntoIterator<Item = (EventKind, &'a Value, OffsetDateTime)>,
    ) -> Option<RequestFacts> {
        let mut events = events.into_iter();
        let (kind, body, filed_at) = events.next()?;
        if kind != EventKind::Submitted {
            return None;
        }
        let mut facts = RequestFacts {
            origin,
            service: text(body, "service").unwrap_or_default(),
            queue: String::new(),
            status: Status::Received,
            filed_at,
            first_action_at: None,
            closed_at: None,
            due_at: None,
            paused_at: None,
            paused_seconds: 0,
            within_deadline: None,
            reopened: 0,
            transferred: 0,
            fallback: false,
        };
        // The instant of the citizen's last answer or "not fixed": the status change that
        // follows it in the same step is the citizen's doing too.
        let mut citizen_at = None;
        for (kind, body, at) in events {
            let citizens = matches!(kind, EventKind::CitizenReply | EventKind::Reopened)
                || (kind == EventKind::StatusChanged && citizen_at == Some(at));
            citizen_at = citizens.then_some(at);
            facts.record(kind, body, at, !citizens);
        }
        Some(facts)
    }

    /// Records one event; `by_staff` says whether it is the service's (a first action).
    fn record(&mut self, kind: EventKind, body: &Value, at: OffsetDateTime, by_staff: bool) {
        match kind {
            // Not the service acting: a lost link sent again at the citizen's request, a
            // reminder Guichet sends on its own.
            EventKind::Submitted
            | EventKind::Anonymised
            | EventKind::TrackingRenewed
            | EventKind::Reminded => return,
            EventKind::Routed => {
                self.service = text(body, "service").unwrap_or_else(|| self.service.clone());
                self.queue = text(body, "queue").unwrap_or_default();
                self.fallback = body.get("fallback").is_some_and(|f| !f.is_null());
                self.due_at = text(body, "due_at").and_then(|t| instant(&t));
                return;
            }
            _ => {}
        }
        if by_staff {
            self.first_action_at.get_or_insert(at);
        }
        match kind {
            EventKind::StatusChanged => {
                let Some(to) = text(body, "to").and_then(|s| Status::parse(&s).ok()) else {
                    return;
                };
                // The workflow's clock (`change_status`): a wait pauses the deadline, its
                // end moves the deadline forward by the time waited.
                if to == Status::WaitingForCitizen {
                    self.paused_at = Some(at);
                } else if let Some(paused) = self.paused_at.take() {
                    self.due_at = self.due_at.map(|due| due + (at - paused));
                    self.paused_seconds += (at - paused).whole_seconds();
                }
                self.status = to;
                if is_open(to) {
                    self.closed_at = None;
                    self.within_deadline = None;
                } else {
                    self.closed_at = Some(at);
                    self.within_deadline = self.due_at.map(|due| at <= due);
                }
            }
            EventKind::Reopened => {
                self.reopened += 1;
                self.due_at = text(body, "due_at").and_then(|t| instant(&t));
                self.paused_at = None;
            }
            EventKind::Transferred => {
                self.transferred += 1;
                if let Some(service) = text(body, "service") {
                    self.service = service;
                }
                if let Some(queue) = text(body, "queue") {
                    self.queue = queue;
                }
            }
            EventKind::DueChanged => {
                self.due_at = text(body, "due")
                    .and_then(|d| {
                        time::Date::parse(&d, &time::format_description::well_known::Iso8601::DATE)
                            .ok()
                    })
                    .map(end_of_due_day);
            }
            _ => {}
        }
    }

    /// Whether it is overdue at `now`, as the queues show it.
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        super::workflow::is_overdue(self.status, self.due_at, now)
    }
}

fn text(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// The `p`-th percentile of sorted `values`: the smallest value with at least `p` % of the
/// values at or below it (PostgreSQL's `percentile_disc`), i.e. the value at rank
/// ⌈p·n/100⌉, counting from 1. Exact, always one of the values, and computed the same way
/// in SQL on both databases ([`percentile_rank`]).
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    let rank = percentile_rank(sorted.len() as u64, p)?;
    sorted.get(rank as usize - 1).copied()
}

/// The rank (from 1) of the `p`-th percentile among `n` sorted values: ⌈p·n/100⌉, at least 1.
pub fn percentile_rank(n: u64, p: u32) -> Option<u64> {
    (n > 0).then(|| (u64::from(p) * n).div_ceil(100).max(1))
}

/// The histogram bucket a duration (in seconds) is counted in, for finding percentiles
/// without sorting a whole period: the bucket holding a rank is found by adding counts,
/// then only that bucket's durations are ordered. Buckets are logarithmic: each second
/// up to 31 s has its own, then every power of two is cut in 16 (a bucket is at most
/// 1/16 of its lower bound wide: 4 min around an hour, 1.5 h around a day). A larger
/// duration never falls in a smaller bucket; negative ones (a clock gone back) share -1.
pub fn duration_bucket(seconds: i64) -> i64 {
    if seconds < 0 {
        return -1;
    }
    if seconds < 32 {
        return seconds;
    }
    let power = 63 - i64::from(seconds.leading_zeros());
    let sixteenth = (seconds >> (power - 4)) & 15;
    32 + (power - 5) * 16 + sixteenth
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::{Action, HandlingState, apply};
    use crate::domain::{Priority, QueueId, ServiceId};
    use serde_json::json;
    use time::Duration;
    use time::macros::datetime;

    fn origin() -> FactsOrigin {
        FactsOrigin {
            form_id: "remplacement-bac".into(),
            commune: Some("marmande".into()),
            channel: "web".into(),
            filed_by: None,
        }
    }

    #[test]
    fn duration_buckets_follow_the_durations_order() {
        assert_eq!(duration_bucket(-5), -1);
        assert_eq!(duration_bucket(0), 0);
        assert_eq!(duration_bucket(31), 31);
        assert_eq!(duration_bucket(32), 32);
        assert_eq!(duration_bucket(33), 32);
        assert_eq!(duration_bucket(34), 33);
        assert_eq!(duration_bucket(64), 48);
        let mut last = duration_bucket(-1);
        let mut seconds = 0;
        while seconds < 400 * 86_400 {
            let bucket = duration_bucket(seconds);
            assert!(
                bucket == last || bucket == last + 1,
                "{seconds}: {last} → {bucket}"
            );
            last = bucket;
            seconds += 1 + seconds / 64;
        }
        // Past the exact ones, a bucket that starts at a power of two is a sixteenth of it
        // wide, and the next ones no wider.
        for start in [2048, 4096, 1 << 20] {
            assert_eq!(
                duration_bucket(start),
                duration_bucket(start + start / 16 - 1)
            );
            assert_eq!(
                duration_bucket(start) + 1,
                duration_bucket(start + start / 16)
            );
        }
    }

    /// The citizen's answer and "not fixed" are not the service acting, nor is the status
    /// change they bring; the service's next step is.
    #[test]
    fn the_citizens_answer_is_not_the_first_action() {
        let filed = datetime!(2026-03-02 9:00 UTC);
        let answered = filed + Duration::hours(2);
        let taken = filed + Duration::hours(5);
        let events = [
            (
                EventKind::Submitted,
                json!({"service": "environnement"}),
                filed,
            ),
            (EventKind::Routed, json!({"queue": "dechets-bacs"}), filed),
            (
                EventKind::CitizenReply,
                json!({"text": "Précision"}),
                answered,
            ),
            (
                EventKind::StatusChanged,
                json!({"from": "received", "to": "received"}),
                answered,
            ),
            (EventKind::Assigned, json!({"to": "agent@x"}), taken),
        ];
        let fold = |n: usize| {
            RequestFacts::fold(origin(), events[..n].iter().map(|(k, b, t)| (*k, b, *t)))
                .unwrap()
                .first_action_at
        };
        assert_eq!(fold(4), None);
        assert_eq!(fold(5), Some(taken));
    }

    #[test]
    fn percentiles_are_the_smallest_value_with_enough_at_or_below() {
        let values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(percentile(&values, 50), Some(5));
        assert_eq!(percentile(&values, 90), Some(9));
        assert_eq!(percentile(&values, 91), Some(10));
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[3, 8], 50), Some(3));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile_rank(3, 0), Some(1));
    }

    /// The fold follows the deadline exactly as the workflow moves it: through a wait for
    /// the citizen, a closure, a reopening and a second closure.
    #[test]
    fn the_fold_keeps_the_workflows_deadline() {
        let filed = datetime!(2026-03-02 9:00 UTC);
        let mut state = HandlingState {
            status: Status::Received,
            service: ServiceId::try_from("environnement".to_owned()).unwrap(),
            queue: QueueId::try_from("dechets-bacs".to_owned()).unwrap(),
            priority: Priority::Normal,
            assignee: None,
            due_at: Some(filed + Duration::days(10)),
            paused_at: None,
            created_at: filed,
        };
        let mut events: Vec<(EventKind, Value, OffsetDateTime)> = vec![
            (
                EventKind::Submitted,
                json!({"service": "environnement"}),
                filed,
            ),
            (
                EventKind::Routed,
                json!({"service": "environnement", "queue": "dechets-bacs", "fallback": null,
                       "due_at": crate::domain::time::format_time(filed + Duration::days(10))}),
                filed,
            ),
        ];
        let steps = [
            (Action::Take, filed + Duration::hours(3)),
            (
                Action::Message {
                    text: "Quelle couleur ?".into(),
                    await_reply: true,
                },
                filed + Duration::days(1),
            ),
            (
                Action::CitizenReply {
                    text: "Verte".into(),
                },
                filed + Duration::days(6),
            ),
            (
                Action::SetStatus {
                    status: Status::Resolved,
                },
                filed + Duration::days(14),
            ),
            (
                Action::NotFixed {
                    text: "Toujours rien".into(),
                },
                filed + Duration::days(20),
            ),
            (
                Action::Transfer {
                    service: ServiceId::try_from("voirie".to_owned()).unwrap(),
                    queue: QueueId::try_from("voirie-agglo".to_owned()).unwrap(),
                    reason: "Sur la chaussée".into(),
                },
                filed + Duration::days(21),
            ),
            (
                Action::SetStatus {
                    status: Status::Rejected,
                },
                filed + Duration::days(22),
            ),
        ];
        for (action, at) in steps {
            let t = apply(&state, &action, "agent@x", at).unwrap();
            state = t.state;
            events.extend(t.events.into_iter().map(|e| (e.kind, e.body, at)));
            let facts =
                RequestFacts::fold(origin(), events.iter().map(|(k, b, t)| (*k, b, *t))).unwrap();
            assert_eq!(facts.due_at, state.due_at, "after {action:?}");
            assert_eq!(facts.paused_at, state.paused_at, "after {action:?}");
            assert_eq!(facts.status, state.status);
            assert_eq!(facts.service, state.service.as_str());
        }
        let facts =
            RequestFacts::fold(origin(), events.iter().map(|(k, b, t)| (*k, b, *t))).unwrap();
        assert_eq!(facts.first_action_at, Some(filed + Duration::hours(3)));
        assert_eq!(facts.paused_seconds, Duration::days(5).whole_seconds());
        assert_eq!(facts.closed_at, Some(filed + Duration::days(22)));
        assert_eq!(facts.reopened, 1);
        assert_eq!(facts.transferred, 1);
        // Reopened on day 20 with a fresh 15-day span (due − filing, waits included): in time.
        assert_eq!(facts.within_deadline, Some(true));
        assert!(!facts.fallback);
    }
}
