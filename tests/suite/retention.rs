//! Retention, anonymisation and erasure, through the real server and the `guichet purge`
//! binary, on SQLite (and PostgreSQL with `TEST_DATABASE_URL`).
//!
//! The canary: a word written in free text, an e-mail address and a file's bytes. It is on
//! disk (database file, WAL, attachments, mail folder) before the purge and nowhere after
//! it and a server stop; an open request's own marker stays, so the test proves the purge
//! chose, not that it wiped everything.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::staff::{self, Browser};
use common::uploads::{hidden_inputs, png, review};
use common::{ServerProcess, TestApp, guichet, on_postgres, repo_root, test_database};
use guichet::domain::{Reference, Role};
use guichet::store::{Scope, StoredRequest};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use time::{Date, OffsetDateTime};

const CANARY: &str = "canari7431qx";
/// Written into the request left open: it must survive every purge.
const OPEN_MARKER: &str = "temoinouvert5520";

/// Whether `needle` is in `bytes`, ignoring ASCII case.
fn holds(bytes: &[u8], needle: &str) -> bool {
    let needle = needle.to_ascii_lowercase().into_bytes();
    bytes
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(&needle))
}

/// The files under `dir` (recursively) holding `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| holds(&b, needle)) {
            found.push(path.display().to_string());
        }
    }
    found
}

/// A server process on a fresh database, and a client and store that look at it.
async fn start() -> (ServerProcess, TestApp) {
    let data_dir = tempfile::TempDir::new().unwrap();
    let database_url = test_database(data_dir.path());
    // Its e-mails and attachments in the test's folder, which outlives the server.
    let mail_dir = data_dir.path().join("mail");
    let mail_url = format!("file://{}", mail_dir.display());
    let attachments = mail_dir.join("attachments").display().to_string();
    let server = ServerProcess::start_with(
        &repo_root(),
        &database_url,
        &["--mail-url", &mail_url, "--attachments-dir", &attachments],
    );
    let store = guichet::store::open(&guichet::config::DatabaseConfig {
        url: database_url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let app = TestApp {
        address: server.address.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        data_dir,
        database_url,
        audit: None,
        state: None,
    };
    (server, app)
}

/// A road report through the HTML form, with a photo, the canary in its description, name
/// and e-mail address; returns its tracking token.
async fn file_report_with_canary(app: &TestApp) -> String {
    let mut photo = png(3, 64);
    photo.extend_from_slice(CANARY.as_bytes());
    let form = Form::new()
        .text("_action", "review")
        .text("categorie", "nid-de-poule")
        .text("commune", "tonneins")
        .text("localisation", "Avenue de Bordeaux")
        .text(
            "description",
            format!("Un trou profond, signalé par {CANARY}."),
        )
        .text("nom", format!("Paul {CANARY}"))
        .text("email", format!("paul.{CANARY}@example.org"))
        .text("urgence", "moyenne")
        .part("photos", Part::bytes(photo).file_name("trou.png"));
    let (status, page) = review(app, form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut fields = hidden_inputs(&page);
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    location
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// A bin request through the API, `word` in its free text and address; (reference, token).
async fn file_bin_request(app: &TestApp, word: &str) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/v1/forms/remplacement-bac/submissions"))
        .json(&json!({
            "motif": "taille",
            "type_bac": "ordures-menageres",
            "nombre_residents": 4,
            "nom": format!("Claire {word}"),
            "adresse": {"rue": format!("Rue {word}"), "commune": "marmande"},
            "email": format!("claire.{word}@example.org")
        }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    let token = body["tracking_url"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (body["reference"].as_str().unwrap().to_owned(), token)
}

async fn request(app: &TestApp, reference: &str) -> StoredRequest {
    app.store
        .request_by_reference(&Reference::parse(reference).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn access_records(app: &TestApp, reference: &str) -> Vec<String> {
    app.store
        .access_records(&Reference::parse(reference).unwrap(), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{} {}", r.actor, r.view))
        .collect()
}

async fn reference_of(app: &TestApp, token: &str) -> String {
    let page = app.get_text(&format!("/suivi/{token}")).await;
    page.split("Demande ")
        .nth(1)
        .and_then(|rest| rest.get(..12))
        .unwrap()
        .to_owned()
}

/// What statistics read from a request: everything but personal data, and its history's
/// kinds, actors and times (the `anonymised` event aside).
async fn statistics(app: &TestApp, references: &[&str]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut queues = std::collections::BTreeSet::new();
    for reference in references {
        let r = request(app, reference).await;
        queues.insert(r.queue.to_string());
        let events: Vec<String> = r
            .events
            .iter()
            .filter(|e| e.kind != "anonymised")
            .map(|e| format!("{}/{}/{}", e.kind, e.actor, e.created_at))
            .collect();
        lines.push(format!(
            "{} {} {} {} {} {} {:?} {} {:?} {:?} {:?}",
            r.reference,
            r.form_id,
            r.form_version.as_str(),
            r.status.as_str(),
            r.service,
            r.queue,
            r.commune,
            r.created_at,
            r.closed_at,
            r.due_at,
            events
        ));
    }
    for queue in &queues {
        let counts = app
            .store
            .count_by_status(&Scope::All, queue, OffsetDateTime::now_utc())
            .await
            .unwrap();
        lines.push(format!("{queue}: {counts:?}"));
    }
    lines
}

fn purge(app: &TestApp, mail_dir: &Path, args: &[&str]) -> (bool, String) {
    let output = guichet()
        .arg("purge")
        .args(args)
        .arg("--catalogue")
        .arg(repo_root())
        .arg("--database")
        .arg(&app.database_url)
        .arg("--attachments-dir")
        .arg(mail_dir.join("attachments"))
        .arg("--mail-url")
        .arg(format!("file://{}", mail_dir.display()))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// An action that must succeed (the page redirects back).
async fn act(
    app: &TestApp,
    browser: &Browser,
    reference: &str,
    kind: &str,
    fields: &[(&str, &str)],
) {
    let (status, page) = browser.act(app, reference, kind, fields).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{kind} on {reference}: {page}"
    );
}

fn day(d: Date) -> String {
    d.to_string()
}

/// Waits (polling, 15 s at most) until the outbox worker has sent everything due (the
/// voirie service's digest waits an hour), so no e-mail is written after the purge.
async fn wait_for_outbox(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let pending = app.store.list_outbox(&["pending"], 100).await.unwrap();
        if pending.iter().all(|row| row.kind == "digest_item") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the outbox still holds {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (polling, 15 s at most) until some e-mail file holds `needle`.
async fn wait_for_mail(mail_dir: &Path, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while files_holding(mail_dir, needle)
        .iter()
        .all(|f| !f.ends_with(".eml"))
    {
        assert!(Instant::now() < deadline, "no e-mail holds {needle:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_anonymises_exactly_the_closed_requests_past_their_retention() {
    let (server, app) = start().await;
    let mail_dir = app.data_dir.path().join("mail");
    staff::add_user(
        &app,
        "agent@example.org",
        Role::Agent,
        &["voirie", "environnement"],
        &[],
    )
    .await;
    let agent = staff::login(&app, "agent@example.org").await;

    // Three requests: a road report (kept 1095 days) and a bin request (730 days), closed;
    // another bin request left open.
    let report_token = file_report_with_canary(&app).await;
    let report = reference_of(&app, &report_token).await;
    let (bin, bin_token) = file_bin_request(&app, CANARY).await;
    let (open, open_token) = file_bin_request(&app, OPEN_MARKER).await;

    act(
        &app,
        &agent,
        &report,
        "message",
        &[("text", &format!("Bonjour, merci {CANARY}."))],
    )
    .await;
    act(
        &app,
        &agent,
        &report,
        "note",
        &[("text", &format!("Appeler {CANARY}"))],
    )
    .await;
    act(&app, &agent, &report, "status", &[("status", "resolved")]).await;
    act(
        &app,
        &agent,
        &bin,
        "transfer",
        &[
            ("queue", "dechets-encombrants"),
            ("reason", &format!("Vu avec {CANARY}")),
        ],
    )
    .await;
    act(&app, &agent, &bin, "status", &[("status", "rejected")]).await;
    act(
        &app,
        &agent,
        &open,
        "message",
        &[("text", &format!("Bonjour {OPEN_MARKER}"))],
    )
    .await;

    // The canary is on disk: in an e-mail (delivered by the outbox worker), the attachments.
    wait_for_outbox(&app).await;
    wait_for_mail(&mail_dir, CANARY).await;
    wait_for_mail(&mail_dir, OPEN_MARKER).await;
    assert!(!files_holding(&mail_dir.join("attachments"), CANARY).is_empty());
    if !on_postgres() {
        assert!(
            !files_holding(app.data_dir.path(), CANARY)
                .iter()
                .all(|f| f.contains("/mail/")),
            "the canary is in the database file or its WAL before the purge"
        );
    }

    // The closed requests show when their data goes; the open one does not.
    let closed_on = request(&app, &report)
        .await
        .closed_at
        .expect("closed_at is set");
    let today = closed_on.date();
    let tracking = app.get_text(&format!("/suivi/{report_token}")).await;
    let report_due = today + time::Duration::days(1095);
    let bin_due = request(&app, &bin).await.closed_at.unwrap().date() + time::Duration::days(730);
    assert!(
        tracking.contains(&format!(
            "Vos données personnelles seront effacées le {}",
            guichet::retention::day_fr(report_due)
        )),
        "{tracking}"
    );
    let api = app.get_json(&format!("/api/v1/track/{report_token}")).await;
    assert_eq!(
        api["personal_data_erased_on"],
        json!(report_due.to_string()),
        "{api}"
    );
    let api = app.get_json(&format!("/api/v1/track/{open_token}")).await;
    assert!(api["personal_data_erased_on"].is_null(), "{api}");
    let (_, page) = agent.get(&app, &format!("/bureau/demandes/{bin}")).await;
    assert!(
        page.contains(&format!(
            "Anonymisation prévue le {}",
            guichet::retention::day_fr(bin_due)
        )),
        "{page}"
    );
    assert!(
        !app.get_text(&format!("/suivi/{open_token}"))
            .await
            .contains("seront effacées")
    );

    let before = statistics(&app, &[&report, &bin, &open]).await;

    // A day early: nothing. A bad date: a clear error.
    let (ok, out) = purge(
        &app,
        &mail_dir,
        &["--as-of", &day(bin_due - time::Duration::days(1))],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("0 request(s) anonymised, 2 closed request(s) still within"),
        "{out}"
    );
    let (ok, out) = purge(&app, &mail_dir, &["--as-of", "31/12/2027"]);
    assert!(!ok && out.contains("YYYY-MM-DD"), "{out}");

    // The bin request's day, dry: listed, nothing changed.
    let (ok, out) = purge(&app, &mail_dir, &["--dry-run", "--as-of", &day(bin_due)]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{bin}  due {bin_due}  would be anonymised")),
        "{out}"
    );
    assert!(!out.contains(&report) && !out.contains(&open), "{out}");
    assert!(request(&app, &bin).await.anonymised_at.is_none());
    assert!(request(&app, &bin).await.data.to_string().contains(CANARY));
    // The agent's look at the request is an access record, which a dry run keeps.
    let (status, _) = agent.get(&app, &format!("/bureau/demandes/{report}")).await;
    assert_eq!(status, 200);
    assert!(!access_records(&app, &report).await.is_empty());

    // For real: the bin request only. Access records older than a year (all of them, by
    // then) are forgotten in the same run.
    let (ok, out) = purge(&app, &mail_dir, &["--as-of", &day(bin_due)]);
    assert!(ok, "{out}");
    assert!(access_records(&app, &report).await.is_empty(), "{out}");
    assert!(
        out.contains("access record(s) older than 365 days deleted")
            && !out.contains(" 0 access record(s)"),
        "{out}"
    );
    assert!(
        out.contains(&format!("{bin}  due {bin_due}  anonymised")),
        "{out}"
    );
    assert!(
        out.contains("1 request(s) anonymised, 1 closed request(s) still within"),
        "{out}"
    );
    assert!(request(&app, &report).await.anonymised_at.is_none());
    assert!(request(&app, &bin).await.anonymised_at.is_some());

    // Then the road report; the open request never.
    let (ok, out) = purge(
        &app,
        &mail_dir,
        &["--as-of", &day(report_due + time::Duration::days(3650))],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{report}  due {report_due}  anonymised")),
        "{out}"
    );
    assert!(!out.contains(&bin) && !out.contains(&open), "{out}");

    // What stays: everything statistics read.
    assert_eq!(statistics(&app, &[&report, &bin, &open]).await, before);
    let anonymised = request(&app, &report).await;
    assert_eq!(
        anonymised.data,
        json!({"categorie": "nid-de-poule", "commune": "tonneins", "danger_immediat": false, "urgence": "moyenne"})
    );
    assert_eq!(anonymised.commune.as_deref(), Some("tonneins"));
    let last = anonymised.events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("anonymised", "guichet")
    );
    assert_eq!(last.body, json!({"why": "retention"}));
    for event in &anonymised.events {
        assert!(event.body.get("text").is_none(), "{event:?}");
    }
    let bin_now = request(&app, &bin).await;
    assert_eq!(
        bin_now.data,
        json!({"motif": "taille", "type_bac": "ordures-menageres"})
    );
    assert!(bin_now.citizen_contact.is_none() && bin_now.routing_reason.is_none());
    assert!(
        request(&app, &open)
            .await
            .data
            .to_string()
            .contains(OPEN_MARKER)
    );

    // What is gone: the tracking links, every action, the outbox rows.
    for token in [&report_token, &bin_token] {
        let response = app
            .client
            .get(app.url(&format!("/suivi/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let (status, page) = agent
        .act(&app, &report, "status", &[("status", "in_progress")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Cette demande a été anonymisée le"), "{page}");
    let (status, _) = agent
        .act(&app, &bin, "note", &[("text", "encore une note")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, page) = agent.get(&app, &format!("/bureau/demandes/{report}")).await;
    assert!(
        page.contains("Données personnelles effacées le") && page.contains("durée de conservation"),
        "{page}"
    );
    assert!(!page.contains("Traiter la demande"), "{page}");
    let outbox = app
        .store
        .list_outbox(&["pending", "delivered", "dead"], 1000)
        .await
        .unwrap();
    assert!(
        outbox
            .iter()
            .all(|row| !holds(row.payload.to_string().as_bytes(), CANARY)
                && !holds(row.target.as_bytes(), CANARY))
    );
    assert!(
        outbox
            .iter()
            .any(|row| holds(row.target.as_bytes(), OPEN_MARKER))
    );

    // The canary has left the disk; the open request's marker has not.
    app.store.close().await;
    server.stop();
    assert_eq!(files_holding(&mail_dir, CANARY), Vec::<String>::new());
    assert!(!files_holding(&mail_dir, OPEN_MARKER).is_empty());
    if !on_postgres() {
        let database = app.data_dir.path().join("guichet.db");
        let wal = app.data_dir.path().join("guichet.db-wal");
        let bytes = std::fs::read(&database).unwrap();
        assert!(
            !holds(&bytes, CANARY),
            "the canary is still in the database file"
        );
        assert!(
            holds(&bytes, OPEN_MARKER),
            "the open request's data is in the database file"
        );
        let wal_bytes = std::fs::read(&wal).unwrap_or_default();
        assert!(!holds(&wal_bytes, CANARY), "the canary is still in the WAL");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_erases_a_closed_request_on_demand_and_it_stays_closed() {
    let app = common::spawn_app().await;
    let admin = staff::add_user(&app, "admin@example.org", Role::Admin, &[], &[]).await;
    let agent = staff::add_user(
        &app,
        "agent@example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (reference, token) = file_bin_request(&app, CANARY).await;
    let (open, _) = file_bin_request(&app, OPEN_MARKER).await;
    let admin_browser = staff::login(&app, &admin.email).await;
    let agent_browser = staff::login(&app, &agent.email).await;
    let (status, _) = agent_browser
        .act(&app, &reference, "status", &[("status", "resolved")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // An agent may not; the page offers it to admins only.
    let (_, page) = agent_browser
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(!page.contains("Effacer les données personnelles"));
    let (status, page) = agent_browser
        .act(&app, &reference, "erase", &[("reason", "demande écrite")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (status, _) = agent_browser
        .act(
            &app,
            &reference,
            "erase_ask",
            &[("reason", "demande écrite")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let agent_token = staff::api_token(&app, &agent).await;
    let (status, body) = staff::api(
        &app,
        &agent_token,
        reqwest::Method::POST,
        &format!("/requests/{reference}/erasure"),
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The admin: a reason is required, then a confirmation step.
    let (_, page) = admin_browser
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains("Effacer les données personnelles"), "{page}");
    let (status, page) = admin_browser
        .act(&app, &reference, "erase_ask", &[("reason", "  ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Le motif de l&#39;effacement est vide")
            || page.contains("Le motif de l'effacement est vide"),
        "{page}"
    );
    let (status, page) = admin_browser
        .act(
            &app,
            &reference,
            "erase_ask",
            &[("reason", "Courrier de l'intéressée du 2 mars")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Confirmer l&#39;effacement") || page.contains("Confirmer l'effacement"),
        "{page}"
    );
    assert!(
        request(&app, &reference).await.anonymised_at.is_none(),
        "asking changes nothing"
    );
    let (status, page) = admin_browser
        .act(
            &app,
            &reference,
            "erase",
            &[("reason", "Courrier de l'intéressée du 2 mars")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");

    let erased = request(&app, &reference).await;
    assert!(erased.anonymised_at.is_some());
    assert!(!erased.data.to_string().contains(CANARY));
    let last = erased.events.last().unwrap();
    assert_eq!(
        (last.kind.as_str(), last.actor.as_str()),
        ("anonymised", "admin@example.org")
    );
    assert_eq!(
        last.body,
        json!({"why": "erasure", "reason": "Courrier de l'intéressée du 2 mars"})
    );
    let (_, page) = admin_browser
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains("effacement à la demande"), "{page}");
    let response = app
        .client
        .get(app.url(&format!("/suivi/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // It cannot be reopened, acted on, or erased twice; an open request is not erased.
    let (status, page) = admin_browser
        .act(&app, &reference, "status", &[("status", "in_progress")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("anonymisée"), "{page}");
    let admin_token = staff::api_token(&app, &admin).await;
    let (status, body) = staff::api(
        &app,
        &admin_token,
        reqwest::Method::POST,
        &format!("/requests/{reference}/take"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = admin_browser
        .act(&app, &reference, "erase", &[("reason", "encore")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = staff::api(
        &app,
        &admin_token,
        reqwest::Method::POST,
        &format!("/requests/{open}/erasure"),
        Some(json!({"reason": "demande"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.to_string().contains("encore ouverte"), "{body}");
    let (status, body) = staff::api(
        &app,
        &admin_token,
        reqwest::Method::POST,
        &format!("/requests/{open}/erasure"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Through the API, once closed.
    staff::api(
        &app,
        &admin_token,
        reqwest::Method::POST,
        &format!("/requests/{open}/status"),
        Some(json!({"status": "rejected"})),
    )
    .await;
    let (status, body) = staff::api(
        &app,
        &admin_token,
        reqwest::Method::POST,
        &format!("/requests/{open}/erasure"),
        Some(json!({"reason": "demande du 3 mars"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["anonymised_at"].is_string(), "{body}");
}

/// The history stays append-only in the database itself: only an anonymised request's
/// event bodies may be rewritten, and nothing may be deleted.
#[tokio::test(flavor = "multi_thread")]
async fn the_database_refuses_other_rewrites_of_the_history() {
    if on_postgres() {
        return pg_history_is_guarded().await;
    }
    let app = common::spawn_app().await;
    let (reference, _) = file_bin_request(&app, CANARY).await;
    let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
    let id: String = sqlx::query_scalar("SELECT id FROM requests WHERE reference = ?")
        .bind(&reference)
        .fetch_one(&pool)
        .await
        .unwrap();
    let rewrite = |sql: &'static str| {
        let pool = pool.clone();
        let id = id.clone();
        async move { sqlx::query(sql).bind(id).execute(&pool).await }
    };
    assert!(
        rewrite("UPDATE request_events SET body = '{}' WHERE request_id = ?")
            .await
            .is_err()
    );
    sqlx::query("UPDATE requests SET anonymised_at = '2030-01-01T00:00:00.000000Z' WHERE id = ?")
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        rewrite("UPDATE request_events SET body = '{}' WHERE request_id = ?")
            .await
            .is_ok()
    );
    assert!(
        rewrite("UPDATE request_events SET actor = 'x' WHERE request_id = ?")
            .await
            .is_err()
    );
    assert!(
        rewrite("UPDATE request_events SET kind = 'note' WHERE request_id = ?")
            .await
            .is_err()
    );
    assert!(
        rewrite("DELETE FROM request_events WHERE request_id = ?")
            .await
            .is_err()
    );
}

async fn pg_history_is_guarded() {
    let app = common::spawn_app().await;
    let (reference, _) = file_bin_request(&app, CANARY).await;
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM requests WHERE reference = $1")
        .bind(&reference)
        .fetch_one(&pool)
        .await
        .unwrap();
    let rewrite = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query(sql).bind(id).execute(&pool).await }
    };
    assert!(
        rewrite("UPDATE request_events SET body = '{}' WHERE request_id = $1")
            .await
            .is_err()
    );
    sqlx::query("UPDATE requests SET anonymised_at = now() WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        rewrite("UPDATE request_events SET body = '{}' WHERE request_id = $1")
            .await
            .is_ok()
    );
    assert!(
        rewrite("UPDATE request_events SET actor = 'x' WHERE request_id = $1")
            .await
            .is_err()
    );
    assert!(
        rewrite("DELETE FROM request_events WHERE request_id = $1")
            .await
            .is_err()
    );
}

/// `guichet check` accepts `x-personal: false`, reports any other value where it is, and
/// reports a form that keeps personal data longer than the territory allows.
#[test]
fn check_reports_bad_personal_data_declarations() {
    let catalogue = common::catalogue_copy(&repo_root(), &[]);
    let ok = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let file = catalogue.path().join("form-definitions/encombrants.json");
    let mut form: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    form["properties"]["volume_m3"]["x-personal"] = json!("non");
    form["x-guichet"]["retention_days"] = json!(4000);
    std::fs::write(&file, serde_json::to_string_pretty(&form).unwrap()).unwrap();
    let output = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("form-definitions/encombrants.json")
            && text.contains("« x-personal » must be true or false (got \"non\")"),
        "{text}"
    );
    assert!(
        text.contains("keeps personal data 4000 days") && text.contains("max_days = 1825"),
        "{text}"
    );
}

/// With several instances on one PostgreSQL database, one applies retention at a time; the
/// lock is free again once released (on SQLite it is always granted: one writer).
#[tokio::test(flavor = "multi_thread")]
async fn one_instance_at_a_time_applies_retention() {
    let data_dir = tempfile::TempDir::new().unwrap();
    let config = guichet::config::DatabaseConfig {
        url: test_database(data_dir.path()),
        max_connections: 2,
    };
    let first = guichet::store::open(&config).await.unwrap();
    let second = guichet::store::open(&config).await.unwrap();
    let mut held = first
        .retention_lock()
        .await
        .unwrap()
        .expect("the lock is free");
    if on_postgres() {
        assert!(second.retention_lock().await.unwrap().is_none());
    }
    held.release().await;
    let mut again = second.retention_lock().await.unwrap().expect("released");
    again.release().await;
}
