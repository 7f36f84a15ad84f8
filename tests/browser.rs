//! A person files the bin-replacement request in a real browser (headless Chromium driven
//! over WebDriver) and follows it with the tracking link. It checks what only a browser
//! shows: the conditional field hidden and revealed by the script, the form submitted by
//! clicks, the redirect to the receipt.
//!
//! Needs Debian's `chromium` and `chromium-driver`, so it is `#[ignore]`d in a plain
//! `cargo test`; `.ci/run` installs both and runs it with `--ignored`.

mod common;

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
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
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
    browser.click(r#"button[value="review"]"#);
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
    browser.click(r#"button[value="review"]"#);
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
