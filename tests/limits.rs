//! Slow and oversized clients cannot hold the server: headers and bodies are bounded in
//! time and size.

mod common;

use std::time::Duration;

use common::{fixture, read_until_closed, spawn_app_configured};
use tokio::io::AsyncWriteExt;
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

#[tokio::test]
async fn oversized_headers_are_refused() {
    let app = spawn_app_configured(&fixture("minimal"), |_| {}).await;
    let mut stream = TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap();
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: guichet\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    // The server may close before reading everything; a write error is an answer too.
    let _ = stream.write_all(huge.as_bytes()).await;
    let (response, _) = read_until_closed(&mut stream).await;
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 431"),
        "{response}"
    );
}
