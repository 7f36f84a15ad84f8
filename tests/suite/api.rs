//! The JSON API over HTTP: the happy path for every demo form, and every kind of bad input
//! answered with the right status, a plain message, and nothing written.

use crate::common;

use common::{first_error, fixture, spawn_app, spawn_app_with};
use guichet::domain::Reference;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

const SUBMIT: &str = "/api/v1/forms/demande/submissions";

#[tokio::test]
async fn every_demo_form_accepts_its_examples_end_to_end() {
    let app = spawn_app().await;
    let list: Value = app.get_json("/api/v1/forms").await;
    let forms = list["forms"].as_array().unwrap();
    assert!(forms.len() >= 4, "the demo has at least four forms: {list}");
    for summary in forms {
        let id = summary["id"].as_str().unwrap();
        let form: Value = app.get_json(&format!("/api/v1/forms/{id}")).await;
        assert_eq!(form["version"], summary["version"]);
        let examples = form["schema"]["examples"]
            .as_array()
            .unwrap_or_else(|| panic!("{id} has examples"));
        assert!(!examples.is_empty(), "{id} has at least one example");
        for example in examples {
            let before = app.count().await;
            let response = app
                .client
                .post(app.url(&format!("/api/v1/forms/{id}/submissions")))
                .json(example)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                201,
                "{id}: {}",
                response.text().await.unwrap()
            );
            let created: Value = response.json().await.unwrap();
            assert_eq!(created["status"], "received");
            assert_eq!(created["version"], form["version"]);
            assert_eq!(app.count().await, before + 1);

            let reference = Reference::parse(created["reference"].as_str().unwrap()).unwrap();
            let stored = app
                .store
                .request_by_reference(&reference)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.form_id, id);
            assert_eq!(
                stored.form_version.as_str(),
                form["version"].as_str().unwrap()
            );
            assert_eq!(&stored.data, example, "{id}: the data is stored as sent");
            assert_eq!(stored.queue, created["queue"].as_str().unwrap());
            assert_eq!(stored.channel, "api");
            assert!(
                stored.routing_fallback.is_none(),
                "{id}: the demo rule decided: {:?}",
                stored.routing_fallback
            );

            // The tracking link works and shows the history.
            let tracking_url = created["tracking_url"].as_str().unwrap();
            let token = tracking_url.rsplit('/').next().unwrap();
            let tracked: Value = app.get_json(&format!("/api/v1/track/{token}")).await;
            assert_eq!(tracked["reference"], created["reference"]);
            assert_eq!(tracked["status"], "received");
            // The citizen sees the filing, not the staff-only routing event.
            let history = tracked["history"].as_array().unwrap();
            assert_eq!(history.len(), 1, "{tracked}");
            assert_eq!(history[0]["kind"], "submitted");
            assert!(!tracked.to_string().contains("reason"), "{tracked}");
        }
    }
}

/// The first error's message.
fn message(errors: &[Value]) -> &str {
    errors[0]["message"].as_str().unwrap()
}

/// Sends a body and checks the status, the error shape and that nothing was stored.
async fn refused(
    app: &common::TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
    status: u16,
) -> Vec<Value> {
    let before = app.count().await;
    let response = app
        .client
        .post(app.url(path))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), status, "for {path}");
    let body: Value = response.json().await.expect("errors are JSON");
    let errors = body["errors"].as_array().expect("{errors: [...]}").clone();
    assert!(!errors.is_empty());
    for error in &errors {
        assert!(error["path"].is_string(), "{error}");
        assert!(
            error["message"].as_str().is_some_and(|m| m.len() > 10),
            "a real message: {error}"
        );
    }
    assert_eq!(app.count().await, before, "nothing written");
    errors
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        b"{\"categorie\": ".to_vec(),
        400,
    )
    .await;
    assert!(message(&errors).contains("mal formé"), "{errors:?}");
}

#[tokio::test]
async fn invalid_utf8_is_400() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        b"{\"categorie\": \"\xff\xfe\"}".to_vec(),
        400,
    )
    .await;
    assert!(
        message(&errors).starts_with("Le JSON envoyé est mal formé (ligne 1, colonne"),
        "{errors:?}"
    );
}

#[tokio::test]
async fn deep_nesting_is_400() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let errors = refused(&app, SUBMIT, "application/json", body.into_bytes(), 400).await;
    assert!(
        message(&errors).starts_with("Le JSON envoyé est mal formé"),
        "{errors:?}"
    );
    assert!(message(&errors).contains("renvoyez"), "{errors:?}");
}

#[tokio::test]
async fn a_wrong_media_type_is_415() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(
        &app,
        SUBMIT,
        "text/plain",
        br#"{"categorie": "trou", "commune": "alpha"}"#.to_vec(),
        415,
    )
    .await;
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
}

#[tokio::test]
async fn an_unknown_form_is_404() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(
        &app,
        "/api/v1/forms/nope/submissions",
        "application/json",
        b"{}".to_vec(),
        404,
    )
    .await;
    assert!(
        message(&errors).contains("Aucun formulaire « nope »"),
        "{errors:?}"
    );
    let response = app
        .client
        .get(app.url("/api/v1/forms/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(first_error(&body).contains("GET /api/v1/forms"), "{body}");
    let response = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert!(
        first_error(&body).contains("n'existe pas dans l'API"),
        "{body}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_413_and_the_connection_closes() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let huge = format!(
        r#"{{"categorie": "trou", "commune": "alpha", "details": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let before = app.count().await;
    let response = app
        .client
        .post(app.url(SUBMIT))
        .header(CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(
        response
            .headers()
            .get("connection")
            .map(|v| v.to_str().unwrap()),
        Some("close")
    );
    let body: Value = response.json().await.unwrap();
    assert!(first_error(&body).contains("trop volumineux"));
    assert_eq!(app.count().await, before);
}

#[tokio::test]
async fn invalid_data_is_422_with_json_pointers() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let body = json!({"categorie": "volcan", "details": "x".repeat(201), "urgent": "oui", "intrus": 1, "commune": "alpha"});
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        body.to_string().into_bytes(),
        422,
    )
    .await;
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    for expected in ["/categorie", "/details", "/urgent", "/intrus"] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    let message = |p: &str| {
        errors.iter().find(|e| e["path"] == p).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message("/categorie").contains("options proposées"));
    assert!(message("/details").contains("200 caractères au maximum"));
    assert!(message("/intrus").contains("n'existe pas"));
}

#[tokio::test]
async fn missing_fields_and_wrong_types_are_422() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(&app, SUBMIT, "application/json", b"{}".to_vec(), 422).await;
    assert!(errors.iter().any(
        |e| e["path"] == "/categorie" && e["message"].as_str().unwrap().contains("obligatoire")
    ));
    for not_an_object in [&b"[1, 2]"[..], b"\"text\""] {
        let errors = refused(
            &app,
            SUBMIT,
            "application/json",
            not_an_object.to_vec(),
            422,
        )
        .await;
        assert!(message(&errors).contains("objet JSON"), "{errors:?}");
    }
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        br#"{"categorie": 12, "commune": "alpha"}"#.to_vec(),
        422,
    )
    .await;
    assert_eq!(errors[0]["path"], "/categorie");
    assert_eq!(message(&errors), "Saisissez un texte.");
}

#[tokio::test]
async fn huge_numbers_and_unknown_communes_are_422() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        br#"{"categorie": "trou", "commune": "alpha", "urgent": 1e400}"#.to_vec(),
        400,
    )
    .await;
    assert!(message(&errors).contains("mal formé"), "{errors:?}");
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        br#"{"categorie": "trou", "commune": "gamma"}"#.to_vec(),
        422,
    )
    .await;
    assert_eq!(errors[0]["path"], "/commune");
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("La commune « gamma » ne fait pas partie du territoire")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn the_page_commune_is_used_when_the_form_has_no_commune_field_value() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let response = app
        .client
        .post(app.url(&format!("{SUBMIT}?commune=zeta")))
        .json(&json!({"categorie": "trou", "commune": "alpha"}))
        .send()
        .await
        .unwrap();
    // The commune field wins over the page's commune.
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn unknown_tracking_tokens_are_404() {
    let app = spawn_app_with(&fixture("minimal")).await;
    for token in ["short", &"A".repeat(43)] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/track/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert!(first_error(&body).contains("lien de suivi"));
    }
}

#[tokio::test]
async fn framework_errors_get_the_same_plain_shape() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let duplicated = app
        .client
        .post(app.url(&format!("{SUBMIT}?commune=alpha&commune=beta")))
        .json(&json!({"categorie": "trou", "commune": "alpha"}))
        .send()
        .await
        .unwrap();
    assert_eq!(duplicated.status(), 400);
    let body: Value = duplicated.json().await.unwrap();
    assert!(first_error(&body).contains("mal formée"), "{body}");

    let wrong_method = app
        .client
        .delete(app.url("/api/v1/forms"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    let body: Value = wrong_method.json().await.unwrap();
    assert!(first_error(&body).contains("pas possible"), "{body}");

    let page = app
        .client
        .delete(app.url("/demarches/demande"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 405);
    assert!(page.text().await.unwrap().contains("<html lang=\"fr\">"));
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn forms_not_meant_for_citizens_do_not_exist_anonymously() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let list: Value = app.get_json("/api/v1/forms").await;
    assert!(!list.to_string().contains("interne"), "{list}");
    assert_eq!(
        app.client
            .get(app.url("/api/v1/forms/interne"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let errors = refused(
        &app,
        "/api/v1/forms/interne/submissions",
        "application/json",
        br#"{"note": "x"}"#.to_vec(),
        404,
    )
    .await;
    assert!(
        message(&errors).contains("Aucun formulaire « interne »"),
        "{errors:?}"
    );
    assert_eq!(
        app.client
            .get(app.url("/demarches/interne"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_flood_of_unknown_fields_gets_a_bounded_answer() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let mut body = serde_json::Map::new();
    for i in 0..50_000 {
        body.insert(format!("k{i}"), json!(i));
    }
    let errors = refused(
        &app,
        SUBMIT,
        "application/json",
        Value::Object(body).to_string().into_bytes(),
        422,
    )
    .await;
    assert!(errors.len() <= 50, "{} errors", errors.len());
    let unknown: Vec<&Value> = errors
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("/k"))
        .collect();
    assert!(!unknown.is_empty(), "{errors:?}");
    for error in unknown {
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("n'existe pas dans ce formulaire"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn answers_are_never_cached() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let created: Value = app
        .client
        .post(app.url(SUBMIT))
        .json(&json!({"categorie": "trou", "commune": "alpha"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    for path in [format!("/api/v1/track/{token}"), format!("/suivi/{token}")] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(
            response.headers()["referrer-policy"],
            "no-referrer",
            "{path}"
        );
    }
}
