//! Personal data stays where it belongs: never in the logs (even when deliveries fail and
//! start-up goes wrong), and not in the SQLite files once deleted. Each test runs the
//! `guichet` binary as operators do, its log read from a pipe.

use crate::common;
use crate::common::mail::wait_for;

use std::path::Path;
use std::time::Duration;

use common::receiver::{Mode, Receiver, catalogue_with_webhook};
use common::{ServerProcess, guichet, on_postgres, test_database};
use guichet::config::DatabaseConfig;
use serde_json::{Value, json};

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
    let csrf = common::staff::csrf_in(&page);
    let response = client
        .post(format!("{}/bureau/deconnexion", server.address))
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf.as_str())])
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

/// The value of the sample of `metric` whose labels include every one of `labels`
/// (`name="value"`), summed over the others; 0 when there is none.
fn sample(scraped: &str, metric: &str, labels: &[&str]) -> f64 {
    scraped
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, rest) = series.split_once('{').unwrap_or((series, ""));
            (name == metric && labels.iter().all(|l| rest.contains(l))).then_some(value)
        })
        .map(|value| value.parse::<f64>().unwrap())
        .sum()
}

/// `/metrics` is served on `--metrics-bind` only, never on the public port; a filing moves
/// the filing counter of its form and queue by one (and the fallback counter when its rule
/// failed), HTTP requests are counted by route template and status (never by path: no
/// tracking token in a label), latencies are histograms, and the outbox and the connection
/// pools have their gauges.
#[tokio::test]
async fn metrics_count_filings_and_requests_on_their_own_listener_only() {
    let catalogue = common::catalogue_copy(&common::repo_root(), &[]);
    // A rule that fails on a marker: that filing goes to the form's fallback queue.
    let rule = catalogue.path().join("rules/signalement-voirie.rhai");
    let source = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(
        &rule,
        format!("if data.description.contains(\"PANNE\") {{ throw \"rule down\"; }}\n{source}"),
    )
    .unwrap();
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let server = ServerProcess::start_logging(
        catalogue.path(),
        &database,
        &["--metrics-bind", "127.0.0.1:0"],
        false,
    );
    let metrics_url = server.metrics.clone().expect("the metrics line");
    assert!(metrics_url.ends_with("/metrics"), "{metrics_url}");
    assert_ne!(
        metrics_url,
        format!("{}/metrics", server.address),
        "a port of its own"
    );
    let client = reqwest::Client::new();
    let scrape = async || {
        let response = client.get(&metrics_url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        response.text().await.unwrap()
    };

    // Not on the public port, whatever the method.
    let public = client
        .get(format!("{}/metrics", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);

    let before = scrape().await;
    let report = |description: &str| {
        json!({
            "categorie": "nid-de-poule", "commune": "tonneins",
            "localisation": "12 rue des Écoles", "description": description,
            "urgence": "moyenne", "danger_immediat": false,
            "nom": "Jeanne Martin", "email": "jeanne@example.org"
        })
    };
    let submissions = format!(
        "{}/api/v1/forms/signalement-voirie/submissions",
        server.address
    );
    // Queue of each filing, as the API answered it.
    let mut queues: Vec<String> = Vec::new();
    let mut token = String::new();
    for description in ["Un trou", "Un trou PANNE", "Encore un trou"] {
        let response = client
            .post(&submissions)
            .json(&report(description))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        queues.push(created["queue"].as_str().unwrap().to_owned());
        token = created["tracking_url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
    }
    let tracked = client
        .get(format!("{}/suivi/{token}", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status(), 200);
    let after = scrape().await;

    let filings = |scraped: &str, queue: &str| {
        sample(
            scraped,
            "guichet_filings_total",
            &["form=\"signalement-voirie\"", &format!("queue=\"{queue}\"")],
        )
    };
    for queue in &queues {
        let filed_there = queues.iter().filter(|q| *q == queue).count() as f64;
        assert_eq!(
            filings(&after, queue) - filings(&before, queue),
            filed_there,
            "{queue}: {after}"
        );
    }
    let fallbacks = |scraped: &str| {
        sample(
            scraped,
            "guichet_rule_fallbacks_total",
            &["form=\"signalement-voirie\""],
        )
    };
    assert_eq!(fallbacks(&after) - fallbacks(&before), 1.0, "{after}");

    let route = "route=\"/api/v1/forms/{id}/submissions\"";
    assert_eq!(
        sample(
            &after,
            "guichet_http_requests_total",
            &["method=\"POST\"", route, "status=\"201\""]
        ),
        3.0,
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            "guichet_http_requests_total",
            &[
                "method=\"GET\"",
                "route=\"/suivi/{token}\"",
                "status=\"200\""
            ]
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        sample(
            &after,
            "guichet_http_requests_total",
            &["route=\"unmatched\"", "status=\"404\""]
        ),
        1.0,
        "the public /metrics: {after}"
    );
    assert_eq!(
        sample(
            &after,
            "guichet_http_request_duration_seconds_bucket",
            &["method=\"POST\"", route, "le=\"+Inf\""]
        ),
        3.0,
        "{after}"
    );
    assert!(
        after.contains("guichet_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/forms/{id}/submissions\",le=\"0.1\"}"),
        "{after}"
    );
    for state in ["pending", "failing", "dead"] {
        assert!(
            after.contains(&format!("guichet_outbox_messages{{state=\"{state}\"}}")),
            "{after}"
        );
    }
    // The receipts were queued for the mailer (it may have sent some already).
    assert!(
        sample(&after, "guichet_outbox_messages", &["state=\"pending\""])
            + sample(
                &after,
                "guichet_outbox_deliveries_total",
                &["outcome=\"delivered\""]
            )
            >= 1.0,
        "{after}"
    );
    assert_eq!(sample(&after, "guichet_database_up", &[]), 1.0, "{after}");
    assert!(
        sample(&after, "guichet_db_pool_max_connections", &[]) >= 1.0,
        "{after}"
    );
    assert!(
        after.contains("guichet_db_pool_connections{pool=") && after.contains("state=\"idle\""),
        "{after}"
    );
    assert!(!after.contains(&token), "a tracking token in the metrics");
    server.stop();
}

/// With `--log-format json` every line of standard error is a JSON object; each request
/// gets exactly one access line (method, route template, status, duration, request id), its
/// request id is the `X-Request-Id` the client got back and is on the other lines the
/// request logged; a plain id from a proxy is kept, anything else replaced; no line holds
/// a tracking token, a query or a path that was not a route.
#[tokio::test]
async fn json_logs_have_one_access_line_per_request_with_its_request_id() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let server = ServerProcess::start_logging(
        &common::repo_root(),
        &database,
        &["--log-format", "json"],
        true,
    );
    assert!(server.metrics.is_none());
    let client = reqwest::Client::new();
    // (path, method, X-Request-Id sent, route expected, status expected)
    let mut sent: Vec<(String, &str, Option<&str>, &str, u16)> = Vec::new();
    let mut got: Vec<String> = Vec::new();

    let response = client
        .post(format!(
            "{}/api/v1/forms/remplacement-bac/submissions",
            server.address
        ))
        .header("x-request-id", "proxy-5f2c.41")
        .json(&json!({
            "motif": "casse", "numero_bac": "90817263", "type_bac": "ordures-menageres",
            "nombre_residents": 4, "nom": "Jeanne Martin",
            "adresse": {"numero_voie": "7", "rue": "Rue Kanari9q", "commune": "marmande"},
            "email": "kanari9q@example.org"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    got.push(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    sent.push((
        "/api/v1/forms/remplacement-bac/submissions".into(),
        "POST",
        Some("proxy-5f2c.41"),
        "/api/v1/forms/{id}/submissions",
        201,
    ));
    let created: Value = response.json().await.unwrap();
    let token = created["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let requests = [
        (format!("/suivi/{token}"), None, "/suivi/{token}", 200),
        (
            format!("/api/v1/track/{token}"),
            None,
            "/api/v1/track/{token}",
            200,
        ),
        // Not plain: replaced, never logged.
        (
            "/?q=Kanari9q".into(),
            Some("x\"}{\"level\":\"ERROR"),
            "/",
            200,
        ),
        ("/nulle-part-Kanari9q".into(), None, "unmatched", 404),
    ];
    for (path, id, route, status) in requests {
        let mut request = client.get(format!("{}{path}", server.address));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        got.push(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
        sent.push((path, "GET", id, route, status));
    }
    let log = server.stop();

    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l.is_object() && l["level"].is_string() && l["timestamp"].is_string())
    );
    let access: Vec<&Value> = lines
        .iter()
        .filter(|l| l["message"] == "request completed")
        .collect();
    assert_eq!(
        access.len(),
        sent.len(),
        "one access line per request:\n{log}"
    );
    for ((path, method, id_sent, route, status), id) in sent.iter().zip(&got) {
        match id_sent {
            Some(plain) if !plain.contains('"') => assert_eq!(id, plain, "{path}"),
            _ => assert!(uuid::Uuid::parse_str(id).is_ok(), "{path}: {id}"),
        }
        let mine: Vec<_> = access.iter().filter(|l| l["request_id"] == **id).collect();
        assert_eq!(mine.len(), 1, "{path}: {id}\n{log}");
        let line = mine[0];
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["method"], *method, "{line}");
        assert_eq!(line["route"], *route, "{line}");
        assert_eq!(line["status"], *status, "{line}");
        assert!(
            line["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
            "{line}"
        );
    }
    // The filing's own line carries its request's id.
    let filed: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "request filed")
        .collect();
    assert_eq!(filed.len(), 1, "{log}");
    assert_eq!(filed[0]["request_id"], "proxy-5f2c.41", "{}", filed[0]);
    for secret in [
        token.as_str(),
        "Kanari9q",
        "kanari9q",
        "90817263",
        "nulle-part",
    ] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}
