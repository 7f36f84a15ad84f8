//! PostgreSQL: counts of requests for the public figures, and the dashboard's figure queries
//! (their SQL is shared, in `store::statistics`).

use std::sync::LazyLock;

use async_trait::async_trait;
use uuid::Uuid;

use super::PostgresStore;
use crate::domain::statistics::FactsOrigin;
use crate::store::StoreError;
use crate::store::statistics::{
    Bind, FigureRow, MonthlyCount, REBUILD_ROLLUPS, ROLLUPS, RollupDelta, StatisticsStore,
    facts_origin, figure_row, monthly_count,
};

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

    async fn figure_rows(
        &self,
        sql: &str,
        binds: &[Bind],
        keys: usize,
        numbers: usize,
    ) -> Result<Vec<FigureRow>, StoreError> {
        let sql = numbered_placeholders(sql);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
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
             ORDER BY r.id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((row.uuid("id")?, facts_origin(row)?)))
        .collect()
    }

    async fn forget_facts(&self) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
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
        let mut tx = self.pool.begin().await?;
        // Writers of facts wait until the rollups are whole again (SQLite has one writer).
        sqlx::query("LOCK TABLE request_facts IN SHARE MODE")
            .execute(&mut *tx)
            .await?;
        for sql in REBUILD_ROLLUPS {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Adds a request's [`RollupDelta`] to both rollups, in its transaction.
pub(super) async fn add_to_rollups(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
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

/// A rollup change's values, from its JSON array, as text, each with its position. Rows
/// are added in key order: every transaction takes the rollups' row locks in that order,
/// so two never deadlock on them.
const ELEMENTS: &str = "jsonb_array_elements_text($1::text::jsonb) WITH ORDINALITY AS e (value, n)";
const POSITION: &str = "(n - 1)";

/// A column's value, as the rollup's column type.
fn column(values: String, number: bool) -> String {
    if number {
        format!("{values}::bigint")
    } else {
        values
    }
}

/// The shared SQL's `?` placeholders as PostgreSQL's `$1, $2…` (the figures' SQL holds no
/// other question mark).
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            super::numbered_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }
}
