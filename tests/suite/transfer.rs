//! `guichet export` then `guichet import`: a SQLite database with thousands of requests moves
//! to another store (PostgreSQL when `TEST_DATABASE_URL` is set, another SQLite file
//! otherwise) with identical counts and content, and citizens' links keep working.

use crate::common;

use common::{guichet, repo_root, test_database};
use guichet::catalogue::Catalogue;
use guichet::config::DatabaseConfig;
use guichet::domain::{Channel, TrackingToken};
use guichet::intake;
use guichet::requests::filing;
use guichet::store::{self, Store};

const REQUESTS: usize = 2_000;

async fn all_requests(store: &dyn Store) -> Vec<guichet::store::archive::ArchivedRequest> {
    let mut all = Vec::new();
    loop {
        let batch = store
            .export_requests(
                all.last()
                    .map(|r: &guichet::store::archive::ArchivedRequest| r.id.as_str()),
                700,
            )
            .await
            .unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

#[tokio::test]
async fn thousands_of_requests_move_between_stores_unchanged() {
    let dir = tempfile::TempDir::new().unwrap();
    let source_url = format!("sqlite://{}", dir.path().join("source.db").display());
    let source = store::open(&DatabaseConfig {
        url: source_url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    let catalogue = Catalogue::load_strict(&repo_root()).unwrap();
    let mut tokens = Vec::new();
    for i in 0..REQUESTS {
        let form = catalogue
            .forms
            .values()
            .nth(i % catalogue.forms.len())
            .unwrap();
        let accepted = intake::accept(
            &catalogue,
            form,
            form.examples[0].clone(),
            None,
            Channel::Api,
        )
        .unwrap();
        let (receipt, token) = filing::file(
            &source,
            form,
            accepted,
            TrackingToken::generate(),
            filing::Filer::named("test"),
            guichet::dispatch::no_messages,
        )
        .await
        .unwrap();
        if i % 400 == 0 {
            tokens.push((receipt.reference, token));
        }
    }
    assert_eq!(source.count_requests().await.unwrap() as usize, REQUESTS);
    // Some requests are being handled (assignee, paused deadline, back-office events), and
    // the staff has accounts: all of it moves too.
    let agent = source
        .create_user(
            guichet::store::NewStaffUser {
                email: "agent@vdg.example.org".into(),
                name: "Aline".into(),
                role: guichet::domain::Role::Admin,
                services: vec![],
                communes: vec![],
                site_editor: false,
                password_hash: guichet::auth::password::hash("une phrase de passe solide").unwrap(),
            },
            &guichet::store::staff::AccountActor::now("tests"),
        )
        .await
        .unwrap();
    for (reference, _) in &tokens {
        let action = guichet::domain::workflow::Action::Message {
            text: "Pouvez-vous préciser ?".into(),
            await_reply: true,
        };
        guichet::requests::act(
            source.as_ref(),
            guichet::store::Target::Reference(reference),
            &guichet::store::Scope::All,
            &agent.email,
            &action,
            &guichet::dispatch::no_messages,
        )
        .await
        .unwrap()
        .expect("the request exists");
    }

    let archive = dir.path().join("archive.jsonl");
    let export = guichet()
        .args(["export", "--all", "--output"])
        .arg(&archive)
        .arg("--database")
        .arg(&source_url)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert!(
        String::from_utf8_lossy(&export.stderr)
            .contains(&format!("exported {REQUESTS}/{REQUESTS} requests"))
    );

    let target_url = test_database(&dir.path().join("target"));
    std::fs::create_dir_all(dir.path().join("target")).unwrap();
    let import = guichet()
        .arg("import")
        .arg(&archive)
        .arg("--database")
        .arg(&target_url)
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert!(
        String::from_utf8_lossy(&import.stderr)
            .contains(&format!("{REQUESTS} requests read, {REQUESTS} new"))
    );

    let target = store::open(&DatabaseConfig {
        url: target_url.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    assert_eq!(target.count_requests().await.unwrap() as usize, REQUESTS);
    assert_eq!(
        target.export_form_versions().await.unwrap(),
        source.export_form_versions().await.unwrap()
    );
    let (moved, original) = (
        all_requests(target.as_ref()).await,
        all_requests(source.as_ref()).await,
    );
    assert_eq!(moved.len(), REQUESTS);
    assert_eq!(
        moved, original,
        "every request, with its events, is identical"
    );
    assert!(
        moved.iter().any(|r| r.paused_at.is_some()),
        "back-office state moved"
    );
    assert_eq!(
        target.list_users().await.unwrap(),
        source.list_users().await.unwrap()
    );

    // Citizens' tracking links work on the new store.
    for (reference, token) in &tokens {
        let tracked = target
            .track(&token.hash())
            .await
            .unwrap()
            .expect("tracked on the new store");
        assert_eq!(&tracked.reference, reference);
    }

    // Importing again changes nothing.
    let again = guichet()
        .arg("import")
        .arg(&archive)
        .arg("--database")
        .arg(&target_url)
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains(&format!("0 new, {REQUESTS} already present")),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(target.count_requests().await.unwrap() as usize, REQUESTS);
}

#[test]
fn a_file_that_is_not_an_archive_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let bogus = dir.path().join("bogus.jsonl");
    std::fs::write(&bogus, "{\"hello\": 1}\n").unwrap();
    let output = guichet()
        .arg("import")
        .arg(&bogus)
        .arg("--database")
        .arg(format!("sqlite://{}", dir.path().join("t.db").display()))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("line 1 is not an archive record"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A request line whose commune, queue or event kind the stores could not read back (an
/// archive edited by hand) is refused with its line number, and nothing of it is imported.
#[tokio::test]
async fn an_archive_line_the_stores_could_not_read_back_is_refused() {
    use guichet::store::archive::Record;
    let app = common::spawn_app().await;
    common::staff::file_bin_request(&app, "marmande").await;
    let request = app.store.export_requests(None, 10).await.unwrap().remove(0);
    let versions = app.store.export_form_versions().await.unwrap();
    let header = Record::Header {
        format: guichet::store::archive::FORMAT.into(),
        version: guichet::store::archive::VERSION,
        exported_at: time::OffsetDateTime::now_utc(),
    };
    let mut bad_commune = request.clone();
    bad_commune.commune = Some("Pas une commune".into());
    let mut bad_kind = request.clone();
    bad_kind.events[0].kind = "telephoned".into();
    let dir = tempfile::TempDir::new().unwrap();
    for (what, broken) in [("commune", bad_commune), ("event kind", bad_kind)] {
        let mut lines = vec![serde_json::to_string(&header).unwrap()];
        lines.extend(
            versions
                .iter()
                .map(|v| serde_json::to_string(&Record::FormVersion(v.clone())).unwrap()),
        );
        lines.push(serde_json::to_string(&Record::Request(Box::new(broken))).unwrap());
        let file = dir.path().join("edited.jsonl");
        std::fs::write(&file, lines.join("\n") + "\n").unwrap();
        let target = format!(
            "sqlite://{}",
            dir.path().join(format!("{what}.db")).display()
        );
        let output = guichet()
            .arg("import")
            .arg(&file)
            .arg("--database")
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{what}: {stderr}");
        let line = lines.len();
        assert!(
            stderr.contains(&format!("line {line}: the {what}")),
            "{what}: {stderr}"
        );
        let store = store::open(&DatabaseConfig {
            url: target,
            max_connections: 1,
        })
        .await
        .unwrap();
        assert_eq!(store.count_requests().await.unwrap(), 0, "{what}");
    }
}
