//! Routing over HTTP: rules decide the queue, and a rule that fails, loops or names an
//! unknown queue still gets the request stored, in the default queue, flagged.

use crate::common;

use common::{catalogue_copy, fixture, spawn_app_with};
use guichet::domain::Reference;
use serde_json::{Value, json};

async fn submit(app: &common::TestApp, data: Value) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/forms/demande/submissions"))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_rule_decides_queue_priority_and_reason() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let created = submit(
        &app,
        json!({"categorie": "lampe", "commune": "beta", "urgent": true}),
    )
    .await;
    assert_eq!(created["queue"], "voirie-urgent");
    let reference = Reference::parse(created["reference"].as_str().unwrap()).unwrap();
    let stored = app
        .store
        .request_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.queue, "voirie-urgent");
    assert_eq!(stored.priority.as_str(), "urgent");
    assert_eq!(stored.routing_reason.as_deref(), Some("Danger signalé"));
    assert_eq!(stored.routing_fallback, None);
    assert_eq!(stored.commune.as_deref(), Some("beta"));
    let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["submitted", "routed"]);
    assert_eq!(stored.events[1].body["reason"], "Danger signalé");
}

async fn assert_falls_back(overlay: &str, why: &str) {
    let catalogue = catalogue_copy(
        &fixture("minimal"),
        &[&fixture(&format!("routing/{overlay}"))],
    );
    let app = spawn_app_with(catalogue.path()).await;
    let started = std::time::Instant::now();
    let created = submit(
        &app,
        json!({"categorie": "trou", "commune": "alpha", "urgent": true}),
    )
    .await;
    // Bounded by the operation limit, not by a timeout: well under a second even unoptimised.
    assert!(
        started.elapsed().as_secs() < 5,
        "{overlay}: took {:?}",
        started.elapsed()
    );
    assert_eq!(
        created["queue"], "voirie-general",
        "{overlay}: the default queue"
    );
    let reference = Reference::parse(created["reference"].as_str().unwrap()).unwrap();
    let stored = app
        .store
        .request_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    let fallback = stored.routing_fallback.unwrap_or_default();
    assert!(
        fallback.contains(why),
        "{overlay}: fallback reason {fallback:?} should mention {why:?}"
    );
    assert_eq!(
        stored.data["categorie"], "trou",
        "{overlay}: the data is kept whole"
    );
    assert_eq!(stored.events[1].body["fallback"], fallback.as_str());
}

#[tokio::test]
async fn an_endless_rule_lands_in_the_default_queue() {
    assert_falls_back("endless-loop", "operations").await;
}

#[tokio::test]
async fn a_rule_building_a_huge_string_lands_in_the_default_queue() {
    assert_falls_back("huge-string", "too large").await;
}

#[tokio::test]
async fn a_rule_naming_an_unknown_queue_lands_in_the_default_queue() {
    assert_falls_back("unknown-queue", "voirie-inexistante").await;
}

#[tokio::test]
async fn a_rule_recursing_without_end_lands_in_the_default_queue() {
    assert_falls_back("recursion", "recursed too deeply").await;
}
