//! The citizen's copy of their data (right of access, RGPD art. 15): everything Guichet
//! holds about their request, behind the same tracking link (same rate limit, same 404 for
//! a wrong token), as a printable page and as a JSON download.
//!
//! What is in it: the request (reference, form and its version, status, service, commune,
//! dates), every answer under the label of the form version it was filed under with the
//! value as the citizen reads it, the raw answers, the history and messages the citizen
//! sees, and the files. Staff-only events (routing, notes, assignment) are not: they are
//! the service's working notes, and the tracking history already leaves them out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::{EventKind, TrackingToken};
use crate::i18n::Lang;
use crate::store::{TrackedRequest, format_time};
use crate::web::AppState;
use crate::web::error::{ApiError, AppError, PageError};
use crate::web::language::Localizer;
use crate::web::personal_data::{self, AnswerRow};
use crate::web::tracking::{self, history_label};

/// A message of the exchange, as the citizen reads it.
pub struct MessageView {
    pub when: String,
    pub from: String,
    pub text: String,
}

/// A file of the request: name, media type, size in words, download link.
pub struct FileView {
    pub name: String,
    pub media_type: String,
    pub size: String,
    pub link: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/my_data.html")]
pub struct MyDataPage {
    pub t: Localizer,
    pub territory: String,
    pub token: String,
    pub reference: String,
    pub form_title: String,
    pub form_id: String,
    pub version: String,
    pub status: String,
    pub service: String,
    pub commune: String,
    pub filed_on: String,
    pub updated_on: String,
    pub generated_on: String,
    pub answers: Vec<AnswerRow>,
    pub raw: String,
    pub history: Vec<(String, String)>,
    pub messages: Vec<MessageView>,
    pub files: Vec<FileView>,
}

/// Who wrote a message event, for the citizen; `None` for other events.
fn message_of(kind: EventKind, body: &Value) -> Option<(&'static str, String)> {
    let from = match kind {
        EventKind::Message => "service",
        EventKind::CitizenReply | EventKind::Reopened => "vous",
        _ => return None,
    };
    let text = body.get("text").and_then(Value::as_str).unwrap_or_default();
    Some((from, text.to_owned()))
}

struct Gathered {
    request: TrackedRequest,
    title: String,
    answers: Vec<AnswerRow>,
}

async fn gather(
    state: &AppState,
    token: &str,
    lang: Lang,
) -> Result<(TrackingToken, Gathered), AppError> {
    let (token, request) = tracking::find(state, token).await?;
    let (title, answers) =
        personal_data::labelled_answers(state, &request.form_version, &request.data, lang).await?;
    let title = title.unwrap_or_else(|| request.form_title.clone());
    Ok((
        token,
        Gathered {
            request,
            title,
            answers,
        },
    ))
}

fn piece_link(state: &AppState, token: &TrackingToken, sha256: &str) -> String {
    format!(
        "{}/suivi/{}/pieces/{}",
        state.public_url,
        token.as_str(),
        sha256
    )
}

/// `GET /suivi/{token}/donnees`: the printable page.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    t: Localizer,
) -> Result<MyDataPage, PageError> {
    let (token, found) = gather(&state, &token, t.lang).await?;
    let catalogue = state.catalogue.load();
    let request = &found.request;
    let lang = t.lang;
    let date = |at: OffsetDateTime| crate::domain::time::date_in(at, lang);
    Ok(MyDataPage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        token: token.as_str().to_owned(),
        reference: request.reference.to_string(),
        form_title: found.title.clone(),
        form_id: request.form_id.clone(),
        version: request.form_version.as_str().to_owned(),
        status: request.status.label(lang),
        service: catalogue.service_name(&request.service).to_owned(),
        commune: commune_name(&catalogue, request.commune.as_deref()),
        filed_on: date(request.created_at),
        updated_on: date(request.updated_at),
        generated_on: date(OffsetDateTime::now_utc()),
        raw: serde_json::to_string_pretty(&request.data).unwrap_or_default(),
        history: request
            .history
            .iter()
            .map(|e| {
                (
                    date(e.created_at),
                    crate::web::tracking::history_label_in(&catalogue, e, lang),
                )
            })
            .collect(),
        messages: request
            .history
            .iter()
            .filter_map(|e| {
                message_of(e.kind, &e.body).map(|(from, text)| MessageView {
                    when: date(e.created_at),
                    from: lang.text(if from == "service" {
                        "my-data-from-service"
                    } else {
                        "my-data-from-you"
                    }),
                    text,
                })
            })
            .collect(),
        files: crate::web::uploads::files_of(&request.data)
            .into_iter()
            .map(|f| FileView {
                link: piece_link(&state, &token, &f.sha256),
                size: crate::attachments::human_size_in(f.size, lang),
                name: f.name,
                media_type: f.media_type,
            })
            .collect(),
        answers: found.answers,
    })
}

fn commune_name(catalogue: &crate::catalogue::Catalogue, slug: Option<&str>) -> String {
    slug.map(|c| {
        catalogue
            .territory
            .commune(c)
            .map_or_else(|| c.to_owned(), |c| c.name.clone())
    })
    .unwrap_or_default()
}

/// `GET /suivi/{token}/donnees.json`: the same, as a file to keep.
pub async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    // The file to keep is in French, like the API: its labels are the form's own.
    let (token, found) = gather(&state, &token, Lang::Fr).await?;
    let catalogue = state.catalogue.load();
    let request = &found.request;
    let document = json!({
        "generated_at": format_time(OffsetDateTime::now_utc()),
        "reference": request.reference.to_string(),
        "form": {
            "id": request.form_id,
            "title": found.title,
            "version": request.form_version.as_str(),
        },
        "status": {"code": request.status.as_str(), "label": request.status.label_fr()},
        "service": {"id": request.service, "name": catalogue.service_name(&request.service)},
        "commune": request.commune.as_deref().map(|slug| json!({
            "slug": slug,
            "name": commune_name(&catalogue, Some(slug)),
        })),
        "created_at": format_time(request.created_at),
        "updated_at": format_time(request.updated_at),
        "answers": personal_data::answers_json(&found.answers),
        "data": request.data,
        "history": request.history.iter().map(|e| json!({
            "at": format_time(e.created_at),
            "kind": e.kind,
            "label": history_label(&catalogue, e),
        })).collect::<Vec<_>>(),
        "messages": request.history.iter().filter_map(|e| {
            message_of(e.kind, &e.body).map(|(from, text)| json!({
                "at": format_time(e.created_at),
                "from": if from == "service" { "service" } else { "citizen" },
                "text": text,
            }))
        }).collect::<Vec<_>>(),
        "files": crate::web::uploads::files_of(&request.data).iter().map(|f| json!({
            "name": f.name,
            "type": f.media_type,
            "size": f.size,
            "url": piece_link(&state, &token, &f.sha256),
        })).collect::<Vec<_>>(),
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
                    "attachment; filename=\"demande-{}.json\"",
                    request.reference
                ),
            ),
        ],
        body,
    )
        .into_response())
}
