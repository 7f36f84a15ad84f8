//! A request's page: its answers with the labels of the version it was filed under, why it
//! came here, its whole timeline, and the actions an agent can take.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::catalogue::{Catalogue, fields};
use crate::domain::workflow::{allowed_transition, is_overdue};
use crate::domain::{Channel, Priority, Status};
use crate::store::personal_data::AccessView;
use crate::store::{StaffUser, StoredRequest};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::public::date_fr;
use crate::web::public::view::{self, Section};
use crate::web::{forms, handling, personal_data};

pub struct TimelineEntry {
    pub when: String,
    pub who: String,
    pub what: String,
    pub internal: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/request.html")]
pub struct RequestPage {
    pub territory: String,
    pub me: Me,
    /// The tags its routing rule set (the bin size, "danger"…).
    pub tags: Vec<String>,
    /// Whether "Prendre la demande" makes sense: open and not already the reader's.
    pub can_take: bool,
    /// The due day as the date field reads it (`YYYY-MM-DD`), to pre-fill it.
    pub due_iso: String,
    pub reference: String,
    pub form_title: String,
    pub version: String,
    pub channel: String,
    pub commune: String,
    pub status: String,
    pub service: String,
    pub queue_id: String,
    pub queue: String,
    pub priority: String,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub paused: bool,
    pub routing_reason: String,
    pub routing_fallback: String,
    pub filed_by: String,
    pub citizen_contact: String,
    /// Why the contact details read « masqué » (élus), or empty.
    pub contact_masked: String,
    pub sections: Vec<Section>,
    pub timeline: Vec<TimelineEntry>,
    /// Status changes allowed from here: (value, label).
    pub next_statuses: Vec<(String, String)>,
    pub priorities: Vec<(String, String, bool)>,
    /// Every queue of the territory: (id, "service – queue").
    pub queues: Vec<(String, String)>,
    pub error: String,
    /// What the last action did, confirmed on return (« Message envoyé au demandeur. »).
    pub done: String,
    pub open: bool,
    /// (name, size, download link)
    pub files: Vec<(String, String, String)>,
    /// When its personal data was removed (empty while it holds some), and why.
    pub anonymised: String,
    pub anonymised_why: String,
    /// A closed request: the day its personal data goes.
    pub planned_anonymisation: String,
    /// An admin may erase its personal data now (it is closed and still holds some).
    pub can_erase: bool,
    /// The erasure's confirmation step: the reason given, to confirm.
    pub erase_reason: Option<String>,
}

async fn page(
    state: &AppState,
    catalogue: &Catalogue,
    user: &StaffUser,
    csrf: &str,
    request: StoredRequest,
    error: String,
) -> Result<RequestPage, AppError> {
    personal_data::record_access(state, user, [&request.reference], AccessView::Page).await?;
    let now = OffsetDateTime::now_utc();
    let version = state.store.form_version(&request.form_version).await?;
    let form_title = version
        .as_ref()
        .map(|v| v.title.clone())
        .unwrap_or_else(|| request.form_id.clone());
    // The labels the citizen saw: those of the version the request was filed under.
    let sections = version
        .as_ref()
        .and_then(|v| fields::build(&v.definition).ok())
        .map(|f| view::answers(&f, &request.data))
        .unwrap_or_default();
    let planned_anonymisation = match (request.closed_at, request.anonymised_at) {
        (Some(closed_at), None) => crate::retention::day_fr(
            crate::retention::planned(
                state.store.as_ref(),
                catalogue,
                &request.form_id,
                &request.form_version,
                closed_at,
            )
            .await?,
        ),
        _ => String::new(),
    };
    let anonymised_why = request
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "anonymised")
        .map(|e| match e.body.get("why").and_then(|w| w.as_str()) {
            Some("erasure") => "effacement à la demande",
            _ => "durée de conservation",
        })
        .unwrap_or_default()
        .to_owned();
    let names = super::StaffNames::load(state).await?;
    let queue_name = |id: &str| {
        catalogue
            .territory
            .queue(id)
            .map(|(_, q)| q.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    Ok(RequestPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, csrf),
        tags: request.tags.clone(),
        can_take: crate::domain::workflow::is_open(request.status)
            && request.assignee.as_deref() != Some(user.email.as_str()),
        due_iso: request
            .due_at
            .map(|d| crate::domain::time::paris_time(d).date().to_string())
            .unwrap_or_default(),
        reference: request.reference.to_string(),
        form_title,
        version: request.form_version.as_str().chars().take(12).collect(),
        channel: Channel::parse(&request.channel)
            .map(|c| c.label_fr().to_owned())
            .unwrap_or(request.channel.clone()),
        commune: request
            .commune
            .as_deref()
            .and_then(|c| catalogue.territory.commune(c))
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        status: request.status.staff_label_fr().to_owned(),
        service: catalogue.service_name(&request.service).to_owned(),
        queue_id: request.queue.to_string(),
        queue: queue_name(&request.queue),
        priority: request.priority.label_fr().to_owned(),
        assignee: request
            .assignee
            .as_deref()
            .map(|a| names.of(a))
            .unwrap_or_default(),
        due: request.due_at.map(date_fr).unwrap_or_default(),
        overdue: is_overdue(request.status, request.due_at, now),
        paused: request.paused_at.is_some(),
        routing_reason: request.routing_reason.clone().unwrap_or_default(),
        routing_fallback: request.routing_fallback.clone().unwrap_or_default(),
        filed_by: request
            .filed_by
            .as_deref()
            .map(|f| names.of(f))
            .unwrap_or_default(),
        citizen_contact: request.citizen_contact.clone().unwrap_or_default(),
        contact_masked: if personal_data::contact_hidden(
            catalogue,
            user,
            request.filed_by.as_deref(),
        ) {
            personal_data::MASKED_WHY.to_owned()
        } else {
            String::new()
        },
        sections,
        timeline: request
            .events
            .iter()
            .map(|e| TimelineEntry {
                when: date_fr(e.created_at),
                who: names.of(&e.actor),
                what: crate::requests::describe::describe_event(catalogue, e),
                internal: crate::domain::workflow::is_internal(e.kind),
            })
            .collect(),
        next_statuses: Status::ALL
            .iter()
            .filter(|s| allowed_transition(request.status, **s))
            .map(|s| (s.as_str().to_owned(), s.staff_label_fr().to_owned()))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| {
                (
                    p.as_str().to_owned(),
                    p.label_fr().to_owned(),
                    *p == request.priority,
                )
            })
            .collect(),
        queues: catalogue
            .territory
            .services
            .iter()
            .flat_map(|s| {
                s.queues
                    .iter()
                    .map(move |q| (q.id.clone(), format!("{} – {}", s.name, q.name)))
            })
            .filter(|(id, _)| request.queue != *id)
            .collect(),
        error,
        done: String::new(),
        anonymised: request
            .anonymised_at
            .map(crate::domain::time::utc_day_fr)
            .unwrap_or_default(),
        anonymised_why,
        can_erase: user.role == crate::domain::Role::Admin
            && request.anonymised_at.is_none()
            && !crate::domain::workflow::is_open(request.status),
        planned_anonymisation,
        erase_reason: None,
        open: crate::domain::workflow::is_open(request.status),
        files: crate::web::uploads::files_of(&request.data)
            .into_iter()
            .map(|f| {
                let link = format!("/bureau/demandes/{}/pieces/{}", request.reference, f.sha256);
                (f.name, crate::attachments::human_size(f.size), link)
            })
            .collect(),
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(reference): Path<String>,
    Query(returned): Query<std::collections::HashMap<String, String>>,
) -> Result<RequestPage, PageError> {
    let user = &signed.session.user;
    let request = handling::find(&state, user, &reference).await?;
    let catalogue = state.catalogue.load();
    let mut page = page(
        &state,
        &catalogue,
        user,
        &signed.session.csrf_token,
        request,
        String::new(),
    )
    .await?;
    page.done = returned
        .get("fait")
        .and_then(|kind| done_message(kind))
        .unwrap_or_default()
        .to_owned();
    Ok(page)
}

/// The confirmation shown once an action of `kind` is done (the page it returns to says
/// `?fait=kind`); `None` for a kind that is none.
fn done_message(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "take" => "Demande prise : elle vous est attribuée.",
        "assign" => "Demande attribuée.",
        "status" => "Statut changé.",
        "note" => "Note interne ajoutée.",
        "public_note" => "Note publique publiée.",
        "message" => "Message envoyé au demandeur.",
        "transfer" => "Demande transférée.",
        "priority" => "Priorité changée.",
        "due" => "Échéance fixée.",
        "due_clear" => "Échéance retirée.",
        "erase" => "Données personnelles effacées.",
        _ => return None,
    })
}

/// Every action posts here with `_action` naming it; success goes back to the page.
pub async fn post(
    State(state): State<AppState>,
    signed: Signed,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    let request = handling::find(&state, user, &reference).await?;
    let catalogue = state.catalogue.load();
    let kind = fields.get("_action").cloned().unwrap_or_default();
    let kind = kind.as_str();
    if kind == "erase_ask" || kind == "erase" {
        return erase(&state, &signed, &reference, request, kind, &fields).await;
    }
    // Removing the deadline is its own button; an empty date sent with "Fixer l'échéance"
    // is a mistake to point out, not a removal.
    let mut fields = fields;
    let asked = kind;
    let kind = match kind {
        "due_clear" => {
            fields.insert("due".into(), String::new());
            "due"
        }
        "due" if fields.get("due").is_none_or(|d| d.trim().is_empty()) => {
            let page = page(
                &state,
                &catalogue,
                user,
                &signed.session.csrf_token,
                request,
                "Choisissez la date de l'échéance, ou utilisez « Retirer l'échéance » pour n'en avoir aucune.".into(),
            )
            .await?;
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        other => other,
    };
    let outcome =
        match handling::parse_action(&state, &catalogue, &request.service, kind, &fields).await {
            Ok(action) => handling::act(&state, user, &reference, action)
                .await
                .map(|_| ()),
            Err(err) => Err(err),
        };
    match outcome {
        Ok(()) => {
            // A request transferred out of the agent's services is no longer theirs to see.
            let still_visible = handling::find(&state, user, &reference).await.is_ok();
            let target = if still_visible {
                format!("/bureau/demandes/{reference}?fait={asked}")
            } else {
                "/bureau".to_owned()
            };
            Ok(Redirect::to(&target).into_response())
        }
        // A refused action (409, 422) shows the page again with the reason at the top; any
        // other error is answered as it is.
        Err(err) => {
            let (status, message) = err.into_refusal()?;
            let page = page(
                &state,
                &catalogue,
                user,
                &signed.session.csrf_token,
                request,
                message,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

/// Erasure in two steps, without JavaScript: `erase_ask` checks the reason and shows the
/// page with a confirmation box; `erase` (from that box) erases.
async fn erase(
    state: &AppState,
    signed: &Signed,
    reference: &str,
    request: StoredRequest,
    kind: &str,
    fields: &std::collections::HashMap<String, String>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    let reason = fields.get("reason").map(String::as_str).unwrap_or_default();
    let catalogue = state.catalogue.load();
    let outcome = if kind == "erase" {
        handling::erase(state, user, reference, reason).await
    } else if user.role != crate::domain::Role::Admin {
        Err(AppError::Forbidden(
            "Seul un administrateur peut effacer les données personnelles d'une demande : transmettez-lui la demande d'effacement.".into(),
        ))
    } else {
        // A valid reason is shown again with the confirmation box.
        handling::erasure_reason(reason).map(|_| ())
    };
    match outcome {
        Ok(()) if kind == "erase" => {
            Ok(Redirect::to(&format!("/bureau/demandes/{reference}?fait=erase")).into_response())
        }
        Ok(()) => {
            let mut page = page(
                state,
                &catalogue,
                user,
                &signed.session.csrf_token,
                request,
                String::new(),
            )
            .await?;
            page.erase_reason = Some(reason.trim().to_owned());
            Ok(page.into_response())
        }
        Err(err) => {
            let (status, message) = err.into_refusal()?;
            let page = page(
                state,
                &catalogue,
                user,
                &signed.session.csrf_token,
                request,
                message,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/report.html")]
pub struct ReportPage {
    pub territory: String,
    pub me: Me,
    pub reference: String,
    pub text: String,
}

/// The "report back" summary, for an élu to relay to the citizen.
pub async fn report(
    State(state): State<AppState>,
    signed: Signed,
    Path(reference): Path<String>,
) -> Result<ReportPage, PageError> {
    let user = &signed.session.user;
    let request = handling::find(&state, user, &reference).await?;
    let catalogue = state.catalogue.load();
    let title = state
        .store
        .form_version(&request.form_version)
        .await?
        .map(|v| v.title)
        .unwrap_or_else(|| request.form_id.clone());
    Ok(ReportPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        reference: request.reference.to_string(),
        text: crate::requests::describe::report_back(&catalogue, &request, &title),
    })
}

/// A file of the request, for those who may see the request.
pub async fn attachment(
    State(state): State<AppState>,
    signed: Signed,
    Path((reference, sha256)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    let request = handling::find(&state, user, &reference).await?;
    personal_data::record_access(&state, user, [&request.reference], AccessView::Piece).await?;
    Ok(crate::web::uploads::download(&state, &request.data, &sha256).await?)
}
