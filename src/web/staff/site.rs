//! The communes' small sites in the back office (`/bureau/communes/{slug}/…`): the page's
//! form, its preview (the public page's template on the draft), publishing, the history
//! with restore, and news items. Open to the commune's rédacteurs, its élus given
//! rédacteur rights, and admins; anyone else gets a 404 and nothing is written.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::catalogue::territory::Commune;
use crate::domain::Role;
use crate::domain::site::{NewsContent, PageContent, PageFields};
use crate::domain::time::paris_time;
use crate::store::StaffUser;
use crate::store::site::{NewsItem, PageDraft};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;
use crate::web::public::date_fr;
use crate::web::public::site::{NewsView, SiteView, news_view};

/// Whether `user` keeps the site of `slug`.
async fn may_edit(state: &AppState, user: &StaffUser, slug: &str) -> Result<bool, AppError> {
    let of_commune = user.communes.iter().any(|c| c == slug);
    Ok(match user.role {
        Role::Admin => true,
        Role::Redacteur => of_commune,
        Role::Elu => of_commune && state.store.is_site_editor(&user.email).await?,
        Role::Agent | Role::Designer | Role::Accueil => false,
    })
}

/// The commune whose site `user` may edit; a 404 otherwise, the same whether the commune
/// does not exist or is not theirs.
async fn editable(state: &AppState, user: &StaffUser, slug: &str) -> Result<Commune, AppError> {
    let commune = state.catalogue.load().territory.commune(slug).cloned();
    match commune {
        Some(commune) if may_edit(state, user, slug).await? => Ok(commune),
        _ => Err(AppError::NotFound(
            "Cette page n'existe pas, ou le site de cette commune ne vous est pas confié. Retournez à la liste de vos communes.".into(),
        )),
    }
}

fn territory(state: &AppState) -> String {
    state.catalogue.load().territory.territory.name.clone()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/site_list.html")]
pub struct SiteListPage {
    pub territory: String,
    pub me: Me,
    pub communes: Vec<(String, String)>,
}

pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
) -> Result<SiteListPage, PageError> {
    let user = &signed.session.user;
    let catalogue = state.catalogue.load();
    let mut communes = Vec::new();
    for commune in &catalogue.territory.communes {
        if may_edit(&state, user, &commune.slug).await? {
            communes.push((commune.slug.clone(), commune.name.clone()));
        }
    }
    Ok(SiteListPage {
        territory: territory(&state),
        me: Me::of(user, &signed.session.csrf_token),
        communes,
    })
}

/// The page's fields as the form shows them.
pub struct PageForm {
    pub presentation: String,
    pub mayor: String,
    pub hours: String,
    pub contacts: String,
    pub links: String,
}

impl PageForm {
    fn of(content: &PageContent) -> PageForm {
        PageForm {
            presentation: content.presentation.clone(),
            mayor: content.mayor.clone(),
            hours: content.hours_text(),
            contacts: content.contacts_text(),
            links: content.links_text(),
        }
    }

    fn posted(fields: &HashMap<String, String>) -> PageForm {
        let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
        PageForm {
            presentation: field("presentation"),
            mayor: field("mayor"),
            hours: field("hours"),
            contacts: field("contacts"),
            links: field("links"),
        }
    }

    fn parse(&self) -> Result<PageContent, Vec<String>> {
        PageContent::parse(&PageFields {
            presentation: &self.presentation,
            mayor: &self.mayor,
            hours: &self.hours,
            contacts: &self.contacts,
            links: &self.links,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/site_edit.html")]
pub struct SiteEditPage {
    pub territory: String,
    pub me: Me,
    pub commune: Commune,
    pub form: PageForm,
    pub errors: Vec<String>,
    /// "Brouillon enregistré par … le …", when a draft is shown.
    pub draft_note: String,
    pub published_note: String,
    /// The draft rendered as the public page would show it.
    pub site: SiteView,
    pub news: Vec<NewsView>,
    pub today: String,
}

async fn edit_page(
    state: &AppState,
    signed: &Signed,
    commune: Commune,
    posted: Option<(PageForm, Vec<String>)>,
) -> Result<SiteEditPage, AppError> {
    let draft = state.store.page_draft(&commune.slug).await?;
    let published = state.store.published_page(&commune.slug).await?;
    let shown = draft
        .as_ref()
        .map(|d| &d.content)
        .or(published.as_ref().map(|p| &p.content));
    let now = OffsetDateTime::now_utc();
    let news = state.store.commune_news(&commune.slug).await?;
    let (form, errors) = posted.unwrap_or_else(|| {
        (
            PageForm::of(shown.unwrap_or(&PageContent::default())),
            Vec::new(),
        )
    });
    Ok(SiteEditPage {
        territory: territory(state),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        draft_note: draft
            .as_ref()
            .map(|d| {
                format!(
                    "Brouillon enregistré par {} le {}, pas encore publié.",
                    d.author,
                    date_fr(d.updated_at)
                )
            })
            .unwrap_or_default(),
        published_note: published
            .as_ref()
            .map(|p| {
                format!(
                    "Version {} publiée par {} le {}.",
                    p.number,
                    p.author,
                    date_fr(p.published_at)
                )
            })
            .unwrap_or_else(|| {
                "Aucune version publiée : le public voit la fiche de contact du territoire.".into()
            }),
        // The preview is the draft; without one, what is published.
        site: SiteView::of(shown, &news, now, crate::i18n::Lang::Fr)
            .with_picture(state, &commune.slug)
            .await?,
        news: news.iter().map(news_view).collect(),
        today: paris_time(now).date().to_string(),
        commune,
        form,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
) -> Result<SiteEditPage, PageError> {
    let commune = editable(&state, &signed.session.user, &slug).await?;
    Ok(edit_page(&state, &signed, commune, None).await?)
}

/// `_action=preview` keeps the draft and shows it; `_action=publish` publishes it.
pub async fn post(
    State(state): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    let commune = editable(&state, user, &slug).await?;
    let form = PageForm::posted(&fields);
    let content = match form.parse() {
        Ok(content) => content,
        Err(errors) => {
            let page = edit_page(&state, &signed, commune, Some((form, errors))).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match fields.get("_action").map(String::as_str) {
        Some("publish") => {
            let number = state
                .store
                .publish_page(&slug, &content, &user.email, None)
                .await?;
            tracing::info!(commune = %slug, number, by = %user.email, "commune page published");
            Ok(
                Redirect::to(&format!("/bureau/communes/{slug}/page?publie={number}"))
                    .into_response(),
            )
        }
        _ => {
            state
                .store
                .save_page_draft(&PageDraft {
                    commune: slug.clone(),
                    content,
                    author: user.email.clone(),
                    updated_at: OffsetDateTime::now_utc(),
                })
                .await?;
            Ok(Redirect::to(&format!("/bureau/communes/{slug}/page#apercu")).into_response())
        }
    }
}

pub struct VersionLine {
    pub number: i64,
    pub author: String,
    pub published: String,
    pub restored_from: Option<i64>,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/site_history.html")]
pub struct SiteHistoryPage {
    pub territory: String,
    pub me: Me,
    pub commune: Commune,
    pub versions: Vec<VersionLine>,
}

pub async fn history(
    State(state): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
) -> Result<SiteHistoryPage, PageError> {
    let commune = editable(&state, &signed.session.user, &slug).await?;
    let versions = state
        .store
        .page_history(&slug)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, v)| VersionLine {
            number: v.number,
            author: v.author,
            published: date_fr(v.published_at),
            restored_from: v.restored_from,
            current: i == 0,
        })
        .collect();
    Ok(SiteHistoryPage {
        territory: territory(&state),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        commune,
        versions,
    })
}

/// Publishes an old version's content again, as a new version.
pub async fn restore(
    State(state): State<AppState>,
    signed: Signed,
    Path((slug, number)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    editable(&state, user, &slug).await?;
    let Some(old) = state.store.page_version(&slug, number).await? else {
        return Err(AppError::NotFound(
            "Cette version n'existe pas : choisissez-en une dans l'historique.".into(),
        )
        .into());
    };
    let new = state
        .store
        .publish_page(&slug, &old.content, &user.email, Some(number))
        .await?;
    tracing::info!(commune = %slug, restored = number, new, by = %user.email, "commune page restored");
    Ok(Redirect::to(&format!("/bureau/communes/{slug}/page/historique")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/news_edit.html")]
pub struct NewsEditPage {
    pub territory: String,
    pub me: Me,
    pub commune: Commune,
    /// Empty for a new item.
    pub id: String,
    pub date: String,
    pub title: String,
    pub body: String,
    pub ends_on: String,
    pub published: bool,
    pub errors: Vec<String>,
}

pub async fn news_show(
    State(state): State<AppState>,
    signed: Signed,
    Path((slug, id)): Path<(String, String)>,
) -> Result<NewsEditPage, PageError> {
    let commune = editable(&state, &signed.session.user, &slug).await?;
    let item = news_of(&state, &slug, &id).await?;
    Ok(NewsEditPage {
        territory: territory(&state),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        commune,
        id: item.id,
        date: item.content.date.to_string(),
        title: item.content.title,
        body: item.content.body,
        ends_on: item
            .content
            .ends_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        published: item.published,
        errors: Vec::new(),
    })
}

async fn news_of(state: &AppState, slug: &str, id: &str) -> Result<NewsItem, AppError> {
    state.store.news_item(slug, id).await?.ok_or_else(|| {
        AppError::NotFound("Cette actualité n'existe pas : choisissez-en une dans la liste de la page de la commune.".into())
    })
}

/// Creates a news item (`POST …/actualites`).
pub async fn news_create(
    state: State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    save_news(state, signed, slug, None, headers, body).await
}

/// Changes a news item (`POST …/actualites/{id}`); `_action=unpublish` withdraws it.
pub async fn news_update(
    state: State<AppState>,
    signed: Signed,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    save_news(state, signed, slug, Some(id), headers, body).await
}

async fn save_news(
    State(state): State<AppState>,
    signed: Signed,
    slug: String,
    id: Option<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    let commune = editable(&state, user, &slug).await?;
    if let Some(id) = &id {
        news_of(&state, &slug, id).await?;
    }
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let published = field("_action") != "unpublish";
    let content = match NewsContent::parse(
        &field("date"),
        &field("title"),
        &field("body"),
        &field("ends_on"),
    ) {
        Ok(content) => content,
        Err(errors) => {
            let page = NewsEditPage {
                territory: territory(&state),
                me: Me::of(user, &signed.session.csrf_token),
                commune,
                id: id.unwrap_or_default(),
                date: field("date"),
                title: field("title"),
                body: field("body"),
                ends_on: field("ends_on"),
                published,
                errors,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    state
        .store
        .save_news(&NewsItem {
            id: id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            commune: slug.clone(),
            content,
            author: user.email.clone(),
            published,
            updated_at: OffsetDateTime::now_utc(),
        })
        .await?;
    Ok(Redirect::to(&format!("/bureau/communes/{slug}/page#actualites")).into_response())
}

/// Largest picture accepted: a coat of arms or a photo of the town hall, not a poster.
pub const MAX_PICTURE_BYTES: usize = 512 * 1024;

/// Uploads the commune's picture (multipart: `_csrf`, `picture`). Its type is read from
/// its content: PNG or JPEG only, whatever the file's name or declared type says.
pub async fn upload_picture(
    State(state): State<AppState>,
    signed: Signed,
    Path(slug): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let unreadable = || {
        AppError::BadRequest(
            "Le formulaire envoyé est illisible : rechargez la page et choisissez l'image de nouveau.".into(),
        )
    };
    let mut fields = HashMap::new();
    let mut picture: Option<Vec<u8>> = None;
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| {
            AppError::PayloadTooLarge(format!(
                "L'image dépasse {} Ko : réduisez-la avant de l'envoyer.",
                MAX_PICTURE_BYTES / 1024
            ))
        })?;
        if name == "picture" {
            picture = Some(bytes.to_vec());
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    editable(&state, user, &slug).await?;
    let bytes = picture.filter(|b| !b.is_empty()).ok_or_else(|| {
        AppError::BadRequest("Choisissez une image (PNG ou JPEG) avant d'envoyer.".into())
    })?;
    if bytes.len() > MAX_PICTURE_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "L'image dépasse {} Ko : réduisez-la avant de l'envoyer.",
            MAX_PICTURE_BYTES / 1024
        ))
        .into());
    }
    let media_type = match infer::get(&bytes).map(|kind| kind.mime_type()) {
        Some(kind @ ("image/png" | "image/jpeg")) => kind,
        _ => {
            return Err(AppError::UnsupportedMediaType(
                "Ce fichier n'est pas une image PNG ou JPEG : enregistrez-la dans l'un de ces formats et envoyez-la de nouveau.".into(),
            )
            .into());
        }
    };
    state
        .store
        .set_picture(&slug, media_type, &bytes, &user.email)
        .await?;
    tracing::info!(commune = %slug, by = %user.email, "commune picture uploaded");
    Ok(Redirect::to(&format!("/bureau/communes/{slug}/page")).into_response())
}
