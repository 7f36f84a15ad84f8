//! Multi-step forms, as a browser without JavaScript walks them: one step at a time, each
//! checked on its own, conditions that span steps, the answers carried in a signed state
//! (refused when changed or too old, carried over a new version of the form), the review
//! page by step with « Modifier », and nothing stored before the request is sent.
//!
//! The fixture `steps/form-definitions/etapes.json` (over `minimal`) has three steps: the
//! problem (with a photo), the place (with a lamp number required only for a lamp, and a
//! name required when an e-mail is left at the next step), and how to reach the person.

use crate::common;

use common::uploads::{hidden_inputs, png};
use common::{TestApp, catalogue_copy, fixture, guichet, spawn_app_configured, spawn_app_with};
use reqwest::StatusCode;
use reqwest::header::LOCATION;

const FORM: &str = "/demarches/etapes";

fn catalogue() -> tempfile::TempDir {
    catalogue_copy(&fixture("minimal"), &[&fixture("steps")])
}

/// The value of a hidden input.
fn hidden(html: &str, name: &str) -> String {
    hidden_inputs(html)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no hidden {name} in {html}"))
        .1
}

/// Posts a step: its state, its answers, and the button pressed.
async fn post(
    app: &TestApp,
    state: &str,
    action: &str,
    answers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut pairs = vec![("_etat", state), ("_action", action), ("_commune", "")];
    pairs.extend_from_slice(answers);
    let response = app
        .client
        .post(app.url(FORM))
        .form(&pairs)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The error summary's lines, or nothing.
fn summary(html: &str) -> String {
    html.split(r#"class="error-summary""#)
        .nth(1)
        .map(|rest| rest.split("</div>").next().unwrap().to_owned())
        .unwrap_or_default()
}

/// Walks steps 1 and 2 with a lamp; returns the page of step 3.
async fn to_last_step(app: &TestApp) -> String {
    let first = app.get_text(FORM).await;
    let (status, second) = post(
        app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "lampe")],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let (status, third) = post(
        app,
        &hidden(&second, "_etat"),
        "next",
        &[
            ("commune", "beta"),
            ("rue", "Place du Marché"),
            ("numero_lampadaire", "L-42"),
            ("nom", "Claire Martin"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{third}");
    third
}

#[tokio::test]
async fn a_person_walks_every_step_and_nothing_is_stored_before_sending() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;

    let first = app.get_text(FORM).await;
    assert!(
        first.contains("Étape 1 sur 3\u{a0}: Le problème"),
        "{first}"
    );
    assert!(first.contains("<title>Étape 1 sur 3"), "{first}");
    assert!(
        first.contains("Vos données personnelles"),
        "the notice before the first question"
    );
    assert!(first.contains(r#"name="categorie""#));
    assert!(
        !first.contains(r#"name="rue""#),
        "step 2's questions wait: {first}"
    );
    assert!(first.contains(">Continuer</button>"));
    assert!(
        !first.contains(r#"value="back""#),
        "no step before the first"
    );

    let (status, second) = post(
        &app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "trou")],
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert!(second.contains("Étape 2 sur 3\u{a0}: Le lieu"), "{second}");
    assert!(second.contains(r#"name="rue""#));
    assert!(!second.contains(r#"name="categorie""#));
    assert!(second.contains(r#"value="back""#), "a way back");
    assert!(
        !second.contains("Vos données personnelles"),
        "said once, at the start"
    );
    assert!(
        summary(&second).is_empty(),
        "a new step shows no problem yet"
    );
    assert_eq!(app.count().await, 0);

    // A reload (the browser sends the same post again) gives the same step, answers kept.
    let (status, again) = post(
        &app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "trou")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(again.contains("Étape 2 sur 3"));

    let (status, third) = post(
        &app,
        &hidden(&second, "_etat"),
        "next",
        &[("commune", "beta"), ("rue", "Rue Haute")],
    )
    .await;
    assert_eq!(status, 200, "{third}");
    assert!(
        third.contains("Étape 3 sur 3\u{a0}: Vous joindre"),
        "{third}"
    );
    assert!(
        third.contains(r#"value="review">Vérifier mes réponses</button>"#),
        "{third}"
    );
    assert_eq!(app.count().await, 0);

    let (status, review) = post(
        &app,
        &hidden(&third, "_etat"),
        "review",
        &[("rappel", "true")],
    )
    .await;
    assert_eq!(status, 200, "{review}");
    assert!(review.contains("Vérifiez vos réponses"));
    assert!(
        review.contains("<dd>Un trou</dd>") && review.contains("<dd>Rue Haute</dd>"),
        "{review}"
    );
    assert!(review.contains("<dd>Oui</dd>"), "{review}");
    assert_eq!(
        app.count().await,
        0,
        "nothing is stored before the final send"
    );

    let mut fields = hidden_inputs(&review);
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url(FORM))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/suivi/"), "{location}");
    assert_eq!(app.count().await, 1);
    let token = location
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap();
    let stored = app
        .store
        .track(&guichet::domain::TrackingToken::parse(token).unwrap().hash())
        .await
        .unwrap()
        .expect("the request is stored");
    assert_eq!(
        stored.data,
        serde_json::json!({"categorie": "trou", "commune": "beta", "rue": "Rue Haute", "rappel": true})
    );
    assert_eq!(stored.commune.as_deref(), Some("beta"));
}

#[tokio::test]
async fn a_step_shows_only_its_own_problems_and_back_keeps_the_answers() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let first = app.get_text(FORM).await;

    // Nothing chosen: only the first step's question is reported, not the place's.
    let (status, refused) = post(&app, &hidden(&first, "_etat"), "next", &[]).await;
    assert_eq!(status, 422);
    let lines = summary(&refused);
    assert!(lines.contains("Quel est le problème"), "{lines}");
    assert!(
        !lines.contains("Rue") && !lines.contains("Commune"),
        "{lines}"
    );
    assert!(
        refused.contains("Étape 1 sur 3"),
        "the same step: {refused}"
    );
    assert!(
        refused.contains("<title>Erreur\u{a0}: Étape 1 sur 3"),
        "{refused}"
    );

    let (_, second) = post(
        &app,
        &hidden(&refused, "_etat"),
        "next",
        &[("categorie", "trou")],
    )
    .await;
    // Step 2 with one answer typed, then « Retour »: step 1 with its answer, step 2's kept.
    let (status, back) = post(
        &app,
        &hidden(&second, "_etat"),
        "back",
        &[("rue", "Rue Basse"), ("commune", "")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(back.contains("Étape 1 sur 3"), "{back}");
    assert!(back.contains(r#"value="trou" checked"#), "{back}");
    assert!(summary(&back).is_empty(), "going back checks nothing");
    let (_, second) = post(
        &app,
        &hidden(&back, "_etat"),
        "next",
        &[("categorie", "trou")],
    )
    .await;
    assert!(
        second.contains(r#"name="rue" value="Rue Basse""#),
        "{second}"
    );

    // Step 2 refused for its own missing commune only.
    let (status, refused) = post(
        &app,
        &hidden(&second, "_etat"),
        "next",
        &[("rue", "Rue Basse")],
    )
    .await;
    assert_eq!(status, 422);
    let lines = summary(&refused);
    assert!(lines.contains("Commune"), "{lines}");
    assert!(!lines.contains("Quel est le problème"), "{lines}");
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn conditions_across_steps_are_enforced_at_the_right_step() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let first = app.get_text(FORM).await;

    // A lamp (step 1) makes its number (step 2) shown and required; a hole does not.
    let (_, for_a_hole) = post(
        &app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "trou")],
    )
    .await;
    assert!(!for_a_hole.contains("numero_lampadaire"), "{for_a_hole}");
    let (_, for_a_lamp) = post(
        &app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "lampe")],
    )
    .await;
    assert!(
        for_a_lamp.contains(r#"name="numero_lampadaire""#),
        "{for_a_lamp}"
    );
    assert!(
        !for_a_lamp.contains(r#"data-show-when="categorie""#),
        "decided on the server: the answer it depends on is not on the page"
    );
    let (status, refused) = post(
        &app,
        &hidden(&for_a_lamp, "_etat"),
        "next",
        &[("commune", "alpha"), ("rue", "Rue Haute")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        summary(&refused).contains("Numéro du lampadaire"),
        "{refused}"
    );

    // An e-mail at step 3 needs a name, asked at step 2: the last step sends the person
    // back there, with that problem only; continuing then returns to the review.
    let third = to_last_step_without_name(&app).await;
    let (status, sent_back) = post(
        &app,
        &hidden(&third, "_etat"),
        "review",
        &[("email", "claire@example.org")],
    )
    .await;
    assert_eq!(status, 422, "{sent_back}");
    assert!(sent_back.contains("Étape 2 sur 3"), "{sent_back}");
    let lines = summary(&sent_back);
    assert!(lines.contains("Votre nom"), "{lines}");
    assert!(!lines.contains("e-mail"), "{lines}");
    assert!(sent_back.contains("Enregistrer et revenir à la vérification"));
    let (status, review) = post(
        &app,
        &hidden(&sent_back, "_etat"),
        "next",
        &[
            ("commune", "alpha"),
            ("rue", "Rue Haute"),
            ("numero_lampadaire", "L-7"),
            ("nom", "Claire Martin"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{review}");
    assert!(review.contains("Vérifiez vos réponses"), "{review}");
    assert!(review.contains("<dd>claire@example.org</dd>"), "{review}");
    assert_eq!(app.count().await, 0);
}

/// Steps 1 and 2 with a lamp and no name; returns the page of step 3.
async fn to_last_step_without_name(app: &TestApp) -> String {
    let first = app.get_text(FORM).await;
    let (_, second) = post(
        app,
        &hidden(&first, "_etat"),
        "next",
        &[("categorie", "lampe")],
    )
    .await;
    let (status, third) = post(
        app,
        &hidden(&second, "_etat"),
        "next",
        &[
            ("commune", "alpha"),
            ("rue", "Rue Haute"),
            ("numero_lampadaire", "L-7"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{third}");
    third
}

#[tokio::test]
async fn the_review_lists_answers_by_step_and_modifier_returns_to_it() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let third = to_last_step(&app).await;
    let (_, review) = post(&app, &hidden(&third, "_etat"), "review", &[]).await;
    for (number, title) in [(1, "Le problème"), (2, "Le lieu"), (3, "Vous joindre")] {
        assert!(
            review.contains(&format!(r#"<h2 id="review-step-{number}">{title}</h2>"#)),
            "{review}"
        );
        assert!(
            review.contains(&format!(r#"value="edit-{number}""#)),
            "{review}"
        );
    }
    // The place's answers sit under its heading.
    let place = review
        .split(r#"<h2 id="review-step-2""#)
        .nth(1)
        .unwrap()
        .split(r#"<h2 id="review-step-3""#)
        .next()
        .unwrap();
    assert!(
        place.contains("<dd>Place du Marché</dd>") && place.contains("<dd>L-42</dd>"),
        "{place}"
    );

    // « Modifier » the place: its step, then straight back to the review.
    let mut fields = hidden_inputs(&review);
    fields.push(("_action".into(), "edit-2".into()));
    let step = app
        .client
        .post(app.url(FORM))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(step.status(), 200);
    let step = step.text().await.unwrap();
    assert!(step.contains("Étape 2 sur 3"), "{step}");
    assert!(
        step.contains(r#"name="rue" value="Place du Marché""#),
        "{step}"
    );
    assert!(
        step.contains(">Enregistrer et revenir à la vérification</button>"),
        "{step}"
    );
    let (status, review) = post(
        &app,
        &hidden(&step, "_etat"),
        "next",
        &[
            ("commune", "beta"),
            ("rue", "Place de la Mairie"),
            ("numero_lampadaire", "L-42"),
            ("nom", "Claire Martin"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(review.contains("Vérifiez vos réponses"), "{review}");
    assert!(review.contains("<dd>Place de la Mairie</dd>"), "{review}");
    assert!(!review.contains("Place du Marché"), "{review}");
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn a_changed_or_foreign_state_is_refused_in_plain_french() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let third = to_last_step(&app).await;
    let state = hidden(&third, "_etat");
    let (payload, signature) = state.split_once('.').unwrap();

    // The answers changed in the page: one letter of the payload.
    let mut bytes = payload.as_bytes().to_vec();
    bytes[10] = if bytes[10] == b'A' { b'B' } else { b'A' };
    let forged = format!("{}.{signature}", String::from_utf8(bytes).unwrap());
    // Another form's state, and one not even base64.
    let other = app.get_text("/demarches/demande").await;
    let foreign = hidden(&other, "_etat");
    for state in [
        forged.as_str(),
        foreign.as_str(),
        "n'importe quoi",
        signature,
    ] {
        let (status, page) = post(&app, state, "review", &[("email", "x@example.org")]).await;
        assert_eq!(status, 400, "{state}: {page}");
        assert!(page.contains("pas pu être reprises"), "{page}");
        assert!(page.contains("Recommencez la démarche"), "{page}");
        assert!(page.contains("Étape 1 sur 3"), "a fresh start: {page}");
        assert!(
            !page.contains("Place du Marché"),
            "nothing of the refused state: {page}"
        );
    }
    // Sending from a forged review page files nothing either.
    let (status, _) = post(&app, &forged, "submit", &[]).await;
    assert_eq!(status, 400);
    assert_eq!(app.count().await, 0);
}

/// The signing key, read from the database as every instance does.
async fn signing_key(app: &TestApp) -> guichet::web::public::form_state::FormStateKey {
    use sqlx::Connection;
    let sql = "SELECT secret FROM server_secrets WHERE name = 'form-state'";
    let secret: String = if app.database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap()
    };
    guichet::web::public::form_state::FormStateKey::from_hex(&secret).unwrap()
}

#[tokio::test]
async fn a_state_older_than_a_day_asks_to_start_again() {
    use guichet::web::public::form_state::{FormState, LIFETIME, Page};
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let third = to_last_step(&app).await;
    let key = signing_key(&app).await;
    // The page's own state opens with the key the server keeps: the test forges nothing else.
    let now = time::OffsetDateTime::now_utc();
    let mut state = FormState::open(&hidden(&third, "_etat"), &key, "etapes", now).unwrap();
    assert_eq!(state.page, Page::Step(2));
    state.issued = (now - LIFETIME - time::Duration::minutes(5)).unix_timestamp();
    let (status, page) = post(&app, &state.seal(&key), "review", &[]).await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("gardées que 24 heures"), "{page}");
    assert!(page.contains("Étape 1 sur 3"), "{page}");
    assert_eq!(app.count().await, 0);

    // Younger than a day, it is taken.
    state.issued = (now - LIFETIME + time::Duration::minutes(5)).unix_timestamp();
    let (status, page) = post(&app, &state.seal(&key), "review", &[]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Vérifiez vos réponses"));
}

#[tokio::test]
async fn a_new_version_of_the_form_between_two_steps_keeps_the_answers_that_still_fit() {
    let catalogue = catalogue();
    let app = spawn_app_configured(catalogue.path(), |config| {
        config.catalogue_refresh_secs = 1;
    })
    .await;
    let third = to_last_step(&app).await;

    // The designer renames the second step while the person is on the third.
    let file = catalogue.path().join("form-definitions/etapes.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"Le lieu\"", "\"Où est-ce ?\"")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, page) = post(&app, &hidden(&third, "_etat"), "back", &[]).await;
        if page.contains("mis à jour pendant que vous le remplissiez") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the catalogue was not reloaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, page) = post(
        &app,
        &hidden(&third, "_etat"),
        "review",
        &[("email", "claire@example.org")],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("mis à jour pendant que vous le remplissiez"),
        "{page}"
    );
    assert!(page.contains("Étape 1 sur 3"), "from the start: {page}");
    assert!(
        page.contains(r#"value="lampe" checked"#),
        "answers kept: {page}"
    );
    // Walking on, every answer is there, under the new step's title.
    let (_, second) = post(
        &app,
        &hidden(&page, "_etat"),
        "next",
        &[("categorie", "lampe")],
    )
    .await;
    assert!(
        second.contains("Étape 2 sur 3\u{a0}: Où est-ce\u{a0}?"),
        "{second}"
    );
    assert!(second.contains(r#"value="Place du Marché""#), "{second}");
    let (_, third) = post(
        &app,
        &hidden(&second, "_etat"),
        "next",
        &[
            ("commune", "beta"),
            ("rue", "Place du Marché"),
            ("numero_lampadaire", "L-42"),
            ("nom", "Claire Martin"),
        ],
    )
    .await;
    assert!(third.contains(r#"value="claire@example.org""#), "{third}");
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn a_photo_sent_at_the_first_step_is_filed_with_the_request() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let first = app.get_text(FORM).await;
    assert!(first.contains(r#"enctype="multipart/form-data""#));
    let form = reqwest::multipart::Form::new()
        .text("_etat", hidden(&first, "_etat"))
        .text("_action", "next")
        .text("_commune", "")
        .text("categorie", "trou")
        .part(
            "photo",
            reqwest::multipart::Part::bytes(png(3, 500)).file_name("trou.png"),
        );
    let response = app
        .client
        .post(app.url(FORM))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let second = response.text().await.unwrap();
    assert!(
        second.contains(r#"name="_files.photo""#),
        "carried to the next step: {second}"
    );
    let (_, third) = post_with_files(
        &app,
        &second,
        "next",
        &[("commune", "alpha"), ("rue", "Rue Haute")],
    )
    .await;
    let (_, review) = post_with_files(&app, &third, "review", &[]).await;
    assert!(review.contains("trou.png"), "{review}");
    assert_eq!(app.count().await, 0);
    let mut fields = hidden_inputs(&review);
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url(FORM))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let token = location
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap();
    let stored = app
        .store
        .track(&guichet::domain::TrackingToken::parse(token).unwrap().hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.data["photo"][0]["name"], "trou.png",
        "{}",
        stored.data
    );
}

/// Posts a step's answers with every hidden input of its page (the state, the files).
async fn post_with_files(
    app: &TestApp,
    page: &str,
    action: &str,
    answers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut fields = hidden_inputs(page);
    fields.push(("_action".into(), action.into()));
    fields.extend(answers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let response = app
        .client
        .post(app.url(FORM))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{text}");
    (status, text)
}

#[tokio::test]
async fn the_api_takes_the_whole_form_at_once() {
    let catalogue = catalogue();
    let app = spawn_app_with(catalogue.path()).await;
    let response = app
        .client
        .post(app.url("/api/v1/forms/etapes/submissions"))
        .json(&serde_json::json!({"categorie": "trou", "commune": "alpha", "rue": "Rue Haute"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // Conditions across steps hold there too.
    let response = app
        .client
        .post(app.url("/api/v1/forms/etapes/submissions"))
        .json(&serde_json::json!({"categorie": "lampe", "commune": "alpha", "rue": "Rue Haute", "email": "a@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    let paths: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/numero_lampadaire") && paths.contains(&"/nom"),
        "{body}"
    );
    // The demo's bulky-waste form, now in three steps, through the API.
    let demo = common::spawn_app().await;
    let example = demo.get_json("/api/v1/forms/encombrants").await;
    let data = example["schema"]["examples"][0].clone();
    let response = demo
        .client
        .post(demo.url("/api/v1/forms/encombrants/submissions"))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[test]
fn check_reports_a_question_in_no_step_in_two_or_unknown() {
    let catalogue = catalogue();
    let file = catalogue.path().join("form-definitions/etapes.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = text.replace(
        r#"{"title": "Le problème", "properties": ["categorie", "photo"]}"#,
        r#"{"title": "Le problème", "properties": ["categorie", "rue", "photos"]}"#,
    );
    assert_ne!(broken, text);
    std::fs::write(&file, broken).unwrap();
    let output = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let out = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("etapes.json")).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("at /x-guichet/steps/0/properties/2")
                && l.contains("« photos », which is not a top-level property")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("at /x-guichet/steps/1/properties/1")
                && l.contains(
                    "« rue » is in step 1 (« Le problème ») and in step 2 (« Le lieu »)"
                )),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("at /properties/photo") && l.contains("in no step")),
        "{out}"
    );
    // Each is located at its line and column in the file.
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("form-definitions/etapes.json:")),
        "{out}"
    );
    assert!(
        lines.iter().all(|l| l
            .split(':')
            .nth(1)
            .is_some_and(|n| n.parse::<u32>().is_ok())),
        "{out}"
    );

    // A badly shaped declaration is named at its place, not in serde's words.
    std::fs::write(
        &file,
        text.replace(
            r#"{"title": "Vous joindre", "properties": ["email", "rappel"]}"#,
            r#"{"titre": "Vous joindre", "properties": []}"#,
        ),
    )
    .unwrap();
    let output = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(!output.status.success());
    assert!(
        out.contains("at /x-guichet/steps/2/titre: unknown key `titre`"),
        "{out}"
    );
    assert!(
        out.contains("at /x-guichet/steps/2/title: the step needs a `title`"),
        "{out}"
    );
    assert!(
        out.contains("at /x-guichet/steps/2/properties: the step needs `properties`"),
        "{out}"
    );
}

#[tokio::test]
async fn a_form_without_steps_is_one_page_as_before() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let page = app.get_text("/demarches/demande").await;
    assert!(!page.contains("Étape"), "{page}");
    assert!(
        page.contains(r#"value="review">Vérifier mes réponses</button>"#),
        "{page}"
    );
    assert!(page.contains(r#"name="categorie""#) && page.contains(r#"name="commune""#));
    let (status, review) = {
        let response = app
            .client
            .post(app.url("/demarches/demande"))
            .form(&[
                ("_etat", hidden(&page, "_etat").as_str()),
                ("_action", "review"),
                ("categorie", "trou"),
                ("commune", "alpha"),
            ])
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    assert_eq!(status, 200, "{review}");
    assert!(
        review.contains(r#"value="edit""#) && !review.contains("edit-1"),
        "{review}"
    );
}

#[tokio::test]
async fn an_elu_files_a_form_in_steps_on_one_page_under_its_titles() {
    use common::staff::{add_user, login};
    use guichet::domain::Role;
    let app = common::spawn_app().await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let (status, page) = elu.get(&app, "/bureau/elu/demarches/encombrants").await;
    assert_eq!(status, StatusCode::OK);
    let titles = [
        "Vos objets",
        "L&#39;adresse d&#39;enlèvement",
        "Vos coordonnées et la date souhaitée",
    ];
    let mut at = 0;
    for title in titles {
        let found = page[at..]
            .find(&format!(r#"<h2 class="step-title">{title}</h2>"#))
            .unwrap_or_else(|| panic!("{title} after the one before: {page}"));
        at += found;
    }
    for name in ["objets", "adresse.rue", "telephone"] {
        assert!(
            page.contains(&format!(r#"name="{name}""#)),
            "{name}: {page}"
        );
    }
}
