//! The generated form: show it one step at a time, check each step, review, file.
//!
//! One URL, no session and no JavaScript. A form is one or more steps (`catalogue::steps`;
//! a form that declares none is one step). Every page posts to the form's URL, with
//! `_action`:
//! - `next` (`review` on the last step's button): checks the step's own answers, then shows
//!   the next step; after the last step, or a step changed from the review page, the whole
//!   form is checked and the "check your answers" page shown, or else the first step with a
//!   problem, with its problems (a condition that spans steps is reported at its own field);
//! - `back`: the previous step, with what was typed kept but not checked;
//! - `edit` / `edit-N` (the review page's « Modifier »): step N, and then back to review;
//! - `submit`: checks everything once more, files the request and redirects to its tracking
//!   page.
//!
//! The answers travel in one signed hidden input (`form_state`): nothing is written before
//! the request is sent. A post without it (a script, a test) is taken as the whole form.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::form_state::{FormState, FormStateKey, Page};
use super::form_steps::{
    Action, Destination, carried_over, destination, errors_of_step, merged_answers,
};
use super::view::{self, Row, Section};
use crate::attachments::StoredFile;
use crate::catalogue::fields::Field;
use crate::catalogue::notices::Notice;
use crate::catalogue::{Catalogue, Form};
use crate::domain::text::french_spacing;
use crate::domain::{Channel, TrackingToken};
use crate::i18n::Lang;
use crate::intake::coerce::{Posted, coerce, repeated};
use crate::intake::{self, FieldError};
use crate::requests::filing;
use crate::store::StoreError;
use crate::web::AppState;
use crate::web::client::ClientInfo;
use crate::web::error::{AppError, PageError, retry_after};
use crate::web::language::Localizer;
use crate::web::{rate_limits, uploads};

#[derive(Template, WebTemplate)]
#[template(path = "public/form.html")]
pub struct FormPage {
    pub t: Localizer,
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
    /// « Étape 2 sur 3 : Votre adresse »; empty for a form on one page.
    pub step_title: String,
    /// The first step: the description, the privacy notice and the commune choice.
    pub first_step: bool,
    /// The signed answers so far (`_etat`); empty in a preview.
    pub state: String,
    /// A « Retour » button to the previous step.
    pub back: bool,
    /// The main button's words and value.
    pub next_label: String,
    pub next_value: &'static str,
    /// Why the person is shown this page rather than the one they asked for.
    pub notice: String,
}

/// One step on the review page, with its answers and its « Modifier » button.
pub struct ReviewStep {
    /// 1-based; the button posts `edit-{number}`.
    pub number: usize,
    /// The step's title; empty for a form on one page.
    pub title: String,
    pub sections: Vec<Section>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/review.html")]
pub struct ReviewPage {
    pub t: Localizer,
    pub territory: String,
    pub id: String,
    pub title: String,
    pub commune: String,
    pub commune_name: String,
    pub steps: Vec<ReviewStep>,
    /// The form declares steps: each has its heading and its « Modifier ».
    pub by_step: bool,
    pub hidden: Vec<(String, String)>,
    /// The signed answers (`_etat`).
    pub state: String,
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
    headers: HeaderMap,
    t: Localizer,
) -> Result<Response, PageError> {
    let catalogue = state.catalogue.load_full();
    let form = find_form(&catalogue, &id, t.lang)?.in_lang(t.lang);
    let form = &form;
    let commune = page_commune(&catalogue, form, query.commune.as_deref(), t.lang)?;
    // The same for everyone in a language until the catalogue changes: rendered once, then
    // served from memory (`web::page_cache`). The key holds what the page depends on: the
    // form, the commune it was opened from, the language, and the page's own address (in
    // the language switch's link).
    let key = format!(
        "form\u{0}{id}\u{0}{}\u{0}{}\u{0}{}",
        commune.as_deref().unwrap_or_default(),
        t.code(),
        t.switch_href()
    );
    let page = state.pages.page(key, &catalogue, || {
        // Arriving from a commune's page fills in the form's commune field.
        let mut pairs = Vec::new();
        if let (Some(slug), Some(pointer)) = (&commune, &form.meta.commune_field) {
            pairs.push((
                pointer.trim_start_matches('/').replace('/', "."),
                slug.clone(),
            ));
        }
        step_page(
            &catalogue,
            form,
            commune.clone(),
            &Posted::from_pairs(pairs),
            &[],
            &Default::default(),
            0,
            false,
            Some(&state.form_state_key),
            &t,
        )
        .render()
        .map_err(|err| PageError::from(anyhow::anyhow!("the form page cannot be rendered: {err}")))
    })?;
    Ok(page.answer(&headers))
}

pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: ClientInfo,
    t: Localizer,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let lang = t.lang;
    let catalogue = state.catalogue.load_full();
    // The person reads and is checked in their language; the request is filed with the
    // French original, its version's definition.
    let original = find_form(&catalogue, &id, lang)?.clone();
    let form = original.in_lang(lang);
    // The files this post stored stay only if the answer carries them on; `?` and every
    // error below remove them.
    let uploads::FormPost {
        pairs,
        files,
        errors: mut file_errors,
        uploaded,
        files_refused,
    } = uploads::read_anonymous(&state, &form, request, client.address).await?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let action = Action::parse(&field("_action").unwrap_or_default());
    let submission_token = field("_token").and_then(|v| TrackingToken::parse(&v).ok());
    let commune_hint = field("_commune").filter(|v| !v.is_empty());
    let sealed = field("_etat").filter(|v| !v.is_empty());
    // The page's commune, or the one chosen beside the form. One outside the territory is a
    // forged post; one of the territory where the form is not offered, intake reports next
    // to the other answers, which stay on the page.
    let commune = match page_commune(&catalogue, &form, commune_hint.as_deref(), lang) {
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
    let key = state.form_state_key.as_ref();
    let step_page = |posted: &Posted, errors: &[FieldError], step: usize, back_to_review: bool| {
        step_page(
            &catalogue,
            &form,
            commune.clone(),
            posted,
            errors,
            &files,
            step,
            back_to_review,
            Some(key),
            &t,
        )
    };
    let answers: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .cloned()
        .collect();
    let kept =
        match sealed.map(|text| FormState::open(&text, key, &form.id, OffsetDateTime::now_utc())) {
            None => None,
            Some(Ok(kept)) => Some(kept),
            Some(Err(refused)) => {
                // Nothing of the post is used; its files go with it.
                let mut page = step_page(&Posted::default(), &[], 0, false);
                page.hidden_files.clear();
                page.notice = refused.message(lang);
                return Ok((StatusCode::BAD_REQUEST, page).into_response());
            }
        };
    let (posted, on, back_to_review) = match &kept {
        None => (Posted::from_pairs(answers), None, false),
        Some(kept) if kept.version != form.version.as_str() => {
            uploaded.keep();
            let posted = carried_over(kept, answers);
            let mut page = step_page(&posted, &[], 0, false);
            page.notice = lang.text("form-changed");
            return Ok(page.into_response());
        }
        Some(kept) => (
            merged_answers(&form, kept, answers),
            match kept.page {
                Page::Step(step) => Some(step.min(form.steps.len() - 1)),
                Page::Review => None,
            },
            kept.back_to_review,
        ),
    };
    let shown = on.unwrap_or(0);

    if let Some(wait) = files_refused {
        // The answers come back; the files sent earlier too (they were kept then).
        let mut errors = vec![FieldError::new(
            "",
            lang.text_with(
                "form-too-many-files",
                &[("wait", rate_limits::wait_in(wait, lang).into())],
            ),
        )];
        errors.extend(errors_of_step(&form, &file_errors, shown));
        let page = step_page(&posted, &errors, shown, back_to_review);
        return Ok(too_many(wait, page));
    }
    match action {
        Action::Back | Action::Edit(_) => {
            let step = match destination(&form, action, on, back_to_review, &[]) {
                Destination::Fill(step) | Destination::Fix(step) => step,
                Destination::Review => 0,
            };
            uploaded.keep();
            let back_to_review = back_to_review || matches!(action, Action::Edit(_));
            return Ok(step_page(&posted, &[], step, back_to_review).into_response());
        }
        Action::Next | Action::Submit => {}
    }
    file_errors.extend(repeated(&form.fields, &posted, lang));
    let mut data = coerce(&form.fields, &posted);
    uploads::inject(&form, &mut data, &files);
    // File (and repeated-field) problems first: what the person must fix by choosing again.
    let mut errors = file_errors;
    let accepted = match intake::accept_in(
        &catalogue,
        &form,
        data,
        commune_hint.as_deref(),
        Channel::Web,
        lang,
    ) {
        Ok(accepted) => Some(accepted),
        Err(found) => {
            errors.extend(found);
            None
        }
    };
    let accepted = match (
        destination(&form, action, on, back_to_review, &errors),
        accepted,
    ) {
        (Destination::Review, Some(accepted)) if errors.is_empty() => accepted,
        (Destination::Fill(step), _) => {
            uploaded.keep();
            return Ok(step_page(&posted, &[], step, back_to_review).into_response());
        }
        (Destination::Fix(step), _) => {
            let own = errors_of_step(&form, &errors, step);
            // A problem found at the end (or at sending) sends the person to its step; from
            // there, continuing comes back to the review.
            let back_to_review = back_to_review || on != Some(step);
            let page = step_page(&posted, &own, step, back_to_review);
            uploaded.keep();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        (Destination::Review, _) => {
            // Not reached: the review is chosen only when nothing is wrong.
            let page = step_page(&posted, &errors, 0, back_to_review);
            uploaded.keep();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let review = |token: &TrackingToken, error: String| {
        let steps = form
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| ReviewStep {
                number: i + 1,
                title: step.title.clone(),
                sections: view::answers_in(&fields_of_step(&form, i), &accepted.data, lang),
            })
            .collect();
        let sealed = FormState {
            form: form.id.clone(),
            version: form.version.as_str().to_owned(),
            page: Page::Review,
            back_to_review: false,
            answers: posted.pairs(),
            issued: OffsetDateTime::now_utc().unix_timestamp(),
        }
        .seal(key);
        ReviewPage {
            t: t.clone(),
            territory: catalogue.territory.territory.name.clone(),
            id: form.id.clone(),
            title: form.title.clone(),
            // The commune the request will be filed under (an address's commune wins over
            // the page it was started from), not the page's.
            commune_name: commune_name(&catalogue, accepted.commune.as_ref().map(|c| c.as_str())),
            commune: commune.clone().unwrap_or_default(),
            steps,
            by_step: form.steps.declared(),
            hidden: uploads::hidden(&files),
            state: sealed,
            token: token.as_str().to_owned(),
            error,
            privacy: Notice::of(&form, &catalogue, lang),
        }
    };
    if action != Action::Submit {
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
            lang.text_with(
                "form-too-many-submissions",
                &[("wait", rate_limits::wait_in(wait, lang).into())],
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
        &original,
        accepted,
        token,
        filing::Filer::named("citoyen").in_lang(lang),
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

fn find_form<'a>(
    catalogue: &'a Catalogue,
    id: &str,
    lang: Lang,
) -> Result<&'a std::sync::Arc<Form>, AppError> {
    catalogue
        .form(id)
        .filter(|f| f.is_for(crate::catalogue::Audience::Citizen))
        .ok_or_else(|| AppError::NotFound(lang.text("error-unknown-form")))
}

/// The commune of the page the person came from, if it is real and offers the form.
fn page_commune(
    catalogue: &Catalogue,
    form: &Form,
    slug: Option<&str>,
    lang: Lang,
) -> Result<Option<String>, AppError> {
    let Some(slug) = slug.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if catalogue.territory.commune(slug).is_none() || !form.offered_in(slug) {
        return Err(AppError::NotFound(lang.text("error-form-not-in-commune")));
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
    lang: Lang,
) -> (Vec<Row>, Vec<(String, String)>) {
    if !form.steps.declared() {
        return rows_of(form, &form.fields, posted, errors, lang);
    }
    // The whole form on one page (an élu filing for a resident): each step's questions
    // under its title, in the citizens' order.
    let (_, summary) = rows_of(form, &[], posted, errors, lang);
    let rows = form
        .steps
        .iter()
        .enumerate()
        .flat_map(|(i, step)| {
            let (rows, _) = rows_of(form, &fields_of_step(form, i), posted, errors, lang);
            std::iter::once(Row::heading(step.title.clone())).chain(rows)
        })
        .collect();
    (rows, summary)
}

/// [`rows_with_errors`] for some of the form's questions (a step's).
fn rows_of(
    form: &Form,
    shown: &[Field],
    posted: &Posted,
    errors: &[FieldError],
    lang: Lang,
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
                    summary_line(&field.label, &error.message, lang),
                ));
            }
            None => summary.push(("main".to_owned(), spaced(&error.message, lang))),
        }
    }
    (view::rows(shown, posted, &by_pointer, lang), summary)
}

/// The questions of one step. A question shown only for some answer given at another step
/// is decided here, since that answer is not on the page for the script to follow: shown
/// (and then always) when it holds, left out when it does not (its answer would be dropped).
pub fn fields_of_step(form: &Form, step: usize) -> Vec<Field> {
    fields_of_step_given(form, step, None)
}

fn fields_of_step_given(form: &Form, step: usize, data: Option<&Value>) -> Vec<Field> {
    let Some(holding) = form.steps.get(step) else {
        return Vec::new();
    };
    let here = |name: Option<&String>| name.is_some_and(|n| holding.properties.contains(n));
    form.fields
        .iter()
        .filter(|f| here(f.path.first()))
        .filter_map(|f| match (&f.condition, data) {
            (Some(condition), Some(data)) if !here(condition.path.first()) => {
                let controlling = condition.path.first().and_then(|name| data.get(name));
                condition.holds(controlling).then(|| Field {
                    required: f.required || condition.required_when_shown,
                    condition: None,
                    ..f.clone()
                })
            }
            _ => Some(f.clone()),
        })
        .collect()
}

/// One line of the error summary: the question, then what to do, read as one French
/// sentence. « Nom et prénom : complétez-le. », « Pourquoi… ? Choisissez une réponse. »:
/// the field's own « Ce champ est obligatoire » is implied by the question it follows, and
/// no colon comes after a question mark.
fn summary_line(label: &str, message: &str, lang: Lang) -> String {
    let label = label.trim_end();
    // The required messages' common opening (« Ce champ est obligatoire : »), read from the
    // messages themselves so that it follows their wording and typography.
    let required = lang.text("invalid-required");
    let opening = required
        .split_inclusive(": ")
        .next()
        .filter(|opening| opening.ends_with(": "));
    let message = opening
        .and_then(|opening| message.strip_prefix(opening))
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
        match lang {
            Lang::Fr => format!("{label} : {rest}"),
            Lang::En => format!("{label}: {rest}"),
        }
    };
    spaced(&line, lang)
}

/// French punctuation's no-break spaces, in French only.
fn spaced(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Fr => french_spacing(text),
        Lang::En => text.to_owned(),
    }
}

/// The page of one step, with the answers so far, the step's own problems, and its state.
/// `key` is `None` for a designer's preview, which is never sent.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step_page(
    catalogue: &Catalogue,
    form: &Form,
    commune: Option<String>,
    posted: &Posted,
    errors: &[FieldError],
    files: &HashMap<String, Vec<StoredFile>>,
    step: usize,
    back_to_review: bool,
    key: Option<&FormStateKey>,
    t: &Localizer,
) -> FormPage {
    let lang = t.lang;
    let step = step.min(form.steps.len() - 1);
    let data = coerce(&form.fields, posted);
    let shown = fields_of_step_given(form, step, Some(&data));
    let (mut rows, summary) = rows_of(form, &shown, posted, errors, lang);
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
    let last = step + 1 == form.steps.len();
    let (next_label, next_value) = if back_to_review {
        ("form-next-back-to-review", "next")
    } else if last {
        ("form-next-review", "review")
    } else {
        ("form-next-continue", "next")
    };
    let state = key.map(|key| {
        FormState {
            form: form.id.clone(),
            version: form.version.as_str().to_owned(),
            page: Page::Step(step),
            back_to_review,
            answers: posted.pairs(),
            issued: OffsetDateTime::now_utc().unix_timestamp(),
        }
        .seal(key)
    });
    FormPage {
        t: t.clone(),
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
        privacy: Notice::of(form, catalogue, lang),
        postcode_link: postcode_link(catalogue, form),
        step_title: step_title(form, step, lang),
        first_step: step == 0,
        state: state.unwrap_or_default(),
        back: step > 0,
        next_label: lang.text(next_label),
        next_value,
        notice: String::new(),
    }
}

/// « Étape 2 sur 3 : Votre adresse », or nothing for a form on one page.
fn step_title(form: &Form, step: usize, lang: Lang) -> String {
    match form.steps.get(step) {
        Some(s) if form.steps.declared() => spaced(
            &lang.text_with(
                "form-step-title",
                &[
                    ("number", (step + 1).into()),
                    ("total", form.steps.len().into()),
                    ("title", s.title.clone().into()),
                ],
            ),
            lang,
        ),
        _ => String::new(),
    }
}

/// A designer's preview of a draft: every step, one after the other under its title.
pub(crate) fn preview_page(catalogue: &Catalogue, form: &Form, t: &Localizer) -> FormPage {
    let lang = t.lang;
    let posted = Posted::default();
    let mut page = step_page(
        catalogue,
        form,
        None,
        &posted,
        &[],
        &Default::default(),
        0,
        false,
        None,
        t,
    );
    if form.steps.declared() {
        page.rows =
            (0..form.steps.len())
                .flat_map(|step| {
                    std::iter::once(view::Row::heading(step_title(form, step, lang))).chain(
                        view::rows(&fields_of_step(form, step), &posted, &HashMap::new(), lang),
                    )
                })
                .collect();
        page.step_title = String::new();
        page.back = false;
        page.next_label = lang.text("form-next-review");
    }
    page.preview = true;
    page
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
