//! The storage ceiling: the rows one filing writes (the request, its events, its outbox
//! messages), inserted with plain SQL in one transaction each, under the same durability
//! settings as the store, and nothing else. The full intake's rate divided by this one is
//! what validation, routing, planning and the store's own work cost on top of the disk.
//!
//! The rows are copies of the last request the full intake filed, with fresh keys, so both
//! sides write the same bytes.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const REQUEST_COLUMNS: &str = "tracking_hash, form_id, form_version, commune, channel, data, status, service, queue, priority, tags, routing_reason, routing_fallback, due_at, created_at, filed_by, citizen_contact";

/// Runs `count` raw filings on the database at `url` (already holding the full intake's
/// requests) and prints both rates and their ratio.
pub async fn compare(url: &str, count: u32, full: Duration) {
    let raw = if url.starts_with("postgres") {
        postgres(url, count).await
    } else {
        sqlite(url, count).await
    };
    let rate = |d: Duration| f64::from(count) / d.as_secs_f64();
    println!(
        "  {:<24} {:>10.0} per second  (the same rows in plain INSERTs, same durability)",
        "storage ceiling",
        rate(raw)
    );
    println!(
        "  full intake / ceiling    {:>10.2}  (1.00 would mean the pipeline costs nothing beyond the disk)",
        rate(full) / rate(raw)
    );
}

async fn sqlite(url: &str, count: u32) -> Duration {
    // The store's settings: WAL, synchronous=FULL, one writer connection.
    let options = SqliteConnectOptions::from_str(url)
        .unwrap()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    // Only constants are formatted into these statements; the values are bound.
    let last = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, {REQUEST_COLUMNS} FROM requests ORDER BY created_at DESC, id DESC LIMIT 1"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    let template_id: String = last.get("id");
    let columns: Vec<&str> = REQUEST_COLUMNS.split(", ").collect();
    let values: Vec<Option<String>> = columns.iter().map(|c| last.get(*c)).collect();
    let events = sqlx::query(
        "SELECT kind, actor, visible_to_citizen, body, created_at FROM request_events WHERE request_id = ?",
    )
    .bind(&template_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let outbox = sqlx::query(
        "SELECT channel, target, kind, payload, next_attempt_at, created_at FROM outbox WHERE request_id = ?",
    )
    .bind(&template_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        !outbox.is_empty(),
        "the full intake wrote outbox rows to copy"
    );
    let insert_request = format!(
        "INSERT INTO requests (id, reference, updated_at, {REQUEST_COLUMNS}) VALUES (?, ?, ?{})",
        ", ?".repeat(columns.len())
    );
    let started = Instant::now();
    for n in 0..count {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = pool.begin().await.unwrap();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(insert_request.clone()))
            .bind(&id)
            .bind(format!("RAW-{n}"))
            .bind(values[columns.iter().position(|c| *c == "created_at").unwrap()].clone());
        for (column, value) in columns.iter().zip(&values) {
            query = query.bind(if *column == "tracking_hash" {
                Some(uuid::Uuid::new_v4().to_string())
            } else {
                value.clone()
            });
        }
        query.execute(&mut *tx).await.unwrap();
        for event in &events {
            sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(&id)
                .bind(event.get::<String, _>("kind"))
                .bind(event.get::<String, _>("actor"))
                .bind(event.get::<bool, _>("visible_to_citizen"))
                .bind(event.get::<String, _>("body"))
                .bind(event.get::<String, _>("created_at"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for message in &outbox {
            sqlx::query("INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&id)
                .bind(message.get::<String, _>("channel"))
                .bind(message.get::<String, _>("target"))
                .bind(message.get::<String, _>("kind"))
                .bind(message.get::<String, _>("payload"))
                .bind(message.get::<String, _>("next_attempt_at"))
                .bind(message.get::<String, _>("created_at"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    started.elapsed()
}

async fn postgres(url: &str, count: u32) -> Duration {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    // Every column read as text and cast back on insert: the same values, whatever the type.
    let as_text: Vec<String> = REQUEST_COLUMNS
        .split(", ")
        .map(|c| format!("{c}::text AS {c}"))
        .collect();
    // Only constants are formatted into these statements; the values are bound.
    let last = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id::text AS id, {} FROM requests ORDER BY created_at DESC, id DESC LIMIT 1",
        as_text.join(", ")
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    let template_id: String = last.get("id");
    let columns: Vec<&str> = REQUEST_COLUMNS.split(", ").collect();
    let values: Vec<Option<String>> = columns.iter().map(|c| last.get(*c)).collect();
    let events = sqlx::query(
        "SELECT kind, actor, visible_to_citizen, body::text AS body, created_at::text AS created_at FROM request_events WHERE request_id = $1::uuid",
    )
    .bind(&template_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let outbox = sqlx::query(
        "SELECT channel, target, kind, payload::text AS payload, next_attempt_at::text AS next_attempt_at, created_at::text AS created_at FROM outbox WHERE request_id = $1::uuid",
    )
    .bind(&template_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        !outbox.is_empty(),
        "the full intake wrote outbox rows to copy"
    );
    let casts = [
        "",
        "",
        "",
        "",
        "",
        "::jsonb",
        "",
        "",
        "",
        "",
        "::jsonb",
        "",
        "",
        "::timestamptz",
        "::timestamptz",
        "",
        "",
    ];
    let placeholders: Vec<String> = casts
        .iter()
        .enumerate()
        .map(|(i, cast)| format!("${}{cast}", i + 4))
        .collect();
    let insert_request = format!(
        "INSERT INTO requests (id, reference, updated_at, {REQUEST_COLUMNS}) VALUES ($1::uuid, $2, $3::timestamptz, {})",
        placeholders.join(", ")
    );
    let created_at = values[columns.iter().position(|c| *c == "created_at").unwrap()].clone();
    let started = Instant::now();
    for n in 0..count {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = pool.begin().await.unwrap();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(insert_request.clone()))
            .bind(&id)
            .bind(format!("RAW-{n}-{}", &id[24..]))
            .bind(created_at.clone());
        for (column, value) in columns.iter().zip(&values) {
            query = query.bind(if *column == "tracking_hash" {
                Some(uuid::Uuid::new_v4().to_string())
            } else {
                value.clone()
            });
        }
        query.execute(&mut *tx).await.unwrap();
        for event in &events {
            sqlx::query("INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) VALUES ($1::uuid, $2, $3, $4, $5::jsonb, $6::timestamptz)")
                .bind(&id)
                .bind(event.get::<String, _>("kind"))
                .bind(event.get::<String, _>("actor"))
                .bind(event.get::<bool, _>("visible_to_citizen"))
                .bind(event.get::<String, _>("body"))
                .bind(event.get::<String, _>("created_at"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for message in &outbox {
            sqlx::query("INSERT INTO outbox (id, idempotency_key, request_id, channel, target, kind, payload, state, next_attempt_at, created_at) VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7::jsonb, 'pending', $8::timestamptz, $9::timestamptz)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&id)
                .bind(message.get::<String, _>("channel"))
                .bind(message.get::<String, _>("target"))
                .bind(message.get::<String, _>("kind"))
                .bind(message.get::<String, _>("payload"))
                .bind(message.get::<String, _>("next_attempt_at"))
                .bind(message.get::<String, _>("created_at"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    started.elapsed()
}
