//! The database goes away and comes back: while it is down, requests fail fast with 503 and
//! a plain message (nothing half-written); when it is back, the server recovers by itself.
//!
//! The test runs its own PostgreSQL cluster (initdb in a temporary folder, on a free port),
//! never the shared one, so it needs PostgreSQL's server binaries: it is `#[ignore]`d in a
//! plain `cargo test`, and `.ci/run` runs it with `--ignored`.

use crate::common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{ServerProcess, fixture};
use serde_json::{Value, json};

/// A private PostgreSQL cluster, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn create() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries under /usr/lib/postgresql")
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .expect("initdb");
        let dir = tempfile::TempDir::new().unwrap();
        // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
        run_as_postgres(&format!("chmod 700 {0}", dir.path().display()), dir.path());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data = dir.path().join("data");
        run_as_postgres(
            &format!(
                "{} -D {} -A trust -U postgres --no-sync >/dev/null",
                bin.join("initdb").display(),
                data.display()
            ),
            dir.path(),
        );
        let cluster = Cluster { bin, dir, port };
        cluster.start();
        cluster
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run_as_postgres(
            &format!(
                "{} -D {} -o '{options}' -l {}/log -w -m immediate {action} >/dev/null",
                self.bin.join("pg_ctl").display(),
                data.display(),
                self.dir.path().display()
            ),
            self.dir.path(),
        );
    }

    fn start(&self) {
        self.pg_ctl("start");
    }

    fn stop(&self) {
        self.pg_ctl("stop");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c"])
            .arg(format!(
                "{} -D {}/data -m immediate stop",
                self.bin.join("pg_ctl").display(),
                self.dir.path().display()
            ))
            .output();
    }
}

fn run_as_postgres(command: &str, dir: &Path) {
    let chown = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(chown.success());
    let status = Command::new("su")
        .args(["postgres", "-s", "/bin/sh", "-c", command])
        .status()
        .unwrap();
    assert!(status.success(), "as postgres: {command}");
}

fn submit(
    client: &reqwest::blocking::Client,
    server: &ServerProcess,
) -> reqwest::blocking::Response {
    client
        .post(format!(
            "{}/api/v1/forms/demande/submissions",
            server.address
        ))
        .json(&json!({"categorie": "trou", "commune": "alpha"}))
        .send()
        .unwrap()
}

#[test]
#[ignore = "runs its own PostgreSQL cluster; .ci/run runs it"]
fn the_server_answers_503_while_the_database_is_down_and_recovers() {
    let cluster = Cluster::create();
    let server = ServerProcess::start(&fixture("minimal"), &cluster.url());
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let before = submit(&client, &server);
    assert_eq!(before.status(), 201);
    let created: Value = before.json().unwrap();

    cluster.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let response = submit(&client, &server);
        assert_eq!(response.status(), 503);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "fails fast: {:?}",
            started.elapsed()
        );
        let body: Value = response.json().unwrap();
        assert!(
            common::first_error(&body).contains("momentanément indisponible"),
            "{body}"
        );
    }
    let health = client
        .get(format!("{}/healthz", server.address))
        .send()
        .unwrap();
    assert_eq!(health.status(), 503);

    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = submit(&client, &server);
        if response.status() == 201 {
            break;
        }
        assert_eq!(response.status(), 503);
        assert!(
            Instant::now() < deadline,
            "the server did not recover within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // What was filed before the outage is still there, whole.
    let token = created["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let tracked = client
        .get(format!("{}/api/v1/track/{token}", server.address))
        .send()
        .unwrap();
    assert_eq!(tracked.status(), 200);
    server.stop();
}
