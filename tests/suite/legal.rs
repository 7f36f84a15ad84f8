//! The privacy notice and the legal pages, through the running server: every public page
//! links to the four legal pages, each answers with its content from territory.toml, each
//! form shows its notice before the first question and again before sending, and `guichet
//! check` reports what a DPO needs and is missing.

use crate::common;

use common::staff::file_bin_request;
use common::{TestApp, catalogue_copy, fixture, guichet, repo_root, spawn_app, spawn_app_with};
use reqwest::StatusCode;

const LEGAL_LINKS: [&str; 4] = [
    "/mentions-legales",
    "/donnees-personnelles",
    "/accessibilite",
    "/plan-du-site",
];

/// GETs a page: (status, body).
async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The review page of a valid bin request, as a browser posts the form.
async fn review_page(app: &TestApp) -> (StatusCode, String) {
    let response = app
        .client
        .post(app.url("/demarches/remplacement-bac"))
        .form(&[
            ("_action", "review"),
            ("motif", "vole"),
            ("type_bac", "ordures-menageres"),
            ("nombre_residents", "4"),
            ("nom", "Claire Martin"),
            ("adresse.rue", "Rue de la Libération"),
            ("adresse.commune", "marmande"),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The footer's four links, in order, inside the page's footer.
fn assert_footer_links(page: &str, what: &str) {
    let footer = page
        .split("<footer")
        .nth(1)
        .unwrap_or_else(|| panic!("{what} has no footer:\n{page}"));
    let mut from = 0;
    for link in LEGAL_LINKS {
        let at = footer[from..]
            .find(&format!("<a href=\"{link}\">"))
            .unwrap_or_else(|| panic!("{what}'s footer has no link to {link}:\n{footer}"));
        from += at;
    }
}

fn assert_has(page: &str, what: &str, expected: &[&str]) {
    for text in expected {
        assert!(page.contains(text), "{what} lacks « {text} »:\n{page}");
    }
}

#[tokio::test]
async fn every_public_page_kind_links_to_the_four_legal_pages() {
    let app = spawn_app().await;
    let (_, token) = file_bin_request(&app, "marmande").await;
    let pages = [
        ("the portal", "/".to_owned(), StatusCode::OK),
        (
            "a form",
            "/demarches/remplacement-bac".to_owned(),
            StatusCode::OK,
        ),
        ("a commune", "/communes/marmande".to_owned(), StatusCode::OK),
        ("the lookup", "/suivi".to_owned(), StatusCode::OK),
        ("a tracking page", format!("/suivi/{token}"), StatusCode::OK),
        ("a 404", "/nulle-part".to_owned(), StatusCode::NOT_FOUND),
        (
            "an unknown form",
            "/demarches/inconnue".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (what, path, expected) in pages {
        let (status, page) = get(&app, &path).await;
        assert_eq!(status, expected, "{what} ({path})");
        assert_footer_links(&page, what);
    }
    let (status, review) = review_page(&app).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_footer_links(&review, "the review page");
    for link in LEGAL_LINKS {
        let (status, page) = get(&app, link).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert_footer_links(&page, link);
    }
}

#[tokio::test]
async fn the_legal_pages_say_what_territory_toml_says() {
    let app = spawn_app().await;
    let (_, notice) = get(&app, "/mentions-legales").await;
    assert_has(
        &notice,
        "the mentions légales",
        &[
            "<h1>Mentions légales</h1>",
            "Val de Garonne Agglomération",
            "Le président de Val de Garonne Agglomération (démonstration)",
            "Hébergeur de démonstration SAS",
            "1 rue de l&#39;Exemple, 75000 Paris",
        ],
    );
    assert!(!notice.contains("non renseigné"), "{notice}");

    let (_, data) = get(&app, "/donnees-personnelles").await;
    assert_has(
        &data,
        "the personal data page",
        &[
            "<h1>Données personnelles</h1>",
            "dpo@val-de-garonne.example.org",
            "Maison du Développement",
            // Every citizen form, with its purpose, basis, recipients and retention.
            r#"id="remplacement-bac""#,
            "Remplacer un bac de collecte",
            "vous livrer le nouveau bac",
            "article L2224-13",
            "730 jours (≈ 24 mois) après la clôture de la demande",
            r#"id="signalement-voirie""#,
            "1095 jours (≈ 36 mois)",
            "Voirie et éclairage public\u{a0}; les élus de la commune concernée par votre demande",
            r#"id="contact-mairie""#,
            "les services de votre mairie\u{a0}; les élus de votre commune",
            r#"id="encombrants""#,
            // The rights, and where to complain.
            "Télécharger mes données",
            "CNIL",
            "www.cnil.fr/fr/plaintes",
        ],
    );

    let (_, a11y) = get(&app, "/accessibilite").await;
    assert_has(
        &a11y,
        "the accessibility statement",
        &[
            "<h1>Déclaration d'accessibilité</h1>",
            "<strong>partiellement conforme</strong>",
            "RGAA",
            "4.1",
            "15 juin 2026",
            "82,5 % des critères",
            "critère 1.1",
            "accessibilite@val-de-garonne.example.org",
            "30 juin 2026",
            "Défenseur des droits",
            "Libre réponse 71120",
        ],
    );

    let (_, map) = get(&app, "/plan-du-site").await;
    assert_has(
        &map,
        "the site map",
        &[
            r#"<a href="/">"#,
            r#"<a href="/demarches/remplacement-bac">Remplacer un bac de collecte</a>"#,
            r#"<a href="/demarches/signalement-voirie">"#,
            r#"<a href="/demarches/contact-mairie">"#,
            r#"<a href="/demarches/encombrants">"#,
            r#"<a href="/communes/marmande">Marmande</a>"#,
            r#"<a href="/communes/virazeil">Virazeil</a>"#,
            "https://www.service-public.fr/particuliers/vosdroits/F1341",
            r#"<a href="/suivi">"#,
            r#"<a href="/mentions-legales">Mentions légales</a>"#,
            r#"<a href="/accessibilite">Accessibilité</a>"#,
        ],
    );
}

/// The notice section of a page, from its heading to the end of its section.
fn notice_of(page: &str) -> &str {
    let start = page
        .find("Vos données personnelles")
        .unwrap_or_else(|| panic!("no privacy notice:\n{page}"));
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn each_form_shows_its_notice_before_the_first_question_and_on_the_review_page() {
    let app = spawn_app().await;
    let (_, form) = get(&app, "/demarches/remplacement-bac").await;
    let notice = form.find("Vos données personnelles").expect("a notice");
    let first_question = form.find(r#"class="field"#).expect("a question");
    let form_start = form.find("<form method=\"post\"").expect("a form");
    assert!(
        notice < first_question && notice < form_start,
        "the notice comes after the questions:\n{form}"
    );
    let bin = notice_of(&form);
    assert_has(
        bin,
        "the bin form's notice",
        &[
            "vous livrer le nouveau bac",
            "Val de Garonne Agglomération",
            // The form's own legal basis, over the territory's.
            "article L2224-13",
            "Environnement et déchets\u{a0}; les élus de la commune concernée par votre demande",
            "730 jours (≈ 24 mois) après la clôture de la demande",
            "dpo@val-de-garonne.example.org",
            r##"<a href="/donnees-personnelles#remplacement-bac">"##,
        ],
    );

    // A form without its own basis shows the territory's.
    let (_, roads) = get(&app, "/demarches/signalement-voirie").await;
    let roads = notice_of(&roads);
    assert_has(
        roads,
        "the road form's notice",
        &[
            "Traiter votre signalement sur la voirie",
            "exécution d&#39;une mission d&#39;intérêt public (article 6-1-e du RGPD)</li>",
            "1095 jours (≈ 36 mois)",
        ],
    );
    assert!(!roads.contains("L2224-13"), "{roads}");

    // The review page shows it again, before the button that sends.
    let (status, review) = review_page(&app).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let at = review.find("Vos données personnelles").expect("a notice");
    assert!(at < review.find("Envoyer ma demande").unwrap());
    assert_has(
        notice_of(&review),
        "the review page's notice",
        &[
            "vous livrer le nouveau bac",
            "article L2224-13",
            "730 jours",
        ],
    );
}

/// A territory that says nothing, and a form without a purpose: the pages render, honestly.
#[tokio::test]
async fn without_mentions_the_pages_render_and_say_non_renseigne() {
    let dir = catalogue_copy(&fixture("minimal"), &[]);
    edit(
        dir.path(),
        "form-definitions/demande.json",
        r#""privacy": {"purpose": "Traiter votre signalement et vous informer de sa suite."},"#,
        "",
    );
    let app = spawn_app_with(dir.path()).await;
    let (status, notice) = get(&app, "/mentions-legales").await;
    assert_eq!(status, StatusCode::OK);
    assert_has(
        &notice,
        "the mentions légales",
        &["Territoire de test", "non renseigné"],
    );
    let (_, a11y) = get(&app, "/accessibilite").await;
    assert_has(
        &a11y,
        "the accessibility statement",
        &[
            "<strong>non conforme</strong>",
            "Aucun audit de conformité",
            "Défenseur des droits",
        ],
    );
    let (_, form) = get(&app, "/demarches/demande").await;
    assert_has(
        notice_of(&form),
        "a form without a purpose",
        &[
            "Traiter votre demande « Signaler un problème » et vous répondre.",
            "article 6-1-e du RGPD",
            "365 jours (≈ 12 mois)",
            "non renseigné",
        ],
    );
    let (_, data) = get(&app, "/donnees-personnelles").await;
    assert_has(&data, "the personal data page", &["Signaler un problème"]);
    // A staff-only form collects no citizen's data through the portal.
    let (_, map) = get(&app, "/plan-du-site").await;
    assert!(!map.contains("/demarches/interne"), "{map}");
}

/// Runs `guichet check DIR`: (success, stdout).
fn check(dir: &std::path::Path) -> (bool, String) {
    let output = guichet().arg("check").arg(dir).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// Replaces `from` by `to` in a catalogue file, which must hold it.
fn edit(dir: &std::path::Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no « {from} »");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn check_warns_of_a_form_without_a_purpose() {
    let dir = catalogue_copy(&repo_root(), &[]);
    edit(
        dir.path(),
        "form-definitions/encombrants.json",
        r#""purpose": "Organiser l'enlèvement de vos encombrants à votre domicile et vous en communiquer la date.""#,
        r#""legal_basis": "exécution d'une mission d'intérêt public""#,
    );
    let (ok, out) = check(dir.path());
    assert!(ok, "a missing purpose is a warning, not an error:\n{out}");
    let warning = out
        .lines()
        .find(|l| l.contains("encombrants.json"))
        .unwrap_or_else(|| panic!("no warning for the form:\n{out}"));
    assert!(
        warning.starts_with("form-definitions/encombrants.json:")
            && warning
                .contains("at /x-guichet/privacy/purpose: warning: the form states no purpose"),
        "{warning}"
    );
    // The edit also leaves the purpose's English without its French and the new legal
    // basis without its English: translation warnings (`english::`), not counted here.
    let others = out.lines().filter(|l| !l.contains("i18n")).count();
    assert_eq!(others, 1, "{out}");
}

#[test]
fn check_reports_a_bad_privacy_value_by_its_key() {
    let cases = [
        (
            r#""purpose": 42"#,
            "at /x-guichet/privacy/purpose: `purpose` must be a text",
        ),
        (
            r#""purpos": "Livrer un bac.""#,
            "at /x-guichet/privacy/purpos: unknown key `purpos` in privacy (the keys are purpose, legal_basis, recipients)",
        ),
        (
            r#""purpose": "Livrer un bac.", "recipients": "la voirie""#,
            "at /x-guichet/privacy/recipients: `recipients` must be a non-empty list of texts",
        ),
    ];
    for (privacy, expected) in cases {
        let dir = catalogue_copy(&repo_root(), &[]);
        edit(
            dir.path(),
            "form-definitions/signalement-voirie.json",
            r#""purpose": "Traiter votre signalement sur la voirie ou l'éclairage public, intervenir sur place et vous informer de la suite donnée.""#,
            privacy,
        );
        let (ok, out) = check(dir.path());
        assert!(!ok, "{privacy}: {out}");
        assert!(
            out.contains("form-definitions/signalement-voirie.json:") && out.contains(expected),
            "{privacy}:\n{out}"
        );
    }
    // Not an object at all.
    let dir = catalogue_copy(&repo_root(), &[]);
    let path = dir.path().join("form-definitions/signalement-voirie.json");
    let mut form: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    form["x-guichet"]["privacy"] = "pour traiter la demande".into();
    std::fs::write(&path, form.to_string()).unwrap();
    let (ok, out) = check(dir.path());
    assert!(!ok);
    assert!(
        out.contains("at /x-guichet/privacy: `privacy` must be an object"),
        "{out}"
    );
}

#[test]
fn check_warns_of_missing_legal_mentions_and_refuses_wrong_ones() {
    // The minimal territory says nothing: warnings, exit code zero.
    let (ok, out) = check(&fixture("minimal"));
    assert!(ok, "{out}");
    for pointer in [
        "territory.toml: at /privacy/dpo_email: warning: the DPO's contact",
        "at /legal/host: warning: the host",
        "at /legal/publication_director: warning:",
        "at /legal/accessibility/contact: warning:",
    ] {
        assert!(out.contains(pointer), "« {pointer} » in:\n{out}");
    }
    assert!(
        !out.contains("demande.json"),
        "its form states its purpose:\n{out}"
    );
    // A staff-only form shows no notice and is not warned of.
    assert!(!out.contains("interne.json"), "{out}");

    // Wrong values are errors, located in the file.
    let cases = [
        (
            "status = \"partiellement conforme\"",
            "status = \"presque conforme\"",
            "territory.toml:",
        ),
        ("audit_rate = 82.5", "audit_rate = 182.5", "from 0 to 100"),
        (
            "audit_date = \"2026-06-15\"",
            "audit_date = \"15/06/2026\"",
            "at /legal/accessibility/audit_date: « 15/06/2026 » is not a date",
        ),
        (
            "dpo_email = \"dpo@val-de-garonne.example.org\"",
            "dpo_email = \"dpo\"",
            "at /privacy/dpo_email: « dpo » is not an e-mail address",
        ),
    ];
    for (from, to, expected) in cases {
        let dir = catalogue_copy(&repo_root(), &[]);
        edit(dir.path(), "territory.toml", from, to);
        let (ok, out) = check(dir.path());
        assert!(!ok, "{to}: {out}");
        assert!(out.contains(expected), "{to}:\n{out}");
    }
}

/// The builder's check tells a designer whose form states no purpose, without blocking them.
#[tokio::test]
async fn the_builder_asks_the_designer_for_the_purpose() {
    use common::staff::{add_user, login};
    let app = spawn_app().await;
    add_user(
        &app,
        "design@agglo.example.org",
        guichet::domain::Role::Designer,
        &["environnement"],
        &[],
    )
    .await;
    let designer = login(&app, "design@agglo.example.org").await;
    let published =
        std::fs::read_to_string(repo_root().join("form-definitions/encombrants.json")).unwrap();
    let rule = std::fs::read_to_string(repo_root().join("rules/encombrants.rhai")).unwrap();
    let mut definition: serde_json::Value = serde_json::from_str(&published).unwrap();
    let check = async |definition: &serde_json::Value| {
        let text = serde_json::to_string_pretty(definition).unwrap();
        let (status, page) = designer
            .post(
                &app,
                "/bureau/atelier/encombrants",
                &[
                    ("_action", "check"),
                    ("definition", &text),
                    ("rule_source", &rule),
                ],
            )
            .await;
        (status, common::uploads::html_unescape(&page))
    };
    let (status, page) = check(&definition).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Aucun problème : le formulaire peut être publié."),
        "{page}"
    );

    definition["x-guichet"]
        .as_object_mut()
        .unwrap()
        .remove("privacy");
    let (status, page) = check(&definition).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Aucun problème bloquant : le formulaire peut être publié. Indiquez toutefois la finalité"),
        "{page}"
    );
}
