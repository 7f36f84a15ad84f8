//! Personal data, the citizen's rights side: who looked at a request (access records), and
//! finding every request that holds one person's e-mail address or phone number (subject
//! access). The matching is written once, here, over one scan primitive per database.

use async_trait::async_trait;
use serde_json::Value;
use time::OffsetDateTime;

use super::StoreError;
use crate::domain::{ContactKey, Reference};

/// How a request's personal data was opened, as an access record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessView {
    /// The back-office request page.
    Page,
    /// One of its files, from the back office.
    Piece,
    /// `GET /api/v1/requests/{reference}`.
    Api,
    /// One of its files, through the API.
    ApiPiece,
    /// A queue's spreadsheet export (one record per request in it).
    ExportCsv,
    /// A queue's JSON Lines export (one record per request in it).
    ExportJsonl,
    /// Listed by a subject-access search.
    SubjectSearch,
    /// Part of a subject-access export.
    SubjectExport,
    /// Listed on the admins' outbox page, which shows the citizen's e-mail address of a
    /// message that failed.
    Outbox,
}

impl AccessView {
    pub const ALL: [AccessView; 9] = [
        AccessView::Page,
        AccessView::Piece,
        AccessView::Api,
        AccessView::ApiPiece,
        AccessView::ExportCsv,
        AccessView::ExportJsonl,
        AccessView::SubjectSearch,
        AccessView::SubjectExport,
        AccessView::Outbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessView::Page => "page",
            AccessView::Piece => "piece",
            AccessView::Api => "api",
            AccessView::ApiPiece => "api_piece",
            AccessView::ExportCsv => "export_csv",
            AccessView::ExportJsonl => "export_jsonl",
            AccessView::SubjectSearch => "subject_search",
            AccessView::SubjectExport => "subject_export",
            AccessView::Outbox => "outbox",
        }
    }

    pub fn parse(text: &str) -> Option<AccessView> {
        AccessView::ALL.into_iter().find(|v| v.as_str() == text)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            AccessView::Page => "page de la demande",
            AccessView::Piece => "pièce jointe (bureau)",
            AccessView::Api => "lecture par l'API",
            AccessView::ApiPiece => "pièce jointe (API)",
            AccessView::ExportCsv => "export tableur d'une file",
            AccessView::ExportJsonl => "export JSON Lines d'une file",
            AccessView::SubjectSearch => "recherche de données personnelles",
            AccessView::SubjectExport => "export de données personnelles",
            AccessView::Outbox => "envois en échec (adresse du demandeur)",
        }
    }
}

/// One look at one request's personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRecord {
    pub reference: Reference,
    /// The staff account's e-mail address.
    pub actor: String,
    /// Its role when it looked (`admin`, `agent`, `elu`…).
    pub role: String,
    /// [`AccessView::as_str`]; kept as text so records of a view a later version drops
    /// still read.
    pub view: String,
    pub at: OffsetDateTime,
}

/// A request's personal data, as a subject-access scan reads it.
#[derive(Debug, Clone)]
pub struct PersonalDataRow {
    /// The request's id: scans go in id order, and `after` is the last one seen.
    pub id: String,
    pub reference: Reference,
    pub data: Value,
    pub citizen_contact: Option<String>,
}

/// A request that holds the identifier, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct SubjectMatch {
    pub reference: Reference,
    /// JSON Pointers of the answers that hold it.
    pub answers: Vec<String>,
    /// The contact an élu recorded holds it.
    pub in_contact: bool,
}

/// How long access records are kept by default: a year answers « who saw my file? » about
/// any request still open or recently closed without keeping a second register of the
/// citizens' requests. The purge calls [`PersonalDataStore::forget_access_records`] with
/// `now - ACCESS_RECORDS_KEEP_DAYS`.
pub const ACCESS_RECORDS_KEEP_DAYS: u32 = 365;

/// Requests read per scan step.
const SCAN_BATCH: u32 = 500;

#[async_trait]
pub trait PersonalDataStore: Send + Sync {
    /// Writes the records in one statement: all of them, or an error (then the personal
    /// data they announce is not shown).
    async fn record_access(&self, records: &[AccessRecord]) -> Result<(), StoreError>;

    /// The request's access records, newest first, at most `limit`.
    async fn access_records(
        &self,
        reference: &Reference,
        limit: u32,
    ) -> Result<Vec<AccessRecord>, StoreError>;

    /// Deletes the records made before `before`; returns how many. For the purge job.
    async fn forget_access_records(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    /// Up to `limit` requests with ids after `after`, in id order. With `containing`, only
    /// those whose data or contact, ASCII-lower-cased as text, contain it (a superset of
    /// the matches: see [`ContactKey::prefilter`]).
    async fn personal_data_batch(
        &self,
        after: Option<&str>,
        limit: u32,
        containing: Option<&str>,
    ) -> Result<Vec<PersonalDataRow>, StoreError>;

    /// Every request that holds the identifier, in filing order. The database narrows the
    /// scan where it can be exact (e-mail addresses); every candidate is then checked here,
    /// so a phone number written with any separators is found.
    async fn find_subject(&self, key: &ContactKey) -> Result<Vec<SubjectMatch>, StoreError> {
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let batch = self
                .personal_data_batch(after.as_deref(), SCAN_BATCH, key.prefilter())
                .await?;
            for row in &batch {
                let mut answers = Vec::new();
                matching_answers(key, &row.data, String::new(), &mut answers);
                let in_contact = row
                    .citizen_contact
                    .as_deref()
                    .is_some_and(|c| key.found_in(c));
                if in_contact || !answers.is_empty() {
                    found.push(SubjectMatch {
                        reference: row.reference.clone(),
                        answers,
                        in_contact,
                    });
                }
            }
            match batch.last() {
                Some(last) if batch.len() == SCAN_BATCH as usize => after = Some(last.id.clone()),
                _ => return Ok(found),
            }
        }
    }
}

/// The pointers of every text in `value` (at any depth) that holds the identifier.
fn matching_answers(key: &ContactKey, value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::String(text) if key.found_in(text) => out.push(pointer),
        Value::Object(map) => {
            for (name, child) in map {
                let escaped = name.replace('~', "~0").replace('/', "~1");
                matching_answers(key, child, format!("{pointer}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                matching_answers(key, child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_match_at_any_depth() {
        let key = ContactKey::parse("06 12 34 56 78").unwrap();
        let data = json!({
            "telephone": "+33 6 12 34 56 78",
            "adresse": {"rue": "Rue de la Paix", "contacts": ["05 53 00 00 00", "06.12.34.56.78"]},
            "a/b": "0612345678",
            "volume": 612345678
        });
        let mut out = Vec::new();
        matching_answers(&key, &data, String::new(), &mut out);
        out.sort();
        assert_eq!(out, ["/adresse/contacts/1", "/a~1b", "/telephone"]);
    }

    #[test]
    fn views_read_back() {
        for view in AccessView::ALL {
            assert_eq!(AccessView::parse(view.as_str()), Some(view));
        }
    }
}
