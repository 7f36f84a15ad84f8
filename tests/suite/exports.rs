//! A queue's JSON Lines export, through the back office and the staff API: every request of
//! the listing (across several pages of the stream), one JSON object per line with its
//! answers labelled as the citizen saw them, the listing's filters, an access record per
//! request, and no way in for staff outside the queue's service.

use crate::common;

use std::collections::HashSet;

use common::spawn_app;
use common::staff::{add_user, api_token, file_bin_request, login};
use guichet::domain::{Reference, Role};
use reqwest::StatusCode;
use serde_json::Value;

/// More than one page of the stream (it reads 200 requests at a time).
const FILED: usize = 230;
/// Of which this many concern Tonneins, the rest Marmande.
const IN_TONNEINS: usize = 7;

fn lines(body: &str) -> Vec<Value> {
    assert!(body.ends_with('\n'), "every line ends with a newline");
    body.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test]
async fn a_queue_streams_as_json_lines_with_its_filters_and_access_records() {
    let app = spawn_app().await;
    let mut filed = HashSet::new();
    for n in 0..FILED {
        let commune = if n < IN_TONNEINS {
            "tonneins"
        } else {
            "marmande"
        };
        filed.insert(file_bin_request(&app, commune).await.0);
    }
    let agent = add_user(
        &app,
        "agent.env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let browser = login(&app, "agent.env@vdg.example.org").await;
    let (status, page) = browser.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/bureau/files/dechets-bacs/export.jsonl?"),
        "the queue page links the export: {page}"
    );

    let response = app
        .client
        .get(app.url("/bureau/files/dechets-bacs/export.jsonl"))
        .header("cookie", &browser.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/jsonl; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"dechets-bacs-"),
    );
    let all = lines(&response.text().await.unwrap());
    assert_eq!(all.len(), FILED, "every request of the queue, once");
    let references: HashSet<String> = all
        .iter()
        .map(|l| l["reference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(references, filed);
    // The listing's order (oldest first) survives the pages.
    let created: Vec<&str> = all
        .iter()
        .map(|l| l["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let first = &all[0];
    assert_eq!(first["form"]["id"], "remplacement-bac");
    assert_eq!(first["queue"], "dechets-bacs");
    assert_eq!(first["service"], "environnement");
    assert_eq!(first["status"], "received");
    assert_eq!(first["data"]["nombre_residents"], 4);
    let answers = first["answers"].as_array().unwrap();
    assert!(
        answers
            .iter()
            .any(|a| a["label"] == "Nombre de personnes dans le foyer" && a["value"] == "4"),
        "answers carry the labels the citizen saw: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .any(|a| a["label"] == "Nom et prénom" && a["value"] == "Claire Martin"),
        "{answers:?}"
    );

    // Every request in the file has its access record, as the spreadsheet export does.
    for reference in references.iter().take(3) {
        let records = app
            .store
            .access_records(&Reference::parse(reference).unwrap(), 10)
            .await
            .unwrap();
        assert!(
            records
                .iter()
                .any(|r| r.view == "export_jsonl" && r.actor == agent.email),
            "{reference}: {records:?}"
        );
    }

    // The listing's filters apply.
    let (status, body) = browser
        .get(
            &app,
            "/bureau/files/dechets-bacs/export.jsonl?commune=tonneins",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let tonneins = lines(&body);
    assert_eq!(tonneins.len(), IN_TONNEINS);
    assert!(tonneins.iter().all(|l| l["commune"] == "tonneins"));
    let (status, body) = browser
        .get(
            &app,
            "/bureau/files/dechets-bacs/export.jsonl?status=nimporte",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("n&#39;est pas valide") || body.contains("n'est pas valide"));

    // The staff API gives the same lines to a token of the service.
    let token = api_token(&app, &agent).await;
    let response = app
        .client
        .get(app.url("/api/v1/queues/dechets-bacs/requests.jsonl?commune=tonneins"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let through_api = lines(&response.text().await.unwrap());
    assert_eq!(through_api.len(), IN_TONNEINS);
    let by_page: HashSet<&str> = tonneins
        .iter()
        .map(|l| l["reference"].as_str().unwrap())
        .collect();
    assert!(
        through_api
            .iter()
            .all(|l| by_page.contains(l["reference"].as_str().unwrap()))
    );

    // Another service's agent, and an élu, get nothing.
    let other = add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    let other_browser = login(&app, "voirie@vdg.example.org").await;
    let (status, _) = other_browser
        .get(&app, "/bureau/files/dechets-bacs/export.jsonl")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other_token = api_token(&app, &other).await;
    let response = app
        .client
        .get(app.url("/api/v1/queues/dechets-bacs/requests.jsonl"))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let error: Value = response.json().await.unwrap();
    assert!(
        common::first_error(&error).contains("n'existe pas"),
        "{error}"
    );
    add_user(
        &app,
        "elu.marmande@vdg.example.org",
        Role::Elu,
        &[],
        &["marmande"],
    )
    .await;
    let elu = login(&app, "elu.marmande@vdg.example.org").await;
    let (status, _) = elu
        .get(&app, "/bureau/files/dechets-bacs/export.jsonl")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .client
        .get(app.url("/api/v1/queues/dechets-bacs/requests.jsonl"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
