//! The citizen's path in HTML, as a browser without JavaScript walks it: the form, its
//! errors, the review page, the receipt, the tracking page and the reference lookup.

use crate::common;

use common::{fixture, spawn_app, spawn_app_with};
use reqwest::header::{CONTENT_TYPE, LOCATION};

async fn post_form(app: &common::TestApp, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(pairs)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_form_is_generated_accessibly_from_the_schema() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let page = app
        .client
        .get(app.url("/demarches/demande"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<h1>Signaler un problème</h1>"));
    // Radios in a fieldset with a legend; labels tied to controls.
    assert!(html.contains("<legend>Catégorie"), "{html}");
    assert!(
        html.contains(r#"<input type="radio" id="f-categorie" name="categorie" value="trou">"#),
        "{html}"
    );
    assert!(html.contains(r#"<label for="f-categorie">Un trou</label>"#));
    assert!(
        html.contains(
            r#"<textarea id="f-details" name="details" rows="6" aria-describedby="f-details-hint">"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"<input type="checkbox" id="f-urgent" name="urgent" value="true">"#),
        "{html}"
    );
    // The commune field lists the territory's communes.
    assert!(
        html.contains(r#"<option value="beta">Bêta</option>"#),
        "{html}"
    );
    assert!(html.contains("(facultatif)"));
    // Limits are stated, not enforced silently by the browser.
    assert!(
        html.contains(r#"<p class="hint" id="f-details-hint">"#),
        "{html}"
    );
    assert!(html.contains("200 caractères maximum."));
    assert!(!html.contains("maxlength"));
}

#[tokio::test]
async fn a_field_required_under_a_condition_is_not_marked_optional() {
    let app = spawn_app().await;
    let html = app.get_text("/demarches/remplacement-bac").await;
    let bin_number = html
        .split(r#"<label for="f-numero_bac">"#)
        .nth(1)
        .unwrap()
        .split("</label>")
        .next()
        .unwrap();
    assert!(!bin_number.contains("facultatif"), "{bin_number}");
    // Without JavaScript, the condition is written out, and the script hides the field.
    assert!(html.contains(r#"data-show-when="motif" data-show-values="casse""#));
    assert!(html.contains("À remplir seulement si"));
    assert!(html.contains(r#"<script src="/static/form.js" defer></script>"#));

    // On the server, the bin number is required only when the bin is broken.
    let base = [
        ("_action", "review"),
        ("type_bac", "ordures-menageres"),
        ("nombre_residents", "4"),
        ("nom", "Claire Martin"),
        ("adresse.rue", "Rue de la Libération"),
        ("adresse.commune", "marmande"),
    ];
    let mut broken = base.to_vec();
    broken.push(("motif", "casse"));
    let response = post_form(&app, "/demarches/remplacement-bac", &broken).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r##"<a href="#f-numero_bac">"##)
    );
    let mut stolen = base.to_vec();
    stolen.extend([("motif", "vole"), ("numero_bac", "pas un numéro")]);
    let response = post_form(&app, "/demarches/remplacement-bac", &stolen).await;
    assert_eq!(response.status(), 200, "a hidden field's value is ignored");
    let review = response.text().await.unwrap();
    assert!(!review.contains("<dd>pas un numéro</dd>"), "{review}");
}

#[tokio::test]
async fn errors_are_summarised_and_shown_next_to_fields_with_values_kept() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let before = app.count().await;
    let long = "<script>alert(1)</script>".repeat(10);
    let response = post_form(
        &app,
        "/demarches/demande",
        &[
            ("_action", "review"),
            ("details", &long),
            ("commune", "beta"),
        ],
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    // The summary links to each field.
    assert!(html.contains("error-summary"), "{html}");
    assert!(
        html.contains("<a href=\"#f-categorie\">Catégorie\u{a0}: choisissez une réponse.</a>"),
        "{html}"
    );
    assert!(html.contains(r##"<a href="#f-details">"##));
    // Each message sits next to its field and is announced with it.
    assert!(html.contains(r#"id="f-details-error""#));
    assert!(
        html.contains(r#"aria-describedby="f-details-hint f-details-error" aria-invalid="true""#),
        "{html}"
    );
    assert!(
        html.contains("250 caractères") || html.contains("vous en avez saisi 250"),
        "{html}"
    );
    // Values are kept, escaped.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains(r#"<option value="beta" selected>Bêta</option>"#),
        "{html}"
    );
    assert_eq!(app.count().await, before, "nothing written");
}

#[tokio::test]
async fn review_then_submit_files_the_request_and_shows_the_receipt() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let answers = [
        ("categorie", "lampe"),
        ("details", "Lampadaire éteint\r\ndepuis lundi"),
        ("urgent", "true"),
        ("commune", "beta"),
    ];
    let mut pairs = vec![("_action", "review")];
    pairs.extend(answers);
    let review = post_form(&app, "/demarches/demande", &pairs).await;
    assert_eq!(review.status(), 200);
    let html = review.text().await.unwrap();
    assert!(html.contains("Vérifiez vos réponses"));
    assert!(
        html.contains("<dd>Une lampe</dd>"),
        "the choice's label: {html}"
    );
    assert!(html.contains("<dd>Oui</dd>"));
    assert!(html.contains(r#"value="submit""#) && html.contains(r#"value="edit""#));
    assert_eq!(app.count().await, 0, "reviewing writes nothing");
    let token = html
        .split(r#"name="_token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // "Modifier" goes back to the form with the values.
    let mut edit = vec![("_action", "edit")];
    edit.extend(answers);
    let html = post_form(&app, "/demarches/demande", &edit)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"value="lampe" checked"#), "{html}");

    let mut submit = vec![("_action", "submit"), ("_token", token.as_str())];
    submit.extend(answers);
    let response = post_form(&app, "/demarches/demande", &submit).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/suivi/") && location.ends_with("?recu=1"),
        "{location}"
    );
    assert_eq!(app.count().await, 1);

    // Sending the same page twice (double click, reload) files one request.
    let again = post_form(&app, "/demarches/demande", &submit).await;
    assert_eq!(again.status(), 303);
    assert_eq!(again.headers()[LOCATION].to_str().unwrap(), location);
    assert_eq!(app.count().await, 1);

    let receipt = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(receipt.status(), 200);
    assert_eq!(receipt.headers()["referrer-policy"], "no-referrer");
    let html = receipt.text().await.unwrap();
    assert!(html.contains("Votre demande est enregistrée"));
    let reference = html
        .split("class=\"reference\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        guichet::domain::Reference::parse(&reference).is_ok(),
        "{reference}"
    );
    assert!(html.contains("Reçue"));
    assert!(html.contains("Demande déposée et transmise au service « Voirie »"));

    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.channel, "web");
    assert_eq!(stored.data["details"], "Lampadaire éteint\ndepuis lundi");
    assert_eq!(stored.data["urgent"], true);
    assert_eq!(stored.queue, "voirie-urgent");

    // The reference alone shows the status and nothing personal.
    let lookup = app
        .get_text(&format!("/suivi?reference={}", reference.to_lowercase()))
        .await;
    assert!(lookup.contains("Reçue"), "{lookup}");
    assert!(!lookup.contains("Lampadaire"), "no personal data: {lookup}");
    assert_eq!(
        lookup.matches("/suivi/").count(),
        lookup.matches("/suivi/retrouver").count(),
        "no tracking link, only the way to a new one: {lookup}"
    );
}

#[tokio::test]
async fn the_lookup_explains_bad_and_unknown_references() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let html = app.get_text("/suivi?reference=nimportequoi").await;
    assert!(html.contains("GU-XXXX-XXXX"), "{html}");
    let html = app.get_text("/suivi?reference=GU-0000-0000").await;
    assert!(
        html.contains("Aucune demande ne porte la référence GU-0000-0000"),
        "{html}"
    );
}

#[tokio::test]
async fn bad_posts_get_pages_not_crashes() {
    let app = spawn_app_with(&fixture("minimal")).await;
    let wrong_type = app
        .client
        .post(app.url("/demarches/demande"))
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    assert!(wrong_type.text().await.unwrap().contains("rechargez-la"));
    let big = "x".repeat(300 * 1024);
    let too_big = post_form(&app, "/demarches/demande", &[("details", &big)]).await;
    assert_eq!(too_big.status(), 413);
    let unknown = app
        .client
        .get(app.url("/demarches/inconnue"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("Retournez à l"));
    let bad_commune = app
        .client
        .get(app.url("/demarches/demande?commune=atlantide"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_commune.status(), 404);
    let bad_token = app
        .client
        .get(app.url("/suivi/pas-un-jeton"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 404);
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn the_portal_lists_searches_and_has_commune_pages() {
    let app = spawn_app().await;
    let html = app.get_text("/").await;
    for form in [
        "/demarches/remplacement-bac",
        "/demarches/signalement-voirie",
        "/demarches/encombrants",
        "/demarches/contact-mairie",
    ] {
        assert!(html.contains(form), "{form} listed");
    }
    assert!(html.contains("/communes/marmande"));
    let found = app.get_text("/?q=poubelle").await;
    assert!(
        found.contains("/demarches/remplacement-bac"),
        "search by keyword"
    );
    assert!(
        !found.contains("/demarches/signalement-voirie"),
        "search filters"
    );
    let commune = app
        .client
        .get(app.url("/communes/tonneins"))
        .send()
        .await
        .unwrap();
    assert_eq!(commune.status(), 200);
    let commune = commune.text().await.unwrap();
    assert!(commune.contains("<h1>Tonneins</h1>"));
    assert!(commune.contains("?commune=tonneins"));
    // Arriving from the commune page pre-selects the commune.
    let form = app
        .get_text("/demarches/contact-mairie?commune=tonneins")
        .await;
    assert!(
        form.contains(r#"<option value="tonneins" selected>"#),
        "{form}"
    );
    assert_eq!(
        app.client
            .get(app.url("/communes/atlantide"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

/// The example as a browser would post it: nested objects as `a.b`, lists as repeated names.
fn form_pairs(value: &serde_json::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                form_pairs(inner, &name, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| form_pairs(v, prefix, out)),
        serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[tokio::test]
async fn every_demo_form_can_be_filed_through_its_html_form() {
    let app = spawn_app().await;
    let list = app.get_json("/api/v1/forms").await;
    for summary in list["forms"].as_array().unwrap() {
        let id = summary["id"].as_str().unwrap();
        let form = app.get_json(&format!("/api/v1/forms/{id}")).await;
        let example = &form["schema"]["examples"][0];
        let page = app
            .client
            .get(app.url(&format!("/demarches/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{id}");

        let mut answers = Vec::new();
        form_pairs(example, "", &mut answers);
        let mut review = vec![("_action".to_owned(), "review".to_owned())];
        review.extend(answers.clone());
        let response = app
            .client
            .post(app.url(&format!("/demarches/{id}")))
            .form(&review)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id}: the example passes review");
        let html = response.text().await.unwrap();
        let token = html
            .split(r#"name="_token" value=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();

        let mut submit = vec![
            ("_action".to_owned(), "submit".to_owned()),
            ("_token".to_owned(), token),
        ];
        submit.extend(answers);
        let response = app
            .client
            .post(app.url(&format!("/demarches/{id}")))
            .form(&submit)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{id}");
        let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
        let receipt = app.get_text(&location).await;
        let reference = receipt
            .split("class=\"reference\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let stored = app
            .store
            .request_by_reference(&guichet::domain::Reference::parse(reference).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            &stored.data, example,
            "{id}: the HTML path stores exactly the example"
        );
        assert_eq!(stored.channel, "web");
        assert!(stored.routing_fallback.is_none(), "{id}");
    }
}

/// Posts `answers` for review then submits them, as a browser does; returns the reference.
async fn file_through_html(
    app: &common::TestApp,
    form: &str,
    answers: &[(String, String)],
) -> (String, String) {
    let path = format!("/demarches/{form}");
    let mut review = vec![("_action".to_owned(), "review".to_owned())];
    review.extend_from_slice(answers);
    let response = app
        .client
        .post(app.url(&path))
        .form(&review)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the answers pass review");
    let review_page = response.text().await.unwrap();
    let token = review_page
        .split(r#"name="_token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut submit = vec![
        ("_action".to_owned(), "submit".to_owned()),
        ("_token".to_owned(), token),
    ];
    submit.extend_from_slice(answers);
    let response = app
        .client
        .post(app.url(&path))
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let receipt = app.get_text(&location).await;
    let reference = receipt
        .split("class=\"reference\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    (reference, review_page)
}

/// Regression: a date answer was shown as 2026-03-14 after a hint reading 14/03/2026. It is
/// stored (and given by the API) as ISO, and read the French way on the review page, the
/// agent's and the élu's request page and the CSV export.
#[tokio::test]
async fn a_date_answer_reads_the_french_way_wherever_a_person_reads_it() {
    use common::staff::{add_user, api, api_token, login};
    use guichet::domain::Role;

    let app = spawn_app().await;
    let form = app.get_json("/api/v1/forms/encombrants").await;
    let mut answers = Vec::new();
    form_pairs(&form["schema"]["examples"][0], "", &mut answers);
    for (name, value) in answers.iter_mut() {
        if name == "date_souhaitee" {
            // Typed the way the hint shows, where the browser has no date picker.
            *value = "14/03/2026".into();
        }
    }
    let (reference, review) = file_through_html(&app, "encombrants", &answers).await;
    assert!(review.contains("<dd>14/03/2026</dd>"), "{review}");
    assert!(!review.contains("2026-03-14"), "{review}");

    let stored = app
        .store
        .request_by_reference(&guichet::domain::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.data["date_souhaitee"], "2026-03-14", "stored as ISO");

    let agent = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let agent_browser = login(&app, "agent@vdg.example.org").await;
    let elu = login(&app, "elu@vdg.example.org").await;
    for (who, browser) in [("agent", &agent_browser), ("élu", &elu)] {
        let (status, page) = browser
            .get(&app, &format!("/bureau/demandes/{reference}"))
            .await;
        assert_eq!(status, 200, "{who}");
        assert!(page.contains("<dd>14/03/2026</dd>"), "{who}: {page}");
        assert!(!page.contains("2026-03-14"), "{who}: {page}");
    }
    let (status, csv) = agent_browser
        .get(
            &app,
            &format!("/bureau/files/{}/export.csv?form=encombrants", stored.queue),
        )
        .await;
    assert_eq!(status, 200);
    assert!(csv.contains(&reference), "{csv}");
    assert!(csv.contains("14/03/2026"), "{csv}");
    assert!(!csv.contains("2026-03-14"), "{csv}");

    // Software reads the data as stored.
    let token = api_token(&app, &agent).await;
    let (status, body) = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/requests/{reference}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["date_souhaitee"], "2026-03-14");
}

/// A `format: date-time` answer reads as a French date and time (Paris legal time) on the
/// agent's page and in the export; the API keeps RFC 3339.
#[tokio::test]
async fn a_date_time_answer_reads_as_a_french_date_and_time() {
    use common::staff::{add_user, api, api_token, login};
    use guichet::domain::Role;

    let catalogue = common::catalogue_copy(&fixture("minimal"), &[]);
    std::fs::write(
        catalogue.path().join("form-definitions/rendez-vous.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Rendez-vous",
            "type": "object",
            "additionalProperties": false,
            "x-guichet": {"service": "voirie", "rule": "rendez-vous"},
            "properties": {
                "quand": {"type": "string", "format": "date-time", "title": "Quand", "maxLength": 40}
            },
            "required": ["quand"],
            "examples": [{"quand": "2026-03-14T09:30:00Z"}]
        }))
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        catalogue.path().join("rules/rendez-vous.rhai"),
        "\"voirie-general\"\n",
    )
    .unwrap();
    let app = spawn_app_with(catalogue.path()).await;
    let response = app
        .client
        .post(app.url("/api/v1/forms/rendez-vous/submissions"))
        .json(&serde_json::json!({"quand": "2026-03-14T09:30:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = response.json().await.unwrap();
    let reference = created["reference"].as_str().unwrap();

    let agent = add_user(&app, "agent@test.fr", Role::Agent, &["voirie"], &[]).await;
    let browser = login(&app, "agent@test.fr").await;
    let (_, page) = browser
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    // 09:30 UTC in March is 10:30 in Paris.
    assert!(page.contains("<dd>14/03/2026 à 10 h 30</dd>"), "{page}");
    let (_, csv) = browser
        .get(
            &app,
            "/bureau/files/voirie-general/export.csv?form=rendez-vous",
        )
        .await;
    assert!(csv.contains("14/03/2026 à 10 h 30"), "{csv}");
    let token = api_token(&app, &agent).await;
    let (_, body) = api(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/requests/{reference}"),
        None,
    )
    .await;
    assert_eq!(body["data"]["quand"], "2026-03-14T09:30:00Z");
}
