//! What a citizen stumbled on, tried in a browser by the outside review, checked through the
//! running server: the receipt says what happens next and offers no reply box yet; a
//! waiting request shows the service's question right above the reply; references do not
//! break; the error summary reads as French; hints say what is expected, once; the review
//! page names the commune the request is filed under; there is a favicon.

use crate::common;

use common::spawn_app;
use common::staff::{add_user, api, api_token, file_bin_request};
use guichet::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_receipt_says_what_happens_next_and_asks_nothing_yet() {
    let app = spawn_app().await;
    // The bin form gives the service 10 days (`due_in_days`): the day, in Paris, around filing.
    let due_day = || {
        let due = time::OffsetDateTime::now_utc() + time::Duration::days(10);
        guichet::domain::time::day_fr(guichet::domain::time::paris_time(due).date())
    };
    let before = due_day();
    let (reference, token) = file_bin_request(&app, "marmande").await;
    let after = due_day();
    let receipt = app.get_text(&format!("/suivi/{token}?recu=1")).await;
    assert!(receipt.contains("Et maintenant"), "{receipt}");
    let deadline = "prévoit de la traiter d'ici le <strong class=\"due\">";
    assert!(
        receipt.contains(&format!("{deadline}{before}</strong>"))
            || receipt.contains(&format!("{deadline}{after}</strong>")),
        "{receipt}"
    );
    assert!(receipt.contains("Un e-mail de confirmation vient d'être envoyé à <strong>claire.martin@example.org</strong>")
        || receipt.contains("Un e-mail de confirmation vient d&#39;être envoyé à <strong>claire.martin@example.org</strong>"), "{receipt}");
    assert!(
        !receipt.contains("/reponse\""),
        "no reply box on the receipt: {receipt}"
    );
    // The reference never breaks at its hyphens.
    assert!(receipt.contains(&format!("<strong class=\"reference\">{reference}</strong>")));
    let css = app.get_text("/static/guichet.css").await;
    assert!(css.contains(".reference, .ref { white-space: nowrap; }"));

    // Later, the page offers to write, without pretending a question was asked.
    let page = app.get_text(&format!("/suivi/{token}")).await;
    assert!(page.contains(&format!("<span class=\"ref\">{reference}</span>")));
    assert!(page.contains("Écrire au service"));
    assert!(page.contains("Ajoutez une précision utile au service."));
    assert!(!page.contains("Répondez à la question"));
    assert!(
        !page.contains("class=\"due\""),
        "the deadline is told on the receipt only"
    );
}

#[tokio::test]
async fn a_waiting_request_shows_the_question_right_above_the_reply() {
    let app = spawn_app().await;
    let (reference, token) = file_bin_request(&app, "marmande").await;
    let agent = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let bearer = api_token(&app, &agent).await;
    let question = "Quel est le numéro inscrit sur le couvercle de votre bac actuel ?";
    let (status, body) = api(
        &app,
        &bearer,
        reqwest::Method::POST,
        &format!("/requests/{reference}/messages"),
        Some(json!({"text": question, "await_reply": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = app.get_text(&format!("/suivi/{token}")).await;
    let shown = page
        .find("<blockquote class=\"question\">")
        .expect("the question is shown");
    let reply = page.find("<textarea id=\"text\"").expect("the reply box");
    let history = page.find("<h2>Historique</h2>").unwrap();
    assert!(
        shown < reply && reply < history,
        "question, then reply, then history"
    );
    assert!(page[shown..reply].contains("Quel est le numéro inscrit sur le couvercle"));
    assert!(page.contains("Le service attend votre réponse"));
    assert!(page.contains("Répondez à la question ci-dessus."));
}

#[tokio::test]
async fn the_error_summary_reads_as_french() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/demarches/remplacement-bac"))
        .form(&[("_action", "review"), ("type_bac", "ordures-menageres")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    let summary = page
        .split("<div class=\"error-summary\"")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap();
    // One sentence per question: no "? :", no "Ce champ est obligatoire" after the question
    // it is about, and a no-break space before each French mark.
    assert!(
        summary.contains("Pourquoi demandez-vous un nouveau bac\u{a0}? Choisissez une réponse."),
        "{summary}"
    );
    assert!(
        summary.contains("Nom et prénom\u{a0}: complétez-le."),
        "{summary}"
    );
    assert!(!summary.contains("obligatoire"), "{summary}");
    assert!(
        !summary.contains(" ?") && !summary.contains(" :"),
        "{summary}"
    );
}

#[tokio::test]
async fn hints_say_what_is_expected_once() {
    let app = spawn_app().await;
    let page = app.get_text("/demarches/remplacement-bac").await;
    let hint = |id: &str| {
        page.split(&format!("<p class=\"hint\" id=\"f-{id}-hint\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("a hint for {id}"))
            .split("</p>")
            .next()
            .unwrap()
            .to_owned()
    };
    // The label says « (facultatif) »; the hint does not say it again.
    let email = hint("email");
    assert!(!email.to_lowercase().contains("facultatif"), "{email}");
    assert!(
        email.starts_with("Pour être prévenu de la livraison."),
        "{email}"
    );
    // A pattern says what it expects, not a length.
    let number = hint("numero_bac");
    assert!(number.contains("Saisissez les 6 à 10 chiffres"), "{number}");
    assert!(!number.contains("caractères maximum"), "{number}");
    // A name's 200-character limit is noise, not a hint.
    assert!(!page.contains("f-nom-hint"), "no hint under the name");
}

#[tokio::test]
async fn the_review_page_names_the_commune_the_request_is_filed_under() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/demarches/remplacement-bac?commune=marmande"))
        .form(&[
            ("_action", "review"),
            ("_commune", "marmande"),
            ("motif", "taille"),
            ("type_bac", "ordures-menageres"),
            ("nombre_residents", "4"),
            ("nom", "Claire Martin"),
            ("adresse.rue", "Rue de la Libération"),
            ("adresse.commune", "tonneins"),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Vérifiez votre demande") || page.contains("– Tonneins"),
        "{page}"
    );
    assert!(page.contains("– Tonneins</p>"), "{page}");
    assert!(!page.contains("– Marmande</p>"), "{page}");
}

#[tokio::test]
async fn there_is_a_favicon() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/static/favicon.svg");
    let icon = app
        .client
        .get(app.url("/static/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(icon.text().await.unwrap().starts_with("<svg"));
    let home = app.get_text("/").await;
    assert!(home.contains(r#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#));
}
