//! Staff sign-in through a real OpenID Connect provider: node's `oidc-provider`
//! (tests/oidc/provider.mjs), started on a free port for each test and driven over HTTP as a
//! browser would: its login and consent forms, its cookies and Guichet's kept in a jar.
//!
//! They need node and the package, which .ci/run installs (`npm install --prefix
//! /tmp/guichet-ci-node oidc-provider@…`, see [`PACKAGE`]); they are `#[ignore]`d and run by
//! .ci/run with `oidc::`. Run by hand without them, they say so and pass; under CI=true their
//! absence fails them.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guichet::config::Secret;
use guichet::domain::Role;
use reqwest::StatusCode;
use tempfile::TempDir;

use crate::common::staff::{self, Browser};
use crate::common::{TestApp, catalogue_copy, repo_root, spawn_app_configured};

/// The package and version .ci/run installs.
pub const PACKAGE: &str = "oidc-provider@9.13.3";
const CALLBACK: &str = "/bureau/connexion/oidc/retour";
const PROVIDER_NAME: &str = "Fournisseur de test";
/// The client the provider script registers.
const CLIENT_SECRET: &str = "secret-de-test-guichet";

/// The accounts of tests/oidc/provider.mjs, by the id its login form takes.
const AGNES: (&str, &str) = ("agnes", "agnes.martin@agglo.example.org");
const BRUNO: (&str, &str) = ("bruno", "bruno.petit@agglo.example.org");
const CHLOE: (&str, &str) = ("chloe", "chloe.durand@ailleurs.example.net");
const NADIA: (&str, &str) = ("nadia", "nadia.roux@mairie.example.org");

/// Where the package is, or None (the test is skipped) when node or the package is missing
/// outside CI.
fn node_modules() -> Option<PathBuf> {
    let dir = std::env::var_os("GUICHET_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/guichet-ci-node/node_modules"));
    let node = Command::new("node").arg("--version").output();
    let missing = match node {
        Err(err) => Some(format!("node does not run ({err})")),
        Ok(_) if !dir.join("oidc-provider/package.json").exists() => {
            Some(format!("oidc-provider is not in {}", dir.display()))
        }
        Ok(_) => None,
    };
    match missing {
        None => Some(dir),
        Some(why) => {
            let install = format!(
                "{why}: install node and run `npm install --prefix /tmp/guichet-ci-node {PACKAGE}` (as .ci/run does)"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{install}");
            eprintln!("skipped: {install}");
            None
        }
    }
}

/// The provider's process, ended with the test.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider script and waits until it serves its discovery document. With
    /// `id_token_claims`, the address rides in the ID token; otherwise only in UserInfo.
    async fn start(id_token_claims: bool) -> Option<Provider> {
        let modules = node_modules()?;
        let mut child = Command::new("node")
            .arg(repo_root().join("tests/oidc/provider.mjs"))
            .arg(&modules)
            .env("ID_TOKEN_CLAIMS", if id_token_claims { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("its standard output");
        // Its first line names the issuer, once it listens. The rest is read and dropped
        // until it ends: node dies of EPIPE when it writes to a pipe nobody reads.
        let first_line = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).map(|_| line);
            std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
            read
        });
        let line = tokio::time::timeout(Duration::from_secs(30), first_line)
            .await
            .expect("the provider starts within 30 s")
            .unwrap()
            .unwrap();
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider printed {line:?}, not its issuer"))
            .trim()
            .to_owned();
        let provider = Provider { child, issuer };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        let started = Instant::now();
        loop {
            match reqwest::get(&discovery).await {
                Ok(answer) if answer.status() == StatusCode::OK => break,
                _ if started.elapsed() > Duration::from_secs(10) => {
                    panic!("the provider does not serve {discovery}")
                }
                _ => tokio::task::yield_now().await,
            }
        }
        Some(provider)
    }
}

/// Guichet with the demo catalogue, signing in through `provider`: the `[oidc]` table in
/// territory.toml, the issuer and the secret from the environment's settings. Addresses of
/// mairie.example.org get an agent's account for the voirie service.
async fn spawn_app_with(provider: &Provider) -> (TestApp, TempDir) {
    let catalogue = catalogue_copy(&repo_root(), &[]);
    let path = catalogue.path().join("territory.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!(
        "\n[oidc]\nname = \"{PROVIDER_NAME}\"\nclient_id = \"guichet\"\nallowed_domains = [\"mairie.example.org\"]\n\n[oidc.new_accounts]\nrole = \"agent\"\nservices = [\"voirie\"]\n"
    ));
    std::fs::write(&path, text).unwrap();
    let issuer = provider.issuer.clone();
    let app = spawn_app_configured(catalogue.path(), |config| {
        config.oidc.oidc_issuer = Some(issuer);
        config.oidc.oidc_client_secret = Some(Secret::new(CLIENT_SECRET));
    })
    .await;
    (app, catalogue)
}

/// A browser: a cookie jar, redirects followed by hand so the test sees each hop.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    let location = response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect from {}", response.url()))
        .to_str()
        .unwrap();
    response.url().join(location).unwrap().to_string()
}

/// The value of `name="…" value="…"`, or a form's `action`, in a page.
fn attribute_after(page: &str, marker: &str) -> String {
    page.split(marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {marker} in\n{page}"))
        .replace("&amp;", "&")
}

/// Clicks « Se connecter avec … » on Guichet's sign-in page and signs in at the provider as
/// `account` (its login form, then its consent form); returns the callback URL the provider
/// sends the browser back to, not yet visited.
async fn through_provider(app: &TestApp, browser: &reqwest::Client, account: &str) -> String {
    let page = browser
        .get(app.url("/bureau/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("Se connecter avec {PROVIDER_NAME}"))
            && page.contains("action=\"/bureau/connexion/oidc\""),
        "{page}"
    );
    let mut response = browser
        .get(app.url("/bureau/connexion/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    for attribute in ["guichet_oidc_state=", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let authorize = location(&response);
    for parameter in [
        "response_type=code",
        "client_id=guichet",
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
        "scope=openid+email+profile",
    ] {
        assert!(authorize.contains(parameter), "{parameter} in {authorize}");
    }
    response = browser.get(&authorize).send().await.unwrap();
    for _ in 0..20 {
        if response.status().is_redirection() {
            let next = location(&response);
            if next.starts_with(&app.url(CALLBACK)) {
                return next;
            }
            response = browser.get(&next).send().await.unwrap();
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "{}", response.url());
        let page = response.text().await.unwrap();
        let action = attribute_after(&page, "action=\"");
        let prompt = attribute_after(&page, "name=\"prompt\" value=\"");
        let mut fields = vec![("prompt", prompt.as_str())];
        if prompt == "login" {
            fields.extend([("login", account), ("password", "tout mot de passe")]);
        }
        response = browser.post(&action).form(&fields).send().await.unwrap();
    }
    panic!("the provider never sent the browser back to Guichet");
}

/// Visits the callback; returns the answer's status, page and the session cookie it set.
async fn back_at_guichet(
    browser: &reqwest::Client,
    callback: &str,
) -> (StatusCode, String, Option<String>) {
    let response = browser.get(callback).send().await.unwrap();
    let status = response.status();
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("guichet_session=") && !c.starts_with("guichet_session=;"))
        .map(|c| c.split(';').next().unwrap().to_owned());
    (status, response.text().await.unwrap(), session)
}

/// An agent of the voirie service whose account an admin made, as Agnès has at the provider.
async fn agnes(app: &TestApp) -> guichet::store::StaffUser {
    staff::add_user(app, AGNES.1, Role::Agent, &["voirie"], &[]).await
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn an_agent_signs_in_through_the_provider_and_works() {
    let Some(provider) = Provider::start(false).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    let user = agnes(&app).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, AGNES.0).await;
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Connexion réussie") && page.contains("url=/bureau"),
        "{page}"
    );
    let session = session.expect("a session cookie");
    // The session is a password's: the back office, its CSRF token, its queues.
    let signed = Browser {
        csrf: String::new(),
        cookie: session.clone(),
    };
    let (status, home) = signed.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains(&user.name), "{home}");
    let (status, queue) = signed.get(&app, "/bureau/files/voirie-agglo").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    // Signing out works as after a password's sign-in.
    let (_, password_page) = signed.get(&app, "/bureau/mot-de-passe").await;
    let signed = Browser {
        csrf: staff::csrf_in(&password_page),
        cookie: session,
    };
    let (status, _) = signed.post(&app, "/bureau/deconnexion", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The same callback again (a replay, the back button): its state was used.
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("a expiré"), "{page}");
    assert!(session.is_none());
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn a_callback_whose_state_is_not_this_browsers_is_refused() {
    let Some(provider) = Provider::start(false).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    agnes(&app).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, AGNES.0).await;
    let state = attribute_after(&format!("{callback}\""), "state=");
    let state = state.split('&').next().unwrap().to_owned();

    // Another state than the one this browser began with.
    let forged = callback.replace(&format!("state={state}"), "state=AAAAAAAAAAAAAAAAAAAAAA");
    let (status, page, session) = back_at_guichet(&browser, &forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("a expiré ou n"), "{page}");
    assert!(session.is_none());

    // The real callback in another browser (login CSRF: the attacker's code in the victim's
    // browser), which never began a sign-in.
    let (status, _, session) = back_at_guichet(&self::browser(), &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(session.is_none());
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn an_address_the_provider_did_not_verify_is_refused() {
    let Some(provider) = Provider::start(false).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    staff::add_user(&app, BRUNO.1, Role::Agent, &["voirie"], &[]).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, BRUNO.0).await;
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("indique pas que votre adresse électronique est vérifiée"),
        "{page}"
    );
    assert!(session.is_none());
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn an_unknown_address_outside_the_allowed_domains_is_refused() {
    let Some(provider) = Provider::start(true).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    let browser = browser();
    let callback = through_provider(&app, &browser, CHLOE.0).await;
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("Aucun compte du bureau n") && page.contains("Demandez à un administrateur"),
        "{page}"
    );
    assert!(session.is_none());
    assert!(app.store.user_by_email(CHLOE.1).await.unwrap().is_none());
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn an_allowed_domain_gets_an_account_with_the_default_role_on_first_sign_in() {
    // The address in the ID token itself this time, not only in UserInfo.
    let Some(provider) = Provider::start(true).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    assert!(app.store.user_by_email(NADIA.1).await.unwrap().is_none());
    let browser = browser();
    let callback = through_provider(&app, &browser, NADIA.0).await;
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let user = app
        .store
        .user_by_email(NADIA.1)
        .await
        .unwrap()
        .expect("the account is created");
    assert_eq!(user.email, NADIA.1, "stored in lower case");
    assert_eq!(user.name, "Nadia Roux");
    assert_eq!(user.role, Role::Agent);
    assert_eq!(
        user.services
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect::<Vec<_>>(),
        ["voirie"]
    );
    assert!(user.communes.is_empty() && !user.disabled);
    // No password: the password form signs it in with none.
    let attempt = staff::try_login(&app, NADIA.1, staff::PASSWORD).await;
    assert_eq!(attempt.status(), StatusCode::UNAUTHORIZED);
    let signed = Browser {
        csrf: String::new(),
        cookie: session.expect("a session cookie"),
    };
    let (status, home) = signed.get(&app, "/bureau/files/voirie-agglo").await;
    assert_eq!(status, StatusCode::OK, "{home}");

    // The second sign-in finds the account, and makes no other.
    let callback = through_provider(&app, &browser, NADIA.0).await;
    let (status, _, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::OK);
    assert!(session.is_some());
    let same = app.store.user_by_email(NADIA.1).await.unwrap().unwrap();
    assert_eq!(same.id, user.id);
}

#[tokio::test]
#[ignore = "needs node and oidc-provider; .ci/run installs them and runs it"]
async fn a_disabled_account_is_refused() {
    let Some(provider) = Provider::start(false).await else {
        return;
    };
    let (app, _catalogue) = spawn_app_with(&provider).await;
    agnes(&app).await;
    assert!(
        app.store
            .set_user_disabled(
                AGNES.1,
                true,
                &guichet::store::staff::AccountActor::now("test")
            )
            .await
            .unwrap()
    );
    let browser = browser();
    let callback = through_provider(&app, &browser, AGNES.0).await;
    let (status, page, session) = back_at_guichet(&browser, &callback).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Votre compte est désactivé"), "{page}");
    assert!(session.is_none());
}

/// Without a provider configured, the sign-in page offers none and its routes say so.
#[tokio::test]
async fn without_a_provider_the_sign_in_page_offers_none() {
    let app = crate::common::spawn_app().await;
    let page = app.get_text("/bureau/connexion").await;
    assert!(!page.contains("Se connecter avec"), "{page}");
    let response = app
        .client
        .get(app.url("/bureau/connexion/oidc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .client
        .get(app.url(&format!("{CALLBACK}?state=x&code=y")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
