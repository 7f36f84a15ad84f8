//! Taking requests from a queue with several instances at once: each request is taken by
//! exactly one of them. Two stores (two connection pools, as two servers would have) share
//! one database: a SQLite file, or PostgreSQL with `TEST_DATABASE_URL`.

use crate::common;

use std::collections::HashSet;

use common::{repo_root, test_database};
use guichet::catalogue::Catalogue;
use guichet::config::DatabaseConfig;
use guichet::domain::{Channel, TrackingToken};
use guichet::intake;
use guichet::requests::filing;
use guichet::store;

const REQUESTS: usize = 60;
const TAKERS_PER_INSTANCE: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_request_is_taken_by_exactly_one_instance() {
    let dir = tempfile::TempDir::new().unwrap();
    let database = test_database(dir.path());
    let config = DatabaseConfig {
        url: database,
        max_connections: 4,
    };
    let instances = [
        store::open(&config).await.unwrap(),
        store::open(&config).await.unwrap(),
    ];

    let catalogue = Catalogue::load_strict(&repo_root()).unwrap();
    let form = catalogue.form("contact-mairie").unwrap();
    let mut filed = HashSet::new();
    for _ in 0..REQUESTS {
        let accepted = intake::accept(
            &catalogue,
            form,
            form.examples[0].clone(),
            None,
            Channel::Api,
        )
        .unwrap();
        let queue = accepted.decision.queue.clone();
        let (receipt, _) = filing::file(
            &instances[0],
            form,
            accepted,
            TrackingToken::generate(),
            filing::Filer::named("test"),
            guichet::dispatch::no_messages,
        )
        .await
        .unwrap();
        filed.insert((queue, receipt.reference.to_string()));
    }
    let queue = filed.iter().next().unwrap().0.clone();
    assert!(filed.iter().all(|(q, _)| *q == queue), "one queue");

    let takers: Vec<_> = instances
        .iter()
        .flat_map(|instance| (0..TAKERS_PER_INSTANCE).map(move |n| (instance.clone(), n)))
        .map(|(instance, n)| {
            let queue = queue.clone();
            tokio::spawn(async move {
                let mut taken = Vec::new();
                while let Some(reference) = guichet::requests::claim_next(
                    instance.as_ref(),
                    &queue,
                    &format!("agent-{n}"),
                    &guichet::dispatch::no_messages,
                )
                .await
                .unwrap()
                {
                    taken.push(reference.to_string());
                }
                taken
            })
        })
        .collect();
    let mut taken = Vec::new();
    for taker in takers {
        taken.extend(taker.await.unwrap());
    }
    let unique: HashSet<&String> = taken.iter().collect();
    assert_eq!(
        taken.len(),
        REQUESTS,
        "every request taken once: {} takes",
        taken.len()
    );
    assert_eq!(unique.len(), REQUESTS, "no request taken twice");
    assert_eq!(unique, filed.iter().map(|(_, r)| r).collect::<HashSet<_>>());

    for reference in &taken {
        let request = instances[1]
            .request_by_reference(&guichet::domain::Reference::parse(reference).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(request.status.as_str(), "in_progress");
        let changes = request
            .events
            .iter()
            .filter(|e| e.kind == "status_changed")
            .count();
        assert_eq!(changes, 1, "{reference}: one status change");
    }
    assert_eq!(
        guichet::requests::claim_next(
            instances[0].as_ref(),
            &queue,
            "late",
            &guichet::dispatch::no_messages
        )
        .await
        .unwrap(),
        None,
        "the queue is empty"
    );
}
