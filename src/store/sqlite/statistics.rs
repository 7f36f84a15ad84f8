//! SQLite: counts of requests for the public figures, and the dashboard's figure queries
//! (their SQL is shared, in `store::statistics`).

use std::sync::LazyLock;

use async_trait::async_trait;
use uuid::Uuid;

use super::SqliteStore;
use crate::domain::statistics::FactsOrigin;
use crate::store::StoreError;
use crate::store::statistics::{
    Bind, FigureRow, MonthlyCount, REBUILD_ROLLUPS, ROLLUPS, RollupDelta, StatisticsStore,
    facts_origin, figure_row, monthly_count,
};

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

    async fn figure_rows(
        &self,
        sql: &str,
        binds: &[Bind],
        keys: usize,
        numbers: usize,
    ) -> Result<Vec<FigureRow>, StoreError> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        for bind in binds {
            query = match bind {
                Bind::Int(n) => query.bind(*n),
                Bind::Text(t) => query.bind(t.clone()),
            };
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| figure_row(row, keys, numbers))
            .collect()
    }

    async fn requests_without_facts(
        &self,
        limit: u32,
    ) -> Result<Vec<(Uuid, FactsOrigin)>, StoreError> {
        use crate::store::row::ReadRow;
        sqlx::query(
            "SELECT r.id, r.form_id, r.commune, r.channel, r.filed_by FROM requests r
             WHERE NOT EXISTS (SELECT 1 FROM request_facts f WHERE f.request_id = r.id)
             ORDER BY r.id LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.uuid("id")?, facts_origin(row)?)))
        .collect()
    }

    async fn forget_facts(&self) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for table in [
            "DELETE FROM request_day_counts",
            "DELETE FROM request_duration_counts",
            "DELETE FROM request_facts",
        ] {
            sqlx::query(table).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn rebuild_rollups(&self) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for sql in REBUILD_ROLLUPS {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Adds a request's [`RollupDelta`] to both rollups, in its transaction.
pub(super) async fn add_to_rollups(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    delta: &RollupDelta,
) -> Result<(), StoreError> {
    static ADD: LazyLock<[String; 2]> =
        LazyLock::new(|| ROLLUPS.map(|rollup| rollup.add_rows(ELEMENTS, POSITION, column)));
    for (rollup, rows) in delta.rows() {
        let add = sqlx::query(sqlx::AssertSqlSafe(ADD[rollup].as_str())).bind(rows);
        add.execute(&mut **tx).await?;
    }
    Ok(())
}

/// A rollup change's values, from its JSON array, each with its position (`WHERE true`
/// tells SQLite's parser that the `ON CONFLICT` that follows belongs to the `INSERT`).
const ELEMENTS: &str = "json_each(?) WHERE true";
const POSITION: &str = "key";

/// A column's value: JSON numbers come out of `json_each` as integers, strings as text.
fn column(values: String, _number: bool) -> String {
    values
}
