//! What every request goes through around its route, as one service.
//!
//! On the way in, in this order: its id and span ([`access`]), its language
//! ([`language`]), who sent it ([`client`]), then the refusals no route should see: a bad
//! head ([`framing::bad_head`]), a NUL in the address ([`forms::nul_in_address`]), a
//! change sent from another site ([`forms::cross_site`]). On the way out, in the reverse
//! order: the session cookie kept usable on a plain-HTTP site, the framework's own errors
//! in plain words ([`error::framework_errors`]), the headers every answer carries
//! ([`default_headers`]), `Vary`, then the access line and the request id.
//!
//! Each step is a plain function in the module that owns its rule; this service only
//! runs them. One service with its own future rather than a `from_fn` layer per step:
//! each such layer boxed a future of 1.1–1.3 KB per request (past glibc's per-thread
//! cache, so every one took the allocator's slow path) and cloned the services under it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::BoxError;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderValue, Uri, header};
use axum::response::Response;
use tokio::task::futures::TaskLocalFuture;
use tower::Service;
use tracing::Instrument;
use tracing::instrument::Instrumented;

use super::access::Observed;
use super::language::{self, Lang};
use super::{AppState, client, embed, error, forms, framing};

/// The service every request enters first (see the module's doc), around `inner`.
#[derive(Clone)]
pub struct Envelope<S> {
    inner: S,
    state: AppState,
}

impl<S> Envelope<S> {
    pub fn new(state: AppState, inner: S) -> Envelope<S> {
        Envelope { inner, state }
    }
}

impl<S, B> Service<Request> for Envelope<S>
where
    S: Service<Request, Response = axum::http::Response<B>, Error = Infallible>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Enveloped<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let (observed, span) = Observed::start(&mut request);
        let (lang, uri, keep_secure, answer) = span.in_scope(|| {
            let lang = language::choose(&self.state, &mut request);
            let uri = request.uri().clone();
            language::sync_scope(lang, || {
                let keep_secure = client::identify(&self.state.edge, &mut request);
                let answer = match refusal(&request) {
                    Some(refusal) => Answer::Refused {
                        response: Some(refusal),
                    },
                    None => Answer::Routed {
                        future: self.inner.call(request),
                    },
                };
                (lang, uri, keep_secure, answer)
            })
        });
        Enveloped {
            answer: language::scope(lang, answer).instrument(span),
            after: Some(After {
                observed,
                lang,
                uri,
                keep_secure,
            }),
        }
    }
}

/// A request refused whatever its route, before any handler runs: a bad head (`Host`,
/// `Expect`), a NUL in its address, or sent from another site to change something.
fn refusal(request: &Request) -> Option<Response> {
    framing::bad_head(request)
        .or_else(|| forms::nul_in_address(request))
        .or_else(|| forms::cross_site(request))
}

/// The headers every answer carries unless its handler set its own:
/// - no framing, but by the sites a commune lists for its own pages (`embed`);
/// - `nosniff`;
/// - no `Referer`: tracking links carry a capability, never leak them;
/// - `no-store`: pages carry personal data and tracking links, so no shared or browser
///   cache keeps them (a blank form page says `no-cache` itself, `page_cache`).
fn default_headers(response: &mut Response) {
    embed::deny_framing(response);
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
}

/// What the way out needs from the way in.
struct After {
    observed: Observed,
    lang: Lang,
    uri: Uri,
    keep_secure: bool,
}

pin_project_lite::pin_project! {
    /// A request inside [`Envelope`]: its answer, then the way out.
    pub struct Enveloped<F> {
        #[pin]
        answer: Instrumented<TaskLocalFuture<Lang, Answer<F>>>,
        after: Option<After>,
    }
}

pin_project_lite::pin_project! {
    /// A request's answer: a refusal, ready at once, or its route's to come.
    #[project = AnswerProjection]
    pub enum Answer<F> {
        Refused { response: Option<Response> },
        Routed { #[pin] future: F },
    }
}

impl<F, B> Future for Answer<F>
where
    F: Future<Output = Result<axum::http::Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            AnswerProjection::Refused { response } => Poll::Ready(
                response
                    .take()
                    .expect("a refusal is not polled after it was answered"),
            ),
            AnswerProjection::Routed { future } => {
                let Ok(response) = ready!(future.poll(cx));
                Poll::Ready(response.map(Body::new))
            }
        }
    }
}

impl<F, B> Future for Enveloped<F>
where
    F: Future<Output = Result<axum::http::Response<B>, Infallible>>,
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let mut response = ready!(this.answer.as_mut().poll(cx));
        let After {
            observed,
            lang,
            uri,
            keep_secure,
        } = this
            .after
            .take()
            .expect("an enveloped request is not polled after its answer");
        let span = this.answer.span();
        let mut response = span.in_scope(|| {
            language::sync_scope(lang, || {
                client::keep_cookies_usable(keep_secure, &mut response);
                let mut response = error::framework_errors(&uri, response);
                default_headers(&mut response);
                language::vary(&mut response);
                response
            })
        });
        observed.finish(span, &mut response);
        Poll::Ready(Ok(response))
    }
}
