//! What the form builder keeps in the database: designers' drafts (never served), the
//! history of each form's versions, and the past requests a dry run replays.

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use super::{FormVersionRecord, StoreError};
use crate::domain::Reference;

/// A designer's work in progress on one form: one per form and designer.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub form_id: String,
    pub author: String,
    pub service: String,
    /// The definition file's JSON as edited (not the effective schema).
    pub definition: Value,
    pub rule_source: Option<String>,
    pub base_version: Option<String>,
    pub updated_at: OffsetDateTime,
}

/// Who made a version and why, when known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub author: Option<String>,
    pub message: Option<String>,
}

/// One line of a form's history.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSummary {
    pub version: String,
    pub title: String,
    pub git_commit: Option<String>,
    pub author: Option<String>,
    pub message: Option<String>,
    pub recorded_at: OffsetDateTime,
}

/// A filed request as a dry run replays it.
#[derive(Debug, Clone)]
pub struct PastRequest {
    pub reference: Reference,
    pub data: Value,
    /// The queue its rule chose when it was filed (not where a transfer later moved it).
    pub queue: String,
    pub commune: Option<String>,
    pub channel: String,
}

#[async_trait]
pub trait BuilderStore: Send + Sync {
    /// Creates or replaces the author's draft of the form.
    async fn save_draft(&self, draft: &Draft) -> Result<(), StoreError>;
    async fn draft(&self, form_id: &str, author: &str) -> Result<Option<Draft>, StoreError>;
    async fn delete_draft(&self, form_id: &str, author: &str) -> Result<(), StoreError>;
    /// Records a version if it is new. A version already recorded (at filing time, say)
    /// gets the provenance if it had none. Returns whether the version (still) lacks an
    /// author: new, or recorded without one.
    async fn record_version(
        &self,
        record: &FormVersionRecord,
        provenance: &Provenance,
    ) -> Result<bool, StoreError>;
    /// The form's versions, newest first.
    async fn form_history(&self, form_id: &str) -> Result<Vec<VersionSummary>, StoreError>;
    /// The form's last `limit` requests, newest first.
    async fn recent_requests(
        &self,
        form_id: &str,
        limit: u32,
    ) -> Result<Vec<PastRequest>, StoreError>;
}

/// A designer's draft (a `form_drafts` row).
pub(super) fn draft_row(row: &impl super::row::ReadRow) -> Result<Draft, StoreError> {
    Ok(Draft {
        form_id: row.text("form_id")?,
        author: row.text("author")?,
        service: row.text("service")?,
        definition: row.json("definition")?,
        rule_source: row.opt_text("rule_source")?,
        base_version: row.opt_text("base_version")?,
        updated_at: row.time("updated_at")?,
    })
}
