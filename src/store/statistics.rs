//! Figures about requests, for the public and for reporting: counts only, never a request's
//! content. Computed from the `requests` table in SQL, so the database does the counting.

use async_trait::async_trait;

use super::StoreError;
use crate::domain::Status;

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

#[async_trait]
pub trait StatisticsStore: Send + Sync {
    /// Every (month, form, commune, status) that has requests, with their number, in that
    /// order.
    async fn monthly_counts(&self) -> Result<Vec<MonthlyCount>, StoreError>;
}

pub(super) fn monthly_count(row: &impl super::row::ReadRow) -> Result<MonthlyCount, StoreError> {
    Ok(MonthlyCount {
        month: row.text("month")?,
        form_id: row.text("form_id")?,
        commune: row.opt_text("commune")?,
        status: row.parsed("status", Status::parse)?,
        count: row.int("n")?.max(0) as u64,
    })
}
