//! A citizen's acknowledged request is never lost: concurrent clients file requests while
//! the server is killed with SIGKILL mid-load, then restarted; every request acknowledged
//! with 201 must be there, complete (data, first events, tracking). Several rounds, on
//! SQLite (WAL, `synchronous=FULL`) and, with `TEST_DATABASE_URL`, on PostgreSQL.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{ServerProcess, catalogue_copy, fixture, test_database};
use guichet::config::DatabaseConfig;
use guichet::domain::Reference;
use serde_json::{Value, json};

const ROUNDS: usize = 3;
const CLIENTS: usize = 4;

/// (reference, details sent, tracking URL) of each request acknowledged with 201.
type Acknowledged = Arc<Mutex<Vec<(String, String, String)>>>;

fn load(
    server: String,
    client_id: usize,
    round: usize,
    stop: Arc<AtomicBool>,
    acknowledged: Acknowledged,
) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let details = format!("round {round}, client {client_id}, request {n}");
        let response = client
            .post(format!("{server}/api/v1/forms/demande/submissions"))
            .json(&json!({"categorie": "trou", "commune": "alpha", "details": details}))
            .send();
        match response {
            Ok(response) if response.status() == 201 => {
                let body: Value = response.json().unwrap();
                acknowledged.lock().unwrap().push((
                    body["reference"].as_str().unwrap().to_owned(),
                    details,
                    body["tracking_url"].as_str().unwrap().to_owned(),
                ));
            }
            // The server died under us: what was not acknowledged may or may not be there.
            _ => break,
        }
    }
}

#[test]
fn acknowledged_requests_survive_kill_9_mid_load() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let acknowledged: Acknowledged = Arc::default();

    for round in 0..ROUNDS {
        let server = ServerProcess::start(catalogue.path(), &database);
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let (address, stop, acknowledged) =
                    (server.address.clone(), stop.clone(), acknowledged.clone());
                std::thread::spawn(move || load(address, id, round, stop, acknowledged))
            })
            .collect();
        // Let the load build up, then kill the server without warning.
        let before = acknowledged.lock().unwrap().len();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while acknowledged.lock().unwrap().len() < before + 20 {
            assert!(
                std::time::Instant::now() < deadline,
                "the server acknowledged nothing"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = std::process::Command::new("kill")
            .args(["-9", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().unwrap();
        }
        drop(server);
    }

    // Restarted, the server has every acknowledged request, complete.
    let server = ServerProcess::start(catalogue.path(), &database);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(guichet::store::open(&DatabaseConfig {
            url: database.clone(),
            max_connections: 2,
        }))
        .unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= ROUNDS * 20);
    for (reference, details, _) in &acknowledged {
        let stored = runtime
            .block_on(store.request_by_reference(&Reference::parse(reference).unwrap()))
            .unwrap()
            .unwrap_or_else(|| panic!("{reference} was acknowledged, then lost"));
        assert_eq!(stored.data["details"], details.as_str());
        let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(&kinds[..2], ["submitted", "routed"], "{reference}");
    }
    // And their citizens' links work.
    let client = reqwest::blocking::Client::new();
    for (reference, _, tracking_url) in acknowledged.iter().step_by(7) {
        let token = tracking_url.rsplit('/').next().unwrap();
        let tracked: Value = client
            .get(format!("{}/api/v1/track/{token}", server.address))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(tracked["reference"], reference.as_str());
    }
    eprintln!(
        "{} acknowledged requests over {ROUNDS} kill -9 rounds, all present",
        acknowledged.len()
    );
    server.stop();
}
