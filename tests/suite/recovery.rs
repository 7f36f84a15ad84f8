//! A lost tracking link found again (`/suivi/retrouver`): each request filed with the
//! address in the last twelve months gets a fresh link by e-mail and the old one stops
//! working; the page answers the same for an unknown address; only the address the citizen
//! gave as theirs counts; and the tracking page shows the citizen's own answers.

use crate::common;

use std::time::Duration;

use common::mail::{mails, wait_for};
use common::staff::{add_user, api, api_token, events};
use common::{TestApp, spawn_app};
use guichet::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const LOST: &str = "perdu.lien@example.org";

/// Files a road report through the API with this e-mail address and description; returns
/// (reference, token).
async fn file_report(app: &TestApp, email: &str, description: &str) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/v1/forms/signalement-voirie/submissions"))
        .json(&json!({
            "categorie": "nid-de-poule",
            "commune": "tonneins",
            "localisation": "Avenue de Bordeaux",
            "description": description,
            "urgence": "moyenne",
            "nom": "Paul Durand",
            "email": email,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let token = body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (body["reference"].as_str().unwrap().to_owned(), token)
}

async fn ask(app: &TestApp, email: &str) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/suivi/retrouver"))
        .form(&[("email", email)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn status_of(app: &TestApp, path: &str) -> StatusCode {
    app.client.get(app.url(path)).send().await.unwrap().status()
}

/// The fresh links sent to `to`, by reference.
fn fresh_links(app: &TestApp, to: &str) -> Vec<(String, String)> {
    let prefix = format!("{}/suivi/", app.address);
    mails(app)
        .into_iter()
        .filter(|m| m.to.contains(to) && m.subject.starts_with("Votre nouveau lien de suivi"))
        .map(|m| {
            let reference = m.subject.rsplit(' ').next().unwrap().to_owned();
            let link = m
                .text
                .split_whitespace()
                .find(|w| w.starts_with(&prefix))
                .unwrap_or_else(|| panic!("a link in {}", m.text))
                .to_owned();
            (reference, link)
        })
        .collect()
}

#[tokio::test]
async fn each_request_filed_with_the_address_gets_a_fresh_link_and_the_old_one_dies() {
    let app = spawn_app().await;
    let (first, first_token) = file_report(&app, LOST, "Un trou sur la chaussée.").await;
    let (second, second_token) = file_report(&app, LOST, "Un autre trou plus loin.").await;
    // Someone else's request that only mentions the address is not theirs to receive.
    let (other, other_token) = file_report(
        &app,
        "voisin@example.org",
        &format!("Signalé aussi par mon voisin {LOST}."),
    )
    .await;
    assert_eq!(
        status_of(&app, &format!("/suivi/{first_token}")).await,
        StatusCode::OK
    );

    // The address as people type it: another case, spaces around.
    let (status, page) = ask(&app, "  Perdu.Lien@Example.org ").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("un nouveau lien de suivi pour chacune vient d'y être envoyé"),
        "{page}"
    );
    wait_for("the two fresh links", Duration::from_secs(10), async || {
        fresh_links(&app, LOST).len() == 2
    })
    .await;
    let mut links = fresh_links(&app, LOST);
    links.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(
        links.iter().map(|(r, _)| r.clone()).collect::<Vec<_>>(),
        expected
    );

    for ((reference, link), old) in links.iter().zip(if first < second {
        [&first_token, &second_token]
    } else {
        [&second_token, &first_token]
    }) {
        let page = app.client.get(link).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{link}");
        let page = page.text().await.unwrap();
        assert!(page.contains(reference.as_str()));
        assert!(
            page.contains("Nouveau lien de suivi envoyé"),
            "the history says so"
        );
        assert_eq!(
            status_of(&app, &format!("/suivi/{old}")).await,
            StatusCode::NOT_FOUND,
            "the old link of {reference} stops working"
        );
        let kinds: Vec<String> = events(&app, reference)
            .await
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            kinds.last().map(String::as_str),
            Some("tracking_renewed"),
            "{kinds:?}"
        );
    }
    // The other request: no renewal, its link works, its owner got only the receipt.
    assert_eq!(
        status_of(&app, &format!("/suivi/{other_token}")).await,
        StatusCode::OK
    );
    assert!(
        !events(&app, &other)
            .await
            .iter()
            .any(|(k, _)| k == "tracking_renewed")
    );
    assert!(fresh_links(&app, "voisin@example.org").is_empty());
}

#[tokio::test]
async fn the_answer_is_the_same_for_an_unknown_address_and_bad_input_is_refused() {
    let app = common::spawn_app_configured(&common::repo_root(), |config| {
        config.rate_limits.limit_lookups = "4/min".parse().unwrap();
    })
    .await;
    file_report(&app, LOST, "Un trou sur la chaussée.").await;
    let (status, known) = ask(&app, LOST).await;
    assert_eq!(status, StatusCode::OK);
    let (status, unknown) = ask(&app, "personne@example.org").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        known.replace(LOST, "X"),
        unknown.replace("personne@example.org", "X")
    );

    for bad in ["pas-une-adresse", ""] {
        let (status, page) = ask(&app, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(
            page.contains("Saisissez l&#39;adresse e-mail")
                || page.contains("Saisissez l'adresse e-mail"),
            "{page}"
        );
        assert!(page.contains("aria-invalid=\"true\""));
    }
    // Past the look-up limit (four asks above), a plain 429 page.
    let (status, page) = ask(&app, LOST).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Patientez"), "{page}");
    // Asking for the page itself is not counted.
    assert_eq!(status_of(&app, "/suivi/retrouver").await, StatusCode::OK);
}

#[tokio::test]
async fn requests_older_than_a_year_or_erased_get_no_link() {
    let app = spawn_app().await;
    let (old, old_token) = file_report(&app, LOST, "Un vieux trou.").await;
    let (erased, _) = file_report(&app, LOST, "Un trou réparé.").await;
    let (recent, _) = file_report(&app, LOST, "Un trou récent.").await;
    if common::on_postgres() {
        app.execute_sql(format!(
            "UPDATE requests SET created_at = now() - interval '400 days' WHERE reference = '{old}'"
        ))
        .await;
    } else {
        app.execute_sql(format!(
            "UPDATE requests SET created_at = '2024-01-01T00:00:00.000000Z' WHERE reference = '{old}'"
        ))
        .await;
    }
    // An admin closes the second and erases its personal data.
    let admin = add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    let token = api_token(&app, &admin).await;
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/requests/{erased}/status"),
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::POST,
        &format!("/requests/{erased}/erasure"),
        Some(json!({"reason": "Demande du citoyen par courrier."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, _) = ask(&app, LOST).await;
    assert_eq!(status, StatusCode::OK);
    wait_for(
        "the recent request's link",
        Duration::from_secs(10),
        async || !fresh_links(&app, LOST).is_empty(),
    )
    .await;
    // The search goes through the requests in filing order: once the most recent one is
    // renewed, the two older ones have been passed over.
    wait_for("the renewal's event", Duration::from_secs(10), async || {
        events(&app, &recent)
            .await
            .iter()
            .any(|(k, _)| k == "tracking_renewed")
    })
    .await;
    let sent: Vec<String> = fresh_links(&app, LOST)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(sent, vec![recent.clone()]);
    for reference in [&old, &erased] {
        assert!(
            !events(&app, reference)
                .await
                .iter()
                .any(|(k, _)| k == "tracking_renewed")
        );
    }
    assert_eq!(
        status_of(&app, &format!("/suivi/{old_token}")).await,
        StatusCode::OK,
        "the old request's link still works"
    );
}

#[tokio::test]
async fn the_tracking_page_shows_the_citizens_own_answers() {
    let app = spawn_app().await;
    let (_, token) = file_report(&app, LOST, "Un trou d'environ 30 cm.").await;
    let page = app.get_text(&format!("/suivi/{token}")).await;
    assert!(page.contains("Vos réponses"), "{page}");
    // Labels as the form asked, values as the citizen saw them (a choice by its label).
    for expected in [
        "De quoi s&#39;agit-il ?",
        "Nid-de-poule, chaussée abîmée",
        "Décrivez le problème",
        "Un trou d&#39;environ 30 cm.",
        LOST,
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
}
