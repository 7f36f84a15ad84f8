//! A large queue for the benches: requests generated inside the database (a recursive CTE
//! on SQLite, `generate_series` on PostgreSQL), all in one queue, with ten communes, the
//! five statuses and due dates spread over a year.

use guichet::domain::TrackingToken;
use guichet::store::Store;

/// The queue the rows go to.
pub const QUEUE: &str = "dechets-bacs";

/// How many rows to generate: `variable`, else `default`.
pub fn rows(variable: &str, default: u64) -> u64 {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The databases to measure: a SQLite file `file` in `dir`, and PostgreSQL when
/// `BENCH_POSTGRES_URL` names a database.
pub fn backends(dir: &std::path::Path, file: &str) -> Vec<(&'static str, String)> {
    let mut backends = vec![("SQLite", format!("sqlite://{}", dir.join(file).display()))];
    match std::env::var("BENCH_POSTGRES_URL") {
        Ok(url) => backends.push(("PostgreSQL", url)),
        Err(_) => println!("(set BENCH_POSTGRES_URL=postgres://… to measure PostgreSQL too)"),
    }
    backends
}

/// Fills one queue with `rows` requests whose answers are `data` (JSON text without `'`):
/// one real filing records the form version; the rest are generated in the database.
pub async fn fill(store: &std::sync::Arc<dyn Store>, url: &str, rows: u64, data: &str) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let catalogue = guichet::catalogue::Catalogue::load_strict(&root).unwrap();
    let form = catalogue.form("remplacement-bac").unwrap();
    let accepted = guichet::intake::accept(
        &catalogue,
        form,
        form.examples[0].clone(),
        None,
        guichet::domain::Channel::Web,
    )
    .unwrap();
    guichet::requests::filing::file(
        store,
        form,
        accepted,
        TrackingToken::generate(),
        guichet::requests::filing::Filer::named("bench"),
        guichet::dispatch::no_messages,
    )
    .await
    .unwrap();
    let version = form.version.as_str().to_owned();
    let statuses = "CASE i % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'waiting_for_citizen' WHEN 3 THEN 'resolved' ELSE 'rejected' END";
    let communes = "CASE i % 10 WHEN 0 THEN 'marmande' WHEN 1 THEN 'tonneins' WHEN 2 THEN 'clairac' WHEN 3 THEN 'seyches' WHEN 4 THEN 'virazeil' WHEN 5 THEN 'le-mas-d-agenais' WHEN 6 THEN 'meilhan-sur-garonne' WHEN 7 THEN 'fourques-sur-garonne' ELSE NULL END";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let sql = format!(
            "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data, status, service, queue,
                priority, tags, due_at, created_at, updated_at, assignee, last_event)
             SELECT (lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
                    'GU-' || substr(lpad(i::text, 8, '0'), 1, 4) || '-' || substr(lpad(i::text, 8, '0'), 5, 4),
                    md5(i::text), 'remplacement-bac', '{version}', {communes}, 'web', '{data}'::jsonb, {statuses},
                    'environnement', '{QUEUE}', 'normal', '[]'::jsonb,
                    now() - interval '200 days' + (i % 365) * interval '1 day',
                    now() - interval '400 days' + i * interval '1 second', now(),
                    CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent' || (i % 7) || '@example.org' END, 'routed'
             FROM generate_series(1, {rows}) AS i"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        // Autovacuum keeps the visibility map current in a live database; do it now.
        sqlx::query("VACUUM ANALYZE requests")
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
             INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, commune, channel, data, status, service, queue,
                priority, tags, due_at, created_at, updated_at, assignee, last_event)
             SELECT printf('%08x-0000-7000-8000-%012x', i, i),
                    'GU-' || substr(printf('%08d', i), 1, 4) || '-' || substr(printf('%08d', i), 5, 4),
                    printf('%064x', i), 'remplacement-bac', '{version}', {communes}, 'web', '{data}', {statuses},
                    'environnement', '{QUEUE}', 'normal', '[]',
                    strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '-200 days', '+' || (i % 365) || ' days'),
                    strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '-400 days', '+' || i || ' seconds'),
                    strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now'),
                    CASE WHEN i % 3 = 0 THEN NULL ELSE 'agent' || (i % 7) || '@example.org' END, 'routed'
             FROM n"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    }
}
