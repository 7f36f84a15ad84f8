//! What a request's head says about its message, checked before any handler runs and
//! before any body byte is read: exactly one valid `Host` (RFC 9112 §3.2), expectations we
//! can meet (RFC 9110 §10.1.1), and a declared body length within the limit of the route
//! it targets. hyper leaves all three to the application.
//!
//! hyper answers `Expect: 100-continue` with "100 Continue" the first time the body is
//! polled, so a body refused only after that point has already been invited. The route's
//! limit is therefore applied here, from `Content-Length`, and the same number then bounds
//! the body as it streams (a chunked body declares no length).

use axum::extract::{DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer, Service};

use super::Limits;
use super::error::AppError;

/// Refuses a request whose `Host` is missing (HTTP/1.1), given more than once (even with
/// the same value), or not a host with an optional port. An empty `Host` is refused too:
/// RFC 9112 allows it only for a target URI without an authority, and every resource here
/// is an `http` URI, which must have one (RFC 9110 §4.2.1). HTTP/1.0 did not require
/// `Host`, so an HTTP/1.0 request without one is served.
///
/// Then refuses, with 417, an `Expect` holding anything but `100-continue`: the only
/// expectation HTTP defines, which hyper meets.
pub fn bad_head(request: &Request) -> Option<Response> {
    let path = request.uri().path();
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host_ok = match (hosts.next(), hosts.next()) {
        (None, _) => request.version() < Version::HTTP_11,
        (Some(one), None) => is_valid_host(one.as_bytes()),
        (Some(_), Some(_)) => false,
    };
    if !host_ok {
        return Some(closing(
            path,
            AppError::BadRequest(super::language::current().text("error-host-header")),
        ));
    }
    if !expectations_are_met(request.headers()) {
        return Some(closing(
            path,
            AppError::Protocol(
                StatusCode::EXPECTATION_FAILED,
                super::language::current().text("error-expect-header"),
            ),
        ));
    }
    None
}

/// `uri-host [":" port]`: a registered name, IPv4 address or bracketed IPv6 address, no
/// user information, and a port of digits.
fn is_valid_host(value: &[u8]) -> bool {
    is_plain_host(value) || parses_as_host(value)
}

/// [`is_valid_host`] by the full parse of an authority.
fn parses_as_host(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    if text.is_empty() || text.contains('@') {
        return false;
    }
    let Ok(authority) = text.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let host = authority.host();
    let port_ok = match text
        .strip_prefix(host)
        .and_then(|rest| rest.strip_prefix(':'))
    {
        Some(port) => port.bytes().all(|b| b.is_ascii_digit()),
        None => text.len() == host.len(),
    };
    !host.is_empty() && port_ok
}

/// What almost every request sends: a name of letters, digits, dots and dashes (a
/// registered name, or an IPv4 address), then maybe `:` and a port of at most five digits.
/// Valid without the full parse, which copies the value to read it. Anything else (an IPv6
/// address, percent-escapes, a refusal) goes through the full parse.
fn is_plain_host(value: &[u8]) -> bool {
    let (host, port) = match value.iter().position(|&b| b == b':') {
        Some(colon) => (&value[..colon], Some(&value[colon + 1..])),
        None => (value, None),
    };
    !host.is_empty()
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        && port
            .is_none_or(|port| (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit))
}

/// Every member of every `Expect` line is `100-continue` (case-insensitive); empty list
/// members are allowed by the list syntax (RFC 9110 §5.6.1) and ignored.
fn expectations_are_met(headers: &HeaderMap) -> bool {
    headers.get_all(header::EXPECT).iter().all(|value| {
        value.to_str().is_ok_and(|text| {
            text.split(',')
                .map(str::trim)
                .all(|member| member.is_empty() || member.eq_ignore_ascii_case("100-continue"))
        })
    })
}

/// The body limit of one route. Forms that take files are held to the upload limit when
/// they post `multipart/form-data`, and to the text limit otherwise.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    text: usize,
    files: Option<usize>,
}

impl BodyLimit {
    /// A JSON body: the API, and the builder's definition with its rule.
    pub fn json(limits: &Limits) -> BodyLimit {
        BodyLimit {
            text: limits.max_json_bytes,
            files: None,
        }
    }

    /// A urlencoded form post.
    pub fn form(limits: &Limits) -> BodyLimit {
        BodyLimit {
            text: limits.max_form_bytes,
            files: None,
        }
    }

    /// A form post that may carry files.
    pub fn form_with_files(limits: &Limits) -> BodyLimit {
        BodyLimit {
            text: limits.max_form_bytes,
            files: Some(limits.max_upload_bytes),
        }
    }
}

/// Refuses a body declared larger than the route takes, with 413 and without reading it
/// (so without "100 Continue"), then bounds what is read to the same limit.
///
/// On a route: `.layer(from_fn_with_state(BodyLimit::form(&state.limits), bound_body))`.
pub async fn bound_body(State(limit): State<BodyLimit>, request: Request, next: Next) -> Response {
    let with_files = limit.files.filter(|_| is_multipart(request.headers()));
    let max = with_files.unwrap_or(limit.text);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        let error = match with_files {
            Some(max) => AppError::files_too_large(max),
            None => AppError::text_too_large(max),
        };
        // Under `nest`, the URI has lost its prefix; the original one says whether this is
        // the API.
        let path = match request.extensions().get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.path(),
            None => request.uri().path(),
        };
        return answer(path, error);
    }
    let mut bounded = DefaultBodyLimit::max(max).layer(next);
    match bounded.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// In the shape of the part of the site the path belongs to.
fn answer(path: &str, error: AppError) -> Response {
    super::error::for_path(path, error)
}

/// The request's framing cannot be trusted: answer, then close rather than read on.
fn closing(path: &str, error: AppError) -> Response {
    let mut response = answer(path, error);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_names_or_addresses_with_an_optional_port() {
        for good in [
            "guichet",
            "guichet.example.fr",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:8080",
            "g:80",
        ] {
            assert!(is_valid_host(good.as_bytes()), "{good}");
        }
        for bad in [
            "",
            "user@guichet",
            "guichet:port",
            "guichet/path",
            "g h",
            ":80",
            "guichet:80:81",
        ] {
            assert!(!is_valid_host(bad.as_bytes()), "{bad:?}");
        }
        assert!(!is_valid_host(b"\xff"));
    }

    #[test]
    fn a_plain_host_is_one_the_full_parse_accepts_too() {
        for plain in [
            "guichet",
            "guichet.example.fr:443",
            "127.0.0.1",
            "1.2.3.4:65535",
            "g:99999",
            "a.b:0",
            "-",
            "a..b",
            "xn--mairie-d-marmande-bxb.fr",
        ] {
            assert!(is_plain_host(plain.as_bytes()), "{plain}");
            assert!(parses_as_host(plain.as_bytes()), "{plain}");
        }
        // Left to the full parse.
        for other in ["[::1]:80", "g:", "g:123456", "%41", ":80", "g h", "a@b", ""] {
            assert!(!is_plain_host(other.as_bytes()), "{other:?}");
        }
    }

    #[test]
    fn only_100_continue_is_an_expectation_we_meet() {
        let headers = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for value in values {
                map.append(header::EXPECT, value.parse().unwrap());
            }
            map
        };
        assert!(expectations_are_met(&headers(&[])));
        assert!(expectations_are_met(&headers(&["100-continue"])));
        assert!(expectations_are_met(&headers(&["100-Continue"])));
        assert!(expectations_are_met(&headers(&["", " , 100-continue"])));
        assert!(!expectations_are_met(&headers(&["200-ok"])));
        assert!(!expectations_are_met(&headers(&["100-continue, x"])));
        assert!(!expectations_are_met(&headers(&["100-continue", "x=1"])));
    }
}
