//! The tracking page (for the holder of the private link) and the reference lookup (status
//! only, never personal data).

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::domain::time::{date_in, day_fr, paris_time};
use crate::domain::workflow::{self, Action, CitizenConflict, TextProblem, is_open};
use crate::domain::{EventKind, Reference, Status, TrackingToken};
use crate::i18n::Lang;
use crate::requests::describe::{Section, VersionQuestions, answers_in};
use crate::store::TrackedRequest;
use crate::web::error::{AppError, PageError};
use crate::web::language::Localizer;
use crate::web::tracking::{self, history_label_in};
use crate::web::{AppState, forms};

#[derive(Template, WebTemplate)]
#[template(path = "public/track.html")]
pub struct TrackPage {
    pub t: Localizer,
    pub territory: String,
    pub just_filed: bool,
    pub tracking_url: String,
    pub reference: String,
    pub form_title: String,
    pub status: String,
    pub service: String,
    pub filed_on: String,
    pub history: Vec<(String, String)>,
    /// The token, for the reply and "not fixed" forms.
    pub token: String,
    pub waiting: bool,
    pub open: bool,
    pub resolved: bool,
    pub error: String,
    pub text: String,
    /// (name, download link)
    pub files: Vec<(String, String)>,
    /// A closed request: the day its personal data goes.
    pub planned_anonymisation: String,
    /// The citizen's own answers, labelled as their form version asked them.
    pub answers: Vec<Section>,
    /// On the receipt: the address the confirmation went to (empty when none was given).
    pub receipt_email: String,
    /// While the service waits for the citizen: its question (its latest message).
    pub question: String,
    /// On the receipt: the day the service means to have handled it by (empty when its
    /// form and rule set no deadline).
    pub due_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/lookup.html")]
pub struct LookupPage {
    pub t: Localizer,
    pub territory: String,
    pub reference: String,
    pub error: String,
    pub status: String,
    pub updated_on: String,
}

#[derive(Deserialize)]
pub struct TrackQuery {
    recu: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<TrackQuery>,
    t: Localizer,
) -> Result<TrackPage, PageError> {
    let (token, request) = tracking::find(&state, &token).await?;
    let mut page = track_page(&state, &token, &request, query.recu.is_some(), t);
    page.planned_anonymisation = planned_anonymisation(&state, &request).await?;
    page.answers = your_answers(&state, &request, page.t.lang).await?;
    Ok(page)
}

/// The request's answers with the labels of the version the citizen filed (none when that
/// version cannot be read).
async fn your_answers(
    state: &AppState,
    request: &TrackedRequest,
    lang: Lang,
) -> Result<Vec<Section>, AppError> {
    // The current form, when it is the version filed: its translation has the labels in
    // the person's language. An older version is shown with its own labels, translated by
    // the translations it was recorded with.
    let catalogue = state.catalogue.load();
    if lang != Lang::Fr
        && let Some(form) = catalogue
            .form(&request.form_id)
            .filter(|f| f.version.as_str() == request.form_version.as_str())
    {
        return Ok(answers_in(&form.in_lang(lang).fields, &request.data, lang));
    }
    let mut versions = VersionQuestions::default();
    let fields = versions
        .of_in(state.store.as_ref(), &request.form_version, lang)
        .await?;
    Ok(fields
        .map(|f| answers_in(f, &request.data, lang))
        .unwrap_or_default())
}

/// The day a closed request's personal data goes (empty while it is open).
async fn planned_anonymisation(
    state: &AppState,
    request: &TrackedRequest,
) -> Result<String, AppError> {
    let Some(closed_at) = request.closed_at else {
        return Ok(String::new());
    };
    let catalogue = state.catalogue.load();
    let day = crate::retention::planned(
        state.store.as_ref(),
        &catalogue,
        &request.form_id,
        &request.form_version,
        closed_at,
    )
    .await?;
    Ok(crate::retention::day_fr(day))
}

fn track_page(
    state: &AppState,
    token: &TrackingToken,
    request: &TrackedRequest,
    just_filed: bool,
    t: Localizer,
) -> TrackPage {
    let lang = t.lang;
    let catalogue = state.catalogue.load();
    let waiting = request.status == Status::WaitingForCitizen;
    let question = request
        .history
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Message)
        .filter(|_| waiting)
        .and_then(|e| e.body.get("text").and_then(|t| t.as_str()))
        .unwrap_or_default()
        .to_owned();
    let form_title = catalogue
        .form(&request.form_id)
        .filter(|_| lang != Lang::Fr)
        .map_or_else(
            || request.form_title.clone(),
            |f| f.in_lang(lang).title.clone(),
        );
    TrackPage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        receipt_email: if just_filed {
            catalogue
                .citizen_email(&request.form_id, &request.data)
                .unwrap_or_default()
        } else {
            String::new()
        },
        question,
        due_on: request
            .due_at
            .filter(|_| just_filed)
            .map(|due| day_fr(paris_time(due).date()))
            .unwrap_or_default(),
        just_filed,
        tracking_url: format!("{}/suivi/{}", state.public_url, token.as_str()),
        reference: request.reference.to_string(),
        form_title,
        status: request.status.label(lang),
        service: catalogue.service_name(&request.service).to_owned(),
        filed_on: date_in(request.created_at, lang),
        history: request
            .history
            .iter()
            .map(|e| {
                (
                    date_in(e.created_at, lang),
                    history_label_in(&catalogue, e, lang),
                )
            })
            .collect(),
        token: token.as_str().to_owned(),
        waiting,
        open: is_open(request.status),
        resolved: request.status == Status::Resolved,
        error: String::new(),
        text: String::new(),
        planned_anonymisation: String::new(),
        answers: Vec::new(),
        files: crate::web::uploads::files_of(&request.data)
            .into_iter()
            .map(|f| {
                (
                    f.name,
                    format!("/suivi/{}/pieces/{}", token.as_str(), f.sha256),
                )
            })
            .collect(),
    }
}

/// A file of the request, for the holder of its tracking link.
pub async fn attachment(
    State(state): State<AppState>,
    Path((token, sha256)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, request) = tracking::find(&state, &token).await?;
    Ok(crate::web::uploads::download(&state, &request.data, &sha256).await?)
}

/// The citizen answers the service (`/suivi/{token}/reponse`) or says a resolved request is
/// not fixed (`/suivi/{token}/non-resolu`). Both go back to the tracking page.
pub async fn respond(
    State(state): State<AppState>,
    Path((token, what)): Path<(String, String)>,
    t: Localizer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let (token, request) = tracking::find(&state, &token).await?;
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    let text = fields.get("text").cloned().unwrap_or_default();
    let action = match what.as_str() {
        "reponse" => Action::CitizenReply { text: text.clone() },
        "non-resolu" => Action::NotFixed { text: text.clone() },
        _ => {
            return Err(AppError::NotFound(t.lang.text("error-tracking-page")).into());
        }
    };
    // Refusals the person can be told in their language before acting; the action itself
    // stays the authority (a change in between is refused in French).
    let refused = citizen_refusal(&text, &action, request.status, t.lang);
    let outcome = match refused {
        Some(message) => Err(AppError::Unprocessable(message)),
        None => tracking::act(&state, &token, &action).await,
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/suivi/{}", token.as_str())).into_response()),
        // Refused for the request's state or for the text: the page again, the text kept.
        Err(AppError::Conflict(message) | AppError::Unprocessable(message)) => {
            let lang = t.lang;
            let mut page = track_page(&state, &token, &request, false, t);
            page.planned_anonymisation = planned_anonymisation(&state, &request).await?;
            page.answers = your_answers(&state, &request, lang).await?;
            page.error = message;
            page.text = text;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Why the citizen's text or action would be refused, in `lang`.
fn citizen_refusal(text: &str, action: &Action, status: Status, lang: Lang) -> Option<String> {
    if let Some(problem) = workflow::text_problem(text) {
        return Some(match problem {
            TextProblem::Blank => lang.text("track-text-blank"),
            TextProblem::TooLong => lang.text_with(
                "track-text-too-long",
                &[("max", workflow::MAX_TEXT_CHARS.into())],
            ),
            TextProblem::StrayControl => lang.text("track-text-invisible"),
        });
    }
    workflow::citizen_conflict(action, status).map(|conflict| {
        lang.text(match conflict {
            CitizenConflict::ReplyToClosed => "track-reply-closed",
            CitizenConflict::NotResolved => "track-not-resolved",
        })
    })
}

#[derive(Deserialize)]
pub struct LookupQuery {
    reference: Option<String>,
}

pub async fn lookup(
    State(state): State<AppState>,
    Query(query): Query<LookupQuery>,
    t: Localizer,
) -> Result<LookupPage, PageError> {
    let lang = t.lang;
    let catalogue = state.catalogue.load();
    let mut page = LookupPage {
        t,
        territory: catalogue.territory.territory.name.clone(),
        reference: query
            .reference
            .clone()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect(),
        error: String::new(),
        status: String::new(),
        updated_on: String::new(),
    };
    let Some(typed) = query.reference.filter(|r| !r.trim().is_empty()) else {
        return Ok(page);
    };
    match Reference::parse(&typed) {
        Err(_) => {
            page.error = lang.text_with(
                "lookup-invalid",
                &[(
                    "reference",
                    typed.chars().take(40).collect::<String>().into(),
                )],
            )
        }
        Ok(reference) => match state.store.status_by_reference(&reference).await? {
            None => {
                page.error = lang.text_with(
                    "lookup-unknown",
                    &[("reference", reference.to_string().into())],
                )
            }
            Some(summary) => {
                page.reference = summary.reference.to_string();
                page.status = summary.status.label(lang);
                page.updated_on = date_in(summary.updated_at, lang);
            }
        },
    }
    Ok(page)
}
