//! The statistics dashboard at scale: `GET /bureau/statistiques` (its first paint: a year's
//! period, per month, no filter) over HTTP from the running server, with 1,000,000 requests,
//! their events and their facts, on SQLite (and PostgreSQL when `BENCH_POSTGRES_URL` names a
//! database).
//!
//! Run with `cargo bench --bench statistics`. `BENCH_STATISTICS_ROWS` sets the number of
//! requests (default 1,000,000). The requests are generated as `benches/queues.rs` does
//! (`support/fill.rs`); their events (submitted, routed, and a status change for four in
//! five) and their facts are generated in the database too, filings spread over two years
//! (one every 63 s), four forms of three services, ten communes, six channels, the five
//! statuses, first actions and closures from minutes to two weeks, some reopened,
//! transferred or routed by a fallback. The rollups are then computed from the facts
//! (`StatisticsStore::rebuild_rollups`, as `guichet statistics rebuild` does). Each reader's page is fetched once cold, then 30 times
//! (`BENCH_STATISTICS_RUNS`); the median and the 95th percentile are printed.

use std::time::{Duration, Instant};

use guichet::config::{DatabaseConfig, ServeConfig};
use guichet::domain::Role;
use guichet::domain::statistics::duration_bucket;
use guichet::startup::Application;
use guichet::store::statistics::month_of;
use guichet::store::{self, NewStaffUser};

#[path = "support/fill.rs"]
mod fill;

const PASSWORD: &str = "une phrase de passe pour le banc";

fn main() {
    let rows = fill::rows("BENCH_STATISTICS_ROWS", 1_000_000);
    let runs = fill::rows("BENCH_STATISTICS_RUNS", 30) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    for (name, url) in fill::backends(dir.path(), "statistics.db") {
        runtime.block_on(bench(name, &url, rows, runs, dir.path()));
    }
}

/// `guichet::domain::statistics::duration_bucket` of the duration `d` (seconds), in SQL
/// (checked against it once the rows are written).
fn bucket_sql(d: &str) -> String {
    let mut sql = format!("CASE WHEN {d} < 0 THEN -1 WHEN {d} < 32 THEN {d}");
    for power in 5..40 {
        sql.push_str(&format!(
            " WHEN {d} < {} THEN {} + (({d} >> {}) & 15)",
            1_i64 << (power + 1),
            32 + (power - 5) * 16,
            power - 4
        ));
    }
    sql + " END"
}

/// The facts and events of the generated requests, as SQL over `i` (the request's number)
/// and `{id}` (its key); `now` is the current instant in seconds; `month` gives the first
/// day of the month of `{filed}` (seconds) in days since the epoch.
fn facts_select(id: &str, now: i64, month: &str) -> String {
    let filed = format!("(CAST({now} AS BIGINT) - 730 * 86400 + i * 63)");
    let first_action = "(600 + (i % 97) * 900)";
    let resolution = "(3600 + (i % 53) * 21600)";
    let month = month.replace("{filed}", &filed);
    let first_action_bucket = bucket_sql(first_action);
    let resolution_bucket = bucket_sql(resolution);
    format!(
        "SELECT {id}, CASE i % 4 WHEN 0 THEN 'remplacement-bac' WHEN 1 THEN 'encombrants'
                WHEN 2 THEN 'signalement-voirie' ELSE 'contact-mairie' END,
            CASE i % 10 WHEN 0 THEN 'marmande' WHEN 1 THEN 'tonneins' WHEN 2 THEN 'clairac'
                WHEN 3 THEN 'seyches' WHEN 4 THEN 'virazeil' WHEN 5 THEN 'le-mas-d-agenais'
                WHEN 6 THEN 'meilhan-sur-garonne' WHEN 7 THEN 'fourques-sur-garonne' ELSE NULL END,
            CASE i % 6 WHEN 0 THEN 'web' WHEN 1 THEN 'api' WHEN 2 THEN 'phone' WHEN 3 THEN 'in_person'
                WHEN 4 THEN 'mail' ELSE 'web' END,
            NULL,
            CASE i % 4 WHEN 0 THEN 'environnement' WHEN 1 THEN 'environnement' WHEN 2 THEN 'voirie'
                ELSE 'mairies' END,
            CASE i % 4 WHEN 0 THEN 'dechets-bacs' WHEN 1 THEN 'dechets-encombrants'
                WHEN 2 THEN 'voirie-agglo' ELSE 'mairie-marmande' END,
            CASE i % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'waiting_for_citizen'
                WHEN 3 THEN 'resolved' ELSE 'rejected' END,
            {filed},
            CASE WHEN i % 5 = 0 THEN NULL ELSE {filed} + 600 + (i % 97) * 900 END,
            CASE WHEN i % 5 IN (3, 4) THEN {filed} + 3600 + (i % 53) * 21600 END,
            CASE WHEN i % 9 = 8 THEN NULL ELSE {filed} + 864000 END,
            CASE WHEN i % 11 = 0 THEN 86400 ELSE 0 END,
            CASE WHEN i % 5 IN (3, 4) AND i % 9 <> 8
                 THEN CASE WHEN 3600 + (i % 53) * 21600 <= 864000 THEN 1 ELSE 0 END END,
            CASE WHEN i % 31 = 0 THEN 1 ELSE 0 END,
            CASE WHEN i % 17 = 0 THEN 1 ELSE 0 END,
            CASE WHEN i % 41 = 0 THEN 1 ELSE 0 END,
            {filed} / 86400,
            CASE WHEN i % 5 IN (3, 4) THEN ({filed} + 3600 + (i % 53) * 21600) / 86400 END,
            CASE WHEN i % 5 = 0 THEN NULL ELSE {first_action_bucket} END,
            CASE WHEN i % 5 IN (3, 4) THEN {resolution_bucket} END,
            {month}"
    )
}

const FACTS_INSERT: &str =
    "INSERT INTO request_facts (request_id, form_id, commune, channel, filed_by,
    service, queue, status, filed_at, first_action_at, closed_at, due_at, paused_seconds,
    within_deadline, reopened, transferred, fallback, filed_day, closed_day,
    first_action_bucket, resolution_bucket, filed_month)";

async fn fill_facts(url: &str, rows: u64) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let id =
            "(lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid";
        let at = format!("to_timestamp({now} - 730 * 86400 + i * 63)");
        for sql in [
            format!(
                "{FACTS_INSERT} {} FROM generate_series(1, {rows}) AS i",
                facts_select(
                    id,
                    now,
                    "(date_trunc('month', to_timestamp({filed}) AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"
                )
            ),
            format!(
                "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
                 SELECT {id}, k.kind, 'bench', k.kind <> 'routed', '{{}}'::jsonb, {at}
                 FROM generate_series(1, {rows}) AS i
                 CROSS JOIN (VALUES ('submitted'), ('routed'), ('status_changed')) AS k(kind)
                 WHERE k.kind <> 'status_changed' OR i % 5 <> 0"
            ),
            "VACUUM ANALYZE request_facts".to_owned(),
            "VACUUM ANALYZE request_events".to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let id = "printf('%08x-0000-7000-8000-%012x', i, i)";
        let at = format!(
            "strftime('%Y-%m-%dT%H:%M:%S.000000Z', {now} - 730 * 86400 + i * 63, 'unixepoch')"
        );
        let numbers = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})"
        );
        for sql in [
            format!(
                "{numbers} {FACTS_INSERT} {} FROM n",
                facts_select(
                    id,
                    now,
                    "CAST(julianday(date({filed}, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"
                )
            ),
            format!(
                "{numbers} INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
                 SELECT {id}, k.kind, 'bench', k.kind <> 'routed', '{{}}', {at}
                 FROM n CROSS JOIN (SELECT 'submitted' AS kind UNION ALL SELECT 'routed'
                                    UNION ALL SELECT 'status_changed') AS k
                 WHERE k.kind <> 'status_changed' OR i % 5 <> 0"
            ),
            "ANALYZE".to_owned(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

/// The generated buckets and months are the ones Guichet computes.
async fn check_facts(url: &str) {
    let sql = "SELECT first_action_at - filed_at AS n0, first_action_bucket AS n1,
                      closed_at - filed_at AS n2, resolution_bucket AS n3, filed_day AS n4,
                      filed_month AS n5
               FROM request_facts WHERE closed_at IS NOT NULL LIMIT 2000";
    let database = DatabaseConfig {
        url: url.to_owned(),
        max_connections: 1,
    };
    let store = store::open(&database).await.unwrap();
    for row in store.figure_rows(sql, &[], 0, 6).await.unwrap() {
        let n = |i: usize| row.numbers[i].unwrap();
        assert_eq!(n(1), duration_bucket(n(0)), "{row:?}");
        assert_eq!(n(3), duration_bucket(n(2)), "{row:?}");
        assert_eq!(n(5), month_of(n(4)), "{row:?}");
    }
    store.close().await;
}

async fn bench(name: &str, url: &str, rows: u64, runs: usize, dir: &std::path::Path) {
    let database = DatabaseConfig {
        url: url.to_owned(),
        max_connections: 4,
    };
    let store = store::open(&database).await.unwrap();
    println!("\n{name}: the statistics dashboard over {rows} requests");
    let started = Instant::now();
    fill::fill(&store, url, rows, "{}").await;
    fill_facts(url, rows).await;
    check_facts(url).await;
    println!("  generated in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    store.rebuild_rollups().await.unwrap();
    let counted = |table: &str| {
        let sql = format!("SELECT CAST(count(*) AS BIGINT) AS n0 FROM {table}");
        let store = &store;
        async move { store.figure_rows(&sql, &[], 0, 1).await.unwrap()[0].numbers[0].unwrap() }
    };
    println!(
        "  rollups computed from the facts in {:.1} s: {} day rows, {} duration rows",
        started.elapsed().as_secs_f64(),
        counted("request_day_counts").await,
        counted("request_duration_counts").await
    );
    if !url.starts_with("postgres") {
        // The planner's statistics, as for the facts.
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for table in ["request_day_counts", "request_duration_counts"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE {table}")))
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    let hash = guichet::auth::password::hash(PASSWORD).unwrap();
    let readers = [
        ("admin (everything)", Role::Admin, vec![], vec![]),
        (
            "agent (one service)",
            Role::Agent,
            vec!["environnement".parse().unwrap()],
            vec![],
        ),
        (
            "élu (one commune)",
            Role::Elu,
            vec![],
            vec!["marmande".parse().unwrap()],
        ),
    ];
    let mut emails = Vec::new();
    for (i, (_, role, services, communes)) in readers.iter().enumerate() {
        let email = format!("bench{i}-{}@example.org", name.to_lowercase());
        store
            .create_user(
                NewStaffUser {
                    email: email.clone(),
                    name: "Bench".into(),
                    role: *role,
                    services: services.clone(),
                    communes: communes.clone(),
                    site_editor: false,
                    password_hash: hash.clone(),
                },
                &guichet::store::staff::AccountActor::now("bench"),
            )
            .await
            .unwrap();
        emails.push(email);
    }
    store.close().await;

    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let app = Application::build(ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        catalogue: root,
        database,
        attachments_dir: dir.join("attachments"),
        dispatch: guichet::config::DispatchConfig {
            mail_url: format!("file://{}", dir.join("mail").display()),
            ..ServeConfig::from_env().dispatch
        },
        ..ServeConfig::from_env()
    })
    .await
    .unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for ((what, ..), email) in readers.iter().zip(&emails) {
        let login = client
            .post(format!("{base}/bureau/connexion"))
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 303, "signed in");
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let page = || async {
            let started = Instant::now();
            let response = client
                .get(format!("{base}/bureau/statistiques"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 200, "{body}");
            assert!(body.contains("<svg"), "the page has its charts");
            started.elapsed()
        };
        let cold = page().await;
        let mut times: Vec<Duration> = Vec::with_capacity(runs);
        for _ in 0..runs {
            times.push(page().await);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "  {what:<22} first {:>8.1} ms   p50 {:>8.1} ms   p95 {:>8.1} ms   worst {:>8.1} ms",
            ms(cold),
            ms(times[runs / 2]),
            ms(times[(runs * 95).div_ceil(100) - 1]),
            ms(times[runs - 1])
        );
    }
}
