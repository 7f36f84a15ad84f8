//! Attachments through the HTML form: photos of a pothole go with the report, are stored by
//! hash with their sniffed type, and only the request's staff, its élu and the link holder
//! can download them. Oversized, mistyped and too many files are refused with the rest of
//! the form kept; names are sanitised; files cannot be made up. A refused post leaves the
//! attachments folder as it was; the sweep removes what abandoned forms left, never a file a
//! request references.

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use common::spawn_app;
use common::staff::{add_user, api, api_token, login};
use common::uploads::{Files, file_with, hidden_inputs, jpeg, png, report, review};
use guichet::domain::{Reference, Role};
use reqwest::StatusCode;

#[tokio::test]
async fn photos_go_with_the_report_and_only_its_people_can_download_them() {
    let app = spawn_app().await;
    let (first, second) = (png(3, 40_000), jpeg(20_000));
    let token = file_with(
        &app,
        vec![
            ("nid de poule.png", first.clone()),
            ("../../etc/photo 2.jpg", second.clone()),
        ],
    )
    .await;

    // Stored with the request, by hash, with the type read from the content.
    let tracked: serde_json::Value = app.get_json(&format!("/api/v1/track/{token}")).await;
    let reference = tracked["reference"].as_str().unwrap().to_owned();
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    let photos = stored.data["photos"].as_array().unwrap().clone();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[0]["type"], "image/png");
    assert_eq!(photos[1]["type"], "image/jpeg");
    assert_eq!(
        photos[1]["name"], "photo 2.jpg",
        "the path is dropped from the name"
    );
    assert_eq!(photos[0]["size"], first.len() as u64);
    let sha = |i: usize| photos[i]["sha256"].as_str().unwrap().to_owned();
    assert!(
        app.data_dir
            .path()
            .join("attachments")
            .join(&sha(0)[..2])
            .join(sha(0))
            .exists()
    );

    // The link holder downloads them, as attachments.
    let page = app.get_text(&format!("/suivi/{token}")).await;
    assert!(page.contains("nid de poule.png"));
    let response = app
        .client
        .get(app.url(&format!("/suivi/{token}/pieces/{}", sha(1))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"photo 2.jpg\""),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), second);

    // The roads agent (HTML and API) too; another service's agent, another link: not found.
    add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    add_user(
        &app,
        "env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let roads = login(&app, "voirie@vdg.example.org").await;
    let (status, page) = roads
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/bureau/demandes/{reference}/pieces/{}", sha(0))));
    let response = app
        .client
        .get(app.url(&format!("/bureau/demandes/{reference}/pieces/{}", sha(0))))
        .header("cookie", &roads.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap().to_vec(), first);
    let user = app
        .store
        .user_by_email("voirie@vdg.example.org")
        .await
        .unwrap()
        .unwrap();
    let token_api = api_token(&app, &user).await;
    let (status, _) = api(
        &app,
        &token_api,
        reqwest::Method::GET,
        &format!("/requests/{reference}/attachments/{}", sha(0)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let env = login(&app, "env@vdg.example.org").await;
    let (status, _) = env
        .get(
            &app,
            &format!("/bureau/demandes/{reference}/pieces/{}", sha(0)),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = file_with(&app, vec![]).await;
    let response = app
        .client
        .get(app.url(&format!("/suivi/{other}/pieces/{}", sha(0))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "a file of another request"
    );
    let response = app
        .client
        .get(app.url(&format!("/bureau/demandes/{reference}/pieces/{}", sha(0))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "strangers are sent to sign in"
    );
}

#[tokio::test]
async fn wrong_files_are_refused_and_the_rest_of_the_form_is_kept() {
    let app = spawn_app().await;
    let cases: Vec<(Files, &str)> = vec![
        (
            vec![("grande.png", png(5, 6 * 1024 * 1024))],
            "trop volumineux",
        ),
        (
            vec![("photo.jpg", b"#!/bin/sh\nrm -rf /\n".repeat(20))],
            "pas d&#39;un format accepté",
        ),
        (
            vec![("doc.pdf", b"%PDF-1.7\n".repeat(50))],
            "format accepté",
        ),
        (
            vec![
                ("a.png", png(1, 100)),
                ("b.png", png(2, 100)),
                ("c.png", png(3, 100)),
                ("d.png", png(4, 100)),
            ],
            "Trop de fichiers",
        ),
    ];
    for (files, expected) in cases {
        let (status, page) = review(&app, report(files)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains(expected) || page.contains(&expected.replace("&#39;", "'")),
            "expected {expected:?}"
        );
        assert!(
            page.contains("Avenue de Bordeaux, devant la pharmacie"),
            "the other answers are kept"
        );
        assert!(page.contains("enctype=\"multipart/form-data\""));
    }
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn files_cannot_be_made_up_nor_sent_as_json() {
    let app = spawn_app().await;
    // A review page whose hidden files point to a file that was never uploaded.
    let (status, page) = review(&app, report(vec![])).await;
    assert_eq!(status, StatusCode::OK);
    let mut fields = hidden_inputs(&page);
    let made_up = serde_json::json!([{"sha256": "a".repeat(64), "name": "x.png", "type": "image/png", "size": 10}]);
    fields.push(("_files.photos".into(), made_up.to_string()));
    fields.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    // The same answer as for a file swept since: choose it again. Nothing is filed.
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(
            "Le fichier « x.png » n&#39;est plus disponible\u{a0}: choisissez-le de nouveau."
        ),
        "{page}"
    );
    assert_eq!(app.count().await, 0);

    // The JSON API takes no files.
    let response = app
        .client
        .post(app.url("/api/v1/forms/signalement-voirie/submissions"))
        .json(&serde_json::json!({
            "categorie": "nid-de-poule", "commune": "tonneins", "localisation": "Avenue de Bordeaux",
            "description": "Un trou.", "urgence": "moyenne",
            "photos": [{"sha256": "b".repeat(64), "name": "x.png", "type": "image/png", "size": 1}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/photos");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("formulaire en ligne")
    );
}

/// Every file under the attachments folder (temporary uploads included), with its bytes.
fn folder(app: &common::TestApp) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_owned(), bytes);
            }
        }
    }
    let root = attachments_dir(app);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The folder holds the same files, byte for byte (names are listed on a difference, not
/// contents).
fn assert_same_folder(
    now: &BTreeMap<PathBuf, Vec<u8>>,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    when: &str,
) {
    assert_eq!(
        now.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "{when}"
    );
    assert!(now == before, "{when}: a file's content changed");
}

fn attachments_dir(app: &common::TestApp) -> PathBuf {
    app.data_dir.path().join("attachments")
}

/// The SHA-256 of the files a review page carries in its hidden inputs.
fn carried(page: &str) -> Vec<String> {
    hidden_inputs(page)
        .into_iter()
        .filter(|(name, _)| name == "_files.photos")
        .flat_map(|(_, json)| {
            let files: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
            files
                .into_iter()
                .map(|f| f["sha256"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn path_of(app: &common::TestApp, sha256: &str) -> PathBuf {
    attachments_dir(app).join(&sha256[..2]).join(sha256)
}

/// Sends the review page's answers back with `_action=submit`.
async fn submit(app: &common::TestApp, review_page: &str) -> reqwest::Response {
    let mut fields = hidden_inputs(review_page);
    fields.push(("_action".into(), "submit".into()));
    app.client
        .post(app.url("/demarches/signalement-voirie"))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// A multipart post cut off in its second file: the client sends part of the body it
/// announced, then stops.
async fn post_cut_off(app: &common::TestApp, first: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let boundary = "----coupure";
    let mut body = Vec::new();
    for (name, value) in [
        ("_action", "review"),
        ("categorie", "nid-de-poule"),
        ("commune", "tonneins"),
    ] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend(first);
    body.extend(
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"b.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend(png(31, 2_000));
    let announced = body.len() + 10_000;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /demarches/signalement-voirie HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    stream.shutdown().await.unwrap();
    common::read_until_closed(&mut stream).await.0
}

#[tokio::test]
async fn refused_posts_leave_the_attachments_folder_as_it_was() {
    let app = spawn_app().await;
    // A file a request references, and one another citizen's "check your answers" carries.
    let filed = png(9, 2_000);
    file_with(&app, vec![("filed.png", filed.clone())]).await;
    let pending = png(11, 3_000);
    let (status, pending_page) = review(&app, report(vec![("pending.png", pending.clone())])).await;
    assert_eq!(status, StatusCode::OK);
    let before = folder(&app);
    assert_eq!(before.len(), 2, "{:?}", before.keys());

    let cases: Vec<(reqwest::multipart::Form, StatusCode, &str)> = vec![
        // One file too many, two of them already stored (shared content is never removed).
        (
            report(vec![
                ("a.png", filed.clone()),
                ("b.png", pending.clone()),
                ("c.png", png(21, 500)),
                ("d.png", png(22, 500)),
            ]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Trop de fichiers",
        ),
        // A good file next to one of another type, or one too large.
        (
            report(vec![
                ("e.png", png(23, 500)),
                ("f.jpg", b"#!/bin/sh\nrm -rf /\n".repeat(20)),
            ]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "format accepté",
        ),
        (
            report(vec![
                ("g.png", png(24, 500)),
                ("h.png", png(25, 6 * 1024 * 1024)),
            ]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "trop volumineux",
        ),
        // Good files in a post refused once they are read: a commune that does not exist.
        (
            report(vec![("i.png", png(26, 500))]).text("_commune", "nulle-part"),
            StatusCode::NOT_FOUND,
            "pas proposée dans cette commune",
        ),
    ];
    for (form, expected, message) in cases {
        let (status, page) = review(&app, form).await;
        assert_eq!(status, expected, "{message}");
        assert!(page.contains(message), "{message}: {page}");
        assert_same_folder(&folder(&app), &before, &format!("after « {message} »"));
    }
    // A post cut off in its second file, once the first is stored.
    let answer = post_cut_off(&app, &png(27, 4_000)).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(
        answer.contains("n&#39;a pas pu être lu en entier"),
        "{answer}"
    );
    assert_same_folder(&folder(&app), &before, "after a post cut off");

    // The other citizen's form in progress is intact: they send it, with their photo.
    let response = submit(&app, &pending_page).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count().await, 2);
    let sha = &carried(&pending_page)[0];
    assert_eq!(std::fs::read(path_of(&app, sha)).unwrap(), pending);
}

#[tokio::test]
async fn abandoned_files_are_swept_and_referenced_ones_survive() {
    let app = spawn_app().await;
    let filed = png(9, 2_000);
    let token = file_with(&app, vec![("filed.png", filed.clone())]).await;
    let abandoned = png(13, 3_000);
    let (status, abandoned_page) =
        review(&app, report(vec![("abandoned.png", abandoned.clone())])).await;
    assert_eq!(status, StatusCode::OK);
    let abandoned_sha = carried(&abandoned_page)[0].clone();
    assert!(path_of(&app, &abandoned_sha).exists());
    // An upload a crash left unfinished two hours ago.
    let leftover = attachments_dir(&app).join("tmp").join("unfinished");
    std::fs::write(&leftover, b"half a photo").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&leftover)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();

    // The sweep the server runs, on the server's folder and database.
    let storage = guichet::attachments::Storage::new(attachments_dir(&app), None).unwrap();
    let swept = guichet::attachments::sweep(&app.store, &storage, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        (swept.removed, swept.kept, swept.leftovers),
        (0, 2, 1),
        "within the grace period only the leftover goes"
    );
    assert!(path_of(&app, &abandoned_sha).exists());
    assert!(!leftover.exists());

    let swept = guichet::attachments::sweep(&app.store, &storage, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((swept.removed, swept.kept), (1, 1));
    let left = folder(&app);
    assert_eq!(left.len(), 1, "{:?}", left.keys());
    assert!(
        left.values().next().unwrap() == &filed,
        "the filed photo is kept, byte for byte"
    );
    let page = app.get_text(&format!("/suivi/{token}")).await;
    assert!(page.contains("filed.png"));

    // Coming back to the abandoned page: the person is asked for the file again, nothing is
    // filed without it.
    let response = submit(&app, &abandoned_page).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(
            "« abandoned.png » n&#39;est plus disponible\u{a0}: choisissez-le de nouveau."
        ),
        "{page}"
    );
    assert_eq!(app.count().await, 1);
}

#[tokio::test]
async fn the_server_sweeps_the_folder_on_its_own() {
    let app = common::spawn_app_configured(&common::repo_root(), |config| {
        config.attachments_sweep_secs = 1;
        config.attachments_grace_secs = 3;
    })
    .await;
    let filed = png(9, 2_000);
    file_with(&app, vec![("filed.png", filed.clone())]).await;
    let (status, abandoned_page) =
        review(&app, report(vec![("abandoned.png", png(13, 3_000))])).await;
    assert_eq!(status, StatusCode::OK);
    let abandoned = path_of(&app, &carried(&abandoned_page)[0]);
    assert!(abandoned.exists());
    let started = std::time::Instant::now();
    while abandoned.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the abandoned file is still there after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let left = folder(&app);
    assert_eq!(left.len(), 1, "{:?}", left.keys());
    assert!(
        left.values().next().unwrap() == &filed,
        "the filed photo is kept, byte for byte"
    );
}
