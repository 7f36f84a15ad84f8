//! The API's OpenAPI 3.1 description: what it covers, each form's own document, the
//! conformance check every API answer of the suite goes through, and Swagger UI served from
//! the binary. (The document's validity as OpenAPI 3.1 is checked by an outside validator in
//! `clients.rs`.)

use crate::common;

use axum::http::{Method, StatusCode};
use common::conformance::Conformance;
use common::spawn_app;
use serde_json::{Value, json};

/// Every route of the API, as (method, path relative to `/api/v1`).
const ROUTES: [(&str, &str); 12] = [
    ("get", "/openapi.json"),
    ("get", "/forms"),
    ("get", "/forms/{id}"),
    ("get", "/forms/{id}/openapi.json"),
    ("post", "/forms/{id}/submissions"),
    ("get", "/track/{token}"),
    ("get", "/queues"),
    ("get", "/queues/{queue}/requests"),
    ("get", "/queues/{queue}/requests.jsonl"),
    ("get", "/requests/{reference}"),
    ("get", "/requests/{reference}/attachments/{sha256}"),
    ("post", "/requests/{reference}/{action}"),
];

#[tokio::test]
async fn the_document_describes_every_route_its_errors_and_its_security() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "/api/v1");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "description": "A staff account's API token, created by `guichet user token EMAIL`."})
    );
    let paths = document["paths"].as_object().unwrap();
    let described: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(described, ROUTES.len(), "{:?}", paths.keys());
    let mut ids: Vec<&str> = ROUTES
        .iter()
        .map(|(method, path)| {
            document["paths"][path][method]["operationId"]
                .as_str()
                .unwrap()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique: {ids:?}");
    for (method, path) in ROUTES {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is described");
        let responses = operation["responses"].as_object().unwrap();
        // Every operation says what a malformed request, a wrong method, a slow body, a bug
        // and an outage answer, in the error shape.
        for status in ["400", "405", "408", "417", "500", "503"] {
            assert_eq!(
                responses[status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Errors",
                "{method} {path} {status}"
            );
        }
        let staff = path.starts_with("/queues") || path.starts_with("/requests");
        assert_eq!(
            operation["security"] == json!([{"bearer": []}]),
            staff,
            "{method} {path}: a bearer token exactly on the staff routes"
        );
        if staff {
            assert!(responses.contains_key("401"), "{method} {path} says 401");
        }
    }
    // The submission's refusals, each with the error shape; a 429 says when to retry.
    let submit = &document["paths"]["/forms/{id}/submissions"]["post"]["responses"];
    for status in ["201", "400", "404", "413", "415", "422", "429"] {
        assert!(submit[status].is_object(), "submission {status}");
    }
    assert!(submit["429"]["headers"]["Retry-After"].is_object());
    // Bodies are closed, so an undescribed field is a violation, and they carry examples.
    let schemas = &document["components"]["schemas"];
    for name in [
        "Errors",
        "Created",
        "RequestDetail",
        "QueueEntry",
        "ExportLine",
    ] {
        assert_eq!(
            schemas[name]["additionalProperties"], false,
            "{name} is closed"
        );
    }
    assert_eq!(
        schemas["Created"]["example"]["status"], "received",
        "{}",
        schemas["Created"]
    );
}

#[tokio::test]
async fn each_citizen_form_has_a_document_whose_body_is_its_schema() {
    let app = spawn_app().await;
    let form: Value = app.get_json("/api/v1/forms/remplacement-bac").await;
    let document: Value = app
        .get_json("/api/v1/forms/remplacement-bac/openapi.json")
        .await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["version"], form["version"]);
    let paths = document["paths"].as_object().unwrap();
    assert_eq!(
        paths.keys().collect::<Vec<_>>(),
        ["/forms/remplacement-bac/submissions"]
    );
    let operation = &document["paths"]["/forms/remplacement-bac/submissions"]["post"];
    let media = &operation["requestBody"]["content"]["application/json"];
    assert_eq!(media["schema"], form["schema"], "the exact JSON Schema");
    assert_eq!(media["example"], form["schema"]["examples"][0]);
    // The answers and refusals are the API's, and resolve in the form's document.
    assert_eq!(
        operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Created"
    );
    assert!(document["components"]["schemas"]["Created"].is_object());
    assert!(
        operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["in"] != "path"),
        "the form's id is in its path, not a parameter"
    );

    // The example the document gives is a body the API accepts.
    let response = app
        .client
        .post(app.url("/api/v1/forms/remplacement-bac/submissions"))
        .json(&media["example"])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // An unknown form has none.
    for id in ["inconnu", "remplacement-bac%20"] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/forms/{id}/openapi.json")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{id}");
        let body: Value = response.json().await.unwrap();
        assert!(common::first_error(&body).contains("GET /api/v1/forms"));
    }
}

/// The check every API answer of the suite goes through refuses what the document does not
/// say: a field, a status, a media type, a path.
#[tokio::test]
async fn the_conformance_check_refuses_what_the_document_does_not_say() {
    let app = spawn_app().await;
    let document: Value = app.get_json("/api/v1/openapi.json").await;
    let check = Conformance::new(document);
    let json = Some("application/json");
    let created = json!({
        "reference": "GU-2026-7K3M9Q", "tracking_url": "http://x/suivi/t", "status": "received",
        "queue": "environnement-bacs", "version": "abc",
    });
    let post = |body: &Value, status: StatusCode, media| {
        check.check(
            &Method::POST,
            "/api/v1/forms/remplacement-bac/submissions",
            status,
            media,
            body.to_string().as_bytes(),
        )
    };
    assert_eq!(post(&created, StatusCode::CREATED, json), Ok(()));
    let mut extra = created.clone();
    extra["secret"] = json!("x");
    assert!(
        post(&extra, StatusCode::CREATED, json).is_err(),
        "an undescribed field"
    );
    let mut missing = created.clone();
    missing.as_object_mut().unwrap().remove("reference");
    assert!(
        post(&missing, StatusCode::CREATED, json).is_err(),
        "a missing field"
    );
    assert!(
        post(&created, StatusCode::OK, json).is_err(),
        "an undescribed status"
    );
    assert!(
        post(&created, StatusCode::CREATED, Some("text/html")).is_err(),
        "an undescribed media type"
    );
    let errors = json!({"errors": [{"path": "", "message": "m"}]});
    assert_eq!(
        post(&errors, StatusCode::UNPROCESSABLE_ENTITY, json),
        Ok(())
    );
    assert!(
        post(
            &json!({"errors": [{"message": "m"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            json
        )
        .is_err(),
        "an error without its path"
    );
    // An address the API does not have answers its 404, nothing else.
    let unknown = |status| {
        check.check(
            &Method::GET,
            "/api/v1/nulle-part",
            status,
            json,
            errors.to_string().as_bytes(),
        )
    };
    assert_eq!(unknown(StatusCode::NOT_FOUND), Ok(()));
    assert!(unknown(StatusCode::OK).is_err());
    // A described address with another method answers 405.
    let wrong_method = check.check(
        &Method::DELETE,
        "/api/v1/forms",
        StatusCode::METHOD_NOT_ALLOWED,
        json,
        errors.to_string().as_bytes(),
    );
    assert_eq!(wrong_method, Ok(()));

    // And it runs on this test's own server: these answers were checked.
    let audit = app.audit.clone().unwrap();
    let before = audit.checked();
    let response = app
        .client
        .delete(app.url("/api/v1/forms"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    app.get_json("/api/v1/forms/remplacement-bac").await;
    assert_eq!(audit.checked(), before + 2);
    assert_eq!(audit.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn swagger_ui_renders_the_document_from_files_in_the_binary() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/api/docs/");
    let page = app.get_text("/api/docs/").await;
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");
    assert!(
        !page.contains("https://"),
        "no script or style from a CDN: {page}"
    );
    let initializer = app.get_text("/api/docs/swagger-initializer.js").await;
    assert!(
        initializer.contains("/api/v1/openapi.json"),
        "{initializer}"
    );
    let bundle = app
        .client
        .get(app.url("/api/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.bytes().await.unwrap().len() > 500_000,
        "the whole bundle is served"
    );
}
