//! PostgreSQL: counts of requests for the public figures.

use async_trait::async_trait;

use super::PostgresStore;
use crate::store::StoreError;
use crate::store::statistics::{MonthlyCount, StatisticsStore, monthly_count};

#[async_trait]
impl StatisticsStore for PostgresStore {
    async fn monthly_counts(&self) -> Result<Vec<MonthlyCount>, StoreError> {
        sqlx::query(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, form_id, commune,
                    status, COUNT(*) AS n
             FROM requests GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(monthly_count)
        .collect()
    }
}
