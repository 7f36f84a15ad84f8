//! API tokens in the browser (`/bureau/jetons`): each account names its tokens, chooses how
//! long they live (90 days by default) and whether they may act, sees when each was last
//! used, and revokes them one by one; an expired, revoked or read-only token is refused
//! where it must be.

use crate::common;

use common::spawn_app;
use common::staff::{add_user, api as call, file_bin_request, login};
use guichet::domain::{Capability, Role};
use reqwest::StatusCode;
use serde_json::json;

/// The token a creation page shows once.
fn shown_token(page: &str) -> String {
    page.split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_else(|| panic!("a token on the page: {page}"))
        .to_owned()
}

#[tokio::test]
async fn an_agent_makes_a_read_only_token_and_an_acting_one_and_revokes_them_one_by_one() {
    let app = spawn_app().await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let (reference, _) = file_bin_request(&app, "marmande").await;

    let (status, page) = agent.get(&app, "/bureau/jetons").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Aucun jeton pour l&#39;instant")
            || page.contains("Aucun jeton pour l'instant"),
        "{page}"
    );

    // A read-only token, for 30 days.
    let (status, page) = agent
        .post(
            &app,
            "/bureau/jetons",
            &[
                ("name", "Logiciel de tournées"),
                ("days", "30"),
                ("scope", "read"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reader = shown_token(&page);
    assert!(Capability::parse(&reader).is_ok());
    assert!(page.contains("lecture seule"));
    let (status, _) = call(&app, &reader, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = call(
        &app,
        &reader,
        reqwest::Method::POST,
        &format!("/requests/{reference}/status"),
        Some(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        common::first_error(&body).contains("lecture seule"),
        "{body}"
    );

    // One that acts.
    let (_, page) = agent
        .post(
            &app,
            "/bureau/jetons",
            &[
                ("name", "Script de relance"),
                ("days", "90"),
                ("scope", "act"),
            ],
        )
        .await;
    let actor = shown_token(&page);
    let (status, body) = call(
        &app,
        &actor,
        reqwest::Method::POST,
        &format!("/requests/{reference}/status"),
        Some(json!({"status": "in_progress"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The list: both, each with its scope, expiry and last use; never the tokens themselves.
    let listed = app.store.api_tokens(&agent_id(&app).await).await.unwrap();
    assert_eq!(listed.len(), 2);
    let reading = listed
        .iter()
        .find(|t| t.name == "Logiciel de tournées")
        .unwrap();
    assert!(!reading.can_act);
    assert_eq!(
        (reading.expires_at.unwrap() - reading.created_at).whole_days(),
        30
    );
    assert!(reading.last_used_at.is_some(), "its use is recorded");
    let (_, page) = agent.get(&app, "/bureau/jetons").await;
    assert!(
        !page.contains(&reader) && !page.contains(&actor),
        "shown once only"
    );
    assert!(page.contains("lecture et traitement") && page.contains("lecture seule"));

    // Revoked one by one: the reader stops, the actor goes on.
    let (status, _) = agent
        .post(
            &app,
            &format!("/bureau/jetons/{}/revocation", reading.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = call(&app, &reader, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        common::first_error(&body).contains("ni expiré ni révoqué"),
        "{body}"
    );
    let (status, _) = call(&app, &actor, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = agent.get(&app, "/bureau/jetons").await;
    assert!(page.contains("révoqué le"), "{page}");
    // Revoking it again, or a made-up id: a plain 404.
    let (status, page) = agent
        .post(
            &app,
            &format!("/bureau/jetons/{}/revocation", reading.id),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("rechargez la page des jetons"));
}

async fn agent_id(app: &common::TestApp) -> String {
    app.store
        .user_by_email("agent@vdg.example.org")
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn bad_names_and_lifetimes_are_refused_with_what_was_typed_kept() {
    let app = spawn_app().await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(&app, "agent@vdg.example.org").await;
    for (name, days, expected) in [
        ("", "90", "Donnez un nom au jeton"),
        ("Outil", "0", "entre 1 et 366"),
        ("Outil", "400", "entre 1 et 366"),
        ("Outil", "trois", "entre 1 et 366"),
        (&"x".repeat(101)[..], "90", "dépasse 100 caractères"),
    ] {
        let (status, page) = agent
            .post(
                &app,
                "/bureau/jetons",
                &[("name", name), ("days", days), ("scope", "read")],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?} {days:?}"
        );
        assert!(page.contains(expected), "{expected}: {page}");
        assert!(
            page.contains(&format!("name=\"days\" value=\"{days}\"")),
            "the days typed are kept"
        );
    }
    assert!(
        app.store
            .api_tokens(&agent_id(&app).await)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn expired_tokens_and_other_peoples_tokens_do_not_work() {
    let app = spawn_app().await;
    let agent = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(
        &app,
        "autre@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let expired = Capability::generate();
    let now = time::OffsetDateTime::now_utc();
    app.store
        .create_api_token(&guichet::store::staff::NewApiToken {
            user_id: agent.id.clone(),
            token_hash: expired.hash(),
            name: "ancien".into(),
            created_at: now - time::Duration::days(91),
            expires_at: now - time::Duration::days(1),
            can_act: true,
        })
        .await
        .unwrap();
    let (status, _) = call(
        &app,
        expired.as_str(),
        reqwest::Method::GET,
        "/queues",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let owner = login(&app, "agent@vdg.example.org").await;
    let (_, page) = owner.get(&app, "/bureau/jetons").await;
    assert!(page.contains("expiré le"), "{page}");

    // Someone else cannot revoke the agent's live token.
    let live = common::staff::api_token(&app, &agent).await;
    let id = app
        .store
        .api_tokens(&agent.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "tests")
        .unwrap()
        .id;
    let other = login(&app, "autre@vdg.example.org").await;
    let (status, _) = other
        .post(&app, &format!("/bureau/jetons/{id}/revocation"), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&app, &live, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::OK, "still works");
}
