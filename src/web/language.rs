//! The language of each request: the `langue` cookie the language switch sets, else the
//! browser's `Accept-Language`, else French.
//!
//! [`choose`] runs before every request's route (`super::envelope`): it puts the [`Lang`]
//! in the request's extensions, for handlers ([`Localizer`], the templates' handle), and
//! the envelope runs the request in a task-local with it ([`scope`], [`sync_scope`]) for
//! the error pages, which are built from an error value with no request in reach.
//! `/langue?lang=en&retour=/path` is the switch: a plain link, so it works without
//! JavaScript; it remembers the choice in a cookie and goes back to the page, only ever to
//! a path of this site (never an open redirect).

use axum::extract::{FromRequestParts, OriginalUri, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::AppState;
pub use crate::i18n::Lang;
use crate::i18n::Markup;

/// The cookie that remembers a person's choice.
pub const COOKIE: &str = "langue";
/// A year: the choice outlives a session, like the person's habit.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 3600;

tokio::task_local! {
    static CURRENT: Lang;
}

/// The language of the request being answered (French outside one).
pub fn current() -> Lang {
    CURRENT.try_with(|lang| *lang).unwrap_or_default()
}

/// Which languages the request may be answered in: those the territory offers
/// (`territory.toml`'s `languages`), put in the request's extensions by [`choose`].
#[derive(Debug, Clone, Copy)]
struct Offered {
    /// The territory offers more than French: the switch shows.
    several: bool,
}

/// Picks the request's language (see the module's doc) and puts it in the request's
/// extensions, with the languages offered. Code answering the request runs inside
/// [`scope`] or [`sync_scope`] with it, so [`current`] knows it.
pub fn choose(state: &AppState, request: &mut axum::extract::Request) -> Lang {
    let (lang, several) = {
        let catalogue = state.catalogue.load();
        let languages = &catalogue.territory.territory.languages;
        let lang = if speaks_french_only(request.uri().path()) {
            Lang::Fr
        } else {
            Some(of_headers(request.headers()))
                .filter(|lang| languages.contains(lang))
                .unwrap_or(Lang::Fr)
        };
        (lang, languages.len() > 1)
    };
    request.extensions_mut().insert(lang);
    request.extensions_mut().insert(Offered { several });
    lang
}

/// `future`, polled as code answering in `lang` ([`current`]).
pub fn scope<F: std::future::Future>(
    lang: Lang,
    future: F,
) -> tokio::task::futures::TaskLocalFuture<Lang, F> {
    CURRENT.scope(lang, future)
}

/// `f`, run as code answering in `lang` ([`current`]).
pub fn sync_scope<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(lang, f)
}

/// The same address answers in either language: caches must tell them apart.
pub fn vary(response: &mut Response) {
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
}

/// The parts of the site that are French only, for now: the back office (its templates
/// take no language yet), the JSON API and Open311, whose messages scripts may match.
fn speaks_french_only(path: &str) -> bool {
    ["/bureau", "/api/", "/open311/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

/// The cookie's language, else `Accept-Language`'s.
pub fn of_headers(headers: &HeaderMap) -> Lang {
    chosen(headers).unwrap_or_else(|| {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::Fr, Lang::from_accept_language)
    })
}

/// The language the `langue` cookie names, if it names one.
fn chosen(headers: &HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Lang::parse(value))
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .copied()
            .unwrap_or_else(|| of_headers(&parts.headers)))
    }
}

/// What a citizen page's template needs to speak the person's language: the messages
/// (`t.get("key")`), `<html lang>` and the language switch back to this very page.
#[derive(Debug, Clone)]
pub struct Localizer {
    pub lang: Lang,
    /// The page's path and query, for the switch's `retour`.
    here: String,
    /// The territory offers another language: the page shows the switch.
    switch: bool,
}

impl Localizer {
    /// A localizer without the language switch.
    pub fn new(lang: Lang, here: impl Into<String>) -> Localizer {
        Localizer {
            lang,
            here: here.into(),
            switch: false,
        }
    }

    /// Whether the page shows the language switch.
    pub fn has_switch(&self) -> bool {
        self.switch
    }

    pub fn get(&self, key: &str) -> Markup {
        self.lang.get(key)
    }

    pub fn get1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> Markup {
        self.lang.get1(key, name, value)
    }

    pub fn get2(
        &self,
        key: &str,
        name: &'static str,
        value: impl std::fmt::Display,
        name2: &'static str,
        value2: impl std::fmt::Display,
    ) -> Markup {
        self.lang.get2(key, name, value, name2, value2)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn get3(
        &self,
        key: &str,
        name: &'static str,
        value: impl std::fmt::Display,
        name2: &'static str,
        value2: impl std::fmt::Display,
        name3: &'static str,
        value3: impl std::fmt::Display,
    ) -> Markup {
        self.lang
            .get3(key, name, value, name2, value2, name3, value3)
    }

    pub fn count(&self, key: &str, count: usize) -> Markup {
        self.lang.count(key, count)
    }

    /// « 3 démarches pour « bac » ».
    pub fn results_count(&self, count: usize, query: &str) -> Markup {
        self.lang.count_with("results-count", count, "query", query)
    }

    /// Between the items of a list in a sentence: « a ; b » in French (a no-break space
    /// before the semicolon), "a; b" in English.
    pub fn list_separator(&self) -> &'static str {
        match self.lang {
            Lang::Fr => "\u{a0}; ",
            Lang::En => "; ",
        }
    }

    /// `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The switch's link to the other language, back to this page.
    pub fn switch_href(&self) -> String {
        let other = self.lang.text("switch-language-code");
        format!(
            "/langue?lang={other}&retour={}",
            utf8_percent_encode(&self.here, NON_ALPHANUMERIC)
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Localizer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_request_parts(parts, state).await?;
        // Behind `nest`, the original URI is the one the browser asked for.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let here = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let switch = parts.extensions.get::<Offered>().is_some_and(|o| o.several);
        Ok(Localizer { lang, here, switch })
    }
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    lang: Option<String>,
    retour: Option<String>,
}

/// `GET /langue?lang=en&retour=/demarches/x`: remembers the language and goes back.
pub async fn switch(Query(query): Query<SwitchQuery>) -> Response {
    let back = query
        .retour
        .as_deref()
        .filter(|path| is_local_path(path))
        .unwrap_or("/");
    let location = HeaderValue::from_str(back).unwrap_or(HeaderValue::from_static("/"));
    match query.lang.as_deref().and_then(Lang::parse) {
        Some(lang) => {
            let cookie = format!(
                "{COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; Secure; SameSite=Lax",
                lang.code()
            );
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, location),
                    (
                        header::SET_COOKIE,
                        HeaderValue::from_str(&cookie).expect("an ASCII cookie"),
                    ),
                ],
            )
                .into_response()
        }
        // An unknown language changes nothing.
        None => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
    }
}

/// A path of this site: one leading `/`, not `//host` nor `/\host` (which browsers read as
/// another site), and no control characters or spaces.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 2048
        && path
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/"));
        assert!(is_local_path(
            "/demarches/remplacement-bac?commune=marmande"
        ));
        assert!(!is_local_path("https://evil.example"));
        assert!(!is_local_path("//evil.example/x"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("/a\\b"));
        assert!(!is_local_path("evil"));
        assert!(!is_local_path("/a\r\nLocation: x"));
        assert!(!is_local_path(""));
    }

    #[test]
    fn the_cookie_beats_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert_eq!(of_headers(&headers), Lang::En);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("guichet_session=x; langue=fr"),
        );
        assert_eq!(of_headers(&headers), Lang::Fr);
        headers.insert(header::COOKIE, HeaderValue::from_static("langue=xx"));
        assert_eq!(
            of_headers(&headers),
            Lang::En,
            "an unknown value is ignored"
        );
    }

    #[test]
    fn the_switch_returns_to_the_same_page() {
        let t = Localizer::new(Lang::Fr, "/demarches/x?commune=a&b=1");
        assert_eq!(
            t.switch_href(),
            "/langue?lang=en&retour=%2Fdemarches%2Fx%3Fcommune%3Da%26b%3D1"
        );
        assert_eq!(
            Localizer::new(Lang::En, "/").switch_href(),
            "/langue?lang=fr&retour=%2F"
        );
    }
}
