//! The web layer's one error type, answered as an HTML page or as JSON.
//!
//! Each variant's doc says its status. Internal errors are logged with their context and
//! shown only as a plain apology; nothing from the database or the code reaches a person.

use askama::Template;
use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use crate::intake::FieldError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404: an unknown form, page or tracking link.
    #[error("{0}")]
    NotFound(String),
    /// 400: malformed input (bad JSON, a broken form post).
    #[error("{0}")]
    BadRequest(String),
    /// 413: the body is larger than allowed.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: not the media type the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 401: no valid credentials (the API's bearer token).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the person may not do this (their role), or the post did not come from Guichet
    /// (another site, an expired form).
    #[error("{0}")]
    Forbidden(String),
    /// 409: refused for the request's state (already filed, already closed…).
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed, but the data does not satisfy the form.
    #[error("the submission is invalid")]
    Invalid(Vec<FieldError>),
    /// 422: a refused value that is not one of a form's fields (an erasure reason, a search
    /// key, a builder draft, a JSON member of the wrong kind).
    #[error("{0}")]
    Unprocessable(String),
    /// Any other client or server error the HTTP layer itself raises (405, 408, 417, 431…),
    /// with its status. Never a status that has a variant above: build it with
    /// [`AppError::from_status`] when the status is not known in advance.
    #[error("{1}")]
    Protocol(StatusCode, String),
    /// 429: a rate limit of the client's address; the response says when to retry
    /// (`Retry-After`, in seconds).
    #[error("{0}")]
    TooManyRequests(String, std::time::Duration),
    /// 503: something the answer needs is unreachable (the database, the access log), with
    /// what it means for the person; retrying later will work.
    #[error("service unavailable")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure. Logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(why) | StoreError::Crossed(why) => {
                tracing::warn!(why = %crate::telemetry::scrub(&why.to_string()), "database unavailable");
                AppError::Unavailable(super::language::current().text("error-unavailable"))
            }
            StoreError::AlreadyFiled => {
                AppError::BadRequest(super::language::current().text("error-already-filed"))
            }
            StoreError::Refused(why) => AppError::Conflict(why),
            StoreError::Invalid(why) => AppError::Unprocessable(why),
            StoreError::Other(err) => AppError::Internal(err),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) | AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Protocol(status, _) => *status,
            AppError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The plain-French explanation, with what to do.
    pub fn messages(&self) -> Vec<FieldError> {
        let one = |m: &str| vec![FieldError::new("", m)];
        match self {
            AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::PayloadTooLarge(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::Conflict(m)
            | AppError::Unprocessable(m)
            | AppError::Protocol(_, m)
            | AppError::TooManyRequests(m, _)
            | AppError::Unavailable(m) => one(m),
            AppError::Invalid(errors) => errors.clone(),
            AppError::Internal(_) => one(&super::language::current().text("error-internal")),
        }
    }

    /// The error for a status known only at run time (one the HTTP layer answered with):
    /// the typed variant when the status has one, [`AppError::Protocol`] otherwise.
    pub fn from_status(status: StatusCode, message: String) -> AppError {
        match status {
            StatusCode::BAD_REQUEST => AppError::BadRequest(message),
            StatusCode::UNAUTHORIZED => AppError::Unauthorized(message),
            StatusCode::FORBIDDEN => AppError::Forbidden(message),
            StatusCode::NOT_FOUND => AppError::NotFound(message),
            StatusCode::CONFLICT => AppError::Conflict(message),
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(message),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
            StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable(message),
            StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable(message),
            status => AppError::Protocol(status, message),
        }
    }

    /// A refusal a page shows again with its reason at the top, as its status and reason:
    /// 409 (the request's state) or 422 (a refused value). Any other error comes back as is.
    pub fn into_refusal(self) -> Result<(StatusCode, String), AppError> {
        match self {
            AppError::Conflict(reason) => Ok((StatusCode::CONFLICT, reason)),
            AppError::Unprocessable(reason) => Ok((StatusCode::UNPROCESSABLE_ENTITY, reason)),
            other => Err(other),
        }
    }

    pub(crate) fn log(&self) {
        if let AppError::Internal(err) = self {
            tracing::error!(
                "internal error: {}",
                crate::telemetry::scrub(&format!("{err:#}"))
            );
        }
    }

    /// A 429 says when to come back.
    pub(crate) fn add_retry_after(&self, response: &mut Response) {
        if let AppError::TooManyRequests(_, wait) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after(*wait));
        }
    }

    /// 413 for a body without files over `limit` bytes.
    pub fn text_too_large(limit: usize) -> AppError {
        AppError::PayloadTooLarge(
            super::language::current()
                .text_with("error-text-too-large", &[("kib", (limit / 1024).into())]),
        )
    }

    /// 413 for a form post whose files make it larger than `limit` bytes.
    pub fn files_too_large(limit: usize) -> AppError {
        let lang = super::language::current();
        AppError::PayloadTooLarge(lang.text_with(
            "error-files-too-large",
            &[(
                "size",
                crate::attachments::human_size_in(limit as u64, lang).into(),
            )],
        ))
    }

    /// Reads a body-reading failure: too large, too slow, or cut off.
    pub fn from_body(rejection: BytesRejection, limit: usize) -> AppError {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
        while let Some(err) = cause {
            if err.is::<tower_http::timeout::TimeoutError>() {
                return AppError::Protocol(
                    StatusCode::REQUEST_TIMEOUT,
                    super::language::current().text("error-slow-body"),
                );
            }
            cause = err.source();
        }
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::text_too_large(limit)
        } else {
            AppError::BadRequest(super::language::current().text("error-body-cut"))
        }
    }
}

/// Answers an error as JSON: `{errors: [{path, message}]}`.
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let mut response = (
            self.0.status(),
            Json(json!({ "errors": self.0.messages() })),
        )
            .into_response();
        close_if_too_large(&mut response);
        self.0.add_retry_after(&mut response);
        response
    }
}

/// Answers an error as an HTML page.
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(err: E) -> Self {
        PageError(err.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: super::language::Localizer,
    pub title: String,
    pub messages: Vec<String>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        // An error page has no request in reach: the language is the one `language::choose`
        // chose for the request being answered.
        let lang = super::language::current();
        let title = match status {
            StatusCode::NOT_FOUND => "error-title-not-found",
            StatusCode::SERVICE_UNAVAILABLE => "error-title-unavailable",
            StatusCode::INTERNAL_SERVER_ERROR => "error-title-internal",
            StatusCode::TOO_MANY_REQUESTS => "error-title-too-many",
            _ => "error-title-other",
        };
        let page = ErrorPage {
            t: super::language::Localizer::new(lang, "/"),
            title: lang.text(title),
            messages: self.0.messages().into_iter().map(|m| m.message).collect(),
        };
        let body = page.render().unwrap_or_else(|_| "Erreur".into());
        let mut response = (status, Html(body)).into_response();
        close_if_too_large(&mut response);
        self.0.add_retry_after(&mut response);
        response
    }
}

/// `Retry-After` for a wait, in whole seconds.
pub fn retry_after(wait: std::time::Duration) -> HeaderValue {
    HeaderValue::from(retry_after_secs(wait))
}

/// `Retry-After`'s value: whole seconds, at least one.
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// After refusing an oversized body, close the connection rather than read the rest.
pub(crate) fn close_if_too_large(response: &mut Response) {
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
}

/// Answers an error in the shape of the part of the site `path` belongs to: Open311's
/// (`<errors>`, JSON or XML by the path's extension) under `/open311/`, JSON under `/api/`,
/// a page elsewhere. Every edge that answers before a handler (framing, rate limits, the
/// router's fallback, axum's own errors) goes through here.
pub fn for_path(path: &str, error: AppError) -> Response {
    if path.starts_with(super::open311::PREFIX) {
        super::open311::Open311Error::for_path(path, error).into_response()
    } else if path.starts_with("/api/") {
        ApiError(error).into_response()
    } else {
        PageError(error).into_response()
    }
}

/// Unknown paths, told what there is in each part of the site.
pub async fn not_found(uri: Uri) -> Response {
    let path = uri.path();
    let message = if path.starts_with(super::open311::PREFIX) {
        "Cette adresse n'existe pas dans l'API Open311 : commencez par GET /open311/v2/discovery.json (ou .xml)."
    } else if path.starts_with("/api/") {
        "Cette adresse n'existe pas dans l'API : consultez GET /api/v1/forms."
    } else {
        return for_path(
            path,
            AppError::NotFound(super::language::current().text("error-page-not-found")),
        );
    };
    for_path(path, AppError::NotFound(message.into()))
}

/// Rewrites the error responses that axum and tower produce on their own (a malformed query
/// string, a wrong method, a timeout) into our plain-French errors, so that every error has
/// the same shape: that of the part of the site ([`for_path`]). `uri` is the request's
/// address (`Uri` shares its bytes: keeping it costs no copy).
pub fn framework_errors(uri: &axum::http::Uri, response: Response) -> Response {
    let status = response.status();
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json")
                || v.starts_with("text/html")
                || v.starts_with("text/xml")
        });
    if ours || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let lang = super::language::current();
    let key = match status {
        StatusCode::BAD_REQUEST => "error-bad-request",
        StatusCode::METHOD_NOT_ALLOWED => "error-method",
        StatusCode::REQUEST_TIMEOUT => "error-slow-body",
        StatusCode::PAYLOAD_TOO_LARGE => "error-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "error-media-type",
        StatusCode::SERVICE_UNAVAILABLE => "error-unavailable-nothing",
        status if status.is_server_error() => {
            tracing::error!(%status, "the HTTP layer answered with a server error");
            "error-server"
        }
        _ => "error-other",
    };
    let message = lang.text(key);
    for_path(
        uri.path(),
        AppError::from_status(status, message.to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_known_at_run_time_keeps_its_status_and_gets_its_variant() {
        for code in [
            400, 401, 403, 404, 405, 408, 409, 413, 415, 417, 422, 429, 431, 500, 503,
        ] {
            let status = StatusCode::from_u16(code).unwrap();
            let error = AppError::from_status(status, "message".into());
            assert_eq!(error.status(), status);
            assert_eq!(error.messages(), vec![FieldError::new("", "message")]);
            let typed = [400, 401, 403, 404, 409, 413, 415, 422, 503].contains(&code);
            assert_eq!(matches!(error, AppError::Protocol(..)), !typed, "{status}");
        }
    }

    #[test]
    fn store_refusals_are_conflicts_and_unprocessable_values() {
        let refused = AppError::from(StoreError::Refused("déjà close".into()));
        assert!(matches!(&refused, AppError::Conflict(m) if m == "déjà close"));
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        let invalid = AppError::from(StoreError::Invalid("trop long".into()));
        assert!(matches!(&invalid, AppError::Unprocessable(m) if m == "trop long"));
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
