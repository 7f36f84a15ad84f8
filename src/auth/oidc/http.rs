//! The HTTP client `openidconnect` talks to the provider through: the reqwest (rustls) the
//! server already has, rather than the crate's own `reqwest` feature, which would bring a
//! second reqwest and TLS stack.
//!
//! It follows no redirect (a provider's answer redirected elsewhere could make Guichet fetch
//! an address of the attacker's choice, the SSRF the crate's documentation warns of), bounds
//! each exchange in time, and reads at most [`MAX_RESPONSE_BYTES`] of an answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// A discovery document, a key set, a token answer: a few kilobytes each.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// How long one exchange with the provider may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("the provider cannot be reached: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the provider's answer is larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("the provider's answer cannot be read: {0}")]
    Malformed(#[from] axum::http::Error),
}

#[derive(Debug, Clone)]
pub struct ProviderHttp(reqwest::Client);

impl ProviderHttp {
    pub fn new() -> anyhow::Result<ProviderHttp> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .user_agent(concat!("guichet/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ProviderHttp(client))
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.0.execute(request).await?;
        let mut builder = axum::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(builder.body(body)?)
    }
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
