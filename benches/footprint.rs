//! The server as an operator sees it: cold start time, and resident memory idle and under
//! load, with the demo catalogue and with 1,000 generated forms.
//!
//! Run with `cargo bench --bench footprint`. It starts the release `guichet serve` binary
//! as a separate process on a fresh SQLite database (or on `BENCH_POSTGRES_URL` when set),
//! and reads its RSS from `/proc` (Linux only).
//!
//! - cold start: from spawning the process to the "listening" line, which is printed after
//!   the catalogue is loaded and checked (every pinned case run) and the database migrated;
//!   median of 5 starts;
//! - idle RSS: 2 s after start;
//! - RSS under load: the peak, sampled every 20 ms, while 8 concurrent clients file 2,000
//!   requests over HTTP (the e-mail worker delivering to a folder meanwhile).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

const STARTS: usize = 5;
const LOAD_FILINGS: usize = 2_000;
const LOAD_CLIENTS: usize = 8;
const GENERATED_FORMS: usize = 1_000;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let generated = generate_catalogue(&root, GENERATED_FORMS);
    let database = std::env::var("BENCH_POSTGRES_URL").ok();
    println!(
        "Guichet footprint benchmark ({} database)",
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for (name, catalogue) in [
        ("demo catalogue (4 forms)", root.as_path()),
        ("1,000 generated forms", generated.path()),
    ] {
        println!("\n{name}");
        let mut starts = Vec::new();
        for _ in 0..STARTS {
            let data = tempfile::TempDir::new().unwrap();
            let (server, took) = Server::start(catalogue, data.path(), database.as_deref());
            starts.push(took);
            server.stop();
        }
        starts.sort();
        println!(
            "  cold start (to listening)  median {:.0} ms, min {:.0} ms, max {:.0} ms",
            ms(starts[STARTS / 2]),
            ms(starts[0]),
            ms(starts[STARTS - 1])
        );

        let data = tempfile::TempDir::new().unwrap();
        let (server, _) = Server::start(catalogue, data.path(), database.as_deref());
        std::thread::sleep(Duration::from_secs(2));
        let idle = rss_kib(server.child.id());
        println!("  RSS idle                   {:.1} MiB", mib(idle));
        let peak = Arc::new(AtomicU64::new(idle));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done, pid) = (peak.clone(), done.clone(), server.child.id());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        let elapsed = load(&server.address, &root);
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        println!(
            "  RSS under load (peak)      {:.1} MiB  ({LOAD_FILINGS} filings from {LOAD_CLIENTS} clients in {:.2} s)",
            mib(peak.load(Ordering::Relaxed)),
            elapsed.as_secs_f64()
        );
        std::thread::sleep(Duration::from_secs(1));
        println!(
            "  RSS after load             {:.1} MiB",
            mib(rss_kib(server.child.id()))
        );
        server.stop();
    }
}

/// The demo catalogue with `count` forms: copies of the four demo forms under new ids and
/// titles (each a distinct version), sharing their rules.
fn generate_catalogue(root: &Path, count: usize) -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::copy(
        root.join("territory.toml"),
        dir.path().join("territory.toml"),
    )
    .unwrap();
    for sub in ["form-definitions", "rules"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    for entry in std::fs::read_dir(root.join("rules")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("rules").join(entry.file_name()),
        )
        .unwrap();
    }
    let mut demo: Vec<(String, Value)> = std::fs::read_dir(root.join("form-definitions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                id,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    demo.sort_by(|a, b| a.0.cmp(&b.0));
    for i in 0..count {
        let (id, definition) = &demo[i % demo.len()];
        let mut definition = definition.clone();
        let rule = definition["x-guichet"]
            .get("rule")
            .cloned()
            .unwrap_or_else(|| Value::String(id.clone()));
        definition["x-guichet"]["rule"] = rule;
        let title = format!("{} (n° {i})", definition["title"].as_str().unwrap());
        definition["title"] = Value::String(title);
        let file = if i < demo.len() {
            format!("{id}.json")
        } else {
            format!("{id}-{i:04}.json")
        };
        std::fs::write(
            dir.path().join("form-definitions").join(file),
            serde_json::to_vec_pretty(&definition).unwrap(),
        )
        .unwrap();
    }
    dir
}

struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(catalogue: &Path, data: &Path, database: Option<&str>) -> (Server, Duration) {
        let database = database.map_or_else(
            || format!("sqlite://{}", data.join("guichet.db").display()),
            str::to_owned,
        );
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .args(["serve", "--bind", "127.0.0.1:0", "--catalogue"])
            .arg(catalogue)
            .arg("--database")
            .arg(&database)
            .arg("--mail-url")
            .arg(format!("file://{}", data.join("mail").display()))
            .arg("--attachments-dir")
            .arg(data.join("attachments"))
            // One loopback client files thousands of requests: no per-address limit (the
            // default, 30 an hour, refused the load after its first 30).
            .args(["--limit-submissions", "off"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("guichet serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let took = started.elapsed();
        let address = line
            .trim()
            .strip_prefix("Guichet listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        (Server { child, address }, took)
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Files `LOAD_FILINGS` bin requests from `LOAD_CLIENTS` threads; returns the wall time.
fn load(address: &str, root: &Path) -> Duration {
    let definition: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("form-definitions/remplacement-bac.json")).unwrap(),
    )
    .unwrap();
    let body = definition["examples"][0].to_string();
    let url = format!("{address}/api/v1/forms/remplacement-bac/submissions");
    let started = Instant::now();
    let threads: Vec<_> = (0..LOAD_CLIENTS)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for _ in 0..LOAD_FILINGS / LOAD_CLIENTS {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .unwrap();
                    assert_eq!(response.status(), 201);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    started.elapsed()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
