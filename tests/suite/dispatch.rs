//! Dispatch end to end: signed webhooks to a receiver started by the test (down, slow,
//! failing, back up), the dead-letter state and redelivery, and the e-mails the file
//! transport writes.

use crate::common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::mail::{Mail, mails, wait_for};
use common::receiver::{Mode, Receiver, SECRET, catalogue_with_hook, catalogue_with_webhook};
use common::staff::{add_user, login};
use common::{TestApp, spawn_app_with};
use guichet::domain::Role;
use serde_json::{Value, json};

async fn file_road_report(app: &TestApp, email: Option<&str>) -> String {
    let mut body = json!({
        "categorie": "nid-de-poule",
        "commune": "tonneins",
        "localisation": "Avenue de Bordeaux, devant la pharmacie",
        "description": "Un trou d'environ 30 cm sur la chaussée.",
        "urgence": "moyenne",
        "nom": "Paul Durand",
    });
    if let Some(email) = email {
        body["email"] = json!(email);
    }
    let response = app
        .client
        .post(app.url("/api/v1/forms/signalement-voirie/submissions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    created["reference"].as_str().unwrap().to_owned()
}

async fn states(app: &TestApp) -> Vec<(String, u64)> {
    let mut counts = app.store.outbox_counts().await.unwrap();
    counts.retain(|(_, n)| *n > 0);
    counts.sort();
    counts
}

/// The webhook messages of the outbox in these states (the roads service also gets an
/// e-mail digest, which waits for its hourly slot).
async fn webhooks(app: &TestApp, states: &[&str]) -> Vec<guichet::dispatch::OutboxRow> {
    let mut rows = app.store.list_outbox(states, 100).await.unwrap();
    rows.retain(|m| m.channel == guichet::dispatch::OutboxChannel::Webhook);
    rows
}

async fn free_port() -> (tokio::net::TcpListener, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test]
async fn a_road_report_reaches_the_receiver_signed_with_its_data_and_labels() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    let app = spawn_app_with(catalogue.path()).await;
    let reference = file_road_report(&app, Some("paul.durand@example.org")).await;

    wait_for("the webhook", Duration::from_secs(10), async || {
        receiver.count() >= 1
    })
    .await;
    let bodies = receiver.verified();
    let body = &bodies[0];
    assert_eq!(body["event"]["kind"], "submitted");
    assert_eq!(body["request"]["reference"], reference.as_str());
    assert_eq!(body["request"]["queue"], "voirie-agglo");
    assert_eq!(body["request"]["form"]["id"], "signalement-voirie");
    assert_eq!(
        body["request"]["data"]["localisation"],
        "Avenue de Bordeaux, devant la pharmacie"
    );
    let labels = body["request"]["labels"].to_string();
    assert!(
        labels.contains("Nid-de-poule")
            || labels.contains("nid-de-poule")
            || labels.contains("Catégorie"),
        "{labels}"
    );
    assert!(body["request"]["form"]["version"].as_str().unwrap().len() >= 8);

    // The agent resolves it: the receiver gets the status change, the citizen an e-mail.
    add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    let agent = login(&app, "voirie@vdg.example.org").await;
    agent
        .act(&app, &reference, "status", &[("status", "resolved")])
        .await;
    wait_for("the status webhook", Duration::from_secs(10), async || {
        receiver.count() >= 2
    })
    .await;
    let bodies = receiver.verified();
    assert_eq!(bodies[1]["event"]["kind"], "status_changed");
    assert_eq!(bodies[1]["event"]["body"]["to"], "resolved");
    assert_ne!(bodies[0]["idempotency_key"], bodies[1]["idempotency_key"]);
    wait_for(
        "every webhook delivered",
        Duration::from_secs(10),
        async || webhooks(&app, &["pending", "dead"]).await.is_empty(),
    )
    .await;
    assert_eq!(webhooks(&app, &["delivered"]).await.len(), 2);
}

#[tokio::test]
async fn a_receiver_that_is_down_then_back_loses_nothing() {
    // The port is reserved but nobody answers yet.
    let (listener, port) = free_port().await;
    drop(listener);
    let catalogue = catalogue_with_webhook(port);
    let app = spawn_app_with(catalogue.path()).await;
    let mut references = Vec::new();
    for _ in 0..3 {
        references.push(file_road_report(&app, None).await);
    }
    // Deliveries fail and are rescheduled, not lost.
    wait_for("failed attempts", Duration::from_secs(10), async || {
        let pending = webhooks(&app, &["pending"]).await;
        pending.len() == 3 && pending.iter().all(|m| m.last_error.is_some())
    })
    .await;
    let failing = webhooks(&app, &["pending"]).await;
    assert!(failing.iter().all(|m| {
        m.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("cannot reach")
    }));

    // The receiver comes back on the same port: every event arrives.
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap(),
    );
    wait_for("all three events", Duration::from_secs(20), async || {
        receiver.count() >= 3
    })
    .await;
    let mut arrived: Vec<String> = receiver
        .verified()
        .iter()
        .map(|b| b["request"]["reference"].as_str().unwrap().to_owned())
        .collect();
    arrived.sort();
    references.sort();
    assert_eq!(arrived, references);
}

#[tokio::test]
async fn a_slow_receiver_hits_a_bounded_timeout() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Slow);
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    let app = spawn_app_with(catalogue.path()).await;
    let started = Instant::now();
    file_road_report(&app, None).await;
    wait_for("a timed-out attempt", Duration::from_secs(10), async || {
        webhooks(&app, &["pending"])
            .await
            .iter()
            .any(|m| m.last_error.is_some())
    })
    .await;
    let message = &webhooks(&app, &["pending"]).await[0];
    assert!(
        message
            .last_error
            .as_deref()
            .unwrap()
            .contains("no answer within 2 s"),
        "{:?}",
        message.last_error
    );
    // The test server's timeout is 2 s; the receiver would have taken 10.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "bounded: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_last_failure_parks_a_dead_letter_which_an_admin_redelivers() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Fail);
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    let app = spawn_app_with(catalogue.path()).await;
    file_road_report(&app, None).await;
    // Four attempts (the tests' setting), then dead.
    wait_for("a dead letter", Duration::from_secs(20), async || {
        !webhooks(&app, &["dead"]).await.is_empty()
    })
    .await;
    assert_eq!(receiver.count(), 4, "exactly max_attempts attempts");
    let dead = app.store.list_outbox(&["dead"], 5).await.unwrap();
    assert_eq!(dead[0].attempts, 4);
    assert!(dead[0].last_error.as_deref().unwrap().contains("500"));

    // The admin sees it and redelivers it once the receiver is fixed.
    add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    let admin = login(&app, "admin@vdg.example.org").await;
    let (status, page) = admin.get(&app, "/bureau/admin/envois").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("abandonné") && page.contains("voirie/sig-voirie"));
    *receiver.mode.lock().unwrap() = Mode::Accept;
    let (status, _) = admin
        .post(&app, &format!("/bureau/admin/envois/{}", dead[0].id), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    wait_for("the redelivery", Duration::from_secs(10), async || {
        webhooks(&app, &["delivered"]).await.len() == 1
    })
    .await;
    assert_eq!(receiver.count(), 5);
    // An agent cannot see the page.
    add_user(&app, "agent@vdg.example.org", Role::Agent, &["voirie"], &[]).await;
    let agent = login(&app, "agent@vdg.example.org").await;
    assert_eq!(
        agent.get(&app, "/bureau/admin/envois").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn citizens_services_and_elus_get_their_emails() {
    let app = common::spawn_app().await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    // The citizen's receipt, with the private link; the service is told at once.
    let (reference, token) = common::staff::file_bin_request(&app, "marmande").await;
    // By recipient, not by count: the file transport writes a file in several steps, and a
    // file read half-written has no recipient yet.
    let tracking_link = format!("{}/suivi/{token}", app.address);
    let staff_link = format!("{}/bureau/demandes/{reference}", app.address);
    wait_for(
        "the receipt and the service's e-mail",
        Duration::from_secs(10),
        async || {
            let all = mails(&app);
            let written =
                |to: &str, link: &str| all.iter().any(|m| m.to == to && m.text.contains(link));
            written("claire.martin@example.org", &tracking_link)
                && written("environnement@val-de-garonne.example.org", &staff_link)
        },
    )
    .await;
    let all = mails(&app);
    let receipt = all
        .iter()
        .find(|m| m.to == "claire.martin@example.org")
        .expect("the receipt");
    assert!(receipt.subject.contains(&reference));
    assert!(
        receipt
            .text
            .contains(&format!("{}/suivi/{token}", app.address)),
        "{}",
        receipt.text
    );
    let service = all
        .iter()
        .find(|m| m.to == "environnement@val-de-garonne.example.org")
        .expect("the service's e-mail");
    assert!(
        service
            .text
            .contains(&format!("{}/bureau/demandes/{reference}", app.address))
    );
    // Once delivered, the outbox forgets the tracking link.
    wait_for("delivery recorded", Duration::from_secs(5), async || {
        states(&app).await.iter().all(|(s, _)| s == "delivered")
    })
    .await;
    let delivered = app.store.list_outbox(&["delivered"], 10).await.unwrap();
    assert!(
        delivered
            .iter()
            .all(|m| !m.payload.to_string().contains(&token))
    );

    // A message from the service, then the resolution: two more e-mails to the citizen,
    // pointing to the status page (the private link is not kept).
    let agent = login(&app, "agent@vdg.example.org").await;
    agent
        .act(
            &app,
            &reference,
            "message",
            &[
                ("text", "Quel est le numéro du bac ?"),
                ("await_reply", "on"),
            ],
        )
        .await;
    agent
        .act(&app, &reference, "status", &[("status", "resolved")])
        .await;
    wait_for(
        "the citizen's e-mails",
        Duration::from_secs(10),
        async || {
            mails(&app)
                .iter()
                .filter(|m| m.to == "claire.martin@example.org")
                .count()
                >= 4
        },
    )
    .await;
    let citizen: Vec<Mail> = mails(&app)
        .into_iter()
        .filter(|m| m.to == "claire.martin@example.org")
        .collect();
    assert!(
        citizen
            .iter()
            .any(|m| m.text.contains("Quel est le numéro du bac ?"))
    );
    assert!(citizen.iter().any(|m| m.text.contains("Traitée")));
    assert!(citizen.iter().all(|m| m.subject.contains(&reference)));
    let later: Vec<&Mail> = citizen
        .iter()
        .filter(|m| !m.text.contains("Suivre ma demande"))
        .collect();
    for m in &later {
        let lookup = format!("/suivi?reference={reference}");
        assert!(m.text.contains(&lookup), "{}: {}", m.subject, m.text);
    }
    assert!(later.iter().all(|m| !m.text.contains(&token)));

    // An élu who filed a request hears of its steps.
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["clairac"]).await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let (_, page) = elu
        .post(
            &app,
            "/bureau/elu/demarches/remplacement-bac",
            &[
                ("_channel", "phone"),
                ("motif", "vole"),
                ("type_bac", "tri-selectif"),
                ("nombre_residents", "2"),
                ("nom", "Famille Garcia"),
                ("adresse.rue", "Chemin des Vignes"),
                ("adresse.commune", "clairac"),
            ],
        )
        .await;
    let filed = page
        .split("/bureau/demandes/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    agent
        .act(
            &app,
            &filed,
            "message",
            &[("text", "Nous passerons jeudi.")],
        )
        .await;
    // Whole, not just begun: the file transport writes the headers before the text.
    wait_for("the élu's e-mail", Duration::from_secs(10), async || {
        mails(&app)
            .iter()
            .any(|m| m.to == "elu@vdg.example.org" && m.text.contains("Nous passerons jeudi."))
    })
    .await;
    let update = mails(&app)
        .into_iter()
        .find(|m| m.to == "elu@vdg.example.org")
        .unwrap();
    assert!(update.subject.contains(&filed));
    assert!(update.text.contains("Nous passerons jeudi."));
}

#[tokio::test]
async fn a_worker_killed_mid_delivery_delivers_after_restart_and_the_receiver_applies_once() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Hold);
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    let data = tempfile::TempDir::new().unwrap();
    let database = common::test_database(data.path());
    let flags = [
        "--webhook-allow-private",
        "--webhook-timeout-secs",
        "3",
        // The lease is at least the timeout + 5 s.
        "--outbox-lease-secs",
        "1",
        "--outbox-poll-ms",
        "100",
    ];
    let server = common::ServerProcess::start_with(catalogue.path(), &database, &flags);
    let app_client = reqwest::Client::new();
    let created: Value = app_client
        .post(format!("{}/api/v1/forms/signalement-voirie/submissions", server.address))
        .json(&json!({
            "categorie": "nid-de-poule", "commune": "tonneins", "localisation": "Avenue de Bordeaux",
            "description": "Un trou sur la chaussée.", "urgence": "moyenne"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["reference"].is_string());

    // The delivery is in flight (the receiver holds it): kill -9 the server.
    wait_for("the first delivery", Duration::from_secs(10), async || {
        receiver.count() >= 1
    })
    .await;
    let status = std::process::Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(server);
    *receiver.mode.lock().unwrap() = Mode::Accept;

    // Restarted, it delivers the message again once its lease (3 + 5 s) has run out.
    let server = common::ServerProcess::start_with(catalogue.path(), &database, &flags);
    wait_for("the redelivery", Duration::from_secs(30), async || {
        !receiver.applied.lock().unwrap().is_empty()
    })
    .await;
    let keys: Vec<String> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["idempotency-key"].to_str().unwrap().to_owned())
        .collect();
    assert!(keys.len() >= 2, "delivered at least twice: {keys:?}");
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "with one idempotency key"
    );
    assert_eq!(receiver.applied.lock().unwrap().len(), 1, "applied once");
    server.stop();
}

#[tokio::test]
async fn two_instances_share_the_outbox_and_deliver_each_message_once() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    let first = spawn_app_with(catalogue.path()).await;
    let url = first.database_url.clone();
    let second = common::spawn_app_configured(catalogue.path(), |c| c.database.url = url).await;
    for i in 0..20 {
        let app = if i % 2 == 0 { &first } else { &second };
        file_road_report(app, None).await;
    }
    wait_for("twenty deliveries", Duration::from_secs(20), async || {
        receiver.applied.lock().unwrap().len() >= 20
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.count(), 20, "no message was delivered twice");
    assert_eq!(webhooks(&first, &["delivered"]).await.len(), 20);
}

/// The issue's "done when": a road report with two photos reaches the roads queue and its
/// webhook receiver, signed, although the receiver is down for a while; the citizen gets
/// the receipt, then a status e-mail when the agent resolves it.
#[tokio::test]
async fn a_road_report_with_two_photos_survives_a_receiver_outage() {
    let (listener, port) = free_port().await;
    drop(listener);
    let catalogue = catalogue_with_webhook(port);
    let app = spawn_app_with(catalogue.path()).await;
    let photos = vec![
        ("trou.png", common::uploads::png(9, 30_000)),
        ("trou de près.jpg", common::uploads::jpeg(12_000)),
    ];
    let token = common::uploads::file_with(&app, photos).await;
    let tracked: Value = app.get_json(&format!("/api/v1/track/{token}")).await;
    let reference = tracked["reference"].as_str().unwrap().to_owned();
    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.queue, "voirie-agglo");
    assert_eq!(stored.data["photos"].as_array().unwrap().len(), 2);

    // The receiver is down; the agent resolves the report meanwhile.
    wait_for("a failed attempt", Duration::from_secs(10), async || {
        webhooks(&app, &["pending"])
            .await
            .iter()
            .any(|m| m.last_error.is_some())
    })
    .await;
    add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    let agent = login(&app, "voirie@vdg.example.org").await;
    let (status, _) = agent
        .act(&app, &reference, "status", &[("status", "resolved")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // It comes back: both events arrive, signed, with the photos among the answers.
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap(),
    );
    wait_for("both events", Duration::from_secs(20), async || {
        receiver.count() >= 2
    })
    .await;
    let bodies = receiver.verified();
    let kinds: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"]["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"submitted") && kinds.contains(&"status_changed"),
        "{kinds:?}"
    );
    assert!(
        bodies
            .iter()
            .all(|b| b["request"]["reference"] == reference.as_str())
    );
    let labels = bodies[0]["request"]["labels"].to_string();
    assert!(
        labels.contains("trou.png") && labels.contains("trou de près.jpg"),
        "{labels}"
    );

    // The citizen's e-mails: the receipt with the private link, then the resolution.
    wait_for(
        "the citizen's two e-mails",
        Duration::from_secs(10),
        async || {
            mails(&app)
                .iter()
                .filter(|m| m.to == "paul.durand@example.org")
                .count()
                >= 2
        },
    )
    .await;
    let citizen: Vec<Mail> = mails(&app)
        .into_iter()
        .filter(|m| m.to == "paul.durand@example.org")
        .collect();
    assert!(
        citizen
            .iter()
            .any(|m| m.text.contains(&format!("/suivi/{token}")))
    );
    assert!(citizen.iter().any(|m| m.text.contains("Traitée")));
}

/// The kinds of the webhook deliveries a receiver got, sorted.
fn kinds(receiver: &Receiver) -> Vec<String> {
    let mut kinds: Vec<String> = receiver
        .verified()
        .iter()
        .map(|b| b["event"]["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

/// `"*"` is the documented list of events, `routed` included, and never an internal note:
/// the agent's note is on the request, but no webhook carries it, nor its text.
#[tokio::test]
async fn star_sends_every_listed_event_but_never_an_internal_note() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(listener);
    let catalogue = catalogue_with_hook(port, r#"["*"]"#, &format!("secret = \"{SECRET}\""));
    let app = spawn_app_with(catalogue.path()).await;
    let reference = file_road_report(&app, None).await;
    add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    let agent = login(&app, "voirie@vdg.example.org").await;
    let note = "Le riverain a déjà appelé trois fois, il est un peu excédé.";
    for (action, fields) in [
        ("take", &[][..]),
        ("note", &[("text", note)][..]),
        ("status", &[("status", "resolved")][..]),
    ] {
        let (status, _) = agent.act(&app, &reference, action, fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
    }
    // The note is recorded, for staff.
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains(note), "the note is on the request's page");

    wait_for("the five events", Duration::from_secs(10), async || {
        receiver.count() >= 5
    })
    .await;
    wait_for(
        "every webhook delivered",
        Duration::from_secs(10),
        async || webhooks(&app, &["pending", "dead"]).await.is_empty(),
    )
    .await;
    assert_eq!(
        kinds(&receiver),
        [
            "assigned",
            "routed",
            "status_changed",
            "status_changed",
            "submitted"
        ]
    );
    let routed = receiver
        .verified()
        .into_iter()
        .find(|b| b["event"]["kind"] == "routed")
        .unwrap();
    assert_eq!(routed["event"]["body"]["queue"], "voirie-agglo");
    assert!(
        receiver
            .verified()
            .iter()
            .all(|b| !b.to_string().contains("excédé")),
        "the note's text left Guichet"
    );
    // Nor is it waiting in the outbox.
    let all = app
        .store
        .list_outbox(&["pending", "delivered", "dead"], 100)
        .await
        .unwrap();
    assert!(all.iter().all(|m| m.kind != "note"));
}

/// `events = ["routed"]` passes `guichet check`, and that webhook gets the routing decision
/// and nothing else.
#[tokio::test]
async fn a_webhook_can_subscribe_to_routed_by_name() {
    let (listener, port) = free_port().await;
    let receiver = Receiver::new(Mode::Accept);
    receiver.serve(listener);
    let catalogue = catalogue_with_hook(port, r#"["routed"]"#, &format!("secret = \"{SECRET}\""));
    let output = common::guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success() && printed.is_empty(), "{printed}");

    let app = spawn_app_with(catalogue.path()).await;
    let reference = file_road_report(&app, None).await;
    wait_for("the routing", Duration::from_secs(10), async || {
        receiver.count() >= 1
    })
    .await;
    wait_for(
        "every webhook delivered",
        Duration::from_secs(10),
        async || webhooks(&app, &["pending", "dead"]).await.is_empty(),
    )
    .await;
    assert_eq!(kinds(&receiver), ["routed"]);
    let body = &receiver.verified()[0];
    assert_eq!(body["request"]["reference"], reference.as_str());
    assert_eq!(body["event"]["body"]["service"], "voirie");
    assert_eq!(body["event"]["body"]["queue"], "voirie-agglo");
}

const UNSET_SECRET: &str = "GUICHET_TEST_SIG_SECRET_NEVER_SET";

/// A webhook whose `secret_env` names an unset variable: `serve` does not start, and says
/// which variable to set, before it opens the database or the port.
#[tokio::test]
async fn serve_refuses_to_start_when_a_webhook_secret_is_unset() {
    let catalogue = catalogue_with_hook(9, r#"["*"]"#, &format!("secret_env = \"{UNSET_SECRET}\""));
    let data = tempfile::TempDir::new().unwrap();
    let config = common::config(catalogue.path(), data.path());
    let Err(err) = guichet::startup::Application::build(config).await else {
        panic!("the server started without its webhook's secret");
    };
    let message = format!("{err:#}");
    assert!(
        message.starts_with("cannot start: a webhook in territory.toml cannot sign its deliveries"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "webhook « voirie/sig-voirie » cannot sign its deliveries: the environment variable {UNSET_SECRET} is not set"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!("set {UNSET_SECRET} in the server's environment")),
        "{message}"
    );
    if !common::on_postgres() {
        assert!(
            !data.path().join("guichet.db").exists(),
            "no database was created"
        );
    }
}

/// `guichet serve` with the variable set to `value`: whether it started (it is then stopped)
/// and what it printed on standard error.
fn serve_with_secret(catalogue: &std::path::Path, value: &str) -> (bool, String) {
    use std::io::{BufRead, BufReader, Read};
    let data = tempfile::TempDir::new().unwrap();
    let mut child = common::guichet()
        .args(["serve", "--bind", "127.0.0.1:0", "--catalogue"])
        .arg(catalogue)
        .arg("--database")
        .arg(common::test_database(data.path()))
        .arg("--mail-url")
        .arg(format!("file://{}", data.path().join("mail").display()))
        .arg("--attachments-dir")
        .arg(data.path().join("attachments"))
        .env("GUICHET_TEST_SIG_SECRET", value)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first line says it listens; a refusal closes standard output at once.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started = line.starts_with("Guichet listening on ");
    if started {
        let _ = child.kill();
    }
    let status = child.wait().unwrap();
    assert!(started || !status.success(), "a refusal exits non-zero");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (started, err)
}

/// Empty and blank values are no secret either (an HMAC keyed with nothing authenticates
/// nothing); a real value lets it start.
#[test]
fn serve_refuses_an_empty_or_blank_webhook_secret() {
    let catalogue = catalogue_with_hook(9, r#"["*"]"#, "secret_env = \"GUICHET_TEST_SIG_SECRET\"");
    for (value, why) in [("", "is empty"), ("  \t", "holds only white space")] {
        let (started, err) = serve_with_secret(catalogue.path(), value);
        assert!(!started, "{value:?}: the server started");
        assert!(
            err.contains(&format!(
                "the environment variable GUICHET_TEST_SIG_SECRET {why}"
            )) && err.contains("set GUICHET_TEST_SIG_SECRET in the server's environment"),
            "{value:?}: {err}"
        );
    }
    let (started, err) = serve_with_secret(catalogue.path(), "le secret partagé");
    assert!(started, "{err}");
}

/// When the citizen answers or says it is not fixed, whoever handles the request is told:
/// the assignee, or the service's address while nobody has it; never with the citizen's
/// words, which are read in the back office.
#[tokio::test]
async fn the_handler_is_told_when_the_citizen_answers_or_says_it_is_not_fixed() {
    let app = common::spawn_app().await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let (reference, token) = common::staff::file_bin_request(&app, "marmande").await;
    let reply = async |what: &str, text: &str| {
        let response = app
            .client
            .post(app.url(&format!("/suivi/{token}/{what}")))
            .form(&[("text", text)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    };
    // By the text: a subject with accents is encoded in its header.
    let told = |to: &str, said: &str| {
        mails(&app)
            .into_iter()
            .filter(|m| m.to.contains(to) && m.text.contains(said))
            .collect::<Vec<Mail>>()
    };

    // Nobody has it yet: the service's address is told.
    reply("reponse", "Le bac est devant le portail, numéro 00123456.").await;
    wait_for(
        "the service's e-mail",
        Duration::from_secs(10),
        async || {
            !told(
                "environnement@val-de-garonne.example.org",
                "Le demandeur a répondu au service.",
            )
            .is_empty()
        },
    )
    .await;
    let mail = told(
        "environnement@val-de-garonne.example.org",
        "Le demandeur a répondu au service.",
    )
    .remove(0);
    assert!(mail.text.contains(&reference), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("/bureau/demandes/{reference}")),
        "{}",
        mail.text
    );
    assert!(
        !mail.text.contains("00123456"),
        "not the citizen's words: {}",
        mail.text
    );

    // Taken, then resolved: the citizen says it is not fixed, and the assignee is told.
    assert_eq!(
        agent.act(&app, &reference, "take", &[]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        agent
            .act(&app, &reference, "status", &[("status", "resolved")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    reply("non-resolu", "Toujours pas de bac livré.").await;
    wait_for(
        "the assignee's e-mail",
        Duration::from_secs(10),
        async || !told("agent@vdg.example.org", "le problème n'est pas résolu").is_empty(),
    )
    .await;
    let mail = told("agent@vdg.example.org", "le problème n'est pas résolu").remove(0);
    assert!(!mail.text.contains("Toujours pas"), "{}", mail.text);
    // The service's address got the first one only: the assignee now handles it.
    assert!(
        told(
            "environnement@val-de-garonne.example.org",
            "le problème n'est pas résolu"
        )
        .is_empty()
    );
}
