//! Several `guichet serve` processes on one database behave as one service: requests filed
//! on one are tracked on the other, references never collide, and a form version recorded
//! by one is understood by the other. Runs on SQLite (two processes on one file) and, with
//! `TEST_DATABASE_URL`, on PostgreSQL.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{ServerProcess, catalogue_copy, fixture, test_database};
use guichet::config::DatabaseConfig;
use serde_json::{Value, json};

const CLIENTS: usize = 6;
const FILINGS_PER_CLIENT: usize = 30;

fn file(client: &reqwest::blocking::Client, server: &str, details: &str) -> Value {
    let response = client
        .post(format!("{server}/api/v1/forms/demande/submissions"))
        .json(&json!({"categorie": "trou", "commune": "alpha", "details": details}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().unwrap()
}

fn track(client: &reqwest::blocking::Client, server: &str, created: &Value) -> Value {
    let token = created["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let response = client
        .get(format!("{server}/api/v1/track/{token}"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

#[test]
fn two_instances_serve_one_territory() {
    let catalogue_a = catalogue_copy(&fixture("minimal"), &[]);
    // Instance B runs a newer version of the form (as during a rolling deployment).
    let catalogue_b = catalogue_copy(&fixture("minimal"), &[]);
    let definition = catalogue_b.path().join("form-definitions/demande.json");
    let text = std::fs::read_to_string(&definition).unwrap();
    std::fs::write(
        &definition,
        text.replace("Signaler un problème", "Signaler un problème (v2)"),
    )
    .unwrap();

    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let a = ServerProcess::start(catalogue_a.path(), &database);
    let b = ServerProcess::start(catalogue_b.path(), &database);
    let servers = Arc::new([a.address.clone(), b.address.clone()]);

    // Interleave filings on both instances from concurrent clients.
    let workers: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let servers = servers.clone();
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                (0..FILINGS_PER_CLIENT)
                    .map(|i| {
                        let on = (c + i) % 2;
                        (
                            on,
                            file(&client, &servers[on], &format!("client {c}, filing {i}")),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let filed: Vec<(usize, Value)> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();

    let references: HashSet<&str> = filed
        .iter()
        .map(|(_, c)| c["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        references.len(),
        CLIENTS * FILINGS_PER_CLIENT,
        "references never collide"
    );

    // Every request is tracked on the instance that did not file it, with the form version
    // it was filed under, even though that instance serves another version.
    let client = reqwest::blocking::Client::new();
    for (on, created) in &filed {
        let other = &servers[1 - on];
        let tracked = track(&client, other, created);
        assert_eq!(tracked["reference"], created["reference"]);
        assert_eq!(tracked["form"]["version"], created["version"]);
        let expected_title = if *on == 0 {
            "Signaler un problème"
        } else {
            "Signaler un problème (v2)"
        };
        assert_eq!(tracked["form"]["title"], expected_title);
    }
    let versions: HashSet<&str> = filed
        .iter()
        .map(|(_, c)| c["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions.len(),
        2,
        "each instance filed under its own version"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let count = runtime.block_on(async {
        let store = guichet::store::open(&DatabaseConfig {
            url: database.clone(),
            max_connections: 1,
        })
        .await
        .unwrap();
        store.count_requests().await.unwrap()
    });
    assert_eq!(
        count as usize,
        CLIENTS * FILINGS_PER_CLIENT,
        "nothing lost, nothing doubled"
    );
    a.stop();
    b.stop();
}
