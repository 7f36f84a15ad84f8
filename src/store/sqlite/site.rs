//! SQLite: the communes' pages, their versions, their news, and élus who edit them.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::Date;

use super::SqliteStore;
use crate::domain::site::PageContent;
use crate::store::site::{NewsItem, PageDraft, PageVersion, SiteStore};
use crate::store::site::{news_row, version_row};
use crate::store::{StoreError, format_time, parse_time};

const DAY: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn content(row: &SqliteRow) -> Result<PageContent, StoreError> {
    let text: String = row.try_get("content")?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("bad page content in the database: {e}")))
}

fn json(content: &PageContent) -> Result<String, StoreError> {
    serde_json::to_string(content).map_err(|e| StoreError::Other(e.into()))
}

#[async_trait]
impl SiteStore for SqliteStore {
    async fn save_page_draft(&self, draft: &PageDraft) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO commune_page_drafts (commune, content, author, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (commune) DO UPDATE SET content = excluded.content,
                author = excluded.author, updated_at = excluded.updated_at",
        )
        .bind(&draft.commune)
        .bind(json(&draft.content)?)
        .bind(&draft.author)
        .bind(format_time(draft.updated_at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn page_draft(&self, commune: &str) -> Result<Option<PageDraft>, StoreError> {
        let row = sqlx::query("SELECT * FROM commune_page_drafts WHERE commune = ?")
            .bind(commune)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(PageDraft {
                commune: row.try_get("commune")?,
                content: content(&row)?,
                author: row.try_get("author")?,
                updated_at: parse_time(&row.try_get::<String, _>("updated_at")?)?,
            })
        })
        .transpose()
    }

    async fn publish_page(
        &self,
        commune: &str,
        content: &PageContent,
        author: &str,
        restored_from: Option<i64>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let number: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM commune_page_versions WHERE commune = ?",
        )
        .bind(commune)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO commune_page_versions (commune, number, content, author, published_at, restored_from)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(commune)
        .bind(number)
        .bind(json(content)?)
        .bind(author)
        .bind(format_time(time::OffsetDateTime::now_utc()))
        .bind(restored_from)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM commune_page_drafts WHERE commune = ?")
            .bind(commune)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(number)
    }

    async fn published_page(&self, commune: &str) -> Result<Option<PageVersion>, StoreError> {
        sqlx::query(
            "SELECT * FROM commune_page_versions WHERE commune = ? ORDER BY number DESC LIMIT 1",
        )
        .bind(commune)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| version_row(&row))
        .transpose()
    }

    async fn page_version(
        &self,
        commune: &str,
        number: i64,
    ) -> Result<Option<PageVersion>, StoreError> {
        sqlx::query("SELECT * FROM commune_page_versions WHERE commune = ? AND number = ?")
            .bind(commune)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| version_row(&row))
            .transpose()
    }

    async fn page_history(&self, commune: &str) -> Result<Vec<PageVersion>, StoreError> {
        sqlx::query("SELECT * FROM commune_page_versions WHERE commune = ? ORDER BY number DESC")
            .bind(commune)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(version_row)
            .collect()
    }

    async fn save_news(&self, item: &NewsItem) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO commune_news (id, commune, news_date, title, body, ends_on, author, published, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET news_date = excluded.news_date, title = excluded.title,
                body = excluded.body, ends_on = excluded.ends_on, author = excluded.author,
                published = excluded.published, updated_at = excluded.updated_at
             WHERE commune_news.commune = excluded.commune",
        )
        .bind(&item.id)
        .bind(&item.commune)
        .bind(format_day(item.content.date)?)
        .bind(&item.content.title)
        .bind(&item.content.body)
        .bind(item.content.ends_on.map(format_day).transpose()?)
        .bind(&item.author)
        .bind(i64::from(item.published))
        .bind(format_time(item.updated_at))
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Refused(
                "Cette actualité appartient à une autre commune.".into(),
            ));
        }
        Ok(())
    }

    async fn news_item(&self, commune: &str, id: &str) -> Result<Option<NewsItem>, StoreError> {
        sqlx::query("SELECT * FROM commune_news WHERE commune = ? AND id = ?")
            .bind(commune)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| news_row(&row))
            .transpose()
    }

    async fn commune_news(&self, commune: &str) -> Result<Vec<NewsItem>, StoreError> {
        sqlx::query(
            "SELECT * FROM commune_news WHERE commune = ? ORDER BY news_date DESC, updated_at DESC",
        )
        .bind(commune)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(news_row)
        .collect()
    }

    async fn set_picture(
        &self,
        commune: &str,
        media_type: &str,
        bytes: &[u8],
        author: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO commune_pictures (commune, media_type, bytes, uploaded_by, uploaded_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (commune) DO UPDATE SET media_type = excluded.media_type,
                bytes = excluded.bytes, uploaded_by = excluded.uploaded_by,
                uploaded_at = excluded.uploaded_at",
        )
        .bind(commune)
        .bind(media_type)
        .bind(bytes)
        .bind(author)
        .bind(format_time(time::OffsetDateTime::now_utc()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn has_picture(&self, commune: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT commune FROM commune_pictures WHERE commune = ?")
                .bind(commune)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn picture(&self, commune: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT media_type, bytes FROM commune_pictures WHERE commune = ?")
            .bind(commune)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("media_type")?, row.try_get("bytes")?)))
            .transpose()
    }

    async fn is_site_editor(&self, email: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT email FROM site_editors WHERE email = ?")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    async fn set_site_editor(&self, email: &str, editor: bool) -> Result<(), StoreError> {
        let sql = if editor {
            "INSERT INTO site_editors (email) VALUES (?) ON CONFLICT (email) DO NOTHING"
        } else {
            "DELETE FROM site_editors WHERE email = ?"
        };
        sqlx::query(sql).bind(email).execute(&self.writer).await?;
        Ok(())
    }
}

fn format_day(date: Date) -> Result<String, StoreError> {
    date.format(DAY).map_err(|e| StoreError::Other(e.into()))
}
