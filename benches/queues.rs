//! Queues at scale: one queue of 1,000,000 requests, its pages as people get them over HTTP
//! from the running server (the agent's HTML queue page in each order, first and half-way
//! down, a status tab half-way down, the staff home page `/bureau`, `GET /api/v1/queues`
//! and an API page half-way down), then the store's own calls (listings with filters, the
//! counts), on SQLite (and PostgreSQL when `BENCH_POSTGRES_URL` names a database).
//!
//! Run with `cargo bench --bench queues`. `BENCH_QUEUE_ROWS` sets the queue's size
//! (default 1,000,000), `BENCH_QUEUE_RUNS` the timed runs of each case (default 30). The
//! rows are generated inside the database (`support/fill.rs`: a recursive CTE on SQLite,
//! `generate_series` on PostgreSQL), all in one queue, with ten communes, the five statuses
//! and due dates spread over a year; the database keeps the queue's counts as they go in.
//! Each case runs once cold, then `BENCH_QUEUE_RUNS` times; the median (p50), the 95th
//! percentile and the worst time are printed.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::config::{DatabaseConfig, ServeConfig};
use guichet::domain::{Capability, CommuneSlug, QueueId, Role, ServiceId, Status};
use guichet::startup::Application;
use guichet::store::staff::{AccountActor, NewApiToken};
use guichet::store::{
    self, AssigneeFilter, Cursor, NewStaffUser, RequestQuery, Scope, SortOrder, Store,
};
use time::OffsetDateTime;

#[path = "support/fill.rs"]
mod fill;

use fill::QUEUE;

const PASSWORD: &str = "une phrase de passe pour le banc";
const ORDERS: [SortOrder; 3] = [SortOrder::Oldest, SortOrder::Newest, SortOrder::DueDate];

fn main() {
    let rows = fill::rows("BENCH_QUEUE_ROWS", 1_000_000);
    let runs = fill::rows("BENCH_QUEUE_RUNS", 30).max(1) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    for (name, url) in fill::backends(dir.path(), "queues.db") {
        runtime.block_on(bench(name, &url, rows, runs, dir.path()));
    }
}

/// Times `case` once cold and `runs` times warm, and prints the figures.
async fn measure<F, Fut>(what: &str, runs: usize, mut case: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = String>,
{
    let started = Instant::now();
    case().await;
    let cold = started.elapsed();
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut note = String::new();
    for _ in 0..runs {
        let started = Instant::now();
        note = case().await;
        times.push(started.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  {what:<44} first {:>7.2}   p50 {:>7.2}   p95 {:>7.2}   worst {:>7.2} ms  ({note})",
        ms(cold),
        ms(times[runs / 2]),
        ms(times[(runs * 95).div_ceil(100) - 1]),
        ms(times[runs - 1])
    );
}

/// The cursor of the request `offset` places down the queue in `sort` order, among those
/// of `status` if given, read with plain SQL (outside the timings).
async fn cursor_at(url: &str, sort: SortOrder, status: Option<Status>, offset: u64) -> Cursor {
    let order = match sort {
        SortOrder::Oldest => "id",
        SortOrder::Newest => "id DESC",
        SortOrder::DueDate if url.starts_with("postgres") => {
            "coalesce(due_at, 'infinity'::timestamptz), id"
        }
        SortOrder::DueDate => "coalesce(due_at, '9999-12-31T23:59:59.999999Z'), id",
    };
    let status = status.map_or_else(String::new, |s| format!(" AND status = '{}'", s.as_str()));
    let sql = format!(
        "SELECT CAST(id AS TEXT), due_at FROM requests WHERE queue = '{QUEUE}'{status}
         ORDER BY {order} LIMIT 1 OFFSET {offset}"
    );
    let (id, due_at): (String, Option<OffsetDateTime>) = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let (id, due): (String, Option<String>) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&pool)
            .await
            .unwrap();
        (id, due.map(|d| store::parse_time(&d).unwrap()))
    };
    let text = Cursor::of(sort, id.parse().unwrap(), due_at);
    Cursor::parse(sort, &text).unwrap()
}

fn order_name(sort: SortOrder) -> &'static str {
    match sort {
        SortOrder::Oldest => "oldest first",
        SortOrder::Newest => "newest first",
        SortOrder::DueDate => "by due date",
    }
}

async fn bench(name: &str, url: &str, rows: u64, runs: usize, dir: &std::path::Path) {
    let database = DatabaseConfig {
        url: url.to_owned(),
        max_connections: 4,
    };
    let store = store::open(&database).await.unwrap();
    println!("\n{name}: one queue of {rows} requests");
    let started = Instant::now();
    fill::fill(&store, url, rows, "{}").await;
    println!("  generated in {:.1} s", started.elapsed().as_secs_f64());

    // Half-way down the queue in each order, and half-way down the « en cours » tab.
    let mut deep = Vec::new();
    let mut deep_in_progress = Vec::new();
    for sort in ORDERS {
        deep.push((sort, cursor_at(url, sort, None, rows / 2).await));
        let tab = cursor_at(url, sort, Some(Status::InProgress), rows / 10).await;
        deep_in_progress.push((sort, tab));
    }

    let agent = add_user(&store, name, "agent", Role::Agent, &["environnement"]).await;
    add_user(&store, name, "admin", Role::Admin, &[]).await;
    let token = Capability::generate();
    let now = OffsetDateTime::now_utc();
    store
        .create_api_token(&NewApiToken {
            user_id: agent.clone(),
            token_hash: token.hash(),
            name: "banc".into(),
            created_at: now,
            expires_at: now + time::Duration::days(1),
            can_act: false,
        })
        .await
        .unwrap();

    println!("  over HTTP, from the running server:");
    http_cases(name, &database, dir, runs, &deep, &deep_in_progress, &token).await;

    println!("  the store's calls:");
    store_cases(&store, runs, &deep, &deep_in_progress).await;
    store.close().await;
}

/// Creates a staff account; returns its id.
async fn add_user(
    store: &Arc<dyn Store>,
    backend: &str,
    who: &str,
    role: Role,
    services: &[&str],
) -> String {
    store
        .create_user(
            NewStaffUser {
                email: format!("{who}-{}@example.org", backend.to_lowercase()),
                name: who.into(),
                role,
                services: services.iter().map(|s| s.parse().unwrap()).collect(),
                communes: vec![],
                site_editor: false,
                password_hash: guichet::auth::password::hash(PASSWORD).unwrap(),
            },
            &AccountActor::now("banc"),
        )
        .await
        .unwrap()
        .id
}

async fn http_cases(
    backend: &str,
    database: &DatabaseConfig,
    dir: &std::path::Path,
    runs: usize,
    deep: &[(SortOrder, Cursor)],
    deep_in_progress: &[(SortOrder, Cursor)],
    token: &Capability,
) {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let app = Application::build(ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        catalogue: root,
        database: database.clone(),
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
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut cookies = Vec::new();
    for who in ["agent", "admin"] {
        let email = format!("{who}-{}@example.org", backend.to_lowercase());
        let login = client
            .post(format!("{base}/bureau/connexion"))
            .form(&[("email", email.as_str()), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 303, "signed in");
        let cookie = login.headers()["set-cookie"].to_str().unwrap();
        cookies.push(cookie.split(';').next().unwrap().to_owned());
    }
    let (agent, admin) = (&cookies[0], &cookies[1]);
    // A page's time, request sent to body read; it must be a 200 holding `expected`.
    let get = |path: String, cookie: Option<&str>, expected: &'static str| {
        let request = client.get(format!("{base}{path}"));
        let request = match cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request.bearer_auth(token.as_str()),
        };
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 200, "{path}: {body}");
            assert!(body.contains(expected), "{path} shows {expected}");
            format!("{} kB", body.len() / 1000)
        }
    };
    let queue_page = format!("/bureau/files/{QUEUE}");
    for sort in ORDERS {
        let path = format!("{queue_page}?sort={}", sort.as_str());
        let what = format!("queue page, {}", order_name(sort));
        measure(&what, runs, || get(path.clone(), Some(agent), "GU-")).await;
    }
    for (sort, cursor) in deep {
        let path = format!(
            "{queue_page}?sort={}&after={}",
            sort.as_str(),
            cursor_text(cursor)
        );
        let what = format!("queue page half-way, {}", order_name(*sort));
        measure(&what, runs, || get(path.clone(), Some(agent), "GU-")).await;
    }
    for (sort, cursor) in deep_in_progress {
        let path = format!(
            "{queue_page}?status=in_progress&sort={}&after={}",
            sort.as_str(),
            cursor_text(cursor)
        );
        let what = format!("« en cours » half-way, {}", order_name(*sort));
        measure(&what, runs, || get(path.clone(), Some(agent), "GU-")).await;
    }
    measure("home page /bureau, agent", runs, || {
        get("/bureau".into(), Some(agent), "Bacs")
    })
    .await;
    measure("home page /bureau, admin (every queue)", runs, || {
        get("/bureau".into(), Some(admin), "Bacs")
    })
    .await;
    measure("GET /api/v1/queues", runs, || {
        get("/api/v1/queues".into(), None, QUEUE)
    })
    .await;
    let (sort, cursor) = &deep[2];
    let path = format!(
        "/api/v1/queues/{QUEUE}/requests?sort={}&after={}",
        sort.as_str(),
        cursor_text(cursor)
    );
    measure("API page half-way, by due date", runs, || {
        get(path.clone(), None, "GU-")
    })
    .await;
    server.abort();
}

/// A cursor as a page's `after` parameter.
fn cursor_text(cursor: &Cursor) -> String {
    match &cursor.due_key {
        Some(due) => format!("{due}~{}", cursor.id),
        None => cursor.id.to_string(),
    }
}

async fn store_cases(
    store: &Arc<dyn Store>,
    runs: usize,
    deep: &[(SortOrder, Cursor)],
    deep_in_progress: &[(SortOrder, Cursor)],
) {
    let now = OffsetDateTime::now_utc();
    let scope = Scope::Services(vec![ServiceId::parse("environnement").unwrap()]);
    let base = || {
        let mut q = RequestQuery::new(scope.clone(), now);
        q.queue = Some(QueueId::parse(QUEUE).unwrap());
        q.limit = 50;
        q
    };
    let mut cases: Vec<(String, RequestQuery)> = Vec::new();
    for sort in ORDERS {
        cases.push((
            format!("first page, {}", order_name(sort)),
            RequestQuery { sort, ..base() },
        ));
    }
    for (sort, cursor) in deep {
        cases.push((
            format!("half-way, {}", order_name(*sort)),
            RequestQuery {
                sort: *sort,
                after: Some(cursor.clone()),
                ..base()
            },
        ));
    }
    for (sort, cursor) in deep_in_progress {
        cases.push((
            format!("in progress half-way, {}", order_name(*sort)),
            RequestQuery {
                sort: *sort,
                status: Some(Status::InProgress),
                after: Some(cursor.clone()),
                ..base()
            },
        ));
    }
    cases.extend([
        (
            "commune + status".to_owned(),
            RequestQuery {
                commune: Some(CommuneSlug::parse("marmande").unwrap()),
                status: Some(Status::Received),
                ..base()
            },
        ),
        (
            "commune, by due date".to_owned(),
            RequestQuery {
                commune: Some(CommuneSlug::parse("tonneins").unwrap()),
                sort: SortOrder::DueDate,
                ..base()
            },
        ),
        (
            "overdue".to_owned(),
            RequestQuery {
                overdue: true,
                ..base()
            },
        ),
        (
            "unassigned, by due date".to_owned(),
            RequestQuery {
                assignee: Some(AssigneeFilter::Nobody),
                sort: SortOrder::DueDate,
                ..base()
            },
        ),
    ]);
    for (what, query) in &cases {
        measure(what, runs, || async {
            let page = store.list_requests(query).await.unwrap();
            format!("{} rows", page.len())
        })
        .await;
    }
    for (what, scope) in [
        ("counts per status + overdue, agent", scope.clone()),
        ("counts per status + overdue, admin", Scope::All),
    ] {
        measure(what, runs, || async {
            let counts = store.count_by_status(&scope, QUEUE, now).await.unwrap();
            let total: u64 = counts.per_status.iter().map(|(_, n)| n).sum();
            format!("{total} requests, {} overdue", counts.overdue)
        })
        .await;
    }
}
