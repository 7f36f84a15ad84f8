//! The citizen's rights and who looked, on the running server: the citizen's copy of their
//! data through the tracking link, the admins' subject-access search and export, the access
//! records every staff view writes (and withholds personal data without), and élus who see
//! contact details only on the requests they filed.

use crate::common;

use std::collections::BTreeSet;

use common::staff::{add_user, api, api_token, file_bin_request, login};
use common::{
    TestApp, catalogue_copy, guichet, repo_root, spawn_app, spawn_app_configured, spawn_app_with,
};
use guichet::domain::{Reference, Role, TrackingToken};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Files through the public API; returns (reference, tracking token).
async fn file(app: &TestApp, form: &str, data: Value) -> (String, String) {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{form}/submissions")))
        .json(&data)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (body["reference"].as_str().unwrap().to_owned(), token)
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Every (pointer, value) leaf of a JSON document; arrays of scalars count as one answer.
fn leaves(value: &Value, pointer: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(v, format!("{pointer}/{k}"), out);
            }
        }
        _ => out.push((pointer, value.clone())),
    }
}

/// The stored access records of a request: (actor, role, view), newest first.
async fn records_of(app: &TestApp, reference: &str) -> Vec<(String, String, String)> {
    app.store
        .access_records(&Reference::parse(reference).unwrap(), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.actor, r.role, r.view))
        .collect()
}

#[tokio::test]
async fn the_citizen_downloads_every_answer_with_its_label() {
    let app = spawn_app().await;
    // Every kind of answer the demo forms have: multiple choice, number, text, a nested
    // object, a date, a telephone; then a choice, a boolean and a file.
    let submitted = json!({
        "objets": ["meubles", "matelas"],
        "volume_m3": 2.5,
        "detail_objets": "Un buffet et un sommier.",
        "nom": "Claire Martin",
        "adresse": {"numero_voie": "12 bis", "rue": "Rue de la Libération", "complement": "Bâtiment B", "commune": "marmande"},
        "date_souhaitee": "2026-03-17",
        "telephone": "05 36 49 00 12",
        "acces": "Portail vert."
    });
    let (reference, token) = file(&app, "encombrants", submitted.clone()).await;

    // The service writes a note (internal) and a message (to the citizen).
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "note",
            &[("text", "Voisin pénible, prévoir deux agents")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "message",
            &[("text", "Pouvez-vous préciser l'étage ?")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (_, _, tracking) = get(&app, &format!("/suivi/{token}")).await;
    assert!(tracking.contains(&format!("href=\"/suivi/{token}/donnees\"")));
    assert!(tracking.contains("Télécharger mes données"));

    let (status, headers, text) = get(&app, &format!("/suivi/{token}/donnees.json")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains(&reference));
    let copy: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(copy["reference"], reference);
    assert_eq!(copy["form"]["id"], "encombrants");
    assert_eq!(copy["form"]["title"], "Demander l'enlèvement d'encombrants");
    assert!(!copy["status"]["label"].as_str().unwrap().is_empty());
    assert_eq!(copy["commune"]["name"], "Marmande");
    assert_eq!(copy["service"]["name"], "Environnement et déchets");
    // The raw answers round-trip, and every submitted answer is there with its label.
    assert_eq!(copy["data"], submitted);
    let answers = copy["answers"].as_array().unwrap();
    let mut submitted_leaves = Vec::new();
    leaves(&submitted, String::new(), &mut submitted_leaves);
    for (pointer, _) in &submitted_leaves {
        let answer = answers
            .iter()
            .find(|a| a["pointer"] == *pointer)
            .unwrap_or_else(|| panic!("no answer for {pointer} in {answers:?}"));
        assert!(!answer["label"].as_str().unwrap().is_empty(), "{answer}");
    }
    assert_eq!(answers.len(), submitted_leaves.len());
    let answer = |pointer: &str| {
        answers
            .iter()
            .find(|a| a["pointer"] == pointer)
            .map(|a| {
                (
                    a["label"].as_str().unwrap().to_owned(),
                    a["value"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    assert_eq!(
        answer("/objets"),
        (
            "Quels objets faut-il enlever ?".into(),
            "Meubles, Matelas, sommier".into()
        )
    );
    assert_eq!(
        answer("/volume_m3"),
        ("Volume approximatif (en m³)".into(), "2,5".into())
    );
    assert_eq!(
        answer("/date_souhaitee"),
        ("Date souhaitée".into(), "17/03/2026".into())
    );
    assert_eq!(
        answer("/adresse/rue"),
        (
            "Rue, avenue, lieu-dit".into(),
            "Rue de la Libération".into()
        )
    );
    assert!(
        answers
            .iter()
            .any(|a| a["pointer"] == "/adresse/rue" && a["section"] == "Adresse d'enlèvement")
    );
    // The exchange the citizen sees; never the service's internal note.
    assert_eq!(copy["messages"][0]["from"], "service");
    assert_eq!(
        copy["messages"][0]["text"],
        "Pouvez-vous préciser l'étage ?"
    );
    assert!(copy["history"].as_array().unwrap().len() >= 2);
    assert!(!text.contains("Voisin pénible"), "{text}");
    assert!(!text.contains("\"note\""), "{text}");
    assert!(!text.contains("routed"), "{text}");

    // The printable page: the same, for people; no script.
    let (status, headers, page) = get(&app, &format!("/suivi/{token}/donnees")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    for expected in [
        reference.as_str(),
        "Volume approximatif (en m³)",
        "2,5",
        "Meubles, Matelas, sommier",
        "Rue de la Libération",
        "17/03/2026",
        "Pouvez-vous préciser l",
        "donnees.json",
    ] {
        assert!(
            page.contains(expected) || page.contains(&expected.replace('\'', "&#x27;")),
            "{expected} missing from the page"
        );
    }
    assert!(!page.contains("<script"));
    assert!(!page.contains("Voisin pénible"));
    let css = app.get_text("/static/guichet.css").await;
    assert!(css.contains("@media print"));

    // A wrong token: the tracking link's 404, on both.
    let stranger = TrackingToken::generate();
    for path in [
        format!("/suivi/{}/donnees", stranger.as_str()),
        format!("/suivi/{}/donnees.json", stranger.as_str()),
        "/suivi/pas-un-jeton/donnees".to_owned(),
        "/suivi/pas-un-jeton/donnees.json".to_owned(),
    ] {
        let (status, _, body) = get(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            body.contains("Aucune demande ne correspond à ce lien de suivi"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_copy_lists_the_files_with_a_link_that_downloads_them() {
    let app = spawn_app().await;
    let photo = common::uploads::png(3, 2_000);
    let token = common::uploads::file_with(&app, vec![("trou.png", photo.clone())]).await;
    let copy = app.get_json(&format!("/suivi/{token}/donnees.json")).await;
    let files = copy["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{copy}");
    assert_eq!(files[0]["name"], "trou.png");
    assert_eq!(files[0]["type"], "image/png");
    assert_eq!(files[0]["size"], photo.len());
    let url = files[0]["url"].as_str().unwrap();
    let path = &url[url.find("/suivi/").unwrap()..];
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), photo);
    // A choice by its label, a file answer by its name.
    let answers = copy["answers"].as_array().unwrap();
    assert!(
        answers
            .iter()
            .any(|a| a["pointer"] == "/categorie" && a["value"] == "Nid-de-poule, chaussée abîmée")
    );
    assert!(
        answers
            .iter()
            .any(|a| a["pointer"] == "/photos" && a["value"] == "trou.png")
    );
    let (_, _, page) = get(&app, &format!("/suivi/{token}/donnees")).await;
    assert!(page.contains("trou.png"));
    assert!(page.contains("image/png"));
}

#[tokio::test]
async fn the_copy_counts_against_the_same_look_up_limit_as_the_tracking_page() {
    let app = common::spawn_app_configured(&repo_root(), |config| {
        config.rate_limits.limit_lookups = "3/min".parse().unwrap();
    })
    .await;
    let (_, token) = file_bin_request(&app, "marmande").await;
    for path in ["", "/donnees", "/donnees.json"] {
        let (status, _, _) = get(&app, &format!("/suivi/{token}{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    for path in ["/donnees", "/donnees.json"] {
        let response = app
            .client
            .get(app.url(&format!("/suivi/{token}{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(response.headers().contains_key("retry-after"));
    }
}

/// The references in a subject-access page's result table.
fn listed(page: &str) -> BTreeSet<String> {
    page.split("<th scope=\"row\"><a href=\"/bureau/demandes/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn subject_access_finds_exactly_the_persons_requests() {
    let app = spawn_app().await;
    add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement", "voirie"],
        &[],
    )
    .await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let pothole = |extra: Value| {
        let mut data = json!({
            "categorie": "nid-de-poule", "commune": "tonneins",
            "localisation": "Avenue de Bordeaux", "description": "Un trou.", "urgence": "moyenne",
        });
        data.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        data
    };
    let bulky = |telephone: &str, nom: &str| {
        json!({
            "objets": ["meubles"], "volume_m3": 1, "nom": nom,
            "adresse": {"rue": "Rue de la Libération", "commune": "marmande"},
            "date_souhaitee": "2026-03-17", "telephone": telephone,
        })
    };
    // Claire's e-mail address, in two cases, on two forms.
    let (mail_upper, _) = file(
        &app,
        "signalement-voirie",
        pothole(json!({"nom": "Claire Martin", "email": "Claire.Martin@Example.org"})),
    )
    .await;
    let (mail_lower, _) = file_bin_request(&app, "marmande").await;
    // Claire's phone number, in three formats, one of them nested in no special field.
    let (phone_spaces, _) = file(
        &app,
        "encombrants",
        bulky("06 12 34 56 78", "Claire Martin"),
    )
    .await;
    let (phone_plus, _) = file(&app, "encombrants", bulky("+33 6 12 34 56 78", "C. Martin")).await;
    let (phone_dots, _) = file(
        &app,
        "signalement-voirie",
        pothole(json!({"nom": "Claire Martin", "telephone": "06.12.34.56.78"})),
    )
    .await;
    // Someone else: another address, a number one digit away.
    let (stranger, _) = file(
        &app,
        "signalement-voirie",
        pothole(json!({"nom": "Paul Durand", "email": "paul.durand@example.org", "telephone": "06 12 34 56 79"})),
    )
    .await;
    // An élu files for Claire and notes her contact in words.
    let elu = login(&app, "elu@vdg.example.org").await;
    let (status, page) = elu
        .post(
            &app,
            "/bureau/elu/demarches/remplacement-bac",
            &[
                ("motif", "taille"),
                ("type_bac", "tri-selectif"),
                ("nombre_residents", "2"),
                ("nom", "Famille Martin"),
                ("adresse.rue", "Rue Gambetta"),
                ("adresse.commune", "marmande"),
                ("_channel", "phone"),
                (
                    "_contact",
                    "Claire, claire.martin@example.org ou 06 12 34 56 78 le soir",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let by_elu = page
        .split("/bureau/demandes/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    let admin = login(&app, "admin@vdg.example.org").await;
    let (status, home) = admin.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("href=\"/bureau/donnees-personnelles\""));

    let (status, page) = admin
        .get(
            &app,
            "/bureau/donnees-personnelles?q=CLAIRE.martin%40example.ORG",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected: BTreeSet<String> = [&mail_upper, &mail_lower, &by_elu]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(listed(&page), expected, "{page}");
    assert!(page.contains("« Adresse e-mail »"));
    assert!(page.contains("contact du demandeur"));

    let (status, page) = admin
        .get(
            &app,
            "/bureau/donnees-personnelles?q=%2B33%206%2012%2034%2056%2078",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected: BTreeSet<String> = [&phone_spaces, &phone_plus, &phone_dots, &by_elu]
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(listed(&page), expected, "{page}");
    assert!(!page.contains(&stranger));
    assert!(page.contains("« Téléphone »"));

    // The export holds them all, whole: answers, contact, every event.
    let response = app
        .client
        .get(app.url("/bureau/donnees-personnelles/export.json?q=06.12.34.56.78"))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["count"], 4);
    assert_eq!(export["query"]["kind"], "phone");
    let exported: BTreeSet<String> = export["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(exported, expected);
    let elus = export["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == by_elu.as_str())
        .unwrap();
    assert_eq!(
        elus["citizen_contact"],
        "Claire, claire.martin@example.org ou 06 12 34 56 78 le soir"
    );
    assert_eq!(elus["matched"]["citizen_contact"], true);
    assert_eq!(elus["events"][0]["kind"], "submitted");
    assert_eq!(elus["data"]["nom"], "Famille Martin");
    let spaces = export["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == phone_spaces.as_str())
        .unwrap();
    assert_eq!(spaces["matched"]["answers"], json!(["/telephone"]));
    assert!(
        spaces["answers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["label"] == "Téléphone" && a["value"] == "06 12 34 56 78")
    );

    // Search and export are access records of every request they showed.
    assert_eq!(
        records_of(&app, &phone_plus).await,
        [
            (
                "admin@vdg.example.org".to_owned(),
                "admin".to_owned(),
                "subject_export".to_owned()
            ),
            (
                "admin@vdg.example.org".to_owned(),
                "admin".to_owned(),
                "subject_search".to_owned()
            ),
        ]
    );
    assert!(records_of(&app, &stranger).await.is_empty());

    // Input that is neither: a French message, not an empty list.
    for bad in ["abc", "claire@", "12"] {
        let (status, page) = admin
            .get(&app, &format!("/bureau/donnees-personnelles?q={bad}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(page.contains("error-summary"), "{page}");
        assert!(listed(&page).is_empty());
    }
    let (status, page) = admin
        .get(&app, "/bureau/donnees-personnelles/export.json?q=abc")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("ni une adresse électronique ni un numéro de téléphone"),
        "{page}"
    );

    // Agents and élus are refused, search and export alike.
    let agent = login(&app, "agent@vdg.example.org").await;
    for who in [&agent, &elu] {
        for path in [
            "/bureau/donnees-personnelles?q=claire.martin%40example.org",
            "/bureau/donnees-personnelles/export.json?q=claire.martin%40example.org",
        ] {
            let (status, page) = who.get(&app, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(!page.contains(&mail_lower));
        }
    }
}

#[tokio::test]
async fn every_staff_view_is_recorded_and_only_admins_read_the_records() {
    let app = spawn_app().await;
    let agent_account = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let (other, _) = file_bin_request(&app, "tonneins").await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let agent_line = |view: &str| {
        (
            "agent@vdg.example.org".to_owned(),
            "agent".to_owned(),
            view.to_owned(),
        )
    };

    let (status, _) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(records_of(&app, &reference).await, [agent_line("page")]);

    let token = api_token(&app, &agent_account).await;
    let (status, body) = api(
        &app,
        &token,
        Method::GET,
        &format!("/requests/{reference}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        records_of(&app, &reference).await,
        [agent_line("api"), agent_line("page")]
    );

    // A queue's export: one record per request in it.
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    let (status, _) = agent
        .get(&app, &format!("/bureau/files/{}/export.csv", stored.queue))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        records_of(&app, &reference).await,
        [
            agent_line("export_csv"),
            agent_line("api"),
            agent_line("page")
        ]
    );
    assert_eq!(records_of(&app, &other).await, [agent_line("export_csv")]);

    // The admin reads them, newest first; the agent may not.
    let admin = login(&app, "admin@vdg.example.org").await;
    let (status, page) = admin
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("href=\"/bureau/demandes/{reference}/acces\"")));
    let (status, page) = admin
        .get(&app, &format!("/bureau/demandes/{reference}/acces"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let order: Vec<usize> = [
        "administrateur</td><td>page de la demande", // the admin's own look, newest
        "export tableur d&#39;une file",
        "lecture par l&#39;API",
        "agent</td><td>page de la demande",
    ]
    .iter()
    .map(|needle| {
        page.find(needle)
            .or_else(|| page.find(&needle.replace("&#39;", "&#x27;")))
            .unwrap_or_else(|| panic!("{needle} not in {page}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{page}");
    assert!(page.contains("agent@vdg.example.org"));
    assert!(page.contains("admin@vdg.example.org"));
    let (status, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}/acces"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("lecture par l"));
    assert!(!page.contains(&format!("href=\"/bureau/demandes/{reference}/acces\"")));

    // Records past their keep time go.
    let forgotten = app
        .store
        .forget_access_records(time::OffsetDateTime::now_utc() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(forgotten, 5);
    assert!(records_of(&app, &reference).await.is_empty());
}

#[tokio::test]
async fn without_its_access_record_no_personal_data_is_shown() {
    let app = spawn_app().await;
    let account = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let token = api_token(&app, &account).await;

    app.execute_sql("ALTER TABLE access_records RENAME TO access_records_away")
        .await;
    let (status, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("journal des accès"), "{page}");
    assert!(!page.contains("Claire Martin"));
    let (status, body) = api(
        &app,
        &token,
        Method::GET,
        &format!("/requests/{reference}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!body.to_string().contains("Claire Martin"));
    assert!(common::first_error(&body).contains("journal des accès"));

    app.execute_sql("ALTER TABLE access_records_away RENAME TO access_records")
        .await;
    let (status, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Claire Martin"));
}

/// An élu of Marmande files one request; a citizen of Marmande files another.
async fn two_requests_in_marmande(app: &TestApp) -> (String, String) {
    let elu = login(app, "elu@vdg.example.org").await;
    let (status, page) = elu
        .post(
            app,
            "/bureau/elu/demarches/remplacement-bac",
            &[
                ("motif", "taille"),
                ("type_bac", "tri-selectif"),
                ("nombre_residents", "2"),
                ("nom", "Famille Garcia"),
                ("adresse.rue", "Chemin des Vignes"),
                ("adresse.commune", "marmande"),
                ("email", "garcia@example.org"),
                ("_channel", "phone"),
                ("_contact", "05 53 11 22 33"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let own = page
        .split("/bureau/demandes/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (citizens, _) = file_bin_request(app, "marmande").await;
    (own, citizens)
}

#[tokio::test]
async fn an_elu_sees_the_contact_of_their_own_filings_only() {
    let app = spawn_app().await;
    let elu_account = add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (own, citizens) = two_requests_in_marmande(&app).await;
    let elu = login(&app, "elu@vdg.example.org").await;

    let (status, page) = elu.get(&app, &format!("/bureau/demandes/{own}")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "Famille Garcia",
        "garcia@example.org",
        "05 53 11 22 33",
        "Chemin des Vignes",
    ] {
        assert!(page.contains(shown), "{shown}");
    }
    assert!(!page.contains("masquées"));

    let (status, page) = elu.get(&app, &format!("/bureau/demandes/{citizens}")).await;
    assert_eq!(status, StatusCode::OK);
    for hidden in [
        "Claire Martin",
        "claire.martin@example.org",
        "Rue de la Libération",
    ] {
        assert!(!page.contains(hidden), "{hidden} shown to the élu");
    }
    assert!(page.contains("masqué"));
    assert!(page.contains("Coordonnées du demandeur masquées"));
    // What is not contact data stays: the request itself.
    assert!(page.contains("Sa taille ne convient plus"));
    assert!(page.contains("Marmande"));
    assert_eq!(
        records_of(&app, &citizens).await,
        [(
            "elu@vdg.example.org".to_owned(),
            "elu".to_owned(),
            "page".to_owned()
        )]
    );

    // The API, the same way.
    let token = api_token(&app, &elu_account).await;
    let (status, body) = api(
        &app,
        &token,
        Method::GET,
        &format!("/requests/{citizens}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["nom"], "masqué");
    assert_eq!(body["data"]["email"], "masqué");
    assert_eq!(body["data"]["adresse"]["rue"], "masqué");
    assert_eq!(body["data"]["adresse"]["commune"], "marmande");
    assert_eq!(body["data"]["motif"], "taille");
    assert!(
        body["contact_masked"]
            .as_str()
            .unwrap()
            .contains("masquées")
    );
    assert!(!body.to_string().contains("Claire"));
    let (_, body) = api(&app, &token, Method::GET, &format!("/requests/{own}"), None).await;
    assert_eq!(body["data"]["nom"], "Famille Garcia");
    assert_eq!(body["citizen_contact"], "05 53 11 22 33");
    assert_eq!(body["contact_masked"], Value::Null);

    // Agents are unchanged.
    let agent = login(&app, "agent@vdg.example.org").await;
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{citizens}"))
        .await;
    assert!(page.contains("Claire Martin"));
    assert!(page.contains("claire.martin@example.org"));
    assert!(!page.contains("masquées"));

    // What is stored is untouched: masking is a view.
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&citizens).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.data["nom"], "Claire Martin");
}

#[tokio::test]
async fn a_territory_can_show_elus_the_contacts_of_their_communes() {
    let catalogue = catalogue_copy(&repo_root(), &[]);
    let territory = catalogue.path().join("territory.toml");
    let mut text = std::fs::read_to_string(&territory).unwrap();
    text.push_str("\n[elus]\nsee_contact = \"communes\"\n");
    std::fs::write(&territory, &text).unwrap();
    let app = spawn_app_with(catalogue.path()).await;
    let elu_account = add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let (_, citizens) = two_requests_in_marmande(&app).await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let (status, page) = elu.get(&app, &format!("/bureau/demandes/{citizens}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Claire Martin"));
    assert!(page.contains("claire.martin@example.org"));
    assert!(!page.contains("masquées"));
    let token = api_token(&app, &elu_account).await;
    let (_, body) = api(
        &app,
        &token,
        Method::GET,
        &format!("/requests/{citizens}"),
        None,
    )
    .await;
    assert_eq!(body["data"]["nom"], "Claire Martin");

    // Any other value is refused, with the values it may take.
    let bad = text.replace("see_contact = \"communes\"", "see_contact = \"tous\"");
    std::fs::write(&territory, bad).unwrap();
    let output = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("territory.toml"), "{said}");
    assert!(
        said.contains("`own`") && said.contains("`communes`"),
        "{said}"
    );
}

/// The admins' outbox page shows the citizen's address of an e-mail that failed: listing it
/// is a look at that request's personal data, recorded like the request page.
#[tokio::test]
async fn the_outbox_page_records_a_look_at_each_citizen_address_it_shows() {
    // Nothing listens on port 1: every e-mail fails and, after its attempts, is dead.
    let app = spawn_app_configured(&repo_root(), |config| {
        config.dispatch.mail_url = "smtp://127.0.0.1:1".into();
        config.dispatch.outbox_max_attempts = 1;
    })
    .await;
    add_user(&app, "admin@vdg.example.org", Role::Admin, &[], &[]).await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let started = std::time::Instant::now();
    loop {
        let dead = app.store.list_outbox(&["dead"], 50).await.unwrap();
        if dead.iter().any(|m| m.target == "claire.martin@example.org") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the receipt never failed: {dead:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(records_of(&app, &reference).await.is_empty());

    let admin = login(&app, "admin@vdg.example.org").await;
    let (status, page) = admin.get(&app, "/bureau/admin/envois").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("claire.martin@example.org"), "{page}");
    assert_eq!(
        records_of(&app, &reference).await,
        vec![(
            "admin@vdg.example.org".to_owned(),
            "admin".to_owned(),
            "outbox".to_owned()
        )]
    );
}
