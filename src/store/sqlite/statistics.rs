//! SQLite: counts of requests for the public figures.

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::statistics::{MonthlyCount, StatisticsStore, monthly_count};

#[async_trait]
impl StatisticsStore for SqliteStore {
    async fn monthly_counts(&self) -> Result<Vec<MonthlyCount>, StoreError> {
        // Instants are RFC 3339 text in UTC: the month is their first seven characters.
        sqlx::query(
            "SELECT substr(created_at, 1, 7) AS month, form_id, commune, status, COUNT(*) AS n
             FROM requests GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(monthly_count)
        .collect()
    }
}
