//! Every level in one search: the portal finds the territory's forms and the procedures of
//! the department, region and State alike (without accents, with a typo), own forms first,
//! each result saying who runs it and where it is filed; a commune's page only lists what
//! applies there. And a form offered in some communes only always records its commune, from
//! the home page (HTML), the API and the élus' workspace.

use crate::common;

use common::staff::{add_user, login};
use common::{TestApp, catalogue_copy, repo_root, spawn_app, spawn_app_with};
use guichet::domain::{Reference, Role};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

/// The `<li>` of the result whose link is `href`, from the search results.
fn result_for<'a>(page: &'a str, href: &str) -> &'a str {
    let start = page
        .find(&format!("<a href=\"{href}\""))
        .unwrap_or_else(|| panic!("{href} in the results: {page}"));
    let end = page[start..].find("</li>").unwrap() + start;
    &page[start..end]
}

#[tokio::test]
async fn a_state_procedure_is_found_by_a_word_without_accents_and_with_a_typo() {
    let app = spawn_app().await;

    let page = app.get_text("/?q=permis").await;
    let permis = result_for(&page, "https://permisdeconduire.ants.gouv.fr/");
    assert!(permis.contains("Permis de conduire"), "{permis}");
    assert!(permis.contains("État"), "the level that runs it: {permis}");
    assert!(permis.contains("sur un autre site"), "{permis}");
    assert!(page.contains("démarche"), "{page}");
    assert!(
        !page.contains("/demarches/remplacement-bac"),
        "only what matches: {page}"
    );

    // No accents typed: « déménagement » is in the keywords of the carte grise and the
    // electoral rolls.
    let page = app.get_text("/?q=demenagement").await;
    result_for(&page, "https://immatriculation.ants.gouv.fr/");
    result_for(
        &page,
        "https://www.service-public.fr/particuliers/vosdroits/F1367",
    );

    // One letter left out, two letters swapped, a plural.
    for typo in [
        "passport",
        "pemris",
        "listes%20electorale",
        "CARTES%20GRISES",
    ] {
        let page = app.get_text(&format!("/?q={typo}")).await;
        assert!(
            !page.contains(">0 démarche pour"),
            "« {typo} » finds something: {page}"
        );
    }
    let page = app.get_text("/?q=passport").await;
    result_for(
        &page,
        "https://www.service-public.fr/particuliers/vosdroits/F14929",
    );
    let page = app.get_text("/?q=pemris").await;
    result_for(&page, "https://permisdeconduire.ants.gouv.fr/");

    // Nothing found says so, and how to go on.
    let page = app.get_text("/?q=zzzzzz").await;
    assert!(page.contains("0 démarche pour « zzzzzz »"), "{page}");
    assert!(page.contains("Aucune démarche ne correspond"), "{page}");
}

#[tokio::test]
async fn the_territorys_own_forms_come_first_and_say_they_are_filed_here() {
    let app = spawn_app().await;
    // « école » is a keyword of « Écrire à ma mairie » and of two procedures of other levels.
    let page = app.get_text("/?q=ecole").await;
    let own = page.find("<a href=\"/demarches/contact-mairie\"").unwrap();
    let state = page
        .find("https://www.service-public.fr/particuliers/vosdroits/F984")
        .unwrap();
    let region = page
        .find("https://transports.nouvelle-aquitaine.fr/")
        .unwrap();
    assert!(own < state && own < region, "own forms first: {page}");
    let form = result_for(&page, "/demarches/contact-mairie");
    assert!(form.contains("Mairies"), "the service that runs it: {form}");
    assert!(form.contains("se fait sur ce site"), "{form}");
    assert!(result_for(&page, "https://transports.nouvelle-aquitaine.fr/").contains("Région"));

    // Without a query the home page lists every procedure by theme, with its level.
    let home = app.get_text("/").await;
    for heading in [
        "<h2>Papiers d&#39;identité</h2>",
        "<h2>Solidarité et santé</h2>",
    ] {
        assert!(home.contains(heading), "{heading}: {home}");
    }
    assert!(
        result_for(
            &home,
            "https://www.service-public.fr/particuliers/vosdroits/F10009"
        )
        .contains("Département")
    );
}

#[tokio::test]
async fn a_commune_page_lists_and_finds_only_what_applies_there() {
    let dir = catalogue_copy(&repo_root(), &[]);
    let territory = std::fs::read_to_string(dir.path().join("territory.toml")).unwrap();
    std::fs::write(
        dir.path().join("territory.toml"),
        format!(
            "{territory}\n[[procedures]]\ntitle = \"Réserver la salle des fêtes de Marmande\"\nlevel = \"commune\"\ntheme = \"Vie municipale\"\nurl = \"https://marmande.example.org/salles\"\nkeywords = [\"salle\", \"location\"]\ncommunes = [\"marmande\"]\n"
        ),
    )
    .unwrap();
    let app = spawn_app_with(dir.path()).await;
    let room = "https://marmande.example.org/salles";

    let marmande = app.get_text("/communes/marmande").await;
    assert!(
        result_for(&marmande, room).contains("Commune"),
        "{marmande}"
    );
    let found = app.get_text("/communes/marmande?q=salle").await;
    result_for(&found, room);

    let tonneins = app.get_text("/communes/tonneins").await;
    assert!(!tonneins.contains(room), "{tonneins}");
    let found = app.get_text("/communes/tonneins?q=salle").await;
    assert!(!found.contains(room), "{found}");
    assert!(found.contains("0 démarche pour « salle »"), "{found}");
    // The State's procedures apply everywhere, and forms keep the commune.
    let found = app.get_text("/communes/tonneins?q=passeport").await;
    result_for(
        &found,
        "https://www.service-public.fr/particuliers/vosdroits/F14929",
    );
    let found = app.get_text("/communes/tonneins?q=mairie").await;
    result_for(&found, "/demarches/contact-mairie?commune=tonneins");
    // The whole territory's search finds it, saying where it applies is up to the commune.
    let found = app.get_text("/?q=salle%20des%20fetes").await;
    result_for(&found, room);
}

/// A form of the demo's environment service offered in Tonneins and Clairac only, with no
/// commune question of its own.
fn with_commune_only_form() -> tempfile::TempDir {
    let dir = catalogue_copy(&repo_root(), &[]);
    let form = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Broyage des déchets verts",
        "description": "Demandez le passage du broyeur pour vos branchages.",
        "type": "object",
        "x-guichet": {
            "service": "environnement",
            "audience": ["citizen", "elected"],
            "communes": ["tonneins", "clairac"],
            "theme": "Déchets",
            "keywords": ["branches", "broyeur"],
            "privacy": { "purpose": "Organiser le passage du broyeur chez vous." }
        },
        "properties": {
            "nom": { "type": "string", "title": "Votre nom", "maxLength": 100 },
            "volume": { "type": "integer", "title": "Volume (m³)", "minimum": 1, "maximum": 20 }
        },
        "required": ["nom", "volume"]
    });
    std::fs::write(
        dir.path().join("form-definitions/broyage.json"),
        serde_json::to_string_pretty(&form).unwrap(),
    )
    .unwrap();
    dir
}

/// The hidden fields of a page, as the browser sends them back.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            (name, value)
        })
        .collect()
}

async fn post(app: &TestApp, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(pairs)
        .send()
        .await
        .unwrap()
}

async fn stored_commune(app: &TestApp, reference: &str) -> Option<String> {
    app.store
        .request_by_reference(&Reference::parse(reference).unwrap())
        .await
        .unwrap()
        .unwrap()
        .commune
        .map(String::from)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn a_commune_only_form_filed_from_the_home_page_records_the_commune() {
    let dir = with_commune_only_form();
    let app = spawn_app_with(dir.path()).await;

    // From the home page, the form asks which of its communes.
    let home = app.get_text("/").await;
    assert!(result_for(&home, "/demarches/broyage").contains("Tonneins, Clairac"));
    let form = app.get_text("/demarches/broyage").await;
    assert!(
        form.contains(r#"<select id="commune-choice" name="_commune""#),
        "{form}"
    );
    assert!(
        form.contains(r#"<option value="clairac">Clairac</option>"#),
        "{form}"
    );
    assert!(
        !form.contains(r#"<option value="marmande">"#),
        "only its communes: {form}"
    );

    // Not chosen, or one where it is not offered: a French message, the answers kept.
    let answers = [("nom", "Lucie Martin"), ("volume", "3")];
    let mut review = pairs(&[("_action", "review")]);
    review.extend(pairs(&answers));
    let response = post(&app, "/demarches/broyage", &review).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Indiquez la commune concernée\u{a0}: cette démarche n&#39;est proposée qu&#39;à Tonneins, Clairac."),
        "{page}"
    );
    assert!(page.contains("Lucie Martin"), "{page}");
    let mut elsewhere = review.clone();
    elsewhere.push(("_commune".into(), "marmande".into()));
    let response = post(&app, "/demarches/broyage", &elsewhere).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Cette démarche n&#39;est pas proposée à Marmande"),
        "{page}"
    );
    assert_eq!(app.count().await, 0);

    // Chosen: the review page carries it, and the request records it.
    review.push(("_commune".into(), "clairac".into()));
    let response = post(&app, "/demarches/broyage", &review).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Clairac"), "{page}");
    let mut submit = hidden_fields(&page);
    submit.push(("_action".into(), "submit".into()));
    let response = post(&app, "/demarches/broyage", &submit).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt = app
        .get_text(response.headers()[LOCATION].to_str().unwrap())
        .await;
    let reference = receipt
        .split("class=\"reference\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(
        stored_commune(&app, reference).await.as_deref(),
        Some("clairac")
    );

    // From a commune's page, the commune comes along (and can be seen).
    let form = app.get_text("/demarches/broyage?commune=tonneins").await;
    assert!(form.contains("Commune\u{a0}: Tonneins"), "{form}");
    assert!(
        form.contains(r#"<option value="tonneins" selected>"#),
        "{form}"
    );
}

#[tokio::test]
async fn the_api_and_elus_must_name_a_commune_of_the_form() {
    let dir = with_commune_only_form();
    let app = spawn_app_with(dir.path()).await;
    let submit = |query: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/forms/broyage/submissions{query}")))
            .json(&json!({"nom": "Lucie Martin", "volume": 2}))
            .send()
    };

    let response = submit("").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        common::first_error(&body).starts_with("Indiquez la commune concernée"),
        "{body}"
    );
    let response = submit("?commune=marmande").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        common::first_error(&body).contains("n'est pas proposée à Marmande"),
        "{body}"
    );
    assert_eq!(app.count().await, 0);

    let response = submit("?commune=tonneins").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    let reference = body["reference"].as_str().unwrap();
    assert_eq!(
        stored_commune(&app, reference).await.as_deref(),
        Some("tonneins")
    );

    // An élu of Tonneins files for a resident: the commune is offered, theirs chosen first.
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["tonneins"]).await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let (status, page) = elu.get(&app, "/bureau/elu/demarches/broyage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"<option value="tonneins" selected>"#),
        "{page}"
    );
    let fields = [
        ("nom", "Lucie Martin"),
        ("volume", "4"),
        ("_channel", "phone"),
    ];
    let (status, page) = elu
        .post(&app, "/bureau/elu/demarches/broyage", &fields)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no commune chosen"
    );
    assert!(page.contains("Indiquez la commune concernée"), "{page}");
    let mut chosen = fields.to_vec();
    chosen.push(("_commune", "tonneins"));
    let (status, page) = elu
        .post(&app, "/bureau/elu/demarches/broyage", &chosen)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let reference = page
        .split("/bureau/demandes/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        stored_commune(&app, reference).await.as_deref(),
        Some("tonneins")
    );
    let (_, follow) = elu.get(&app, "/bureau/elu").await;
    assert!(follow.contains(reference), "the élu follows it");
}
