//! The back office's request page, made for daily work (issue 19, first steps): the tags a
//! routing rule set are shown; "Prendre la demande" only when it makes sense; the due date
//! pre-filled, and removing it an explicit choice; statuses in staff wording.

use crate::common;

use common::spawn_app;
use common::staff::{add_user, file_bin_request, login};
use guichet::domain::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn the_request_page_shows_tags_offers_only_sensible_actions_and_never_drops_a_deadline_silently()
 {
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
    let path = format!("/bureau/demandes/{reference}");
    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();

    let (status, page) = agent.get(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    // The rule's tags, each shown.
    assert!(!stored.tags.is_empty(), "the bin rule tags its requests");
    assert!(page.contains("<dt>Étiquettes</dt>"), "{page}");
    for tag in &stored.tags {
        assert!(
            page.contains(&format!("<span class=\"tag\">{tag}</span>")),
            "{tag}"
        );
    }
    assert!(page.contains("Prendre la demande"));
    // The deadline the rule set is in the date field.
    let due = stored.due_at.expect("the bin form has a deadline");
    let due_day = guichet::domain::time::paris_time(due).date().to_string();
    assert!(page.contains(&format!("value=\"{due_day}\"")), "{page}");

    // Taken: no more "Prendre la demande".
    let (status, _) = agent.act(&app, &reference, "take", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = agent.get(&app, &path).await;
    assert!(!page.contains("Prendre la demande"), "already the agent's");

    // « Fixer l'échéance » with no date: pointed out, the deadline kept.
    let (status, page) = agent.act(&app, &reference, "due", &[("due", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("Choisissez la date de l&#39;échéance")
            || page.contains("Choisissez la date de l'échéance"),
        "{page}"
    );
    let after = app
        .store
        .request_by_reference(&stored.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.due_at, Some(due), "the deadline is kept");
    // « Retirer l'échéance » removes it.
    let (status, _) = agent.act(&app, &reference, "due_clear", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after = app
        .store
        .request_by_reference(&stored.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.due_at, None);
    let (_, page) = agent.get(&app, &path).await;
    assert!(
        !page.contains("Retirer l&#39;échéance") && !page.contains("Retirer l'échéance"),
        "nothing to remove"
    );

    // Waiting for the citizen reads as staff say it, in the status and the history.
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "message",
            &[
                ("text", "Quel est le numéro de votre bac ?"),
                ("await_reply", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = agent.get(&app, &path).await;
    assert!(
        page.contains("<strong>En attente du demandeur</strong>"),
        "{page}"
    );
    assert!(page.contains("→ En attente du demandeur"), "{page}");
    assert!(!page.contains("En attente de votre réponse"), "{page}");
}
