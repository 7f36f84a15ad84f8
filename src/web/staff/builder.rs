//! The form builder's pages (`/bureau/atelier`), for designers (their services' forms) and
//! admins (every form). Each action is a plain form post, so the builder works and is
//! tested without JavaScript; the editor's script only builds the same fields.
//!
//! Every action but "discard" and "publish" also saves the draft, so a designer never loses
//! what they typed and finds it again when they come back.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::Me;
use super::session::Signed;
use crate::builder::diff::{self, FieldChange};
use crate::builder::dry_run;
use crate::builder::publish::{self, Author, PublishError, Recorded};
use crate::builder::{Edit, stage};
use crate::catalogue::{Catalogue, Diagnostic, form};
use crate::domain::{Channel, FormVersion, Role};
use crate::intake;
use crate::store::builder::{Draft, Provenance};
use crate::store::{FormVersionRecord, StaffUser};
use crate::web::AppState;
use crate::web::error::{AppError, PageError};
use crate::web::forms;
use crate::web::public::date_fr;

/// How many past requests a dry run replays by default, and at most.
const DRY_RUN_DEFAULT: u32 = 200;
const DRY_RUN_MAX: u32 = 5_000;
const MAX_MESSAGE_CHARS: usize = 200;

pub struct FormLine {
    pub id: String,
    pub title: String,
    pub service: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/builder_list.html")]
pub struct ListPage {
    pub territory: String,
    pub me: Me,
    pub forms: Vec<FormLine>,
    pub services: Vec<(String, String)>,
    pub error: String,
}

pub struct VersionLine {
    pub version: String,
    pub short: String,
    pub commit: String,
    pub author: String,
    pub date: String,
    pub message: String,
}

pub struct Decision {
    pub queue: String,
    pub priority: String,
    pub due: String,
    pub reason: String,
    /// Why the rule could not decide, in French, and what Rhai said.
    pub fallback: String,
    pub fallback_detail: String,
}

/// A problem to fix, in French; `detail` keeps what the tool said (Rhai's words) when the
/// text explains it.
pub struct Problem {
    pub text: String,
    pub detail: String,
}

impl Problem {
    fn plain(text: impl Into<String>) -> Problem {
        Problem {
            text: text.into(),
            detail: String::new(),
        }
    }

    fn of(diagnostic: &Diagnostic) -> Problem {
        match &diagnostic.french {
            Some(french) => Problem {
                text: french.text.clone(),
                detail: french.detail.clone(),
            },
            None => Problem::plain(diagnostic.to_string()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/builder_edit.html")]
pub struct EditPage {
    pub territory: String,
    pub me: Me,
    pub form_id: String,
    pub title: String,
    pub published: bool,
    pub definition: String,
    pub rule_source: String,
    pub example: String,
    pub draft_saved: String,
    pub notice: String,
    pub problems: Vec<Problem>,
    pub decision: Option<Decision>,
    pub invalid: Vec<String>,
    pub dry_run: Option<dry_run::DryRun>,
    pub dry_run_limit: u32,
    pub versions: Vec<VersionLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/builder_diff.html")]
pub struct DiffPage {
    pub territory: String,
    pub me: Me,
    pub form_id: String,
    pub from: String,
    pub to: String,
    pub added: Vec<(String, String)>,
    pub removed: Vec<(String, String)>,
    pub changed: Vec<(String, String, String)>,
    pub rule_changed: bool,
    pub rule: Vec<(char, String)>,
}

fn not_found() -> AppError {
    AppError::NotFound(
        "Ce formulaire n'existe pas ou ne fait pas partie de vos services. Retournez à l'atelier."
            .into(),
    )
}

/// Designers build their services' forms; admins every form.
fn may_design(user: &StaffUser, service: &str) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Designer => user.services.iter().any(|s| s == service),
        _ => false,
    }
}

fn designer_only(user: &StaffUser) -> Result<(), AppError> {
    if matches!(user.role, Role::Admin | Role::Designer) {
        Ok(())
    } else {
        Err(not_found())
    }
}

pub async fn list(State(state): State<AppState>, signed: Signed) -> Result<ListPage, PageError> {
    let user = &signed.session.user;
    designer_only(user)?;
    let catalogue = state.catalogue.load();
    Ok(list_page(&catalogue, &signed, String::new()))
}

fn list_page(catalogue: &Catalogue, signed: &Signed, error: String) -> ListPage {
    let user = &signed.session.user;
    ListPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        forms: catalogue
            .forms
            .values()
            .filter(|f| may_design(user, &f.meta.service))
            .map(|f| FormLine {
                id: f.id.clone(),
                title: f.title.clone(),
                service: catalogue.service_name(&f.meta.service).to_owned(),
            })
            .collect(),
        services: catalogue
            .territory
            .services
            .iter()
            .filter(|s| may_design(user, &s.id))
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        error,
    }
}

/// "New form": checks the id and service, then opens the editor on a skeleton.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_form_bytes)?;
    signed.check_csrf(&fields)?;
    let user = &signed.session.user;
    designer_only(user)?;
    let catalogue = state.catalogue.load();
    let id = fields.get("id").map(|s| s.trim()).unwrap_or_default();
    let service = fields
        .get("service")
        .map(String::as_str)
        .unwrap_or_default();
    let refuse = |message: &str| {
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            list_page(&catalogue, &signed, message.to_owned()),
        )
            .into_response())
    };
    if !crate::catalogue::territory::is_valid_id(id) {
        return refuse(
            "L'identifiant ne peut contenir que des minuscules sans accent, des chiffres et des tirets (par exemple remplacement-bac) : il sert dans l'adresse du formulaire.",
        );
    }
    if catalogue.form(id).is_some() {
        return refuse(
            "Un formulaire porte déjà cet identifiant : choisissez-en un autre, ou ouvrez-le dans la liste.",
        );
    }
    if catalogue.territory.service(service).is_none() || !may_design(user, service) {
        return refuse("Choisissez un de vos services.");
    }
    let skeleton = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Nouveau formulaire",
        "type": "object",
        "additionalProperties": false,
        "x-guichet": {"service": service, "rule": id, "cases": []},
        "properties": {},
        "required": [],
        "examples": [{}]
    });
    let default_queue = catalogue
        .territory
        .service(service)
        .map(|s| s.default_queue.clone())
        .unwrap_or_default();
    state
        .store
        .save_draft(&Draft {
            form_id: id.to_owned(),
            author: user.email.clone(),
            service: service.to_owned(),
            definition: skeleton,
            rule_source: Some(format!(
                "// Choisit la file de chaque demande.\n\"{default_queue}\"\n"
            )),
            base_version: None,
            updated_at: OffsetDateTime::now_utc(),
        })
        .await?;
    Ok(Redirect::to(&format!("/bureau/atelier/{id}")).into_response())
}

/// The form's files as published (definition text, rule source).
fn published_files(catalogue: &Catalogue, id: &str) -> Option<(String, String)> {
    let form = catalogue.form(id)?;
    let definition =
        std::fs::read_to_string(catalogue.root.join(form::DIR).join(format!("{id}.json"))).ok()?;
    let rule = form
        .rule
        .as_ref()
        .map(|r| r.source.to_string())
        .unwrap_or_default();
    Some((definition, rule))
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<EditPage, PageError> {
    let user = &signed.session.user;
    designer_only(user)?;
    let catalogue = state.catalogue.load();
    let draft = state.store.draft(&id, &user.email).await?;
    let (definition, rule_source, saved) = match &draft {
        Some(d) => (
            serde_json::to_string_pretty(&d.definition).unwrap_or_default(),
            d.rule_source.clone().unwrap_or_default(),
            date_fr(d.updated_at),
        ),
        None => {
            let (definition, rule) = published_files(&catalogue, &id).ok_or_else(not_found)?;
            (definition, rule, String::new())
        }
    };
    let service = draft
        .as_ref()
        .map(|d| d.service.clone())
        .or_else(|| catalogue.form(&id).map(|f| f.meta.service.clone()))
        .unwrap_or_default();
    if !may_design(user, &service) {
        return Err(not_found().into());
    }
    let mut page = edit_page(&state, &catalogue, &signed, &id, definition, rule_source).await?;
    page.draft_saved = saved;
    Ok(page)
}

async fn edit_page(
    state: &AppState,
    catalogue: &Catalogue,
    signed: &Signed,
    id: &str,
    definition: String,
    rule_source: String,
) -> Result<EditPage, AppError> {
    let parsed: Option<Value> = serde_json::from_str(&definition).ok();
    let example = parsed
        .as_ref()
        .and_then(|d| d.get("examples"))
        .and_then(|e| e.get(0))
        .map(|e| serde_json::to_string_pretty(e).unwrap_or_default())
        .unwrap_or_else(|| "{}".into());
    let versions = state
        .store
        .form_history(id)
        .await?
        .into_iter()
        .map(|v| VersionLine {
            short: v.version.chars().take(12).collect(),
            version: v.version,
            commit: v
                .git_commit
                .map(|c| c.chars().take(10).collect())
                .unwrap_or_default(),
            author: v.author.unwrap_or_default(),
            date: date_fr(v.recorded_at),
            message: v.message.unwrap_or_default(),
        })
        .collect();
    Ok(EditPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(&signed.session.user, &signed.session.csrf_token),
        form_id: id.to_owned(),
        title: parsed
            .as_ref()
            .and_then(|d| d.get("title"))
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_owned(),
        published: catalogue.form(id).is_some(),
        definition,
        rule_source,
        example,
        draft_saved: String::new(),
        notice: String::new(),
        problems: Vec::new(),
        decision: None,
        invalid: Vec::new(),
        dry_run: None,
        dry_run_limit: DRY_RUN_DEFAULT,
        versions,
    })
}

/// What a post carries: the definition's text, the rule's source, and the action.
struct Posted {
    definition_text: String,
    definition: Result<Value, String>,
    rule_source: String,
}

impl Posted {
    fn read(fields: &HashMap<String, String>) -> Posted {
        let definition_text = fields.get("definition").cloned().unwrap_or_default();
        let definition = serde_json::from_str::<Value>(&definition_text)
            .map_err(|e| {
                format!(
                    "La définition n'est pas un JSON valide (ligne {}, colonne {}) : corrigez-la.",
                    e.line(),
                    e.column()
                )
            })
            .and_then(|v| {
                if v.is_object() {
                    Ok(v)
                } else {
                    Err("La définition doit être un objet JSON ({ … }).".into())
                }
            });
        Posted {
            definition_text,
            definition,
            rule_source: fields
                .get("rule_source")
                .cloned()
                .unwrap_or_default()
                .replace("\r\n", "\n"),
        }
    }

    fn service(&self) -> Option<String> {
        self.definition
            .as_ref()
            .ok()?
            .pointer("/x-guichet/service")?
            .as_str()
            .map(str::to_owned)
    }

    /// The files to write; the rule goes with the form when the definition names one.
    fn edit(&self, id: &str) -> Edit {
        let rule_name = self
            .definition
            .as_ref()
            .ok()
            .and_then(|d| d.pointer("/x-guichet/rule"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Edit {
            form_id: id.to_owned(),
            definition: normalised(&self.definition_text),
            rule: rule_name.map(|name| (name, normalised(&self.rule_source))),
        }
    }
}

/// Files end with one newline, as editors and git like them.
fn normalised(text: &str) -> String {
    format!("{}\n", text.replace("\r\n", "\n").trim_end())
}

fn describe(problems: &[Diagnostic]) -> Vec<Problem> {
    problems.iter().map(Problem::of).collect()
}

/// The problems in one line, for a notice or an error page.
fn in_one_line(problems: &[Diagnostic]) -> String {
    describe(problems)
        .into_iter()
        .map(|p| {
            if p.detail.is_empty() {
                p.text
            } else {
                format!("{} (« {} »)", p.text, p.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

/// "3 jours", "1 jour", "le jour même".
fn days_fr(n: u32) -> String {
    match n {
        0 => "le jour même".into(),
        1 => "1 jour".into(),
        n => format!("{n} jours"),
    }
}

pub async fn post(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PageError> {
    let fields = forms::read(&headers, body, state.limits.max_json_bytes)?;
    signed.check_csrf(&fields)?;
    let user = signed.session.user.clone();
    designer_only(&user)?;
    let catalogue = state.catalogue.load_full();
    let existing = state.store.draft(&id, &user.email).await?;
    let published_service = catalogue.form(&id).map(|f| f.meta.service.clone());
    // The form must be theirs (published, or a draft they started), and stay theirs.
    let owned = published_service
        .as_deref()
        .or(existing.as_ref().map(|d| d.service.as_str()))
        .is_some_and(|s| may_design(&user, s));
    if !owned {
        return Err(not_found().into());
    }
    let posted = Posted::read(&fields);
    let action = fields
        .get("_action")
        .map(String::as_str)
        .unwrap_or_default();
    let mut page = edit_page(
        &state,
        &catalogue,
        &signed,
        &id,
        posted.definition_text.clone(),
        posted.rule_source.clone(),
    )
    .await?;
    page.example = fields.get("example").cloned().unwrap_or(page.example);
    page.dry_run_limit = fields
        .get("limit")
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(DRY_RUN_DEFAULT)
        .clamp(1, DRY_RUN_MAX);

    if action == "discard" {
        state.store.delete_draft(&id, &user.email).await?;
        return Ok(Redirect::to(&format!("/bureau/atelier/{id}")).into_response());
    }
    let definition = match &posted.definition {
        Ok(definition) => definition.clone(),
        Err(message) => {
            page.problems = vec![Problem::plain(message.clone())];
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let service = posted.service().unwrap_or_default();
    if !may_design(&user, &service)
        || published_service
            .as_deref()
            .is_some_and(|s| s != service && user.role != Role::Admin)
    {
        page.problems = vec![Problem::plain(format!(
            "Le service « {service} » n'est pas un des vôtres : un formulaire reste dans le service qui le publie (x-guichet.service)."
        ))];
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    // A rule file may be shared by forms, but publishing rewrites it: it must not belong to
    // another service's form.
    if let Some((rule, _)) = &posted.edit(&id).rule
        && let Some(other) = catalogue.forms.values().find(|f| {
            f.id != id
                && f.meta.rule.as_deref() == Some(rule)
                && !may_design(&user, &f.meta.service)
        })
    {
        page.problems = vec![Problem::plain(format!(
            "La règle « {rule} » est celle du formulaire « {} » d'un autre service : donnez à votre règle un autre nom (x-guichet.rule), par exemple « {id} ».",
            other.title
        ))];
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    if action != "publish" {
        let now = OffsetDateTime::now_utc();
        state
            .store
            .save_draft(&Draft {
                form_id: id.clone(),
                author: user.email.clone(),
                service: service.clone(),
                definition: definition.clone(),
                rule_source: Some(posted.rule_source.clone()),
                // The version the draft started from, kept across saves: publishing a draft
                // whose base has been replaced since would silently undo that change.
                base_version: match &existing {
                    Some(draft) => draft.base_version.clone(),
                    None => catalogue.form(&id).map(|f| f.version.as_str().to_owned()),
                },
                updated_at: now,
            })
            .await?;
        page.draft_saved = date_fr(now);
    }
    let edit = posted.edit(&id);
    let root = catalogue.root.clone();
    match action {
        "save" => {
            page.notice =
                "Brouillon enregistré. Il n'est pas en ligne tant que vous ne l'avez pas publié."
                    .into()
        }
        "check" => {
            let form_id = id.clone();
            let staged = tokio::task::spawn_blocking(move || {
                stage(&root, &edit).map(|s| {
                    // `guichet check` warns of it; the designer is told here.
                    let no_purpose = s
                        .catalogue
                        .form(&form_id)
                        .is_some_and(|f| f.meta.privacy.purpose.is_none());
                    (s.problems, no_purpose)
                })
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            match staged {
                Ok((problems, no_purpose)) if problems.is_empty() => {
                    page.notice = if no_purpose {
                        "Aucun problème bloquant : le formulaire peut être publié. Indiquez toutefois la finalité du traitement des données (réglage « Finalité », ou x-guichet.privacy.purpose) : sans elle, les habitants lisent une finalité générique.".into()
                    } else {
                        "Aucun problème : le formulaire peut être publié.".into()
                    }
                }
                Ok((problems, _)) | Err(problems) => page.problems = describe(&problems),
            }
        }
        "test" => {
            let example = page.example.clone();
            let staged = tokio::task::spawn_blocking(move || stage(&root, &edit))
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            match staged {
                Err(problems) => page.problems = describe(&problems),
                Ok(staged) => {
                    // Shown beside the result: the draft can be tried before its cases agree.
                    page.problems = describe(&staged.problems);
                    match crate::web::json::parse(example.as_bytes()) {
                        Err(message) => page.invalid = vec![format!("Exemple : {message}")],
                        Ok(data) => {
                            let form = staged.catalogue.form(&id).ok_or_else(not_found)?;
                            match intake::accept(&staged.catalogue, form, data, None, Channel::Web)
                            {
                                Err(errors) => {
                                    page.invalid = errors
                                        .iter()
                                        .map(|e| format!("{} : {}", e.path, e.message))
                                        .collect()
                                }
                                Ok(accepted) => {
                                    let d = accepted.decision;
                                    page.decision = Some(Decision {
                                        queue: staged
                                            .catalogue
                                            .territory
                                            .queue(&d.queue)
                                            .map(|(_, q)| format!("{} ({})", q.name, d.queue))
                                            .unwrap_or_else(|| d.queue.to_string()),
                                        priority: d.priority.label_fr().to_owned(),
                                        due: d
                                            .due_in_days
                                            .map(days_fr)
                                            .unwrap_or_else(|| "aucun".into()),
                                        reason: d.reason.unwrap_or_default(),
                                        fallback_detail: d
                                            .fallback
                                            .as_ref()
                                            .filter(|f| f.message != f.explanation)
                                            .map(|f| f.message.clone())
                                            .unwrap_or_default(),
                                        fallback: d
                                            .fallback
                                            .map(|f| f.explanation)
                                            .unwrap_or_default(),
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        "dry_run" => {
            let past = state.store.recent_requests(&id, page.dry_run_limit).await?;
            let form_id = id.clone();
            // Staging and replaying run thousands of rule evaluations: off the async threads.
            let replayed = tokio::task::spawn_blocking(move || -> Result<_, Vec<Diagnostic>> {
                let staged = stage(&root, &edit)?;
                let run = staged
                    .catalogue
                    .form(&form_id)
                    .map(|form| dry_run::replay(&staged.catalogue, form, &past));
                Ok((run, staged.problems))
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            match replayed {
                Err(problems) => page.problems = describe(&problems),
                Ok((run, problems)) => {
                    page.dry_run = Some(run.ok_or_else(not_found)?);
                    page.problems = describe(&problems);
                }
            }
        }
        "publish" => {
            let message = fields
                .get("message")
                .map(|m| m.trim().to_owned())
                .unwrap_or_default();
            if message.is_empty()
                || message.chars().count() > MAX_MESSAGE_CHARS
                || message.chars().any(char::is_control)
            {
                page.problems = vec![Problem::plain(format!(
                    "Décrivez votre changement en une ligne (au plus {MAX_MESSAGE_CHARS} caractères) : il accompagne la version dans l'historique."
                ))];
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            let current = catalogue.form(&id).map(|f| f.version.as_str().to_owned());
            if let Some(draft) = &existing
                && draft.base_version != current
            {
                page.problems = vec![Problem::plain(
                    "Le formulaire a été publié par quelqu'un d'autre depuis que vous avez commencé ce brouillon : publier maintenant effacerait ses changements. Notez les vôtres, abandonnez le brouillon, puis reprenez-les sur la version en ligne.",
                )];
                return Ok((StatusCode::CONFLICT, page).into_response());
            }
            let author = Author {
                name: user.name.clone(),
                email: user.email.clone(),
            };
            let files_edit = edit.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                publish::publish(&root, &files_edit, &author, &message).map(|r| (r, message))
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            match outcome {
                Ok((recorded, message)) => {
                    return published(&state, &signed, &id, recorded, message).await;
                }
                Err(PublishError::Check(problems)) => {
                    page.problems = describe(&problems);
                    page.notice =
                        "Rien n'a été publié : corrigez ces points puis publiez à nouveau.".into();
                    return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
                }
                Err(PublishError::Unchanged) => {
                    page.problems = vec![Problem::plain(
                        "Ces fichiers sont déjà ceux en ligne : il n'y a rien à publier.",
                    )];
                    return Ok((StatusCode::CONFLICT, page).into_response());
                }
                Err(PublishError::Failed(why)) => {
                    page.problems = vec![Problem::plain(format!(
                        "La publication n'a pas abouti : {why}"
                    ))];
                    return Ok((StatusCode::CONFLICT, page).into_response());
                }
            }
        }
        _ => {
            page.problems = vec![Problem::plain(
                "Action inconnue : utilisez les boutons de la page.",
            )];
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    }
    // A result (the rule's decision, the dry run) is an answer even with problems left to
    // fix before publishing; they are listed beside it.
    let answered = page.decision.is_some() || page.dry_run.is_some();
    let status = if page.invalid.is_empty() && (page.problems.is_empty() || answered) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

/// After the files are written: reload, record the version with its author and message,
/// drop the draft, and show the form's page with what happened.
async fn published(
    state: &AppState,
    signed: &Signed,
    id: &str,
    recorded: Recorded,
    message: String,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    let reloading = state.clone();
    let reloaded = tokio::task::spawn_blocking(move || crate::web::reload::reload(&reloading))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let catalogue = state.catalogue.load_full();
    let commit = match &recorded {
        Recorded::Committed(hash) => Some(hash.clone()),
        Recorded::NotARepository => None,
    };
    // The form is published: what follows is bookkeeping, and its failure must not turn
    // the publication into an error page.
    if let Some(form) = catalogue.form(id) {
        let recorded = state
            .store
            .record_version(
                &FormVersionRecord {
                    git_commit: commit.clone(),
                    ..FormVersionRecord::of(form)
                },
                &Provenance {
                    author: Some(user.email.clone()),
                    message: Some(message),
                },
            )
            .await;
        if let Err(err) = recorded {
            tracing::error!(form = id, %err, "published, but the version's author was not recorded");
        }
    }
    if let Err(err) = state.store.delete_draft(id, &user.email).await {
        tracing::error!(form = id, %err, "published, but the draft was not deleted");
    }
    let (definition, rule) = published_files(&catalogue, id).unwrap_or_default();
    let mut page = edit_page(state, &catalogue, signed, id, definition, rule).await?;
    page.notice = match (&recorded, &reloaded) {
        (_, Err(problems)) => format!(
            "Les fichiers sont écrits mais le rechargement a échoué ; le formulaire précédent reste en ligne : {}",
            in_one_line(problems)
        ),
        (Recorded::Committed(hash), Ok(())) => format!(
            "Publié : le formulaire est en ligne (commit {}).",
            &hash[..hash.len().min(10)]
        ),
        (Recorded::NotARepository, Ok(())) => "Publié : le formulaire est en ligne. Le catalogue n'est pas un dépôt git : les fichiers sont écrits mais aucun commit n'a été fait.".into(),
    };
    Ok(page.into_response())
}

/// The draft shown as citizens will see it (the same renderer), never sent.
pub async fn preview(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    designer_only(user)?;
    let catalogue = state.catalogue.load_full();
    let draft = state.store.draft(&id, &user.email).await?;
    let edit = match &draft {
        Some(d) if may_design(user, &d.service) => {
            let rule = d
                .definition
                .pointer("/x-guichet/rule")
                .and_then(Value::as_str)
                .map(|name| (name.to_owned(), d.rule_source.clone().unwrap_or_default()));
            Edit {
                form_id: id.clone(),
                definition: d.definition.to_string(),
                rule,
            }
        }
        Some(_) => return Err(not_found().into()),
        // No draft yet: the form as it is online, through the same renderer and in a page
        // the editor may frame (the public page forbids framing), so the preview shows
        // from the editor's first load.
        None => {
            let form = catalogue.form(&id).ok_or_else(not_found)?;
            if !may_design(user, &form.meta.service) {
                return Err(not_found().into());
            }
            let page =
                crate::web::public::form::preview_page(&catalogue, form, &preview_localizer());
            return Ok(framable(page));
        }
    };
    let root = catalogue.root.clone();
    let staged = tokio::task::spawn_blocking(move || stage(&root, &edit))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let staged = staged.map_err(|problems| {
        AppError::Unprocessable(format!(
            "Le brouillon ne peut pas encore être affiché : {}. Corrigez-le dans l'atelier.",
            in_one_line(&problems)
        ))
    })?;
    let form = staged.catalogue.form(&id).ok_or_else(not_found)?;
    let page =
        crate::web::public::form::preview_page(&staged.catalogue, form, &preview_localizer());
    Ok(framable(page))
}

/// The preview shows the French form (the builder edits the French texts).
fn preview_localizer() -> crate::web::language::Localizer {
    crate::web::language::Localizer::new(crate::i18n::Lang::Fr, "")
}

/// The editor shows the preview in a frame of its own page: allow that, and only that.
fn framable(page: impl IntoResponse) -> Response {
    (
        [
            ("x-frame-options", "SAMEORIGIN"),
            (
                "content-security-policy",
                concat!(crate::web::embed::csp_base!(), "; frame-ancestors 'self'"),
            ),
        ],
        page,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Compare {
    #[serde(default)]
    pub de: String,
    #[serde(default)]
    pub a: String,
}

/// Two recorded versions side by side.
pub async fn compare(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<Compare>,
) -> Result<DiffPage, PageError> {
    let user = &signed.session.user;
    designer_only(user)?;
    let catalogue = state.catalogue.load();
    let mut versions = Vec::new();
    for version in [&query.de, &query.a] {
        let not_a_version = || {
            AppError::NotFound(
                "Cette version n'existe pas pour ce formulaire : choisissez-la dans l'historique."
                    .into(),
            )
        };
        let version = FormVersion::parse(version).map_err(|_| not_a_version())?;
        let found = state
            .store
            .form_version(&version)
            .await?
            .filter(|v| v.form_id == id)
            .filter(|v| {
                v.definition
                    .pointer("/x-guichet/service")
                    .and_then(Value::as_str)
                    .is_some_and(|s| may_design(user, s))
            })
            .ok_or_else(not_a_version)?;
        versions.push(found);
    }
    let (old, new) = (&versions[0], &versions[1]);
    let diff = diff::compare(
        &old.definition,
        old.rule_source.as_deref(),
        &new.definition,
        new.rule_source.as_deref(),
    );
    let mut page = DiffPage {
        territory: catalogue.territory.territory.name.clone(),
        me: Me::of(user, &signed.session.csrf_token),
        form_id: id,
        from: old.version.chars().take(12).collect(),
        to: new.version.chars().take(12).collect(),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        rule_changed: diff.rule_changed,
        rule: diff.rule.into_iter().map(|l| (l.tag, l.text)).collect(),
    };
    for change in diff.fields {
        match change {
            FieldChange::Added { pointer, label } => page.added.push((pointer, label)),
            FieldChange::Removed { pointer, label } => page.removed.push((pointer, label)),
            FieldChange::Changed {
                pointer,
                label,
                what,
            } => page.changed.push((pointer, label, what.join(", "))),
        }
    }
    Ok(page)
}
