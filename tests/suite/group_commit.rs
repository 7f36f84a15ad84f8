//! Group commit (issue 20): filings sent at once share transactions, and one that fails in a
//! group fails alone. Through the real server, on SQLite and on PostgreSQL.

use crate::common;

use common::{fixture, spawn_app_with};
use guichet::domain::TrackingToken;
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
}
