//! Open311 GeoReport v2 under `/open311/v2`: discovery, services and their definitions,
//! filing through an application's key (the same path as any filing), public reads that
//! never show personal data, errors in Open311's shape, and the admin page for keys.

use guichet::domain::{Capability, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::staff::{add_user, api, api_token, login};
use crate::common::uploads::{hidden_inputs, review};
use crate::common::{TestApp, spawn_app};

const FORM: &str = "signalement-voirie";
const EMAIL: &str = "paul.durand@example.org";
const DESCRIPTION: &str = "Une dalle du trottoir est cassée, une poussette a failli verser.";

/// A live key for an application, straight in the store.
async fn new_key(app: &TestApp, name: &str) -> String {
    let key = Capability::generate();
    app.store
        .create_open311_key(
            name,
            &key.hash(),
            "admin@x",
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    key.as_str().to_owned()
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let response = app
        .client
        .get(app.url(&format!("/open311/v2/{path}")))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (status, content_type, body) = get(app, path).await;
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    (status, serde_json::from_str(&body).unwrap())
}

/// GETs an XML document and checks it is well-formed XML.
async fn get_xml(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (status, content_type, body) = get(app, path).await;
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    roxmltree::Document::parse(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, body)
}

/// POSTs `requests.{format}` urlencoded, as GeoReport v2 says.
async fn post(app: &TestApp, format: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url(&format!("/open311/v2/requests.{format}")))
        .form(pairs)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// A road report with coordinates, a name, an e-mail and a description.
fn report(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", FORM),
        ("lat", "44.5003"),
        ("long", "0.1653"),
        ("email", EMAIL),
        ("first_name", "Paul"),
        ("last_name", "Durand"),
        ("description", DESCRIPTION),
        ("attribute[categorie]", "trottoir"),
        ("attribute[commune]", "marmande"),
        ("attribute[urgence]", "faible"),
    ]
}

/// Files the report, returns its reference.
async fn file_report(app: &TestApp, key: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = report(key);
    pairs.extend_from_slice(extra);
    let (status, body) = post(app, "json", &pairs).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    body[0]["service_request_id"].as_str().unwrap().to_owned()
}

/// The first error's code and description of an Open311 JSON error answer.
fn first_error(body: &str) -> (u64, String) {
    let errors: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (
        errors[0]["code"].as_u64().unwrap(),
        errors[0]["description"].as_str().unwrap().to_owned(),
    )
}

fn xml_texts(xml: &str, element: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(xml).unwrap();
    document
        .descendants()
        .filter(|n| n.has_tag_name(element))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_and_services_in_json_and_xml() {
    let app = spawn_app().await;
    let (status, discovery) = get_json(&app, "discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], json!(["application/json", "text/xml"]));
    let (_, xml) = get_xml(&app, "discovery.xml").await;
    assert_eq!(xml_texts(&xml, "format"), ["application/json", "text/xml"]);

    let (_, services) = get_json(&app, "services.json").await;
    let road = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == FORM)
        .expect("one service per citizen form");
    assert_eq!(road["service_name"], "Signaler un problème sur la voirie");
    assert_eq!(road["group"], "Voirie et éclairage");
    assert_eq!(road["type"], "realtime");
    assert_eq!(road["metadata"], true);
    assert!(road["keywords"].as_str().unwrap().contains("nid-de-poule"));
    let (_, xml) = get_xml(&app, "services.xml").await;
    assert!(xml_texts(&xml, "service_code").contains(&FORM.to_owned()));

    let (status, definition) = get_json(&app, &format!("services/{FORM}.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(definition["service_code"], FORM);
    let attributes = definition["attributes"].as_array().unwrap();
    let codes: Vec<&str> = attributes
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    // The standard arguments' fields and the photos are not attributes.
    assert_eq!(
        codes,
        [
            "categorie",
            "commune",
            "danger_immediat",
            "urgence",
            "rappel_souhaite"
        ]
    );
    let attribute = |code: &str| attributes.iter().find(|a| a["code"] == code).unwrap();
    assert_eq!(attribute("categorie")["datatype"], "singlevaluelist");
    assert_eq!(attribute("categorie")["required"], true);
    assert_eq!(attribute("categorie")["values"][0]["key"], "nid-de-poule");
    assert_eq!(
        attribute("categorie")["values"][0]["name"],
        "Nid-de-poule, chaussée abîmée"
    );
    let communes = attribute("commune")["values"].as_array().unwrap();
    assert!(
        communes
            .iter()
            .any(|c| c["key"] == "marmande" && c["name"] == "Marmande")
    );
    assert_eq!(
        attribute("danger_immediat")["values"],
        json!([{"key": "true", "name": "Oui"}, {"key": "false", "name": "Non"}])
    );
    assert_eq!(attribute("rappel_souhaite")["required"], false);
    let orders: Vec<u64> = attributes
        .iter()
        .map(|a| a["order"].as_u64().unwrap())
        .collect();
    assert_eq!(orders, [1, 2, 3, 4, 5]);
    let (_, xml) = get_xml(&app, &format!("services/{FORM}.xml")).await;
    assert_eq!(xml_texts(&xml, "code").len(), 5);
    assert!(xml.contains("<values><value><key>nid-de-poule</key>"));
}

#[tokio::test]
async fn unknown_services_requests_and_extensions_are_404_in_open311_shape() {
    let app = spawn_app().await;
    let (status, body) = get_json(&app, "services/inconnu.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body[0]["code"], 404);
    assert!(
        body[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("service_code: ")
    );
    let (status, xml) = get_xml(&app, "services/inconnu.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(xml_texts(&xml, "code"), ["404"]);
    for path in [
        "services.csv",
        "services",
        "requests/GU-AAAA-AAAA.json",
        "autre.json",
    ] {
        let (status, _, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(first_error(&body).0, 404, "{path}");
    }
    // A path under /open311 that no route serves answers in Open311's shape too.
    let (status, xml) = get_xml(&app, "a/b/c.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(xml_texts(&xml, "code"), ["404"]);
    // Élus' and staff's forms are not Open311 services.
    let (_, services) = get_json(&app, "services.json").await;
    for service in services.as_array().unwrap() {
        let id = service["service_code"].as_str().unwrap();
        let (status, _) = get_json(&app, &format!("services/{id}.json")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
    }
}

#[tokio::test]
async fn a_request_posted_with_coordinates_is_filed_like_any_other_and_read_back() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli-agglo").await;
    let (status, body) = post(&app, "json", &report(&key)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let reference = answer[0]["service_request_id"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("GU-"));
    assert_eq!(answer[0]["token"], Value::Null);
    assert_eq!(answer[0]["account_id"], Value::Null);
    assert!(
        answer[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("Voirie")
    );
    assert!(
        answer[0]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/open311/v2/requests/{reference}.json"))
    );
    // The private tracking link is the citizen's, not the application's.
    assert!(!body.contains("/suivi/"), "{body}");

    // Stored like any filing: routed to its queue, the answers at their fields.
    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.queue.as_str(), "voirie-marmande");
    assert_eq!(stored.channel, "api");
    assert_eq!(
        stored.data,
        json!({
            "position": {"latitude": 44.5003, "longitude": 0.1653},
            "email": EMAIL,
            "nom": "Paul Durand",
            "description": DESCRIPTION,
            "categorie": "trottoir",
            "commune": "marmande",
            "urgence": "faible"
        })
    );
    assert_eq!(stored.events[0].actor, "open311:appli-agglo");

    // The outbox got what a filing through the JSON API gets.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{FORM}/submissions")))
        .json(&stored.data)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let twin: Value = response.json().await.unwrap();
    let twin = twin["reference"].as_str().unwrap();
    let messages = |reference: String| {
        let store = app.store.clone();
        async move {
            let mut kinds: Vec<(String, String)> = store
                .list_outbox(&["pending", "delivered", "dead"], 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.payload.to_string().contains(&reference))
                .map(|m| (m.channel.as_str().to_owned(), m.kind))
                .collect();
            kinds.sort();
            kinds
        }
    };
    let ours = messages(reference.clone()).await;
    assert!(!ours.is_empty());
    assert_eq!(ours, messages(twin.to_owned()).await);

    // Read back, in JSON and XML: public fields only.
    let (status, read) = get_json(&app, &format!("requests/{reference}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let request = &read[0];
    assert_eq!(request["service_request_id"], reference.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], FORM);
    assert_eq!(
        request["service_name"],
        "Signaler un problème sur la voirie"
    );
    assert_eq!(request["agency_responsible"], "Voirie et éclairage public");
    assert_eq!(request["lat"], 44.5003);
    assert_eq!(request["long"], 0.1653);
    assert_eq!(request["status_notes"], Value::Null);
    assert!(request["expected_datetime"].is_string());
    assert!(request.get("address").is_none());
    let (_, xml) = get_xml(&app, &format!("requests/{reference}.xml")).await;
    assert_eq!(xml_texts(&xml, "service_request_id"), [reference.as_str()]);
    assert_eq!(xml_texts(&xml, "lat"), ["44.5003"]);
    assert_eq!(xml_texts(&xml, "status"), ["open"]);
    for shown in [read.to_string(), xml] {
        for personal in [EMAIL, "Paul", "Durand", DESCRIPTION] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
    }
}

#[tokio::test]
async fn posting_in_xml_answers_in_xml() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli").await;
    let mut pairs = report(&key);
    pairs.push((
        "address_string",
        "Rue de la Libération, à l'angle de la place",
    ));
    let (status, xml) = post(&app, "xml", &pairs).await;
    assert_eq!(status, StatusCode::CREATED, "{xml}");
    let ids = xml_texts(&xml, "service_request_id");
    assert_eq!(ids.len(), 1);
    assert!(xml.contains("<service_requests><request>"), "{xml}");
    let (_, read) = get_json(&app, &format!("requests/{}.json", ids[0])).await;
    // The typed place is personal (the form does not mark it otherwise): it is stored, not
    // published; the position, marked public, is.
    assert!(read[0].get("address").is_none(), "{read}");
    assert_eq!(read[0]["lat"], 44.5003);
    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&ids[0]).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.data["localisation"],
        "Rue de la Libération, à l'angle de la place"
    );
}

/// A form that marks its typed place public gets it published as `address`.
#[tokio::test]
async fn a_place_marked_public_is_published_as_the_address() {
    let catalogue = crate::common::catalogue_copy(&crate::common::repo_root(), &[]);
    let path = catalogue
        .path()
        .join("form-definitions/signalement-voirie.json");
    let mut form: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    form["properties"]["localisation"]["x-personal"] = json!(false);
    std::fs::write(&path, serde_json::to_string_pretty(&form).unwrap()).unwrap();
    let app = crate::common::spawn_app_with(catalogue.path()).await;
    let key = new_key(&app, "appli").await;
    let reference = file_report(&app, &key, &[("address_string", "Quai du Lot")]).await;
    let (_, read) = get_json(&app, &format!("requests/{reference}.json")).await;
    assert_eq!(read[0]["address"], "Quai du Lot");
    let (_, xml) = get_xml(&app, &format!("requests/{reference}.xml")).await;
    assert_eq!(xml_texts(&xml, "address"), ["Quai du Lot"]);
}

#[tokio::test]
async fn missing_unknown_and_revoked_keys_are_refused_with_403() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli").await;
    let without: Vec<(&str, &str)> = report(&key)
        .into_iter()
        .filter(|(k, _)| *k != "api_key")
        .collect();
    let (status, body) = post(&app, "json", &without).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (code, description) = first_error(&body);
    assert_eq!(code, 403);
    assert!(description.starts_with("api_key: "), "{description}");

    let forged = Capability::generate();
    for bad in ["nimportequoi", forged.as_str()] {
        let mut pairs = report(bad);
        pairs.truncate(pairs.len());
        let (status, body) = post(&app, "json", &pairs).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
        assert!(first_error(&body).1.starts_with("api_key: "));
    }

    let id = app.store.open311_keys().await.unwrap()[0].id.clone();
    assert!(
        app.store
            .revoke_open311_key(&id, time::OffsetDateTime::now_utc())
            .await
            .unwrap()
    );
    let (status, xml) = post(&app, "xml", &report(&key)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(xml_texts(&xml, "code"), ["403"]);
    assert!(xml_texts(&xml, "description")[0].contains("révoquée"));
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn bad_input_names_the_argument_in_open311_shape() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli").await;
    let with = |changes: &[(&'static str, Option<&'static str>)]| {
        let mut pairs: Vec<(&str, &str)> = report(&key)
            .into_iter()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .collect();
        pairs.extend(changes.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
        pairs
    };
    // The arguments sent, the code expected, how the description starts.
    type Case<'a> = (Vec<(&'a str, &'a str)>, u64, &'a str);
    let cases: Vec<Case> = vec![
        (with(&[("lat", Some("abc"))]), 400, "lat: "),
        (with(&[("lat", Some("12.5"))]), 400, "lat: "),
        (
            with(&[("attribute[urgence]", Some("extrême"))]),
            400,
            "attribute[urgence]: ",
        ),
        (
            with(&[("attribute[inconnu]", Some("x"))]),
            400,
            "attribute[inconnu]: ",
        ),
        (
            with(&[("attribute[danger_immediat]", Some("peut-être"))]),
            400,
            "attribute[danger_immediat]: ",
        ),
        (
            with(&[("attribute[categorie]", None)]),
            400,
            "attribute[categorie]: ",
        ),
        (with(&[("description", None)]), 400, "description: "),
        (with(&[("email", Some("pas-une-adresse"))]), 400, "email: "),
        // Neither coordinates nor an address: the address is asked for.
        (
            with(&[("lat", None), ("long", None)]),
            400,
            "address_string: ",
        ),
        (
            with(&[("service_code", Some("inconnu"))]),
            404,
            "service_code: ",
        ),
        (with(&[("service_code", None)]), 400, "service_code: "),
    ];
    for (pairs, code, start) in cases {
        let (status, body) = post(&app, "json", &pairs).await;
        assert_eq!(u64::from(status.as_u16()), code, "{start} {body}");
        let errors: Value = serde_json::from_str(&body).unwrap();
        assert!(
            errors
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["code"] == code
                    && e["description"].as_str().unwrap().starts_with(start)),
            "{start} in {body}"
        );
    }
    // Not urlencoded: refused, in Open311's shape.
    let response = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .json(&json!({"api_key": key}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(first_error(&response.text().await.unwrap()).0, 415);
    // A wrong method is told in Open311's shape too.
    let response = app
        .client
        .delete(app.url("/open311/v2/services.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let xml = response.text().await.unwrap();
    assert_eq!(xml_texts(&xml, "code"), ["405"]);
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn listings_filter_and_never_show_personal_data() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli").await;
    let first = file_report(&app, &key, &[]).await;
    let second = file_report(
        &app,
        &key,
        &[("address_string", "Quai du Lot, troisième lampadaire")],
    )
    .await;
    let ids = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, all) = get_json(&app, "requests.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&all), [second.clone(), first.clone()], "newest first");
    let (_, xml) = get_xml(&app, "requests.xml").await;
    for shown in [all.to_string(), xml] {
        for personal in [EMAIL, "Paul", "Durand", DESCRIPTION] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
    }

    let (_, one) = get_json(&app, &format!("requests.json?service_request_id={first}")).await;
    assert_eq!(ids(&one), [first.as_str()]);
    let (_, both) = get_json(
        &app,
        &format!("requests.json?service_request_id={first},{second}"),
    )
    .await;
    assert_eq!(ids(&both).len(), 2);
    let (_, other) = get_json(&app, "requests.json?service_code=contact-mairie").await;
    assert_eq!(ids(&other).len(), 0);
    let (_, road) = get_json(&app, &format!("requests.json?service_code={FORM}")).await;
    assert_eq!(ids(&road).len(), 2);
    let (_, future) = get_json(&app, "requests.json?start_date=2999-01-01T00:00:00Z").await;
    assert_eq!(ids(&future).len(), 0);
    let (_, past) = get_json(&app, "requests.json?end_date=2000-01-01T00:00:00Z").await;
    assert_eq!(ids(&past).len(), 0);
    let (_, window) = get_json(
        &app,
        "requests.json?start_date=2000-01-01T00:00:00Z&end_date=2999-01-01T00:00:00%2B01:00",
    )
    .await;
    assert_eq!(ids(&window).len(), 2);
    let (status, body) = get_json(&app, "requests.json?start_date=hier").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("start_date: ")
    );

    // Closing one: the status filter follows.
    let admin = add_user(&app, "admin@guichet.test", Role::Admin, &[], &[]).await;
    let token = api_token(&app, &admin).await;
    let (status, body) = api(
        &app,
        &token,
        Method::POST,
        &format!("/requests/{first}/status"),
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, closed) = get_json(&app, "requests.json?status=closed").await;
    assert_eq!(ids(&closed), [first.as_str()]);
    assert_eq!(closed[0]["status"], "closed");
    assert!(closed[0].get("expected_datetime").is_none());
    let (_, open) = get_json(&app, "requests.json?status=open").await;
    assert_eq!(ids(&open), [second.as_str()]);
    let (status, _) = get_json(&app, "requests.json?status=fini").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Anonymised, it is still listed, with the same public fields.
    let (before_status, before) = get_json(&app, &format!("requests/{first}.json")).await;
    assert_eq!(before_status, StatusCode::OK);
    let (status, body) = api(
        &app,
        &token,
        Method::POST,
        &format!("/requests/{first}/erasure"),
        Some(json!({"reason": "demande de l'intéressé"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, after) = get_json(&app, &format!("requests/{first}.json")).await;
    assert_eq!(status, StatusCode::OK);
    for field in [
        "status",
        "lat",
        "long",
        "service_code",
        "requested_datetime",
    ] {
        assert_eq!(after[0][field], before[0][field], "{field}");
    }
}

#[tokio::test]
async fn the_latest_public_note_is_the_status_notes() {
    let app = spawn_app().await;
    let key = new_key(&app, "appli").await;
    let reference = file_report(&app, &key, &[]).await;
    add_user(&app, "agent@guichet.test", Role::Agent, &["voirie"], &[]).await;
    let agent = login(&app, "agent@guichet.test").await;
    // An internal note is never public.
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "note",
            &[("text", "Voir avec Paul Durand")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, read) = get_json(&app, &format!("requests/{reference}.json")).await;
    assert_eq!(read[0]["status_notes"], Value::Null);

    let (status, _) = agent
        .act(
            &app,
            &reference,
            "public_note",
            &[("text", "Intervention prévue la semaine prochaine.")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, read) = get_json(&app, &format!("requests/{reference}.json")).await;
    assert_eq!(
        read[0]["status_notes"],
        "Intervention prévue la semaine prochaine."
    );
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(
        page.contains("Note publique : Intervention prévue"),
        "{page}"
    );

    // Through the staff API, the latest one wins; an empty one is refused.
    let user = app
        .store
        .user_by_email("agent@guichet.test")
        .await
        .unwrap()
        .unwrap();
    let token = api_token(&app, &user).await;
    let (status, body) = api(
        &app,
        &token,
        Method::POST,
        &format!("/requests/{reference}/public_notes"),
        Some(json!({"text": "Trottoir réparé & dalle remplacée."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["events"], json!(["public_note"]));
    let (status, _) = api(
        &app,
        &token,
        Method::POST,
        &format!("/requests/{reference}/public_notes"),
        Some(json!({"text": "  "})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, xml) = get_xml(&app, &format!("requests/{reference}.xml")).await;
    assert_eq!(
        xml_texts(&xml, "status_notes"),
        ["Trottoir réparé & dalle remplacée."]
    );
    assert!(xml.contains("réparé &amp; dalle"));
}

#[tokio::test]
async fn an_admin_creates_and_revokes_a_key_in_the_back_office() {
    let app = spawn_app().await;
    add_user(&app, "admin@guichet.test", Role::Admin, &[], &[]).await;
    add_user(&app, "agent@guichet.test", Role::Agent, &["voirie"], &[]).await;
    let agent = login(&app, "agent@guichet.test").await;
    let (status, _) = agent.get(&app, "/bureau/admin/open311").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let admin = login(&app, "admin@guichet.test").await;
    let (status, page) = admin.get(&app, "/bureau/admin/open311").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Aucune clé"));
    let (status, page) = admin.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("href=\"/bureau/admin/open311\""));

    let (status, page) = admin
        .post(&app, "/bureau/admin/open311", &[("name", "")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Donnez un nom"));

    let (status, page) = admin
        .post(&app, "/bureau/admin/open311", &[("name", "appli-agglo")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let key = page
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the key, shown once")
        .to_owned();
    // Only its hash is stored.
    let keys = app.store.open311_keys().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].created_by, "admin@guichet.test");
    let (_, page) = admin.get(&app, "/bureau/admin/open311").await;
    assert!(page.contains("appli-agglo"));
    assert!(!page.contains(&key), "the key is shown only once");
    assert!(page.contains("jamais"));

    let reference = file_report(&app, &key, &[]).await;
    let (_, page) = admin.get(&app, "/bureau/admin/open311").await;
    assert!(!page.contains("jamais"), "its last use is listed");
    assert!(
        crate::common::staff::events(&app, &reference)
            .await
            .contains(&("submitted".to_owned(), "open311:appli-agglo".to_owned()))
    );

    let (status, _) = admin
        .post(
            &app,
            &format!("/bureau/admin/open311/{}/revocation", keys[0].id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = admin.get(&app, "/bureau/admin/open311").await;
    assert!(page.contains("révoquée le"));
    let (status, _) = post(&app, "json", &report(&key)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin
        .post(
            &app,
            &format!("/bureau/admin/open311/{}/revocation", keys[0].id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_road_form_offers_a_position_and_asks_for_a_place() {
    let app = spawn_app().await;
    let page = app.get_text(&format!("/demarches/{FORM}")).await;
    assert!(page.contains("Position GPS"), "{page}");
    assert!(page.contains("Latitude") && page.contains("Longitude"));
    // Neither a place nor a position, through the JSON API: the place is asked for, in
    // plain French, at its field.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{FORM}/submissions")))
        .json(&json!({
            "categorie": "trottoir", "commune": "marmande", "urgence": "faible",
            "description": "Une dalle est cassée."
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/localisation");
    assert_eq!(
        body["errors"][0]["message"],
        "Ce champ est obligatoire\u{a0}: complétez-le."
    );

    // Through the HTML form: a position typed the French way is enough…
    let form = |with_position: bool| {
        let form = reqwest::multipart::Form::new()
            .text("_action", "review")
            .text("categorie", "trottoir")
            .text("commune", "marmande")
            .text("description", "Une dalle est cassée.")
            .text("urgence", "faible");
        if with_position {
            form.text("position.latitude", "44,5003")
                .text("position.longitude", "0,1653")
        } else {
            form
        }
    };
    let (status, page) = review(&app, form(true)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut fields = hidden_inputs(&page);
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url(&format!("/demarches/{FORM}")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, listed) = get_json(&app, "requests.json").await;
    assert_eq!(listed[0]["lat"], 44.5003);
    assert_eq!(listed[0]["long"], 0.1653);
    // …and without a place or a position, the place is asked for, next to its field.
    let (status, page) = review(&app, form(false)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Ce champ est obligatoire\u{a0}: complétez-le."),
        "{page}"
    );
}

/// Reading requests counts against the look-up limit, like a tracking look-up by reference:
/// past it, a 429 in Open311's shape with Retry-After; the service documents are not counted.
#[tokio::test]
async fn reading_requests_is_rate_limited_like_tracking_lookups() {
    let app = crate::common::spawn_app_configured(&crate::common::repo_root(), |config| {
        config.rate_limits.limit_lookups = "2/min".parse().unwrap();
    })
    .await;
    for _ in 0..3 {
        let (status, _) = get_json(&app, "services.json").await;
        assert_eq!(status, 200, "service documents are not counted");
    }
    let (status, _) = get_json(&app, "requests.json").await;
    assert_eq!(status, 200);
    let (status, _) = get_json(&app, "requests/GU-2026-AAAAAA.json").await;
    assert_eq!(status, 404);
    let response = app
        .client
        .get(app.url("/open311/v2/requests.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let body = response.text().await.unwrap();
    assert!(body.contains("<errors><error><code>429</code>"), "{body}");
    let (status, body) = get_json(&app, "requests/GU-2026-AAAAAA.json").await;
    assert_eq!(status, 429);
    assert_eq!(body[0]["code"], 429, "{body}");
    assert!(
        body[0]["description"]
            .as_str()
            .unwrap()
            .contains("Patientez")
    );
}
