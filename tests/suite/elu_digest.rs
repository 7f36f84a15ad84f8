//! The élus' daily digest: an élu asks for it on their workspace; the next morning one
//! e-mail lists their communes' requests filed and resolved since, and nothing of other
//! communes; a second run the same day sends nothing; stopping it stops it. The job runs
//! at the instant the test chooses (the server runs it every hour at the real time); the
//! running server's outbox sends the e-mail.

use crate::common;

use std::time::Duration;

use common::mail::{mails, wait_for};
use common::staff::{add_user, file_bin_request, login};
use common::{TestApp, spawn_app};
use guichet::domain::Role;
use reqwest::StatusCode;
use time::OffsetDateTime;

async fn run_at(app: &TestApp, now: OffsetDateTime) -> usize {
    let state = app.state.as_ref().expect("the app runs in this process");
    guichet::elu_digest::run(
        app.store.as_ref(),
        &state.catalogue.load_full(),
        &state.public_url,
        now,
    )
    .await
    .unwrap()
}

/// Tomorrow at 9:00 UTC: past 7:00 in Paris, whatever the season.
fn tomorrow_morning() -> OffsetDateTime {
    let tomorrow = OffsetDateTime::now_utc().date().next_day().unwrap();
    tomorrow.with_time(time::macros::time!(9:00)).assume_utc()
}

#[tokio::test]
async fn an_elu_gets_a_morning_digest_of_their_communes_only() {
    let app = spawn_app().await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let agent = login(&app, "agent@vdg.example.org").await;

    // Filed before the digest was asked for, resolved after: listed as resolved only.
    let (earlier, _) = file_bin_request(&app, "marmande").await;

    let (status, page) = elu.get(&app, "/bureau/elu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Recevoir le résumé quotidien"), "{page}");
    let (status, _) = elu
        .post(&app, "/bureau/elu/resume", &[("resume", "1")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = elu.get(&app, "/bureau/elu?resume=active").await;
    assert!(page.contains("Résumé quotidien activé"), "{page}");
    assert!(page.contains("Arrêter le résumé quotidien"), "{page}");

    let (marmande, _) = file_bin_request(&app, "marmande").await;
    let (tonneins, _) = file_bin_request(&app, "tonneins").await;
    let (status, _) = agent
        .act(&app, &earlier, "status", &[("status", "resolved")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Not before the morning: the digest was asked for today.
    assert_eq!(run_at(&app, OffsetDateTime::now_utc()).await, 0);
    let morning = tomorrow_morning();
    assert_eq!(run_at(&app, morning).await, 1);
    // Queued for the shifted morning: made due now, for the running server to send.
    app.execute_sql(
        "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE state = 'pending'",
    )
    .await;
    let is_digest = |m: &common::mail::Mail| {
        m.to == "elu@vdg.example.org" && m.text.contains("depuis le dernier résumé")
    };
    wait_for("the élu's digest", Duration::from_secs(10), async || {
        mails(&app).iter().any(is_digest)
    })
    .await;
    let digest = mails(&app).into_iter().find(is_digest).unwrap();
    assert!(
        digest.text.contains(&format!(
            "{marmande} – Remplacer un bac de collecte (Marmande) : nouvelle"
        )),
        "{}",
        digest.text
    );
    assert!(
        digest.text.contains(&format!(
            "{earlier} – Remplacer un bac de collecte (Marmande) : traitée"
        )),
        "{}",
        digest.text
    );
    assert!(
        !digest.text.contains(&format!(
            "{earlier} – Remplacer un bac de collecte (Marmande) : nouvelle"
        )),
        "filed before the digest was asked for"
    );
    assert!(
        !digest.text.contains(&tonneins),
        "another commune's request"
    );
    assert!(!digest.text.contains("Claire Martin"), "no personal data");
    assert!(
        digest
            .text
            .contains(&format!("/bureau/demandes/{marmande}"))
    );

    // Once a day; and stopped, it stops.
    assert_eq!(run_at(&app, morning + time::Duration::hours(2)).await, 0);
    let (status, _) = elu
        .post(&app, "/bureau/elu/resume", &[("resume", "0")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    file_bin_request(&app, "marmande").await;
    assert_eq!(run_at(&app, morning + time::Duration::days(1)).await, 0);
    let (_, page) = elu.get(&app, "/bureau/elu").await;
    assert!(page.contains("Recevoir le résumé quotidien"), "{page}");

    // Only élus have one; a bad choice is explained.
    let (status, _) = agent
        .post(&app, "/bureau/elu/resume", &[("resume", "1")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, page) = elu
        .post(&app, "/bureau/elu/resume", &[("resume", "oui")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Choisissez de recevoir ou d"), "{page}");
}
