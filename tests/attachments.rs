//! Attachments through the HTML form: photos of a pothole go with the report, are stored by
//! hash with their sniffed type, and only the request's staff, its élu and the link holder
//! can download them. Oversized, mistyped and too many files are refused with the rest of
//! the form kept; names are sanitised; files cannot be made up.

mod common;

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
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = response.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let tracked: serde_json::Value = app.get_json(&format!("/api/v1/track/{token}")).await;
    let stored = app
        .store
        .request_by_reference(&Reference::parse(tracked["reference"].as_str().unwrap()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.data.get("photos").is_none(),
        "a made-up file is dropped"
    );

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
