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

/// Files a bin request for a household of `residents` (the rule tags the bin's size).
async fn file_for_household(app: &common::TestApp, residents: u32) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/forms/remplacement-bac/submissions"))
        .json(&serde_json::json!({
            "motif": "taille",
            "type_bac": "ordures-menageres",
            "nombre_residents": residents,
            "nom": "Claire Martin",
            "adresse": {"rue": "Rue de la Libération", "commune": "marmande"},
            "email": "claire.martin@example.org"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    body["reference"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn queues_show_tags_and_filter_on_them_in_the_page_the_api_and_the_exports() {
    let app = spawn_app().await;
    let agent = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let browser = login(&app, "agent@vdg.example.org").await;
    let small = file_for_household(&app, 1).await; // bac-120L
    let large = file_for_household(&app, 6).await; // bac-240L

    // Each line shows its tags, each a link that filters on it.
    let (status, page) = browser.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&small) && page.contains(&large));
    assert!(page.contains("href=\"?tag=bac-120L\""), "{page}");
    assert!(page.contains("href=\"?tag=bac-240L\""), "{page}");
    assert!(
        page.contains("data-label=\"Étiquettes\""),
        "the phone layout's labels"
    );

    // Filtered: only the matching request, and the filter is kept in the form and exports.
    let (status, page) = browser
        .get(&app, "/bureau/files/dechets-bacs?tag=bac-120L")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&small), "{page}");
    assert!(!page.contains(&large), "{page}");
    assert!(page.contains("name=\"tag\" value=\"bac-120L\""), "{page}");
    let export = page
        .split("export.csv?")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(export.contains("tag=bac-120L"), "{export}");

    // A tag nobody has, or one shaped like an injection, matches nothing (and is no error).
    for tag in ["inconnu", "' OR 1=1 --", "\"]"] {
        let path = format!(
            "/bureau/files/dechets-bacs?{}",
            serde_urlencoded::to_string([("tag", tag)]).unwrap()
        );
        let (status, page) = browser.get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        assert!(!page.contains(&small) && !page.contains(&large), "{tag}");
    }
    // An overlong tag is refused with a plain message.
    let (status, page) = browser
        .get(
            &app,
            &format!("/bureau/files/dechets-bacs?tag={}", "x".repeat(101)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Le filtre « étiquette » n'est pas valide") || page.contains("étiquette")
    );

    // The CSV export has a tags column, and follows the filter.
    let (status, csv) = browser
        .get(&app, "/bureau/files/dechets-bacs/export.csv?tag=bac-240L")
        .await;
    assert_eq!(status, StatusCode::OK);
    let header = csv.lines().next().unwrap();
    assert!(header.contains("Étiquettes"), "{header}");
    assert!(csv.contains(&large) && !csv.contains(&small), "{csv}");
    assert!(
        csv.contains("bac-240L, ordures-menageres, changement-taille"),
        "{csv}"
    );

    // The staff API lists tags and filters on them too.
    let token = common::staff::api_token(&app, &agent).await;
    let (status, body) = common::staff::api(
        &app,
        &token,
        reqwest::Method::GET,
        "/queues/dechets-bacs/requests?tag=bac-120L",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: Vec<&str> = body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [small.as_str()]);
    let tags = body["requests"][0]["tags"].as_array().unwrap();
    assert!(tags.iter().any(|t| t == "bac-120L"), "{body}");
}

#[tokio::test]
async fn each_action_is_confirmed_on_return_and_the_actions_sit_beside_the_request() {
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

    let (_, page) = agent.get(&app, &path).await;
    assert!(page.contains("class=\"request-layout\""), "{page}");
    assert!(page.contains("<aside class=\"request-actions\""), "{page}");
    assert!(!page.contains("class=\"notice done\""), "nothing done yet");

    for (kind, fields, said) in [
        ("take", vec![], "Demande prise : elle vous est attribuée."),
        (
            "message",
            vec![("text", "Le bac sera livré mardi.")],
            "Message envoyé au demandeur.",
        ),
        ("due_clear", vec![], "Échéance retirée."),
        (
            "note",
            vec![("text", "Voir avec le dépôt")],
            "Note interne ajoutée.",
        ),
    ] {
        let response = app
            .client
            .post(app.url(&path))
            .header("cookie", &agent.cookie)
            .form(
                &[("_csrf", agent.csrf.as_str()), ("_action", kind)]
                    .into_iter()
                    .chain(fields)
                    .collect::<Vec<_>>(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{kind}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("{path}?fait={kind}"));
        let (status, page) = agent.get(&app, &location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!(
                "<div class=\"notice done\" role=\"status\"><p>{said}</p></div>"
            )) || page.contains(&said.replace('\'', "&#39;")),
            "{kind}: {page}"
        );
    }
    // A made-up confirmation shows nothing.
    let (status, page) = agent.get(&app, &format!("{path}?fait=<script>")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("class=\"notice done\""));
    assert!(!page.contains("<script>"));
}
