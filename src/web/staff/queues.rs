//! The agent's home (their services' queues, with counts) and a queue's listing, filtered
//! and paged by keyset.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::catalogue::Catalogue;
use crate::domain::workflow::is_overdue;
use crate::domain::{CommuneSlug, Priority, QueueId, Role, Status};
use crate::store::{AssigneeFilter, Cursor, QueueItem, RequestQuery, SortOrder, StaffUser};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::public::date_fr;

pub const PAGE_SIZE: u32 = 50;

pub struct QueueSummary {
    pub id: String,
    pub name: String,
    pub received: u64,
    pub in_progress: u64,
    pub waiting: u64,
    pub overdue: u64,
}

pub struct ServiceQueues {
    pub name: String,
    pub queues: Vec<QueueSummary>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/home.html")]
pub struct HomePage {
    pub territory: String,
    pub me: Me,
    pub services: Vec<ServiceQueues>,
}

/// One line of a listing, ready to show.
pub struct ItemView {
    pub reference: String,
    pub form_title: String,
    pub commune: String,
    pub status: String,
    pub service: String,
    pub priority: String,
    pub urgent: bool,
    pub assignee: String,
    pub tags: Vec<String>,
    pub due: String,
    pub overdue: bool,
    pub paused: bool,
    pub filed_on: String,
    pub last_event: String,
}

impl ItemView {
    pub fn of(
        catalogue: &Catalogue,
        names: &super::StaffNames,
        item: &QueueItem,
        now: OffsetDateTime,
    ) -> ItemView {
        ItemView {
            reference: item.reference.to_string(),
            form_title: item.form_title.clone(),
            commune: item
                .commune
                .as_deref()
                .and_then(|c| catalogue.territory.commune(c))
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            status: item.status.staff_label_fr().to_owned(),
            service: catalogue.service_name(&item.service).to_owned(),
            priority: item.priority.label_fr().to_owned(),
            urgent: item.priority >= Priority::High,
            assignee: item
                .assignee
                .as_deref()
                .map(|a| names.of(a))
                .unwrap_or_default(),
            tags: item.tags.clone(),
            due: item.due_at.map(date_fr).unwrap_or_default(),
            overdue: is_overdue(item.status, item.due_at, now),
            paused: item.paused,
            filed_on: date_fr(item.created_at),
            last_event: crate::requests::describe::step_label(item.last_event).to_owned(),
        }
    }
}

pub async fn home(State(state): State<AppState>, signed: Signed) -> Result<Response, PageError> {
    let user = &signed.session.user;
    if user.role == Role::Elu {
        return Ok(Redirect::to("/bureau/elu").into_response());
    }
    if user.role == Role::Accueil {
        return Ok(Redirect::to("/bureau/accueil").into_response());
    }
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let mut services = Vec::new();
    for service in &catalogue.territory.services {
        if !user.handles_requests() || !user.scope().allows(&service.id, None, None) {
            continue;
        }
        let ids: Vec<&str> = service.queues.iter().map(|q| q.id.as_str()).collect();
        let counts = state.store.count_queues(&user.scope(), &ids, now).await?;
        let mut queues = Vec::new();
        for (queue, counts) in service.queues.iter().zip(counts) {
            queues.push(QueueSummary {
                id: queue.id.clone(),
                name: queue.name.clone(),
                received: counts.of(Status::Received),
                in_progress: counts.of(Status::InProgress),
                waiting: counts.of(Status::WaitingForCitizen),
                overdue: counts.overdue,
            });
        }
        services.push(ServiceQueues {
            name: service.name.clone(),
            queues,
        });
    }
    Ok(HomePage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        services,
    }
    .into_response())
}

/// A listing's filters, as the query string carries them (the back office's page, its
/// exports and the staff API read the same ones). Each is optional; an empty one is unset.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filters {
    /// `received`, `in_progress`, `waiting_for_citizen`, `resolved` or `rejected`.
    #[serde(default)]
    #[param(required = false)]
    pub status: String,
    /// A commune's id (slug).
    #[serde(default)]
    #[param(required = false)]
    pub commune: String,
    /// A form's id.
    #[serde(default)]
    #[param(required = false)]
    pub form: String,
    /// `low`, `normal`, `high` or `urgent`.
    #[serde(default)]
    #[param(required = false)]
    pub priority: String,
    /// A tag set by the routing rule (exactly as shown on the request).
    #[serde(default)]
    #[param(required = false)]
    pub tag: String,
    /// `1`, `on` or `true`: only requests past their due date.
    #[serde(default)]
    #[param(required = false)]
    pub overdue: String,
    /// "moi", "personne" or an e-mail address.
    #[serde(default)]
    #[param(required = false)]
    pub assignee: String,
    /// The order: `age` (oldest first, the default), `newest` or `due` (soonest due first).
    #[serde(default)]
    #[param(required = false)]
    pub sort: String,
    /// The `next` value of the previous page.
    #[serde(default)]
    #[param(required = false)]
    pub after: String,
}

impl Filters {
    /// Applies the filters to `query`, refusing values that are not real.
    pub fn apply(&self, query: &mut RequestQuery, me: &StaffUser) -> Result<(), AppError> {
        let bad = |what: &str| {
            AppError::BadRequest(format!(
                "Le filtre « {what} » n'est pas valide : revenez à la liste et choisissez-le à nouveau."
            ))
        };
        if !self.status.is_empty() {
            query.status = Some(Status::parse(&self.status).map_err(|_| bad("statut"))?);
        }
        if !self.commune.is_empty() {
            query.commune = Some(CommuneSlug::parse(&self.commune).map_err(|_| bad("commune"))?);
        }
        if !self.form.is_empty() {
            query.form_id = Some(self.form.chars().take(100).collect());
        }
        if !self.priority.is_empty() {
            query.priority = Some(Priority::parse(&self.priority).map_err(|_| bad("priorité"))?);
        }
        let tag = self.tag.trim();
        if !tag.is_empty() {
            if tag.chars().count() > 100 {
                return Err(bad("étiquette"));
            }
            query.tag = Some(tag.to_owned());
        }
        query.overdue = matches!(self.overdue.as_str(), "1" | "on" | "true");
        query.assignee = match self.assignee.as_str() {
            "" => None,
            "moi" => Some(AssigneeFilter::Person(me.email.clone())),
            "personne" => Some(AssigneeFilter::Nobody),
            other => Some(AssigneeFilter::Person(other.trim().to_lowercase())),
        };
        query.sort = SortOrder::parse(&self.sort).ok_or_else(|| bad("tri"))?;
        if !self.after.is_empty() {
            query.after =
                Some(Cursor::parse(query.sort, &self.after).map_err(AppError::BadRequest)?);
        }
        Ok(())
    }

    /// The query string of the next page.
    pub fn next_page(&self, cursor: &str) -> String {
        serde_urlencoded::to_string([
            ("status", self.status.as_str()),
            ("commune", self.commune.as_str()),
            ("form", self.form.as_str()),
            ("priority", self.priority.as_str()),
            ("tag", self.tag.as_str()),
            ("overdue", self.overdue.as_str()),
            ("assignee", self.assignee.as_str()),
            ("sort", self.sort.as_str()),
            ("after", cursor),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/queue.html")]
pub struct QueuePage {
    pub territory: String,
    pub me: Me,
    pub queue_name: String,
    pub service_name: String,
    /// (status value, label, count)
    pub counts: Vec<(String, String, u64)>,
    pub overdue: u64,
    pub filters: Filters,
    pub statuses: Vec<(String, String)>,
    pub priorities: Vec<(String, String)>,
    pub communes: Vec<(String, String)>,
    pub forms: Vec<(String, String)>,
    pub items: Vec<ItemView>,
    pub next: String,
    /// The CSV export of this listing, with its filters.
    pub export: String,
    pub export_lines: String,
}

/// The queue and its service, when the person handles requests of that service.
pub fn queue_in_scope<'a>(
    catalogue: &'a Catalogue,
    user: &StaffUser,
    queue_id: &str,
) -> Result<
    (
        &'a crate::catalogue::territory::Service,
        &'a crate::catalogue::territory::Queue,
    ),
    AppError,
> {
    let not_found = || {
        AppError::NotFound(
            "Cette file n'existe pas ou ne fait pas partie de vos services. Retournez à vos files."
                .into(),
        )
    };
    let (service, queue) = catalogue.territory.queue(queue_id).ok_or_else(not_found)?;
    if !user.handles_requests() || !user.scope().allows(&service.id, None, None) {
        return Err(not_found());
    }
    Ok((service, queue))
}

pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Path(queue_id): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<QueuePage, PageError> {
    let user = &signed.session.user;
    let catalogue = state.catalogue.load();
    let (service, queue) = queue_in_scope(&catalogue, user, &queue_id)?;
    let now = OffsetDateTime::now_utc();
    let mut query = RequestQuery::for_reader(user, now);
    query.queue = Some(QueueId::from_checked(queue_id.as_str()));
    query.limit = PAGE_SIZE;
    filters.apply(&mut query, user)?;
    let items = state.store.list_requests(&query).await?;
    let names = super::StaffNames::load(&state).await?;
    let counts = state
        .store
        .count_by_status(&user.scope(), &queue_id, now)
        .await?;
    let next = if items.len() == PAGE_SIZE as usize {
        items
            .last()
            .map(|i| filters.next_page(&i.cursor))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(QueuePage {
        export: format!(
            "/bureau/files/{queue_id}/export.csv?{}",
            filters.next_page("")
        ),
        export_lines: format!(
            "/bureau/files/{queue_id}/export.jsonl?{}",
            filters.next_page("")
        ),
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        queue_name: queue.name.clone(),
        service_name: service.name.clone(),
        counts: Status::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_owned(),
                    s.staff_label_fr().to_owned(),
                    counts.of(*s),
                )
            })
            .collect(),
        overdue: counts.overdue,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), s.staff_label_fr().to_owned()))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str().to_owned(), p.label_fr().to_owned()))
            .collect(),
        communes: catalogue
            .territory
            .communes
            .iter()
            .map(|c| (c.slug.clone(), c.name.clone()))
            .collect(),
        forms: catalogue
            .forms
            .values()
            .filter(|f| f.meta.service == service.id)
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect(),
        items: items
            .iter()
            .map(|i| ItemView::of(&catalogue, &names, i, now))
            .collect(),
        next,
        filters,
    })
}
