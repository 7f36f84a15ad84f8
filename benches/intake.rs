//! Intake against the storage limit (issue 20), measured in one run on one machine.
//!
//! Run with `cargo bench --bench intake`. It prints:
//! 1. the raw ceiling: the rows of a filed request copied (the request and its submitted
//!    event), one transaction and one durable commit each, one connection, under the store's
//!    settings (SQLite: WAL, `synchronous=FULL`);
//! 2. intake over HTTP (`POST /api/v1/forms/remplacement-bac/submissions`, the demo's
//!    example, which asks for a receipt e-mail) at 1, 8 and 64 keep-alive clients, with the
//!    outbox worker delivering, then at 64 with the worker idle: rate, p50, p99, and the rate
//!    over the ceiling;
//! 3. HTTP overhead: a bare axum server built here, Guichet's `GET /livez`, and a form page
//!    (`GET /demarches/remplacement-bac`), at 64 clients, in turns (the ratio is the median
//!    of the rounds');
//! 4. with `BENCH_POSTGRES_URL` or `TEST_DATABASE_URL` (a server where databases can be
//!    created): the same on PostgreSQL in a fresh database, where the ceiling is pgbench's
//!    TPS at 16 clients inserting the same rows, against intake at 16 clients.
//!
//! `BENCH_INTAKE_ONLY` runs one part: `sqlite` (1 and 2), `http` (3) or `postgres` (4), as
//! when profiling one of them.
//!
//! `BENCH_INTAKE_SECONDS` sets each measure's length (default 5). The load generator is
//! reqwest (hyper) in this process, sharing the machine's cores with the server, as wrk
//! would. The server logs as `guichet serve` does (JSON lines on standard error, at `info`
//! unless `RUST_LOG` says otherwise: an access line per request), so run it as
//! `cargo bench --bench intake 2>/dev/null`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::startup::Application;
use sqlx::Row;

#[path = "support/server.rs"]
mod server;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seconds = std::env::var("BENCH_INTAKE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let length = Duration::from_secs_f64(seconds);
    guichet::telemetry::init(guichet::telemetry::LogFormat::Json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    println!("Guichet intake benchmark, {seconds} s per measure");
    runtime.block_on(async {
        let sqlite = format!("sqlite://{}", dir.path().join("intake.db").display());
        let only = std::env::var("BENCH_INTAKE_ONLY").unwrap_or_default();
        let runs = |part: &str| only.is_empty() || only == part;
        let mut rows = Vec::new();
        if runs("sqlite") {
            let idle = format!("sqlite://{}", dir.path().join("intake-idle.db").display());
            let urls = [sqlite.as_str(), idle.as_str()];
            rows.extend(backend("SQLite", &root, urls, dir.path(), length, &[1, 8, 64]).await);
        }
        if runs("http") {
            rows.extend(http_overhead(&root, dir.path(), length).await);
        }
        let postgres = std::env::var("BENCH_POSTGRES_URL")
            .or_else(|_| std::env::var("TEST_DATABASE_URL"))
            .ok()
            .filter(|u| !u.is_empty())
            .filter(|_| runs("postgres"));
        match postgres {
            Some(server_url) => {
                let (on, drop_on) = fresh_database(&server_url, "on").await;
                let (idle, drop_idle) = fresh_database(&server_url, "idle").await;
                let pg_dir = dir.path().join("pg");
                let urls = [on.as_str(), idle.as_str()];
                rows.extend(backend("PostgreSQL", &root, urls, &pg_dir, length, &[16]).await);
                drop_on.await;
                drop_idle.await;
            }
            None => println!("(set BENCH_POSTGRES_URL or TEST_DATABASE_URL to measure PostgreSQL)"),
        }
        println!("\n| what | per second | p50 | p99 | ratio |\n|---|---|---|---|---|");
        for row in rows {
            println!("{row}");
        }
    });
}

/// One line of the summary.
struct Line {
    what: String,
    rate: f64,
    latencies: Option<(Duration, Duration)>,
    ratio: Option<(f64, &'static str)>,
}

impl Line {
    /// A target measured in rounds, against a reference measured in the same rounds
    /// (`references[i]` beside `rounds[i]`): its ratio is the median of the rounds' ratios.
    /// Printed as it is made.
    fn of_rounds(what: String, rounds: &[Run], references: &[f64], of: &'static str) -> Line {
        let run = Run::merged(rounds);
        let ratios: Vec<f64> = rounds
            .iter()
            .zip(references)
            .map(|(run, reference)| run.rate() / reference)
            .collect();
        let ratio = median(&ratios);
        println!(
            "  {what:<58} {:>8.0}/s  p50 {:.2} ms  p99 {:.2} ms  ({ratio:.2}× {of}, rounds {})",
            run.rate(),
            ms(run.p(0.50)),
            ms(run.p(0.99)),
            spread(&ratios)
        );
        Line {
            what,
            rate: run.rate(),
            latencies: Some((run.p(0.50), run.p(0.99))),
            ratio: Some((ratio, of)),
        }
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (p50, p99) = match self.latencies {
            Some((p50, p99)) => (format!("{:.1} ms", ms(p50)), format!("{:.1} ms", ms(p99))),
            None => ("".into(), "".into()),
        };
        let ratio = match self.ratio {
            Some((ratio, of)) => format!("{ratio:.2}× {of}"),
            None => String::new(),
        };
        write!(
            f,
            "| {} | {:.0} | {p50} | {p99} | {ratio} |",
            self.what, self.rate
        )
    }
}

/// The ceiling and intake at each number of clients, with the outbox worker delivering,
/// then at the most clients with it idle, on two databases (`urls`: one per server, since
/// a worker delivers whatever is in its database's outbox). Measured in turns, like
/// [`http_overhead`], [`ROUNDS`] rounds of a third of the length each: a ratio is the
/// median of its rounds' ratios, so a slow phase of the machine weighs on both sides.
async fn backend(
    name: &'static str,
    root: &Path,
    urls: [&str; 2],
    dir: &Path,
    length: Duration,
    clients: &[usize],
) -> Vec<Line> {
    println!("\n{name}, {ROUNDS} rounds in turns");
    std::fs::create_dir_all(dir).unwrap();
    let [on_url, idle_url] = urls;
    let on = start(root, on_url, &dir.join("on"), 1_000).await;
    let idle = start(root, idle_url, &dir.join("idle"), 3_600_000).await;
    let example = Arc::new(example(root));
    let submit = |server: &Running| {
        format!(
            "{}/api/v1/forms/remplacement-bac/submissions",
            server.address
        )
    };
    let (on_submit, idle_submit) = (submit(&on), submit(&idle));
    // One filing on each first; the worker-on one is the template row the ceiling copies.
    for url in [&on_submit, &idle_submit] {
        let warm = load(
            url,
            Some(example.clone()),
            201,
            1,
            Duration::from_millis(300),
        )
        .await;
        assert!(warm.count > 0);
    }
    let top = *clients.last().unwrap();
    let turn = length / ROUNDS as u32;
    let mut ceilings = Vec::new();
    let mut with_worker: Vec<Vec<Run>> = clients.iter().map(|_| Vec::new()).collect();
    let mut without_worker = Vec::new();
    for _ in 0..ROUNDS {
        ceilings.push(if on_url.starts_with("postgres") {
            pgbench(on_url, 16, turn).await
        } else {
            sqlite_ceiling(on_url, turn).await
        });
        for (&n, runs) in clients.iter().zip(&mut with_worker) {
            runs.push(load(&on_submit, Some(example.clone()), 201, n, turn).await);
        }
        without_worker.push(load(&idle_submit, Some(example.clone()), 201, top, turn).await);
    }
    on.stop().await;
    idle.stop().await;
    let ceiling = ceilings.iter().sum::<f64>() / ceilings.len() as f64;
    println!(
        "  raw ceiling          {ceiling:>8.0} commits/s (rounds {})",
        spread(&ceilings)
    );
    let mut lines = vec![Line {
        what: format!(
            "{name}: raw ceiling (request + event, one commit each{})",
            if on_url.starts_with("postgres") {
                ", pgbench at 16 clients"
            } else {
                ", one connection"
            }
        ),
        rate: ceiling,
        latencies: None,
        ratio: None,
    }];
    let measured = clients
        .iter()
        .zip(&with_worker)
        .map(|(&n, runs)| (n, "outbox worker on", runs))
        .chain([(top, "outbox worker idle", &without_worker)]);
    for (n, worker, runs) in measured {
        let what = format!("{name}: intake, {n} clients, {worker}");
        lines.push(Line::of_rounds(what, runs, &ceilings, "ceiling"));
    }
    // What the worker costs: how far the worker-on rate at the most clients falls short of
    // the idle one, round by round.
    let costs: Vec<f64> = with_worker[clients.len() - 1]
        .iter()
        .zip(&without_worker)
        .map(|(on, idle)| 100.0 * (1.0 - on.rate() / idle.rate()))
        .collect();
    println!(
        "  the worker costs {:.0} % at {top} clients (median; rounds {}; below 0: faster with it)",
        median(&costs),
        spread(&costs)
    );
    lines
}

/// Rounds each measure of [`backend`] gets.
const ROUNDS: usize = 3;

/// The middle value (the upper one of an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The lowest and highest of `values`, for the reader to see how much the rounds moved.
fn spread(values: &[f64]) -> String {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{low:.2}–{high:.2}")
}

/// A bare axum server, Guichet's `/livez` and a form page, at 64 clients. This machine
/// (a VM sharing its host) has slow phases, seconds long, in which everything runs at half
/// speed: measured one after the other, a target that fell in one looks twice as slow. So
/// the three are measured in turns, [`OVERHEAD_ROUNDS`] rounds of a fifth of the length
/// each, and a target's ratio is the median of its rounds' ratios to the bare server's.
async fn http_overhead(root: &Path, dir: &Path, length: Duration) -> Vec<Line> {
    println!("\nHTTP overhead, 64 clients, {OVERHEAD_ROUNDS} rounds in turns");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare = format!("http://{}/", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let bare_server = tokio::spawn(async move { axum::serve(listener, router).await });
    let url = format!("sqlite://{}", dir.join("overhead.db").display());
    let server = start(root, &url, &dir.join("overhead"), 3_600_000).await;
    let targets = [
        ("bare axum 0.8, GET /", bare),
        ("Guichet GET /livez", format!("{}/livez", server.address)),
        (
            "Guichet GET /demarches/remplacement-bac",
            format!("{}/demarches/remplacement-bac", server.address),
        ),
    ];
    let turn = length / 5;
    let mut runs: Vec<Vec<Run>> = targets.iter().map(|_| Vec::new()).collect();
    for _ in 0..OVERHEAD_ROUNDS {
        for ((_, url), runs) in targets.iter().zip(&mut runs) {
            runs.push(load(url, None, 200, 64, turn).await);
        }
    }
    server.stop().await;
    bare_server.abort();
    let mut lines = Vec::new();
    let bare: Vec<f64> = runs[0].iter().map(Run::rate).collect();
    for ((what, _), rounds) in targets.iter().zip(&runs) {
        lines.push(Line::of_rounds(
            what.to_string(),
            rounds,
            &bare,
            "bare axum",
        ));
    }
    lines
}

/// How many turns each target gets in [`http_overhead`].
const OVERHEAD_ROUNDS: usize = 5;

/// A server started by [`start`].
struct Running {
    address: String,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops it as on SIGTERM, and waits until its background tasks and store are closed.
    async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
    }
}

/// Starts the server on `url`.
async fn start(root: &Path, url: &str, dir: &Path, outbox_poll_ms: u64) -> Running {
    let app = Application::build(server::config(root, url, dir, outbox_poll_ms))
        .await
        .unwrap();
    let address = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Running {
        address,
        stop,
        served,
    }
}

/// What a load produced: how many answers in how long, and their latencies, sorted.
struct Run {
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    /// Several runs of the same target as one.
    fn merged(runs: &[Run]) -> Run {
        let mut latencies: Vec<Duration> = runs
            .iter()
            .flat_map(|r| r.latencies.iter().copied())
            .collect();
        latencies.sort();
        Run {
            count: latencies.len(),
            elapsed: runs.iter().map(|r| r.elapsed).sum(),
            latencies,
        }
    }

    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn p(&self, p: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        self.latencies
            .get(((self.latencies.len() as f64 * p) as usize).min(last))
            .copied()
            .unwrap_or_default()
    }
}

/// `clients` keep-alive connections sending requests back to back for `length`: POST
/// `body` when given, GET otherwise; every answer must have `status`.
async fn load(
    url: &str,
    body: Option<Arc<String>>,
    status: u16,
    clients: usize,
    length: Duration,
) -> Run {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + length;
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.to_owned(), body.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let request = match &body {
                        Some(body) => client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.to_string()),
                        None => client.get(&url),
                    };
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status().as_u16(), status, "{url}");
                    response.bytes().await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Run {
        count: latencies.len(),
        elapsed,
        latencies,
    }
}

/// The bin form's first example, as the API takes it.
fn example(root: &Path) -> String {
    let catalogue = guichet::catalogue::Catalogue::load_strict(root).unwrap();
    let form = catalogue.form("remplacement-bac").unwrap();
    form.examples[0].to_string()
}

/// The columns of `requests` a copy draws afresh; it takes every other from its template.
const KEYS: [&str; 3] = ["id", "reference", "tracking_hash"];

/// Commits per second on SQLite, copying the last filed request and its submitted event,
/// one transaction each, for `length`.
async fn sqlite_ceiling(url: &str, length: Duration) -> f64 {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = <SqliteConnectOptions as std::str::FromStr>::from_str(url)
        .unwrap()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('requests')")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("name"))
        .filter(|c| !KEYS.contains(&c.as_str()))
        .collect();
    let columns = columns.join(", ");
    let template: String =
        sqlx::query_scalar("SELECT id FROM requests ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let event: i64 = sqlx::query_scalar(
        "SELECT id FROM request_events WHERE request_id = ? AND kind = 'submitted'",
    )
    .bind(&template)
    .fetch_one(&pool)
    .await
    .unwrap();
    // Only the table's own column names are formatted into the statement; values are bound.
    let copy_request = format!(
        "INSERT INTO requests (id, reference, tracking_hash, {columns}) SELECT ?, ?, ?, {columns} FROM requests WHERE id = ?"
    );
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < length {
        let id = uuid::Uuid::now_v7().to_string();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(copy_request.clone()))
            .bind(&id)
            .bind(format!("RAW-{id}"))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&template)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at)
             SELECT ?, kind, actor, visible_to_citizen, body, created_at FROM request_events WHERE id = ?",
        )
        .bind(&id)
        .bind(event)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        commits += 1;
    }
    commits as f64 / started.elapsed().as_secs_f64()
}

/// pgbench's TPS at `clients` clients, each transaction copying the last filed request and
/// its submitted event (one statement, one commit).
async fn pgbench(url: &str, clients: usize, length: Duration) -> f64 {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let columns: Vec<String> = sqlx::query(
        "SELECT column_name::text AS name FROM information_schema.columns WHERE table_name = 'requests' AND table_schema = current_schema() ORDER BY ordinal_position",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("name"))
    .filter(|c| !KEYS.contains(&c.as_str()))
    .collect();
    let columns = columns.join(", ");
    let template: String =
        sqlx::query_scalar("SELECT id::text FROM requests ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let event: i64 = sqlx::query_scalar(
        "SELECT id FROM request_events WHERE request_id = $1::uuid AND kind = 'submitted'",
    )
    .bind(&template)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        script.path(),
        format!(
            "WITH r AS (INSERT INTO requests (id, reference, tracking_hash, {columns}) \
             SELECT gen_random_uuid(), 'RAW-' || gen_random_uuid(), md5(random()::text || clock_timestamp()::text), {columns} \
             FROM requests WHERE id = '{template}' RETURNING id) \
             INSERT INTO request_events (request_id, kind, actor, visible_to_citizen, body, created_at) \
             SELECT r.id, e.kind, e.actor, e.visible_to_citizen, e.body, e.created_at FROM r, request_events e WHERE e.id = {event};\n"
        ),
    )
    .unwrap();
    // On a blocking thread: the servers run meanwhile (a worker may still be delivering).
    let (url, clients) = (url.to_owned(), clients.to_string());
    let seconds = length.as_secs().max(1).to_string();
    let path = script.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("pgbench")
            .args([
                "-n", "-M", "prepared", "-c", &clients, "-j", "2", "-T", &seconds, "-f",
            ])
            .arg(path)
            .arg(url)
            .output()
            .expect("pgbench runs (Debian: apt-get install postgresql-client)")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pgbench: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no TPS in pgbench's output: {text}"))
}

/// A fresh database on the server `url` names, and a future that drops it.
async fn fresh_database(
    url: &str,
    purpose: &str,
) -> (String, impl std::future::Future<Output = ()>) {
    let name = format!("guichet_bench_intake_{}_{purpose}", std::process::id());
    let admin = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    let fresh = format!("{base}/{name}");
    let drop = async move {
        // The servers' pools may still hold connections: force them out.
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    };
    (fresh, drop)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
