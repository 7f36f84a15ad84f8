//! A commune's small site as the public sees it: the published page (presentation, mayor,
//! opening hours with « ouvert maintenant », contacts, links), its current news, and its
//! Atom feed. The back office's preview renders a draft through the same view and template.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use crate::domain::site::{Contact, Link, PageContent, hours_by_weekday, is_open};
use crate::domain::time::paris_time;
use crate::domain::time::{day_fr, format_time};
use crate::i18n::Lang;
use crate::store::site::NewsItem;
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::markdown;

pub struct NewsView {
    pub id: String,
    pub date: String,
    pub title: String,
    /// Sanitised HTML.
    pub html: String,
    pub ends_on: String,
    pub published: bool,
}

/// What `public/site_body.html` shows.
pub struct SiteView {
    /// The language of the page's own words (the commune's content stays as typed): the
    /// reader's on the public page, French in the back office's preview.
    pub lang: Lang,
    /// A page was published (or, in a preview, drafted).
    pub has_page: bool,
    /// Sanitised HTML of the presentation.
    pub presentation: String,
    pub mayor: String,
    /// ("lundi", "08:30-12:00, 14:00-17:00"), the day in `lang`.
    pub hours: Vec<(String, String)>,
    /// Whether the town hall is open now; `None` without hours.
    pub open_now: Option<bool>,
    pub contacts: Vec<Contact>,
    pub links: Vec<Link>,
    pub news: Vec<NewsView>,
    /// The address of the commune's picture, when it has one.
    pub picture: Option<String>,
}

impl SiteView {
    /// The page's content at `now`, with the news the public sees on that day, for a
    /// reader of `lang`.
    pub fn of(
        content: Option<&PageContent>,
        news: &[NewsItem],
        now: OffsetDateTime,
        lang: Lang,
    ) -> SiteView {
        let today = paris_time(now).date();
        let empty = PageContent::default();
        let page = content.unwrap_or(&empty);
        SiteView {
            lang,
            has_page: content.is_some(),
            presentation: markdown::render(&page.presentation),
            mayor: page.mayor.clone(),
            hours: hours_by_weekday(&page.hours)
                .into_iter()
                .map(|(day, periods)| (lang.text(&format!("day-{}", day + 1)), periods.join(", ")))
                .collect(),
            open_now: (!page.hours.is_empty()).then(|| is_open(&page.hours, now)),
            contacts: page.contacts.clone(),
            links: page.links.clone(),
            news: news
                .iter()
                .filter(|n| n.is_current(today))
                .map(news_view)
                .collect(),
            picture: None,
        }
    }

    /// Shows the commune's picture, if one was uploaded.
    pub async fn with_picture(mut self, state: &AppState, slug: &str) -> Result<Self, AppError> {
        if state.store.has_picture(slug).await? {
            self.picture = Some(format!("/communes/{slug}/blason"));
        }
        Ok(self)
    }
}

/// The commune's picture, with the type sniffed when it was uploaded.
pub async fn picture(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, PageError> {
    let (media_type, bytes) = state
        .store
        .picture(&slug)
        .await?
        .ok_or_else(|| AppError::NotFound(lang.text("error-no-picture")))?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            (header::CACHE_CONTROL, "public, max-age=300".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub fn news_view(item: &NewsItem) -> NewsView {
    NewsView {
        id: item.id.clone(),
        date: day_fr(item.content.date),
        title: item.content.title.clone(),
        html: markdown::render(&item.content.body),
        ends_on: item.content.ends_on.map(day_fr).unwrap_or_default(),
        published: item.published,
    }
}

/// The commune's published page and current news, as the public sees them now, for a
/// reader of `lang`.
pub async fn published_site(
    state: &AppState,
    slug: &str,
    lang: Lang,
) -> Result<SiteView, AppError> {
    let page = state.store.published_page(slug).await?;
    let news = state.store.commune_news(slug).await?;
    SiteView::of(
        page.as_ref().map(|p| &p.content),
        &news,
        OffsetDateTime::now_utc(),
        lang,
    )
    .with_picture(state, slug)
    .await
}

/// Copy-paste code for a commune's own website: a link, and a frame (which only the
/// origins the territory lists may show).
pub struct EmbedCode {
    pub page_url: String,
    pub link: String,
    pub iframe: String,
    pub origins: Vec<String>,
}

impl EmbedCode {
    pub fn of(public_url: &str, commune: &crate::catalogue::territory::Commune) -> EmbedCode {
        let page_url = format!("{public_url}/communes/{}", commune.slug);
        EmbedCode {
            link: format!(
                "<a href=\"{page_url}\">Démarches en ligne de {}</a>",
                commune.name
            ),
            iframe: format!(
                "<iframe src=\"{page_url}\" title=\"Démarches en ligne de {}\" width=\"100%\" height=\"800\" style=\"border:0\"></iframe>",
                commune.name
            ),
            origins: commune.embed_origins.clone(),
            page_url,
        }
    }
}

pub struct FeedEntry {
    pub id: String,
    pub title: String,
    pub updated: String,
    pub published: String,
    pub html: String,
    pub link: String,
}

/// Atom 1.0 (RFC 4287). Escaped as HTML, which is also valid XML escaping.
#[derive(Template)]
#[template(path = "public/news.atom", escape = "html")]
pub struct NewsFeed {
    /// `xml:lang`: the language of the feed's own words.
    pub lang: &'static str,
    pub id: String,
    pub title: String,
    pub author: String,
    pub link: String,
    pub self_link: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}

/// `GET /communes/{slug}/actualites.atom`: the feed's own words (its title and author) in
/// the language of the request, like a page; the news as the commune wrote them.
pub async fn feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    lang: Lang,
) -> Result<Response, PageError> {
    let catalogue = state.catalogue.load();
    let commune = catalogue
        .territory
        .commune(&slug)
        .ok_or_else(|| AppError::NotFound(lang.text("error-no-feed")))?;
    let today = paris_time(OffsetDateTime::now_utc()).date();
    let news: Vec<NewsItem> = state
        .store
        .commune_news(&slug)
        .await?
        .into_iter()
        .filter(|n| n.is_current(today))
        .collect();
    let page = format!("{}/communes/{slug}", state.public_url);
    let midnight = |d: time::Date| format_time(d.midnight().assume_utc());
    let updated = news
        .iter()
        .map(|n| n.updated_at)
        .max()
        .map_or_else(|| format_time(OffsetDateTime::UNIX_EPOCH), format_time);
    let feed = NewsFeed {
        id: page.clone(),
        lang: lang.code(),
        title: lang.text_with("feed-title", &[("commune", commune.name.as_str().into())]),
        author: lang.text_with("feed-author", &[("commune", commune.name.as_str().into())]),
        self_link: format!("{page}/actualites.atom"),
        link: page.clone(),
        updated,
        entries: news
            .iter()
            .map(|n| FeedEntry {
                id: format!("urn:uuid:{}", n.id),
                title: n.content.title.clone(),
                updated: format_time(n.updated_at),
                published: midnight(n.content.date),
                html: markdown::render(&n.content.body),
                link: format!("{page}#actualite-{}", n.id),
            })
            .collect(),
    };
    let body = feed
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("atom feed: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        body,
    )
        .into_response())
}
