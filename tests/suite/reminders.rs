//! A request left waiting for the citizen's answer (`x-guichet.reminders`): the citizen is
//! reminded after 15 days (by e-mail and on their tracking page), then, 30 days after the
//! reminder, the request is closed "sans réponse" with a message. The job runs at the
//! instant the test chooses (the server runs it every hour at the real time); the running
//! server's outbox sends the e-mails.

use crate::common;

use std::time::Duration;

use common::mail::{mails, wait_for};
use common::staff::{add_user, events, file_bin_request, login};
use common::{TestApp, catalogue_copy, repo_root, spawn_app, spawn_app_with};
use guichet::domain::{Reference, Role, Status};
use guichet::requests::reminders::{self, Report};
use reqwest::StatusCode;
use time::OffsetDateTime;

const QUESTION: &str = "Quel est le numéro inscrit sur le couvercle du bac ?";
const CITIZEN: &str = "claire.martin@example.org";

/// Runs the job as if it were `now`.
async fn follow_up(app: &TestApp, now: OffsetDateTime) -> Report {
    let state = app.state.as_ref().expect("the app runs in this process");
    let planner = state.planner(None);
    reminders::run(
        app.store.as_ref(),
        &state.catalogue.load_full(),
        &planner,
        now,
    )
    .await
    .unwrap()
}

/// A bin request the agent asked a question about: (reference, token, when it started
/// waiting).
async fn waiting_request(app: &TestApp) -> (String, String, OffsetDateTime) {
    add_user(
        app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(app, "agent@vdg.example.org").await;
    let (reference, token) = file_bin_request(app, "marmande").await;
    let (status, page) = agent
        .act(
            app,
            &reference,
            "message",
            &[("text", QUESTION), ("await_reply", "on")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let since = OffsetDateTime::now_utc();
    (reference, token, since)
}

async fn status_of(app: &TestApp, reference: &str) -> Status {
    app.store
        .request_by_reference(&Reference::parse(reference).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

/// The e-mail whose text says `words` (subjects with accents are encoded). The job ran
/// at a shifted instant, so the messages it queued are due then: they are made due now,
/// and the running server's outbox worker sends them.
async fn mail_saying(app: &TestApp, words: &str) -> common::mail::Mail {
    app.execute_sql(
        "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE state = 'pending'",
    )
    .await;
    wait_for(
        &format!("an e-mail saying « {words} »"),
        Duration::from_secs(10),
        async || mails(app).iter().any(|m| m.text.contains(words)),
    )
    .await;
    mails(app)
        .into_iter()
        .find(|m| m.text.contains(words))
        .unwrap()
}

#[tokio::test]
async fn a_silent_citizen_is_reminded_then_the_request_is_closed_without_reply() {
    let app = spawn_app().await;
    let (reference, token, since) = waiting_request(&app).await;
    let day = time::Duration::days(1);

    // Not before 15 days.
    let early = follow_up(&app, since + 14 * day).await;
    assert!(
        early.reminded.is_empty() && early.closed.is_empty(),
        "{early:?}"
    );

    // After 15 days: one reminder, recalling the service's question.
    let reminded_at = since + 15 * day + time::Duration::minutes(1);
    let report = follow_up(&app, reminded_at).await;
    assert_eq!(report.reminded.len(), 1, "{report:?}");
    assert_eq!(report.reminded[0].to_string(), reference);
    assert!(report.closed.is_empty());
    assert_eq!(status_of(&app, &reference).await, Status::WaitingForCitizen);
    let mail = mail_saying(&app, "attend toujours votre réponse").await;
    assert_eq!(mail.to, CITIZEN);
    assert!(mail.text.contains(QUESTION), "{}", mail.text);
    let close_day = guichet::domain::time::paris_time(reminded_at + 30 * day).date();
    let close_fr = format!(
        "{:02}/{:02}/{}",
        close_day.day(),
        u8::from(close_day.month()),
        close_day.year()
    );
    assert!(mail.text.contains(&close_fr), "{}", mail.text);
    let tracking = app.get_text(&format!("/suivi/{token}")).await;
    assert!(tracking.contains("Relance"), "{tracking}");

    // Run again, even much later but before the 30 days: no second reminder, no closing.
    let again = follow_up(&app, reminded_at + 29 * day).await;
    assert!(
        again.reminded.is_empty() && again.closed.is_empty(),
        "{again:?}"
    );
    let kinds: Vec<String> = events(&app, &reference)
        .await
        .into_iter()
        .map(|(kind, _)| kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "reminded").count(), 1);

    // 30 days after the reminder: closed, with a message, by Guichet.
    let report = follow_up(&app, reminded_at + 30 * day).await;
    assert_eq!(report.closed.len(), 1, "{report:?}");
    assert_eq!(status_of(&app, &reference).await, Status::Rejected);
    let history = events(&app, &reference).await;
    let (kind, actor) = history.last().unwrap();
    assert_eq!(
        (kind.as_str(), actor.as_str()),
        ("status_changed", "guichet")
    );
    let mail = mail_saying(&app, "ne l'a pas reçue, malgré le rappel").await;
    assert_eq!(mail.to, CITIZEN);
    assert!(mail.text.contains(&reference), "{}", mail.text);
    let tracking = app.get_text(&format!("/suivi/{token}")).await;
    assert!(
        tracking.contains("Demande close sans réponse de votre part"),
        "{tracking}"
    );
    // Staff read who closed it and why.
    let agent = login(&app, "agent@vdg.example.org").await;
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains("faute de réponse du demandeur"), "{page}");
    assert!(page.contains("Relance automatique"), "{page}");

    // Closed: later runs leave it alone.
    let later = follow_up(&app, reminded_at + 90 * day).await;
    assert!(later.reminded.is_empty() && later.closed.is_empty());
}

#[tokio::test]
async fn an_answer_stops_the_clock_and_a_new_question_starts_a_new_wait() {
    let app = spawn_app().await;
    let (reference, token, since) = waiting_request(&app).await;
    let day = time::Duration::days(1);
    let report = follow_up(&app, since + 16 * day).await;
    assert_eq!(report.reminded.len(), 1);

    // The citizen answers (at the real time, which is before the test's shifted clock).
    let response = app
        .client
        .post(app.url(&format!("/suivi/{token}/reponse")))
        .form(&[("text", "Le numéro est 00123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &reference).await, Status::Received);
    let report = follow_up(&app, since + 200 * day).await;
    assert!(
        report.closed.is_empty() && report.reminded.is_empty(),
        "{report:?}"
    );

    // Asked again: the earlier reminder does not count for the new wait.
    let agent = login(&app, "agent@vdg.example.org").await;
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "message",
            &[("text", "Et sa couleur ?"), ("await_reply", "on")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let asked_again = OffsetDateTime::now_utc();
    let report = follow_up(&app, asked_again + 10 * day).await;
    assert!(
        report.reminded.is_empty() && report.closed.is_empty(),
        "{report:?}"
    );
    let report = follow_up(&app, asked_again + 15 * day + time::Duration::minutes(1)).await;
    assert_eq!(report.reminded.len(), 1, "a new reminder: {report:?}");
    assert!(report.closed.is_empty());
}

#[tokio::test]
async fn a_form_can_turn_reminders_off_or_shorten_them_and_check_refuses_bad_values() {
    let catalogue = catalogue_copy(&repo_root(), &[]);
    let path = catalogue
        .path()
        .join("form-definitions/remplacement-bac.json");
    let set = |value: serde_json::Value| {
        let mut form: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        form["x-guichet"]["reminders"] = value;
        std::fs::write(&path, serde_json::to_string_pretty(&form).unwrap()).unwrap();
    };

    // Off: never reminded, never closed.
    set(serde_json::json!(false));
    let app = spawn_app_with(catalogue.path()).await;
    let (_, _, since) = waiting_request(&app).await;
    let report = follow_up(&app, since + 400 * time::Duration::days(1)).await;
    assert!(
        report.reminded.is_empty() && report.closed.is_empty(),
        "{report:?}"
    );
    drop(app);

    // Shorter: 2 days, then 3 more.
    set(serde_json::json!({"remind_after_days": 2, "close_after_days": 3}));
    let app = spawn_app_with(catalogue.path()).await;
    let (_, _, since) = waiting_request(&app).await;
    let day = time::Duration::days(1);
    assert_eq!(
        follow_up(&app, since + 2 * day + day / 24)
            .await
            .reminded
            .len(),
        1
    );
    let report = follow_up(&app, since + 5 * day + day / 12).await;
    assert_eq!(report.closed.len(), 1, "{report:?}");
    drop(app);

    // Out of range or misspelt: `guichet check` says what is wrong.
    for (value, expected) in [
        (
            serde_json::json!({"remind_after_days": 0}),
            "remind_after_days",
        ),
        (
            serde_json::json!({"close_after_days": 9999}),
            "close_after_days",
        ),
        (serde_json::json!({"remind_after": 3}), "reminders"),
        (serde_json::json!("souvent"), "reminders"),
    ] {
        set(value.clone());
        let output = common::guichet()
            .arg("check")
            .arg(catalogue.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&output.stdout).to_string()
            + &*String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{value} accepted");
        assert!(said.contains(expected), "{value}: {said}");
    }
}
