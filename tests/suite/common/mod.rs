//! Test helpers: start the real server on a free port with its own SQLite file, copy
//! catalogues, and run the `guichet` binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::config::{DatabaseConfig, DispatchConfig, ServeConfig};
use guichet::startup::Application;
use guichet::store::Store;
use tempfile::TempDir;

pub mod conformance;
pub mod mail;
pub mod python;
pub mod receiver;
pub mod staff;
pub mod uploads;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// A running server and what a test needs to talk to it and look behind it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub data_dir: TempDir,
    /// The database it runs on (to start another instance on the same one).
    pub database_url: String,
    /// The OpenAPI conformance of its API answers, when it runs in this process.
    pub audit: Option<Arc<conformance::Audit>>,
    /// What its handlers share (catalogue, planner…), when it runs in this process: for
    /// the jobs a test runs at an instant it chooses.
    pub state: Option<guichet::web::AppState>,
}

/// A test whose server gave an answer the OpenAPI document does not describe fails.
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(audit) = &self.audit
            && !std::thread::panicking()
        {
            let violations = audit.violations();
            assert!(
                violations.is_empty(),
                "API answers the served OpenAPI document does not describe:\n{}",
                violations.join("\n")
            );
        }
    }
}

/// Reads until the server closes the connection; returns what it sent and how long it took.
/// Fails if the server keeps the connection open for 10 s.
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> (String, Duration) {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut received = Vec::new();
    let result =
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    assert!(
        result.is_ok(),
        "the server kept the connection open for 10 s"
    );
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

/// The first message of an `{errors: [{path, message}]}` answer.
pub fn first_error(body: &serde_json::Value) -> &str {
    body["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {body}"))
}

impl TestApp {
    /// Runs one SQL statement on the app's database, behind its back (to set up a state the
    /// product cannot reach in a test's time, such as a request filed a year ago).
    pub async fn execute_sql(&self, sql: impl Into<String>) {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.into());
        if self.database_url.starts_with("postgres") {
            let mut connection = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut connection).await.unwrap();
        } else {
            let mut connection = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut connection).await.unwrap();
        }
    }

    /// Runs one SQL statement behind the app's back and says whether the database took it
    /// (to show that it refuses some).
    pub async fn try_execute_sql(&self, sql: impl Into<String>) -> Result<(), String> {
        use sqlx::Connection;
        let sql = sqlx::AssertSqlSafe(sql.into());
        let result = if self.database_url.starts_with("postgres") {
            let mut connection = sqlx::PgConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut connection).await.map(|_| ())
        } else {
            let mut connection = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut connection).await.map(|_| ())
        };
        result.map_err(|e| e.to_string())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GETs a page and returns its body.
    pub async fn get_text(&self, path: &str) -> String {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// GETs a JSON document.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn count(&self) -> u64 {
        self.store.count_requests().await.expect("count requests")
    }
}

/// The database a test runs on: a fresh SQLite file in `data_dir`, or, when
/// `TEST_DATABASE_URL` names a PostgreSQL server, a fresh database created on it for this
/// test alone (so tests run in parallel).
pub fn test_database(data_dir: &Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => fresh_postgres_database(&server),
        _ => format!("sqlite://{}", data_dir.join("guichet.db").display()),
    }
}

/// Whether the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// How long a test database is kept: the next run on the server drops the older ones. Long
/// enough for any one test to finish (a database still open is never dropped, one closed
/// between two servers of the same test could be) and to look into a failure just after;
/// short enough that a developer's runs, about 250 databases of some 8 MB each, do not
/// pile up.
const KEEP_TEST_DATABASES: Duration = Duration::from_secs(15 * 60);

/// A test database's name says when it was made (`guichet_test_<unix seconds>_<uuid>`).
fn test_database_name() -> String {
    let made = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("guichet_test_{made}_{}", uuid::Uuid::new_v4().simple())
}

/// Whether a database left on the server by an earlier run can go: it was made by a test
/// more than [`KEEP_TEST_DATABASES`] ago, or by a test that did not write the time in the
/// name.
fn stale_test_database(name: &str, now: u64) -> bool {
    let Some(rest) = name.strip_prefix("guichet_test_") else {
        return false;
    };
    match rest
        .split_once('_')
        .and_then(|(made, _)| made.parse::<u64>().ok())
    {
        Some(made) => made + KEEP_TEST_DATABASES.as_secs() < now,
        None => true,
    }
}

/// Drops earlier runs' stale test databases, once per test process and in the background
/// (each test makes its own database, and a suite makes about 250): a developer's server
/// does not fill up however often the suite runs.
fn sweep_stale_test_databases(server: &str) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let server = server.to_owned();
        on_own_thread(async move {
            use sqlx::Connection;
            let Ok(mut connection) = sqlx::PgConnection::connect(&server).await else {
                return;
            };
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'guichet\\_test\\_%'",
            )
            .fetch_all(&mut connection)
            .await
            .unwrap_or_default();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            for name in names.iter().filter(|n| stale_test_database(n, now)) {
                let drop = format!("DROP DATABASE IF EXISTS \"{name}\"");
                let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut connection)
                    .await;
            }
        });
    });
}

/// Runs `work` on a thread of its own, with a runtime of its own, so that sync and async
/// tests can both call what uses it.
fn on_own_thread<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work)
    })
}

#[test]
fn only_test_databases_older_than_the_keeping_time_are_stale() {
    let now = 1_800_000_000;
    let kept = KEEP_TEST_DATABASES.as_secs();
    let uuid = "0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f";
    assert!(stale_test_database(
        &format!("guichet_test_{}_{uuid}", now - kept - 1),
        now
    ));
    assert!(!stale_test_database(
        &format!("guichet_test_{}_{uuid}", now - 60),
        now
    ));
    assert!(stale_test_database(&format!("guichet_test_{uuid}"), now));
    assert!(!stale_test_database("guichet", now));
    assert!(!stale_test_database("test", now));
    assert_eq!(
        test_database_name().len(),
        "guichet_test_".len() + 10 + 1 + 32
    );
}

fn fresh_postgres_database(server: &str) -> String {
    use sqlx::Connection;
    sweep_stale_test_databases(server);
    let name = test_database_name();
    let create = format!("CREATE DATABASE {name}");
    let url = server.to_owned();
    on_own_thread(async move {
        let mut connection = sqlx::PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={url} is not reachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(&mut connection)
            .await
            .unwrap();
    })
    .join()
    .unwrap();
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

pub fn config(catalogue: &Path, data_dir: &Path) -> ServeConfig {
    ServeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        catalogue: catalogue.to_owned(),
        public_url: None,
        max_json_bytes: 1024 * 1024,
        max_form_bytes: 256 * 1024,
        max_upload_bytes: 25 * 1024 * 1024,
        attachments_dir: data_dir.join("attachments"),
        clamd_socket: None,
        // Off: a test that needs the sweep turns it on or calls it.
        attachments_sweep_secs: 0,
        attachments_grace_secs: 24 * 3600,
        header_timeout_secs: 5,
        request_timeout_secs: 30,
        catalogue_refresh_secs: 0,
        log_format: guichet::telemetry::LogFormat::Text,
        metrics_bind: None,
        database: DatabaseConfig {
            url: test_database(data_dir),
            max_connections: 4,
        },
        dispatch: DispatchConfig {
            mail_url: format!("file://{}", data_dir.join("mail").display()),
            mail_from: "Guichet <ne-pas-repondre@guichet.invalid>".into(),
            mail_digest_minutes: 60,
            webhook_timeout_secs: 2,
            // The tests' webhook receivers listen on loopback.
            webhook_allow_private: true,
            outbox_max_attempts: 4,
            outbox_retry_base_ms: 50,
            outbox_lease_secs: 7,
            outbox_poll_ms: 50,
        },
        proxy: Default::default(),
        // Tests file and look up far more than one person would from one address; the
        // limits are tested on their own (tests/deploy.rs).
        rate_limits: no_rate_limits(),
        oidc: Default::default(),
    }
}

pub fn no_rate_limits() -> guichet::config::RateLimitConfig {
    let off = guichet::config::Rate(None);
    guichet::config::RateLimitConfig {
        limit_submissions: off,
        limit_uploads: off,
        limit_lookups: off,
    }
}

/// The demo territory of the repository.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&repo_root()).await
}

pub async fn spawn_app_with(catalogue: &Path) -> TestApp {
    spawn_app_configured(catalogue, |_| {}).await
}

/// Starts the app after `adjust` has changed its configuration.
pub async fn spawn_app_configured(
    catalogue: &Path,
    adjust: impl FnOnce(&mut ServeConfig),
) -> TestApp {
    let data_dir = TempDir::new().unwrap();
    let mut config = config(catalogue, data_dir.path());
    adjust(&mut config);
    let database_url = config.database.url.clone();
    let app = Application::build(config).await.expect("the app starts");
    let address = format!("http://{}", app.local_addr());
    let state = app.state();
    let store = state.store.clone();
    let audit = Arc::new(conformance::Audit::default());
    let checks = audit.clone();
    let app = app.wrap(move |router| {
        router.layer(axum::middleware::from_fn_with_state(
            checks,
            conformance::check,
        ))
    });
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let document = client
        .get(format!("{address}/api/v1/openapi.json"))
        .send()
        .await
        .expect("the OpenAPI document is served")
        .json()
        .await
        .expect("the OpenAPI document is JSON");
    audit.start(document);
    TestApp {
        address,
        client,
        store,
        data_dir,
        database_url,
        audit: Some(audit),
        state: Some(state),
    }
}

/// Copies a catalogue (territory, definitions, rules) into a fresh folder, then lays each
/// overlay's files over it.
pub fn catalogue_copy(base: &Path, overlays: &[&Path]) -> TempDir {
    let dir = TempDir::new().unwrap();
    copy_catalogue_files(base, dir.path());
    for overlay in overlays {
        copy_catalogue_files(overlay, dir.path());
    }
    dir
}

fn copy_catalogue_files(from: &Path, to: &Path) {
    if from.join("territory.toml").exists() {
        std::fs::copy(from.join("territory.toml"), to.join("territory.toml")).unwrap();
    }
    for sub in ["form-definitions", "rules"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        let Ok(entries) = std::fs::read_dir(from.join(sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(sub).join(entry.file_name())).unwrap();
        }
    }
}

/// The `guichet` binary, as users run it.
pub fn guichet() -> Command {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
}

/// A `guichet serve` process, killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
    /// Its `/metrics` URL, when started with `--metrics-bind`.
    pub metrics: Option<String>,
    /// Where its e-mails go.
    pub mail_dir: TempDir,
    /// What it has logged so far (its stderr, which is also passed through).
    log: Arc<std::sync::Mutex<String>>,
    /// The thread that reads its stderr, to be joined once it exited.
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts `guichet serve` on `database` (a URL, see [`test_database`]).
    pub fn start(catalogue: &Path, database: &str) -> ServerProcess {
        ServerProcess::start_with(catalogue, database, &[])
    }

    /// Starts `guichet serve` with more flags.
    pub fn start_with(catalogue: &Path, database: &str, flags: &[&str]) -> ServerProcess {
        ServerProcess::start_logging(catalogue, database, flags, false)
    }

    /// Starts `guichet serve` with more flags; `verbose` logs at `RUST_LOG=debug` (else
    /// `warn`). Its standard error is a pipe, as under a supervisor or a log shipper.
    pub fn start_logging(
        catalogue: &Path,
        database: &str,
        flags: &[&str],
        verbose: bool,
    ) -> ServerProcess {
        let mail_dir = TempDir::new().unwrap();
        let level = if verbose { "debug,sqlx=info" } else { "warn" };
        let mut child = guichet()
            .args(["serve", "--bind", "127.0.0.1:0", "--catalogue"])
            .arg(catalogue)
            .arg("--database")
            .arg(database)
            // A test may send e-mails elsewhere (`--mail-url` in `flags`).
            .args(
                (!flags.contains(&"--mail-url"))
                    .then(|| {
                        [
                            "--mail-url".to_owned(),
                            format!("file://{}", mail_dir.path().display()),
                        ]
                    })
                    .into_iter()
                    .flatten(),
            )
            // A test may keep attachments elsewhere (`--attachments-dir` in `flags`).
            .args(
                (!flags.contains(&"--attachments-dir"))
                    .then(|| {
                        [
                            "--attachments-dir".to_owned(),
                            mail_dir.path().join("attachments").display().to_string(),
                        ]
                    })
                    .into_iter()
                    .flatten(),
            )
            .args(flags)
            // As in `config`: no per-address limits unless `flags` set them.
            .env("GUICHET_LIMIT_SUBMISSIONS", "off")
            .env("GUICHET_LIMIT_UPLOADS", "off")
            .env("GUICHET_LIMIT_LOOKUPS", "off")
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("guichet serve starts");
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let kept = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                let mut log = kept.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let address = line
            .trim()
            .strip_prefix("Guichet listening on ")
            .unwrap_or_else(|| {
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                let log = log.lock().unwrap().clone();
                panic!("unexpected first line: {line:?}; log:\n{log}")
            })
            .to_owned();
        // The second line, only with `--metrics-bind`.
        let metrics = flags.contains(&"--metrics-bind").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("read the metrics line");
            line.trim()
                .strip_prefix("Guichet metrics on ")
                .unwrap_or_else(|| panic!("unexpected second line: {line:?}"))
                .to_owned()
        });
        ServerProcess {
            child,
            address,
            metrics,
            mail_dir,
            log,
            reader: Some(reader),
        }
    }

    /// How much it has logged so far: a mark for [`ServerProcess::wait_for_log`].
    pub fn log_mark(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Waits up to 10 s for `needle` in what it logged after `mark`; returns that part.
    pub fn wait_for_log(&self, mark: usize, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let since = self.log.lock().unwrap()[mark..].to_owned();
            if since.contains(needle) {
                return since;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not log {needle:?} within 10 s; it logged:\n{since}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {signal}");
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    /// Returns everything it logged.
    pub fn stop(mut self) -> String {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                // Its stderr is closed: the reader has seen every line.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return self.log.lock().unwrap().clone();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server did not stop within 15 s of SIGTERM");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
