//! A person files the bin-replacement request in a real browser (headless Chromium driven
//! over WebDriver) and follows it with the tracking link. It checks what only a browser
//! shows: the conditional field hidden and revealed by the script, the form submitted by
//! clicks, the redirect to the receipt.
//!
//! Needs Debian's `chromium` and `chromium-driver`, so it is `#[ignore]`d in a plain
//! `cargo test`; `.ci/run` installs both and runs it with `--ignored`.

use crate::common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ServerProcess, repo_root, test_database};
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The W3C element key in WebDriver answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        Browser::start_with(true)
    }

    /// A browser whose pages run no script (Chromium's content setting), as for a person
    /// who turned JavaScript off or whose script did not load.
    fn start_without_javascript() -> Browser {
        Browser::start_with(false)
    }

    fn start_with(javascript: bool) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::TempDir::new().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        // A French browser: the demo territory also offers English, which Chromium's own
        // `en-US` would pick. `english::` and the test at the end switch to it.
        let prefs = if javascript {
            json!({"intl.accept_languages": "fr-FR,fr"})
        } else {
            json!({"profile.managed_default_content_settings.javascript": 2, "intl.accept_languages": "fr-FR,fr"})
        };
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args, "prefs": prefs}
        }}});
        let session: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let session = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {session}"))
            .to_owned();
        Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    fn command(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        let answer: Value = request.send().unwrap().json().unwrap();
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    fn go(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url}));
    }

    /// Finds an element, waiting up to 10 s for it to appear (pages load after clicks).
    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let answer: Value = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .unwrap()
                .json()
                .unwrap();
            if let Some(id) = answer["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "no element {css}: {answer}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.command("POST", &format!("/element/{id}/click"), json!({}));
    }

    fn type_in(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.command(
            "POST",
            &format!("/element/{id}/value"),
            json!({"text": text}),
        );
    }

    fn displayed(&self, css: &str) -> bool {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/displayed"), Value::Null)
            .as_bool()
            .unwrap()
    }

    fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/text"), Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn current_url(&self) -> String {
        self.command("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits for a navigation started by a click to land on a URL containing `part`.
    fn wait_for_url(&self, part: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.current_url();
            if url.contains(part) {
                return url;
            }
            assert!(Instant::now() < deadline, "still on {url}, expected {part}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn a_household_replaces_a_broken_bin_in_a_browser() {
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));
    let browser = Browser::start();

    browser.go(&format!("{}/", server.address));
    browser.click(r#"a[href="/demarches/remplacement-bac"]"#);
    browser.wait_for_url("/demarches/remplacement-bac");

    // The bin number is asked only for a broken bin.
    assert!(
        !browser.displayed("#f-numero_bac"),
        "hidden until the reason is chosen"
    );
    browser.click("#f-motif");
    assert!(
        browser.displayed("#f-numero_bac"),
        "shown once « cassé » is chosen"
    );

    // A first try with a wrong bin number: the error is shown next to the field.
    browser.type_in("#f-numero_bac", "AB12");
    browser.click("#f-type_bac");
    browser.type_in("#f-nombre_residents", "4");
    browser.type_in("#f-nom", "Claire Martin");
    browser.type_in("#f-adresse-rue", "Rue de la Libération");
    browser.click(r#"#f-adresse-commune option[value="marmande"]"#);
    browser.submit(r#"button[value="review"]"#);
    assert!(browser.text(".error-summary").contains("Numéro du bac"));
    assert!(browser.text("#f-numero_bac-error").contains("chiffres"));
    assert!(
        browser.displayed("#f-numero_bac"),
        "the field stays shown with its error"
    );

    // Fix it; every other answer was kept.
    let field = browser.find("#f-numero_bac");
    browser.command("POST", &format!("/element/{field}/clear"), json!({}));
    browser.type_in("#f-numero_bac", "00123456");
    browser.submit(r#"button[value="review"]"#);
    assert!(browser.text("main").contains("Vérifiez vos réponses"));
    assert!(browser.text("main").contains("Il est cassé"));
    assert!(browser.text("main").contains("Marmande"));
    browser.click(r#"button[value="submit"]"#);

    // The receipt, then the tracking link.
    browser.wait_for_url("/suivi/");
    let reference = browser.text(".reference");
    assert!(
        guichet::domain::Reference::parse(&reference).is_ok(),
        "{reference}"
    );
    let link = browser.text(".tracking-link a");
    browser.go(&link);
    assert!(browser.text("main").contains(&reference));
    assert!(browser.text("main").contains("Reçue"));
    assert!(browser.text("main").contains("Environnement"));
    server.stop();
}

/// Creates an account with the real CLI, the password on standard input.
fn add_account(database: &str, args: &[&str]) {
    use std::io::Write;
    let mut child = common::guichet()
        .args(["user", "add"])
        .args(args)
        .arg("--database")
        .arg(database)
        .arg("--catalogue")
        .arg(repo_root())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"une phrase de passe solide\n")
        .unwrap();
    assert!(child.wait().unwrap().success(), "guichet user add {args:?}");
}

impl Browser {
    fn sign_in(&self, address: &str, email: &str) {
        self.go(&format!("{address}/bureau/connexion"));
        self.type_in("#email", email);
        self.type_in("#password", "une phrase de passe solide");
        self.submit("form button");
        self.wait_for_url("/bureau");
    }

    fn sign_out(&self) {
        self.submit("header form button");
        self.wait_for_url("/bureau/connexion");
    }

    /// Clicks a button that posts a form, and waits for the next page to replace this one
    /// (it may have the same URL, so the URL alone cannot tell).
    fn submit(&self, css: &str) {
        let before = self.find("html");
        self.click(css);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.find("html") == before {
            assert!(
                Instant::now() < deadline,
                "the page did not change after clicking {css}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn the_bin_request_is_handled_followed_and_reopened_in_a_browser() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "agent@vdg.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
        ],
    );
    add_account(
        &database,
        &[
            "elu@vdg.example.org",
            "--name",
            "Élie Élu",
            "--role",
            "elu",
            "--commune",
            "marmande",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let created: Value = Client::new()
        .post(format!("{}/api/v1/forms/remplacement-bac/submissions", server.address))
        .json(&json!({
            "motif": "taille", "type_bac": "ordures-menageres", "nombre_residents": 6,
            "nom": "Claire Martin", "adresse": {"rue": "Rue de la Libération", "commune": "marmande"}
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let reference = created["reference"].as_str().unwrap().to_owned();
    let tracking = created["tracking_url"].as_str().unwrap().to_owned();
    let browser = Browser::start();

    // The agent finds it in the Environment queue and asks for the old bin's number.
    browser.sign_in(&server.address, "agent@vdg.example.org");
    browser.click(r#"a[href="/bureau/files/dechets-bacs"]"#);
    browser.click(&format!(r#"a[href="/bureau/demandes/{reference}"]"#));
    browser.wait_for_url(&reference);
    browser.type_in("#note", "Vérifier l'ancien bac au dépôt");
    browser.submit("#note ~ button");
    browser.type_in("#message", "Quel est le numéro de votre ancien bac ?");
    browser.submit("#message ~ button");
    // Staff read the wait as the citizen's, not "yours".
    assert!(browser.text("main").contains("En attente du demandeur"));

    // The citizen answers through their link.
    browser.go(&tracking);
    assert!(
        browser
            .text("main")
            .contains("Quel est le numéro de votre ancien bac ?")
    );
    assert!(!browser.text("main").contains("Vérifier l'ancien bac"));
    browser.type_in("#text", "C'est le 00123456");
    browser.submit("form.reply button");
    browser.wait_for_url("/suivi/");
    // (WebDriver's element text turns no-break spaces into plain ones.)
    assert!(
        browser
            .text("main")
            .replace('\u{a0}', " ")
            .contains("Votre réponse : C'est le 00123456")
    );

    // The agent transfers it to the right queue and resolves it.
    browser.go(&format!("{}/bureau/demandes/{reference}", server.address));
    assert!(browser.text("main").contains("C'est le 00123456"));
    browser.click(r#"#queue option[value="dechets-encombrants-gros-volume"]"#);
    browser.type_in(
        "#reason",
        "Bac de 360 litres livré par l'équipe gros volumes",
    );
    browser.submit("#reason ~ button");
    browser.click(r#"#status option[value="resolved"]"#);
    browser.submit("#status ~ button");
    assert!(browser.text("main").contains("Traitée"));
    browser.sign_out();

    // The citizen says it is not fixed: it reopens.
    browser.go(&tracking);
    browser.type_in("#text", "Le bac livré est trop petit");
    browser.submit("form.reply button");
    browser.wait_for_url("/suivi/");
    assert!(browser.text("main").contains("n'est pas résolu"));
    assert!(browser.text("main").contains("Reçue"));

    // The élu of Marmande followed every step, never the internal note.
    browser.sign_in(&server.address, "elu@vdg.example.org");
    browser.wait_for_url("/bureau/elu");
    browser.click(&format!(r#"a[href="/bureau/demandes/{reference}"]"#));
    browser.wait_for_url(&reference);
    let page = browser.text("main");
    for step in [
        "Quel est le numéro",
        "C'est le 00123456",
        "Transférée",
        "Traitée",
        "trop petit",
    ] {
        assert!(page.contains(step), "the élu sees {step:?}");
    }
    assert!(!page.contains("Vérifier l'ancien bac"));
    browser.click(&format!(
        r#"a[href="/bureau/demandes/{reference}/compte-rendu"]"#
    ));
    assert!(browser.text(".report").contains(&reference));
    server.stop();
}

/// The Environment service's designer adds a question shown only for a stolen bin, in the
/// visual editor; the live preview (the citizens' renderer, in a frame) hides it until
/// « volé » is chosen.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn a_designer_adds_a_conditional_question_and_the_preview_follows_it() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "design@vdg.example.org",
            "--name",
            "Denis Design",
            "--role",
            "designer",
            "--service",
            "environnement",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();
    browser.sign_in(&server.address, "design@vdg.example.org");
    browser.go(&format!("{}/bureau/atelier", server.address));
    browser.click(r#"a[href="/bureau/atelier/remplacement-bac"]"#);
    browser.wait_for_url("/bureau/atelier/remplacement-bac");

    // The visual editor replaces the raw JSON (still there, folded).
    assert!(browser.displayed("#visual-editor"));
    assert!(
        !browser.displayed("#definition"),
        "the JSON view starts folded"
    );
    browser.click("#add-question");
    let block = r#".ve-field[data-key="question_1"]"#;
    // Panels: the outline lists the questions and only the one chosen shows its settings
    // (the new one); another is one click away.
    browser.find(block);
    assert!(!browser.displayed(r#".ve-field[data-key="motif"]"#));
    browser.click(r#".ve-outline button[data-key="motif"]"#);
    assert!(browser.displayed(r#".ve-field[data-key="motif"]"#));
    assert!(!browser.displayed(block));
    browser.command(
        "POST",
        "/window/rect",
        json!({"width": 1280, "height": 1000}),
    );
    let height = browser.command(
        "POST",
        "/execute/sync",
        json!({"script": "return document.documentElement.scrollHeight;", "args": []}),
    );
    println!("builder page height at this width: {height} px");
    assert!(
        height.as_u64().unwrap() < 6000,
        "the builder page is {height} px tall"
    );
    browser.click(r#".ve-outline button[data-key="question_1"]"#);
    let label = browser.find(&format!("{block} input[data-role=label]"));
    browser.command("POST", &format!("/element/{label}/clear"), json!({}));
    browser.type_in(
        &format!("{block} input[data-role=label]"),
        "Où le bac a-t-il disparu ?",
    );
    browser.click(&format!(
        r#"{block} select[data-role=condition-field] option[value="motif"]"#
    ));
    browser.type_in(&format!("{block} input[data-role=condition-value]"), "vole");

    // The JSON the server receives has the generated condition.
    let definition = browser.command(
        "POST",
        "/execute/sync",
        json!({"script": "return document.getElementById('definition').value;", "args": []}),
    );
    let definition: Value = serde_json::from_str(definition.as_str().unwrap()).unwrap();
    assert_eq!(
        definition["properties"]["question_1"]["title"],
        "Où le bac a-t-il disparu ?"
    );
    let generated = definition["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["then"]["properties"]["question_1"] == true)
        .unwrap_or_else(|| panic!("a condition for the new question in {definition}"));
    assert_eq!(generated["if"]["properties"]["motif"]["const"], "vole");
    // Everything the designer did not touch is written back as it was: the address section
    // (a `$ref`), the bin number with its pattern, the existing condition.
    let original: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("form-definitions/remplacement-bac.json"))
            .unwrap(),
    )
    .unwrap();
    for (key, property) in original["properties"].as_object().unwrap() {
        assert_eq!(&definition["properties"][key], property, "{key} unchanged");
    }
    for condition in original["allOf"].as_array().unwrap() {
        assert!(
            definition["allOf"].as_array().unwrap().contains(condition),
            "{condition} kept"
        );
    }
    assert_eq!(definition["required"], original["required"]);
    assert_eq!(definition["$defs"], original["$defs"]);

    // The preview, after the automatic save: hidden, shown for « volé », hidden again.
    let frame = browser.find("#preview");
    browser.command("POST", "/frame", json!({"id": {ELEMENT: frame}}));
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready = browser
            .command(
                "POST",
                "/execute/sync",
                json!({"script": "var e = document.querySelector('[data-show-when=\"motif\"] #f-question_1'); return !!e;", "args": []}),
            )
            .as_bool()
            .unwrap();
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the preview never showed the new question"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!browser.displayed("#f-question_1"), "hidden until « volé »");
    browser.click("#f-motif-1");
    assert!(browser.displayed("#f-question_1"), "shown for a stolen bin");
    browser.click("#f-motif");
    assert!(
        !browser.displayed("#f-question_1"),
        "hidden again for a broken bin"
    );
    browser.command("POST", "/frame/parent", json!({}));
    server.stop();
}

/// A resident of a small commune without a website of its own: the commune's rédactrice
/// publishes a news item from the back office, then the resident opens the commune's page,
/// reads the news, follows a procedure listed there and files it; the request records the
/// commune it came from, so the commune's élus and town hall queue get it.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn a_resident_of_a_small_commune_reads_its_news_and_files_from_its_page() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "redactrice@clairac.example.org",
            "--name",
            "Rose Rédactrice",
            "--role",
            "redacteur",
            "--commune",
            "clairac",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();

    // The rédactrice publishes the news from the commune's page in the back office.
    browser.sign_in(&server.address, "redactrice@clairac.example.org");
    browser.go(&format!("{}/bureau/communes/clairac/page", server.address));
    browser.type_in("#news-title", "Collecte des encombrants le 12 décembre");
    browser.type_in(
        "#news-body",
        "Inscrivez-vous **avant le 10** auprès de la mairie.",
    );
    browser.submit(r#"#actualites form button[value="publish"]"#);
    browser.sign_out();

    // The resident: the commune's page, its news, then a procedure listed there.
    browser.go(&format!("{}/communes/clairac", server.address));
    let news = browser.text("#actualites");
    assert!(
        news.contains("Collecte des encombrants le 12 décembre"),
        "{news}"
    );
    assert!(news.contains("avant le 10"), "{news}");
    assert_eq!(
        browser.text("#actualites strong"),
        "avant le 10",
        "Markdown rendered"
    );
    browser.click(r#"a[href="/demarches/contact-mairie?commune=clairac"]"#);
    browser.wait_for_url("/demarches/contact-mairie");
    browser.click(r#"#f-objet option[value="etat-civil"]"#);
    browser.type_in(
        "#f-message",
        "Je voudrais une copie de mon acte de naissance.",
    );
    browser.type_in("#f-nom", "Paul Durand");
    browser.type_in("#f-email", "paul.durand@example.org");
    browser.submit(r#"button[value="review"]"#);
    let review = browser.text("main");
    assert!(review.contains("Vérifiez vos réponses"), "{review}");
    assert!(
        review.contains("Clairac"),
        "the commune came with the link: {review}"
    );
    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    let reference = browser.text(".reference");
    let reference = guichet::domain::Reference::parse(&reference).expect("a reference");

    // Stored with its commune.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = runtime.block_on(async {
        let store = guichet::store::open(&guichet::config::DatabaseConfig {
            url: database.clone(),
            max_connections: 1,
        })
        .await
        .unwrap();
        store.request_by_reference(&reference).await.unwrap()
    });
    let stored = stored.expect("the request is stored");
    assert_eq!(stored.commune.as_deref(), Some("clairac"));
    assert_eq!(stored.form_id, "contact-mairie");
    server.stop();
}

/// The API's description renders in a browser with nothing from the network but Guichet:
/// Swagger UI, built into the binary, reads the served document and draws its operations.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn the_api_description_renders_offline_in_a_browser() {
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));
    let browser = Browser::start();
    browser.go(&format!("{}/api/docs/", server.address));
    assert!(
        browser
            .text(".information-container .title")
            .contains("Guichet API")
    );
    // One block per operation, by tag and operation id.
    for operation in [
        "#operations-forms-submit",
        "#operations-tracking-track",
        "#operations-staff-act",
        "#operations-description-form_document",
    ] {
        assert!(browser.displayed(operation), "{operation} is drawn");
    }
    assert!(
        browser
            .text("#operations-forms-submit")
            .contains("/forms/{id}/submissions")
    );
}

/// Where `.ci/run` installs axe-core (`npm install --prefix /tmp/guichet-ci-node axe-core@4`);
/// `AXE_CORE_JS` names another copy.
fn axe_source() -> String {
    let path = std::env::var("AXE_CORE_JS")
        .unwrap_or_else(|_| "/tmp/guichet-ci-node/node_modules/axe-core/axe.min.js".to_owned());
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not at {path} ({e}): npm install --prefix /tmp/guichet-ci-node axe-core@4"
        )
    })
}

impl Browser {
    /// Runs axe-core on the current page with the WCAG 2.1 A and AA rules; returns the
    /// critical and serious violations, each with the first elements it names.
    fn axe_violations(&self, axe: &str) -> Vec<String> {
        let script = format!(
            "{axe}\n;return axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})
               .then(r => r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}})));"
        );
        let found = self.command(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        );
        found
            .as_array()
            .expect("axe answers a list of violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("critical" | "serious")))
            .map(|v| {
                format!(
                    "{} ({}): {} at {}",
                    v["id"], v["impact"], v["help"], v["nodes"]
                )
            })
            .collect()
    }
}

/// The statistics dashboard and the public page pass axe-core's WCAG 2.1 A/AA rules (no
/// critical or serious violation), on a seeded history. With `GUICHET_SCREENSHOT=1` it also
/// writes the dashboard's screenshot to docs/statistics-dashboard.png.
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn the_statistics_pages_pass_the_accessibility_checks() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = guichet::store::open(&guichet::config::DatabaseConfig {
            url: database.clone(),
            max_connections: 2,
        })
        .await
        .unwrap();
        crate::statistics::seed(store.as_ref(), time::OffsetDateTime::now_utc()).await;
        store.close().await;
    });
    add_account(
        &database,
        &[
            "admin@vdg.example.org",
            "--name",
            "Ada Admin",
            "--role",
            "admin",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();
    browser.command(
        "POST",
        "/window/rect",
        json!({"width": 1280, "height": 2000}),
    );

    browser.go(&format!("{}/statistiques", server.address));
    assert!(browser.text("h1").contains("Statistiques"));
    let public = browser.axe_violations(&axe);
    assert!(public.is_empty(), "/statistiques:\n{}", public.join("\n"));

    browser.sign_in(&server.address, "admin@vdg.example.org");
    browser.go(&format!("{}/bureau/statistiques", server.address));
    assert!(browser.text("h1").contains("Statistiques"));
    let dashboard = browser.axe_violations(&axe);
    assert!(
        dashboard.is_empty(),
        "/bureau/statistiques:\n{}",
        dashboard.join("\n")
    );
    if std::env::var("GUICHET_SCREENSHOT").is_ok_and(|v| v == "1") {
        use base64::Engine;
        let png = browser.command("GET", "/screenshot", json!({}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(repo_root().join("docs/statistics-dashboard.png"), png).unwrap();
    }

    browser.go(&format!("{}/bureau/statistiques/synthese", server.address));
    let summary = browser.axe_violations(&axe);
    assert!(summary.is_empty(), "synthèse:\n{}", summary.join("\n"));
    server.stop();
}

/// On a phone (390 px, and 320 px) an agent's home and a queue's listing fit the screen:
/// no horizontal scrolling, each request a card with its tags; and the listing passes
/// axe-core's WCAG 2.1 A/AA rules.
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn queues_fit_a_phone_screen() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "agent@vdg.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    for residents in [1, 4, 7] {
        let status = Client::new()
            .post(format!(
                "{}/api/v1/forms/remplacement-bac/submissions",
                server.address
            ))
            .json(&json!({
                "motif": "taille", "type_bac": "ordures-menageres", "nombre_residents": residents,
                "nom": "Claire Martin", "adresse": {"rue": "Rue de la Libération", "commune": "marmande"}
            }))
            .send()
            .unwrap()
            .status();
        assert_eq!(status, reqwest::StatusCode::CREATED);
    }
    let browser = Browser::start();
    browser.sign_in(&server.address, "agent@vdg.example.org");
    for width in [390, 320] {
        browser.command(
            "POST",
            "/window/rect",
            json!({"width": width, "height": 900}),
        );
        for path in ["/bureau", "/bureau/files/dechets-bacs"] {
            browser.go(&format!("{}{path}", server.address));
            browser.find("h1");
            let sizes = browser.command(
                "POST",
                "/execute/sync",
                json!({"script": "return [document.documentElement.scrollWidth, window.innerWidth];", "args": []}),
            );
            let (scroll, inner) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
            assert!(
                scroll <= inner,
                "{path} at {width} px scrolls sideways: {scroll} px of content in {inner} px"
            );
        }
        // Each request is a card, its cells labelled.
        assert!(browser.displayed(".queue-table.cards a.tag"));
        let label = browser.command(
            "POST",
            "/execute/sync",
            json!({"script": "return getComputedStyle(document.querySelector('.queue-table.cards td[data-label]'), '::before').content;", "args": []}),
        );
        assert!(
            label.as_str().unwrap().contains("Démarche"),
            "cards name their cells: {label}"
        );
    }
    browser.command(
        "POST",
        "/window/rect",
        json!({"width": 1280, "height": 1000}),
    );
    browser.go(&format!(
        "{}/bureau/files/dechets-bacs?tag=bac-120L",
        server.address
    ));
    assert!(browser.text("main").contains("bac-120L"));
    let violations = browser.axe_violations(&axe);
    assert!(violations.is_empty(), "queue:\n{}", violations.join("\n"));
    server.stop();
}

/// An admin creates an agent in the accounts page; the agent opens the e-mailed link,
/// chooses a password and lands signed in on their queues; the link then no longer works.
/// The accounts pages and the link's page pass axe-core's WCAG 2.1 A/AA rules. With
/// `GUICHET_SCREENSHOT=1` it also writes the account's page to docs/account-page.png.
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn an_admin_creates_an_agent_who_chooses_a_password_from_the_link() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "admin@vdg.example.org",
            "--name",
            "Ada Admin",
            "--role",
            "admin",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();
    browser.command(
        "POST",
        "/window/rect",
        json!({"width": 1280, "height": 1800}),
    );
    let accessible = |page: &str| {
        let violations = browser.axe_violations(&axe);
        assert!(violations.is_empty(), "{page}:\n{}", violations.join("\n"));
    };

    browser.sign_in(&server.address, "admin@vdg.example.org");
    browser.click(r#"a[href="/bureau/admin/comptes"]"#);
    browser.wait_for_url("/bureau/admin/comptes");
    assert!(browser.text("main").contains("Ada Admin"));
    accessible("/bureau/admin/comptes");
    browser.type_in("#email", "nadia.benali@vdg.example.org");
    browser.type_in("#name", "Nadia Benali");
    browser.click("#role-agent");
    browser.click("#service-environnement");
    browser.submit(r#"form[action="/bureau/admin/comptes"] button[type="submit"]"#);
    browser.wait_for_url("/bureau/admin/comptes/");
    assert!(
        browser
            .text(".notice")
            .contains("Un lien pour choisir son mot de passe")
    );
    assert!(browser.text("main").contains("lien de mot de passe envoyé"));
    accessible("an account's page");
    if std::env::var("GUICHET_SCREENSHOT").is_ok_and(|v| v == "1") {
        use base64::Engine;
        let png = browser.command("GET", "/screenshot", json!({}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::write(repo_root().join("docs/account-page.png"), png).unwrap();
    }
    browser.sign_out();

    let deadline = Instant::now() + Duration::from_secs(10);
    let mail = loop {
        if let Some(mail) = common::mail::mails_in(server.mail_dir.path())
            .into_iter()
            .find(|m| m.to.contains("nadia.benali@vdg.example.org"))
        {
            break mail;
        }
        assert!(Instant::now() < deadline, "no e-mail to the new agent");
        std::thread::sleep(Duration::from_millis(50));
    };
    let at = mail.text.find("/bureau/mot-de-passe/nouveau/").unwrap();
    let link = mail.text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    browser.go(&format!("{}{link}", server.address));
    assert!(browser.text("main").contains("Nadia Benali"));
    accessible("the link's page");
    browser.type_in("#new", "trois mots bien choisis");
    browser.type_in("#again", "trois mots bien choisis");
    browser.submit("main form button");
    let landed = browser.current_url();
    assert!(landed.ends_with("/bureau"), "{landed}");
    assert!(browser.text("main").contains("Environnement"));
    assert!(browser.text("header").contains("Nadia Benali"));

    browser.go(&format!("{}{link}", server.address));
    assert!(browser.text("h1").contains("Ce lien ne fonctionne plus"));
    server.stop();
}

impl Browser {
    /// Presses keys (WebDriver key codes: Tab `\u{E004}`, Enter `\u{E007}`, or text) on
    /// whatever has the focus, as a keyboard does.
    fn press(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.command(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    /// Whether the focused element matches `css`.
    fn focused(&self, css: &str) -> bool {
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": "return !!document.activeElement && document.activeElement.matches(arguments[0]);", "args": [css]}),
        )
        .as_bool()
        .unwrap()
    }

    /// Presses Tab until `css` has the focus (at most 80 times).
    fn tab_to(&self, css: &str) {
        for _ in 0..80 {
            if self.focused(css) {
                return;
            }
            self.press(TAB);
        }
        panic!("Tab never reached {css}");
    }

    /// Presses a key that sends the page's form, and waits for the next page.
    fn press_and_wait(&self, keys: &str) {
        let before = self.find("html");
        self.press(keys);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.find("html") == before {
            assert!(Instant::now() < deadline, "the page did not change");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const SPACE: &str = " ";

/// A person who uses no mouse files the bin request with Tab, Space and Enter (and types
/// the answers): a first try with nothing filled in is refused, and the focus is on the
/// error summary, which a screen reader then reads.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn the_bin_request_is_filed_with_the_keyboard_only() {
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));
    let browser = Browser::start();
    browser.go(&format!("{}/demarches/remplacement-bac", server.address));

    browser.tab_to(r#"button[value="review"]"#);
    browser.press_and_wait(ENTER);
    assert!(browser.text(".error-summary").contains("Nom et prénom"));
    assert!(
        browser.focused(".error-summary"),
        "the refused form puts the focus on its error summary"
    );

    browser.tab_to("#f-motif");
    browser.press(SPACE);
    browser.tab_to("#f-numero_bac");
    browser.press("00123456");
    browser.tab_to("#f-type_bac");
    browser.press(SPACE);
    browser.tab_to("#f-nombre_residents");
    browser.press("4");
    browser.tab_to("#f-nom");
    browser.press("Claire Martin");
    browser.tab_to("#f-adresse-rue");
    browser.press("Rue de la Libération");
    browser.tab_to("#f-adresse-commune");
    // A focused list picks the option whose name is typed.
    browser.press("Marmande");
    browser.tab_to(r#"button[value="review"]"#);
    browser.press_and_wait(ENTER);
    let review = browser.text("main");
    assert!(review.contains("Vérifiez vos réponses"), "{review}");
    assert!(
        review.contains("Il est cassé") && review.contains("Marmande"),
        "{review}"
    );

    browser.tab_to(r#"button[value="submit"]"#);
    browser.press(ENTER);
    browser.wait_for_url("/suivi/");
    let reference = browser.text(".reference");
    assert!(
        guichet::domain::Reference::parse(&reference).is_ok(),
        "{reference}"
    );
    server.stop();
}

/// The bulky-waste request in its three steps, in a browser with or without JavaScript:
/// a step refused for its own problem only, « Retour » keeping the answers, the review by
/// step with « Modifier » coming back to it, then the receipt. With `axe`, each page state
/// passes axe-core's WCAG 2.1 A/AA rules (no critical or serious violation).
fn file_bulky_waste_in_three_steps(browser: &Browser, address: &str, axe: Option<&str>) {
    let check = |what: &str| {
        if let Some(axe) = axe {
            let found = browser.axe_violations(axe);
            assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
        }
    };
    browser.go(&format!("{address}/demarches/encombrants"));
    assert!(browser.text("main").contains("Étape 1 sur 3"));
    check("step 1");

    // Nothing ticked: step 1 refused with its own problems only.
    browser.submit(r#"button[value="next"]"#);
    let summary = browser.text(".error-summary");
    assert!(summary.contains("Quels objets"), "{summary}");
    assert!(!summary.contains("Nom et prénom"), "{summary}");
    // With or without the script (the summary has `autofocus`), the focus is on it.
    assert!(
        browser.focused(".error-summary"),
        "the refused step focuses its summary"
    );
    check("step 1 with its errors");
    browser.click("#f-objets");
    browser.type_in("#f-volume_m3", "2,5");
    browser.submit(r#"button[value="next"]"#);

    assert!(browser.text("main").contains("Étape 2 sur 3"));
    check("step 2");
    browser.type_in("#f-adresse-rue", "Rue de la Libération");
    browser.type_in("#f-adresse-code_postal", "47200");
    browser.click(r#"#f-adresse-commune option[value="marmande"]"#);
    // Back to step 1 and on again: both steps' answers are there.
    browser.submit(r#"button[value="back"]"#);
    assert!(browser.text("main").contains("Étape 1 sur 3"));
    let volume = browser.find("#f-volume_m3");
    let kept = browser.command(
        "GET",
        &format!("/element/{volume}/property/value"),
        Value::Null,
    );
    assert_eq!(kept, "2,5");
    browser.submit(r#"button[value="next"]"#);
    let street = browser.find("#f-adresse-rue");
    let kept = browser.command(
        "GET",
        &format!("/element/{street}/property/value"),
        Value::Null,
    );
    assert_eq!(kept, "Rue de la Libération");
    browser.submit(r#"button[value="next"]"#);

    assert!(browser.text("main").contains("Étape 3 sur 3"));
    check("step 3");
    browser.type_in("#f-nom", "Claire Martin");
    browser.type_in("#f-telephone", "05 36 49 00 12");
    browser.type_in("#f-date_souhaitee", "17/03/2027");
    browser.submit(r#"button[value="review"]"#);

    let review = browser.text("main");
    assert!(review.contains("Vérifiez vos réponses"), "{review}");
    assert!(review.contains("L'adresse d'enlèvement"), "{review}");
    check("review");
    browser.submit(r#"button[value="edit-2"]"#);
    assert!(browser.text("main").contains("Étape 2 sur 3"));
    let street = browser.find("#f-adresse-rue");
    browser.command("POST", &format!("/element/{street}/clear"), json!({}));
    browser.type_in("#f-adresse-rue", "Avenue Jean Jaurès");
    browser.submit(r#"button[value="next"]"#);
    let review = browser.text("main");
    assert!(
        review.contains("Vérifiez vos réponses"),
        "back to the review: {review}"
    );
    assert!(review.contains("Avenue Jean Jaurès"), "{review}");

    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    let reference = browser.text(".reference");
    assert!(
        guichet::domain::Reference::parse(&reference).is_ok(),
        "{reference}"
    );
}

#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn the_bulky_waste_request_is_filed_in_three_steps_and_each_step_passes_axe() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));
    let browser = Browser::start();
    file_bulky_waste_in_three_steps(&browser, &server.address, Some(&axe));
    server.stop();
}

#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn the_bulky_waste_request_is_filed_in_three_steps_without_javascript() {
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));
    let browser = Browser::start_without_javascript();
    // Scripts do not run: the bin number, which the script hides until « cassé » is chosen,
    // is shown with the sentence saying when to fill it in.
    browser.go(&format!("{}/demarches/remplacement-bac", server.address));
    assert!(browser.displayed("#f-numero_bac"), "no script ran");
    file_bulky_waste_in_three_steps(&browser, &server.address, None);
    server.stop();
}

/// The Environment service's designer edits the bulky-waste form's steps in the visual
/// editor: renames one, adds one and moves a question into it, removes another (its
/// questions join the step before); the definition the server receives follows each change.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn a_designer_edits_the_steps_of_a_form() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "design@vdg.example.org",
            "--name",
            "Denis Design",
            "--role",
            "designer",
            "--service",
            "environnement",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();
    browser.sign_in(&server.address, "design@vdg.example.org");
    browser.go(&format!("{}/bureau/atelier/encombrants", server.address));
    let steps = || -> Value {
        let definition = browser.command(
            "POST",
            "/execute/sync",
            json!({"script": "return document.getElementById('definition').value;", "args": []}),
        );
        let definition: Value = serde_json::from_str(definition.as_str().unwrap()).unwrap();
        definition["x-guichet"]["steps"].clone()
    };
    assert_eq!(steps().as_array().unwrap().len(), 3);

    // Rename the third step.
    let title = r#"#steps [data-step="2"] input[data-role=step-title]"#;
    let field = browser.find(title);
    browser.command("POST", &format!("/element/{field}/clear"), json!({}));
    browser.type_in(title, "Vous joindre");
    assert_eq!(steps()[2]["title"], "Vous joindre");

    // A fourth step, and the access instructions moved into it.
    browser.click("#add-step");
    assert_eq!(steps()[3]["title"], "Nouvelle étape");
    // The question to move is chosen in the outline first; its block then shows.
    browser.click(r#".ve-outline button[data-key="acces"]"#);
    browser.click(r#".ve-field[data-key="acces"] select[data-role=step] option[value="3"]"#);
    assert_eq!(steps()[3]["properties"], json!(["acces"]));
    assert_eq!(steps()[1]["properties"], json!(["adresse"]));

    // Removing the second step gives its questions to the first.
    browser.click(r#"#steps [data-step="1"] button[data-role=step-remove]"#);
    let now = steps();
    assert_eq!(now.as_array().unwrap().len(), 3, "{now}");
    assert_eq!(
        now[0]["properties"],
        json!(["objets", "detail_objets", "volume_m3", "adresse"])
    );
    // Every question is still in exactly one step.
    let mut all: Vec<String> = now
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["properties"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
        })
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            "acces",
            "adresse",
            "date_souhaitee",
            "detail_objets",
            "nom",
            "objets",
            "telephone",
            "volume_m3"
        ]
    );
    server.stop();
}

/// Every public page a citizen meets passes axe-core's WCAG 2.1 A/AA rules (no critical or
/// serious violation), and fits a 320 px screen without horizontal scrolling: the portal,
/// a search's results, the communes and a commune's page, a form with its errors, the
/// review, the receipt, the tracking page (with the service's question and the reply form),
/// the lost-link page and the legal pages.
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn the_public_pages_pass_the_accessibility_checks_and_fit_320_px() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "agent@vdg.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let browser = Browser::start();
    let mut problems = Vec::new();
    let check = |what: &str, problems: &mut Vec<String>| {
        browser.find("h1");
        for v in browser.axe_violations(&axe) {
            problems.push(format!("{what}: {v}"));
        }
        for width in [320, 1280] {
            browser.command(
                "POST",
                "/window/rect",
                json!({"width": width, "height": 900}),
            );
            let sizes = browser.command(
                "POST",
                "/execute/sync",
                json!({"script": "var w = window.innerWidth; var wide = Array.prototype.filter.call(document.querySelectorAll('body *'), function (e) { return e.getBoundingClientRect().right > w + 1 || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'; }).slice(-3).map(function (e) { return e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''); }); return [document.documentElement.scrollWidth, w, wide];", "args": []}),
            );
            let (scroll, inner) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
            if scroll > inner {
                problems.push(format!(
                    "{what}: {scroll} px wide at {width} px, past the edge: {}",
                    sizes[2]
                ));
            }
        }
    };
    let at = |path: &str| format!("{}{path}", server.address);
    for (what, path) in [
        ("portal", "/"),
        ("search", "/?q=poubelle"),
        ("communes", "/communes"),
        ("commune page", "/communes/marmande"),
        ("form", "/demarches/remplacement-bac"),
        ("lost link", "/suivi/retrouver"),
        ("legal notice", "/mentions-legales"),
        ("personal data", "/donnees-personnelles"),
        ("accessibility statement", "/accessibilite"),
        ("site map", "/plan-du-site"),
    ] {
        browser.go(&at(path));
        check(what, &mut problems);
    }

    // A form with its errors, then the review and the receipt.
    browser.go(&at("/demarches/remplacement-bac"));
    browser.submit(r#"button[value="review"]"#);
    check("form with errors", &mut problems);
    browser.click("#f-motif");
    browser.type_in("#f-numero_bac", "00123456");
    browser.click("#f-type_bac");
    browser.type_in("#f-nombre_residents", "4");
    browser.type_in("#f-nom", "Claire Martin");
    browser.type_in("#f-adresse-rue", "Rue de la Libération");
    browser.click(r#"#f-adresse-commune option[value="marmande"]"#);
    browser.submit(r#"button[value="review"]"#);
    check("review", &mut problems);
    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    check("receipt", &mut problems);
    let link = browser.text(".tracking-link a");
    let reference = browser.text(".reference");

    // The service asks a question: the tracking page shows it above the reply form.
    browser.sign_in(&server.address, "agent@vdg.example.org");
    browser.go(&at(&format!("/bureau/demandes/{reference}")));
    browser.type_in("#message", "Quelle est la couleur du couvercle ?");
    browser.submit("form:has(#message) button[type=submit]");
    browser.sign_out();
    browser.go(&link);
    assert!(browser.text("main").contains("couleur du couvercle"));
    check("tracking page with the reply form", &mut problems);
    server.stop();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// --- Issue 18: the back office under axe-core, 200 % zoom, and what a citizen stumbled on ---

/// What goes wrong on a page seen at 200 % zoom: the page scrolls sideways, or an element
/// that hides its overflow cuts text off. Returns a list of findings (empty when it fits).
/// Form controls keep their own scrolling, and the 1-px boxes of text meant for screen
/// readers only (`.visually-hidden`, a listing's header as cards) are not text cut off.
const ZOOMED_PAGE_PROBLEMS: &str = r#"
var w = window.innerWidth;
if (w !== 640 || window.devicePixelRatio !== 2) {
  return ['not zoomed: ' + w + ' CSS px wide at ratio ' + window.devicePixelRatio];
}
var name = function (e) {
  var classes = typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : '';
  return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + classes;
};
var all = Array.prototype.slice.call(document.querySelectorAll('body *'));
var problems = [];
var scroll = document.documentElement.scrollWidth;
if (scroll > w) {
  var past = all.filter(function (e) { return e.getBoundingClientRect().right > w + 1; }).slice(-3).map(name);
  problems.push('scrolls sideways: ' + scroll + ' px of content in ' + w + ' px, past the edge: ' + past.join(', '));
}
all.forEach(function (e) {
  if (/^(INPUT|SELECT|TEXTAREA|OPTION|IFRAME)$/.test(e.tagName) || e.closest('svg')) return;
  if (e.clientWidth <= 1 || e.clientHeight <= 1 || !e.textContent.trim()) return;
  var s = getComputedStyle(e);
  var clipsX = s.overflowX === 'hidden' || s.overflowX === 'clip';
  var clipsY = s.overflowY === 'hidden' || s.overflowY === 'clip';
  if (clipsX && e.scrollWidth > e.clientWidth + 1 || clipsY && e.scrollHeight > e.clientHeight + 1) {
    problems.push('text cut off in ' + name(e) + ': « ' + e.textContent.trim().slice(0, 60) + ' »');
  }
});
return problems;
"#;

impl Browser {
    /// Runs `script` in the page (WebDriver's "execute script") with `args`.
    fn script(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// A DevTools command, through chromedriver's `goog/cdp/execute` endpoint.
    fn devtools(&self, command: &str, params: Value) -> Value {
        self.command(
            "POST",
            "/goog/cdp/execute",
            json!({"cmd": command, "params": params}),
        )
    }

    /// The current page as a person sees it who zooms to 200 % in a 1280 × 900 window:
    /// what goes wrong (see [`ZOOMED_PAGE_PROBLEMS`]), each finding prefixed with `what`.
    ///
    /// WebDriver has no zoom command, and Chromium's zoom (Ctrl +) belongs to the browser's
    /// window, out of a page's and WebDriver's reach. What zoom does to a page is exact,
    /// though: each CSS pixel takes two screen pixels, so the page is laid out in a viewport
    /// of 1280 / 2 = 640 CSS px with a `devicePixelRatio` of 2, and media queries see
    /// 640 px. DevTools' `Emulation.setDeviceMetricsOverride` sets exactly that viewport and
    /// ratio (the script checks both took effect); a 640-px window alone would keep a ratio
    /// of 1, and round borders and lines unlike a zoomed page. The override is lifted
    /// before returning, so the page is back at the window's size.
    fn problems_at_200_percent_zoom(&self, what: &str) -> Vec<String> {
        self.devtools(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 640, "height": 450, "deviceScaleFactor": 2, "mobile": false}),
        );
        let found = self.script(ZOOMED_PAGE_PROBLEMS, json!([]));
        self.devtools("Emulation.clearDeviceMetricsOverride", json!({}));
        found
            .as_array()
            .expect("a list of problems")
            .iter()
            .map(|p| format!("{what} at 200 %: {}", p.as_str().unwrap()))
            .collect()
    }

    /// The page's width in CSS pixels, and the width of its content: when the content is
    /// wider, the page scrolls sideways.
    fn widths(&self) -> (u64, u64) {
        let sizes = self.script(
            "return [window.innerWidth, document.documentElement.scrollWidth];",
            json!([]),
        );
        (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap())
    }

    fn resize(&self, width: u64, height: u64) {
        self.command(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        );
    }
}

/// Every page an agent, an élu, the front desk and a form designer work in passes axe-core's
/// WCAG 2.1 A/AA rules (no critical or serious violation), on a request with a history, a
/// question to the citizen and an attachment, and fits 1280 px; the agent's home, a queue
/// and a request's page also fit at 200 % zoom. (The statistics dashboard, the accounts
/// pages and a queue's listing under axe have tests of their own above.)
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn the_back_office_pages_pass_the_accessibility_checks_and_fit_200_percent_zoom() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    for account in [
        &[
            "agent@vdg.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
            "--service",
            "voirie",
        ][..],
        &[
            "elu@vdg.example.org",
            "--name",
            "Élie Élu",
            "--role",
            "elu",
            "--commune",
            "tonneins",
        ],
        &[
            "accueil@vdg.example.org",
            "--name",
            "Anne Accueil",
            "--role",
            "accueil",
        ],
        &[
            "design@vdg.example.org",
            "--name",
            "Denis Design",
            "--role",
            "designer",
            "--service",
            "environnement",
        ],
    ] {
        add_account(&database, account);
    }
    let server = ServerProcess::start(&repo_root(), &database);
    let at = |path: &str| format!("{}{path}", server.address);
    let browser = Browser::start();
    browser.resize(1280, 900);
    let mut problems = Vec::new();
    let check = |what: &str, problems: &mut Vec<String>| {
        browser.find("h1");
        for v in browser.axe_violations(&axe) {
            problems.push(format!("{what}: {v}"));
        }
        let (inner, scroll) = browser.widths();
        if scroll > inner {
            problems.push(format!("{what}: {scroll} px wide in {inner} px"));
        }
    };

    // A citizen reports a pothole in Tonneins with a photo, through the public form.
    let photo = data.path().join("nid-de-poule.png");
    std::fs::write(&photo, common::uploads::png(3, 2000)).unwrap();
    browser.go(&at("/demarches/signalement-voirie"));
    browser.click("#f-categorie");
    browser.click(r#"#f-commune option[value="tonneins"]"#);
    browser.type_in("#f-localisation", "Avenue de Bordeaux, devant la pharmacie");
    browser.type_in("#f-description", "Un trou d'environ 30 cm.");
    browser.type_in("#f-photos", &photo.display().to_string());
    browser.click("#f-urgence-1");
    browser.type_in("#f-nom", "Paul Durand");
    browser.type_in("#f-email", "paul.durand@example.org");
    browser.submit(r#"button[value="review"]"#);
    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    let pothole = browser.text(".reference");
    // And a household of Tonneins asks for a bin, through the API.
    let created: Value = Client::new()
        .post(at("/api/v1/forms/remplacement-bac/submissions"))
        .json(&json!({
            "motif": "taille", "type_bac": "ordures-menageres", "nombre_residents": 6,
            "nom": "Claire Martin", "adresse": {"rue": "Rue de la Libération", "commune": "tonneins"}
        }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let bin = created["reference"].as_str().unwrap().to_owned();

    // Signing in, and the forgotten password.
    browser.go(&at("/bureau/connexion"));
    check("sign-in page", &mut problems);
    browser.type_in("#email", "agent@vdg.example.org");
    browser.type_in("#password", "pas la bonne phrase");
    browser.submit("form button");
    assert!(browser.text(".error-summary").contains("mot de passe"));
    check("sign-in page with its error", &mut problems);
    browser.go(&at("/bureau/mot-de-passe-oublie"));
    check("forgotten password", &mut problems);

    // The agent: home, a queue, the request with a note, a question and its history, the
    // report with its photo; their password and API tokens.
    browser.sign_in(&server.address, "agent@vdg.example.org");
    check("agent's home", &mut problems);
    problems.extend(browser.problems_at_200_percent_zoom("agent's home"));
    // The zoom check sees what it looks for: a box wider than 640 px, and text cut off.
    browser.script(
        "var wide = document.createElement('p'); wide.id = 'too-wide'; wide.style.width = '700px'; wide.textContent = 'large';
         var cut = document.createElement('p'); cut.id = 'cut-off'; cut.style.cssText = 'width: 5rem; white-space: nowrap; overflow: hidden';
         cut.textContent = 'Un texte bien trop long pour sa boîte';
         document.querySelector('main').append(wide, cut);",
        json!([]),
    );
    let planted = browser.problems_at_200_percent_zoom("planted").join("\n");
    assert!(
        planted.contains("scrolls sideways") && planted.contains("p#too-wide"),
        "{planted}"
    );
    assert!(planted.contains("text cut off in p#cut-off"), "{planted}");
    browser.go(&at("/bureau"));
    browser.go(&at("/bureau/files/dechets-bacs"));
    check("a queue", &mut problems);
    problems.extend(browser.problems_at_200_percent_zoom("a queue"));
    browser.go(&at(&format!("/bureau/demandes/{bin}")));
    browser.type_in("#note", "Vérifier l'ancien bac au dépôt");
    browser.submit("#note ~ button");
    browser.type_in("#message", "Quel est le numéro de votre ancien bac ?");
    browser.submit("#message ~ button");
    browser.click(r#"#priority option[value="high"]"#);
    browser.submit("#priority ~ button");
    assert!(browser.text("main").contains("En attente du demandeur"));
    check("a request's page with its history", &mut problems);
    problems.extend(browser.problems_at_200_percent_zoom("a request's page"));
    browser.go(&at(&format!("/bureau/demandes/{pothole}")));
    assert!(browser.text("main").contains("nid-de-poule.png"));
    check("a request with a photo", &mut problems);
    problems.extend(browser.problems_at_200_percent_zoom("a request with a photo"));
    browser.go(&at(&format!("/bureau/demandes/{bin}/compte-rendu")));
    check("a request's report", &mut problems);
    browser.go(&at("/bureau/mot-de-passe"));
    check("password page", &mut problems);
    browser.go(&at("/bureau/jetons"));
    check("API tokens", &mut problems);
    browser.sign_out();

    // The élu of Tonneins: their commune's requests, one of them, a form filed for a
    // resident (with its errors first).
    browser.sign_in(&server.address, "elu@vdg.example.org");
    browser.go(&at("/bureau/elu"));
    assert!(browser.text("main").contains(&bin));
    check("élu's page", &mut problems);
    browser.go(&at(&format!("/bureau/demandes/{bin}")));
    check("a request seen by an élu", &mut problems);
    browser.go(&at("/bureau/elu/demarches/remplacement-bac"));
    check("élu's form", &mut problems);
    browser.submit(r#"main form[method="post"] button[type="submit"]"#);
    assert!(browser.text(".error-summary").contains("Nom et prénom"));
    check("élu's form with its errors", &mut problems);
    browser.sign_out();

    // The front desk: its home, a form, the receipt to hand over.
    browser.sign_in(&server.address, "accueil@vdg.example.org");
    browser.go(&at("/bureau/accueil"));
    check("front desk", &mut problems);
    browser.go(&at("/bureau/accueil/demarches/contact-mairie"));
    check("front desk's form", &mut problems);
    browser.click(r#"#f-commune option[value="tonneins"]"#);
    browser.click(r#"#f-objet option[value="etat-civil"]"#);
    browser.type_in("#f-message", "Une copie d'acte de naissance.");
    browser.type_in("#f-nom", "Paul Durand");
    browser.type_in("#f-email", "paul.durand@example.org");
    browser.submit(r#"main form[method="post"] button[type="submit"]"#);
    assert!(browser.text("main").contains("Demande déposée"));
    check("front desk's receipt", &mut problems);
    browser.go(&at("/bureau/accueil"));
    check("front desk with its requests", &mut problems);
    browser.sign_out();

    // The designer: the workshop, a form in the editor (outline, settings, every fold
    // open), its check, and the preview.
    browser.sign_in(&server.address, "design@vdg.example.org");
    browser.go(&at("/bureau/atelier"));
    check("form workshop", &mut problems);
    browser.go(&at("/bureau/atelier/remplacement-bac"));
    browser.find(".ve-outline");
    browser.script(
        "document.querySelectorAll('details').forEach(function (d) { d.open = true; });",
        json!([]),
    );
    check("form editor", &mut problems);
    browser.click(r#".ve-outline button[data-key="motif"]"#);
    check("form editor on a choice question", &mut problems);
    browser.submit(r#"button[value="check"]"#);
    check("form editor after its check", &mut problems);
    browser.go(&at("/bureau/atelier/remplacement-bac/apercu"));
    check("form preview", &mut problems);
    server.stop();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Where a French mark that takes a space before it (`?`, `:`, `!`, `;`) follows an
/// ordinary space or a line break instead of a no-break one (U+00A0, or the narrow U+202F):
/// the mark may then start a line on its own. Returns the text around each.
const LOOSE_FRENCH_MARKS: &str = r#"
var found = [];
Array.prototype.forEach.call(document.querySelectorAll(arguments[0]), function (e) {
  var text = e.textContent;
  var loose = /[ \t\n\r]+[?:!;]/g, m;
  while ((m = loose.exec(text)) !== null) {
    found.push('« ' + text.slice(Math.max(0, m.index - 30), m.index + m[0].length).trim() + ' »');
  }
});
return found;
"#;

/// Each element matching the selector: its text, its computed `white-space`, how many
/// boxes (lines) it is drawn in, its height and the height of one line of its text.
const LINES_OF: &str = r#"
return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (e) {
  var s = getComputedStyle(e);
  var line = parseFloat(s.lineHeight) || parseFloat(s.fontSize) * 1.2;
  return [e.textContent, s.whiteSpace, e.getClientRects().length, e.getBoundingClientRect().height, line];
});
"#;

impl Browser {
    /// Asserts that every element matching `css` (there is at least one) is a reference
    /// kept on one line: `white-space: nowrap`, drawn in one box no taller than a line.
    fn assert_references_on_one_line(&self, css: &str, at: &str) {
        let found = self.script(LINES_OF, json!([css]));
        let found = found.as_array().unwrap();
        assert!(!found.is_empty(), "no {css} {at}");
        for e in found {
            let (boxes, height, line) = (
                e[2].as_u64().unwrap(),
                e[3].as_f64().unwrap(),
                e[4].as_f64().unwrap(),
            );
            assert_eq!(e[1], "nowrap", "{css} {at}: {e}");
            assert!(boxes == 1 && height <= line, "{css} {at} spans lines: {e}");
        }
    }

    fn loose_french_marks(&self, css: &str) -> Vec<String> {
        self.script(LOOSE_FRENCH_MARKS, json!([css]))
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    }

    /// The bounding box of `css`: (left, top, width, height).
    fn rect(&self, css: &str) -> (f64, f64, f64, f64) {
        let r = self.script(
            "var r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.width, r.height];",
            json!([css]),
        );
        let n = |i: usize| r[i].as_f64().unwrap();
        (n(0), n(1), n(2), n(3))
    }

    fn style(&self, css: &str, property: &str) -> String {
        self.script(
            "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1]);",
            json!([css, property]),
        )
        .as_str()
        .unwrap()
        .to_owned()
    }
}

/// What a citizen stumbled on (issue 18, tried in Chromium at 1280 and 390 px), checked in
/// the browser on the path a household of Tonneins takes from the Marmande page: the search
/// field as tall as its button; radio buttons outlined like the text fields; a favicon; hints
/// that say what is expected, once; an error summary that reads as French, with no-break
/// spaces before « ? » and « : »; a review headed with Tonneins; a receipt that tells what
/// happens next and offers no reply yet; references that never break at their hyphen, on a
/// phone or in a table; and the service's question right above the reply box. Each public
/// page on the way (portal, form, its errors, review, receipt, tracking page) also fits at
/// 200 % zoom.
#[test]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
fn what_a_citizen_stumbled_on_is_fixed_in_the_browser() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    add_account(
        &database,
        &[
            "agent@vdg.example.org",
            "--name",
            "Aline Agent",
            "--role",
            "agent",
            "--service",
            "environnement",
        ],
    );
    let server = ServerProcess::start(&repo_root(), &database);
    let at = |path: &str| format!("{}{path}", server.address);
    let browser = Browser::start();
    browser.resize(1280, 900);
    let mut zoomed = Vec::new();

    // The portal: the search field is as tall as its button; the icon the page declares is
    // served, and so is /favicon.ico, which browsers ask for anyway.
    browser.go(&at("/"));
    let same_height = |page: &str| {
        let (field, button) = (
            browser.rect(".search-row input"),
            browser.rect(".search-row button"),
        );
        assert!(
            (field.3 - button.3).abs() < 0.5 && (field.1 - button.1).abs() < 0.5,
            "{page}: the search field {field:?} and its button {button:?} differ"
        );
    };
    same_height("portal");
    let icons = browser.command(
        "POST",
        "/execute/async",
        json!({"script": "var done = arguments[arguments.length - 1];
            var declared = document.querySelector('link[rel=icon]').href;
            Promise.all([fetch(declared), fetch('/favicon.ico')])
              .then(function (rs) { done(rs.map(function (r) { return [r.url, r.status, r.headers.get('content-type')]; })); })
              .catch(function (e) { done(String(e)); });", "args": []}),
    );
    for icon in icons.as_array().unwrap_or_else(|| panic!("{icons}")) {
        assert_eq!(icon[1], 200, "{icon}");
        assert_eq!(icon[2], "image/svg+xml", "{icon}");
    }
    zoomed.extend(browser.problems_at_200_percent_zoom("portal"));

    // From the Marmande page to the bin form.
    browser.go(&at("/communes/marmande"));
    same_height("Marmande's page");
    browser.click(r#"a[href^="/demarches/remplacement-bac"]"#);
    browser.wait_for_url("/demarches/remplacement-bac");
    assert!(browser.current_url().contains("commune=marmande"));

    // Radio buttons are outlined like text fields: 2 px, the same near-black.
    let (field_width, field_colour) = (
        browser.style("#f-nom", "border-top-width"),
        browser.style("#f-nom", "border-top-color"),
    );
    assert_eq!(field_width, "2px");
    for radio in ["#f-motif", "#f-type_bac"] {
        assert_eq!(browser.style(radio, "outline-style"), "solid", "{radio}");
        assert_eq!(
            browser.style(radio, "outline-width"),
            field_width,
            "{radio}"
        );
        assert_eq!(
            browser.style(radio, "outline-color"),
            field_colour,
            "{radio}"
        );
    }

    // Hints say what is expected, once: none repeats the « (facultatif) » of its label, none
    // is a bare length, and the bin number's says what its pattern wants.
    let hints = browser.script(
        "var hintOf = function (control) {
           return (control.getAttribute('aria-describedby') || '').split(' ').map(function (id) { return document.getElementById(id); })
             .filter(function (e) { return e && e.classList.contains('hint'); }).map(function (e) { return e.textContent.trim(); });
         };
         var repeated = [];
         document.querySelectorAll('.optional').forEach(function (o) {
           var owner = o.closest('label, legend');
           var control = owner.tagName === 'LABEL' ? document.getElementById(owner.htmlFor) : owner.parentElement;
           hintOf(control).forEach(function (h) { if (/facultati/i.test(h)) repeated.push(owner.textContent.trim() + ' / ' + h); });
         });
         var bare = Array.prototype.map.call(document.querySelectorAll('.hint'), function (h) { return h.textContent.trim(); })
           .filter(function (h) { return /^\\d+ caractères maximum\\.?$/.test(h); });
         return [repeated, bare, hintOf(document.getElementById('f-numero_bac')), document.querySelectorAll('.optional').length];",
        json!([]),
    );
    assert_eq!(hints[0], json!([]), "hints repeating « facultatif »");
    assert_eq!(hints[1], json!([]), "hints that are a bare length");
    assert!(
        hints[3].as_u64().unwrap() > 0,
        "optional questions are marked"
    );
    let number = hints[2].to_string();
    assert!(
        number.contains("6 à 10 chiffres") && !number.contains("caractères maximum"),
        "{number}"
    );
    assert_eq!(
        browser.loose_french_marks("h1, label, legend, .hint"),
        Vec::<String>::new()
    );
    zoomed.extend(browser.problems_at_200_percent_zoom("bin form"));

    // Nothing filled in: the summary names each question once, in French.
    browser.submit(r#"button[value="review"]"#);
    let summary = browser
        .script(
            "return document.querySelector('.error-summary').textContent;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    let spaced = summary.replace('\u{202f}', "\u{a0}");
    assert!(
        spaced.contains("Pourquoi demandez-vous un nouveau bac\u{a0}? Choisissez une réponse."),
        "{summary}"
    );
    assert!(
        spaced.contains("Nom et prénom\u{a0}: complétez-le."),
        "{summary}"
    );
    assert!(
        !spaced.contains("? :") && !spaced.contains("?\u{a0}:") && !summary.contains("obligatoire"),
        "doubled marks or generic wording: {summary}"
    );
    assert_eq!(
        browser.loose_french_marks(".error-summary, .error-message"),
        Vec::<String>::new()
    );
    zoomed.extend(browser.problems_at_200_percent_zoom("bin form with its errors"));

    // A household of Tonneins, come through the Marmande page: the review names Tonneins.
    browser.click("#f-motif");
    browser.type_in("#f-numero_bac", "00123456");
    browser.click("#f-type_bac");
    browser.type_in("#f-nombre_residents", "4");
    browser.type_in("#f-nom", "Claire Martin");
    browser.type_in("#f-adresse-rue", "Rue de la Libération");
    browser.click(r#"#f-adresse-commune option[value="tonneins"]"#);
    browser.type_in("#f-email", "claire.martin@example.org");
    browser.submit(r#"button[value="review"]"#);
    let heading = browser.text("h1 + p");
    assert!(
        heading.ends_with("– Tonneins") && !heading.contains("Marmande"),
        "{heading}"
    );
    zoomed.extend(browser.problems_at_200_percent_zoom("review"));

    // The receipt: what happens next (the deadline, the e-mail just sent), no reply box.
    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    let next = browser.text(".next-steps");
    assert!(
        next.contains("Un e-mail de confirmation vient d'être envoyé à claire.martin@example.org"),
        "{next}"
    );
    let due = browser.text(".next-steps .due");
    let due = time::Date::parse(
        &due,
        time::macros::format_description!("[day]/[month]/[year]"),
    )
    .unwrap_or_else(|e| panic!("{due}: {e}"));
    let today = time::OffsetDateTime::now_utc().date();
    assert!(
        (9..=11).contains(&(due - today).whole_days()),
        "the bin form's 10 days: {due}"
    );
    let page = browser.text("main");
    assert!(page.contains("Et maintenant"), "{page}");
    assert!(!page.contains("Répondez"), "{page}");
    let replies = browser.script(
        "return document.querySelectorAll('form.reply, textarea').length;",
        json!([]),
    );
    assert_eq!(replies, 0, "no reply box before any question");
    assert_eq!(
        browser.loose_french_marks("h1, h2, .next-steps"),
        Vec::<String>::new()
    );
    zoomed.extend(browser.problems_at_200_percent_zoom("receipt"));
    // The reference stays on one line, on a phone too.
    for width in [1280, 390, 320] {
        browser.resize(width, 900);
        browser
            .assert_references_on_one_line(".reference", &format!("on the receipt at {width} px"));
    }
    browser.resize(1280, 900);
    let reference = browser.text(".reference");
    let link = browser.text(".tracking-link a");

    // Before any question, the tracking page offers to write, without pretending one was
    // asked.
    browser.go(&link);
    let page = browser.text("main");
    assert!(page.contains("Écrire au service"), "{page}");
    assert!(!page.contains("Répondez à la question"), "{page}");
    zoomed.extend(browser.problems_at_200_percent_zoom("tracking page"));

    // In the agent's listing, the reference stays on one line in the table and on the
    // cards a phone shows.
    browser.sign_in(&server.address, "agent@vdg.example.org");
    browser.go(&at("/bureau/files/dechets-bacs"));
    for width in [1280, 390] {
        browser.resize(width, 900);
        browser.assert_references_on_one_line(
            ".queue-table .ref",
            &format!("in the queue at {width} px"),
        );
    }
    browser.resize(1280, 900);
    let question = "Quel est le numéro inscrit sur le couvercle de votre bac actuel ?";
    browser.go(&at(&format!("/bureau/demandes/{reference}")));
    browser.assert_references_on_one_line("h1 .ref", "on the request's page");
    browser.type_in("#message", question);
    browser.submit("#message ~ button");
    browser.sign_out();

    // The citizen sees the question right above the reply box, the history below.
    browser.go(&link);
    browser.assert_references_on_one_line("h1 .ref", "on the tracking page");
    let order = browser.script(
        "var q = document.querySelector('form.reply .question');
         var between = [];
         for (var e = q.nextElementSibling; e && e.id !== 'text'; e = e.nextElementSibling) between.push(e.tagName.toLowerCase());
         var history = Array.prototype.find.call(document.querySelectorAll('h2'), function (h) { return h.textContent === 'Historique'; });
         var box = document.getElementById('text').getBoundingClientRect();
         return [q.previousElementSibling.textContent, q.textContent.trim(), between,
                 box.top - q.getBoundingClientRect().bottom, history.getBoundingClientRect().top - box.bottom];",
        json!([]),
    );
    assert_eq!(order[0], "Le service attend votre réponse");
    assert_eq!(order[1], question);
    assert_eq!(
        order[2],
        json!(["label", "p"]),
        "only the label and its hint between"
    );
    let (gap, below) = (order[3].as_f64().unwrap(), order[4].as_f64().unwrap());
    assert!(
        (0.0..200.0).contains(&gap),
        "the reply box is {gap} px below the question"
    );
    assert!(below > 0.0, "the history comes after the reply box");
    zoomed.extend(browser.problems_at_200_percent_zoom("tracking page with a question"));
    server.stop();
    assert!(zoomed.is_empty(), "{}", zoomed.join("\n"));
}

/// A visitor switches the portal to English with the link on every page (no script: the
/// browser runs none), files the bin request in English and reads the English receipt; the
/// English form page, with and without its errors, passes axe-core's WCAG 2.1 A/AA rules.
#[test]
#[ignore = "needs chromium, chromium-driver and axe-core; .ci/run installs them and runs it"]
fn a_visitor_switches_to_english_without_javascript_and_files_the_bin_request() {
    let axe = axe_source();
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(&repo_root(), &test_database(data.path()));

    let browser = Browser::start_without_javascript();
    browser.go(&format!("{}/", server.address));
    browser.find(r#"html[lang="fr"]"#);
    assert!(browser.text("h1").contains("Vos démarches"));
    browser.submit("a.language-switch");
    browser.find(r#"html[lang="en"]"#);
    assert!(
        browser.text("h1").contains("Your services"),
        "{}",
        browser.text("h1")
    );
    assert_eq!(browser.current_url(), format!("{}/", server.address));
    browser.click(r#"a[href="/demarches/remplacement-bac"]"#);
    browser.wait_for_url("/demarches/remplacement-bac");
    browser.find(r#"html[lang="en"]"#);
    assert!(browser.text("h1").contains("Replace a waste bin"));

    // A first try without the bin number: the summary in English.
    browser.click("#f-motif");
    browser.click("#f-type_bac");
    browser.type_in("#f-nombre_residents", "4");
    browser.type_in("#f-nom", "Jane Doe");
    browser.type_in("#f-adresse-rue", "Rue de la Libération");
    browser.click(r#"#f-adresse-commune option[value="marmande"]"#);
    browser.submit(r#"button[value="review"]"#);
    let summary = browser.text(".error-summary");
    assert!(
        summary.contains("Your request is not complete yet"),
        "{summary}"
    );
    assert!(summary.contains("Bin number: fill it in."), "{summary}");
    browser.type_in("#f-numero_bac", "00123456");
    browser.submit(r#"button[value="review"]"#);
    let review = browser.text("main");
    assert!(review.contains("Check your answers"), "{review}");
    assert!(
        review.contains("It is broken (body, lid or wheels)"),
        "{review}"
    );
    browser.click(r#"button[value="submit"]"#);
    browser.wait_for_url("/suivi/");
    let receipt = browser.text("main");
    assert!(receipt.contains("Your request has been saved"), "{receipt}");
    assert!(receipt.contains("Received"), "{receipt}");
    drop(browser);

    // The English form page, with its errors, for axe (which needs scripts).
    let browser = Browser::start();
    browser.go(&format!("{}/demarches/remplacement-bac", server.address));
    browser.submit("a.language-switch");
    browser.find(r#"html[lang="en"]"#);
    let found = browser.axe_violations(&axe);
    assert!(found.is_empty(), "the English form:\n{}", found.join("\n"));
    browser.submit(r#"button[value="review"]"#);
    assert!(browser.text(".error-summary").contains("Fix the following"));
    let found = browser.axe_violations(&axe);
    assert!(
        found.is_empty(),
        "the English form with errors:\n{}",
        found.join("\n")
    );
    server.stop();
}
