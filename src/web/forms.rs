//! HTML form posts: reading them, and refusing those sent from another site.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};

use super::error::{AppError, PageError};

/// The fields of a urlencoded form post, in order (a list of checkboxes repeats its name).
pub fn read_pairs(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Vec<(String, String)>, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_urlencoded(content_type) {
        return Err(AppError::UnsupportedMediaType(
            super::language::current().text("form-not-from-page"),
        ));
    }
    let body = body.map_err(|r| AppError::from_body(r, limit))?;
    parse_pairs(&body)
}

pub fn is_urlencoded(content_type: &str) -> bool {
    content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
}

/// Decodes a urlencoded body. Names and values must decode to UTF-8: a browser always
/// sends it for a UTF-8 page, and replacing bad bytes would store text nobody typed.
pub fn parse_pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    let unreadable = || AppError::BadRequest(super::language::current().text("form-unreadable"));
    body.split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = match part.iter().position(|b| *b == b'=') {
                Some(at) => (&part[..at], &part[at + 1..]),
                None => (part, &b""[..]),
            };
            Ok((
                decode_component(name).ok_or_else(unreadable)?,
                decode_component(value).ok_or_else(unreadable)?,
            ))
        })
        .collect()
}

/// One urlencoded name or value: `+` is a space and `%XX` a byte. NUL is refused with the
/// bad bytes: no one types it, and PostgreSQL cannot store it.
fn decode_component(raw: &[u8]) -> Option<String> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    String::from_utf8(percent_encoding::percent_decode(&spaced).collect())
        .ok()
        .filter(|text| !text.contains('\0'))
}

/// Refuses a request whose address holds a NUL (`%00`), before any handler passes it to
/// a query: no link or form produces one.
pub fn nul_in_address(request: &Request) -> Option<Response> {
    let uri = request.uri();
    // `%00` has no letters: no case to fold.
    let has_nul = |text: &str| text.contains("%00") || text.contains('\0');
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let error = AppError::BadRequest(super::language::current().text("error-nul-in-address"));
        return Some(super::error::for_path(uri.path(), error));
    }
    None
}

/// The fields of a urlencoded form post by name (the last value wins for a repeated name).
pub fn read(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<HashMap<String, String>, AppError> {
    Ok(read_pairs(headers, body, limit)?.into_iter().collect())
}

/// Refuses a state-changing request a browser sent from another site: its `Origin` (or
/// `Sec-Fetch-Site`) gives it away. Together with SameSite cookies and the per-session CSRF
/// token, this keeps other sites from acting in a signed-in person's name. The JSON API and
/// Open311 are exempt: they are authenticated by bearer tokens or API keys, which browsers
/// never send on their own, and a territory's partners call them from their own sites.
///
/// The site's origin is `--public-url`'s, not `Host`: behind a reverse proxy `Host` names
/// the upstream (nginx sends `Host: $proxy_host` by default), not what the browser saw.
pub fn cross_site(request: &Request) -> Option<Response> {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state
        && !request.uri().path().starts_with("/api/")
        && !request.uri().path().starts_with(super::open311::PREFIX)
        && is_cross_site(
            request.headers(),
            request
                .extensions()
                .get::<super::client::ClientInfo>()
                .and_then(|c| c.site_origin())
                .as_deref(),
        )
    {
        return Some(
            PageError(AppError::Forbidden(
                super::language::current().text("error-cross-site"),
            ))
            .into_response(),
        );
    }
    None
}

/// `site_origin`: the site's origin, normalised by [`super::client::origin_of`].
fn is_cross_site(headers: &HeaderMap, site_origin: Option<&str>) -> bool {
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    // Browsers say where a request comes from; a sibling subdomain ("same-site") is not us.
    if matches!(fetch_site.as_deref(), Some("cross-site" | "same-site")) {
        return true;
    }
    // `Origin: null` is what our own pages send under `Referrer-Policy: no-referrer`, so
    // only a real origin can be compared.
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
    else {
        return false;
    };
    // The browser vouches for it (a typed address, a bookmark, our own page).
    if matches!(fetch_site.as_deref(), Some("same-origin" | "none")) {
        return false;
    }
    let sent = super::client::origin_of(origin);
    sent.is_none() || sent.as_deref() != site_origin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_origin_and_originless_posts_pass() {
        let site = Some("http://127.0.0.1:8080");
        assert!(!is_cross_site(
            &headers(&[("origin", "http://127.0.0.1:8080")]),
            site
        ));
        assert!(!is_cross_site(
            &headers(&[("origin", "HTTP://127.0.0.1:8080/")]),
            site
        ));
        assert!(!is_cross_site(&headers(&[]), site));
        assert!(!is_cross_site(
            &headers(&[("origin", "https://guichet.example.fr")]),
            Some("https://guichet.example.fr")
        ));
    }

    #[test]
    fn other_origins_are_cross_site() {
        let site = Some("https://guichet.example.fr");
        for origin in [
            "https://evil.example",
            "http://guichet.example.fr",
            "https://guichet.example.fr:8443",
            "https://guichet.example.fr.evil.example",
            "pas une origine",
        ] {
            assert!(
                is_cross_site(&headers(&[("origin", origin)]), site),
                "{origin}"
            );
        }
        // An unusable Host leaves nothing to match.
        assert!(is_cross_site(
            &headers(&[("origin", "https://guichet.example.fr")]),
            None
        ));
        for fetch_site in ["cross-site", "same-site", "Cross-Site"] {
            assert!(is_cross_site(
                &headers(&[("sec-fetch-site", fetch_site)]),
                site
            ));
        }
    }

    #[test]
    fn our_pages_send_a_null_origin_under_no_referrer() {
        assert!(!is_cross_site(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            Some("http://127.0.0.1:8080")
        ));
        assert!(!is_cross_site(&headers(&[("origin", "null")]), None));
    }

    #[test]
    fn decodes_pairs_in_order() {
        let pairs = parse_pairs(b"a=1&b=deux+mots&a=%C3%A9t%C3%A9&vide=&seul&&c=%2B%26").unwrap();
        let expected = [
            ("a", "1"),
            ("b", "deux mots"),
            ("a", "été"),
            ("vide", ""),
            ("seul", ""),
            ("c", "+&"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn refuses_bytes_that_are_not_utf8_and_nul() {
        assert!(parse_pairs(b"nom=a%00b").is_err());
        assert!(parse_pairs(b"nom=%FF%FE").is_err());
        assert!(parse_pairs(b"nom=\xff").is_err());
        assert!(parse_pairs(b"%C3=x").is_err());
    }
}
