//! The form builder over HTTP, as the Environment service's designer uses it: build the
//! bin-replacement form from nothing, test its rule, publish it (a git commit with the
//! designer as author), file it as a citizen, add a field and publish again; a dry run over
//! a seeded history; a publish that does not compile; a catalogue outside git.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::staff::{Browser, add_user, login};
use common::uploads::html_unescape;
use common::{TestApp, catalogue_copy, guichet, repo_root, spawn_app_with};
use guichet::domain::{Reference, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

const FORM: &str = "remplacement-bac";
const EDITOR: &str = "/bureau/atelier/remplacement-bac";

/// The demo catalogue without its bin form, in a git repository of its own.
fn catalogue_without_the_bin_form(in_git: bool) -> tempfile::TempDir {
    let dir = catalogue_copy(&repo_root(), &[]);
    std::fs::remove_file(dir.path().join("form-definitions/remplacement-bac.json")).unwrap();
    std::fs::remove_file(dir.path().join("rules/remplacement-bac.rhai")).unwrap();
    if in_git {
        git(dir.path(), &["init", "--quiet"]);
        git(dir.path(), &["add", "."]);
        git(
            dir.path(),
            &[
                "-c",
                "user.name=Admin",
                "-c",
                "user.email=admin@agglo.example.org",
                "commit",
                "--quiet",
                "-m",
                "Catalogue initial",
            ],
        );
    }
    dir
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The first version: why, how many people, the commune, an optional e-mail.
fn definition_v1() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Remplacer un bac de collecte",
        "description": "Bac cassé, volé ou devenu trop petit : demandez-en un nouveau.",
        "type": "object",
        "additionalProperties": false,
        "x-guichet": {
            "service": "environnement",
            "rule": "remplacement-bac",
            "commune_field": "/commune",
            "cases": [
                {"name": "bac cassé", "data": {"motif": "casse", "nombre_residents": 3, "commune": "marmande"},
                 "expect": {"valid": true, "queue": "dechets-bacs"}}
            ]
        },
        "properties": {
            "motif": {"type": "string", "title": "Pourquoi demandez-vous un nouveau bac ?", "oneOf": [
                {"const": "casse", "title": "Il est cassé"},
                {"const": "vole", "title": "Il a été volé"},
                {"const": "taille", "title": "Sa taille ne convient plus"}
            ]},
            "nombre_residents": {"type": "integer", "title": "Nombre de personnes dans le foyer", "minimum": 1, "maximum": 20},
            "commune": {"type": "string", "title": "Commune", "x-widget": "commune"},
            "email": {"type": "string", "format": "email", "title": "Adresse e-mail", "maxLength": 254}
        },
        "required": ["motif", "nombre_residents", "commune"],
        "examples": [{"motif": "casse", "nombre_residents": 4, "commune": "marmande"}]
    })
}

/// The second version adds the old bin's number, required only when the bin is broken.
fn definition_v2() -> Value {
    let mut definition = definition_v1();
    definition["properties"]["numero_bac"] = json!({
        "type": "string", "title": "Numéro du bac", "pattern": "^[0-9]{6,10}$",
        "x-pattern-message": "Saisissez les 6 à 10 chiffres imprimés sur le bac."
    });
    definition["allOf"] = json!([{
        "if": {"properties": {"motif": {"const": "casse"}}, "required": ["motif"]},
        "then": {"required": ["numero_bac"]}
    }]);
    definition["x-guichet"]["cases"][0]["data"]["numero_bac"] = json!("00123456");
    definition["examples"][0]["numero_bac"] = json!("00123456");
    definition
}

const RULE_V1: &str = r#"// Every bin request goes to the bins crew; the household's size is the reason.
let reason = "Foyer de " + data.nombre_residents + " personne(s)";
#{ queue: "dechets-bacs", reason: reason }
"#;

/// Posts an editor action with the definition and the rule.
async fn editor(
    app: &TestApp,
    designer: &Browser,
    action: &str,
    definition: &Value,
    rule: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let definition = serde_json::to_string_pretty(definition).unwrap();
    let mut fields = vec![
        ("_action", action),
        ("definition", definition.as_str()),
        ("rule_source", rule),
    ];
    fields.extend_from_slice(extra);
    let (status, page) = designer.post(app, EDITOR, &fields).await;
    (status, html_unescape(&page))
}

async fn start(in_git: bool) -> (tempfile::TempDir, TestApp, Browser) {
    let catalogue = catalogue_without_the_bin_form(in_git);
    let app = spawn_app_with(catalogue.path()).await;
    add_user(
        &app,
        "design@agglo.example.org",
        Role::Designer,
        &["environnement"],
        &[],
    )
    .await;
    let designer = login(&app, "design@agglo.example.org").await;
    (catalogue, app, designer)
}

/// Creates the draft and publishes the first version.
async fn publish_v1(app: &TestApp, designer: &Browser) {
    let (status, _) = designer
        .post(
            app,
            "/bureau/atelier",
            &[("id", FORM), ("service", "environnement")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = editor(
        app,
        designer,
        "publish",
        &definition_v1(),
        RULE_V1,
        &[("message", "Formulaire de remplacement de bac")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Publié"), "{page}");
}

async fn file(app: &TestApp, data: Value) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{FORM}/submissions")))
        .json(&data)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// An agent of the Environment service, signed in.
async fn environment_agent(app: &TestApp) -> Browser {
    add_user(
        app,
        "agent@agglo.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    login(app, "agent@agglo.example.org").await
}

/// The agent's page of a request the API filed.
async fn request_page(app: &TestApp, agent: &Browser, created: &Value) -> (StatusCode, String) {
    let reference = created["reference"].as_str().unwrap();
    agent
        .get(app, &format!("/bureau/demandes/{reference}"))
        .await
}

#[tokio::test]
async fn a_designer_builds_tests_and_publishes_the_bin_form_then_adds_a_field() {
    let (catalogue, app, designer) = start(true).await;
    let (status, list) = designer.get(&app, "/bureau/atelier").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Nouveau formulaire"));

    let (status, _) = designer
        .post(
            &app,
            "/bureau/atelier",
            &[("id", FORM), ("service", "environnement")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = designer.get(&app, EDITOR).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("jamais publié"), "{page}");

    // A saved draft is kept, and not served.
    let (status, page) = editor(&app, &designer, "save", &definition_v1(), RULE_V1, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Brouillon enregistré"));
    let served = app
        .client
        .get(app.url(&format!("/demarches/{FORM}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.status(),
        StatusCode::NOT_FOUND,
        "a draft is not served"
    );
    let (_, page) = designer.get(&app, EDITOR).await;
    assert!(
        html_unescape(&page).contains("Foyer de"),
        "the draft comes back"
    );

    // The test panel: the rule's decision on an example.
    let example =
        json!({"motif": "vole", "nombre_residents": 6, "commune": "marmande"}).to_string();
    let (status, page) = editor(
        &app,
        &designer,
        "test",
        &definition_v1(),
        RULE_V1,
        &[("example", &example)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("(dechets-bacs)"), "{page}");
    assert!(page.contains("Foyer de 6 personne(s)"), "{page}");
    // An example the form refuses says why.
    let (status, page) = editor(
        &app,
        &designer,
        "test",
        &definition_v1(),
        RULE_V1,
        &[(
            "example",
            r#"{"motif": "casse", "nombre_residents": 40, "commune": "marmande"}"#,
        )],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("/nombre_residents"), "{page}");

    // Publish: a commit by the designer, a catalogue that passes `guichet check`, a form
    // citizens can file at once.
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v1(),
        RULE_V1,
        &[("message", "Formulaire de remplacement de bac")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Publié : le formulaire est en ligne (commit"),
        "{page}"
    );
    let last = git(catalogue.path(), &["log", "-1", "--format=%an|%ae|%s"]);
    assert_eq!(
        last.trim(),
        "design|design@agglo.example.org|Formulaire de remplacement de bac"
    );
    let committed = git(
        catalogue.path(),
        &["show", "--name-only", "--format=", "HEAD"],
    );
    assert_eq!(
        committed.lines().collect::<Vec<_>>(),
        [
            "form-definitions/remplacement-bac.json",
            "rules/remplacement-bac.rhai"
        ]
    );
    let check = guichet()
        .arg("check")
        .arg(catalogue.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let first = file(
        &app,
        json!({"motif": "taille", "nombre_residents": 2, "commune": "marmande"}),
    )
    .await;
    assert_eq!(first["queue"], "dechets-bacs");

    // Add the old bin's number, required only when the bin is broken; publish again.
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v2(),
        RULE_V1,
        &[("message", "Ajoute le numéro du bac cassé")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        git(catalogue.path(), &["log", "-1", "--format=%s"]).trim(),
        "Ajoute le numéro du bac cassé"
    );
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{FORM}/submissions")))
        .json(&json!({"motif": "casse", "nombre_residents": 3, "commune": "marmande"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the new rule is served"
    );
    let second = file(
        &app,
        json!({"motif": "casse", "numero_bac": "00123456", "nombre_residents": 3, "commune": "marmande"}),
    )
    .await;

    // Each request keeps the version it was filed under.
    let version_of = |created: &Value| {
        let app = &app;
        let reference = Reference::parse(created["reference"].as_str().unwrap()).unwrap();
        async move {
            app.store
                .request_by_reference(&reference)
                .await
                .unwrap()
                .unwrap()
                .form_version
        }
    };
    let (v1, v2) = (version_of(&first).await, version_of(&second).await);
    assert_ne!(v1, v2);
    let agent = environment_agent(&app).await;
    let (_, before) = request_page(&app, &agent, &first).await;
    let (_, after) = request_page(&app, &agent, &second).await;
    assert!(
        !before.contains("Numéro du bac"),
        "the first request shows its version"
    );
    assert!(
        after.contains("Numéro du bac"),
        "the second request shows its version"
    );

    // The history lists both versions with commit, author and message; they compare.
    let (_, page) = designer.get(&app, EDITOR).await;
    let page = html_unescape(&page);
    for fragment in [
        v1.as_str(),
        v2.as_str(),
        "Formulaire de remplacement de bac",
        "Ajoute le numéro du bac cassé",
        "design@agglo.example.org",
    ] {
        let shown = if fragment.len() == 16 {
            &fragment[..12]
        } else {
            fragment
        };
        assert!(page.contains(shown), "{shown} in the history:\n{page}");
    }
    let (status, diff) = designer
        .get(
            &app,
            &format!("{EDITOR}/comparer?de={}&a={}", v1.as_str(), v2.as_str()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let added = diff.split("<h3>Ajoutées</h3>").nth(1).unwrap_or_default();
    assert!(added.contains("Numéro du bac"), "{diff}");
    assert!(!diff.contains("Retirées"), "{diff}");
    assert!(
        diff.contains("La règle n&#39;a pas changé") || diff.contains("La règle n'a pas changé")
    );
}

#[tokio::test]
async fn a_dry_run_reports_exactly_the_requests_that_would_change_queue() {
    let (_catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;
    // A seeded history: newest last, 7 stolen bins among 15.
    let motifs = [
        "vole", "casse", "vole", "taille", "vole", "casse", "vole", "casse", "taille", "vole",
        "casse", "vole", "taille", "casse", "vole",
    ];
    for motif in motifs {
        file(
            &app,
            json!({"motif": motif, "nombre_residents": 3, "commune": "marmande"}),
        )
        .await;
    }
    let rule = r#"if data.motif == "vole" { #{ queue: "dechets-encombrants", reason: "Vol : tournée spéciale" } } else { "dechets-bacs" }
"#;
    let mut definition = definition_v1();
    definition["x-guichet"]["cases"][0]["expect"]["queue"] = json!("dechets-bacs");
    // A rule the pinned case disagrees with can still be tried (not published): the
    // decision comes back with the case to fix beside it.
    let (status, page) = editor(
        &app,
        &designer,
        "test",
        &definition,
        "\"dechets-encombrants\"\n",
        &[(
            "example",
            r#"{"motif": "vole", "nombre_residents": 3, "commune": "marmande"}"#,
        )],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("(dechets-encombrants)"), "{page}");
    assert!(page.contains("case « bac cassé »"), "{page}");
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition,
        "\"dechets-encombrants\"\n",
        &[("message", "Tout aux encombrants")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    let (status, page) = editor(
        &app,
        &designer,
        "dry_run",
        &definition,
        rule,
        &[("limit", "200")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(
            "Sur les 15 dernières demandes, <strong>7</strong> iraient dans une autre file"
        ),
        "{page}"
    );
    assert_eq!(
        page.matches("<td>dechets-encombrants</td>").count(),
        5,
        "five examples shown"
    );
    // Only the last 10: motifs[5..] holds 4 stolen bins.
    let (_, page) = editor(
        &app,
        &designer,
        "dry_run",
        &definition,
        rule,
        &[("limit", "10")],
    )
    .await;
    assert!(
        page.contains("Sur les 10 dernières demandes, <strong>4</strong>"),
        "{page}"
    );
    // A dry run publishes nothing.
    let served: Value = app.get_json(&format!("/api/v1/forms/{FORM}")).await;
    let example = json!({"motif": "vole", "nombre_residents": 3, "commune": "marmande"});
    assert_eq!(file(&app, example).await["queue"], "dechets-bacs");
    assert!(served["version"].is_string());
}

#[tokio::test]
async fn a_publish_whose_rule_does_not_compile_is_refused_and_nothing_is_written() {
    let (catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;
    let files = |dir: &Path| {
        (
            std::fs::read(dir.join("form-definitions/remplacement-bac.json")).unwrap(),
            std::fs::read(dir.join("rules/remplacement-bac.rhai")).unwrap(),
        )
    };
    let before = files(catalogue.path());
    let commits = git(catalogue.path(), &["rev-list", "--count", "HEAD"]);
    let served_before: Value = app.get_json(&format!("/api/v1/forms/{FORM}")).await;

    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v2(),
        "if data.motif == \"casse\" {\n  \"dechets-bacs\"\n",
        &[("message", "Règle cassée")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // In French for the designer, with Rhai's words kept as a detail.
    assert!(
        page.contains(
            "La règle ne se compile pas, ligne 3, colonne 1 (rules/remplacement-bac.rhai) : une accolade « { » ouverte plus haut n'est pas refermée : ajoutez « } »"
        ),
        "{page}"
    );
    assert!(
        page.contains("Détail : <code>Expecting ';' to terminate this statement</code>"),
        "{page}"
    );
    assert!(!page.contains("does not compile"), "{page}");
    assert!(page.contains("Rien n'a été publié"), "{page}");
    assert_eq!(files(catalogue.path()), before, "no file written");
    assert_eq!(
        git(catalogue.path(), &["rev-list", "--count", "HEAD"]),
        commits
    );
    let served_after: Value = app.get_json(&format!("/api/v1/forms/{FORM}")).await;
    assert_eq!(served_after["version"], served_before["version"]);
    // The same publish without a message, and other designers' reach.
    let (status, page) = editor(&app, &designer, "publish", &definition_v2(), RULE_V1, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Décrivez votre changement"));
    // Rewriting another service's rule through one's own form is refused.
    let mut hijack = definition_v1();
    hijack["x-guichet"]["rule"] = json!("signalement-voirie");
    let voirie_rule =
        std::fs::read(catalogue.path().join("rules/signalement-voirie.rhai")).unwrap();
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &hijack,
        "\"dechets-bacs\"",
        &[("message", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("d'un autre service"), "{page}");
    assert_eq!(
        std::fs::read(catalogue.path().join("rules/signalement-voirie.rhai")).unwrap(),
        voirie_rule
    );
    add_user(
        &app,
        "voirie@agglo.example.org",
        Role::Designer,
        &["voirie"],
        &[],
    )
    .await;
    let other = login(&app, "voirie@agglo.example.org").await;
    assert_eq!(other.get(&app, EDITOR).await.0, StatusCode::NOT_FOUND);
    let (status, _) = editor(
        &app,
        &other,
        "publish",
        &definition_v2(),
        RULE_V1,
        &[("message", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let agent = environment_agent(&app).await;
    assert_eq!(
        agent.get(&app, "/bureau/atelier").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn outside_git_publishing_writes_the_files_and_says_so() {
    let (catalogue, app, designer) = start(false).await;
    let (status, _) = designer
        .post(
            &app,
            "/bureau/atelier",
            &[("id", FORM), ("service", "environnement")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v1(),
        RULE_V1,
        &[("message", "Premier jet")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("n'est pas un dépôt git"), "{page}");
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(
            catalogue
                .path()
                .join("form-definitions/remplacement-bac.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(written, definition_v1());
    file(
        &app,
        json!({"motif": "vole", "nombre_residents": 1, "commune": "marmande"}),
    )
    .await;
}

#[tokio::test]
async fn a_retired_form_leaves_the_portal_and_its_requests_stay_readable() {
    let (_catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;
    let filed = file(
        &app,
        json!({"motif": "vole", "nombre_residents": 2, "commune": "marmande"}),
    )
    .await;
    let mut retired = definition_v1();
    retired["x-guichet"]["retired"] = json!(true);
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &retired,
        RULE_V1,
        &[(
            "message",
            "Retire le formulaire : remplacé par la plateforme régionale",
        )],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for path in [
        format!("/demarches/{FORM}"),
        format!("/api/v1/forms/{FORM}"),
    ] {
        let response = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let response = app
        .client
        .post(app.url(&format!("/api/v1/forms/{FORM}/submissions")))
        .json(&json!({"motif": "vole", "nombre_residents": 2, "commune": "marmande"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        !app.get_text("/")
            .await
            .contains(&format!("/demarches/{FORM}"))
    );
    // Its requests keep their form, and the designer can still open it.
    let agent = environment_agent(&app).await;
    let (status, page) = request_page(&app, &agent, &filed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nombre de personnes dans le foyer"), "{page}");
    let (status, page) = designer.get(&app, EDITOR).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html_unescape(&page).contains("Retire le formulaire"));
}

/// An admin edits a file and commits it; on reload the new version joins the history with
/// the commit's author and subject.
#[tokio::test]
async fn edits_made_outside_the_builder_join_the_history_on_reload() {
    let catalogue = catalogue_without_the_bin_form(true);
    let data = tempfile::TempDir::new().unwrap();
    let database = common::test_database(data.path());
    // Reloaded by SIGHUP only: the folder watcher could catch the edited file before its
    // commit, and record the version without its author.
    let server = common::ServerProcess::start_with(
        catalogue.path(),
        &database,
        &["--catalogue-refresh-secs", "0"],
    );
    let path = catalogue
        .path()
        .join("form-definitions/contact-mairie.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut definition: Value = serde_json::from_str(&text).unwrap();
    definition["title"] = json!("Écrire à votre mairie");
    std::fs::write(&path, serde_json::to_string_pretty(&definition).unwrap()).unwrap();
    git(
        catalogue.path(),
        &[
            "-c",
            "user.name=Marie Admin",
            "-c",
            "user.email=marie@agglo.example.org",
            "commit",
            "--quiet",
            "-am",
            "Nouveau titre du formulaire de contact",
        ],
    );
    let head = git(catalogue.path(), &["rev-parse", "HEAD"])
        .trim()
        .to_owned();
    server.signal("HUP");
    let store = guichet::store::open(&guichet::config::DatabaseConfig {
        url: database,
        max_connections: 1,
    })
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let history = loop {
        let history = store.form_history("contact-mairie").await.unwrap();
        // A new version is recorded first, then given its commit's author (read from git):
        // wait for both.
        let authored = history
            .iter()
            .any(|v| v.title == "Écrire à votre mairie" && v.author.is_some());
        if (history.len() == 2 && authored) || std::time::Instant::now() > deadline {
            break history;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(history.len(), 2, "{history:?}");
    let newest = history
        .iter()
        .find(|v| v.title == "Écrire à votre mairie")
        .unwrap();
    assert_eq!(newest.author.as_deref(), Some("marie@agglo.example.org"));
    assert_eq!(
        newest.message.as_deref(),
        Some("Nouveau titre du formulaire de contact")
    );
    assert_eq!(newest.git_commit.as_deref(), Some(head.as_str()));
    let first = history
        .iter()
        .find(|v| v.title != "Écrire à votre mairie")
        .unwrap();
    assert_eq!(first.author.as_deref(), Some("admin@agglo.example.org"));
    server.stop();
}

#[tokio::test]
async fn a_stale_draft_cannot_undo_a_newer_publication() {
    let (_catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;
    let mut stale = definition_v1();
    stale["title"] = json!("Remplacer un bac (brouillon ancien)");
    let (status, _) = editor(&app, &designer, "save", &stale, RULE_V1, &[]).await;
    assert_eq!(status, StatusCode::OK);
    // Meanwhile an admin publishes the bin number.
    add_user(&app, "admin@agglo.example.org", Role::Admin, &[], &[]).await;
    let admin = login(&app, "admin@agglo.example.org").await;
    let (status, page) = editor(
        &app,
        &admin,
        "publish",
        &definition_v2(),
        RULE_V1,
        &[("message", "Numéro du bac")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &stale,
        RULE_V1,
        &[("message", "Nouveau titre")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("publié par quelqu'un d'autre"), "{page}");
    let served: Value = app.get_json(&format!("/api/v1/forms/{FORM}")).await;
    assert!(
        served.to_string().contains("numero_bac"),
        "the admin's version stays"
    );
}

#[tokio::test]
async fn a_failed_commit_or_a_control_character_publishes_nothing() {
    let (catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;
    let definition_file = catalogue
        .path()
        .join("form-definitions/remplacement-bac.json");
    let before = std::fs::read(&definition_file).unwrap();
    // A NUL escaped in the JSON text: refused by the checks, never stored.
    let mut with_nul = definition_v2();
    with_nul["title"] = json!("Remplacer\u{0} un bac");
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &with_nul,
        RULE_V1,
        &[("message", "x")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("control character"), "{page}");
    assert_eq!(std::fs::read(&definition_file).unwrap(), before);
    // A hook refuses the commit: the files are put back, nothing is staged, and the same
    // publication goes through once the hook is gone.
    let hook = catalogue.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'refusé par la relecture' >&2\nexit 1\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .unwrap();
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v2(),
        RULE_V1,
        &[("message", "Ajoute le numéro du bac")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("nothing was published"), "{page}");
    assert!(page.contains("refusé par la relecture"), "{page}");
    assert_eq!(std::fs::read(&definition_file).unwrap(), before);
    assert!(
        git(catalogue.path(), &["status", "--porcelain"])
            .trim()
            .is_empty()
    );
    std::fs::remove_file(&hook).unwrap();
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &definition_v2(),
        RULE_V1,
        &[("message", "Ajoute le numéro du bac")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        git(catalogue.path(), &["log", "-1", "--format=%s"]).trim(),
        "Ajoute le numéro du bac"
    );
}

/// Regression: the builder showed Rhai's English ("the rule does not compile: Expecting
/// ';'…") in the French interface, and "Sur les 1 dernières demandes". Compile errors, the
/// test panel's failures and the dry run's are explained in French, with Rhai's words kept
/// as a detail, and counts agree with their number.
#[tokio::test]
async fn rule_errors_are_explained_in_french_and_counts_agree() {
    let (_catalogue, app, designer) = start(true).await;
    publish_v1(&app, &designer).await;

    // Compile errors, from "check".
    let cases = [
        (
            "let foyer = data.nombre_residents\n\"dechets-bacs\"\n",
            "La règle ne se compile pas, ligne 2, colonne 1 (rules/remplacement-bac.rhai) : il manque un point-virgule « ; » entre deux instructions",
            "Expecting ';' to terminate this statement",
        ),
        (
            "if motif == \"vole\" { \"dechets-encombrants\" } else { \"dechets-bacs\" }\n",
            "La règle ne se compile pas, ligne 1, colonne 4 (rules/remplacement-bac.rhai) : « motif » n'existe pas : une règle lit data (les réponses, par exemple data.motif)",
            "Undefined variable: motif",
        ),
        (
            "#{ queue: \"dechets-bacs\", reason: \"Foyer }\n",
            "un texte entre guillemets n'est pas refermé",
            "Open string is not terminated",
        ),
    ];
    for (rule, french, rhai) in cases {
        let (status, page) = editor(&app, &designer, "check", &definition_v1(), rule, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rule}");
        assert!(page.contains(french), "{rule}: {page}");
        assert!(
            page.contains(&format!("Détail : <code>{rhai}")),
            "{rule}: {page}"
        );
        assert!(!page.contains("does not compile"), "{rule}: {page}");
    }

    // The test panel: a rule that fails while running, and a one-day deadline.
    let example = [(
        "example",
        r#"{"motif": "vole", "nombre_residents": 3, "commune": "marmande"}"#,
    )];
    let (status, page) = editor(
        &app,
        &designer,
        "test",
        &definition_v1(),
        "if data.motif == \"casse\" { \"dechets-bacs\" } else { trier(data.motif) }\n",
        &example,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("La règle a échoué, ligne 1, colonne 52 : la fonction « trier » n'existe pas, ou ne s'applique pas à un texte"),
        "{page}"
    );
    assert!(
        page.contains("Détail : <code>the rule failed: Function not found: trier"),
        "{page}"
    );
    let (_, page) = editor(
        &app,
        &designer,
        "test",
        &definition_v1(),
        "#{ queue: \"dechets-bacs\", due_in_days: 1 }\n",
        &example,
    )
    .await;
    assert!(page.contains("<dd>1 jour</dd>"), "{page}");

    // Dry runs: none, one, then several past requests.
    let (_, page) = editor(&app, &designer, "dry_run", &definition_v1(), RULE_V1, &[]).await;
    assert!(
        page.contains("Aucune demande n'a encore été déposée avec ce formulaire"),
        "{page}"
    );
    // One request in the crews' queue; a draft whose rule fails sends it to the default one.
    let mut elsewhere = definition_v1();
    elsewhere["x-guichet"]["cases"][0]["expect"]["queue"] = json!("dechets-encombrants");
    let (status, page) = editor(
        &app,
        &designer,
        "publish",
        &elsewhere,
        "\"dechets-encombrants\"\n",
        &[("message", "Tout aux encombrants")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    file(
        &app,
        json!({"motif": "vole", "nombre_residents": 3, "commune": "marmande"}),
    )
    .await;
    let failing = "trier(data.motif)\n";
    let (status, page) = editor(&app, &designer, "dry_run", &elsewhere, failing, &[]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Sur la dernière demande : elle <strong>irait dans une autre file</strong>, et la règle échouerait pour elle."),
        "{page}"
    );
    assert!(!page.contains("Sur les 1 "), "{page}");
    assert!(
        page.contains(
            "<td>La règle a échoué, ligne 1, colonne 1 : la fonction « trier » n'existe pas"
        ),
        "{page}"
    );
    file(
        &app,
        json!({"motif": "casse", "nombre_residents": 2, "commune": "marmande"}),
    )
    .await;
    let (_, page) = editor(&app, &designer, "dry_run", &elsewhere, failing, &[]).await;
    assert!(
        page.contains("Sur les 2 dernières demandes, <strong>2</strong> iraient dans une autre file ; la règle échouerait pour 2 d'entre elles."),
        "{page}"
    );
    let (_, page) = editor(
        &app,
        &designer,
        "dry_run",
        &elsewhere,
        "if data.motif == \"casse\" { \"dechets-bacs\" } else { \"dechets-encombrants\" }\n",
        &[],
    )
    .await;
    assert!(
        page.contains(
            "Sur les 2 dernières demandes, <strong>1</strong> irait dans une autre file."
        ),
        "{page}"
    );
}

/// With no draft, the editor's preview shows the form as it is online, in a page the
/// editor may frame (the public page forbids framing): the preview works from the first
/// load. Another service's designer gets nothing.
#[tokio::test]
async fn the_preview_shows_the_online_form_before_any_draft() {
    let app = common::spawn_app().await;
    add_user(
        &app,
        "design@agglo.example.org",
        Role::Designer,
        &["environnement"],
        &[],
    )
    .await;
    add_user(
        &app,
        "voirie@agglo.example.org",
        Role::Designer,
        &["voirie"],
        &[],
    )
    .await;
    let designer = login(&app, "design@agglo.example.org").await;
    let response = app
        .client
        .get(app.url("/bureau/atelier/remplacement-bac/apercu"))
        .header("cookie", &designer.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "no redirect to the public page"
    );
    assert_eq!(response.headers()["x-frame-options"], "SAMEORIGIN");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(page.contains("Remplacer un bac de collecte"), "{page}");
    assert!(
        page.contains("nombre_residents"),
        "the form's questions: {page}"
    );

    let other = login(&app, "voirie@agglo.example.org").await;
    let (status, _) = other
        .get(&app, "/bureau/atelier/remplacement-bac/apercu")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
