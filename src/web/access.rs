//! One access line per request, its request id, and the HTTP metrics.
//!
//! Every request gets an id, sent back in `X-Request-Id` and carried by the request's span,
//! so every line logged while serving it (the access line included) can be found from the
//! header a browser or an API client saw. Lines and metrics name the route template
//! (`/suivi/{token}`), never the path or the query: paths hold tracking tokens, which are
//! capabilities, and queries hold search terms.

use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Span;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a client or a proxy.
const MAX_REQUEST_ID: usize = 64;

/// A request being answered, from before its route to its answer: the first step of
/// `super::envelope` on the way in and its last on the way out, so the status it logs and
/// counts is the one sent, after the framework's errors were rewritten and timeouts
/// answered. Routing happens in between: [`NameRoute`] tells it the route template through
/// the request's [`RouteSlot`], and names it on the request's span for the lines logged
/// while serving.
pub struct Observed {
    started: Instant,
    id: String,
    method: &'static str,
    slot: RouteSlot,
}

impl Observed {
    /// Gives `request` its id and its span, which the rest of the request runs in.
    pub fn start(request: &mut Request) -> (Observed, Span) {
        let started = Instant::now();
        let id = request_id(request.headers());
        let method = method_label(request.method());
        let slot = RouteSlot::default();
        request.extensions_mut().insert(slot.clone());
        // At ERROR level so that the span, and the request id with it, is there whatever
        // `RUST_LOG` lets through: a warning logged at `RUST_LOG=warn` still names its
        // request.
        let span = tracing::error_span!(
            "request",
            request_id = id.as_str(),
            method,
            route = tracing::field::Empty
        );
        let observed = Observed {
            started,
            id,
            method,
            slot,
        };
        (observed, span)
    }

    /// Logs the access line in `span`, counts the request, and sends its id back.
    pub fn finish(self, span: &Span, response: &mut Response) {
        let elapsed = self.started.elapsed();
        let status = response.status().as_u16();
        let route = match self.slot.0.get() {
            Some(route) => route.as_str(),
            None => {
                span.record("route", UNMATCHED);
                UNMATCHED
            }
        };
        span.in_scope(|| {
            tracing::info!(
                status,
                duration_ms = elapsed.as_micros() as f64 / 1000.0,
                "request completed"
            );
        });
        if crate::telemetry::metrics_recorded() {
            metrics::counter!(
                "guichet_http_requests_total",
                "method" => self.method,
                "route" => route.to_owned(),
                "status" => status.to_string()
            )
            .increment(1);
            metrics::histogram!(
                "guichet_http_request_duration_seconds",
                "method" => self.method,
                "route" => route.to_owned()
            )
            .record(elapsed.as_secs_f64());
        }
        if let Ok(value) = HeaderValue::from_str(&self.id) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
    }
}

/// The route label of a request no route matched (the fallback's 404).
const UNMATCHED: &str = "unmatched";

/// Where [`NameRoute`] leaves the matched route template for [`Observed`], which put it in
/// the request's extensions before routing.
#[derive(Clone, Default)]
pub struct RouteSlot(Arc<OnceLock<MatchedPath>>);

/// The one layer on every route (`Router::layer`: routing has run, so [`MatchedPath`] is
/// known): it gives the route template to [`Observed`] and to the request's span. Every
/// other layer wraps the router as a whole, since axum clones a route's whole stack of
/// layers for each request, once per layer.
#[derive(Clone, Copy)]
pub struct NameRoute;

impl<S> Layer<S> for NameRoute {
    type Service = NamedRoute<S>;

    fn layer(&self, inner: S) -> NamedRoute<S> {
        NamedRoute(inner)
    }
}

/// A route's service under [`NameRoute`].
#[derive(Clone)]
pub struct NamedRoute<S>(S);

impl<S: Service<Request>> Service<Request> for NamedRoute<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> S::Future {
        if let Some(route) = request.extensions().get::<MatchedPath>() {
            tracing::Span::current().record("route", route.as_str());
            if let Some(RouteSlot(slot)) = request.extensions().get::<RouteSlot>() {
                let _ = slot.set(route.clone());
            }
        }
        self.0.call(request)
    }
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
        .map_or_else(new_request_id, str::to_owned)
}

/// A UUIDv7: the time in milliseconds, then random bits from the thread's generator (the
/// `uuid` crate's own `now_v7` asks the operating system for them, a system call per
/// request).
fn new_request_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    uuid::Builder::from_unix_timestamp_millis(millis, &rand::random())
        .into_uuid()
        .to_string()
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
        let made = uuid::Uuid::parse_str(&request_id(&HeaderMap::new())).unwrap();
        assert_eq!(made.get_version_num(), 7);
        let (seconds, _) = made.get_timestamp().unwrap().to_unix();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(now.abs_diff(seconds) <= 1, "{made} is not now");
        assert_ne!(request_id(&HeaderMap::new()), request_id(&HeaderMap::new()));
    }
}
