//! The élus' workspace: every request concerning their communes (and those they filed),
//! and filing a request on a citizen's behalf, recording the channel and the contact. The
//! front desk (`super::front_desk`) files through the same pages, on its own forms.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use time::OffsetDateTime;

use super::Me;
use super::queues::{Filters, ItemView, PAGE_SIZE};
use super::session::Signed;
use crate::catalogue::{Audience, Catalogue, Form};
use crate::domain::{Channel, Role, Status, TrackingToken};
use crate::i18n::Lang;
use crate::intake::coerce::{self, Posted, coerce};
use crate::intake::{self, FieldError};
use crate::requests::filing::{self, Filer};
use crate::store::{RequestQuery, SortOrder, StaffUser, StoreError};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::language::Localizer;
use crate::web::public::form::{commune_choices, rows_with_errors};
use crate::web::public::view::Row;
use crate::web::uploads;

/// The longest citizen contact an élu can record.
const MAX_CONTACT_CHARS: usize = 300;

#[derive(Template, WebTemplate)]
#[template(path = "staff/elu.html")]
pub struct FollowPage {
    pub territory: String,
    pub me: Me,
    pub communes: String,
    pub forms: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    pub filters: Filters,
    pub items: Vec<ItemView>,
    pub next: String,
    /// Whether the élu asked for the daily digest (only élus can).
    pub digest: Option<bool>,
    /// "Résumé activé" or "arrêté", right after the change.
    pub notice: String,
}

/// Who files a request for someone else, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desk {
    /// An élu, for a resident: the forms offered to élus.
    Elu,
    /// The front desk and the phone line, for a caller: the forms for staff or citizens.
    Accueil,
}

impl Desk {
    /// Where its pages live.
    pub fn base(self) -> &'static str {
        match self {
            Desk::Elu => "/bureau/elu",
            Desk::Accueil => "/bureau/accueil",
        }
    }

    /// Its home page's name, for the link back.
    pub fn home_label(self) -> &'static str {
        match self {
            Desk::Elu => "Ma commune",
            Desk::Accueil => "Accueil",
        }
    }

    pub fn allows(self, user: &StaffUser) -> Result<(), AppError> {
        let allowed = match self {
            Desk::Elu => matches!(user.role, Role::Elu | Role::Admin),
            Desk::Accueil => matches!(user.role, Role::Accueil | Role::Admin),
        };
        if allowed {
            return Ok(());
        }
        Err(AppError::NotFound(match self {
            Desk::Elu => "Cet espace est réservé aux élus. Retournez à vos files.".into(),
            Desk::Accueil => {
                "Cet espace est réservé à l'accueil (agents d'accueil et administrateurs). Retournez à vos files.".into()
            }
        }))
    }

    /// The forms it files.
    pub fn forms(self, catalogue: &Catalogue) -> impl Iterator<Item = &std::sync::Arc<Form>> {
        catalogue.forms.values().filter(move |f| match self {
            Desk::Elu => f.is_for(Audience::Elected),
            Desk::Accueil => f.is_for(Audience::Staff) || f.is_for(Audience::Citizen),
        })
    }
}

pub async fn follow(
    State(state): State<AppState>,
    signed: Signed,
    Query(mut filters): Query<Filters>,
    Query(confirmed): Query<std::collections::HashMap<String, String>>,
) -> Result<FollowPage, PageError> {
    let user = &signed.session.user;
    Desk::Elu.allows(user)?;
    let catalogue = state.catalogue.load();
    let now = OffsetDateTime::now_utc();
    let mut query = RequestQuery::for_reader(user, now);
    query.limit = PAGE_SIZE;
    if filters.sort.is_empty() {
        filters.sort = SortOrder::Newest.as_str().to_owned();
    }
    filters.apply(&mut query, user)?;
    let items = state.store.list_requests(&query).await?;
    let names = super::StaffNames::load(&state).await?;
    let digest = if user.role == Role::Elu {
        Some(state.store.digest_sent_until(&user.id).await?.is_some())
    } else {
        None
    };
    let notice = match confirmed.get("resume").map(String::as_str) {
        Some("active") => "Résumé quotidien activé : vous le recevrez chaque matin à partir de demain, quand il y a du nouveau.",
        Some("arrete") => "Résumé quotidien arrêté.",
        _ => "",
    }
    .to_owned();
    let next = if items.len() == PAGE_SIZE as usize {
        items
            .last()
            .map(|i| filters.next_page(&i.cursor))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(FollowPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        communes: user
            .communes
            .iter()
            .map(|c| {
                catalogue
                    .territory
                    .commune(c)
                    .map_or(c.to_string(), |c| c.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
        forms: Desk::Elu
            .forms(&catalogue)
            .map(|f| (f.id.clone(), f.title.clone()))
            .collect(),
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), s.staff_label_fr().to_owned()))
            .collect(),
        items: items
            .iter()
            .map(|i| ItemView::of(&catalogue, &names, i, now))
            .collect(),
        next,
        filters,
        digest,
        notice,
    })
}

/// Asks for the daily digest of the élu's communes (`resume=1`), or stops it.
pub async fn set_digest(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = crate::web::forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    if user.role != Role::Elu {
        return Err(AppError::NotFound(
            "Le résumé quotidien est réservé aux élus, pour les demandes de leurs communes.".into(),
        )
        .into());
    }
    let wanted = match fields.get("resume").map(String::as_str) {
        Some("1") => true,
        Some("0") => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choisissez de recevoir ou d'arrêter le résumé quotidien, puis validez.".into(),
            )
            .into());
        }
    };
    state
        .store
        .set_digest(&user.id, wanted, OffsetDateTime::now_utc())
        .await?;
    Ok(Redirect::to(if wanted {
        "/bureau/elu?resume=active"
    } else {
        "/bureau/elu?resume=arrete"
    })
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/elu_form.html")]
pub struct EluFormPage {
    /// The back office is French for now; the form's questions (`public/fields.html`) take
    /// a localizer.
    pub t: Localizer,
    pub territory: String,
    pub me: Me,
    pub id: String,
    pub title: String,
    pub description: String,
    pub rows: Vec<Row>,
    pub errors: Vec<(String, String)>,
    /// (value, label, selected)
    pub channels: Vec<(String, String, bool)>,
    pub contact: String,
    /// Minted when the form is shown; filing twice with it files once.
    pub token: String,
    pub filed_reference: String,
    pub filed_tracking_url: String,
    /// The form has file fields: it posts multipart/form-data.
    pub multipart: bool,
    /// Files sent with an earlier, refused post.
    pub hidden_files: Vec<(String, String)>,
    /// (slug, name) for a form offered in some communes that asks for none itself.
    pub commune_choices: Vec<(String, String)>,
    /// The commune chosen among them: at first the élu's own, when it is one of them.
    pub commune: String,
    /// Where the pages live (`/bureau/elu`, `/bureau/accueil`).
    pub base: String,
    pub home_label: String,
}

fn find_form(
    desk: Desk,
    catalogue: &Catalogue,
    id: &str,
) -> Result<std::sync::Arc<Form>, AppError> {
    desk.forms(catalogue)
        .find(|f| f.id == id)
        .cloned()
        .ok_or_else(|| AppError::NotFound(match desk {
            Desk::Elu => "Cette démarche n'existe pas ou n'est pas proposée aux élus. Retournez à votre espace.".into(),
            Desk::Accueil => "Cette démarche n'existe pas ou ne se dépose pas à l'accueil. Retournez à l'accueil.".into(),
        }))
}

fn channels(selected: &str) -> Vec<(String, String, bool)> {
    Channel::ON_BEHALF
        .iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                c.label_fr().to_owned(),
                c.as_str() == selected,
            )
        })
        .collect()
}

pub async fn form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<EluFormPage, PageError> {
    form_at(Desk::Elu, state, signed, id).await
}

/// A form to file for someone, from `desk`.
pub async fn form_at(
    desk: Desk,
    state: AppState,
    signed: Signed,
    id: String,
) -> Result<EluFormPage, PageError> {
    let user = &signed.session.user;
    desk.allows(user)?;
    let catalogue = state.catalogue.load();
    let form = find_form(desk, &catalogue, &id)?;
    let (rows, errors) = rows_with_errors(&form, &Posted::from_pairs(Vec::new()), &[], Lang::Fr);
    Ok(EluFormPage {
        t: Localizer::new(Lang::Fr, ""),
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        id: form.id.clone(),
        title: form.title.clone(),
        description: form.description.clone().unwrap_or_default(),
        rows,
        errors,
        channels: channels(""),
        contact: String::new(),
        token: TrackingToken::generate().as_str().to_owned(),
        filed_reference: String::new(),
        filed_tracking_url: String::new(),
        multipart: !crate::catalogue::fields::attachments(&form.fields).is_empty(),
        hidden_files: Vec::new(),
        commune: user
            .communes
            .iter()
            .find(|c| form.meta.communes.iter().any(|m| *c == m))
            .map(|c| c.to_string())
            .unwrap_or_default(),
        commune_choices: commune_choices(&catalogue, &form),
        base: desk.base().to_owned(),
        home_label: desk.home_label().to_owned(),
    })
}

pub async fn file(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    file_at(Desk::Elu, state, signed, id, request).await
}

/// Files a request for someone, from `desk`: the channel and the person's contact are
/// recorded, and the one who filed it follows it.
pub async fn file_at(
    desk: Desk,
    state: AppState,
    signed: Signed,
    id: String,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    desk.allows(user)?;
    let catalogue = state.catalogue.load_full();
    let form = find_form(desk, &catalogue, &id)?;
    // The files this post stored stay only if the answer carries them on; `?` (a forged
    // post's CSRF check included) and every error below remove them.
    let uploads::FormPost {
        pairs,
        files,
        errors: file_errors,
        uploaded,
        ..
    } = uploads::read(&state, &form, request).await?;
    let fields: std::collections::HashMap<String, String> = pairs.iter().cloned().collect();
    signed.check_csrf(&fields)?;
    let get = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let channel_value = get("_channel");
    let contact = get("_contact");
    let commune = get("_commune");
    let token = TrackingToken::parse(&get("_token")).unwrap_or_else(|_| TrackingToken::generate());
    // In order: a list of checkboxes repeats its name.
    let posted = Posted::from_pairs(pairs.into_iter().filter(|(k, _)| !k.starts_with('_')));

    let mut errors: Vec<FieldError> = file_errors;
    let channel = Channel::ON_BEHALF
        .into_iter()
        .find(|c| c.as_str() == channel_value);
    if channel.is_none() {
        errors.push(FieldError::new("", "Indiquez comment le demandeur vous a saisi : téléphone, en personne, courrier ou réunion."));
    }
    if contact.chars().count() > MAX_CONTACT_CHARS {
        errors.push(FieldError::new(
            "",
            format!("Le contact du demandeur ne doit pas dépasser {MAX_CONTACT_CHARS} caractères."),
        ));
    } else if contact.chars().any(crate::domain::text::is_stray_control) {
        errors.push(FieldError::new(
            "",
            "Le contact du demandeur contient un caractère invisible (souvent venu d'un copier-coller) : retapez-le.",
        ));
    }
    errors.extend(coerce::repeated(
        &form.fields,
        &posted,
        crate::i18n::Lang::Fr,
    ));
    let mut data = coerce(&form.fields, &posted);
    uploads::inject(&form, &mut data, &files);
    let accepted = intake::accept(
        &catalogue,
        &form,
        data,
        Some(commune.as_str()).filter(|c| !c.is_empty()),
        channel.unwrap_or(Channel::Phone),
    );
    let mut page = EluFormPage {
        t: Localizer::new(Lang::Fr, ""),
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        id: form.id.clone(),
        title: form.title.clone(),
        description: form.description.clone().unwrap_or_default(),
        rows: Vec::new(),
        errors: Vec::new(),
        channels: channels(&channel_value),
        contact: contact.clone(),
        token: token.as_str().to_owned(),
        filed_reference: String::new(),
        filed_tracking_url: String::new(),
        multipart: !crate::catalogue::fields::attachments(&form.fields).is_empty(),
        hidden_files: uploads::hidden(&files),
        commune_choices: commune_choices(&catalogue, &form),
        commune,
        base: desk.base().to_owned(),
        home_label: desk.home_label().to_owned(),
    };
    let accepted = match accepted {
        Ok(accepted) if errors.is_empty() => accepted,
        result => {
            if let Err(more) = result {
                errors.extend(more);
            }
            let (rows, summary) = rows_with_errors(&form, &posted, &errors, Lang::Fr);
            page.rows = rows;
            page.errors = summary;
            uploaded.keep();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let filer = Filer {
        actor: user.email.clone(),
        on_behalf: Some((user.email.clone(), Some(contact).filter(|c| !c.is_empty()))),
        lang: crate::i18n::Lang::Fr,
    };
    let tracking_url = format!("{}/suivi/{}", state.public_url, token.as_str());
    let planner = state.planner(Some(tracking_url.clone()));
    match filing::file(&state.store, &form, accepted, token, filer, planner).await {
        Ok((receipt, _)) => {
            uploaded.keep();
            page.filed_reference = receipt.reference.to_string();
            page.filed_tracking_url = tracking_url;
            Ok(page.into_response())
        }
        Err(StoreError::AlreadyFiled) => Err(AppError::Conflict(
            "Cette demande a déjà été déposée (le formulaire a été envoyé deux fois). Retrouvez-la dans la liste des demandes que vous avez déposées.".into(),
        )
        .into()),
        Err(err) => Err(err.into()),
    }
}
