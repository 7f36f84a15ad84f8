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

/// The `georeport` client lists the services, reads a definition and reads requests back,
/// in JSON and in XML; it cannot file, so Python `requests` posts the way GeoReport v2's
/// example does (urlencoded, with lat/long), and georeport reads that request back.
#[tokio::test]
#[ignore = "needs the Python environment of .ci/run (georeport)"]
async fn georeport_reads_services_and_requests_in_json_and_xml() {
    let app = spawn_app().await;
    let key = guichet::domain::Capability::generate();
    app.store
        .create_open311_key(
            "georeport",
            &key.hash(),
            "admin@x",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let root = app.url("/open311/v2");
    let key = key.as_str().to_owned();
    let output =
        tokio::task::spawn_blocking(move || python::run_script(GEOREPORT_SCRIPT, &[&root, &key]))
            .await
            .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    for format in ["json", "xml"] {
        let seen = &seen[format];
        let codes: Vec<&str> = seen["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert!(codes.contains(&"signalement-voirie"), "{format}: {codes:?}");
        assert!(
            seen["attributes"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!("urgence")),
            "{format}: {seen}"
        );
        let request = &seen["request"];
        assert_eq!(request["id"], seen["posted"], "{format}: {seen}");
        assert_eq!(request["status"], "open", "{format}");
        assert_eq!(request["lat"], "44.5003", "{format}");
        assert_eq!(
            request["listed"],
            serde_json::json!([seen["posted"]]),
            "{format}"
        );
        assert_eq!(request["personal"], false, "{format}: {seen}");
    }
}

const GEOREPORT_SCRIPT: &str = r#"
import json, sys
import requests
from georeport import GeoReport

root, key = sys.argv[1], sys.argv[2]
# Posted as GeoReport v2's example does: urlencoded, with lat/long.
answer = requests.post(root + "/requests.json", data={
    "api_key": key,
    "service_code": "signalement-voirie",
    "lat": "44.5003",
    "long": "0.1653",
    "email": "paul.durand@example.org",
    "first_name": "Paul",
    "last_name": "Durand",
    "description": "Une dalle du trottoir est cassée.",
    "attribute[categorie]": "trottoir",
    "attribute[commune]": "marmande",
    "attribute[urgence]": "faible",
})
answer.raise_for_status()
posted = answer.json()[0]["service_request_id"]

seen = {}
for fmt in ("json", "xml"):
    client = GeoReport(root, api_key=key, output_format=fmt)
    services = client.get_service_list()
    definition = client.get_service_definition("signalement-voirie")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    one = client.get_service_request(posted)
    listed = client.get_service_requests(service_request_id=posted)
    if isinstance(listed, dict):
        listed = [listed]
    text = json.dumps([one, listed], ensure_ascii=False)
    seen[fmt] = {
        "posted": posted,
        "codes": [s["service_code"] for s in services],
        "attributes": [a["code"] for a in attributes],
        "request": {
            "id": one["service_request_id"],
            "status": one["status"],
            "lat": str(one["lat"]),
            "listed": [r["service_request_id"] for r in listed],
            "personal": any(p in text for p in ("Durand", "paul.durand", "dalle")),
        },
    }
print(json.dumps(seen))
"#;
