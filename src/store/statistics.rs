//! Figures about requests, for the public, for reporting and for the statistics dashboard:
//! counts and durations only, never a request's content.
//!
//! `request_facts` holds one row per request, folded from its events
//! ([`crate::domain::statistics::RequestFacts`]) in the same transaction that appends them,
//! and that transaction also keeps two rollups by difference between the request's old and
//! new facts ([`RollupDelta`]): `request_day_counts` (requests per day and combination of
//! status, channel, service, form, commune, queue and élu) and `request_duration_counts`
//! (a histogram of each duration per month of filing and the same cuts). The dashboard
//! reads the rollups, so a year costs a few thousand rows, not one per request.
//!
//! Instants are whole seconds since the epoch on both databases, so each figure's SQL is
//! written once, here, as a default method over one per-database primitive
//! ([`StatisticsStore::figure_rows`]) that runs a query and reads its columns `k0…` (text)
//! and `n0…` (integers). Percentiles stay exact, by
//! [`crate::domain::statistics::percentile_rank`]'s definition.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::group_commit::Savepoint;
use super::row::ReadRow;
use super::{Scope, StoreError};
use crate::domain::Status;
use crate::domain::statistics::{FactsOrigin, RequestFacts, duration_bucket, percentile_rank};

/// How many requests of one form, about one commune (or none), filed in one month, are in
/// one status now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyCount {
    /// `YYYY-MM`, the UTC month the request was filed in.
    pub month: String,
    pub form_id: String,
    pub commune: Option<String>,
    pub status: Status,
    pub count: u64,
}

/// The requests a figure counts: filed in `[from, to)` (seconds since the epoch, both
/// midnights UTC: figures are counted by whole days), within `scope`, and matching each
/// filter that is set.
#[derive(Debug, Clone)]
pub struct FactsFilter {
    pub from: i64,
    pub to: i64,
    pub scope: Scope,
    pub service: Option<String>,
    pub queue: Option<String>,
    pub form_id: Option<String>,
    pub commune: Option<String>,
    pub channel: Option<String>,
}

/// A value bound to a figure's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// One row of a figure's query: its text columns `k0…` and integer columns `n0…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    pub keys: Vec<Option<String>>,
    pub numbers: Vec<Option<i64>>,
}

impl FigureRow {
    fn key(&self, i: usize) -> Option<String> {
        self.keys.get(i).cloned().flatten()
    }

    fn number(&self, i: usize) -> i64 {
        self.numbers.get(i).copied().flatten().unwrap_or(0)
    }
}

/// The requests filed on one UTC day (days since the epoch) that share a status (now), a
/// channel, a service (now), a form and a commune, with what the figures count of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayGroup {
    pub day: i64,
    pub status: String,
    pub channel: String,
    pub service: String,
    pub form_id: String,
    pub commune: Option<String>,
    pub counts: Shares,
}

/// Which duration, from filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    FirstAction,
    Resolution,
}

impl Span {
    /// Its name in `request_duration_counts`.
    pub fn name(self) -> &'static str {
        match self {
            Span::FirstAction => "first_action",
            Span::Resolution => "resolution",
        }
    }

    /// Its bucket column in `request_facts`, and its duration there.
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            Span::FirstAction => ("first_action_bucket", "first_action_at - filed_at"),
            Span::Resolution => ("resolution_bucket", "closed_at - filed_at"),
        }
    }
}

/// What figures are cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    All,
    Service,
    Form,
    Commune,
    Channel,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::All => "CAST(NULL AS TEXT)",
            Dimension::Service => "service",
            Dimension::Form => "form_id",
            Dimension::Commune => "commune",
            Dimension::Channel => "channel",
        }
    }
}

/// The median and 90th percentile of a duration over `n` requests, in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Percentiles {
    pub key: Option<String>,
    pub n: u64,
    pub p50: i64,
    pub p90: i64,
}

/// The shares the dashboard shows, as counts, for one group of requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shares {
    pub key: Option<String>,
    pub filed: u64,
    /// Closed now (resolved or rejected).
    pub closed: u64,
    pub resolved: u64,
    /// Closed now, with a deadline.
    pub closed_with_deadline: u64,
    pub within_deadline: u64,
    /// Received or in progress, past their deadline, at the time asked.
    pub overdue: u64,
    pub reopened: u64,
    pub transferred: u64,
    pub fallback: u64,
}

impl Shares {
    /// Adds another group's counts to these.
    pub fn add(&mut self, other: &Shares) {
        self.filed += other.filed;
        self.closed += other.closed;
        self.resolved += other.resolved;
        self.closed_with_deadline += other.closed_with_deadline;
        self.within_deadline += other.within_deadline;
        self.overdue += other.overdue;
        self.reopened += other.reopened;
        self.transferred += other.transferred;
        self.fallback += other.fallback;
    }
}

#[async_trait]
pub trait StatisticsStore: Send + Sync {
    /// Every (month, form, commune, status) that has requests, with their number, in that
    /// order.
    async fn monthly_counts(&self) -> Result<Vec<MonthlyCount>, StoreError>;

    /// Runs one figure's query (written with `?` placeholders) and reads its columns `k0…`
    /// up to `keys` as text and `n0…` up to `numbers` as integers.
    async fn figure_rows(
        &self,
        sql: &str,
        binds: &[Bind],
        keys: usize,
        numbers: usize,
    ) -> Result<Vec<FigureRow>, StoreError>;

    /// Up to `limit` requests that have no facts yet (filed before facts were kept, or
    /// imported), with what never changes about them.
    async fn requests_without_facts(
        &self,
        limit: u32,
    ) -> Result<Vec<(Uuid, FactsOrigin)>, StoreError>;

    /// Forgets every request's facts and both rollups, in one transaction (before folding
    /// them all again from the events).
    async fn forget_facts(&self) -> Result<(), StoreError>;

    /// Computes both rollups again from `request_facts` ([`REBUILD_ROLLUPS`]), in one
    /// transaction that holds off the writing of facts meanwhile.
    async fn rebuild_rollups(&self) -> Result<(), StoreError>;

    /// Every (day, status, channel, service, form, commune) group of the filter's requests,
    /// with its counts; overdue ones are counted at `now`. Read from `request_day_counts`
    /// (a year is a few rows per day, not one per request), plus a direct count of the
    /// requests whose deadline falls today before `now`: every count, share and ranking the
    /// pages show is a sum of these groups.
    async fn day_groups(
        &self,
        filter: &FactsFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<DayGroup>, StoreError> {
        let today = day_of(now.unix_timestamp());
        let (clause, filter_binds) = where_clause(filter, Some("day"));
        let sql = format!(
            "SELECT status AS k0, channel AS k1, service AS k2, form_id AS k3,
                    NULLIF(commune, '') AS k4, day AS n0,
                    CAST(sum(filed) AS BIGINT) AS n1,
                    CAST(sum(closed) AS BIGINT) AS n2,
                    CAST(sum(closed_with_deadline) AS BIGINT) AS n3,
                    CAST(sum(within_deadline) AS BIGINT) AS n4,
                    CAST(sum(CASE WHEN due_day >= 0 AND due_day < ? THEN filed ELSE 0 END) AS BIGINT) AS n5,
                    CAST(sum(reopened) AS BIGINT) AS n6,
                    CAST(sum(transferred) AS BIGINT) AS n7,
                    CAST(sum(fallback) AS BIGINT) AS n8
             FROM request_day_counts WHERE {clause}
             GROUP BY day, status, channel, service, form_id, commune
             HAVING sum(filed) > 0"
        );
        let mut binds = vec![Bind::Int(today)];
        binds.extend(filter_binds);
        let mut groups: Vec<DayGroup> = self
            .figure_rows(&sql, &binds, 5, 9)
            .await?
            .into_iter()
            .map(|r| {
                let n = |i| r.number(i).max(0) as u64;
                let status = r.key(0).unwrap_or_default();
                DayGroup {
                    day: r.number(0),
                    channel: r.key(1).unwrap_or_default(),
                    service: r.key(2).unwrap_or_default(),
                    form_id: r.key(3).unwrap_or_default(),
                    commune: r.key(4),
                    counts: Shares {
                        key: None,
                        filed: n(1),
                        closed: n(2),
                        resolved: if status == "resolved" { n(1) } else { 0 },
                        closed_with_deadline: n(3),
                        within_deadline: n(4),
                        overdue: n(5),
                        reopened: n(6),
                        transferred: n(7),
                        fallback: n(8),
                    },
                    status,
                }
            })
            .collect();
        // The deadlines that fall today: overdue once passed, as the queues count them
        // (received or in progress only). One day of deadlines, on their index: the unary
        // `+` keeps SQLite from reading the period on the day's index instead.
        let (clause, filter_binds) = where_clause(filter, None);
        let sql = format!(
            "SELECT status AS k0, channel AS k1, service AS k2, form_id AS k3, commune AS k4,
                    filed_day AS n0, CAST(count(*) AS BIGINT) AS n1
             FROM request_facts
             WHERE due_at >= ? AND due_at < ? AND status IN ('received', 'in_progress')
               AND +filed_day >= ? AND +filed_day < ? AND {clause}
             GROUP BY filed_day, status, channel, service, form_id, commune"
        );
        let mut binds = vec![
            Bind::Int(today * 86_400),
            Bind::Int(now.unix_timestamp()),
            Bind::Int(day_of(filter.from)),
            Bind::Int(day_of(filter.to)),
        ];
        binds.extend(filter_binds);
        for r in self.figure_rows(&sql, &binds, 5, 2).await? {
            let group = groups.iter_mut().find(|g| {
                g.day == r.number(0)
                    && Some(&g.status) == r.keys[0].as_ref()
                    && Some(&g.channel) == r.keys[1].as_ref()
                    && Some(&g.service) == r.keys[2].as_ref()
                    && Some(&g.form_id) == r.keys[3].as_ref()
                    && g.commune == r.key(4)
            });
            if let Some(group) = group {
                group.counts.overdue += r.number(1).max(0) as u64;
            }
        }
        Ok(groups)
    }

    /// Closures (of requests filed at any time, matching the filter's other cuts) per UTC
    /// day of the period: with the filings and [`Self::open_at`], the backlog over time.
    async fn closures_by_day(&self, filter: &FactsFilter) -> Result<Vec<(i64, u64)>, StoreError> {
        let (clause, binds) = where_clause(filter, Some("day"));
        let sql = format!(
            "SELECT day AS n0, CAST(sum(closures) AS BIGINT) AS n1
             FROM request_day_counts WHERE {clause}
             GROUP BY day HAVING sum(closures) > 0 ORDER BY 1"
        );
        Ok(self
            .figure_rows(&sql, &binds, 0, 2)
            .await?
            .into_iter()
            .map(|r| (r.number(0), r.number(1).max(0) as u64))
            .collect())
    }

    /// How many requests matching the filter's cuts (not its period) were open at `at` (a
    /// midnight): filed before it and not closed before it (a request's closure being its
    /// current one).
    async fn open_at(&self, filter: &FactsFilter, at: i64) -> Result<u64, StoreError> {
        let (clause, filter_binds) = where_clause(filter, None);
        let sql = format!(
            "SELECT CAST(coalesce(sum(filed) - sum(closures), 0) AS BIGINT) AS n0
             FROM request_day_counts WHERE day < ? AND {clause}"
        );
        let mut binds = vec![Bind::Int(day_of(at))];
        binds.extend(filter_binds);
        let rows = self.figure_rows(&sql, &binds, 0, 1).await?;
        Ok(rows.first().map_or(0, |r| r.number(0).max(0) as u64))
    }

    /// The median and 90th percentile of `span` per each of `dimensions` (one list per
    /// dimension, in its order; `Dimension::All` gives one line with no key), over the
    /// requests that reached it. Exact ([`crate::domain::statistics::percentile`]) without
    /// sorting the period: each group's histogram (whole months from
    /// `request_duration_counts`, the days of months the period covers in part from the
    /// facts) gives the bucket that holds the rank and the rank inside it, and only that
    /// bucket's durations are then ordered, on an index that starts with the bucket.
    async fn percentiles(
        &self,
        filter: &FactsFilter,
        span: Span,
        dimensions: &[Dimension],
    ) -> Result<Vec<Vec<Percentiles>>, StoreError> {
        let (bucket, duration) = span.columns();
        let (from, to) = (day_of(filter.from), day_of(filter.to));
        let mut columns: Vec<Dimension> = Vec::new();
        for d in dimensions {
            if *d != Dimension::All && !columns.contains(d) {
                columns.push(*d);
            }
        }
        let (clause, filter_binds) = where_clause(filter, None);
        let keys = |rollup: bool| -> String {
            columns
                .iter()
                .enumerate()
                .map(|(i, d)| match (rollup, d) {
                    (true, Dimension::Commune) => format!("NULLIF(commune, '') AS k{i}, "),
                    _ => format!("{} AS k{i}, ", d.column()),
                })
                .collect()
        };
        let group_by: String = columns
            .iter()
            .map(|d| format!("{}, ", d.column()))
            .collect();
        // Per group: its histogram, bucket → count.
        let mut histograms: Vec<BTreeMap<Option<String>, BTreeMap<i64, u64>>> =
            vec![BTreeMap::new(); dimensions.len()];
        let mut add = |rows: Vec<FigureRow>| {
            for row in rows {
                let (bucket, n) = (row.number(0), row.number(1).max(0) as u64);
                for (i, d) in dimensions.iter().enumerate() {
                    let key = match columns.iter().position(|c| c == d) {
                        Some(k) => row.key(k),
                        None => None,
                    };
                    *histograms[i]
                        .entry(key)
                        .or_default()
                        .entry(bucket)
                        .or_default() += n;
                }
            }
        };
        let whole = whole_months(from, to);
        let mut edges = vec![(from, to)];
        if let Some((first, end)) = whole {
            let sql = format!(
                "SELECT {keys} bucket AS n0, CAST(sum(n) AS BIGINT) AS n1
                 FROM request_duration_counts
                 WHERE span = ? AND month >= ? AND month < ? AND {clause}
                 GROUP BY {group_by} bucket",
                keys = keys(true)
            );
            let mut binds = vec![
                Bind::Text(span.name().to_owned()),
                Bind::Int(first),
                Bind::Int(end),
            ];
            binds.extend(filter_binds.iter().cloned());
            add(self.figure_rows(&sql, &binds, columns.len(), 2).await?);
            edges = vec![(from, first), (end, to)];
        }
        edges.retain(|(a, b)| a < b);
        if !edges.is_empty() {
            let days = vec!["(filed_day >= ? AND filed_day < ?)"; edges.len()].join(" OR ");
            let sql = format!(
                "SELECT {keys} {bucket} AS n0, CAST(count(*) AS BIGINT) AS n1
                 FROM request_facts
                 WHERE {bucket} IS NOT NULL AND ({days}) AND {clause}
                 GROUP BY {group_by} {bucket}",
                keys = keys(false)
            );
            let mut binds: Vec<Bind> = edges
                .iter()
                .flat_map(|(a, b)| [Bind::Int(*a), Bind::Int(*b)])
                .collect();
            binds.extend(filter_binds.iter().cloned());
            add(self.figure_rows(&sql, &binds, columns.len(), 2).await?);
        }
        // Each percentile's value: the rank's place in its bucket, then that bucket only.
        let mut out = Vec::with_capacity(dimensions.len());
        for (i, dimension) in dimensions.iter().enumerate() {
            let mut lines = Vec::new();
            for (key, histogram) in &histograms[i] {
                let n: u64 = histogram.values().sum();
                let mut values = [0; 2];
                for (value, p) in values.iter_mut().zip([50, 90]) {
                    let Some((b, offset)) =
                        percentile_rank(n, p).and_then(|rank| locate(histogram, rank))
                    else {
                        continue;
                    };
                    let mut sql = format!(
                        "SELECT CAST({duration} AS BIGINT) AS n0 FROM request_facts
                         WHERE {bucket} = ? AND filed_day >= ? AND filed_day < ? AND {clause}"
                    );
                    let mut binds = vec![Bind::Int(b), Bind::Int(from), Bind::Int(to)];
                    binds.extend(filter_binds.iter().cloned());
                    match (dimension, key) {
                        (Dimension::All, _) => {}
                        (d, Some(key)) => {
                            sql.push_str(&format!(" AND {} = ?", d.column()));
                            binds.push(Bind::Text(key.clone()));
                        }
                        (d, None) => sql.push_str(&format!(" AND {} IS NULL", d.column())),
                    }
                    let exact = format!("{sql} ORDER BY 1 LIMIT 1 OFFSET ?");
                    let mut ranked = binds.clone();
                    ranked.push(Bind::Int(offset as i64));
                    *value = match self.figure_rows(&exact, &ranked, 0, 1).await?.first() {
                        Some(row) => row.number(0),
                        // A request changed between the two reads: the bucket's largest.
                        None => self
                            .figure_rows(&format!("{sql} ORDER BY 1 DESC LIMIT 1"), &binds, 0, 1)
                            .await?
                            .first()
                            .map_or(0, |row| row.number(0)),
                    };
                }
                if n > 0 {
                    lines.push(Percentiles {
                        key: key.clone(),
                        n,
                        p50: values[0],
                        p90: values[1],
                    });
                }
            }
            out.push(lines);
        }
        Ok(out)
    }
}

/// The bucket of `histogram` (bucket → count, in order) that holds the value of rank `rank`
/// (from 1), and how many of that bucket's values come before it.
pub fn locate(histogram: &BTreeMap<i64, u64>, rank: u64) -> Option<(i64, u64)> {
    let mut before = 0;
    for (bucket, n) in histogram {
        if before + n >= rank {
            return Some((*bucket, rank - before - 1));
        }
        before += n;
    }
    None
}

/// The whole calendar months inside the days `[from, to)`: `[first, end)` in days since
/// the epoch, both firsts of a month, if there is at least one.
pub fn whole_months(from: i64, to: i64) -> Option<(i64, i64)> {
    let first = if month_of(from) == from {
        from
    } else {
        next_month(from)
    };
    let end = month_of(to);
    (first < end).then_some((first, end))
}

/// The first day of `day`'s UTC month (days since the epoch).
pub fn month_of(day: i64) -> i64 {
    let date = epoch_date(day);
    day - i64::from(date.day()) + 1
}

fn next_month(day: i64) -> i64 {
    let date = epoch_date(day);
    month_of(day) + i64::from(date.month().length(date.year()))
}

fn epoch_date(day: i64) -> time::Date {
    time::Date::from_julian_day(2_440_588 + day as i32).unwrap_or(time::Date::MIN)
}

/// The filter as SQL (`?` placeholders) and its values, the period on `period_column` (a
/// day) when given. Identifiers are only ever bound, never written into the text. The
/// rollups write no commune and no élu as '', which no bound value equals.
pub fn where_clause(filter: &FactsFilter, period_column: Option<&str>) -> (String, Vec<Bind>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    if let Some(column) = period_column {
        parts.push(format!("{column} >= ? AND {column} < ?"));
        binds.extend([Bind::Int(day_of(filter.from)), Bind::Int(day_of(filter.to))]);
    }
    let list = |n: usize| vec!["?"; n].join(", ");
    match &filter.scope {
        Scope::All => {}
        Scope::Services(services) if services.is_empty() => parts.push("1 = 0".to_owned()),
        Scope::Services(services) => {
            parts.push(format!("service IN ({})", list(services.len())));
            binds.extend(services.iter().map(|s| Bind::Text(s.to_string())));
        }
        Scope::Communes { communes, filed_by } => {
            if communes.is_empty() {
                parts.push("filed_by = ?".to_owned());
            } else {
                parts.push(format!(
                    "(commune IN ({}) OR filed_by = ?)",
                    list(communes.len())
                ));
                binds.extend(communes.iter().map(|c| Bind::Text(c.to_string())));
            }
            binds.push(Bind::Text(filed_by.clone()));
        }
        Scope::Nothing => parts.push("1 = 0".to_owned()),
    }
    for (column, value) in [
        ("service", &filter.service),
        ("queue", &filter.queue),
        ("form_id", &filter.form_id),
        ("commune", &filter.commune),
        ("channel", &filter.channel),
    ] {
        if let Some(value) = value {
            parts.push(format!("{column} = ?"));
            binds.push(Bind::Text(value.clone()));
        }
    }
    if parts.is_empty() {
        parts.push("1 = 1".to_owned());
    }
    (parts.join(" AND "), binds)
}

/// The UTC day (since the epoch) of an instant in seconds.
pub fn day_of(seconds: i64) -> i64 {
    seconds.div_euclid(86_400)
}

/// A figure's row, read by column names (`k0…`, `n0…`), once for both databases.
pub(super) fn figure_row(
    row: &impl ReadRow,
    keys: usize,
    numbers: usize,
) -> Result<FigureRow, StoreError> {
    // Named once, not per row: a year's day rows are tens of thousands.
    const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
    const NUMBERS: [&str; 12] = [
        "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11",
    ];
    Ok(FigureRow {
        keys: (0..keys)
            .map(|i| match KEYS.get(i) {
                Some(name) => row.opt_text(name),
                None => row.opt_text(&format!("k{i}")),
            })
            .collect::<Result<_, _>>()?,
        numbers: (0..numbers)
            .map(|i| match NUMBERS.get(i) {
                Some(name) => row.opt_int(name),
                None => row.opt_int(&format!("n{i}")),
            })
            .collect::<Result<_, _>>()?,
    })
}

/// What never changes about a request (a `requests` row's `form_id, commune, channel,
/// filed_by`).
pub(super) fn facts_origin(row: &impl ReadRow) -> Result<FactsOrigin, StoreError> {
    Ok(FactsOrigin {
        form_id: row.text("form_id")?,
        commune: row.opt_text("commune")?,
        channel: row.text("channel")?,
        filed_by: row.opt_text("filed_by")?,
    })
}

/// The columns a facts row writes, in [`FactsRow`]'s order.
pub(super) const FACTS_COLUMNS: &str =
    "form_id, commune, channel, filed_by, service, queue, status, filed_at,
    first_action_at, closed_at, due_at, paused_seconds, within_deadline, reopened, transferred,
    fallback, filed_day, closed_day, first_action_bucket, resolution_bucket, filed_month";

/// A facts row's values, for the databases' binds.
pub struct FactsRow {
    pub form_id: String,
    pub commune: Option<String>,
    pub channel: String,
    pub filed_by: Option<String>,
    pub service: String,
    pub queue: String,
    pub status: &'static str,
    pub filed_at: i64,
    pub first_action_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub due_at: Option<i64>,
    pub paused_seconds: i64,
    pub within_deadline: Option<i32>,
    pub reopened: i32,
    pub transferred: i32,
    pub fallback: i32,
    pub filed_day: i64,
    pub closed_day: Option<i64>,
    pub first_action_bucket: Option<i64>,
    pub resolution_bucket: Option<i64>,
    /// The first day of the filing's month.
    pub filed_month: i64,
}

impl FactsRow {
    pub fn of(facts: &RequestFacts) -> FactsRow {
        let seconds = |t: Option<OffsetDateTime>| t.map(OffsetDateTime::unix_timestamp);
        FactsRow {
            form_id: facts.origin.form_id.clone(),
            commune: facts.origin.commune.clone(),
            channel: facts.origin.channel.clone(),
            filed_by: facts.origin.filed_by.clone(),
            service: facts.service.clone(),
            queue: facts.queue.clone(),
            status: facts.status.as_str(),
            filed_at: facts.filed_at.unix_timestamp(),
            first_action_at: seconds(facts.first_action_at),
            closed_at: seconds(facts.closed_at),
            due_at: seconds(facts.due_at),
            paused_seconds: facts.paused_seconds,
            within_deadline: facts.within_deadline.map(i32::from),
            reopened: i32::try_from(facts.reopened).unwrap_or(i32::MAX),
            transferred: i32::try_from(facts.transferred).unwrap_or(i32::MAX),
            fallback: i32::from(facts.fallback),
            filed_day: day_of(facts.filed_at.unix_timestamp()),
            closed_day: seconds(facts.closed_at).map(day_of),
            first_action_bucket: facts
                .first_action_at
                .map(|t| duration_bucket((t - facts.filed_at).whole_seconds())),
            resolution_bucket: facts
                .closed_at
                .map(|t| duration_bucket((t - facts.filed_at).whole_seconds())),
            filed_month: month_of(day_of(facts.filed_at.unix_timestamp())),
        }
    }

    /// The row as the database holds it (the columns of [`FACTS_COLUMNS`]).
    pub(super) fn read(row: &impl ReadRow) -> Result<FactsRow, StoreError> {
        let small = |column: &str| -> Result<i32, StoreError> {
            Ok(i32::try_from(row.int(column)?).unwrap_or(i32::MAX))
        };
        Ok(FactsRow {
            form_id: row.text("form_id")?,
            commune: row.opt_text("commune")?,
            channel: row.text("channel")?,
            filed_by: row.opt_text("filed_by")?,
            service: row.text("service")?,
            queue: row.text("queue")?,
            status: row.parsed("status", Status::parse)?.as_str(),
            filed_at: row.int("filed_at")?,
            first_action_at: row.opt_int("first_action_at")?,
            closed_at: row.opt_int("closed_at")?,
            due_at: row.opt_int("due_at")?,
            paused_seconds: row.int("paused_seconds")?,
            within_deadline: row.opt_int("within_deadline")?.map(|w| i32::from(w != 0)),
            reopened: small("reopened")?,
            transferred: small("transferred")?,
            fallback: small("fallback")?,
            filed_day: row.int("filed_day")?,
            closed_day: row.opt_int("closed_day")?,
            first_action_bucket: row.opt_int("first_action_bucket")?,
            resolution_bucket: row.opt_int("resolution_bucket")?,
            filed_month: row.int("filed_month")?,
        })
    }

    /// The request's key in the rollups, on `day`.
    fn day_key(&self, day: i64) -> DayKey {
        let open = matches!(self.status, "received" | "in_progress");
        DayKey {
            day,
            status: self.status,
            channel: self.channel.clone(),
            service: self.service.clone(),
            form_id: self.form_id.clone(),
            commune: self.commune.clone().unwrap_or_default(),
            queue: self.queue.clone(),
            filed_by: self.filed_by.clone().unwrap_or_default(),
            due_day: match self.due_at {
                Some(due) if open => day_of(due),
                _ => -1,
            },
        }
    }

    fn duration_key(&self, span: Span, bucket: i64) -> DurationKey {
        DurationKey {
            span: span.name(),
            month: self.filed_month,
            service: self.service.clone(),
            form_id: self.form_id.clone(),
            commune: self.commune.clone().unwrap_or_default(),
            channel: self.channel.clone(),
            queue: self.queue.clone(),
            filed_by: self.filed_by.clone().unwrap_or_default(),
            bucket,
        }
    }

    /// What the request adds to the rollups (`sign` 1), or takes away from them (-1).
    fn contribute(&self, sign: i64, delta: &mut RollupDelta) {
        let flag = |b: bool| if b { sign } else { 0 };
        let filed = DayCounts {
            filed: sign,
            closed: flag(self.closed_at.is_some()),
            closed_with_deadline: flag(self.within_deadline.is_some()),
            within_deadline: flag(self.within_deadline == Some(1)),
            reopened: flag(self.reopened > 0),
            transferred: flag(self.transferred > 0),
            fallback: flag(self.fallback != 0),
            closures: 0,
        };
        delta
            .days
            .entry(self.day_key(self.filed_day))
            .or_default()
            .add(&filed);
        if let Some(day) = self.closed_day {
            let closure = DayCounts {
                closures: sign,
                ..DayCounts::default()
            };
            delta
                .days
                .entry(self.day_key(day))
                .or_default()
                .add(&closure);
        }
        for (span, bucket) in [
            (Span::FirstAction, self.first_action_bucket),
            (Span::Resolution, self.resolution_bucket),
        ] {
            if let Some(bucket) = bucket {
                *delta
                    .durations
                    .entry(self.duration_key(span, bucket))
                    .or_default() += sign;
            }
        }
    }
}

/// A row's key in `request_day_counts` (no commune or élu: '').
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayKey {
    pub day: i64,
    pub status: &'static str,
    pub channel: String,
    pub service: String,
    pub form_id: String,
    pub commune: String,
    pub queue: String,
    pub filed_by: String,
    pub due_day: i64,
}

/// A row's counts in `request_day_counts`, or what to add to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub filed: i64,
    pub closed: i64,
    pub closed_with_deadline: i64,
    pub within_deadline: i64,
    pub reopened: i64,
    pub transferred: i64,
    pub fallback: i64,
    pub closures: i64,
}

impl DayCounts {
    fn add(&mut self, other: &DayCounts) {
        self.filed += other.filed;
        self.closed += other.closed;
        self.closed_with_deadline += other.closed_with_deadline;
        self.within_deadline += other.within_deadline;
        self.reopened += other.reopened;
        self.transferred += other.transferred;
        self.fallback += other.fallback;
        self.closures += other.closures;
    }

    fn is_zero(&self) -> bool {
        *self == DayCounts::default()
    }
}

/// A row's key in `request_duration_counts` (no commune or élu: '').
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationKey {
    pub span: &'static str,
    pub month: i64,
    pub service: String,
    pub form_id: String,
    pub commune: String,
    pub channel: String,
    pub queue: String,
    pub filed_by: String,
    pub bucket: i64,
}

/// What one request's new facts change in the rollups: its old facts' contribution taken
/// away, its new one added; rows that end up unchanged are left out.
#[derive(Debug, Default)]
pub struct RollupDelta {
    pub days: BTreeMap<DayKey, DayCounts>,
    pub durations: BTreeMap<DurationKey, i64>,
}

impl RollupDelta {
    pub fn between(old: Option<&FactsRow>, new: &FactsRow) -> RollupDelta {
        let mut delta = RollupDelta::default();
        if let Some(old) = old {
            old.contribute(-1, &mut delta);
        }
        new.contribute(1, &mut delta);
        delta.days.retain(|_, counts| !counts.is_zero());
        delta.durations.retain(|_, n| *n != 0);
        delta
    }
}

impl RollupDelta {
    /// Adds `other`'s changes to these.
    pub fn absorb(&mut self, other: RollupDelta) {
        for (key, counts) in other.days {
            self.days.entry(key).or_default().add(&counts);
        }
        for (key, n) in other.durations {
            *self.durations.entry(key).or_default() += n;
        }
        self.days.retain(|_, counts| !counts.is_zero());
        self.durations.retain(|_, n| *n != 0);
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.durations.is_empty()
    }

    /// The rows this change adds to each rollup, as [`Rollup::add_rows`] reads them: the
    /// rollup's index in [`ROLLUPS`], and its rows' values as one flat JSON array, row
    /// after row in key order. A rollup left unchanged is left out.
    pub fn rows(&self) -> impl Iterator<Item = (usize, String)> {
        let days = self.days.iter().flat_map(|(key, counts)| {
            [
                json!(key.day),
                json!(key.status),
                json!(key.channel),
                json!(key.service),
                json!(key.form_id),
                json!(key.commune),
                json!(key.queue),
                json!(key.filed_by),
                json!(key.due_day),
                json!(counts.filed),
                json!(counts.closed),
                json!(counts.closed_with_deadline),
                json!(counts.within_deadline),
                json!(counts.reopened),
                json!(counts.transferred),
                json!(counts.fallback),
                json!(counts.closures),
            ]
        });
        let durations = self.durations.iter().flat_map(|(key, n)| {
            [
                json!(key.span),
                json!(key.month),
                json!(key.service),
                json!(key.form_id),
                json!(key.commune),
                json!(key.channel),
                json!(key.queue),
                json!(key.filed_by),
                json!(key.bucket),
                json!(n),
            ]
        });
        [days.collect::<Vec<Value>>(), durations.collect()]
            .into_iter()
            .enumerate()
            .filter(|(_, rows)| !rows.is_empty())
            .map(|(i, rows)| (i, Value::Array(rows).to_string()))
    }
}

/// The rollup changes of one write transaction, added to the rollups when it commits, in
/// key order: every transaction then takes the rollups' row locks in the same order, so two
/// of them (two groups of filings on PostgreSQL, a group and an action) never deadlock on
/// them; and a group of filings writes each rollup row once, not once per filing. The
/// changes made after a savepoint go with it when the transaction rolls back to it.
#[derive(Debug, Default)]
pub struct PendingRollups {
    journal: Vec<RollupDelta>,
    /// Each savepoint set, with the journal's length then.
    marks: Vec<(Savepoint, usize)>,
}

impl PendingRollups {
    pub fn push(&mut self, delta: RollupDelta) {
        if !delta.is_empty() {
            self.journal.push(delta);
        }
    }

    pub fn set(&mut self, savepoint: Savepoint) {
        self.marks.push((savepoint, self.journal.len()));
    }

    /// As SQL's `RELEASE`: the savepoint and those set after it are forgotten; the changes
    /// stay.
    pub fn release(&mut self, savepoint: Savepoint) {
        if let Some(at) = self.marks.iter().rposition(|(s, _)| *s == savepoint) {
            self.marks.truncate(at);
        }
    }

    /// As SQL's `ROLLBACK TO`: the changes since the savepoint go; it stays set.
    pub fn roll_back(&mut self, savepoint: Savepoint) {
        if let Some(at) = self.marks.iter().rposition(|(s, _)| *s == savepoint) {
            self.journal.truncate(self.marks[at].1);
            self.marks.truncate(at + 1);
        }
    }

    /// Every change kept, summed; the journal is emptied.
    pub fn take(&mut self) -> RollupDelta {
        let mut total = RollupDelta::default();
        for delta in self.journal.drain(..) {
            total.absorb(delta);
        }
        self.marks.clear();
        total
    }
}

/// A rollup table, as a change adds to it: its key columns (each marked `true` when it
/// holds a number), then the counts added to.
pub struct Rollup {
    table: &'static str,
    keys: &'static [(&'static str, bool)],
    counts: &'static [&'static str],
}

/// `request_day_counts`: [`DayKey`]'s fields, then [`DayCounts`]'.
const DAY_COUNTS: Rollup = Rollup {
    table: "request_day_counts",
    keys: &[
        ("day", true),
        ("status", false),
        ("channel", false),
        ("service", false),
        ("form_id", false),
        ("commune", false),
        ("queue", false),
        ("filed_by", false),
        ("due_day", true),
    ],
    counts: &[
        "filed",
        "closed",
        "closed_with_deadline",
        "within_deadline",
        "reopened",
        "transferred",
        "fallback",
        "closures",
    ],
};

/// `request_duration_counts`: [`DurationKey`]'s fields, then the count.
const DURATION_COUNTS: Rollup = Rollup {
    table: "request_duration_counts",
    keys: &[
        ("span", false),
        ("month", true),
        ("service", false),
        ("form_id", false),
        ("commune", false),
        ("channel", false),
        ("queue", false),
        ("filed_by", false),
        ("bucket", true),
    ],
    counts: &["n"],
};

/// Both rollups, in the order of [`RollupDelta::rows`]' indexes.
pub const ROLLUPS: [Rollup; 2] = [DAY_COUNTS, DURATION_COUNTS];

impl Rollup {
    /// How many values one row holds: its key's, then its counts'.
    pub fn width(&self) -> usize {
        self.keys.len() + self.counts.len()
    }

    /// The one statement that adds a whole change to the rollup, whatever its number of
    /// rows: they come as one flat JSON array of scalars (see [`RollupDelta::rows`]), each
    /// row's [`Rollup::width`] values in column order, one row after the other.
    /// `elements` is the table that spreads that array, with each element in a column
    /// `value` and its position from 0 in the expression `position`; `column(values,
    /// number)` reads one column's `values` (an aggregate over the row's elements, in the
    /// database's text or scalar form) as the column's type. Scalars, not a JSON array per
    /// row: SQLite would write each row back as text and parse it again for every column.
    /// A group of filings thus adds to the rollups in one trip to the database, not one
    /// per row, and in key order.
    pub fn add_rows(
        &self,
        elements: &str,
        position: &str,
        column: impl Fn(String, bool) -> String,
    ) -> String {
        let width = self.width();
        let all = || {
            let counts = self.counts.iter().map(|&name| (name, true));
            self.keys.iter().copied().chain(counts)
        };
        let names: Vec<&str> = all().map(|(name, _)| name).collect();
        let values: Vec<String> = all()
            .enumerate()
            .map(|(i, (_, number))| {
                let values = format!("max(CASE WHEN {position} % {width} = {i} THEN value END)");
                column(values, number)
            })
            .collect();
        let keys: Vec<&str> = self.keys.iter().map(|(name, _)| *name).collect();
        let sums: Vec<String> = self
            .counts
            .iter()
            .map(|c| format!("{c} = {table}.{c} + excluded.{c}", table = self.table))
            .collect();
        format!(
            "INSERT INTO {table} ({names}) SELECT {values} FROM {elements} \
             GROUP BY {position} / {width} ORDER BY {position} / {width} \
             ON CONFLICT ({keys}) DO UPDATE SET {sums}",
            table = self.table,
            names = names.join(", "),
            values = values.join(", "),
            keys = keys.join(", "),
            sums = sums.join(", "),
        )
    }
}

/// Both rollups computed again from `request_facts`, as [`RollupDelta`] keeps them (the
/// same SQL on both databases). Rows a request left keep a count of zero when kept by
/// difference; a rebuild has none.
pub const REBUILD_ROLLUPS: [&str; 4] = [
    "DELETE FROM request_day_counts",
    "DELETE FROM request_duration_counts",
    "INSERT INTO request_day_counts (day, status, channel, service, form_id, commune, queue,
        filed_by, due_day, filed, closed, closed_with_deadline, within_deadline, reopened,
        transferred, fallback, closures)
     SELECT day, status, channel, service, form_id, commune, queue, filed_by, due_day,
            sum(filed), sum(closed), sum(closed_with_deadline), sum(within_deadline),
            sum(reopened), sum(transferred), sum(fallback), sum(closures)
     FROM (
        SELECT filed_day AS day, status, channel, service, form_id,
               coalesce(commune, '') AS commune, queue, coalesce(filed_by, '') AS filed_by,
               CASE WHEN status IN ('received', 'in_progress') AND due_at IS NOT NULL
                    THEN due_at / 86400 ELSE -1 END AS due_day,
               1 AS filed, CASE WHEN closed_at IS NOT NULL THEN 1 ELSE 0 END AS closed,
               CASE WHEN within_deadline IS NOT NULL THEN 1 ELSE 0 END AS closed_with_deadline,
               coalesce(within_deadline, 0) AS within_deadline,
               CASE WHEN reopened > 0 THEN 1 ELSE 0 END AS reopened,
               CASE WHEN transferred > 0 THEN 1 ELSE 0 END AS transferred,
               fallback, 0 AS closures
        FROM request_facts
        UNION ALL
        SELECT closed_day, status, channel, service, form_id, coalesce(commune, ''), queue,
               coalesce(filed_by, ''), -1, 0, 0, 0, 0, 0, 0, 0, 1
        FROM request_facts WHERE closed_day IS NOT NULL
     ) contributions
     GROUP BY day, status, channel, service, form_id, commune, queue, filed_by, due_day",
    "INSERT INTO request_duration_counts (span, month, service, form_id, commune, channel,
        queue, filed_by, bucket, n)
     SELECT span, month, service, form_id, commune, channel, queue, filed_by, bucket, count(*)
     FROM (
        SELECT 'first_action' AS span, filed_month AS month, service, form_id,
               coalesce(commune, '') AS commune, channel, queue,
               coalesce(filed_by, '') AS filed_by, first_action_bucket AS bucket
        FROM request_facts WHERE first_action_bucket IS NOT NULL
        UNION ALL
        SELECT 'resolution', filed_month, service, form_id, coalesce(commune, ''), channel,
               queue, coalesce(filed_by, ''), resolution_bucket
        FROM request_facts WHERE resolution_bucket IS NOT NULL
     ) durations
     GROUP BY span, month, service, form_id, commune, channel, queue, filed_by, bucket",
];

pub(super) fn monthly_count(row: &impl ReadRow) -> Result<MonthlyCount, StoreError> {
    Ok(MonthlyCount {
        month: row.text("month")?,
        form_id: row.text("form_id")?,
        commune: row.opt_text("commune")?,
        status: row.parsed("status", Status::parse)?,
        count: row.int("n")?.max(0) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each rollup's rows carry one value per column, in the columns' order, and the
    /// statement names those columns in that order.
    #[test]
    fn a_change_reads_as_one_row_per_key_with_a_value_per_column() {
        let key = |commune: &str| DayKey {
            day: 20_000,
            status: "received",
            channel: "web".into(),
            service: "environnement".into(),
            form_id: "remplacement-bac".into(),
            commune: commune.into(),
            queue: "bacs".into(),
            filed_by: String::new(),
            due_day: 20_010,
        };
        let counts = DayCounts {
            filed: 2,
            closures: -1,
            ..DayCounts::default()
        };
        let mut delta = RollupDelta::default();
        delta.days.insert(key("tonneins"), counts.clone());
        delta.days.insert(key("marmande"), counts);
        let duration = DurationKey {
            span: "resolution",
            month: 19_997,
            service: "environnement".into(),
            form_id: "remplacement-bac".into(),
            commune: "marmande".into(),
            channel: "web".into(),
            queue: "bacs".into(),
            filed_by: String::new(),
            bucket: 7,
        };
        delta.durations.insert(duration, 3);

        let rows: Vec<(usize, Value)> = delta
            .rows()
            .map(|(i, rows)| (i, serde_json::from_str(&rows).unwrap()))
            .collect();
        assert_eq!(rows.len(), 2);
        let (days, durations) = (&rows[0].1, &rows[1].1);
        assert_eq!((rows[0].0, rows[1].0), (0, 1));
        // Row after row, in key order: marmande before tonneins.
        let day_row = |commune: &str| {
            json!([
                20_000,
                "received",
                "web",
                "environnement",
                "remplacement-bac",
                commune,
                "bacs",
                "",
                20_010,
                2,
                0,
                0,
                0,
                0,
                0,
                0,
                -1
            ])
        };
        let mut both = day_row("marmande").as_array().unwrap().clone();
        both.extend(day_row("tonneins").as_array().unwrap().iter().cloned());
        assert_eq!(days, &Value::Array(both));
        assert_eq!(
            durations,
            &json!([
                "resolution",
                19_997,
                "environnement",
                "remplacement-bac",
                "marmande",
                "web",
                "bacs",
                "",
                7,
                3
            ])
        );
        assert_eq!((ROLLUPS[0].width(), ROLLUPS[1].width()), (17, 10));
        let sql = ROLLUPS[1].add_rows("e", "p", |values, number| format!("{values}:{number}"));
        assert!(
            sql.starts_with(
                "INSERT INTO request_duration_counts (span, month, service, form_id, commune, channel, queue, filed_by, bucket, n) SELECT max(CASE WHEN p % 10 = 0 THEN value END):false, max(CASE WHEN p % 10 = 1 THEN value END):true,"
            ),
            "{sql}"
        );
        assert!(sql.contains("max(CASE WHEN p % 10 = 9 THEN value END):true FROM e GROUP BY p / 10 ORDER BY p / 10 ON CONFLICT"), "{sql}");
        assert_eq!(
            RollupDelta::default().rows().count(),
            0,
            "nothing to add: no statement"
        );
    }

    fn day(date: time::Date) -> i64 {
        i64::from(date.to_julian_day() - 2_440_588)
    }

    #[test]
    fn a_period_is_whole_months_between_two_partial_ones() {
        use time::macros::date;
        let (from, to) = (day(date!(2025 - 12 - 08)), day(date!(2026 - 12 - 08)));
        assert_eq!(
            whole_months(from, to),
            Some((day(date!(2026 - 01 - 01)), day(date!(2026 - 12 - 01))))
        );
        // Starting on a first, ending the day before one: every month whole.
        let (from, to) = (day(date!(2026 - 01 - 01)), day(date!(2026 - 03 - 01)));
        assert_eq!(whole_months(from, to), Some((from, to)));
        // Inside one month: none.
        let (from, to) = (day(date!(2026 - 02 - 02)), day(date!(2026 - 02 - 27)));
        assert_eq!(whole_months(from, to), None);
        assert_eq!(
            month_of(day(date!(2024 - 02 - 29))),
            day(date!(2024 - 02 - 01))
        );
    }

    #[test]
    fn a_rank_is_located_in_its_bucket() {
        let histogram: BTreeMap<i64, u64> = [(3, 2), (7, 5), (9, 1)].into();
        assert_eq!(locate(&histogram, 1), Some((3, 0)));
        assert_eq!(locate(&histogram, 2), Some((3, 1)));
        assert_eq!(locate(&histogram, 3), Some((7, 0)));
        assert_eq!(locate(&histogram, 7), Some((7, 4)));
        assert_eq!(locate(&histogram, 8), Some((9, 0)));
        assert_eq!(locate(&histogram, 9), None);
    }
}
