//! A queue's listing as a spreadsheet (CSV), with the listing's filters and every answer.
//!
//! Citizens' text ends up in a spreadsheet here, so a cell that a spreadsheet would read
//! as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'` and
//! stays text (OWASP's advice on CSV injection). French spreadsheets expect `;` between
//! cells and a byte-order mark to read UTF-8.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

use super::queues::{Filters, queue_in_scope};
use super::session::Signed;
use crate::catalogue::fields::{self, Field, FieldKind};
use crate::domain::{Channel, QueueId, text};
use crate::requests::describe::VersionQuestions;
use crate::store::personal_data::AccessView;
use crate::store::{QueueItem, RequestQuery};
use crate::web::error::{AppError, PageError};
use crate::web::public::{date_fr, view};
use crate::web::{AppState, personal_data};

/// One export holds at most this many requests; past it, narrow the listing with filters.
pub const MAX_EXPORT_ROWS: usize = 5_000;
const BATCH: u32 = 500;

const HEADER: [&str; 11] = [
    "Référence",
    "Déposée le",
    "Démarche",
    "Commune",
    "Canal",
    "Statut",
    "Priorité",
    "Échéance",
    "Attribuée à",
    "Étiquettes",
    "Réponses",
];

pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Path(queue_id): Path<String>,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let user = &signed.session.user;
    let catalogue = state.catalogue.load();
    queue_in_scope(&catalogue, user, &queue_id)?;
    let now = OffsetDateTime::now_utc();
    let mut query = RequestQuery::for_reader(user, now);
    query.queue = Some(QueueId::from_checked(queue_id.as_str()));
    query.limit = BATCH;
    filters.apply(&mut query, user)?;
    query.after = None;

    let mut items: Vec<QueueItem> = Vec::new();
    loop {
        let page = state.store.list_requests(&query).await?;
        let full = page.len() == BATCH as usize;
        items.extend(page);
        if items.len() > MAX_EXPORT_ROWS {
            return Err(AppError::BadRequest(format!(
                "Cette liste compte plus de {MAX_EXPORT_ROWS} demandes : ajoutez un filtre (statut, commune, démarche…) puis exportez à nouveau."
            ))
            .into());
        }
        match items.last() {
            Some(last) if full => {
                query.after = Some(
                    crate::store::Cursor::parse(query.sort, &last.cursor)
                        .map_err(AppError::BadRequest)?,
                );
            }
            _ => break,
        }
    }

    // One access record per request in the file, written in one go before any is read.
    personal_data::record_access(
        &state,
        user,
        items.iter().map(|i| &i.reference),
        AccessView::ExportCsv,
    )
    .await?;
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let internal = |err: csv::Error| AppError::Internal(anyhow::anyhow!("csv: {err}"));
    // A listing of one form also gets a column per question, for sorting and filtering in
    // the spreadsheet (the questions of the form as it is now).
    let single_form = items
        .first()
        .map(|first| first.form_id.clone())
        .filter(|id| items.iter().all(|i| &i.form_id == id))
        .and_then(|id| catalogue.forms.get(&id).cloned());
    let questions: Vec<Field> = single_form
        .as_ref()
        .map(|form| {
            fields::walk(&form.fields)
                .into_iter()
                .filter(|f| !matches!(f.kind, FieldKind::Group { .. }))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let header: Vec<&str> = HEADER
        .iter()
        .copied()
        .chain(questions.iter().map(|q| q.label.as_str()))
        .collect();
    out.write_record(&header).map_err(internal)?;
    // The labels the citizen saw: those of the version each request was filed under.
    let mut versions = VersionQuestions::default();
    for item in &items {
        let Some(request) = state.store.request_by_reference(&item.reference).await? else {
            continue;
        };
        let answers = match versions
            .of(state.store.as_ref(), &request.form_version)
            .await?
        {
            Some(fields) => view::answers(fields, &request.data)
                .iter()
                .flat_map(|section| &section.answers)
                .map(|a| format!("{} : {}", a.label, a.value))
                .collect::<Vec<_>>()
                .join(" | "),
            _ => request.data.to_string(),
        };
        let mut record = vec![
            item.reference.to_string(),
            date_fr(item.created_at),
            item.form_title.clone(),
            item.commune
                .as_deref()
                .map(|c| {
                    catalogue
                        .territory
                        .commune(c)
                        .map_or(c, |c| &c.name)
                        .to_owned()
                })
                .unwrap_or_default(),
            Channel::parse(&item.channel)
                .map(|c| c.label_fr().to_owned())
                .unwrap_or_else(|_| item.channel.clone()),
            item.status.staff_label_fr().to_owned(),
            item.priority.label_fr().to_owned(),
            item.due_at.map(date_fr).unwrap_or_default(),
            item.assignee.clone().unwrap_or_default(),
            item.tags.join(", "),
            answers,
        ];
        record.extend(questions.iter().map(|q| {
            request
                .data
                .pointer(&q.pointer())
                .map(|answer| view::answer_text(q, answer))
                .unwrap_or_default()
        }));
        out.write_record(record.iter().map(|cell| neutralise(cell)))
            .map_err(internal)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("csv: {e}")))?;
    let filename = format!("{queue_id}-{}.csv", now.date());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// A cell a spreadsheet could run as a formula is kept as text, with a `'` in front, as
/// OWASP's CSV-injection guidance says. A formula is recognised the way spreadsheets do it,
/// not by the first byte only:
/// - a cell that starts with a control character (tab, carriage return, line feed…): OWASP
///   lists tab and carriage return, which some importers strip before evaluating;
/// - `=`, `+`, `-` or `@` as the first visible character: LibreOffice and Excel skip leading
///   spaces, including no-break and other Unicode spaces, and invisible characters (zero-width
///   space, BOM…) do not display, so they must not hide a formula either;
/// - the same signs in their fullwidth (`＝ ＋ － ＠`) and small (`﹦ ﹢ ﹣ ﹫`) forms, and the
///   minus sign `−`, which spreadsheets with Asian input methods fold to ASCII.
pub fn neutralise(cell: &str) -> String {
    let starts_with_control = cell.chars().next().is_some_and(char::is_control);
    let first_visible = cell.chars().find(|&c| !text::is_invisible(c));
    let formula = matches!(
        first_visible,
        Some(
            '=' | '+'
                | '-'
                | '@'
                | '\u{FF1D}'
                | '\u{FF0B}'
                | '\u{FF0D}'
                | '\u{FF20}'
                | '\u{FE66}'
                | '\u{FE62}'
                | '\u{FE63}'
                | '\u{FE6B}'
                | '\u{2212}'
        )
    );
    if starts_with_control || formula {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    fn is_text(cell: &str) -> bool {
        neutralise(cell) == format!("'{cell}")
    }

    #[test]
    fn a_formula_sign_first_becomes_text() {
        for cell in ["=HYPERLINK(\"x\")", "+33 5 53", "-2+3", "@SUM(A1)"] {
            assert!(is_text(cell), "{cell:?}");
        }
    }

    #[test]
    fn leading_control_characters_become_text() {
        for cell in ["\t=1", "\r=1", "\n=1", "\tbonjour", "\r", "\u{1}x"] {
            assert!(is_text(cell), "{cell:?}");
        }
    }

    #[test]
    fn a_formula_after_spaces_or_invisible_characters_becomes_text() {
        for cell in [
            " =1+1",
            "   @SUM(A1)",
            "\u{A0}=1",
            "\u{202F}+1",
            "\u{3000}-1",
            "\u{200B}=1",
            "\u{FEFF}=1",
            "\u{2060}\u{AD}@x",
        ] {
            assert!(is_text(cell), "{cell:?}");
        }
    }

    #[test]
    fn fullwidth_and_small_formula_signs_become_text() {
        for cell in [
            "＝1+1",
            "＋1",
            "－1",
            "＠SUM(A1)",
            "﹦1",
            "﹢1",
            "﹣1",
            "﹫x",
            "−1",
            " ＝1",
        ] {
            assert!(is_text(cell), "{cell:?}");
        }
    }

    #[test]
    fn the_rest_is_untouched() {
        for cell in [
            "Claire = Martin",
            "",
            "   ",
            "12",
            "Rue de l'Église",
            "a-b",
            "x@y.fr",
        ] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
