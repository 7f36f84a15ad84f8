//! The front desk and the phone line (`/bureau/accueil`, role « agent d'accueil »): file a
//! request for a caller through any form for citizens or staff, recording how they came
//! (phone, in person, mail, event) and their contact, and follow the requests the desk
//! filed. The forms and the filing are the élus' (`super::elu`), on the desk's own forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use time::OffsetDateTime;

use super::Me;
use super::elu::{Desk, EluFormPage};
use super::queues::{Filters, ItemView, PAGE_SIZE};
use super::session::Signed;
use crate::store::{RequestQuery, SortOrder};
use crate::web::AppState;
use crate::web::error::PageError;

#[derive(Template, WebTemplate)]
#[template(path = "staff/front_desk.html")]
pub struct FrontDeskPage {
    pub territory: String,
    pub me: Me,
    /// (theme, [(id, title)]): the forms, grouped as the portal groups them.
    pub themes: Vec<(String, Vec<(String, String)>)>,
    pub items: Vec<ItemView>,
    pub next: String,
}

pub async fn home(
    State(state): State<AppState>,
    signed: Signed,
    Query(mut filters): Query<Filters>,
) -> Result<FrontDeskPage, PageError> {
    let user = &signed.session.user;
    Desk::Accueil.allows(user)?;
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    // What the desk filed (an admin sees everything; the desk lists what it filed).
    let mut query = RequestQuery::for_reader(user, now);
    query.scope = crate::store::Scope::Communes {
        communes: Vec::new(),
        filed_by: user.email.clone(),
    };
    query.limit = PAGE_SIZE;
    if filters.sort.is_empty() {
        filters.sort = SortOrder::Newest.as_str().to_owned();
    }
    filters.apply(&mut query, user)?;
    let items = state.store.list_requests(&query).await?;
    let names = super::StaffNames::load(&state).await?;
    let next = if items.len() == PAGE_SIZE as usize {
        items
            .last()
            .map(|i| filters.next_page(&i.cursor))
            .unwrap_or_default()
    } else {
        String::new()
    };
    let mut forms: Vec<(String, String, String)> = Desk::Accueil
        .forms(&catalogue)
        .map(|f| {
            (
                f.meta
                    .theme
                    .clone()
                    .unwrap_or_else(|| "Autres démarches".into()),
                f.id.clone(),
                f.title.clone(),
            )
        })
        .collect();
    forms.sort();
    let mut themes: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (theme, id, title) in forms {
        match themes.last_mut() {
            Some((last, list)) if *last == theme => list.push((id, title)),
            _ => themes.push((theme, vec![(id, title)])),
        }
    }
    Ok(FrontDeskPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        themes,
        items: items
            .iter()
            .map(|i| ItemView::of(&catalogue, &names, i, now))
            .collect(),
        next,
    })
}

pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<EluFormPage, PageError> {
    super::elu::form_at(Desk::Accueil, state, signed, id).await
}

pub async fn file(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    super::elu::file_at(Desk::Accueil, state, signed, id, request).await
}
