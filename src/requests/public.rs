//! What anyone may read of a request, with no key and no tracking link: Open311's
//! `GET requests`. Only public fields leave, never the answers a person typed:
//!
//! - where the request stands (open or closed), its dates, the form (the Open311 service)
//!   and the service handling it;
//! - the latest note the service chose to publish (`public_note` events);
//! - its place (`address`, `lat`, `long`) only when the form version the request was filed
//!   under maps those arguments (`x-guichet.open311`) to fields it marks
//!   `"x-personal": false`. The answers read are exactly those anonymisation keeps
//!   (`catalogue::personal::statistical_answers`), so an anonymised request shows the same
//!   public fields as before, and a field the form did not mark public never leaves, on any
//!   path: description, names, e-mail, phone and files are personal by default.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;

use crate::catalogue::Catalogue;
use crate::catalogue::open311::Mapping;
use crate::catalogue::personal::statistical_answers;
use crate::domain::workflow::is_open;
use crate::domain::{FormVersion, Reference};
use crate::store::open311::{PublicRequestQuery, PublicRequestRow};
use crate::store::{Store, StoreError};

/// A request's public fields.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRequest {
    pub reference: Reference,
    pub open: bool,
    /// The latest note the service published, if any.
    pub status_notes: Option<String>,
    /// The form's id and title.
    pub form_id: String,
    pub form_title: String,
    /// The name of the service handling it now.
    pub service_name: String,
    pub requested_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Its due date, while it is open.
    pub expected_at: Option<OffsetDateTime>,
    pub address: Option<String>,
    /// Latitude and longitude, together or not at all.
    pub position: Option<(f64, f64)>,
}

/// The requests `query` selects, with their public fields only.
pub async fn public_requests(
    store: &dyn Store,
    catalogue: &Catalogue,
    query: &PublicRequestQuery,
) -> Result<Vec<PublicRequest>, StoreError> {
    let rows = store.public_requests(query).await?;
    let mut versions = PublicPlaces::default();
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let place = versions.of(store, &row.form_version).await?;
        found.push(public_fields(catalogue, row, place));
    }
    Ok(found)
}

fn public_fields(
    catalogue: &Catalogue,
    row: PublicRequestRow,
    place: Option<&(Value, Mapping)>,
) -> PublicRequest {
    let public = place.map(|(definition, _)| statistical_answers(definition, &row.data));
    let mapping = place.map(|(_, m)| m);
    let read = |pointer: fn(&Mapping) -> Option<&str>| {
        let pointer = mapping.and_then(pointer)?;
        public.as_ref()?.pointer(pointer).cloned()
    };
    let address = read(|m| m.address_string.as_deref()).and_then(|v| v.as_str().map(str::to_owned));
    let lat = read(|m| m.lat.as_deref()).and_then(|v| v.as_f64());
    let long = read(|m| m.long.as_deref()).and_then(|v| v.as_f64());
    let open = is_open(row.status);
    PublicRequest {
        open,
        status_notes: row.public_note,
        form_title: catalogue
            .form(&row.form_id)
            .map_or_else(|| row.form_id.clone(), |f| f.title.clone()),
        service_name: catalogue.service_name(&row.service).to_owned(),
        requested_at: row.created_at,
        updated_at: row.updated_at,
        expected_at: row.due_at.filter(|_| open),
        address,
        position: lat.zip(long),
        reference: row.reference,
        form_id: row.form_id,
    }
}

/// Each form version's schema and Open311 mapping, read once per listing: most requests
/// share a few versions. `None` for a version whose record is missing or maps nothing.
#[derive(Default)]
struct PublicPlaces(HashMap<FormVersion, Option<(Value, Mapping)>>);

impl PublicPlaces {
    async fn of(
        &mut self,
        store: &dyn Store,
        version: &FormVersion,
    ) -> Result<Option<&(Value, Mapping)>, StoreError> {
        if !self.0.contains_key(version) {
            let place = store.form_version(version).await?.and_then(|v| {
                let mapping = v
                    .definition
                    .pointer("/x-guichet/open311")
                    .and_then(|m| serde_json::from_value::<Mapping>(m.clone()).ok())?;
                Some((v.definition, mapping))
            });
            self.0.insert(version.clone(), place);
        }
        Ok(self.0.get(version).and_then(Option::as_ref))
    }
}
