//! The API as outside software sees it, through clients we did not write: the served OpenAPI
//! document checked by `openapi-spec-validator`, and Open311 driven by the `georeport`
//! GeoReport v2 client. They need the Python environment `.ci/run` prepares, so they are
//! `#[ignore]`d: `cargo test --test suite clients:: -- --ignored`.

use crate::common;

use common::{python, spawn_app};
use serde_json::Value;

/// The API's document and each citizen form's, as served, pass `openapi-spec-validator`
/// as OpenAPI 3.1; a document with a fault does not (the validator does look).
#[tokio::test]
#[ignore = "needs the Python environment .ci/run prepares (openapi-spec-validator)"]
async fn the_served_documents_validate_as_openapi_3_1() {
    let app = spawn_app().await;
    let folder = tempfile::TempDir::new().unwrap();
    let validate = |name: &str, document: &Value| {
        let file = folder.path().join(name);
        std::fs::write(&file, serde_json::to_vec_pretty(document).unwrap()).unwrap();
        python::run_tool("openapi-spec-validator", &[file.to_str().unwrap()])
    };

    let document: Value = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    let mut checked = vec![("api".to_owned(), document.clone())];
    let forms: Value = app.get_json("/api/v1/forms").await;
    for form in forms["forms"].as_array().unwrap() {
        let id = form["id"].as_str().unwrap();
        let own: Value = app
            .get_json(&format!("/api/v1/forms/{id}/openapi.json"))
            .await;
        checked.push((id.to_owned(), own));
    }
    assert!(checked.len() >= 5, "the API and the demo's four forms");
    for (name, document) in &checked {
        let output = validate(&format!("{name}.json"), document);
        let said = String::from_utf8_lossy(&output.stdout).into_owned()
            + &*String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{name}: {said}");
        assert!(said.contains("OK"), "{name}: {said}");
    }

    // A response that names a schema the document does not have is refused.
    let mut broken = document;
    broken["paths"]["/forms"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] =
        serde_json::json!({"$ref": "#/components/schemas/Absent"});
    let output = validate("broken.json", &broken);
    assert!(
        !output.status.success(),
        "the validator refuses a dangling reference"
    );
}
