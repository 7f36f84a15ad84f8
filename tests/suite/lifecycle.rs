//! The server as a process: catalogue reload on SIGHUP (a broken catalogue is refused and
//! the old one keeps serving), and requests surviving a restart.

use crate::common;

use common::{ServerProcess, catalogue_copy, fixture, test_database};
use serde_json::{Value, json};

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::new()
}

fn form_version(server: &ServerProcess) -> (String, String) {
    let form: Value = client()
        .get(format!("{}/api/v1/forms/demande", server.address))
        .send()
        .unwrap()
        .json()
        .unwrap();
    (
        form["title"].as_str().unwrap().to_owned(),
        form["version"].as_str().unwrap().to_owned(),
    )
}

/// Waits until `check` holds, polling for up to 10 s.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

#[test]
fn sighup_reloads_a_good_catalogue_and_keeps_the_old_one_on_errors() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    // Without the watcher, so that what changes is SIGHUP's doing.
    let server = ServerProcess::start_with(
        catalogue.path(),
        &test_database(data.path()),
        &["--catalogue-refresh-secs", "0"],
    );
    let (title, version) = form_version(&server);
    assert_eq!(title, "Signaler un problème");

    let path = catalogue.path().join("form-definitions/demande.json");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replace("Signaler un problème", "Signaler un souci"),
    )
    .unwrap();
    server.signal("HUP");
    eventually("the new title is served", || {
        form_version(&server).0 == "Signaler un souci"
    });
    let (_, new_version) = form_version(&server);
    assert_ne!(new_version, version, "a content change is a new version");

    // A broken file is refused: the previous catalogue keeps serving. The refusal is
    // logged once the reload has run; only then is what is served worth looking at.
    let mark = server.log_mark();
    std::fs::write(&path, "{ broken").unwrap();
    server.signal("HUP");
    let logged = server.wait_for_log(mark, "catalogue NOT reloaded");
    assert!(
        logged.contains("demande.json"),
        "the file is named: {logged}"
    );
    assert_eq!(
        form_version(&server),
        ("Signaler un souci".to_owned(), new_version)
    );
    server.stop();
}

/// A reload that adds a webhook whose secret variable the running server lacks is refused
/// (its environment is fixed: only a restart can add the secret); without that webhook, the
/// same change goes through.
#[test]
fn sighup_refuses_a_webhook_whose_secret_the_server_lacks() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start(catalogue.path(), &test_database(data.path()));
    let (_, version) = form_version(&server);

    let form = catalogue.path().join("form-definitions/demande.json");
    let original = std::fs::read_to_string(&form).unwrap();
    std::fs::write(
        &form,
        original.replace("Signaler un problème", "Signaler un souci"),
    )
    .unwrap();
    let territory = catalogue.path().join("territory.toml");
    let without_hook = std::fs::read_to_string(&territory).unwrap();
    std::fs::write(
        &territory,
        format!(
            "{without_hook}\n[[services.webhooks]]\nid = \"sig\"\nurl = \"https://sig.example.org/hook\"\nevents = [\"*\"]\nsecret_env = \"GUICHET_TEST_RELOAD_SECRET_NEVER_SET\"\n"
        ),
    )
    .unwrap();
    server.signal("HUP");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        form_version(&server),
        ("Signaler un problème".to_owned(), version),
        "the catalogue with an unsigned webhook was swapped in"
    );

    std::fs::write(&territory, without_hook).unwrap();
    server.signal("HUP");
    eventually("the new title is served", || {
        form_version(&server).0 == "Signaler un souci"
    });
    server.stop();
}

#[test]
fn requests_survive_a_restart() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    let server = ServerProcess::start(catalogue.path(), &database);
    let created: Value = client()
        .post(format!(
            "{}/api/v1/forms/demande/submissions",
            server.address
        ))
        .json(&json!({"categorie": "trou", "commune": "alpha", "details": "devant l'école"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = created["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    server.stop();

    let server = ServerProcess::start(catalogue.path(), &database);
    let tracked: Value = client()
        .get(format!("{}/api/v1/track/{token}", server.address))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(tracked["reference"], created["reference"]);
    assert_eq!(tracked["status"], "received");
    server.stop();
}

const HOSTILE: [&str; 8] = [
    "rule-import",
    "rule-eval",
    "rule-loop",
    "rule-recursion",
    "rule-huge-string",
    "pattern-backreference",
    "self-ref",
    "root-ref",
];

/// Files a request that the minimal rule sends to the urgent queue; returns its queue.
fn urgent_queue(server: &ServerProcess) -> String {
    let created: Value = client()
        .post(format!(
            "{}/api/v1/forms/demande/submissions",
            server.address
        ))
        .json(&json!({"categorie": "lampe", "commune": "beta", "urgent": true}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    created["queue"].as_str().unwrap().to_owned()
}

/// Hostile definitions and rules at run time: `serve` refuses to start on them, and a
/// reload that meets them keeps the catalogue in service, rule included.
#[test]
fn hostile_catalogues_never_reach_service() {
    let data = tempfile::TempDir::new().unwrap();
    let database = test_database(data.path());
    for name in HOSTILE {
        let catalogue =
            catalogue_copy(&fixture("minimal"), &[&fixture(&format!("hostile/{name}"))]);
        let output = common::guichet()
            .args(["serve", "--bind", "127.0.0.1:0", "--catalogue"])
            .arg(catalogue.path())
            .arg("--database")
            .arg(&database)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{name}: serve started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("demande"),
            "{name}: the problem is named:\n{stderr}"
        );
    }

    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let server = ServerProcess::start_with(
        catalogue.path(),
        &database,
        &["--catalogue-refresh-secs", "0"],
    );
    let served = form_version(&server);
    assert_eq!(urgent_queue(&server), "voirie-urgent");
    for name in HOSTILE {
        let hostile = catalogue_copy(&fixture("minimal"), &[&fixture(&format!("hostile/{name}"))]);
        for dir in ["form-definitions", "rules"] {
            for entry in std::fs::read_dir(hostile.path().join(dir)).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(
                    entry.path(),
                    catalogue.path().join(dir).join(entry.file_name()),
                )
                .unwrap();
            }
        }
        let mark = server.log_mark();
        server.signal("HUP");
        server.wait_for_log(mark, "catalogue NOT reloaded");
        assert_eq!(
            form_version(&server),
            served,
            "{name}: the old form is served"
        );
        assert_eq!(
            urgent_queue(&server),
            "voirie-urgent",
            "{name}: the old rule routes"
        );
        // Put the good files back before the next case.
        let good = catalogue_copy(&fixture("minimal"), &[]);
        for dir in ["form-definitions", "rules"] {
            for entry in std::fs::read_dir(good.path().join(dir)).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(
                    entry.path(),
                    catalogue.path().join(dir).join(entry.file_name()),
                )
                .unwrap();
            }
        }
    }
    server.stop();
}

/// Another instance publishing into a shared catalogue folder, or an admin's `git pull`:
/// the files change and the server picks them up without a signal.
#[test]
fn a_changed_catalogue_is_picked_up_without_a_signal() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let data = tempfile::TempDir::new().unwrap();
    let server = ServerProcess::start_with(
        catalogue.path(),
        &test_database(data.path()),
        &["--catalogue-refresh-secs", "1"],
    );
    let path = catalogue.path().join("form-definitions/demande.json");
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        original.replace("Signaler un problème", "Signaler un souci"),
    )
    .unwrap();
    eventually("the new title is served", || {
        form_version(&server).0 == "Signaler un souci"
    });
    // A broken change is not served (once the watcher has seen and refused it); the next
    // good one is.
    let mark = server.log_mark();
    std::fs::write(&path, "{ broken").unwrap();
    let logged = server.wait_for_log(mark, "do NOT pass the checks");
    assert!(
        logged.contains("demande.json"),
        "the file is named: {logged}"
    );
    assert_eq!(form_version(&server).0, "Signaler un souci");
    std::fs::write(&path, original).unwrap();
    eventually("the original title is back", || {
        form_version(&server).0 == "Signaler un problème"
    });
    server.stop();
}

/// `guichet --bind ADDR`, without the word `serve`, serves (so `cargo run --release -- --bind
/// …` works as the README says); a second server on the same address is refused with the
/// command to type instead.
#[test]
fn serve_flags_work_without_the_word_serve_and_a_taken_address_says_what_to_type() {
    use std::io::BufRead;
    let data = tempfile::TempDir::new().unwrap();
    let database = format!("sqlite://{}", data.path().join("g.db").display());
    let mail = format!("file://{}", data.path().join("mail").display());
    let root = common::repo_root();
    let run = |bind: &str| {
        let mut command = common::guichet();
        command
            .args(["--bind", bind, "--database", &database, "--mail-url", &mail])
            .arg("--catalogue")
            .arg(&root);
        command
    };
    let mut first = run("127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(first.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .strip_prefix("Guichet listening on http://")
        .unwrap_or_else(|| panic!("not serving: {line:?}"))
        .to_owned();
    let live = client()
        .get(format!("http://{address}/livez"))
        .send()
        .unwrap();
    assert_eq!(live.status(), 200);

    let second = run(&address).output().unwrap();
    let _ = first.kill();
    let _ = first.wait();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    let port: u16 = address.rsplit(':').next().unwrap().parse().unwrap();
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(
        stderr.contains(&format!("--bind 127.0.0.1:{}", port + 1)),
        "says what to type: {stderr}"
    );
    // `--help` keeps its meaning.
    let help = common::guichet().arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("serve"));
}
