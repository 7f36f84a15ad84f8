//! One access line per request, its request id, and the HTTP metrics.
//!
//! Every request gets an id, sent back in `X-Request-Id` and carried by the request's span,
//! so every line logged while serving it (the access line included) can be found from the
//! header a browser or an API client saw. Lines and metrics name the route template
//! (`/suivi/{token}`), never the path or the query: paths hold tracking tokens, which are
//! capabilities, and queries hold search terms.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client or a proxy.
const MAX_REQUEST_ID: usize = 64;

/// Wraps every route (it is added with `Router::layer`, so routing has run and
/// [`MatchedPath`] is known). Outermost, so the status it logs and counts is the one sent,
/// after the framework's errors were rewritten and timeouts answered.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    // At ERROR level so that the span, and the request id with it, is there whatever
    // `RUST_LOG` lets through: a warning logged at `RUST_LOG=warn` still names its request.
    let span = tracing::error_span!("request", request_id = %id, method, route = %route);
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            duration_ms = elapsed.as_micros() as f64 / 1000.0,
            "request completed"
        );
    });
    metrics::counter!(
        "guichet_http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "guichet_http_request_duration_seconds",
        "method" => method,
        "route" => route
    )
    .record(elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The id a reverse proxy (or a client) sent in `X-Request-Id`, so the proxy's log and ours
/// share it, if it is short and plain (letters, digits, `-`, `_`, `.`): anything else
/// could forge log lines or carry text we do not want in them. Otherwise a new UUIDv7,
/// which sorts by time. Nothing trusts the id beyond correlating lines: a client who picks
/// its own only labels its own requests.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_REQUEST_ID
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The method as a metric label: any token is a valid method, and labels must stay few.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_plain_request_id_is_kept_and_anything_else_replaced() {
        assert_eq!(request_id(&with_id("abc-123_x.y")), "abc-123_x.y");
        let nginx = "0f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f";
        assert_eq!(request_id(&with_id(nginx)), nginx);
        for bad in [
            "",
            "a b",
            "x\"}{\"level\":\"ERROR",
            "jeanne@example.org",
            &"a".repeat(65),
        ] {
            let id = request_id(&with_id(bad));
            assert_ne!(id, bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
        assert!(uuid::Uuid::parse_str(&request_id(&HeaderMap::new())).is_ok());
    }
}
