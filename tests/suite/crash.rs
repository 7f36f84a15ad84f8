//! A citizen's acknowledged request is never lost: concurrent clients file requests while
//! the server is killed with SIGKILL mid-load, then restarted; every request acknowledged
//! with 201 must be there, complete (data, first events, tracking). Several rounds, on
//! SQLite (WAL, `synchronous=FULL`) and, with `TEST_DATABASE_URL`, on PostgreSQL.
//!
//! Nor by a backup: `guichet backup` taken while clients file requests with photos,
//! restored into a fresh folder, serves every request acknowledged before it started.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::uploads::{hidden_inputs, png};
use common::{ServerProcess, catalogue_copy, fixture, guichet, repo_root, test_database};
use guichet::config::DatabaseConfig;
use guichet::domain::Reference;
use serde_json::{Value, json};

const ROUNDS: usize = 3;
const CLIENTS: usize = 4;
/// Clients filing when the server is killed: enough that group commits hold many filings.
const KILL_CLIENTS: usize = 64;

/// (reference, details sent, tracking URL) of each request acknowledged with 201.
type Acknowledged = Arc<Mutex<Vec<(String, String, String)>>>;

fn load(
    server: String,
    client_id: usize,
    round: usize,
    stop: Arc<AtomicBool>,
    acknowledged: Acknowledged,
) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let details = format!("round {round}, client {client_id}, request {n}");
        let response = client
            .post(format!("{server}/api/v1/forms/demande/submissions"))
            .json(&json!({"categorie": "trou", "commune": "alpha", "details": details}))
            .send();
        match response {
            Ok(response) if response.status() == 201 => {
                let body: Value = response.json().unwrap();
                acknowledged.lock().unwrap().push((
                    body["reference"].as_str().unwrap().to_owned(),
                    details,
                    body["tracking_url"].as_str().unwrap().to_owned(),
                ));
            }
            // The server died under us: what was not acknowledged may or may not be there.
            _ => break,
        }
    }
}

#[test]
fn acknowledged_requests_survive_kill_9_mid_load() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let acknowledged: Acknowledged = Arc::default();

    for round in 0..ROUNDS {
        let server = ServerProcess::start(catalogue.path(), &database);
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..KILL_CLIENTS)
            .map(|id| {
                let (address, stop, acknowledged) =
                    (server.address.clone(), stop.clone(), acknowledged.clone());
                std::thread::spawn(move || load(address, id, round, stop, acknowledged))
            })
            .collect();
        // Let the load build up, then kill the server without warning.
        let before = acknowledged.lock().unwrap().len();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while acknowledged.lock().unwrap().len() < before + 200 {
            assert!(
                std::time::Instant::now() < deadline,
                "the server acknowledged nothing"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let killed = std::process::Command::new("kill")
            .args(["-9", &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().unwrap();
        }
        drop(server);
    }

    // Restarted, the server has every acknowledged request, complete.
    let server = ServerProcess::start(catalogue.path(), &database);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = runtime
        .block_on(guichet::store::open(&DatabaseConfig {
            url: database.clone(),
            max_connections: 2,
        }))
        .unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= ROUNDS * 200);
    for (reference, details, _) in &acknowledged {
        let stored = runtime
            .block_on(store.request_by_reference(&Reference::parse(reference).unwrap()))
            .unwrap()
            .unwrap_or_else(|| panic!("{reference} was acknowledged, then lost"));
        assert_eq!(stored.data["details"], details.as_str());
        let kinds: Vec<&str> = stored.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(&kinds[..2], ["submitted", "routed"], "{reference}");
    }
    // And their citizens' links work.
    let client = reqwest::blocking::Client::new();
    for (reference, _, tracking_url) in acknowledged.iter().step_by(7) {
        let token = tracking_url.rsplit('/').next().unwrap();
        let tracked: Value = client
            .get(format!("{}/api/v1/track/{token}", server.address))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(tracked["reference"], reference.as_str());
    }
    eprintln!(
        "{} acknowledged requests over {ROUNDS} kill -9 rounds, all present",
        acknowledged.len()
    );
    server.stop();
}

/// A request filed through the HTML form and acknowledged (the redirect to its tracking
/// page): its tracking token, its description, its photo, and when it was acknowledged.
#[derive(Clone)]
struct Filed {
    token: String,
    description: String,
    photo: Option<Vec<u8>>,
    at: std::time::Instant,
}

/// Files a pothole report with an optional photo; the tracking token once acknowledged.
async fn file_report(
    client: &reqwest::Client,
    server: &str,
    description: &str,
    photo: Option<Vec<u8>>,
) -> Option<String> {
    use reqwest::multipart::{Form, Part};
    let mut form = Form::new()
        .text("_action", "review")
        .text("categorie", "nid-de-poule")
        .text("commune", "tonneins")
        .text("localisation", "Avenue de Bordeaux")
        .text("description", description.to_owned())
        .text("nom", "Paul Durand")
        .text("email", "paul.durand@example.org")
        .text("urgence", "moyenne");
    if let Some(bytes) = photo {
        form = form.part("photos", Part::bytes(bytes).file_name("trou.png"));
    }
    let url = format!("{server}/demarches/signalement-voirie");
    let page = client.post(&url).multipart(form).send().await.ok()?;
    assert_eq!(page.status(), 200, "the review page");
    let mut fields = hidden_inputs(&page.text().await.ok()?);
    fields.push(("_action".into(), "submit".into()));
    let response = client.post(&url).form(&fields).send().await.ok()?;
    assert_eq!(response.status(), 303, "the submission is acknowledged");
    let location = response.headers()["location"].to_str().unwrap();
    Some(
        location
            .trim_start_matches("/suivi/")
            .split('?')
            .next()
            .unwrap()
            .to_owned(),
    )
}

/// Runs `guichet` with `args` and `stdin`; (success, stdout, stderr).
fn run_guichet(args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = guichet()
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_every_acknowledged_request() {
    const ADMIN: &str = "admin@example.org";
    const PASSWORD: &str = "une phrase de passe solide";
    let catalogue = catalogue_copy(&repo_root(), &[]);
    git(catalogue.path(), &["init", "-q"]);
    git(catalogue.path(), &["add", "-A"]);
    git(catalogue.path(), &["commit", "-qm", "catalogue"]);
    let commit = git(catalogue.path(), &["rev-parse", "HEAD"]);
    let catalogue_arg = catalogue.path().display().to_string();

    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let attachments = data.path().join("attachments").display().to_string();

    // A staff account and an API token, made as an admin makes them.
    let (added, _, log) = run_guichet(
        &[
            "user",
            "add",
            ADMIN,
            "--name",
            "Adam Admin",
            "--role",
            "admin",
            "--database",
            &database,
            "--catalogue",
            &catalogue_arg,
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(added, "{log}");
    let (made, api_token, log) = run_guichet(
        &[
            "user",
            "token",
            ADMIN,
            "--database",
            &database,
            "--catalogue",
            &catalogue_arg,
        ],
        "",
    );
    assert!(made, "{log}");
    let api_token = api_token.trim().to_owned();

    let server = ServerProcess::start_with(
        catalogue.path(),
        &database,
        &["--attachments-dir", &attachments],
    );
    let filed: Arc<Mutex<Vec<Filed>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let (address, stop, filed) = (server.address.clone(), stop.clone(), filed.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let description = format!("client {id}, demande {n}");
                    // Every other one with a photo of its own.
                    let photo = (n % 2 == 1).then(|| png(id as u8 * 31 + n as u8, 3_000 + n * 17));
                    let Some(token) =
                        file_report(&client, &address, &description, photo.clone()).await
                    else {
                        break;
                    };
                    filed.lock().unwrap().push(Filed {
                        token,
                        description,
                        photo,
                        at: std::time::Instant::now(),
                    });
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while filed.lock().unwrap().len() < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "the server acknowledged too little"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The backup, while the clients keep filing.
    let backup = tempfile::TempDir::new().unwrap();
    let backup_dir = backup.path().join("sauvegarde").display().to_string();
    let started = std::time::Instant::now();
    let args = [
        "backup",
        "--output",
        &backup_dir,
        "--database",
        &database,
        "--attachments-dir",
        &attachments,
        "--catalogue",
        &catalogue_arg,
    ]
    .map(str::to_owned);
    let (backed_up, _, log) = tokio::task::spawn_blocking(move || {
        run_guichet(&args.iter().map(String::as_str).collect::<Vec<_>>(), "")
    })
    .await
    .unwrap();
    assert!(backed_up, "{log}");
    let during = filed
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.at > started)
        .count();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    server.stop();

    let filed = filed.lock().unwrap().clone();
    let before: Vec<&Filed> = filed.iter().filter(|f| f.at < started).collect();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(std::path::Path::new(&backup_dir).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["catalogue_commit"], commit.as_str());
    assert_eq!(manifest["staff_users"], 1);
    assert!(manifest["requests"].as_u64().unwrap() >= before.len() as u64);
    assert!(
        manifest["attachments"].as_u64().unwrap()
            >= before.iter().filter(|f| f.photo.is_some()).count() as u64
    );

    // Restored into a fresh folder (and a fresh database on PostgreSQL).
    let restored = tempfile::TempDir::new().unwrap();
    let restored_database = test_database(restored.path());
    let restored_attachments = restored.path().join("attachments").display().to_string();
    let restore = [
        "restore",
        &backup_dir,
        "--database",
        &restored_database,
        "--attachments-dir",
        &restored_attachments,
    ];
    let (done, _, log) = run_guichet(&restore, "");
    assert!(done, "{log}");
    // A second restore onto it is refused, and says how to proceed.
    let (again, _, log) = run_guichet(&restore, "");
    assert!(!again);
    assert!(log.contains("--force"), "{log}");

    let server = ServerProcess::start_with(
        catalogue.path(),
        &restored_database,
        &["--attachments-dir", &restored_attachments],
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for request in &before {
        let tracked = client
            .get(format!("{}/api/v1/track/{}", server.address, request.token))
            .send()
            .await
            .unwrap();
        assert_eq!(tracked.status(), 200, "{} was lost", request.description);
        let tracked: Value = tracked.json().await.unwrap();
        let reference = tracked["reference"].as_str().unwrap();
        let staff_view = client
            .get(format!("{}/api/v1/requests/{reference}", server.address))
            .bearer_auth(&api_token)
            .send()
            .await
            .unwrap();
        assert_eq!(staff_view.status(), 200, "the API token works");
        let staff_view: Value = staff_view.json().await.unwrap();
        assert_eq!(
            staff_view["data"]["description"],
            request.description.as_str()
        );
        let kinds: Vec<&str> = staff_view["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(&kinds[..2], ["submitted", "routed"], "{reference}");
        if let Some(photo) = &request.photo {
            let download = client
                .get(format!(
                    "{}/suivi/{}/pieces/{}",
                    server.address,
                    request.token,
                    sha256(photo)
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(download.status(), 200, "{reference}'s photo");
            assert!(
                download.bytes().await.unwrap() == photo[..],
                "{reference}'s photo"
            );
        }
    }
    // The staff account signs in with its password.
    let login = client
        .post(format!("{}/bureau/connexion", server.address))
        .form(&[("email", ADMIN), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "the staff account signs in");
    eprintln!(
        "{} requests acknowledged before the backup, {during} during it, all {} restored",
        before.len(),
        before.len()
    );
    server.stop();
}

#[test]
fn backup_and_restore_refuse_what_they_cannot_do_and_say_why() {
    let scratch = tempfile::TempDir::new().unwrap();
    let path = |name: &str| scratch.path().join(name).display().to_string();
    let database = test_database(scratch.path());
    let refused = |args: Vec<String>, expected: &str| {
        let (ok, _, log) = run_guichet(&args.iter().map(String::as_str).collect::<Vec<_>>(), "");
        assert!(!ok, "guichet {args:?} succeeded");
        assert!(log.contains(expected), "guichet {args:?}: {log}");
    };
    let restore = |dir: String| {
        [
            "restore",
            &dir,
            "--database",
            &database,
            "--attachments-dir",
            &path("pieces"),
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let backup = |dir: String| {
        [
            "backup",
            "--output",
            &dir,
            "--database",
            &database,
            "--attachments-dir",
            &path("pieces"),
            "--catalogue",
            &path("vide"),
        ]
        .map(str::to_owned)
        .to_vec()
    };

    // Restore: no folder, no manifest, a format from another version.
    refused(restore(path("absent")), "no backup folder at");
    std::fs::create_dir(path("vide")).unwrap();
    refused(restore(path("vide")), "has no manifest.json");
    std::fs::create_dir(path("future")).unwrap();
    std::fs::write(
        scratch.path().join("future/manifest.json"),
        r#"{"format": 99, "created_at": "", "guichet_version": "9.0.0", "database": "sqlite",
            "schema_version": 9, "requests": 0, "events": 0, "staff_users": 0,
            "attachments": 0, "attachment_bytes": 0, "catalogue_commit": null, "catalogue_dirty": null}"#,
    )
    .unwrap();
    refused(restore(path("future")), "restores format 1");

    // Backup: never into a folder that already holds something.
    let server = ServerProcess::start(&fixture("minimal"), &database);
    refused(backup(path("future")), "is not empty");
    let args = backup(path("sauvegarde"));
    let (ok, _, log) = run_guichet(&args.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert!(ok, "{log}");
    assert!(log.contains("is not a git checkout"), "{log}");

    // Restore onto the database the server is running on: refused, even with --force.
    refused(restore(path("sauvegarde")), "--force");
    if !common::on_postgres() {
        let mut forced = restore(path("sauvegarde"));
        forced.push("--force".into());
        refused(forced, "is in use");
    }
    server.stop();
    // Stopped, it is replaced with --force.
    let mut forced = restore(path("sauvegarde"));
    forced.push("--force".into());
    let (ok, _, log) = run_guichet(&forced.iter().map(String::as_str).collect::<Vec<_>>(), "");
    assert!(ok, "{log}");
    assert!(log.contains("restored 0 requests"), "{log}");
}
