//! The queue counts the database keeps (migration 0017: requests per queue, service and
//! status, and open requests per due day) against a recount of the requests in plain SQL:
//! after a varied history through the real server (filings, takes, status changes, waits,
//! transfers within and between services, reopenings by the citizen, due dates moved,
//! erasure), after an import into another store, and after the migration's backfill of a
//! database that had requests before it. What the API and the pages show is compared too.

use std::borrow::Cow;
use std::collections::BTreeMap;

use guichet::domain::{Channel, Role, TrackingToken};
use guichet::requests::filing::{Filer, new_request, store_request_at};
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::common::staff::{add_user, api, api_token, file_bin_request, login};
use crate::common::{self, TestApp, on_postgres, spawn_app, test_database};

/// Every row of `sql` (whose columns are all text), on the database at `url`.
async fn rows(url: &str, sql: &str) -> Vec<Vec<String>> {
    use sqlx::{Connection, Row};
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&mut connection).await.unwrap();
        rows.iter()
            .map(|row| (0..row.len()).map(|i| row.get::<String, _>(i)).collect())
            .collect()
    } else {
        let mut connection = sqlx::SqliteConnection::connect(url).await.unwrap();
        let rows = sqlx::query(sql).fetch_all(&mut connection).await.unwrap();
        rows.iter()
            .map(|row| (0..row.len()).map(|i| row.get::<String, _>(i)).collect())
            .collect()
    }
}

/// The UTC day a request is due on, in SQL.
fn due_day(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "CAST(CAST(due_at AT TIME ZONE 'UTC' AS DATE) AS TEXT)"
    } else {
        "substr(due_at, 1, 10)"
    }
}

/// The kept counts (added up over their shards, on PostgreSQL) equal a recount of the
/// requests, row for row.
async fn assert_kept_counts_exact(url: &str, when: &str) {
    let kept = rows(
        url,
        "SELECT queue, service, status, CAST(SUM(requests) AS TEXT) FROM queue_counts
         GROUP BY queue, service, status HAVING SUM(requests) <> 0
         ORDER BY queue, service, status",
    )
    .await;
    let recounted = rows(
        url,
        "SELECT queue, service, status, CAST(COUNT(*) AS TEXT) FROM requests
         GROUP BY queue, service, status ORDER BY queue, service, status",
    )
    .await;
    assert!(!recounted.is_empty());
    assert_eq!(
        kept, recounted,
        "requests per queue, service and status {when}"
    );
    let kept = rows(
        url,
        "SELECT queue, service, CAST(due_day AS TEXT), CAST(SUM(requests) AS TEXT)
         FROM queue_open_due_days GROUP BY queue, service, due_day
         HAVING SUM(requests) <> 0 ORDER BY 1, 2, 3",
    )
    .await;
    let day = due_day(url);
    let recounted = rows(
        url,
        &format!(
            "SELECT queue, service, {day}, CAST(COUNT(*) AS TEXT) FROM requests
             WHERE status IN ('received', 'in_progress') AND due_at IS NOT NULL
             GROUP BY queue, service, {day} ORDER BY 1, 2, 3"
        ),
    )
    .await;
    assert_eq!(kept, recounted, "open requests per due day {when}");
}

/// What `GET /api/v1/queues` says of each queue (counts per status, overdue) equals a
/// recount of the requests of `service` (every service if `None`) at the same instant.
async fn assert_api_counts_exact(app: &TestApp, token: &str, service: Option<&str>) {
    let (status, body) = api(app, token, Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let now = OffsetDateTime::now_utc();
    let now_sql = if on_postgres() {
        format!("'{}'::timestamptz", guichet::store::format_time(now))
    } else {
        format!("'{}'", guichet::store::format_time(now))
    };
    let in_service = service.map_or_else(String::new, |s| format!(" AND service = '{s}'"));
    let mut recounted: BTreeMap<String, (BTreeMap<String, u64>, u64)> = BTreeMap::new();
    for row in rows(
        &app.database_url,
        &format!(
            "SELECT queue, status, CAST(COUNT(*) AS TEXT) FROM requests WHERE 1 = 1{in_service}
             GROUP BY queue, status"
        ),
    )
    .await
    {
        let entry = recounted.entry(row[0].clone()).or_default();
        entry.0.insert(row[1].clone(), row[2].parse().unwrap());
    }
    for row in rows(
        &app.database_url,
        &format!(
            "SELECT queue, CAST(COUNT(*) AS TEXT) FROM requests
             WHERE status IN ('received', 'in_progress') AND due_at < {now_sql}{in_service}
             GROUP BY queue"
        ),
    )
    .await
    {
        recounted.entry(row[0].clone()).or_default().1 = row[1].parse().unwrap();
    }
    let queues = body["queues"].as_array().unwrap();
    assert!(!queues.is_empty());
    for queue in queues {
        let id = queue["id"].as_str().unwrap();
        if let Some(service) = service {
            assert_eq!(queue["service"], service, "only the account's service");
        }
        let shown: BTreeMap<String, u64> = queue["counts"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        let (expected, overdue) = recounted.remove(id).unwrap_or_default();
        assert_eq!(shown, expected, "{id}: requests per status");
        assert_eq!(queue["overdue"], overdue, "{id}: overdue");
    }
    assert!(
        recounted.is_empty(),
        "requests in queues the API does not list: {recounted:?}"
    );
}

/// The open requests of `queue` past their due date, recounted now.
async fn recount_overdue(url: &str, queue: &str) -> u64 {
    let now = guichet::store::format_time(OffsetDateTime::now_utc());
    let now = if url.starts_with("postgres") {
        format!("'{now}'::timestamptz")
    } else {
        format!("'{now}'")
    };
    rows(
        url,
        &format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM requests WHERE queue = '{queue}'
             AND status IN ('received', 'in_progress') AND due_at < {now}"
        ),
    )
    .await[0][0]
        .parse()
        .unwrap()
}

/// Files a bin request as if it had been filed at `filed`, due `due_in_days` later.
async fn file_at(app: &TestApp, filed: OffsetDateTime, due_in_days: u32) -> String {
    let catalogue = guichet::catalogue::Catalogue::load_strict(&common::repo_root()).unwrap();
    let form = catalogue.form("remplacement-bac").unwrap();
    let data = json!({
        "motif": "taille",
        "type_bac": "ordures-menageres",
        "nombre_residents": 4,
        "nom": "Claire Martin",
        "adresse": {"rue": "Rue de la Libération", "commune": "tonneins"},
        "email": "claire.martin@example.org"
    });
    let accepted = guichet::intake::accept(&catalogue, form, data, None, Channel::Web).unwrap();
    let mut request = new_request(
        form,
        accepted,
        &TrackingToken::generate(),
        Filer::named("citoyen"),
    );
    request.due_in_days = Some(due_in_days);
    let receipt = store_request_at(
        app.store.as_ref(),
        request,
        std::sync::Arc::new(guichet::dispatch::no_messages),
        filed,
    )
    .await
    .unwrap();
    receipt.reference.to_string()
}

#[tokio::test]
async fn kept_queue_counts_equal_a_recount_through_a_varied_history() {
    let app = spawn_app().await;
    let admin = add_user(&app, "admin@example.org", Role::Admin, &[], &[]).await;
    let agent = add_user(
        &app,
        "agent@example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let admin_token = api_token(&app, &admin).await;
    let agent_token = api_token(&app, &agent).await;
    let desk = login(&app, &admin.email).await;

    // Filings: twelve today, three long overdue, one due an hour ago, one due in two hours.
    let mut filed = Vec::new();
    for commune in ["marmande", "tonneins", "clairac"].repeat(4) {
        filed.push(file_bin_request(&app, commune).await);
    }
    let now = OffsetDateTime::now_utc();
    let mut late = Vec::new();
    for days in [30, 45, 60] {
        late.push(file_at(&app, now - Duration::days(days), 10).await);
    }
    late.push(file_at(&app, now - Duration::days(5) - Duration::hours(1), 5).await);
    late.push(file_at(&app, now - Duration::days(5) + Duration::hours(2), 5).await);
    assert_kept_counts_exact(&app.database_url, "after the filings").await;
    assert_api_counts_exact(&app, &admin_token, None).await;

    let ok = |(status, page): (StatusCode, String)| {
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    };
    let reference = |i: usize| filed[i].0.as_str();
    ok(desk.act(&app, reference(0), "take", &[]).await);
    ok(desk.act(&app, reference(1), "take", &[]).await);
    ok(desk
        .act(
            &app,
            reference(1),
            "status",
            &[("status", "waiting_for_citizen")],
        )
        .await);
    ok(desk
        .act(&app, reference(2), "status", &[("status", "resolved")])
        .await);
    ok(desk
        .act(&app, reference(3), "status", &[("status", "rejected")])
        .await);
    let transfer = |to: &'static str| [("queue", to), ("reason", "Mieux traitée par cette équipe")];
    // Within the service, then to another service's queue, then back.
    ok(desk
        .act(
            &app,
            reference(4),
            "transfer",
            &transfer("dechets-encombrants"),
        )
        .await);
    ok(desk
        .act(&app, reference(5), "transfer", &transfer("voirie-agglo"))
        .await);
    ok(desk.act(&app, reference(6), "take", &[]).await);
    ok(desk
        .act(&app, reference(6), "transfer", &transfer("voirie-agglo"))
        .await);
    ok(desk
        .act(&app, reference(6), "transfer", &transfer("dechets-bacs"))
        .await);
    // Due dates moved: into the past of the seeded ones, and far ahead.
    ok(desk
        .act(&app, &late[0], "due", &[("due", "2099-12-31")])
        .await);
    ok(desk
        .act(&app, reference(7), "due", &[("due", "2099-06-30")])
        .await);
    ok(desk.act(&app, &late[1], "take", &[]).await);
    ok(desk
        .act(&app, &late[2], "transfer", &transfer("voirie-urgences"))
        .await);
    assert_kept_counts_exact(&app.database_url, "after the actions").await;
    assert_api_counts_exact(&app, &admin_token, None).await;
    assert_api_counts_exact(&app, &agent_token, Some("environnement")).await;

    // The citizen says it is not fixed: it reopens, with a new deadline.
    ok(desk
        .act(&app, reference(8), "status", &[("status", "resolved")])
        .await);
    let response = app
        .client
        .post(app.url(&format!("/suivi/{}/non-resolu", filed[8].1)))
        .form(&[("text", "Le nouveau bac est fêlé")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A closed request reopened by staff, and one erased (its row stays, anonymised).
    ok(desk
        .act(&app, reference(2), "status", &[("status", "in_progress")])
        .await);
    ok(desk
        .act(
            &app,
            reference(3),
            "erase",
            &[("reason", "Courrier du 2 mars")],
        )
        .await);
    ok(desk
        .act(
            &app,
            &late[3],
            "status",
            &[("status", "waiting_for_citizen")],
        )
        .await);
    assert_kept_counts_exact(&app.database_url, "after reopenings and erasure").await;
    assert_api_counts_exact(&app, &admin_token, None).await;
    assert_api_counts_exact(&app, &agent_token, Some("environnement")).await;

    if on_postgres() {
        // PostgreSQL keeps each count in shards, one per connection (migration 0018): a
        // session on a shard of its own moves a request counted in another, and its shard
        // goes negative while the sums stay exact.
        use sqlx::Connection;
        let mut session = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("SET guichet.counter_shard = '15'")
            .execute(&mut session)
            .await
            .unwrap();
        sqlx::query("UPDATE requests SET status = 'in_progress' WHERE reference = $1")
            .bind(reference(9))
            .execute(&mut session)
            .await
            .unwrap();
        let moved = rows(
            &app.database_url,
            "SELECT status, CAST(requests AS TEXT) FROM queue_counts WHERE shard = 15 ORDER BY 1",
        )
        .await;
        assert!(
            moved.contains(&vec!["in_progress".to_owned(), "1".to_owned()]),
            "{moved:?}"
        );
        assert!(moved.iter().any(|row| row[1] == "-1"), "{moved:?}");
        assert_kept_counts_exact(&app.database_url, "after a move on another shard").await;
    }

    // The queue page shows the same: its « En retard » and its counts per status.
    let (status, page) = desk.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(status, StatusCode::OK);
    let overdue = recount_overdue(&app.database_url, "dechets-bacs").await;
    assert!(overdue >= 1, "a seeded overdue request is still open");
    assert!(
        page.contains(&format!("En retard : {overdue}")),
        "the queue page shows {overdue} overdue: {page}"
    );

    // Imported into another store, the requests are counted there too.
    let mut archive = Vec::new();
    guichet::transfer::export(app.store.as_ref(), &mut archive, &mut |_, _| {})
        .await
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let other_url = test_database(dir.path());
    let other = guichet::store::open(&guichet::config::DatabaseConfig {
        url: other_url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    guichet::transfer::import(other.as_ref(), &mut archive.as_slice(), &mut |_, _| {})
        .await
        .unwrap();
    other.close().await;
    assert_kept_counts_exact(&other_url, "after an import").await;
}

#[tokio::test]
async fn the_migration_counts_the_requests_already_there() {
    let dir = tempfile::TempDir::new().unwrap();
    let url = test_database(dir.path());
    let (folder, day) = if url.starts_with("postgres") {
        (
            "migrations/postgres",
            "now() + (i % 9 - 4) * interval '1 day'",
        )
    } else {
        (
            "migrations/sqlite",
            "strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', (i % 9 - 4) || ' days')",
        )
    };
    // The schema before the counts, with requests in it.
    let mut before = sqlx::migrate::Migrator::new(common::repo_root().join(folder))
        .await
        .unwrap();
    let earlier: Vec<_> = before
        .migrations
        .iter()
        .filter(|m| m.version < 17)
        .cloned()
        .collect();
    assert_eq!(earlier.len(), 16);
    before.migrations = Cow::Owned(earlier);
    let statuses = "CASE i % 5 WHEN 0 THEN 'received' WHEN 1 THEN 'in_progress'
        WHEN 2 THEN 'waiting_for_citizen' WHEN 3 THEN 'resolved' ELSE 'rejected' END";
    let queues = "CASE i % 3 WHEN 0 THEN 'dechets-bacs' WHEN 1 THEN 'dechets-encombrants'
        ELSE 'voirie-agglo' END";
    let services = "CASE i % 3 WHEN 2 THEN 'voirie' ELSE 'environnement' END";
    let due = format!("CASE WHEN i % 7 = 0 THEN NULL ELSE {day} END");
    let version = "INSERT INTO form_versions (version, form_id, title, definition, rule_source, git_commit, recorded_at)
        VALUES ('v1', 'remplacement-bac', 'Bac', '{}', '', NULL, '2026-01-01T00:00:00.000000Z')";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        before.run(&pool).await.unwrap();
        sqlx::query(version).execute(&pool).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, channel, data,
                status, service, queue, priority, tags, due_at, created_at, updated_at)
             SELECT gen_random_uuid(), 'GU-0000-' || lpad(i::text, 4, '0'), md5(i::text),
                'remplacement-bac', 'v1', 'web', '{{}}'::jsonb, {statuses}, {services}, {queues},
                'normal', '[]'::jsonb, {due}, now(), now()
             FROM generate_series(1, 500) AS i"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    } else {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        before.run(&pool).await.unwrap();
        sqlx::query(version).execute(&pool).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
             INSERT INTO requests (id, reference, tracking_hash, form_id, form_version, channel, data,
                status, service, queue, priority, tags, due_at, created_at, updated_at)
             SELECT printf('00000000-0000-7000-8000-%012x', i), printf('GU-0000-%04d', i),
                printf('%064x', i), 'remplacement-bac', 'v1', 'web', '{{}}', {statuses},
                {services}, {queues}, 'normal', '[]', {due},
                '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'
             FROM n"
        )))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    // Opening the store runs migration 0017.
    let store = guichet::store::open(&guichet::config::DatabaseConfig {
        url: url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    assert_kept_counts_exact(&url, "after the migration").await;
    let now = OffsetDateTime::now_utc();
    let counts = store
        .count_by_status(&guichet::store::Scope::All, "dechets-bacs", now)
        .await
        .unwrap();
    let total: u64 = counts.per_status.iter().map(|(_, n)| n).sum();
    let recounted = rows(
        &url,
        "SELECT CAST(COUNT(*) AS TEXT) FROM requests WHERE queue = 'dechets-bacs'",
    )
    .await;
    assert_eq!(total.to_string(), recounted[0][0], "{counts:?}");
    assert_eq!(counts.overdue, recount_overdue(&url, "dechets-bacs").await);
    store.close().await;
}
