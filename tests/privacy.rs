//! Personal data stays where it belongs: never in the logs (even when deliveries fail and
//! start-up goes wrong), and not in the SQLite files once deleted. Each test runs the
//! `guichet` binary as operators do, its log read from a pipe.

mod common;

use std::path::Path;
use std::time::Duration;

use common::receiver::{Mode, Receiver, catalogue_with_webhook};
use common::{ServerProcess, guichet, on_postgres, test_database};
use guichet::config::DatabaseConfig;
use serde_json::{Value, json};

/// Polls `check` every 50 ms until it holds, or fails after `within`.
async fn wait_for(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "waited {within:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn database_config(url: &str) -> DatabaseConfig {
    DatabaseConfig {
        url: url.to_owned(),
        max_connections: 2,
    }
}

/// A request with a canary in every field a citizen types, e-mail and webhook deliveries
/// that fail until they are parked as dead, tracking look-ups by link: the whole log, at
/// debug level, holds none of the canaries, and no colour codes (it goes to a pipe).
#[tokio::test]
async fn logs_hold_no_personal_data_tokens_or_credentials_when_deliveries_fail() {
    let receiver = Receiver::new(Mode::Fail);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    receiver.serve(listener);
    let catalogue = catalogue_with_webhook(port);
    // A rule that fails by quoting the answers: the failure is logged, the answer is not.
    let rule = catalogue.path().join("rules/signalement-voirie.rhai");
    let source = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(
        &rule,
        format!(
            "if data.description.contains(\"Kanari7x\") {{ throw data.description; }}\n{source}"
        ),
    )
    .unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    // Nothing listens on port 1: every e-mail fails, with a password in the mail URL.
    let smtp_password = "Pw-canary-7Hq2";
    let mail_url = format!("smtp://relay-user:{smtp_password}@127.0.0.1:1");
    let flags = [
        "--webhook-allow-private",
        "--outbox-poll-ms",
        "50",
        "--outbox-retry-base-ms",
        "10",
        "--outbox-max-attempts",
        "2",
        "--mail-url",
        &mail_url,
    ];
    let server = ServerProcess::start_logging(catalogue.path(), &database, &flags, true);
    let client = reqwest::Client::new();

    let canary = "Kanari7x";
    let email = "kanari7x.citoyenne@example.org";
    let phone = "05 53 79 81 29";
    let sent = json!({
        "categorie": "nid-de-poule", "commune": "tonneins",
        "localisation": format!("12 rue {canary} Localisation"),
        "description": format!("Un trou {canary} Description"),
        "urgence": "moyenne", "danger_immediat": true,
        "nom": format!("{canary} Nom"), "email": email, "telephone": phone,
        "rappel_souhaite": true
    });
    let created: Value = client
        .post(format!(
            "{}/api/v1/forms/signalement-voirie/submissions",
            server.address
        ))
        .json(&sent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tracking_url = created["tracking_url"].as_str().expect("filed").to_owned();
    let token = tracking_url.rsplit('/').next().unwrap().to_owned();
    let bin: Value = client
        .post(format!(
            "{}/api/v1/forms/remplacement-bac/submissions",
            server.address
        ))
        .json(&json!({
            "motif": "casse", "numero_bac": "90817263", "type_bac": "ordures-menageres",
            "nombre_residents": 4, "nom": format!("{canary} Bac"),
            "adresse": {"numero_voie": "7", "rue": format!("Rue {canary}"), "commune": "marmande"},
            "email": email, "telephone": phone
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(bin["reference"].is_string(), "{bin}");
    for path in [format!("/suivi/{token}"), format!("/api/v1/track/{token}")] {
        let response = client
            .get(format!("{}{path}", server.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    // Every delivery fails twice and is parked as dead: the failure paths have all logged.
    let store = guichet::store::open(&database_config(&database))
        .await
        .unwrap();
    // (Digest items wait for their hour and stay pending.)
    wait_for(
        "every delivery parked as dead",
        Duration::from_secs(30),
        async || {
            let dead = store.list_outbox(&["dead"], 100).await.unwrap();
            let pending = store.list_outbox(&["pending"], 100).await.unwrap();
            dead.iter().any(|r| r.channel.as_str() == "email")
                && dead.iter().any(|r| r.channel.as_str() == "webhook")
                && pending.iter().all(|r| r.kind == "digest_item")
        },
    )
    .await;
    store.close().await;
    let text = server.stop();
    assert!(
        text.contains("parked as dead") && text.contains("will retry"),
        "the failures were logged: {text}"
    );
    assert!(text.contains("routing rule failed"), "{text}");
    assert!(
        text.contains("channel=\"email\"") || text.contains("channel=email"),
        "{text}"
    );
    assert!(
        text.contains("channel=\"webhook\"") || text.contains("channel=webhook"),
        "{text}"
    );
    for secret in [
        canary,
        email,
        "kanari7x",
        phone,
        "90817263",
        &token,
        smtp_password,
        common::receiver::SECRET,
    ] {
        assert!(
            !text.to_lowercase().contains(&secret.to_lowercase()),
            "the log holds {secret:?}:\n{text}"
        );
    }
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log written to a pipe"
    );
}

/// Start-up errors name the database or the mail server they could not use, without the
/// password in its URL.
#[test]
fn start_up_errors_do_not_echo_url_credentials() {
    let data = tempfile::TempDir::new().unwrap();
    let sqlite = format!("sqlite://{}", data.path().join("g.db").display());
    let cases = [
        (
            vec![
                "--database".to_owned(),
                "postgres://guichet:Pw-canary-db@127.0.0.1:1/guichet?password=Pw-canary-q"
                    .to_owned(),
            ],
            "cannot open the database postgres://***@127.0.0.1:1/guichet",
        ),
        (
            vec![
                "--database".to_owned(),
                sqlite.clone(),
                "--mail-url".to_owned(),
                "ftp://relay:Pw-canary-ftp@mail.example.org".to_owned(),
            ],
            "the mail URL must start with file://, smtp:// or smtps://",
        ),
        (
            vec![
                "--database".to_owned(),
                sqlite.clone(),
                "--mail-url".to_owned(),
                "smtp://relay:Pw-canary-smtp@mail.example.org:587?tls=maybe".to_owned(),
            ],
            "cannot set up e-mail with smtp://***@mail.example.org:587",
        ),
    ];
    for (flags, says) in cases {
        let output = guichet()
            .args(["serve", "--bind", "127.0.0.1:0", "--catalogue"])
            .arg(common::repo_root())
            .args(&flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{flags:?} started");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
        assert!(!stderr.contains("Pw-canary"), "{flags:?}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "colour codes in a pipe: {stderr}"
        );
    }
}

/// What was deleted leaves the SQLite files: `secure_delete` zeroes it in the pages, and a
/// graceful shutdown empties the WAL, where the previous versions of pages live. A staff
/// session signed in and out over HTTP is the row deleted here.
#[tokio::test]
async fn a_deleted_session_leaves_no_copy_in_the_sqlite_files_after_shutdown() {
    if on_postgres() {
        return; // SQLite's files only; PostgreSQL manages its own storage.
    }
    let data = tempfile::TempDir::new().unwrap();
    let database = format!("sqlite://{}", data.path().join("guichet.db").display());
    let mut add = guichet()
        .args([
            "user",
            "add",
            "agent@example.org",
            "--name",
            "Agent",
            "--role",
            "agent",
        ])
        .args([
            "--service",
            "environnement",
            "--database",
            &database,
            "--catalogue",
        ])
        .arg(common::repo_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = add.stdin.take().unwrap();
        writeln!(stdin, "une phrase de passe assez longue").unwrap();
    }
    assert!(add.wait().unwrap().success());

    let server = ServerProcess::start(&common::repo_root(), &database);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/bureau/connexion", server.address))
        .form(&[
            ("email", "agent@example.org"),
            ("password", "une phrase de passe assez longue"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = cookie.split_once('=').unwrap().1;
    let hash = guichet::domain::Capability::parse(token).unwrap().hash();
    assert!(
        found_in_files(data.path(), &hash),
        "the session is on disk while it lives"
    );
    let page = client
        .get(format!("{}/bureau/mot-de-passe", server.address))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token in the page");
    let response = client
        .post(format!("{}/bureau/deconnexion", server.address))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "signed out");
    server.stop();

    assert!(
        !found_in_files(data.path(), &hash),
        "a deleted session's token hash is still in the database's files"
    );
    let wal = data.path().join("guichet.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "the WAL is emptied on shutdown"
    );
}

/// Whether `needle` is in any file of `dir` (the database, its WAL and shared memory).
fn found_in_files(dir: &Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
        std::fs::read(entry.path())
            .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    })
}
