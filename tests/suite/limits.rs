//! Slow and oversized clients cannot hold the server: headers and bodies are bounded in
//! time and size.

use crate::common;

use std::time::Duration;

use common::uploads::html_unescape;
use common::{TestApp, fixture, read_until_closed, spawn_app_configured};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app_configured(&fixture("minimal"), |c| c.header_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: guichet\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, waited) = read_until_closed(&mut stream).await;
    assert!(waited < Duration::from_secs(5), "closed after {waited:?}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_gets_408_and_nothing_is_written() {
    let app = spawn_app_configured(&fixture("minimal"), |c| c.request_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"POST /api/v1/forms/demande/submissions HTTP/1.1\r\nHost: guichet\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"categorie\":")
        .await
        .unwrap();
    let (response, waited) = read_until_closed(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.contains("trop de temps"),
        "a plain message: {response}"
    );
    assert!(waited < Duration::from_secs(5), "answered after {waited:?}");
    assert_eq!(app.count().await, 0);
}

/// The header limit the code documents (`MAX_HEADER_BYTES` in `src/web/mod.rs`, and the
/// README): request line, header lines and the blank line, in bytes.
const HEADER_LIMIT: usize = 64 * 1024;

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads one response head (an interim "100 Continue" or a final answer's status line and
/// headers), for at most 5 s.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !received.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => received.push(byte[0]),
                _ => break,
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer within 5 s: {:?}",
        String::from_utf8_lossy(&received)
    );
    String::from_utf8_lossy(&received).into_owned()
}

/// A route that takes a body, the body's type, and the limit it is held to.
struct Route {
    path: &'static str,
    content_type: &'static str,
    limit: usize,
    /// What the refusal says (HTML unescaped).
    says: &'static str,
    /// Whether an anonymous request reaches the reading of its body, so that a body within
    /// the limit is invited with "100 Continue".
    reads_body: bool,
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data; boundary=limite";
const JSON_LIMIT: usize = 1024 * 1024;
const FORM_LIMIT: usize = 256 * 1024;
const UPLOAD_LIMIT: usize = 25 * 1024 * 1024;

/// Every route that takes a body, at the test configuration's limits (the defaults).
fn routes() -> Vec<Route> {
    let route = |path, content_type, limit, says, reads_body| Route {
        path,
        content_type,
        limit,
        says,
        reads_body,
    };
    let json = "la limite est de 1024 Kio";
    let form = "la limite est de 256 Kio";
    let files = "Les fichiers envoyés sont trop volumineux\u{a0}: 25 Mo au total";
    vec![
        route(
            "/api/v1/forms/demande/submissions",
            JSON,
            JSON_LIMIT,
            json,
            true,
        ),
        route(
            "/api/v1/requests/GU-2026-000001/notes",
            JSON,
            JSON_LIMIT,
            json,
            false,
        ),
        // A form that takes files: the upload limit for multipart, the text one otherwise.
        route("/demarches/demande", FORM, FORM_LIMIT, form, true),
        route("/demarches/demande", MULTIPART, UPLOAD_LIMIT, files, true),
        route("/suivi/jeton/reponse", FORM, FORM_LIMIT, form, true),
        route("/bureau/connexion", FORM, FORM_LIMIT, form, true),
        route("/bureau/deconnexion", FORM, FORM_LIMIT, form, false),
        route("/bureau/mot-de-passe", FORM, FORM_LIMIT, form, false),
        route(
            "/bureau/demandes/GU-2026-000001",
            FORM,
            FORM_LIMIT,
            form,
            false,
        ),
        route("/bureau/atelier", FORM, FORM_LIMIT, form, false),
        route("/bureau/admin/envois/1", FORM, FORM_LIMIT, form, false),
        route(
            "/bureau/elu/demarches/demande",
            FORM,
            FORM_LIMIT,
            form,
            false,
        ),
        route(
            "/bureau/elu/demarches/demande",
            MULTIPART,
            UPLOAD_LIMIT,
            files,
            false,
        ),
        // The builder posts a definition and its rule: a JSON body's size.
        route("/bureau/atelier/demande", FORM, JSON_LIMIT, json, false),
    ]
}

fn asking(route: &Route, length: usize) -> String {
    format!(
        "POST {} HTTP/1.1\r\nHost: guichet\r\nContent-Type: {}\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n\r\n",
        route.path, route.content_type
    )
}

/// A client that asks before sending (`Expect: 100-continue`) a body declared larger than
/// the route takes gets 413 and the plain message at once, never an invitation to send it,
/// and the connection is closed.
#[tokio::test]
async fn a_body_declared_over_its_routes_limit_is_refused_before_it_is_invited() {
    let app = spawn_app_configured(&fixture("minimal"), |_| {}).await;
    for route in routes() {
        let name = format!("{} ({})", route.path, route.content_type);
        let mut stream = connect(&app).await;
        stream
            .write_all(asking(&route, route.limit + 1).as_bytes())
            .await
            .unwrap();
        let (response, _) = read_until_closed(&mut stream).await;
        assert!(
            response.starts_with("HTTP/1.1 413 "),
            "{name}: {}",
            response
                .lines()
                .next()
                .unwrap_or("(closed without an answer)")
        );
        assert!(!response.contains("100 Continue"), "{name}: {response}");
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        let head = head.to_ascii_lowercase();
        assert!(head.contains("\r\nconnection: close\r\n"), "{name}: {head}");
        let is_api = route.path.starts_with("/api/");
        let expected_type = if is_api { JSON } else { "text/html" };
        assert!(
            head.contains(&format!("content-type: {expected_type}")),
            "{name}: {head}"
        );
        assert!(
            html_unescape(body).contains(route.says),
            "{name}: the plain message {:?} in {body}",
            route.says
        );

        // At the limit, the same request is not refused for its size; where the route
        // reads the body, it is invited.
        let mut stream = connect(&app).await;
        stream
            .write_all(asking(&route, route.limit).as_bytes())
            .await
            .unwrap();
        let first = read_head(&mut stream).await;
        assert!(
            !first.starts_with("HTTP/1.1 413"),
            "{name} at the limit: {first}"
        );
        if route.reads_body {
            assert!(
                first.starts_with("HTTP/1.1 100 Continue\r\n"),
                "{name} at the limit: {first}"
            );
        }
    }
    assert_eq!(app.count().await, 0);
}

/// A chunked body declares no length: the route's limit applies as it streams, the same
/// one as for a declared length (the text limit for a urlencoded post to a form that
/// takes files), and the refusal comes as soon as the limit is passed.
#[tokio::test]
async fn a_chunked_body_is_held_to_its_routes_limit_as_it_streams() {
    let app = spawn_app_configured(&fixture("minimal"), |_| {}).await;
    let routes = routes();
    let chunked = [
        &routes[0], // the API, JSON
        &routes[2], // a form that takes files, urlencoded
    ];
    for route in chunked {
        let name = format!("{} ({})", route.path, route.content_type);
        let mut stream = connect(&app).await;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: guichet\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
            route.path, route.content_type
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let first = read_head(&mut stream).await;
        assert!(
            first.starts_with("HTTP/1.1 100 Continue\r\n"),
            "{name}: a body of unknown length is invited: {first}"
        );
        // One byte over the limit, and the body left open: the answer must not wait for
        // its end.
        let chunk = format!(
            "{:x}\r\n{}\r\n",
            route.limit + 1,
            "x".repeat(route.limit + 1)
        );
        let _ = stream.write_all(chunk.as_bytes()).await;
        let (response, waited) = read_until_closed(&mut stream).await;
        assert!(response.starts_with("HTTP/1.1 413 "), "{name}: {response}");
        assert!(
            html_unescape(&response).contains(route.says),
            "{name}: {response}"
        );
        assert!(
            waited < Duration::from_secs(5),
            "{name}: answered after {waited:?}"
        );
    }
    assert_eq!(app.count().await, 0);
}

/// `100-continue` is the only expectation HTTP defines; any other cannot be met and is
/// answered 417 (RFC 9110 §10.1.1) with a plain message, before the body is read.
#[tokio::test]
async fn an_expectation_other_than_100_continue_is_417() {
    let app = spawn_app_configured(&fixture("minimal"), |_| {}).await;
    for (path, expect, json) in [
        ("/api/v1/forms/demande/submissions", "200-ok", true),
        ("/api/v1/forms/demande/submissions", "100-continue, x", true),
        ("/demarches/demande", "100-continue=1", false),
        ("/", "bientot", false),
    ] {
        let mut stream = connect(&app).await;
        let method = if path == "/" { "GET" } else { "POST" };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: guichet\r\nContent-Type: {}\r\nContent-Length: 2\r\nExpect: {expect}\r\n\r\n{{}}",
            if json { JSON } else { FORM }
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let (response, _) = read_until_closed(&mut stream).await;
        assert!(
            response.starts_with("HTTP/1.1 417 "),
            "{path} with Expect: {expect}: {response}"
        );
        assert!(
            html_unescape(&response).contains("seule attente possible"),
            "{path}: {response}"
        );
    }
    assert_eq!(app.count().await, 0);
}

/// Sends `request` on a fresh connection and returns what came back before it closed.
async fn exchange(app: &TestApp, request: &[u8]) -> String {
    let mut stream = connect(app).await;
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream).await.0
}

/// A GET whose head (request line, header lines, blank line) is exactly `size` bytes.
fn head_of_size(size: usize) -> String {
    let fixed = "GET /livez HTTP/1.1\r\nHost: guichet\r\nConnection: close\r\nX-Pad: \r\n\r\n";
    let request = fixed.replace(
        "X-Pad: ",
        &format!("X-Pad: {}", "a".repeat(size - fixed.len())),
    );
    assert_eq!(request.len(), size);
    request
}

/// The documented header limit is the enforced one: a head of exactly 64 KiB is served,
/// one byte more is answered 431 and the connection closed. Likewise 100 header lines.
#[tokio::test]
async fn headers_are_bounded_at_their_documented_limit() {
    let app = spawn_app_configured(&fixture("minimal"), |_| {}).await;
    let served = exchange(&app, head_of_size(HEADER_LIMIT).as_bytes()).await;
    assert!(served.starts_with("HTTP/1.1 200 "), "{served}");
    assert!(served.ends_with("ok"), "{served}");
    let refused = exchange(&app, head_of_size(HEADER_LIMIT + 1).as_bytes()).await;
    assert!(
        refused.starts_with("HTTP/1.1 431 "),
        "{}",
        refused
            .lines()
            .next()
            .unwrap_or("(closed without an answer)")
    );

    let lines = |count: usize| {
        let extra: String = (0..count - 2).map(|i| format!("X-H{i}: v\r\n")).collect();
        format!("GET /livez HTTP/1.1\r\nHost: guichet\r\nConnection: close\r\n{extra}\r\n")
    };
    let served = exchange(&app, lines(100).as_bytes()).await;
    assert!(served.starts_with("HTTP/1.1 200 "), "{served}");
    let refused = exchange(&app, lines(101).as_bytes()).await;
    assert!(
        refused.starts_with("HTTP/1.1 431 "),
        "{}",
        refused
            .lines()
            .next()
            .unwrap_or("(closed without an answer)")
    );
}
