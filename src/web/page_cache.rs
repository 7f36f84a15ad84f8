//! Pages that are the same for everyone until the catalogue is reloaded (a blank form),
//! rendered once and served from memory with an `ETag`.
//!
//! An entry belongs to the catalogue snapshot it was rendered from: a reload swaps the
//! snapshot, and every entry of the old one is a miss from then on. An entry also ages out
//! after [`FRESH_FOR`], because a multi-step form's first page carries a signed state that
//! records when it was made (`public::form_state`), and that must not drift towards its
//! expiry. A browser that sends the entry's `ETag` back in `If-None-Match` gets a 304.
//!
//! The key says everything the page depends on besides the catalogue (the form, the commune
//! it was opened from); nothing personal is ever in such a page, so `Cache-Control` is
//! `no-cache` (revalidate every time) rather than the `no-store` of other pages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::catalogue::Catalogue;

/// How long an entry is served before it is rendered again.
pub const FRESH_FOR: Duration = Duration::from_secs(300);
/// Entries kept at most (forms × communes × languages stays far below); past it, the
/// cache starts again empty.
const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Arc<CachedPage>>>,
}

/// A rendered page and its validator.
pub struct CachedPage {
    catalogue: Arc<Catalogue>,
    made: Instant,
    body: Bytes,
    etag: HeaderValue,
}

impl PageCache {
    /// The page `key` names for `catalogue`: the kept one while fresh, or else what `render`
    /// makes now (kept for the next requests).
    pub fn page<E>(
        &self,
        key: String,
        catalogue: &Arc<Catalogue>,
        render: impl FnOnce() -> Result<String, E>,
    ) -> Result<Arc<CachedPage>, E> {
        if let Some(page) = self.entries.lock().expect("page cache").get(&key)
            && Arc::ptr_eq(&page.catalogue, catalogue)
            && page.made.elapsed() < FRESH_FOR
        {
            return Ok(Arc::clone(page));
        }
        // Rendered outside the lock: two requests may render the same page at once, and
        // the second keeps its own; both are the same page.
        let body = render()?;
        let digest = Sha256::digest(body.as_bytes());
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .expect("hex is a valid header value");
        let page = Arc::new(CachedPage {
            catalogue: Arc::clone(catalogue),
            made: Instant::now(),
            body: Bytes::from(body),
            etag,
        });
        let mut entries = self.entries.lock().expect("page cache");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, Arc::clone(&page));
        Ok(page)
    }
}

impl CachedPage {
    /// The page as an HTML answer to a request with `headers`: 304 when the browser holds
    /// this very version already.
    pub fn answer(&self, headers: &HeaderMap) -> Response {
        let known = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag.as_bytes() == self.etag.as_bytes());
        let validators = [
            (header::ETAG, self.etag.clone()),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ];
        if known {
            return (StatusCode::NOT_MODIFIED, validators).into_response();
        }
        (
            validators,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            self.body.clone(),
        )
            .into_response()
    }
}
