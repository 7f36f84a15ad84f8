//! Admins' personal-data pages: the subject-access search (every request that holds one
//! e-mail address or phone number, and their export for the person who asked), and a
//! request's access records (who opened its personal data, when, how).
//!
//! Both search and export open personal data, so they write access records for every
//! request they list, before showing them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::catalogue::fields;
use crate::domain::{ContactKey, Reference, Role};
use crate::store::personal_data::{AccessView, SubjectMatch};
use crate::store::{StaffUser, StoredRequest, format_time};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::personal_data::{self as shared, AnswerRow};
use crate::web::public::date_fr;

/// The most access records the page lists.
const RECORDS_SHOWN: u32 = 500;

fn admin_only(user: &StaffUser) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "Cette page est réservée aux administrateurs.".into(),
        ))
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One request found, ready to show.
pub struct FoundView {
    pub reference: String,
    pub form_title: String,
    pub filed_on: String,
    pub status: String,
    /// Where the identifier is: answers' labels, « contact du demandeur ».
    pub places: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/personal_data.html")]
pub struct SearchPage {
    pub territory: String,
    pub me: Me,
    pub q: String,
    /// `q` for the export link's query string.
    pub q_encoded: String,
    pub error: String,
    pub searched: bool,
    pub described: String,
    pub found: Vec<FoundView>,
}

/// A match with its request and the labels of its form version.
struct Found {
    matched: SubjectMatch,
    request: StoredRequest,
    title: String,
    answers: Vec<AnswerRow>,
    places: Vec<String>,
}

/// Every request that holds the identifier, loaded, with where it is in words.
async fn search(state: &AppState, key: &ContactKey) -> Result<Vec<Found>, AppError> {
    let mut found = Vec::new();
    for matched in state.store.find_subject(key).await? {
        let Some(request) = state.store.request_by_reference(&matched.reference).await? else {
            continue;
        };
        let version = state.store.form_version(&request.form_version).await?;
        let built = version
            .as_ref()
            .and_then(|v| fields::build(&v.definition).ok());
        let title = version
            .as_ref()
            .map(|v| v.title.clone())
            .unwrap_or_else(|| request.form_id.clone());
        let mut places: Vec<String> = matched
            .answers
            .iter()
            .map(|pointer| {
                let path: Vec<String> = pointer
                    .split('/')
                    .skip(1)
                    .map(|p| p.replace("~1", "/").replace("~0", "~"))
                    .collect();
                built
                    .as_deref()
                    .and_then(|f| fields::nearest(f, &path))
                    .map_or_else(
                        || format!("réponse {pointer}"),
                        |f| format!("« {} »", f.label),
                    )
            })
            .collect();
        if matched.in_contact {
            places.push("contact du demandeur".into());
        }
        places.dedup();
        let answers = built
            .as_deref()
            .map(|f| shared::answer_rows(f, &request.data))
            .unwrap_or_default();
        found.push(Found {
            matched,
            request,
            title,
            answers,
            places,
        });
    }
    Ok(found)
}

/// `GET /bureau/donnees-personnelles?q=`: the search form, and what it finds.
pub async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    admin_only(user)?;
    let catalogue = state.catalogue.load();
    let mut page = SearchPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        q: query.q.chars().take(300).collect(),
        q_encoded: url::form_urlencoded::byte_serialize(query.q.trim().as_bytes()).collect(),
        error: String::new(),
        searched: false,
        described: String::new(),
        found: Vec::new(),
    };
    if query.q.trim().is_empty() {
        return Ok(page.into_response());
    }
    let key = match ContactKey::parse(&query.q) {
        Ok(key) => key,
        Err(message) => {
            page.error = message;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let found = search(&state, &key).await?;
    shared::record_access(
        &state,
        user,
        found.iter().map(|f| &f.request.reference),
        AccessView::SubjectSearch,
    )
    .await?;
    tracing::info!(actor = %user.email, found = found.len(), "subject-access search");
    page.searched = true;
    page.described = key.describe_fr();
    page.found = found
        .iter()
        .map(|f| FoundView {
            reference: f.request.reference.to_string(),
            form_title: f.title.clone(),
            filed_on: date_fr(f.request.created_at),
            status: f.request.status.staff_label_fr().to_owned(),
            places: f.places.join(", "),
        })
        .collect();
    Ok(page.into_response())
}

/// `GET /bureau/donnees-personnelles/export.json?q=`: every request found, whole (answers
/// with their labels, raw data, contact, every event), as a file to hand to the person.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    admin_only(user)?;
    let key = ContactKey::parse(&query.q).map_err(AppError::Unprocessable)?;
    let found = search(&state, &key).await?;
    shared::record_access(
        &state,
        user,
        found.iter().map(|f| &f.request.reference),
        AccessView::SubjectExport,
    )
    .await?;
    tracing::info!(actor = %user.email, found = found.len(), "subject-access export");
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let requests: Vec<Value> = found
        .iter()
        .map(|f| {
            let r = &f.request;
            json!({
                "reference": r.reference.to_string(),
                "form": {"id": r.form_id, "title": f.title, "version": r.form_version.as_str()},
                "status": {"code": r.status.as_str(), "label": r.status.label_fr()},
                "service": {"id": r.service, "name": catalogue.service_name(&r.service)},
                "queue": r.queue,
                "commune": r.commune,
                "channel": r.channel,
                "filed_by": r.filed_by,
                "citizen_contact": r.citizen_contact,
                "created_at": format_time(r.created_at),
                "updated_at": format_time(r.updated_at),
                "matched": {"answers": f.matched.answers, "citizen_contact": f.matched.in_contact},
                "answers": shared::answers_json(&f.answers),
                "data": r.data,
                "events": r.events.iter().map(|e| json!({
                    "kind": e.kind, "actor": e.actor, "body": e.body, "at": format_time(e.created_at),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let (kind, value) = match &key {
        ContactKey::Email(v) => ("email", v),
        ContactKey::Phone(v) => ("phone", v),
    };
    let document = json!({
        "generated_at": format_time(now),
        "generated_by": user.email,
        "query": {"kind": kind, "value": value},
        "count": requests.len(),
        "requests": requests,
    });
    let body = serde_json::to_vec_pretty(&document).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"donnees-personnelles-{}.json\"",
                    now.date()
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// One line of a request's access records.
pub struct RecordView {
    pub when: String,
    pub actor: String,
    pub role: String,
    pub view: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/access_records.html")]
pub struct RecordsPage {
    pub territory: String,
    pub me: Me,
    pub reference: String,
    pub records: Vec<RecordView>,
    pub limit: u32,
}

/// `GET /bureau/demandes/{reference}/acces`: who opened the request's personal data,
/// newest first. Admins only; the records outlive the request's anonymisation.
pub async fn records(
    State(state): State<AppState>,
    signed: Signed,
    Path(reference): Path<String>,
) -> Result<RecordsPage, PageError> {
    let user = &signed.session.user;
    admin_only(user)?;
    let reference = Reference::parse(&reference).map_err(|_| crate::web::handling::not_found())?;
    let records = state
        .store
        .access_records(&reference, RECORDS_SHOWN)
        .await?;
    if records.is_empty() && state.store.status_by_reference(&reference).await?.is_none() {
        return Err(crate::web::handling::not_found().into());
    }
    let catalogue = state.catalogue.load();
    Ok(RecordsPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        reference: reference.to_string(),
        records: records
            .iter()
            .map(|r| RecordView {
                when: date_fr(r.at),
                actor: r.actor.clone(),
                role: Role::parse(&r.role)
                    .map(|role| role.label_fr().to_owned())
                    .unwrap_or_else(|_| r.role.clone()),
                view: crate::store::personal_data::AccessView::parse(&r.view)
                    .map(|v| v.label_fr().to_owned())
                    .unwrap_or_else(|| r.view.clone()),
            })
            .collect(),
        limit: RECORDS_SHOWN,
    })
}
