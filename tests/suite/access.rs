//! The access-control matrix: each role × each endpoint (HTML and API) × a request in its
//! scope and one outside it. Every allowed cell succeeds; every denied cell is refused, with
//! 404 where the request must not even be revealed.

use crate::common;

use common::TestApp;
use common::staff::{add_user, api, api_token, events, file_bin_request, login};
use guichet::domain::{Reference, Role, Status};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A voirie request in Tonneins, filed through the public API.
async fn file_road_request(app: &TestApp) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/forms/signalement-voirie/submissions"))
        .json(&json!({
            "categorie": "nid-de-poule",
            "commune": "tonneins",
            "localisation": "Avenue de Bordeaux",
            "description": "Un trou sur la chaussée.",
            "urgence": "moyenne"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    body["reference"].as_str().unwrap().to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// 2xx or a redirect back to the page.
    Allowed,
    /// Visible but not theirs to change: 403.
    Forbidden,
    /// Not revealed: 404.
    Hidden,
}

fn expect_of(status: StatusCode) -> Option<Expect> {
    match status {
        s if s.is_success() || s == StatusCode::SEE_OTHER => Some(Expect::Allowed),
        StatusCode::FORBIDDEN => Some(Expect::Forbidden),
        StatusCode::NOT_FOUND => Some(Expect::Hidden),
        _ => None,
    }
}

/// The other queue of the same service, so a transfer keeps the request in scope.
fn sibling_queue(queue: &str) -> &'static str {
    match queue {
        "dechets-bacs" => "dechets-encombrants",
        "dechets-encombrants" => "dechets-bacs",
        "voirie-agglo" => "voirie-eclairage",
        "voirie-eclairage" => "voirie-agglo",
        other => panic!("unexpected queue {other}"),
    }
}

/// A status change the request's current status allows, that keeps it open.
fn next_status(status: Status) -> &'static str {
    match status {
        Status::Received | Status::WaitingForCitizen => "in_progress",
        Status::InProgress => "waiting_for_citizen",
        other => panic!("unexpected status {other}"),
    }
}

#[tokio::test]
async fn every_role_endpoint_and_scope() {
    let app = common::spawn_app().await;
    let (bins, _) = file_bin_request(&app, "marmande").await; // environnement, Marmande
    let road = file_road_request(&app).await; // voirie, Tonneins

    // (account, role, services, communes, the request in its scope, the one outside)
    let accounts = [
        (
            "admin@vdg.example.org",
            Role::Admin,
            vec![],
            vec![],
            Some(bins.clone()),
            None,
        ),
        (
            "env@vdg.example.org",
            Role::Agent,
            vec!["environnement"],
            vec![],
            Some(bins.clone()),
            Some(road.clone()),
        ),
        (
            "voirie@vdg.example.org",
            Role::Agent,
            vec!["voirie"],
            vec![],
            Some(road.clone()),
            Some(bins.clone()),
        ),
        (
            "elu.marmande@vdg.example.org",
            Role::Elu,
            vec![],
            vec!["marmande"],
            Some(bins.clone()),
            Some(road.clone()),
        ),
        (
            "elu.tonneins@vdg.example.org",
            Role::Elu,
            vec![],
            vec!["tonneins"],
            Some(road.clone()),
            Some(bins.clone()),
        ),
        (
            "designer@vdg.example.org",
            Role::Designer,
            vec!["environnement"],
            vec![],
            None,
            Some(bins.clone()),
        ),
    ];

    let mut cells = 0;
    for (email, role, services, communes, own, other) in &accounts {
        let user = add_user(&app, email, *role, services, communes).await;
        let browser = login(&app, email).await;
        let token = api_token(&app, &user).await;
        let handles = matches!(role, Role::Admin | Role::Agent);

        for (reference, in_scope) in [(own, true), (other, false)] {
            let Some(reference) = reference else { continue };
            let stored = app
                .store
                .request_by_reference(&Reference::parse(reference).unwrap())
                .await
                .unwrap()
                .unwrap();
            let read = if in_scope {
                Expect::Allowed
            } else {
                Expect::Hidden
            };
            let write = match (in_scope, handles) {
                (false, _) => Expect::Hidden,
                (true, true) => Expect::Allowed,
                (true, false) => Expect::Forbidden,
            };
            let queue_listing = if in_scope && handles {
                Expect::Allowed
            } else {
                Expect::Hidden
            };
            let path = format!("/bureau/demandes/{reference}");
            let before = events(&app, reference).await.len();
            let mut writes = 0;

            let mut check = |what: &str, status: StatusCode, expected: Expect| {
                assert_eq!(
                    expect_of(status),
                    Some(expected),
                    "{email} ({role}) {what} on {reference} (in scope: {in_scope}) answered {status}"
                );
                cells += 1;
            };

            // HTML
            check("GET page", browser.get(&app, &path).await.0, read);
            check(
                "GET report",
                browser.get(&app, &format!("{path}/compte-rendu")).await.0,
                read,
            );
            check(
                "GET queue",
                browser
                    .get(&app, &format!("/bureau/files/{}", stored.queue))
                    .await
                    .0,
                queue_listing,
            );
            let (status, _) = browser
                .act(&app, reference, "note", &[("text", "note HTML")])
                .await;
            check("POST note", status, write);
            writes += usize::from(write == Expect::Allowed);
            let (status, _) = browser.act(&app, reference, "take", &[]).await;
            check("POST take", status, write);

            // API
            check(
                "API GET request",
                api(
                    &app,
                    &token,
                    Method::GET,
                    &format!("/requests/{reference}"),
                    None,
                )
                .await
                .0,
                read,
            );
            let (status, body) = api(
                &app,
                &token,
                Method::GET,
                &format!("/queues/{}/requests", stored.queue),
                None,
            )
            .await;
            check("API GET queue", status, queue_listing);
            if status.is_success() {
                assert!(
                    body["requests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["reference"] == reference.as_str())
                );
            }
            let (status, _) = api(
                &app,
                &token,
                Method::POST,
                &format!("/requests/{reference}/notes"),
                Some(json!({"text": "note API"})),
            )
            .await;
            check("API POST note", status, write);
            writes += usize::from(write == Expect::Allowed);
            let current = app
                .store
                .request_by_reference(&Reference::parse(reference).unwrap())
                .await
                .unwrap()
                .unwrap();
            let (status, _) = api(
                &app,
                &token,
                Method::POST,
                &format!("/requests/{reference}/status"),
                Some(json!({"status": next_status(current.status)})),
            )
            .await;
            check("API POST status", status, write);
            let (status, _) = api(
                &app,
                &token,
                Method::POST,
                &format!("/requests/{reference}/transfer"),
                Some(json!({"queue": sibling_queue(&current.queue), "reason": "matrice"})),
            )
            .await;
            check("API POST transfer", status, write);

            if write != Expect::Allowed {
                assert_eq!(
                    events(&app, reference).await.len(),
                    before,
                    "{email}: a refused cell wrote nothing"
                );
            } else {
                assert!(events(&app, reference).await.len() >= before + writes);
            }
        }

        // Élus never see internal notes, in HTML or through the API.
        if *role == Role::Elu {
            let own = own.as_ref().unwrap();
            let (_, page) = browser.get(&app, &format!("/bureau/demandes/{own}")).await;
            assert!(!page.contains("note HTML") && !page.contains("note API"));
            let (_, body) = api(&app, &token, Method::GET, &format!("/requests/{own}"), None).await;
            assert!(
                body["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|e| e["kind"] != "note")
            );
        }
    }
    // Ten endpoints, for 10 (account, request) pairs: four accounts have a request in scope and
    // one outside; the admin has only one in scope, the designer only one outside.
    assert_eq!(cells, 10 * 10);

    // No token, a bad token: 401 with a plain message.
    let (status, body) = api(
        &app,
        "not-a-token",
        Method::GET,
        &format!("/requests/{bins}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("jeton")
    );
    let response = app
        .client
        .get(app.url("/api/v1/queues"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // No session: every back-office page sends to the login page.
    let response = app
        .client
        .get(app.url(&format!("/bureau/demandes/{bins}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/bureau/connexion");
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_tokens() {
    let app = common::spawn_app().await;
    let (bins, _) = file_bin_request(&app, "marmande").await;
    let user = add_user(
        &app,
        "env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let browser = login(&app, "env@vdg.example.org").await;
    let token = api_token(&app, &user).await;
    assert_eq!(
        api(
            &app,
            &token,
            Method::GET,
            &format!("/requests/{bins}"),
            None
        )
        .await
        .0,
        StatusCode::OK
    );

    assert!(
        app.store
            .set_user_disabled(
                "env@vdg.example.org",
                true,
                &guichet::store::staff::AccountActor::now("tests")
            )
            .await
            .unwrap()
    );
    assert_eq!(
        api(
            &app,
            &token,
            Method::GET,
            &format!("/requests/{bins}"),
            None
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(browser.get(&app, "/bureau").await.0, StatusCode::SEE_OTHER);
    let response =
        common::staff::try_login(&app, "env@vdg.example.org", common::staff::PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn queues_page_by_keyset_without_gaps_or_repeats() {
    let app = common::spawn_app().await;
    let user = add_user(
        &app,
        "env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let token = api_token(&app, &user).await;
    let mut filed = Vec::new();
    for i in 0..23 {
        let commune = if i % 2 == 0 { "marmande" } else { "tonneins" };
        filed.push(file_bin_request(&app, commune).await.0);
    }
    // Pages of 5, oldest first: every request once, in filing order.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!("/queues/dechets-bacs/requests?limit=5&after={after}");
        let (status, body) = api(&app, &token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reference"].as_str().unwrap().to_owned()),
        );
        match body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, filed);

    // By due date, filtered by commune, pages of 4.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!(
            "/queues/dechets-bacs/requests?limit=4&sort=due&commune=tonneins&after={}",
            urlencode(&after)
        );
        let (status, body) = api(&app, &token, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["requests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reference"].as_str().unwrap().to_owned()),
        );
        match body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    let tonneins: Vec<String> = filed.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!(seen, tonneins);

    // The counts per status, and garbage cursors refused plainly.
    let (_, body) = api(&app, &token, Method::GET, "/queues", None).await;
    let bins = body["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "dechets-bacs")
        .unwrap()
        .clone();
    assert_eq!(bins["counts"]["received"], 23);
    let (status, body) = api(
        &app,
        &token,
        Method::GET,
        "/queues/dechets-bacs/requests?after=nope",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("première page")
    );
    let (status, _) = api(
        &app,
        &token,
        Method::GET,
        "/queues/dechets-bacs/requests?limit=100000",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn urlencode(text: &str) -> String {
    text.replace(':', "%3A").replace('~', "%7E")
}
