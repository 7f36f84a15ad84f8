//! A queue's listing as JSON Lines: one request per line, with the listing's filters, for
//! other software (a fleet's planning tool, a data team's notebook).
//!
//! Unlike the spreadsheet export it has no row cap: it is streamed, one page of the listing
//! at a time, so memory stays flat however long the queue is. Each page's access records
//! are written before any of its lines leave (personal data is read only once the look is
//! recorded); if that or a read fails mid-way, the response is cut off rather than ended
//! cleanly, so a client never takes a partial file for a whole one.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::queues::{Filters, queue_in_scope};
use super::session::Signed;
use crate::catalogue::fields::Field;
use crate::domain::QueueId;
use crate::domain::time::format_time;
use crate::requests::describe::{VersionQuestions, answers};
use crate::store::personal_data::AccessView;
use crate::store::{Cursor, QueueItem, RequestQuery, StaffUser, StoredRequest};
use crate::web::error::{AppError, PageError};
use crate::web::{AppState, personal_data};

/// Requests read per page of the stream.
const BATCH: u32 = 200;

/// The media type of JSON Lines.
pub const MEDIA_TYPE: &str = "application/jsonl; charset=utf-8";

/// `GET /bureau/files/{queue}/export.jsonl`.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Path(queue_id): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let user = signed.session.user.clone();
    let query = listing(&state, &user, &queue_id, &filters)?;
    Ok(stream(state, user, query, &queue_id).await?)
}

/// The listing an export of `queue_id` reads: the queue, if `user` handles its requests,
/// with the back office's filters, from the first page.
pub fn listing(
    state: &AppState,
    user: &StaffUser,
    queue_id: &str,
    filters: &Filters,
) -> Result<RequestQuery, AppError> {
    queue_in_scope(&state.catalogue.load(), user, queue_id)?;
    let mut query = RequestQuery::for_reader(user, OffsetDateTime::now_utc());
    query.queue = Some(QueueId::from_checked(queue_id));
    filters.apply(&mut query, user)?;
    query.after = None;
    query.limit = BATCH;
    Ok(query)
}

/// Where the stream stands between two pages.
struct Export {
    state: AppState,
    user: StaffUser,
    /// The next page to read; `None` once the listing is exhausted.
    next: Option<RequestQuery>,
    /// Each form version's questions, to label the answers as the citizen saw them.
    versions: VersionQuestions,
}

/// The listing `query` as a streamed JSON Lines response, `{queue_id}-{date}.jsonl`. The
/// first page is read before the response starts, so a failure there is answered as an
/// error (a 503 when the database is down), not as a 200 cut short.
pub async fn stream(
    state: AppState,
    user: StaffUser,
    query: RequestQuery,
    queue_id: &str,
) -> Result<Response, AppError> {
    let filename = format!("{queue_id}-{}.jsonl", OffsetDateTime::now_utc().date());
    let mut start = Export {
        state,
        user,
        next: None,
        versions: VersionQuestions::default(),
    };
    let first = page(&mut start, query).await?;
    let rest = futures_util::stream::try_unfold(start, |mut export| async move {
        let Some(query) = export.next.take() else {
            return Ok(None);
        };
        match page(&mut export, query).await {
            Ok(Some(chunk)) => Ok(Some((chunk, export))),
            Ok(None) => Ok(None),
            Err(err) => {
                tracing::error!(error = %err, "a JSON Lines export stopped mid-way");
                Err(err)
            }
        }
    });
    let pages = futures_util::StreamExt::chain(futures_util::stream::iter(first.map(Ok)), rest);
    Ok((
        [
            (header::CONTENT_TYPE, MEDIA_TYPE.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(pages),
    )
        .into_response())
}

/// Reads one page and writes its lines; `None` when there is nothing left.
async fn page(export: &mut Export, query: RequestQuery) -> Result<Option<Bytes>, AppError> {
    let items = export.state.store.list_requests(&query).await?;
    if items.is_empty() {
        return Ok(None);
    }
    personal_data::record_access(
        &export.state,
        &export.user,
        items.iter().map(|i| &i.reference),
        AccessView::ExportJsonl,
    )
    .await?;
    let mut chunk = Vec::new();
    for item in &items {
        let Some(request) = export
            .state
            .store
            .request_by_reference(&item.reference)
            .await?
        else {
            continue;
        };
        let labels = export
            .versions
            .of(export.state.store.as_ref(), &request.form_version)
            .await?;
        serde_json::to_writer(&mut chunk, &line(item, &request, labels))
            .map_err(|e| AppError::Internal(e.into()))?;
        chunk.push(b'\n');
    }
    if items.len() == query.limit as usize
        && let Some(last) = items.last()
    {
        let after = Cursor::parse(query.sort, &last.cursor).map_err(AppError::BadRequest)?;
        export.next = Some(RequestQuery {
            after: Some(after),
            ..query
        });
    }
    Ok(Some(Bytes::from(chunk)))
}

/// One request's line: where it stands, and its answers twice, labelled as the citizen saw
/// them (`answers`) and as stored (`data`, the form's JSON, dates in ISO 8601).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    pub reference: String,
    pub form: ExportedForm,
    pub commune: Option<String>,
    pub channel: String,
    pub status: String,
    pub priority: String,
    pub service: String,
    pub queue: String,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub due_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// The answers in the form's order, labelled as the citizen saw them.
    pub answers: Vec<ExportedAnswer>,
    /// The answers as stored: the form's JSON.
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportedForm {
    pub id: String,
    pub version: String,
    pub title: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportedAnswer {
    /// The heading of the section the question sits under (empty for none).
    pub section: String,
    pub label: String,
    pub value: String,
}

fn line(item: &QueueItem, request: &StoredRequest, questions: Option<&[Field]>) -> ExportLine {
    let answers = questions
        .map(|fields| {
            answers(fields, &request.data)
                .into_iter()
                .flat_map(|section| {
                    let heading = section.heading;
                    section.answers.into_iter().map(move |a| ExportedAnswer {
                        section: heading.clone(),
                        label: a.label,
                        value: a.value,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    ExportLine {
        reference: request.reference.to_string(),
        form: ExportedForm {
            id: request.form_id.clone(),
            version: request.form_version.to_string(),
            title: item.form_title.clone(),
        },
        commune: request.commune.as_ref().map(|c| c.to_string()),
        channel: request.channel.clone(),
        status: request.status.as_str().to_owned(),
        priority: request.priority.as_str().to_owned(),
        service: request.service.to_string(),
        queue: request.queue.to_string(),
        assignee: request.assignee.clone(),
        tags: request.tags.clone(),
        due_at: request.due_at.map(format_time),
        created_at: format_time(request.created_at),
        updated_at: format_time(request.updated_at),
        closed_at: request.closed_at.map(format_time),
        answers,
        data: request.data.clone(),
    }
}
