//! What the communes' small sites keep in the database: each page's draft (never shown to
//! the public), its published versions (append-only: publishing or restoring adds one), its
//! news items, and which élus also edit their communes' sites.

use async_trait::async_trait;
use time::{Date, OffsetDateTime};

use super::StoreError;
use crate::domain::site::{NewsContent, PageContent};

/// The work in progress on one commune's page, shared by its editors.
#[derive(Debug, Clone, PartialEq)]
pub struct PageDraft {
    pub commune: String,
    pub content: PageContent,
    pub author: String,
    pub updated_at: OffsetDateTime,
}

/// One published version of a commune's page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageVersion {
    pub commune: String,
    /// 1, 2, 3… per commune.
    pub number: i64,
    pub content: PageContent,
    pub author: String,
    pub published_at: OffsetDateTime,
    /// The version this one republished, when it was a restore.
    pub restored_from: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewsItem {
    pub id: String,
    pub commune: String,
    pub content: NewsContent,
    pub author: String,
    pub published: bool,
    pub updated_at: OffsetDateTime,
}

impl NewsItem {
    /// Shown to the public on `today` (Paris date): published and not past its end date.
    pub fn is_current(&self, today: Date) -> bool {
        self.published && self.content.ends_on.is_none_or(|end| end >= today)
    }
}

#[async_trait]
pub trait SiteStore: Send + Sync {
    /// Creates or replaces the commune's draft.
    async fn save_page_draft(&self, draft: &PageDraft) -> Result<(), StoreError>;
    async fn page_draft(&self, commune: &str) -> Result<Option<PageDraft>, StoreError>;
    /// Records `content` as the commune's next version and drops its draft, in one
    /// transaction. Returns the new version's number.
    async fn publish_page(
        &self,
        commune: &str,
        content: &PageContent,
        author: &str,
        restored_from: Option<i64>,
    ) -> Result<i64, StoreError>;
    /// The newest version, the one the public sees.
    async fn published_page(&self, commune: &str) -> Result<Option<PageVersion>, StoreError>;
    async fn page_version(
        &self,
        commune: &str,
        number: i64,
    ) -> Result<Option<PageVersion>, StoreError>;
    /// Every version, newest first.
    async fn page_history(&self, commune: &str) -> Result<Vec<PageVersion>, StoreError>;

    /// Creates (no `id` yet stored) or replaces a news item of the commune. Refused when the
    /// id names another commune's item.
    async fn save_news(&self, item: &NewsItem) -> Result<(), StoreError>;
    async fn news_item(&self, commune: &str, id: &str) -> Result<Option<NewsItem>, StoreError>;
    /// The commune's news, newest first (by date, then by last change), published or not.
    async fn commune_news(&self, commune: &str) -> Result<Vec<NewsItem>, StoreError>;

    /// Replaces the commune's picture (type already checked).
    async fn set_picture(
        &self,
        commune: &str,
        media_type: &str,
        bytes: &[u8],
        author: &str,
    ) -> Result<(), StoreError>;
    /// Whether the commune has a picture (without reading it).
    async fn has_picture(&self, commune: &str) -> Result<bool, StoreError>;
    /// The commune's picture: its media type and bytes.
    async fn picture(&self, commune: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;

    /// Whether this élu also edits the sites of their communes.
    async fn is_site_editor(&self, email: &str) -> Result<bool, StoreError>;
    async fn set_site_editor(&self, email: &str, editor: bool) -> Result<(), StoreError>;
}

/// A published version of a commune's page.
pub(super) fn version_row(row: &impl super::row::ReadRow) -> Result<PageVersion, StoreError> {
    Ok(PageVersion {
        commune: row.text("commune")?,
        number: row.int("number")?,
        content: row.decoded("content")?,
        author: row.text("author")?,
        published_at: row.time("published_at")?,
        restored_from: row.opt_int("restored_from")?,
    })
}

/// A news item of a commune.
pub(super) fn news_row(row: &impl super::row::ReadRow) -> Result<NewsItem, StoreError> {
    Ok(NewsItem {
        id: row.text("id")?,
        commune: row.text("commune")?,
        content: NewsContent {
            date: row
                .opt_date("news_date")?
                .ok_or_else(|| super::row::unreadable("news_date", "NULL"))?,
            title: row.text("title")?,
            body: row.text("body")?,
            ends_on: row.opt_date("ends_on")?,
        },
        author: row.text("author")?,
        published: row.flag("published")?,
        updated_at: row.time("updated_at")?,
    })
}
