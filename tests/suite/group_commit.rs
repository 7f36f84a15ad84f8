//! Group commit (issue 20): filings sent at once share transactions, and one that fails in a
//! group fails alone. Through the real server, on SQLite and on PostgreSQL.

use crate::common;

use common::{fixture, spawn_app_with};
use guichet::domain::outbox::{OutboxChannel, OutboxMessage};
use guichet::domain::statistics::FactsOrigin;
use guichet::domain::{Reference, TrackingToken};
use guichet::requests::filing::{Filer, filed_state, new_request, store_request};
use guichet::store::{FiledRequest, Inserted};
use reqwest::header::LOCATION;

/// Distinct requests, each sent twice at the same instant (a double click).
const REQUESTS: usize = 48;

#[tokio::test]
async fn concurrent_filings_share_commits_and_a_duplicate_fails_alone() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let store = app.store.clone();
    let before = store.group_commit().stats();

    let tokens: Vec<TrackingToken> = (0..REQUESTS).map(|_| TrackingToken::generate()).collect();
    let mut sends = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        for copy in 0..2 {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/demarches/demande"),
                token.as_str().to_owned(),
            );
            let details = format!("Lampadaire {i} éteint");
            sends.push(tokio::spawn(async move {
                let response = client
                    .post(url)
                    .form(&[
                        ("_action", "submit"),
                        ("_token", token.as_str()),
                        ("categorie", "lampe"),
                        ("details", details.as_str()),
                        ("commune", "beta"),
                    ])
                    .send()
                    .await
                    .unwrap();
                (
                    i,
                    copy,
                    response.status(),
                    response.headers().get(LOCATION).cloned(),
                )
            }));
        }
    }
    for send in sends {
        let (i, copy, status, location) = send.await.unwrap();
        assert_eq!(status, 303, "request {i}, copy {copy}");
        // Both copies lead to the one tracking page: the duplicate was refused as already
        // filed, whichever group it landed in, and said so without an error.
        assert_eq!(
            location.unwrap().to_str().unwrap(),
            format!("/suivi/{}?recu=1", tokens[i].as_str()),
        );
    }

    // Each request once, complete.
    assert_eq!(app.count().await, REQUESTS as u64);
    for (i, token) in tokens.iter().enumerate() {
        let tracked = store
            .track(&token.hash())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("request {i} was acknowledged, then not stored"));
        assert_eq!(tracked.data["details"], format!("Lampadaire {i} éteint"));
        let stored = store
            .request_by_reference(&tracked.reference)
            .await
            .unwrap()
            .unwrap();
        let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["submitted", "routed"], "request {i}");
    }

    // They were committed in groups: fewer transactions than writes, one holding several.
    let after = store.group_commit().stats();
    let (groups, writes) = (after.groups - before.groups, after.writes - before.writes);
    assert_eq!(
        writes,
        2 * REQUESTS as u64,
        "every copy went through a group"
    );
    assert!(groups < writes, "{groups} groups for {writes} writes");
    assert!(after.largest > 1, "{after:?}");
    // Each refused copy spoilt its group's optimistic pass: the group was written again,
    // guarded, and its neighbours committed all the same (above).
    assert!(after.guarded > before.guarded, "{after:?}");
}

/// A fresh reference that another request holds is refused without spoiling the
/// transaction: the filing draws again in the same transaction, and both requests stand.
#[tokio::test]
async fn a_reference_clash_is_drawn_again_in_the_same_transaction() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let store = app.store.clone();
    let first = filing();
    let receipt = store_request(
        store.as_ref(),
        first,
        std::sync::Arc::new(guichet::dispatch::no_messages),
    )
    .await
    .unwrap();

    let second = filing();
    let now = time::OffsetDateTime::now_utc();
    let (state, _) = filed_state(&second, now);
    let mut tx = store.begin().await.unwrap();
    let clash = tx
        .insert_request(&receipt.reference, &second, &state, now)
        .await
        .unwrap();
    assert!(matches!(clash, Inserted::ReferenceTaken), "{clash:?}");
    let fresh = Reference::generate();
    let inserted = tx
        .insert_request(&fresh, &second, &state, now)
        .await
        .unwrap();
    assert!(matches!(inserted, Inserted::Request(_)), "{inserted:?}");
    tx.commit().await.unwrap();

    assert_eq!(app.count().await, 2);
    let kept = store
        .request_by_reference(&receipt.reference)
        .await
        .unwrap();
    assert!(kept.is_some(), "the first request keeps its reference");
    let second = store.track(&second.tracking_hash).await.unwrap().unwrap();
    assert_eq!(second.reference, fresh);
}

/// A routed filing of the minimal fixture's form, under a fresh tracking link.
fn filing() -> guichet::store::NewRequest {
    let catalogue = guichet::catalogue::Catalogue::load_strict(&fixture("minimal")).unwrap();
    let form = catalogue.form("demande").unwrap();
    let data = serde_json::json!({"categorie": "lampe", "details": "Lampadaire éteint", "commune": "beta"});
    let accepted =
        guichet::intake::accept(&catalogue, form, data, None, guichet::domain::Channel::Web)
            .unwrap();
    new_request(
        form,
        accepted,
        &TrackingToken::generate(),
        Filer::named("citoyen"),
    )
}

/// A whole filing (request, first events, facts, messages) under a reference another request
/// holds writes nothing of itself, and the transaction goes on: the filing drawn again under
/// a fresh reference is written once, with its events, its message and its count.
#[tokio::test]
async fn a_whole_filing_under_a_taken_reference_writes_nothing_and_is_drawn_again() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let store = app.store.clone();
    let receipt = store_request(
        store.as_ref(),
        filing(),
        std::sync::Arc::new(guichet::dispatch::no_messages),
    )
    .await
    .unwrap();

    let second = filing();
    let now = time::OffsetDateTime::now_utc();
    let (state, events) = filed_state(&second, now);
    let first = [("citoyen", &events[0]), ("guichet", &events[1])];
    let origin = FactsOrigin {
        form_id: second.form.form_id.clone(),
        commune: second.commune.as_ref().map(ToString::to_string),
        channel: second.channel.as_str().to_owned(),
        filed_by: None,
    };
    let facts = guichet::requests::facts::filed(origin, &events, now).unwrap();
    let messages = [OutboxMessage {
        channel: OutboxChannel::Email,
        target: "habitant@example.org".into(),
        kind: "receipt".into(),
        payload: serde_json::json!({"reference": "?"}),
        not_before: None,
    }];
    let filed = FiledRequest {
        request: &second,
        state: &state,
        events: &first,
        facts: &facts,
        messages: &messages,
    };
    let mut tx = store.begin().await.unwrap();
    tx.record_form_version(&second.form, now).await.unwrap();
    let clash = tx
        .file_request(&receipt.reference, &filed, now)
        .await
        .unwrap();
    assert_eq!(clash, Inserted::ReferenceTaken);
    let fresh = Reference::generate();
    let inserted = tx.file_request(&fresh, &filed, now).await.unwrap();
    assert!(matches!(inserted, Inserted::Request(_)), "{inserted:?}");
    tx.commit().await.unwrap();

    assert_eq!(app.count().await, 2);
    let stored = store.request_by_reference(&fresh).await.unwrap().unwrap();
    let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["submitted", "routed"]);
    let kept = store
        .request_by_reference(&receipt.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.events.len(),
        2,
        "the first request's history is its own"
    );
    // One message, whatever the worker made of it since.
    let queued: u64 = store
        .outbox_counts()
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(queued, 1);
    // Statistics count each request once.
    assert!(store.requests_without_facts(10).await.unwrap().is_empty());
    let counted: u64 = store
        .monthly_counts()
        .await
        .unwrap()
        .iter()
        .map(|c| c.count)
        .sum();
    assert_eq!(counted, 2);
}
