//! Blank form pages (issue 20): rendered once per catalogue snapshot and served with an
//! `ETag`; a browser that has the page gets a 304; a reload shows the new form at once.

use crate::common;

use common::{catalogue_copy, fixture, spawn_app_with};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde_json::Value;

#[tokio::test]
async fn a_blank_form_is_served_from_memory_with_an_etag_until_the_catalogue_changes() {
    let catalogue = catalogue_copy(&fixture("minimal"), &[]);
    let app = spawn_app_with(catalogue.path()).await;
    let get = |path: &'static str, etag: Option<String>| {
        let mut request = app.client.get(app.url(path));
        if let Some(etag) = etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        async move { request.send().await.unwrap() }
    };

    let first = get("/demarches/demande", None).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[CACHE_CONTROL], "no-cache");
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = first.text().await.unwrap();
    assert!(body.contains("Signaler un problème"), "{body}");

    // The same page, the same validator.
    let second = get("/demarches/demande", None).await;
    assert_eq!(second.headers()[ETAG].to_str().unwrap(), etag);
    assert_eq!(second.text().await.unwrap(), body);

    // A browser holding it is told so, in any of the forms If-None-Match takes.
    for held in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"autre\", {etag}"),
    ] {
        let revalidated = get("/demarches/demande", Some(held.clone())).await;
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{held}");
        assert_eq!(revalidated.headers()[ETAG].to_str().unwrap(), etag);
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
    let other = get("/demarches/demande", Some("\"autre\"".into())).await;
    assert_eq!(other.status(), StatusCode::OK);

    // Opened from a commune's page, the form is another page: the commune is chosen.
    let from_beta = get("/demarches/demande?commune=beta", None).await;
    assert_eq!(from_beta.status(), StatusCode::OK);
    assert_ne!(from_beta.headers()[ETAG].to_str().unwrap(), etag);
    let beta_body = from_beta.text().await.unwrap();
    assert!(
        beta_body.contains(r#"value="beta" selected"#)
            || beta_body.contains(r#"value="beta" checked"#),
        "{beta_body}"
    );
    // Errors are not cached pages: an unknown commune and an unknown form still say so.
    assert_eq!(
        get("/demarches/demande?commune=nulle-part", None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/demarches/inconnue", None).await.status(),
        StatusCode::NOT_FOUND
    );

    // A new title, reloaded: the next visitor sees it, and the old validator no longer
    // matches.
    let path = catalogue.path().join("form-definitions/demande.json");
    let mut definition: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    definition["title"] = Value::from("Signaler un souci sur la voie publique");
    std::fs::write(&path, definition.to_string()).unwrap();
    guichet::web::reload::reload(app.state.as_ref().unwrap()).unwrap();
    let reloaded = get("/demarches/demande", Some(etag.clone())).await;
    assert_eq!(reloaded.status(), StatusCode::OK);
    assert_ne!(reloaded.headers()[ETAG].to_str().unwrap(), etag);
    assert!(
        reloaded
            .text()
            .await
            .unwrap()
            .contains("Signaler un souci sur la voie publique")
    );
}
