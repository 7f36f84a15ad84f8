//! Submissions per second through the pipeline, on the demo catalogue.
//!
//! Run with `cargo bench --bench pipeline` (optimised build). Prints, for each demo form:
//! coerce + validate + route per second in memory; then, for SQLite and (when
//! `BENCH_POSTGRES_URL` names a database) PostgreSQL: filings per second through the store
//! (each one a durable transaction) against the storage ceiling (the same rows in plain
//! INSERTs), and end-to-end HTTP submissions per second with concurrent clients against the
//! real server, with p50 and p99 latencies, against a trivial handler in the same server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/ceiling.rs"]
mod ceiling;
#[path = "support/server.rs"]
mod server;

use guichet::catalogue::{Catalogue, Form};
use guichet::config::DatabaseConfig;
use guichet::domain::{Channel, TrackingToken};
use guichet::intake::{self, coerce};
use guichet::requests::filing;
use guichet::startup::Application;
use serde_json::Value;

const PIPELINE_ITERATIONS: u32 = 20_000;
const STORE_FILINGS: u32 = 500;
const HTTP_FILINGS: u32 = 2_000;
const HTTP_CLIENTS: usize = 8;
const TRIVIAL_REQUESTS: u32 = 40_000;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let catalogue =
        Catalogue::load_strict(&root).unwrap_or_else(|e| panic!("demo catalogue: {e:?}"));
    println!(
        "Guichet pipeline benchmark ({} demo forms)",
        catalogue.forms.len()
    );
    println!(
        "\n1. coerce + validate + route, in memory ({PIPELINE_ITERATIONS} iterations per form)"
    );
    for form in catalogue.forms.values() {
        let example = first_example(form);
        let posted = coerce::Posted::from_pairs(form_pairs(&example, ""));
        assert_eq!(
            coerce::coerce(&form.fields, &posted),
            example,
            "{}: the example survives the HTML round trip",
            form.id
        );
        let started = Instant::now();
        for _ in 0..PIPELINE_ITERATIONS {
            let data = coerce::coerce(&form.fields, &posted);
            let accepted = intake::accept(&catalogue, form, data, None, Channel::Web)
                .expect("the example is valid");
            std::hint::black_box(accepted);
        }
        report(&form.id, PIPELINE_ITERATIONS, started.elapsed());
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let data_dir = tempfile::TempDir::new().unwrap();
    let mut backends = vec![(
        "SQLite",
        sqlite_url(data_dir.path(), "store.db"),
        sqlite_url(data_dir.path(), "http.db"),
    )];
    match std::env::var("BENCH_POSTGRES_URL") {
        Ok(url) => backends.push(("PostgreSQL", url.clone(), url)),
        Err(_) => println!("\n(set BENCH_POSTGRES_URL=postgres://… to measure PostgreSQL too)"),
    }
    for (backend, store_url, http_url) in backends {
        runtime.block_on(store_and_http(
            &catalogue, &root, backend, store_url, http_url,
        ));
    }
}

/// Filings through the store alone, then through the HTTP server, on one database.
async fn store_and_http(
    catalogue: &Catalogue,
    root: &Path,
    backend: &str,
    store_url: String,
    http_url: String,
) {
    println!(
        "\n2. {backend}: validate + route + file, one client (one durable transaction each, {STORE_FILINGS} filings)"
    );
    let raw_url = store_url.clone();
    let store = guichet::store::open(&DatabaseConfig {
        url: store_url,
        max_connections: 4,
    })
    .await
    .unwrap();
    let form = catalogue
        .form("remplacement-bac")
        .expect("the bin form")
        .clone();
    let example = first_example(&form);
    let shared = Arc::new(Catalogue::load_strict(root).unwrap());
    let started = Instant::now();
    for _ in 0..STORE_FILINGS {
        let accepted =
            intake::accept(catalogue, &form, example.clone(), None, Channel::Api).unwrap();
        let token = TrackingToken::generate();
        // The real plan: the citizen's receipt and the service's e-mail go to the outbox.
        let planner = guichet::dispatch::planner(
            shared.clone(),
            "http://guichet.invalid".into(),
            Some(format!("http://guichet.invalid/suivi/{}", token.as_str())),
            60,
        );
        filing::file(
            &store,
            &form,
            accepted,
            token,
            filing::Filer::named("bench"),
            planner,
        )
        .await
        .unwrap();
    }
    let full = started.elapsed();
    report("remplacement-bac", STORE_FILINGS, full);
    ceiling::compare(&raw_url, STORE_FILINGS, full).await;

    println!(
        "\n3. {backend}: HTTP POST /api/v1/forms/remplacement-bac/submissions, {HTTP_CLIENTS} concurrent clients on loopback ({HTTP_FILINGS} filings)"
    );
    let mail_dir = tempfile::TempDir::new().unwrap().keep();
    // The defaults, with e-mails written to a temporary folder (the demo form sends a
    // receipt when the example has an address: the outbox is part of each filing).
    let app = Application::build(server::config(root, &http_url, &mail_dir, 1_000))
        .await
        .unwrap();
    let url = format!(
        "http://{}/api/v1/forms/remplacement-bac/submissions",
        app.local_addr()
    );
    tokio::spawn(app.run_until_stopped());
    // First the same clients against a handler that does nothing (GET /livez answers "ok"):
    // what the HTTP stack, the middleware and the load generator cost on their own. It runs
    // first, before the outbox worker has e-mails to deliver.
    let trivial = url.replace("/api/v1/forms/remplacement-bac/submissions", "/livez");
    let (elapsed, latencies) = hammer(trivial, None, 200, TRIVIAL_REQUESTS).await;
    report("trivial handler", latencies.len() as u32, elapsed);
    print_latencies(&latencies);
    let trivial_rate = f64::from(TRIVIAL_REQUESTS) / elapsed.as_secs_f64();
    let body = Arc::new(example.to_string());
    let (elapsed, latencies) = hammer(url.clone(), Some(body), 201, HTTP_FILINGS).await;
    report("end to end", latencies.len() as u32, elapsed);
    print_latencies(&latencies);
    let submissions = f64::from(HTTP_FILINGS) / elapsed.as_secs_f64();
    println!(
        "  submissions / trivial     {:>10.3}  (a filing costs the server 1/ratio trivial requests)",
        submissions / trivial_rate
    );
}

/// `total` requests from `HTTP_CLIENTS` concurrent clients: POST `body` when given,
/// GET otherwise. Returns the wall time and the sorted latencies.
async fn hammer(
    url: String,
    body: Option<Arc<String>>,
    status: u16,
    total: u32,
) -> (Duration, Vec<Duration>) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let workers: Vec<_> = (0..HTTP_CLIENTS)
        .map(|_| {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for _ in 0..total / HTTP_CLIENTS as u32 {
                    let sent = Instant::now();
                    let request = match &body {
                        Some(body) => client
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.to_string()),
                        None => client.get(&url),
                    };
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status().as_u16(), status);
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
    (elapsed, latencies)
}

fn print_latencies(latencies: &[Duration]) {
    let percentile =
        |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(0.50)),
        ms(percentile(0.99))
    );
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}", dir.join(name).display())
}

fn first_example(form: &Form) -> Value {
    form.examples
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("{} has no example", form.id))
}

/// The example as an HTML form would post it.
fn form_pairs(value: &Value, prefix: &str) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                form_pairs(
                    v,
                    &if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    },
                )
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(|v| form_pairs(v, prefix)).collect(),
        Value::String(s) => vec![(prefix.to_owned(), s.clone())],
        other => vec![(prefix.to_owned(), other.to_string())],
    }
}

fn report(what: &str, count: u32, elapsed: Duration) {
    println!(
        "  {what:<24} {:>10.0} per second  ({count} in {:.2} s)",
        f64::from(count) / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
