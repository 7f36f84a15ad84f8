//! A queue's JSON Lines export at scale: `GET /api/v1/queues/{queue}/requests.jsonl` over
//! HTTP from the running server, for a queue of `BENCH_EXPORT_ROWS` requests (default
//! 100,000) on SQLite (and PostgreSQL when `BENCH_POSTGRES_URL` names a database).
//!
//! Run with `cargo bench --bench exports`. It prints the time, the lines per second and the
//! bytes, and the process's resident memory before the export and at its highest during
//! it (sampled every 10,000 lines): the export is streamed page by page, so the second
//! should stay close to the first however long the queue.

use std::time::Instant;

use guichet::config::{DatabaseConfig, ServeConfig};
use guichet::domain::{Capability, Role};
use guichet::startup::Application;
use guichet::store::{self, NewStaffUser};

#[path = "support/fill.rs"]
mod fill;

/// The bin example's answers, as each generated request holds them.
const DATA: &str = r#"{"motif":"taille","type_bac":"ordures-menageres","nombre_residents":4,"nom":"Claire Martin","adresse":{"rue":"Rue de la Libération","commune":"marmande"},"email":"claire.martin@example.org"}"#;

fn main() {
    let rows = fill::rows("BENCH_EXPORT_ROWS", 100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    for (name, url) in fill::backends(dir.path(), "exports.db") {
        runtime.block_on(bench(name, &url, rows, dir.path()));
    }
}

async fn bench(name: &str, url: &str, rows: u64, dir: &std::path::Path) {
    let database = DatabaseConfig {
        url: url.to_owned(),
        max_connections: 4,
    };
    let store = store::open(&database).await.unwrap();
    println!("\n{name}: export of one queue of {rows} requests");
    let started = Instant::now();
    fill::fill(&store, url, rows, DATA).await;
    println!("  generated in {:.1} s", started.elapsed().as_secs_f64());
    let agent = store
        .create_user(
            NewStaffUser {
                email: format!("bench-{}@example.org", name.to_lowercase()),
                name: "Bench".into(),
                role: Role::Agent,
                services: vec!["environnement".parse().unwrap()],
                communes: Vec::new(),
                site_editor: false,
                password_hash: "unused".into(),
            },
            &guichet::store::staff::AccountActor::now("bench"),
        )
        .await
        .unwrap();
    let token = Capability::generate();
    let now = time::OffsetDateTime::now_utc();
    store
        .create_api_token(&guichet::store::staff::NewApiToken {
            user_id: agent.id.clone(),
            token_hash: token.hash(),
            name: "bench".into(),
            created_at: now,
            expires_at: now + time::Duration::days(1),
            can_act: false,
        })
        .await
        .unwrap();
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
    let url = format!(
        "http://{}/api/v1/queues/{}/requests.jsonl",
        app.local_addr(),
        fill::QUEUE
    );
    tokio::spawn(app.run_until_stopped());

    let before = rss_kib();
    let mut peak = before;
    let started = Instant::now();
    let mut response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (mut lines, mut bytes, mut next_sample) = (0u64, 0u64, 10_000u64);
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        if lines >= next_sample {
            peak = peak.max(rss_kib());
            next_sample += 10_000;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    peak = peak.max(rss_kib());
    assert_eq!(
        lines,
        rows + 1,
        "every request (and the one real filing), once"
    );
    println!(
        "  {lines} lines, {:.1} MB in {elapsed:.1} s: {:.0} lines/s",
        bytes as f64 / 1e6,
        lines as f64 / elapsed
    );
    println!(
        "  resident memory: {:.1} MiB before, {:.1} MiB at most during the export (+{:.1} MiB)",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak - before) as f64 / 1024.0
    );
}

/// This process's resident memory (the server runs in it), in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
