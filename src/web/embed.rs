//! Framing: every page refuses to be shown in another site's frame
//! (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), except a commune's page and its
//! forms reached from it, which the sites the territory lists for that commune
//! (`embed_origins`) may frame, and only they (docs/commune-sites.md).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of every page, but for `frame-ancestors`, as a literal for `concat!`.
macro_rules! csp_base {
    () => {
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'"
    };
}
pub(crate) use csp_base;

/// The policy of every page, but for `frame-ancestors`.
pub const CSP_BASE: &str = csp_base!();

/// Marks a response the listed origins may frame.
#[derive(Debug, Clone)]
struct Embeddable;

/// Lets `origins` (checked as origins when the territory loaded) frame this response;
/// nobody when there are none.
pub fn allow_framing(response: &mut Response, origins: &[String]) {
    if origins.is_empty() {
        return;
    }
    let policy = format!("{CSP_BASE}; frame-ancestors {}", origins.join(" "));
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
        response.extensions_mut().insert(Embeddable);
    }
}

/// `X-Frame-Options: DENY` and `frame-ancestors 'none'`, unless the handler allowed
/// framing or set its own. `X-Frame-Options` cannot name several origins (`ALLOW-FROM` is dead), so an
/// embeddable page has none and relies on `frame-ancestors`, which every current browser
/// honours.
pub fn deny_framing(response: &mut Response) {
    if response.extensions().get::<Embeddable>().is_none() {
        let headers = response.headers_mut();
        // A page may choose for itself (the builder's preview frames itself: SAMEORIGIN).
        headers
            .entry(header::X_FRAME_OPTIONS)
            .or_insert_with(|| HeaderValue::from_static("DENY"));
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert_with(|| {
                HeaderValue::from_static(concat!(csp_base!(), "; frame-ancestors 'none'"))
            });
    }
}

/// On a form's route: a form reached from a commune's page (`?commune=slug`, which the
/// form's own posts carry on) may be framed by that commune's listed sites.
pub async fn commune_forms(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let slug = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "commune")
            .map(|(_, value)| value.into_owned())
    });
    let mut response = next.run(request).await;
    if let Some(slug) = slug {
        let catalogue = state.catalogue.load();
        if let Some(commune) = catalogue.territory.commune(&slug) {
            allow_framing(&mut response, &commune.embed_origins);
        }
    }
    response
}
