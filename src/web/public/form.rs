//! The generated form: show it, check the answers, file the request.
//!
//! One URL, three steps, no session and no JavaScript: `POST` with `_action=review` shows
//! the "check your answers" page (the answers travel in hidden fields), `_action=edit`
//! goes back to the form with every value kept, and `_action=submit` files the request and
//! redirects to its tracking page.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::view::{self, Row, Section};
use crate::catalogue::notices::Notice;
use crate::catalogue::{Catalogue, Form};
use crate::domain::text::french_spacing;
use crate::domain::{Channel, TrackingToken};
use crate::intake::coerce::{Posted, coerce, repeated};
use crate::intake::{self, FieldError};
use crate::requests::filing;
use crate::store::StoreError;
use crate::web::AppState;
use crate::web::client::ClientInfo;
use crate::web::error::{AppError, PageError, retry_after};
use crate::web::{rate_limits, uploads};

#[derive(Template, WebTemplate)]
#[template(path = "public/form.html")]
pub struct FormPage {
    pub territory: String,
    pub id: String,
    pub title: String,
    pub description: String,
    pub commune: String,
    pub commune_name: String,
    /// (slug, name) of the communes to choose among, for a form offered only in some
    /// communes that has no commune question of its own, reached from no commune's page.
    pub commune_choices: Vec<(String, String)>,
    pub rows: Vec<Row>,
    /// (field id, label: message) for the error summary.
    pub errors: Vec<(String, String)>,
    /// The form has file fields: it posts multipart/form-data.
    pub multipart: bool,
    /// Files sent earlier (`_files.<field>`), kept across the form's steps.
    pub hidden_files: Vec<(String, String)>,
    /// A designer's preview of a draft: shown as citizens see it, never sent.
    pub preview: bool,
    /// The privacy notice, shown before the first question.
    pub privacy: Notice,
    /// For form.js to narrow the commune list to an address's postcode: the two fields'
    /// names and `postcode:slug,slug;…`. Empty when the form links no postcode.
    pub postcode_link: Option<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/review.html")]
pub struct ReviewPage {
    pub territory: String,
    pub id: String,
    pub title: String,
    pub commune: String,
    pub commune_name: String,
    pub sections: Vec<Section>,
    pub hidden: Vec<(String, String)>,
    /// The tracking token this submission will be filed under (see `post`).
    pub token: String,
    /// Why sending did not work (a rate limit): the answers stay on the page.
    pub error: String,
    /// The privacy notice, shown again before sending.
    pub privacy: Notice,
}

#[derive(Deserialize)]
pub struct FormQuery {
    commune: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<FormQuery>,
) -> Result<FormPage, PageError> {
    let catalogue = state.catalogue.load();
    let form = find_form(&catalogue, &id)?;
    let commune = page_commune(&catalogue, form, query.commune.as_deref())?;
    // Arriving from a commune's page fills in the form's commune field.
    let mut pairs = Vec::new();
    if let (Some(slug), Some(pointer)) = (&commune, &form.meta.commune_field) {
        pairs.push((
            pointer.trim_start_matches('/').replace('/', "."),
            slug.clone(),
        ));
    }
    Ok(form_page(
        &catalogue,
        form,
        commune,
        &Posted::from_pairs(pairs),
        &[],
        &Default::default(),
    ))
}

pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let catalogue = state.catalogue.load_full();
    let form = find_form(&catalogue, &id)?.clone();
    // The files this post stored stay only if the answer carries them on; `?` and every
    // error below remove them.
    let uploads::FormPost {
        pairs,
        files,
        errors: mut file_errors,
        uploaded,
        files_refused,
    } = uploads::read_anonymous(&state, &form, request, client.address).await?;
    let action = pairs
        .iter()
        .find(|(k, _)| k == "_action")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let submission_token = pairs
        .iter()
        .find(|(k, _)| k == "_token")
        .and_then(|(_, v)| TrackingToken::parse(v).ok());
    let commune_hint = pairs
        .iter()
        .find(|(k, _)| k == "_commune")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty());
    // The page's commune, or the one chosen beside the form. One outside the territory is a
    // forged post; one of the territory where the form is not offered, intake reports next
    // to the other answers, which stay on the page.
    let commune = match page_commune(&catalogue, &form, commune_hint.as_deref()) {
        Ok(commune) => commune,
        Err(_)
            if commune_hint
                .as_deref()
                .is_some_and(|slug| catalogue.territory.commune(slug).is_some()) =>
        {
            None
        }
        Err(err) => return Err(err.into()),
    };
    let posted = Posted::from_pairs(pairs.into_iter().filter(|(k, _)| !k.starts_with('_')));

    if let Some(wait) = files_refused {
        // The answers come back; the files sent earlier too (they were kept then).
        let mut errors = vec![FieldError::new(
            "",
            format!(
                "Trop de fichiers ont été envoyés depuis votre connexion : ceux-ci n'ont pas été reçus. Vos réponses sont conservées ; joignez vos fichiers de nouveau dans {}.",
                rate_limits::wait_fr(wait)
            ),
        )];
        errors.extend(file_errors);
        let page = form_page(&catalogue, &form, commune, &posted, &errors, &files);
        return Ok(too_many(wait, page));
    }
    if action == "edit" {
        uploaded.keep();
        return Ok(form_page(&catalogue, &form, commune, &posted, &[], &files).into_response());
    }
    file_errors.extend(repeated(&form.fields, &posted));
    let mut data = coerce(&form.fields, &posted);
    uploads::inject(&form, &mut data, &files);
    let accepted = match intake::accept(
        &catalogue,
        &form,
        data,
        commune_hint.as_deref(),
        Channel::Web,
    ) {
        Ok(accepted) if file_errors.is_empty() => accepted,
        result => {
            // File (and repeated-field) problems first: what the person must fix by
            // choosing again.
            let mut errors = file_errors;
            errors.extend(result.err().unwrap_or_default());
            let page = form_page(&catalogue, &form, commune, &posted, &errors, &files);
            uploaded.keep();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let review = |token: &TrackingToken, error: String| ReviewPage {
        territory: catalogue.territory.territory.name.clone(),
        id: form.id.clone(),
        title: form.title.clone(),
        // The commune the request will be filed under (an address's commune wins over the
        // page it was started from), not the page's.
        commune_name: commune_name(&catalogue, accepted.commune.as_ref().map(|c| c.as_str())),
        commune: commune.clone().unwrap_or_default(),
        sections: view::answers(&form.fields, &accepted.data),
        hidden: posted
            .pairs()
            .into_iter()
            .chain(uploads::hidden(&files))
            .collect(),
        token: token.as_str().to_owned(),
        error,
        privacy: Notice::of(&form, &catalogue),
    };
    if action != "submit" {
        uploaded.keep();
        return Ok(review(&TrackingToken::generate(), String::new()).into_response());
    }
    // The review page minted the token, so sending the same answers twice (a double click,
    // a reload) files one request and leads to the same tracking page.
    let token = submission_token.unwrap_or_else(TrackingToken::generate);
    if let Err(wait) = state.rate_limits.submissions.check(client.address) {
        // Back to the review page, answers and token kept: sending again later files it.
        let page = review(
            &token,
            format!(
                "Trop de demandes ont été envoyées depuis votre connexion. Votre demande n'est pas encore envoyée, mais vos réponses sont conservées : cliquez de nouveau sur « Envoyer ma demande » dans {}.",
                rate_limits::wait_fr(wait)
            ),
        );
        uploaded.keep();
        return Ok(too_many(wait, page));
    }
    let receipt_page = format!("/suivi/{}?recu=1", token.as_str());
    let planner = state.planner(Some(format!(
        "{}/suivi/{}",
        state.public_url,
        token.as_str()
    )));
    match filing::file(
        &state.store,
        &form,
        accepted,
        token,
        filing::Filer::named("citoyen"),
        planner,
    )
    .await
    {
        Ok(_) | Err(StoreError::AlreadyFiled) => {
            uploaded.keep();
            Ok(Redirect::to(&receipt_page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// A page answered 429, with when to come back.
fn too_many(wait: std::time::Duration, page: impl IntoResponse) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, retry_after(wait))],
        page,
    )
        .into_response()
}

fn find_form<'a>(catalogue: &'a Catalogue, id: &str) -> Result<&'a std::sync::Arc<Form>, AppError> {
    catalogue
        .form(id)
        .filter(|f| f.is_for(crate::catalogue::Audience::Citizen))
        .ok_or_else(|| AppError::NotFound("Cette démarche n'existe pas ou n'est plus proposée. Retournez à l'accueil pour trouver la bonne démarche.".into()))
}

/// The commune of the page the person came from, if it is real and offers the form.
fn page_commune(
    catalogue: &Catalogue,
    form: &Form,
    slug: Option<&str>,
) -> Result<Option<String>, AppError> {
    let Some(slug) = slug.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if catalogue.territory.commune(slug).is_none() || !form.offered_in(slug) {
        return Err(AppError::NotFound("Cette démarche n'est pas proposée dans cette commune. Consultez la page de votre commune pour trouver la bonne démarche.".into()));
    }
    Ok(Some(slug.to_owned()))
}

/// The communes to choose among beside the form: those of a form offered in several (not
/// all) communes, when the form asks for none itself. Élus filing for a resident choose too.
pub(crate) fn commune_choices(catalogue: &Catalogue, form: &Form) -> Vec<(String, String)> {
    if form.meta.commune_field.is_some() || form.meta.communes.len() < 2 {
        return Vec::new();
    }
    form.meta
        .communes
        .iter()
        .filter_map(|slug| catalogue.territory.commune(slug))
        .map(|c| (c.slug.clone(), c.name.clone()))
        .collect()
}

fn commune_name(catalogue: &Catalogue, slug: Option<&str>) -> String {
    slug.and_then(|s| catalogue.territory.commune(s))
        .map(|c| c.name.clone())
        .unwrap_or_default()
}

/// The form's rows with the posted values, each message next to its field (or the closest
/// one above it: an item of a list of choices goes to the list), and the error summary.
/// Messages about the whole form only go in the summary.
pub fn rows_with_errors(
    form: &Form,
    posted: &Posted,
    errors: &[FieldError],
) -> (Vec<Row>, Vec<(String, String)>) {
    let mut by_pointer: HashMap<String, String> = HashMap::new();
    let mut summary = Vec::new();
    for error in errors {
        let path: Vec<String> = error
            .path
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        match crate::catalogue::fields::nearest(&form.fields, &path) {
            Some(field) => {
                if by_pointer.contains_key(&field.pointer()) {
                    continue;
                }
                by_pointer.insert(field.pointer(), error.message.clone());
                summary.push((
                    view::field_id(field),
                    summary_line(&field.label, &error.message),
                ));
            }
            None => summary.push(("main".to_owned(), french_spacing(&error.message))),
        }
    }
    (view::rows(&form.fields, posted, &by_pointer), summary)
}

/// One line of the error summary: the question, then what to do, read as one French
/// sentence. « Nom et prénom : complétez-le. », « Pourquoi… ? Choisissez une réponse. »:
/// the field's own « Ce champ est obligatoire » is implied by the question it follows, and
/// no colon comes after a question mark.
fn summary_line(label: &str, message: &str) -> String {
    let label = label.trim_end();
    let message = message
        .strip_prefix("Ce champ est obligatoire : ")
        .unwrap_or(message);
    let mut chars = message.chars();
    let first = chars.next();
    let line = if label.ends_with(['?', '!', ':', '.']) {
        let rest: String = first
            .into_iter()
            .flat_map(char::to_uppercase)
            .chain(chars)
            .collect();
        format!("{label} {rest}")
    } else {
        let rest: String = first
            .into_iter()
            .flat_map(char::to_lowercase)
            .chain(chars)
            .collect();
        format!("{label} : {rest}")
    };
    french_spacing(&line)
}

pub(crate) fn form_page(
    catalogue: &Catalogue,
    form: &Form,
    commune: Option<String>,
    posted: &Posted,
    errors: &[FieldError],
    files: &HashMap<String, Vec<crate::attachments::StoredFile>>,
) -> FormPage {
    let (mut rows, summary) = rows_with_errors(form, posted, errors);
    for row in rows.iter_mut().filter(|r| r.kind == "file") {
        row.files = files
            .get(&row.name)
            .map(|list| list.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default();
    }
    // A form offered in one commune only is that commune's.
    let commune = commune.or_else(|| match form.meta.communes.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    });
    FormPage {
        territory: catalogue.territory.territory.name.clone(),
        id: form.id.clone(),
        title: form.title.clone(),
        description: form.description.clone().unwrap_or_default(),
        commune_choices: commune_choices(catalogue, form),
        commune_name: commune_name(catalogue, commune.as_deref()),
        commune: commune.unwrap_or_default(),
        rows,
        errors: summary,
        multipart: !crate::catalogue::fields::attachments(&form.fields).is_empty(),
        hidden_files: uploads::hidden(files),
        preview: false,
        privacy: Notice::of(form, catalogue),
        postcode_link: postcode_link(catalogue, form),
    }
}

/// See [`FormPage::postcode_link`]; the server checks the pair either way (intake).
fn postcode_link(catalogue: &Catalogue, form: &Form) -> Option<(String, String, String)> {
    let name = |pointer: &str| pointer.trim_start_matches('/').replace('/', ".");
    let postcode = name(form.meta.postcode_field.as_deref()?);
    let commune = name(form.meta.commune_field.as_deref()?);
    let mut by_postcode: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for c in &catalogue.territory.communes {
        for p in &c.postcodes {
            by_postcode.entry(p).or_default().push(&c.slug);
        }
    }
    let map: Vec<String> = by_postcode
        .into_iter()
        .map(|(p, slugs)| format!("{p}:{}", slugs.join(",")))
        .collect();
    Some((postcode, commune, map.join(";")))
}
