//! The statistics dashboard, the élus' summary and the public page, on a seeded history:
//! filings over five months, first actions, waits for the citizen, closures, reopenings,
//! transfers and fallbacks. The history is filed and acted on through the real `requests`
//! functions at chosen instants (`store_request_at`, `act_at`), so the facts are kept as in
//! production; every figure the pages show is then compared with what an independent SQL
//! query computes from the events (`request_events`) and the requests' rows, never from
//! `request_facts`.

use std::collections::BTreeMap;

use guichet::domain::workflow::Action;
use guichet::domain::{Channel, Reference, Role, Status, TrackingToken};
use guichet::i18n::Lang;
use guichet::requests::filing::{Filer, new_request, store_request_at};
use guichet::requests::handling::act_at;
use guichet::statistics::Grain;
use guichet::store::{Scope, Target};
use guichet::web::statistics::{bucket_label, duration_fr};
use reqwest::StatusCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::common::staff::{add_user, login};
use crate::common::{self, TestApp, on_postgres, spawn_app};

const AGENT: &str = "agent@vdg.example.org";
const ELU: &str = "elu.marmande@vdg.example.org";
const COMMUNES: [&str; 3] = ["marmande", "tonneins", "clairac"];

/// Files and handles 36 requests over five months, each at its own instants.
pub(crate) async fn seed(store: &dyn guichet::store::Store, now: OffsetDateTime) {
    let catalogue = guichet::catalogue::Catalogue::load_strict(&common::repo_root()).unwrap();
    let form = catalogue.form("remplacement-bac").unwrap();
    let base = now - Duration::days(160);
    for i in 0..36i64 {
        let commune = COMMUNES[i as usize % 3];
        let data = json!({
            "motif": "taille",
            "type_bac": "ordures-menageres",
            "nombre_residents": 4,
            "nom": "Claire Martin",
            "adresse": {"rue": "Rue de la Libération", "commune": commune},
            "email": "claire.martin@example.org"
        });
        let by_phone = i % 4 == 3;
        let channel = if by_phone {
            Channel::Phone
        } else {
            Channel::Web
        };
        let accepted = guichet::intake::accept(&catalogue, form, data, None, channel).unwrap();
        let filer = if by_phone {
            Filer {
                actor: ELU.to_owned(),
                on_behalf: Some((ELU.to_owned(), None)),
                lang: guichet::i18n::Lang::Fr,
            }
        } else {
            Filer::named("citoyen")
        };
        let mut request = new_request(form, accepted, &TrackingToken::generate(), filer);
        if i % 7 == 0 {
            request.routing_fallback = Some("La règle n'a pas pu décider.".to_owned());
        }
        if i % 9 == 8 {
            request.due_in_days = None;
        }
        let filed = base + Duration::days(4 * i) + Duration::hours(i);
        let receipt = store_request_at(
            store,
            request,
            std::sync::Arc::new(guichet::dispatch::no_messages),
            filed,
        )
        .await
        .unwrap();
        let act = |action: Action, at: OffsetDateTime| {
            let reference: Reference = receipt.reference.clone();
            let actor = if matches!(
                action,
                Action::CitizenReply { .. } | Action::NotFixed { .. }
            ) {
                "citoyen"
            } else {
                AGENT
            };
            async move {
                act_at(
                    store,
                    Target::Reference(&reference),
                    &Scope::All,
                    actor,
                    &action,
                    &guichet::dispatch::no_messages,
                    at,
                )
                .await
                .unwrap()
                .expect("the request exists");
            }
        };
        let status = |status| Action::SetStatus { status };
        let hours = |h: i64| filed + Duration::hours(h);
        let reply = |text: &str| Action::CitizenReply { text: text.into() };
        match i % 6 {
            // The citizen writing first is not the service's first action.
            0 if i % 12 == 6 => act(reply("Une précision."), hours(3)).await,
            0 => {}
            1 => {
                if i % 12 == 7 {
                    act(reply("Une précision."), hours(1)).await;
                }
                act(Action::Take, hours(i + 1)).await
            }
            2 => {
                act(Action::Take, hours(2)).await;
                // Some in three days, some a day past their 10 days.
                let late = i % 12 == 8;
                act(
                    status(Status::Resolved),
                    hours(if late { 24 * 11 } else { 72 + i }),
                )
                .await;
            }
            3 => {
                act(Action::Take, hours(1)).await;
                act(
                    Action::Message {
                        text: "Quelle taille ?".into(),
                        await_reply: true,
                    },
                    hours(24),
                )
                .await;
                act(
                    Action::CitizenReply {
                        text: "La grande.".into(),
                    },
                    hours(24 * 9),
                )
                .await;
                // 15 days after filing: late against the first 10 days, in time once the
                // 8 days of waiting are added.
                act(status(Status::Resolved), hours(24 * 15)).await;
            }
            4 => {
                act(Action::Take, hours(5)).await;
                act(status(Status::Resolved), hours(24 * 12)).await;
                act(
                    Action::NotFixed {
                        text: "Toujours pas livré.".into(),
                    },
                    hours(24 * 20),
                )
                .await;
                if i % 12 != 4 {
                    act(status(Status::Resolved), hours(24 * 25)).await;
                }
            }
            _ => {
                act(
                    Action::Transfer {
                        service: "voirie".parse().unwrap(),
                        queue: "voirie-agglo".parse().unwrap(),
                        reason: "Bac sur la chaussée".into(),
                    },
                    hours(24),
                )
                .await;
                act(status(Status::Rejected), hours(24 * 4)).await;
            }
        }
    }
}

/// One request, as an independent query reads it from its events and its row.
#[derive(Debug, Clone)]
struct Truth {
    commune: Option<String>,
    service: String,
    filed_by: Option<String>,
    filed_at: i64,
    first_at: Option<i64>,
    closed_at: Option<i64>,
    status: String,
    reopened: i64,
    transferred: i64,
    fallback: bool,
    /// The request row's running deadline (the workflow's own).
    due_now: Option<i64>,
    /// The deadline at the current closure: the first one, or a reopening's, plus the waits
    /// that ended after it and before the closure.
    due_at_closure: Option<i64>,
}

/// The per-request truth, from `request_events` and `requests` only.
fn truth_sql() -> String {
    let pg = on_postgres();
    let epoch = |col: &str| {
        if pg {
            format!("CAST(floor(extract(epoch from {col})) AS BIGINT)")
        } else {
            format!("unixepoch({col})")
        }
    };
    let field = |key: &str| {
        if pg {
            format!("(body->>'{key}')")
        } else {
            format!("json_extract(body, '$.{key}')")
        }
    };
    let text_epoch = |expr: &str| {
        if pg {
            format!("CAST(floor(extract(epoch from CAST({expr} AS timestamptz))) AS BIGINT)")
        } else {
            format!("unixepoch({expr})")
        }
    };
    format!(
        "WITH ev AS (
            SELECT request_id, id, kind, actor, {at} AS at, {to} AS st_to, {due} AS due, {fallback} AS fallback
            FROM request_events),
         status_events AS (
            SELECT request_id, id, at, st_to,
                   lead(at) OVER (PARTITION BY request_id ORDER BY id) AS next_at,
                   lead(id) OVER (PARTITION BY request_id ORDER BY id) AS next_id,
                   row_number() OVER (PARTITION BY request_id ORDER BY id DESC) AS from_last
            FROM ev WHERE kind = 'status_changed'),
         closing AS (
            SELECT request_id, id AS close_id, at AS close_at, st_to FROM status_events
            WHERE from_last = 1),
         base AS (
            SELECT c.request_id, max(e.id) AS base_id FROM closing c
            JOIN ev e ON e.request_id = c.request_id AND e.kind IN ('routed', 'reopened') AND e.id < c.close_id
            GROUP BY c.request_id),
         waits AS (
            SELECT c.request_id, sum(s.next_at - s.at) AS waited FROM closing c
            JOIN base b ON b.request_id = c.request_id
            JOIN status_events s ON s.request_id = c.request_id AND s.st_to = 'waiting_for_citizen'
                 AND s.id > b.base_id AND s.next_id <= c.close_id
            GROUP BY c.request_id)
         SELECT r.commune, r.service, r.filed_by,
                (SELECT min(at) FROM ev WHERE ev.request_id = r.id AND kind = 'submitted') AS filed_at,
                (SELECT min(at) FROM ev WHERE ev.request_id = r.id AND actor <> 'citoyen'
                   AND kind NOT IN ('submitted', 'routed', 'anonymised', 'tracking_renewed')) AS first_at,
                CASE WHEN c.st_to IN ('resolved', 'rejected') THEN c.close_at END AS closed_at,
                coalesce(c.st_to, 'received') AS status,
                (SELECT count(*) FROM ev WHERE ev.request_id = r.id AND kind = 'reopened') AS reopened,
                (SELECT count(*) FROM ev WHERE ev.request_id = r.id AND kind = 'transferred') AS transferred,
                (SELECT count(*) FROM ev WHERE ev.request_id = r.id AND kind = 'routed' AND fallback IS NOT NULL) AS fallback,
                {due_now} AS due_now,
                CAST((SELECT due FROM ev WHERE ev.id = b.base_id) + coalesce(w.waited, 0) AS BIGINT) AS due_at_closure
         FROM requests r
         LEFT JOIN closing c ON c.request_id = r.id
         LEFT JOIN base b ON b.request_id = r.id
         LEFT JOIN waits w ON w.request_id = r.id",
        at = epoch("created_at"),
        to = field("to"),
        due = text_epoch(&field("due_at")),
        fallback = field("fallback"),
        due_now = epoch("r.due_at"),
    )
}

async fn truths(app: &TestApp) -> Vec<Truth> {
    use sqlx::Row;
    let sql = truth_sql();
    macro_rules! read {
        ($rows:expr) => {
            $rows
                .iter()
                .map(|r| Truth {
                    commune: r.try_get("commune").unwrap(),
                    service: r.try_get("service").unwrap(),
                    filed_by: r.try_get("filed_by").unwrap(),
                    filed_at: r.try_get("filed_at").unwrap(),
                    first_at: r.try_get("first_at").unwrap(),
                    closed_at: r.try_get("closed_at").unwrap(),
                    status: r.try_get("status").unwrap(),
                    reopened: r.try_get("reopened").unwrap(),
                    transferred: r.try_get("transferred").unwrap(),
                    fallback: r.try_get::<i64, _>("fallback").unwrap() > 0,
                    due_now: r.try_get("due_now").unwrap(),
                    due_at_closure: r.try_get("due_at_closure").unwrap(),
                })
                .collect()
        };
    }
    if on_postgres() {
        let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap();
        read!(rows)
    } else {
        let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&pool)
            .await
            .unwrap();
        read!(rows)
    }
}

impl Truth {
    fn within(&self) -> Option<bool> {
        let closed = self.closed_at?;
        self.due_at_closure.map(|due| closed <= due)
    }

    fn overdue(&self, now: i64) -> bool {
        matches!(self.status.as_str(), "received" | "in_progress")
            && self.due_now.is_some_and(|d| d < now)
    }
}

/// The percentile as the dashboard documents it, written again here: the value at rank
/// ⌈p·n/100⌉ of the sorted values.
fn percentile(mut values: Vec<i64>, p: usize) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    (n > 0).then(|| values[(p * n).div_ceil(100).max(1) - 1])
}

/// The cells of the table captioned `caption` (tags stripped, entities decoded), by row.
fn table(html: &str, caption: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!(">{caption}</caption>"))
        .unwrap_or_else(|| panic!("no table « {caption} » in the page"));
    let end = start + html[start..].find("</table>").unwrap();
    html[start..end]
        .split("<tr")
        .skip(1)
        .map(|row| {
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(open) = rest.find("<t") {
                let tag = &rest[open..];
                if !(tag.starts_with("<td") || tag.starts_with("<th")) {
                    rest = &rest[open + 2..];
                    continue;
                }
                let content = &tag[tag.find('>').unwrap() + 1..];
                let close = content.find("</t").unwrap();
                cells.push(text(&content[..close]));
                rest = &content[close..];
            }
            cells
        })
        .filter(|cells: &Vec<String>| !cells.is_empty())
        .collect()
}

fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .trim()
        .to_owned()
}

/// The key figure labelled `label`: its value and its detail.
fn key_figure(html: &str, label: &str) -> (String, String) {
    let at = html
        .find(&format!("<dt>{}</dt>", label.replace('\'', "&#39;")))
        .unwrap_or_else(|| panic!("no key figure « {label} »"));
    let dd = &html[at..];
    let value = &dd[dd.find("key-value\">").unwrap() + 11..];
    let detail = &dd[dd.find("class=\"detail\">").unwrap() + 14..];
    (
        text(&value[..value.find("</span>").unwrap()]),
        text(&detail[..detail.find("</span>").unwrap()]),
    )
}

fn csv_rows(body: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn every_figure_matches_an_independent_computation_from_the_events() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    seed(app.store.as_ref(), now).await;
    add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    let admin = login(&app, "admin@vdg.example.org").await;
    let truths = truths(&app).await;
    assert_eq!(truths.len(), 36);
    let (status, page) = admin.get(&app, "/bureau/statistiques").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let now_s = OffsetDateTime::now_utc().unix_timestamp();

    // Filings per month, by current status.
    let rows = table(&page, "Demandes déposées par mois, par statut actuel");
    let month_of = |t: i64| {
        let d = OffsetDateTime::from_unix_timestamp(t).unwrap().date();
        bucket_label(Grain::Month, d.replace_day(1).unwrap(), Lang::Fr)
    };
    let mut expected: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for t in &truths {
        let i = Status::ALL
            .iter()
            .position(|s| s.as_str() == t.status)
            .unwrap();
        expected.entry(month_of(t.filed_at)).or_default()[i] += 1;
    }
    let mut seen = 0;
    for row in &rows[1..] {
        let counts: Vec<u64> = row[1..6].iter().map(|c| c.parse().unwrap()).collect();
        let want = expected.get(&row[0]).copied().unwrap_or_default();
        assert_eq!(counts, want, "filings of {}", row[0]);
        assert_eq!(row[6], want.iter().sum::<u64>().to_string());
        seen += want.iter().sum::<u64>();
    }
    assert_eq!(seen, 36, "every filing is in one month of the table");

    // The backlog at the end of each month (the last one ends tomorrow at midnight).
    let rows = table(&page, "Demandes en cours (non closes) en fin de période");
    let period_end = (now.date() + Duration::days(1))
        .midnight()
        .assume_utc()
        .unix_timestamp();
    // The period is the 365 days ending today; its months, the first one clipped.
    let first_day = now.date() - Duration::days(364);
    let mut starts = vec![first_day];
    let mut month = first_day.replace_day(1).unwrap();
    loop {
        month += Duration::days(i64::from(month.month().length(month.year())));
        if month > now.date() {
            break;
        }
        starts.push(month);
    }
    assert_eq!(rows.len() - 1, starts.len(), "one line per month: {rows:?}");
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], bucket_label(Grain::Month, starts[i], Lang::Fr));
        let end = starts
            .get(i + 1)
            .map_or(period_end, |d| d.midnight().assume_utc().unix_timestamp());
        let open = truths
            .iter()
            .filter(|t| t.filed_at < end && t.closed_at.is_none_or(|c| c >= end))
            .count();
        assert_eq!(row[3], open.to_string(), "backlog at the end of {}", row[0]);
    }

    // Durations: overall and per service, medians and 90th percentiles.
    let rows = table(&page, "Délais par service");
    // (the line's name, the service it keeps; `None`: every request)
    let groups = [
        ("Ensemble".to_owned(), None),
        (app_service_name("environnement"), Some("environnement")),
        (app_service_name("voirie"), Some("voirie")),
    ];
    for (name, service) in &groups {
        let keep = |t: &&Truth| service.is_none_or(|s| t.service == s);
        let row = rows
            .iter()
            .find(|r| &r[0] == name)
            .unwrap_or_else(|| panic!("no durations for {name}: {rows:?}"));
        let firsts: Vec<i64> = truths
            .iter()
            .filter(|t| keep(t))
            .filter_map(|t| t.first_at.map(|f| f - t.filed_at))
            .collect();
        let resolutions: Vec<i64> = truths
            .iter()
            .filter(|t| keep(t))
            .filter_map(|t| t.closed_at.map(|c| c - t.filed_at))
            .collect();
        let show = |v: Option<i64>| v.map_or("—".to_owned(), duration_fr);
        assert_eq!(row[1], firsts.len().to_string(), "{name}");
        assert_eq!(row[2], show(percentile(firsts.clone(), 50)), "{name}");
        assert_eq!(row[3], show(percentile(firsts, 90)), "{name}");
        assert_eq!(row[4], resolutions.len().to_string(), "{name}");
        assert_eq!(row[5], show(percentile(resolutions.clone(), 50)), "{name}");
        assert_eq!(row[6], show(percentile(resolutions, 90)), "{name}");
    }

    // Shares.
    let closed_with_deadline = truths.iter().filter(|t| t.within().is_some()).count();
    let within = truths.iter().filter(|t| t.within() == Some(true)).count();
    assert!(
        within > 0 && within < closed_with_deadline,
        "a varied history"
    );
    assert_eq!(
        key_figure(&page, "Closes dans les délais").1,
        format!("{within} sur {closed_with_deadline} closes avec une échéance")
    );
    let overdue = truths.iter().filter(|t| t.overdue(now_s)).count();
    assert!(overdue > 0);
    assert_eq!(
        key_figure(&page, "En retard aujourd'hui").0,
        overdue.to_string()
    );
    let count = |f: &dyn Fn(&Truth) -> bool| truths.iter().filter(|t| f(t)).count();
    assert_eq!(
        key_figure(&page, "Rouvertes (« pas résolu »)").1,
        format!("{} demandes", count(&|t| t.reopened > 0))
    );
    assert_eq!(
        key_figure(&page, "Transférées").1,
        format!("{} demandes", count(&|t| t.transferred > 0))
    );
    assert!(
        key_figure(&page, "Orientées par défaut")
            .1
            .starts_with(&format!("{} demandes", count(&|t| t.fallback)))
    );

    // The summary per commune, as CSV.
    let (status, csv) = admin.get(&app, "/bureau/statistiques/synthese.csv").await;
    assert_eq!(status, StatusCode::OK);
    let lines = csv_rows(&csv);
    for commune in COMMUNES {
        let mine: Vec<&Truth> = truths
            .iter()
            .filter(|t| t.commune.as_deref() == Some(commune))
            .collect();
        let line = lines
            .iter()
            .find(|l| l["commune"] == commune)
            .unwrap_or_else(|| panic!("no line for {commune}"));
        let n = |f: &dyn Fn(&&Truth) -> bool| mine.iter().filter(|t| f(t)).count().to_string();
        assert_eq!(line["deposees"], mine.len().to_string());
        assert_eq!(line["closes"], n(&|t| t.closed_at.is_some()));
        assert_eq!(line["traitees"], n(&|t| t.status == "resolved"));
        assert_eq!(line["closes_avec_echeance"], n(&|t| t.within().is_some()));
        assert_eq!(
            line["closes_dans_les_delais"],
            n(&|t| t.within() == Some(true))
        );
        assert_eq!(line["en_retard"], n(&|t| t.overdue(now_s)));
        assert_eq!(line["rouvertes"], n(&|t| t.reopened > 0));
        let median = percentile(
            mine.iter()
                .filter_map(|t| t.closed_at.map(|c| c - t.filed_at))
                .collect(),
            50,
        );
        assert_eq!(
            line["delai_median_resolution_secondes"],
            median.map(|m| m.to_string()).unwrap_or_default()
        );
    }
}

fn app_service_name(id: &str) -> String {
    let catalogue = guichet::catalogue::Catalogue::load_strict(&common::repo_root()).unwrap();
    catalogue.service_name(id).to_owned()
}

#[tokio::test]
async fn each_reader_sees_only_their_scope() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    seed(app.store.as_ref(), now).await;
    let truths = truths(&app).await;
    add_user(
        &app,
        "mairies@vdg.example.org",
        Role::Agent,
        &["mairies"],
        &[],
    )
    .await;
    add_user(
        &app,
        "env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(&app, "elu.agme@vdg.example.org", Role::Elu, &[], &["agme"]).await;
    add_user(&app, ELU, Role::Elu, &[], &["marmande"]).await;
    add_user(
        &app,
        "designer@vdg.example.org",
        Role::Designer,
        &["environnement"],
        &[],
    )
    .await;

    let filed = |page: &str| key_figure(page, "Demandes déposées").0;
    for (who, expected) in [
        ("mairies@vdg.example.org", 0),
        ("elu.agme@vdg.example.org", 0),
        (
            "env@vdg.example.org",
            truths
                .iter()
                .filter(|t| t.service == "environnement")
                .count(),
        ),
        (
            ELU,
            truths
                .iter()
                .filter(|t| {
                    t.commune.as_deref() == Some("marmande") || t.filed_by.as_deref() == Some(ELU)
                })
                .count(),
        ),
    ] {
        let browser = login(&app, who).await;
        let (status, page) = browser.get(&app, "/bureau/statistiques").await;
        assert_eq!(status, StatusCode::OK, "{who}: {page}");
        assert_eq!(filed(&page), expected.to_string(), "{who}");
        let (_, csv) = browser.get(&app, "/bureau/statistiques/synthese.csv").await;
        let lines = csv_rows(&csv);
        if expected == 0 {
            assert!(
                lines.iter().all(|l| l["deposees"] == "0"),
                "{who} sees nothing: {csv}"
            );
            assert!(
                !page.contains("Marmande</th>"),
                "{who} sees no commune's figures"
            );
        }
    }
    // Naming a commune out of scope in the filter shows nothing either.
    let agme = login(&app, "elu.agme@vdg.example.org").await;
    let (_, page) = agme
        .get(&app, "/bureau/statistiques?commune=marmande")
        .await;
    assert_eq!(filed(&page), "0");
    // The élu of Marmande's summary has Marmande's line only.
    let elu = login(&app, ELU).await;
    let (_, csv) = elu.get(&app, "/bureau/statistiques/synthese.csv").await;
    let lines = csv_rows(&csv);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["commune"], "marmande");
    assert_eq!(
        lines[0]["deposees"],
        truths
            .iter()
            .filter(|t| t.commune.as_deref() == Some("marmande"))
            .count()
            .to_string()
    );
    let (status, page) = elu.get(&app, "/bureau/statistiques/synthese").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("@media print") || page.contains("guichet.css"));
    // Designers follow no requests.
    let designer = login(&app, "designer@vdg.example.org").await;
    let (status, _) = designer.get(&app, "/bureau/statistiques").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The facts and rollups the transactions kept are exactly what a rebuild gives: the
/// rollups summed again from the facts, and everything folded again from the events.
#[tokio::test]
async fn the_facts_and_rollups_are_what_a_rebuild_from_the_events_gives() {
    let app = spawn_app().await;
    seed(app.store.as_ref(), OffsetDateTime::now_utc()).await;
    let facts = "SELECT CAST(request_id AS TEXT) AS id, form_id, commune, channel, filed_by,
                  service, queue, status, filed_at, first_action_at, closed_at, due_at,
                  paused_seconds, within_deadline, reopened, transferred, fallback, filed_day,
                  closed_day, first_action_bucket, resolution_bucket, filed_month
                  FROM request_facts ORDER BY 1";
    // Rows a request left keep zeros when kept by difference; a rebuild writes none.
    let days = "SELECT day, status, channel, service, form_id, commune, queue, filed_by,
                 due_day, filed, closed, closed_with_deadline, within_deadline, reopened,
                 transferred, fallback, closures
                 FROM request_day_counts WHERE filed <> 0 OR closures <> 0
                 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9";
    let durations = "SELECT span, month, service, form_id, commune, channel, queue, filed_by,
                      bucket, n FROM request_duration_counts WHERE n <> 0
                      ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9";
    async fn dump(app: &TestApp, sql: &str) -> Vec<String> {
        use sqlx::Row;
        macro_rules! lines {
            ($rows:expr) => {
                $rows
                    .iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                r.try_get::<Option<String>, _>(i)
                                    .map(|v| format!("{v:?}"))
                                    .or_else(|_| {
                                        r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}"))
                                    })
                                    .or_else(|_| {
                                        r.try_get::<Option<i32>, _>(i).map(|v| format!("{v:?}"))
                                    })
                                    .unwrap()
                            })
                            .collect::<Vec<_>>()
                            .join("|")
                    })
                    .collect()
            };
        }
        if on_postgres() {
            let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&pool)
                .await
                .unwrap();
            lines!(rows)
        } else {
            let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_all(&pool)
                .await
                .unwrap();
            lines!(rows)
        }
    }
    let kept = (
        dump(&app, facts).await,
        dump(&app, days).await,
        dump(&app, durations).await,
    );
    assert_eq!(kept.0.len(), 36);
    assert!(kept.1.len() > 36, "a row per filing day, and closures");
    assert!(!kept.2.is_empty());
    // Every request left a row on its filing day, and a closure on its closing day.
    let count = |lines: &[String], column: usize| -> i64 {
        lines
            .iter()
            .map(|l| {
                l.split('|')
                    .nth(column)
                    .unwrap()
                    .trim_start_matches("Some(")
                    .trim_end_matches(')')
                    .parse::<i64>()
                    .unwrap()
            })
            .sum()
    };
    assert_eq!(count(&kept.1, 9), 36);
    assert_eq!(
        count(&kept.1, 16),
        kept.0
            .iter()
            .filter(|l| !l.split('|').nth(10).unwrap().starts_with("None"))
            .count() as i64
    );

    // The rollups summed again from the facts.
    app.store.rebuild_rollups().await.unwrap();
    assert_eq!(dump(&app, days).await, kept.1, "the day counts");
    assert_eq!(dump(&app, durations).await, kept.2, "the durations");

    // Everything forgotten (as a database from before facts were kept), then folded again
    // from the events.
    app.store.forget_facts().await.unwrap();
    assert!(dump(&app, facts).await.is_empty());
    assert!(dump(&app, days).await.is_empty());
    let mut reported = 0;
    let rebuilt =
        guichet::requests::facts::rebuild(app.store.as_ref(), &mut |done| reported = done)
            .await
            .unwrap();
    assert_eq!((rebuilt, reported), (36, 36));
    assert_eq!(dump(&app, facts).await, kept.0, "the facts");
    assert_eq!(dump(&app, days).await, kept.1, "the day counts");
    assert_eq!(dump(&app, durations).await, kept.2, "the durations");
}

/// The public page: territory-wide figures, counts under 5 withheld, nothing personal.
#[tokio::test]
async fn the_public_page_withholds_small_counts_and_personal_data() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    seed(app.store.as_ref(), now).await;
    for _ in 0..2 {
        crate::common::staff::file_bin_request(&app, "seyches").await;
    }
    let truths = truths(&app).await;
    let response = app
        .client
        .get(app.url("/statistiques"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        app.get_text("/plan-du-site")
            .await
            .contains(r#"<a href="/statistiques">"#),
        "the site map links to the figures"
    );
    for personal in ["Claire Martin", "claire.martin", "Libération", ELU, AGENT] {
        assert!(
            !page.contains(personal),
            "« {personal} » is on the public page"
        );
    }
    assert!(page.contains(&format!(
        "<span class=\"key-value\">{}</span>",
        truths.len()
    )));
    let communes = table(&page, "Demandes par commune");
    let line = |name: &str| {
        communes
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no line for {name}: {communes:?}"))
            .clone()
    };
    assert_eq!(line("Seyches")[1..], ["moins de 5", "—"]);
    let catalogue = guichet::catalogue::Catalogue::load_strict(&common::repo_root()).unwrap();
    let marmande = truths
        .iter()
        .filter(|t| t.commune.as_deref() == Some("marmande"))
        .count() as u64;
    let population = catalogue.territory.commune("marmande").unwrap().population;
    assert_eq!(
        line("Marmande")[1..],
        [
            marmande.to_string(),
            guichet::web::statistics::per_thousand(marmande, population, Lang::Fr)
        ]
    );
    // Each month's total, withheld under 5.
    let rows = table(&page, "Demandes déposées par mois, par statut actuel");
    for row in &rows[1..] {
        let filed = truths
            .iter()
            .filter(|t| {
                let d = OffsetDateTime::from_unix_timestamp(t.filed_at)
                    .unwrap()
                    .date();
                bucket_label(Grain::Month, d.replace_day(1).unwrap(), Lang::Fr) == row[0]
            })
            .count();
        let shown = if (1..5).contains(&filed) {
            "moins de 5".to_owned()
        } else {
            filed.to_string()
        };
        assert_eq!(row.last().unwrap(), &shown, "{}", row[0]);
        for cell in &row[1..] {
            assert!(
                cell == "moins de 5" || cell == "0" || cell.parse::<u64>().unwrap() >= 5,
                "a small count is shown: {row:?}"
            );
        }
    }
}
