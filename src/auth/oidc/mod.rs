//! Staff sign-in through an OpenID Connect provider: the authorization code flow with PKCE,
//! `state` and `nonce` (OpenID Connect Core § 3.1), the provider found by discovery from its
//! issuer URL, the ID token checked (signature against the provider's keys, issuer, audience,
//! expiry, nonce), then the account matched by its verified e-mail address.
//!
//! Between the redirect to the provider and its callback, what finishing needs (the nonce and
//! the PKCE verifier) is kept server-side, in the store, under the hash of the `state`, for
//! [`SIGN_IN_TTL`] and one use: every instance sharing the database can finish what another
//! began, and nothing secret rides in the browser. The browser keeps the `state` itself in a
//! short-lived cookie, and the callback's `state` must match it: a callback URL made in
//! someone else's browser (login CSRF) signs no one in.
//!
//! Tokens and e-mail addresses are never logged.

mod admission;
mod http;
pub mod settings;

use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse,
};
use time::OffsetDateTime;

pub use admission::admit;
pub use settings::{Overrides, Settings};

use crate::catalogue::Territory;
use crate::store::Store;
use crate::store::oidc::PendingSignIn;

/// How long a person has at the provider to sign in before starting again.
pub const SIGN_IN_TTL: time::Duration = time::Duration::minutes(10);
/// How long a discovery document (and the provider's keys) is trusted before it is fetched
/// again: keys the provider rotates are picked up within this time.
const DISCOVERY_TTL: Duration = Duration::from_secs(10 * 60);

/// The client once discovery filled in its endpoints.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Sign-in through a provider: the environment's settings, the HTTP client and the last
/// discovery document. One for the server's life, in its state.
pub struct Oidc {
    overrides: Overrides,
    http: http::ProviderHttp,
    discovered: tokio::sync::Mutex<Option<Discovered>>,
}

struct Discovered {
    issuer: String,
    at: Instant,
    metadata: CoreProviderMetadata,
}

/// A sign-in begun: where to send the browser, and the `state` its cookie keeps.
pub struct Begun {
    pub authorize_url: url::Url,
    pub state: String,
}

/// Who the provider says signed in, once its ID token checked out.
#[derive(Clone)]
pub struct Identity {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// Why a sign-in through the provider did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The callback's `state` is missing, is not this browser's, was used, or is too old.
    #[error("unknown, replayed or expired sign-in state")]
    Expired,
    /// The person said no at the provider, or the provider refused them.
    #[error("the provider answered {0}")]
    Cancelled(String),
    /// The provider cannot be reached, or its answer does not check out (the reason is logged).
    #[error("the provider failed: {0}")]
    Provider(String),
    #[error("the provider gave no e-mail address")]
    NoEmail,
    #[error("the provider does not say the address is verified")]
    Unverified,
    /// No account has the address and its domain is not allowed.
    #[error("no account for this address")]
    Unknown,
    #[error("the account is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Oidc {
    pub fn new(overrides: Overrides) -> anyhow::Result<Oidc> {
        Ok(Oidc {
            overrides,
            http: http::ProviderHttp::new()?,
            discovered: tokio::sync::Mutex::new(None),
        })
    }

    /// The settings for the current territory file, None when sign-in through a provider is
    /// off.
    pub fn settings(&self, territory: &Territory) -> Result<Option<Settings>, String> {
        settings::resolve(territory, &self.overrides)
    }

    /// The provider's metadata and keys, from the cache while fresh.
    async fn metadata(&self, settings: &Settings) -> Result<CoreProviderMetadata, Refusal> {
        let mut cached = self.discovered.lock().await;
        if let Some(found) = cached.as_ref()
            && found.issuer == settings.issuer.as_str()
            && found.at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.metadata.clone());
        }
        let metadata = CoreProviderMetadata::discover_async(settings.issuer.clone(), &self.http)
            .await
            .map_err(|err| Refusal::Provider(format!("discovery: {}", error_chain(&err))))?;
        *cached = Some(Discovered {
            issuer: settings.issuer.to_string(),
            at: Instant::now(),
            metadata: metadata.clone(),
        });
        Ok(metadata)
    }

    async fn client(&self, settings: &Settings, redirect_url: &str) -> Result<Client, Refusal> {
        let metadata = self.metadata(settings).await?;
        // client_secret_basic unless the provider says it takes only client_secret_post.
        let post_only = metadata
            .token_endpoint_auth_methods_supported()
            .is_some_and(|methods| {
                methods.contains(&CoreClientAuthMethod::ClientSecretPost)
                    && !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
            });
        let redirect = RedirectUrl::new(redirect_url.to_owned())
            .map_err(|err| Refusal::Provider(format!("the redirect URL: {err}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            settings.client_id.clone(),
            settings.client_secret.clone(),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(if post_only {
            AuthType::RequestBody
        } else {
            AuthType::BasicAuth
        }))
    }

    /// Begins a sign-in: keeps its nonce and PKCE verifier under its state, and gives the
    /// provider's authorization URL to send the browser to.
    pub async fn begin(
        &self,
        store: &dyn Store,
        settings: &Settings,
        redirect_url: &str,
    ) -> Result<Begun, Refusal> {
        let client = self.client(settings, redirect_url).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (authorize_url, state, nonce) = request.url();
        let now = OffsetDateTime::now_utc();
        store
            .save_oidc_sign_in(&PendingSignIn {
                state_hash: hash(state.secret()),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                created_at: now,
                expires_at: now + SIGN_IN_TTL,
            })
            .await?;
        Ok(Begun {
            authorize_url,
            state: state.secret().clone(),
        })
    }

    /// Finishes a sign-in from the provider's callback: the `state` must be the one this
    /// browser's cookie kept and still pending; the code is exchanged (with the PKCE
    /// verifier) for tokens, and the ID token checked. The address comes from the ID token,
    /// or from the UserInfo endpoint when the ID token does not carry it.
    pub async fn finish(
        &self,
        store: &dyn Store,
        settings: &Settings,
        redirect_url: &str,
        callback: Callback<'_>,
    ) -> Result<Identity, Refusal> {
        let (Some(state), Some(kept)) = (callback.state, callback.cookie_state) else {
            return Err(Refusal::Expired);
        };
        if !super::same_secret(state, kept) {
            return Err(Refusal::Expired);
        }
        let Some(pending) = store
            .take_oidc_sign_in(&hash(state), OffsetDateTime::now_utc())
            .await?
        else {
            return Err(Refusal::Expired);
        };
        // RFC 9207: a provider that names itself in the callback must be the one asked.
        if callback
            .issuer
            .is_some_and(|iss| iss != settings.issuer.as_str())
        {
            return Err(Refusal::Provider(
                "the callback names another issuer".into(),
            ));
        }
        if let Some(error) = callback.error {
            return Err(Refusal::Cancelled(error.chars().take(64).collect()));
        }
        let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
            return Err(Refusal::Provider("the callback has no code".into()));
        };
        let client = self.client(settings, redirect_url).await?;
        let failed = |what: &str, err: &dyn std::error::Error| {
            Refusal::Provider(format!("{what}: {}", error_chain(err)))
        };
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|err| failed("the token endpoint", &err))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|err| failed("the token request", &err))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Refusal::Provider("the token answer has no ID token".into()))?;
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce)) {
            Ok(claims) => claims,
            Err(err) => {
                // Perhaps signed with a key the provider rotated in since discovery: the
                // next sign-in fetches the keys again.
                self.discovered.lock().await.take();
                return Err(failed("the ID token", &err));
            }
        };
        // The access token must be the one issued with this ID token (Core § 3.1.3.8).
        if let Some(expected) = claims.access_token_hash() {
            let algorithm = id_token
                .signing_alg()
                .map_err(|err| failed("the ID token's algorithm", &err))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|err| failed("the ID token's key", &err))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), algorithm, key)
                .map_err(|err| failed("the access token's hash", &err))?;
            if actual != *expected {
                return Err(Refusal::Provider(
                    "the access token does not match the ID token".into(),
                ));
            }
        }
        let mut identity = Identity {
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified(),
            name: full_name(
                claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
                claims
                    .given_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str()),
                claims
                    .family_name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str()),
            ),
        };
        if identity.email.is_none() || identity.email_verified.is_none() {
            // Some providers (ProConnect, Azure AD) put the address in UserInfo only.
            if let Ok(request) = client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            ) {
                let info: openidconnect::core::CoreUserInfoClaims = request
                    .request_async(&self.http)
                    .await
                    .map_err(|err| failed("the UserInfo request", &err))?;
                if identity.email.is_none() {
                    identity.email = info.email().map(|e| e.as_str().to_owned());
                    identity.email_verified = info.email_verified();
                } else if identity.email.as_deref() == info.email().map(|e| e.as_str()) {
                    identity.email_verified = info.email_verified();
                }
                if identity.name.is_none() {
                    identity.name = full_name(
                        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
                        info.given_name()
                            .and_then(|n| n.get(None))
                            .map(|n| n.as_str()),
                        info.family_name()
                            .and_then(|n| n.get(None))
                            .map(|n| n.as_str()),
                    );
                }
            }
        }
        Ok(identity)
    }
}

/// What the provider's callback brought: its query's `state`, `code` or `error`, and the
/// `state` this browser's cookie kept.
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
    /// `iss`, which providers supporting RFC 9207 add.
    pub issuer: Option<&'a str>,
    pub cookie_state: Option<&'a str>,
}

fn hash(state: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(state.as_bytes()))
}

fn full_name(name: Option<&str>, given: Option<&str>, family: Option<&str>) -> Option<String> {
    fn clean(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    clean(name).map(str::to_owned).or_else(|| {
        let parts: Vec<&str> = [clean(given), clean(family)]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    })
}

/// An error and its causes on one line. The crate's errors name what failed, never a token.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
