//! Handling requests, shared by the back office pages and the staff API: finding a request
//! a person may see, turning what they asked into an [`Action`], and the élu's summary.
//!
//! Access control lives here and in the store's scope checks, so the HTML and the API cannot
//! drift apart. Deny by default, and a request out of scope is "not found", never "forbidden":
//! its existence is not revealed.

use std::collections::HashMap;

use time::{Date, OffsetDateTime};

use super::AppState;
use super::error::AppError;
use crate::catalogue::Catalogue;
use crate::domain::workflow::{self, Action};
use crate::domain::{Priority, QueueId, Reference, Role, ServiceId, Status};
use crate::store::{ActionDone, StaffUser, StoredRequest, Target};

pub fn not_found() -> AppError {
    AppError::NotFound(
        "Aucune demande ne porte cette référence parmi celles auxquelles vous avez accès. Vérifiez la référence, ou retournez à vos files.".into(),
    )
}

/// The request behind `reference` if `user` may see it, with the history they may see:
/// élus never see internal notes, nor the citizen's contact details on requests they did
/// not file unless the territory allows it ([`super::personal_data::contact_hidden`]). Listings follow the same rule
/// ([`crate::store::RequestQuery::for_reader`]).
pub async fn find(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
) -> Result<StoredRequest, AppError> {
    let reference = Reference::parse(reference).map_err(|_| not_found())?;
    let mut request = state
        .store
        .request_by_reference(&reference)
        .await?
        .filter(|r| {
            user.scope()
                .allows(&r.service, r.commune.as_deref(), r.filed_by.as_deref())
        })
        .ok_or_else(not_found)?;
    if !user.sees_internal_notes() {
        request.events.retain(|e| !workflow::is_internal(e.kind));
    }
    // Élus see the citizen's contact details only where the territory allows: every path
    // to a request (page, API, files, summary) comes through here.
    if super::personal_data::contact_hidden(
        &state.catalogue.load(),
        user,
        request.filed_by.as_deref(),
    ) {
        super::personal_data::mask_contact(state, &mut request).await?;
    }
    Ok(request)
}

/// Applies `action` to the request, as `user`. Élus and designers do not handle requests:
/// a request they can see answers 403, one they cannot answers 404.
pub async fn act(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    action: Action,
) -> Result<ActionDone, AppError> {
    if !user.handles_requests() {
        find(state, user, reference).await?;
        return Err(AppError::Forbidden(
            "Votre rôle permet de suivre cette demande, pas de la traiter : adressez-vous au service.".into(),
        ));
    }
    let reference = Reference::parse(reference).map_err(|_| not_found())?;
    let done = crate::requests::act(
        state.store.as_ref(),
        Target::Reference(&reference),
        &user.scope(),
        &user.email,
        &action,
        &state.planner(None),
    )
    .await?
    .ok_or_else(not_found)?;
    tracing::info!(reference = %done.reference, actor = %user.email, events = done.events.len(), "request handled");
    Ok(done)
}

/// Erases the personal data of a closed request the admin `user` may see, for `reason`
/// (required): the same anonymisation as retention, at once. Others get 403; an open
/// request or one already anonymised gets 409.
pub async fn erase(
    state: &AppState,
    user: &StaffUser,
    reference: &str,
    reason: &str,
) -> Result<(), AppError> {
    let request = find(state, user, reference).await?;
    if user.role != Role::Admin {
        return Err(AppError::Forbidden(
            "Seul un administrateur peut effacer les données personnelles d'une demande : transmettez-lui la demande d'effacement.".into(),
        ));
    }
    let reason = erasure_reason(reason)?;
    crate::retention::erase(
        state.store.as_ref(),
        &state.retention,
        &request.reference,
        &user.email,
        &reason,
    )
    .await?
    .ok_or_else(not_found)?;
    tracing::info!(reference = %request.reference, actor = %user.email, "personal data erased on request");
    Ok(())
}

/// The reason an erasure is recorded with: required, one paragraph at most.
pub fn erasure_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if crate::domain::text::is_blank(reason) {
        return Err(invalid(
            "Le motif de l'effacement est vide : écrivez-le (par exemple « demande de l'intéressé du 12/03, courrier n° 45 ») avant de confirmer.",
        ));
    }
    if reason.chars().count() > 1_000 {
        return Err(invalid(
            "Le motif de l'effacement dépasse 1 000 caractères : raccourcissez-le.",
        ));
    }
    if reason.chars().any(crate::domain::text::is_stray_control) {
        return Err(invalid(
            "Le motif de l'effacement contient un caractère invisible (souvent venu d'un copier-coller) : retapez-le sans ce caractère.",
        ));
    }
    Ok(reason.to_owned())
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Unprocessable(message.into())
}

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or_default()
}

/// Reads an action from a form's (or a JSON body's) fields. `kind` names it: take, assign,
/// status, note, public_note, message, transfer, priority, due.
pub async fn parse_action(
    state: &AppState,
    catalogue: &Catalogue,
    request_service: &str,
    kind: &str,
    fields: &HashMap<String, String>,
) -> Result<Action, AppError> {
    Ok(match kind {
        "take" => Action::Take,
        "assign" => {
            let email = field(fields, "to").to_lowercase();
            let colleague = state
                .store
                .user_by_email(&email)
                .await?
                .filter(|u| !u.disabled)
                .filter(|u| {
                    u.role == Role::Admin
                        || (u.role == Role::Agent && u.services.iter().any(|s| s == request_service))
                })
                .ok_or_else(|| {
                    invalid(format!(
                        "« {email} » n'est pas un agent actif du service de cette demande : choisissez un agent de ce service."
                    ))
                })?;
            Action::Assign {
                to: colleague.email,
            }
        }
        "status" => Action::SetStatus {
            status: Status::parse(field(fields, "status")).map_err(|_| {
                invalid("Choisissez un statut : reçue, en cours, en attente du demandeur, traitée ou refusée.")
            })?,
        },
        "note" => Action::Note {
            text: field(fields, "text").to_owned(),
        },
        "public_note" => Action::PublicNote {
            text: field(fields, "text").to_owned(),
        },
        "message" => Action::Message {
            text: field(fields, "text").to_owned(),
            await_reply: matches!(field(fields, "await_reply"), "on" | "true" | "1"),
        },
        "transfer" => {
            let queue = field(fields, "queue");
            let (service, _) = catalogue.territory.queue(queue).ok_or_else(|| {
                invalid("Cette file n'existe pas : choisissez une file dans la liste.")
            })?;
            Action::Transfer {
                service: ServiceId::from_checked(service.id.as_str()),
                queue: QueueId::from_checked(queue),
                reason: field(fields, "reason").to_owned(),
            }
        }
        "priority" => Action::SetPriority {
            priority: Priority::parse(field(fields, "priority"))
                .map_err(|_| invalid("Choisissez une priorité : basse, normale, haute ou urgente."))?,
        },
        "due" => {
            let text = field(fields, "due");
            let due = if text.is_empty() {
                None
            } else {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                let date = Date::parse(text, &format).map_err(|_| {
                    invalid("L'échéance doit être une date au format AAAA-MM-JJ, par exemple 2026-12-31.")
                })?;
                if date < OffsetDateTime::now_utc().date() {
                    return Err(invalid("L'échéance ne peut pas être dans le passé."));
                }
                Some(date)
            };
            Action::SetDueDate { due }
        }
        _ => return Err(invalid("Cette action n'existe pas : rechargez la page.")),
    })
}
