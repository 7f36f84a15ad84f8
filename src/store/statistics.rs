//! Figures about requests, for the public, for reporting and for the statistics dashboard:
//! counts and durations only, never a request's content.
//!
//! The dashboard reads `request_facts`, one row per request folded from its events
//! ([`crate::domain::statistics::RequestFacts`]) in the same transaction that appends them.
//! Its instants are whole seconds since the epoch on both databases, so each figure's SQL is
//! written once, here, as a default method over one per-database primitive
//! ([`StatisticsStore::figure_rows`]) that runs a query and reads its columns `k0…` (text)
//! and `n0…` (integers). Percentiles are ranked in SQL with window functions, by
//! [`crate::domain::statistics::percentile_rank`]'s definition.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::row::ReadRow;
use super::{Scope, StoreError};
use crate::domain::Status;
use crate::domain::statistics::{FactsOrigin, RequestFacts, percentile_rank};

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

    /// Every (day, status, channel, service, form, commune) group of the filter's requests,
    /// with its counts; overdue ones are counted at `now`. One pass over the period in the
    /// order of its index (no sort): every count, share and ranking the pages show is a sum
    /// of these groups.
    async fn day_groups(
        &self,
        filter: &FactsFilter,
        now: OffsetDateTime,
    ) -> Result<Vec<DayGroup>, StoreError> {
        let (clause, filter_binds) = where_clause(filter, true);
        let sql = format!(
            "SELECT status AS k0, channel AS k1, service AS k2, form_id AS k3, commune AS k4,
                    filed_day AS n0, CAST(count(*) AS BIGINT) AS n1,
                    CAST(count(closed_at) AS BIGINT) AS n2,
                    CAST(count(within_deadline) AS BIGINT) AS n3,
                    CAST(coalesce(sum(within_deadline), 0) AS BIGINT) AS n4,
                    CAST(sum(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS BIGINT) AS n5,
                    CAST(sum(CASE WHEN reopened > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n6,
                    CAST(sum(CASE WHEN transferred > 0 THEN 1 ELSE 0 END) AS BIGINT) AS n7,
                    CAST(sum(fallback) AS BIGINT) AS n8
             FROM request_facts WHERE {clause}
             GROUP BY filed_day, status, channel, service, form_id, commune"
        );
        let mut binds = vec![Bind::Int(now.unix_timestamp())];
        binds.extend(filter_binds);
        Ok(self
            .figure_rows(&sql, &binds, 5, 9)
            .await?
            .into_iter()
            .map(|r| {
                let n = |i| r.number(i).max(0) as u64;
                let status = r.key(0).unwrap_or_default();
                let open_now = matches!(status.as_str(), "received" | "in_progress");
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
                        // Overdue as the queues count it: received or in progress only.
                        overdue: if open_now { n(5) } else { 0 },
                        reopened: n(6),
                        transferred: n(7),
                        fallback: n(8),
                    },
                    status,
                }
            })
            .collect())
    }

    /// Closures (of requests filed at any time, matching the filter's other cuts) per UTC
    /// day of the period: with the filings and [`Self::open_at`], the backlog over time.
    async fn closures_by_day(&self, filter: &FactsFilter) -> Result<Vec<(i64, u64)>, StoreError> {
        let (clause, filter_binds) = where_clause(filter, false);
        let mut binds = vec![Bind::Int(day_of(filter.from)), Bind::Int(day_of(filter.to))];
        binds.extend(filter_binds);
        let sql = format!(
            "SELECT closed_day AS n0, CAST(count(*) AS BIGINT) AS n1
             FROM request_facts WHERE closed_day >= ? AND closed_day < ? AND {clause}
             GROUP BY closed_day ORDER BY 1"
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
        let (clause, once) = where_clause(filter, false);
        let sql = format!(
            "SELECT CAST((SELECT count(*) FROM request_facts WHERE filed_day < ? AND {clause})
                       - (SELECT count(*) FROM request_facts WHERE closed_day < ? AND {clause})
                    AS BIGINT) AS n0"
        );
        // The clause is bound twice, once for each count.
        let mut binds = vec![Bind::Int(day_of(at))];
        binds.extend(once.clone());
        binds.push(Bind::Int(day_of(at)));
        binds.extend(once);
        let rows = self.figure_rows(&sql, &binds, 0, 1).await?;
        Ok(rows.first().map_or(0, |r| r.number(0).max(0) as u64))
    }

    /// The median and 90th percentile of `span` per `by` (exact, see
    /// [`crate::domain::statistics::percentile`]), over the requests that reached it.
    async fn percentiles(
        &self,
        filter: &FactsFilter,
        span: Span,
        by: Dimension,
    ) -> Result<Vec<Percentiles>, StoreError> {
        let (clause, binds) = where_clause(filter, true);
        let duration = match span {
            Span::FirstAction => "first_action_at - filed_at",
            Span::Resolution => "closed_at - filed_at",
        };
        let group = by.column();
        let sql = format!(
            "SELECT k0, n0, n1, n2 FROM (
                SELECT {group} AS k0, CAST({duration} AS BIGINT) AS n1,
                       CAST(row_number() OVER (PARTITION BY {group} ORDER BY {duration}) AS BIGINT) AS n2,
                       CAST(count(*) OVER (PARTITION BY {group}) AS BIGINT) AS n0
                FROM request_facts WHERE {clause} AND {duration} IS NOT NULL
             ) ranked
             WHERE n2 = (50 * n0 + 99) / 100 OR n2 = (90 * n0 + 99) / 100
             ORDER BY 1, 4"
        );
        let mut out: Vec<Percentiles> = Vec::new();
        for row in self.figure_rows(&sql, &binds, 1, 3).await? {
            let (key, n, value, rank) = (
                row.key(0),
                row.number(0) as u64,
                row.number(1),
                row.number(2) as u64,
            );
            if out.last().is_none_or(|last| last.key != key) {
                out.push(Percentiles {
                    key: key.clone(),
                    n,
                    p50: 0,
                    p90: 0,
                });
            }
            let last = out.last_mut().expect("pushed");
            if Some(rank) == percentile_rank(n, 50) {
                last.p50 = value;
            }
            if Some(rank) == percentile_rank(n, 90) {
                last.p90 = value;
            }
        }
        Ok(out)
    }
}

/// The filter as SQL (`?` placeholders) and its values. Identifiers are only ever bound,
/// never written into the text.
pub fn where_clause(filter: &FactsFilter, with_period: bool) -> (String, Vec<Bind>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    if with_period {
        parts.push("filed_day >= ? AND filed_day < ?".to_owned());
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
    Ok(FigureRow {
        keys: (0..keys)
            .map(|i| row.opt_text(&format!("k{i}")))
            .collect::<Result<_, _>>()?,
        numbers: (0..numbers)
            .map(|i| row.opt_int(&format!("n{i}")))
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
    fallback, filed_day, closed_day";

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
        }
    }
}

pub(super) fn monthly_count(row: &impl ReadRow) -> Result<MonthlyCount, StoreError> {
    Ok(MonthlyCount {
        month: row.text("month")?,
        form_id: row.text("form_id")?,
        commune: row.opt_text("commune")?,
        status: row.parsed("status", Status::parse)?,
        count: row.int("n")?.max(0) as u64,
    })
}
