//! The statistics dashboard's figures for a period and a cut of the requests: filings per
//! week or month (by status or channel), the backlog at the end of each, durations to the
//! first action and to resolution, and the shares (within the deadline, overdue, reopened,
//! transferred, routed by a fallback), per service, form and commune.
//!
//! Everything comes from `request_facts` and its rollups, which are folded from the events
//! ([`crate::requests::facts`]); the store computes each figure in SQL, and this module only
//! puts the days into weeks or months. Weeks and months are UTC calendar ones, as the
//! open-data file's months are.

use time::{Date, Duration, OffsetDateTime};

use crate::domain::{Channel, Status};
use crate::store::statistics::{DayGroup, Dimension, FactsFilter, Percentiles, Shares, Span};
use crate::store::{Store, StoreError};

/// Figures per week or per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Week,
    Month,
}

/// A period of whole UTC days, `first` to `last` included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: Date,
    pub last: Date,
}

impl Period {
    /// The year up to `today`: the 365 days ending today.
    pub fn year_to(today: Date) -> Period {
        Period {
            first: today - Duration::days(364),
            last: today,
        }
    }

    /// `[from, to)` in seconds since the epoch.
    pub fn seconds(self) -> (i64, i64) {
        let start = |d: Date| d.midnight().assume_utc().unix_timestamp();
        (start(self.first), start(self.last + Duration::days(1)))
    }
}

/// One week or month of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Its first day (clipped to the period).
    pub first: Date,
    /// Filed in it, by current status, in [`Status::ALL`]'s order.
    pub by_status: [u64; 5],
    /// Filed in it, by channel, in [`Channel::ALL`]'s order.
    pub by_channel: [u64; 6],
    /// Closed in it (the requests' current closures).
    pub closed: u64,
    /// Open at its end.
    pub backlog: u64,
}

impl Bucket {
    pub fn filed(&self) -> u64 {
        self.by_status.iter().sum()
    }
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Figures {
    pub period: Period,
    pub grain: Grain,
    pub buckets: Vec<Bucket>,
    /// Open at the period's start.
    pub backlog_before: u64,
    pub totals: Shares,
    /// Per service, then overall (`key: None`) first.
    pub first_action: Vec<Percentiles>,
    pub resolution: Vec<Percentiles>,
    pub first_action_by_form: Vec<Percentiles>,
    pub resolution_by_form: Vec<Percentiles>,
    pub by_service: Vec<Shares>,
    pub by_form: Vec<Shares>,
    pub by_commune: Vec<Shares>,
}

/// The first day of the week or month `day` is in.
pub fn bucket_start(grain: Grain, day: Date) -> Date {
    match grain {
        Grain::Week => day - Duration::days(i64::from(day.weekday().number_days_from_monday())),
        Grain::Month => day.replace_day(1).expect("every month has a first day"),
    }
}

fn epoch_day(day: i64) -> Date {
    Date::from_julian_day(2_440_588 + day as i32).unwrap_or(Date::MIN)
}

/// Computes the figures of `filter`'s period (which `period` names) per `grain`.
pub async fn figures(
    store: &dyn Store,
    filter: &FactsFilter,
    period: Period,
    grain: Grain,
    now: OffsetDateTime,
) -> Result<Figures, StoreError> {
    let mut buckets: Vec<Bucket> = Vec::new();
    let mut day = period.first;
    while day <= period.last {
        let start = bucket_start(grain, day).max(period.first);
        if buckets.last().is_none_or(|b| b.first != start) {
            buckets.push(Bucket {
                first: start,
                by_status: [0; 5],
                by_channel: [0; 6],
                closed: 0,
                backlog: 0,
            });
        }
        day = match grain {
            Grain::Week => bucket_start(grain, day) + Duration::days(7),
            Grain::Month => next_month(day),
        };
    }
    // The queries are independent: three chains of them run together, on three of the
    // pool's connections (and the machine's cores), leaving the others to the rest of the
    // site: the counts, and each duration's percentiles.
    let ((groups, closures, backlog_before), first_action, resolution) = tokio::try_join!(
        async {
            Ok::<_, StoreError>((
                store.day_groups(filter, now).await?,
                store.closures_by_day(filter).await?,
                store.open_at(filter, filter.from).await?,
            ))
        },
        store.percentiles(filter, Span::FirstAction, &DIMENSIONS),
        store.percentiles(filter, Span::Resolution, &DIMENSIONS),
    )?;
    let [mut first_action, first_by_service, first_action_by_form] = lists(first_action);
    let [mut resolution, resolution_by_service, resolution_by_form] = lists(resolution);
    for g in &groups {
        let Some(i) = bucket_of(&buckets, g.day) else {
            continue;
        };
        if let Some(status) = Status::ALL.iter().position(|s| s.as_str() == g.status) {
            buckets[i].by_status[status] += g.counts.filed;
        }
        if let Some(channel) = Channel::ALL.iter().position(|c| c.as_str() == g.channel) {
            buckets[i].by_channel[channel] += g.counts.filed;
        }
    }
    let closed: Vec<(usize, u64)> = closures
        .iter()
        .filter_map(|(day, n)| bucket_of(&buckets, *day).map(|i| (i, *n)))
        .collect();
    for (i, n) in closed {
        buckets[i].closed += n;
    }
    let mut open = backlog_before as i64;
    for bucket in &mut buckets {
        open += bucket.filed() as i64 - bucket.closed as i64;
        bucket.backlog = open.max(0) as u64;
    }
    first_action.extend(first_by_service);
    resolution.extend(resolution_by_service);
    Ok(Figures {
        period,
        grain,
        buckets,
        backlog_before,
        totals: shares_by(&groups, |_| None).pop().unwrap_or_default(),
        first_action,
        resolution,
        first_action_by_form,
        resolution_by_form,
        by_service: shares_by(&groups, |g| Some(g.service.clone())),
        by_form: shares_by(&groups, |g| Some(g.form_id.clone())),
        by_commune: shares_by(&groups, |g| g.commune.clone()),
    })
}

/// The durations' cuts: overall, per service, per form.
const DIMENSIONS: [Dimension; 3] = [Dimension::All, Dimension::Service, Dimension::Form];

fn lists(mut per_dimension: Vec<Vec<Percentiles>>) -> [Vec<Percentiles>; 3] {
    per_dimension.resize_with(3, Vec::new);
    let mut lists = per_dimension.into_iter();
    [(); 3].map(|_| lists.next().unwrap_or_default())
}

/// The groups' counts summed per `key`, largest first (then by key).
pub fn shares_by(groups: &[DayGroup], key: impl Fn(&DayGroup) -> Option<String>) -> Vec<Shares> {
    let mut sums: std::collections::BTreeMap<Option<String>, Shares> = Default::default();
    for g in groups {
        let k = key(g);
        let sum = sums.entry(k.clone()).or_insert_with(|| Shares {
            key: k,
            ..Shares::default()
        });
        sum.add(&g.counts);
    }
    let mut out: Vec<Shares> = sums.into_values().collect();
    out.sort_by(|a, b| b.filed.cmp(&a.filed).then_with(|| a.key.cmp(&b.key)));
    out
}

/// The bucket an epoch day falls in.
fn bucket_of(buckets: &[Bucket], day: i64) -> Option<usize> {
    let day = epoch_day(day);
    buckets.iter().rposition(|b| b.first <= day)
}

fn next_month(day: Date) -> Date {
    let first = day.replace_day(1).expect("every month has a first day");
    first + Duration::days(i64::from(first.month().length(first.year())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        assert_eq!(
            bucket_start(Grain::Week, date!(2026 - 12 - 06)),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            bucket_start(Grain::Week, date!(2026 - 11 - 30)),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            bucket_start(Grain::Month, date!(2026 - 02 - 28)),
            date!(2026 - 02 - 01)
        );
        assert_eq!(next_month(date!(2026 - 12 - 15)), date!(2027 - 01 - 01));
        assert_eq!(epoch_day(0), date!(1970 - 01 - 01));
        assert_eq!(
            Period::year_to(date!(2026 - 12 - 07)).seconds().1
                - Period::year_to(date!(2026 - 12 - 07)).seconds().0,
            365 * 86_400
        );
    }
}
