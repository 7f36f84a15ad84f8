//! The communes' small sites through the real server (on PostgreSQL when
//! `TEST_DATABASE_URL` is set): a rédacteur edits, previews and publishes their commune's
//! page and news; nobody else can; the public page and the Atom feed show it; the history
//! restores; Markdown comes out inert; embeds are framed only by the listed origins.

use crate::common;

use common::spawn_app;
use common::staff::{Browser, add_user, login};
use guichet::domain::Role;
use reqwest::StatusCode;

const PAGE: &str = "/bureau/communes/seyches/page";

fn page_fields<'a>(presentation: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("presentation", presentation),
        ("mayor", "Mme Jeanne Martin"),
        (
            "hours",
            "lundi-vendredi 08:30-12:00 14:00-17:00\nsamedi 09:00-12:00",
        ),
        ("contacts", "Secrétariat : 05 53 00 00 01"),
        (
            "links",
            "Office de tourisme | https://tourisme.example.org/",
        ),
        ("_action", action),
    ]
}

async fn redacteur(app: &common::TestApp) -> Browser {
    add_user(
        app,
        "redac@seyches.example.org",
        Role::Redacteur,
        &[],
        &["seyches"],
    )
    .await;
    login(app, "redac@seyches.example.org").await
}

#[tokio::test]
async fn a_redacteur_previews_publishes_and_restores_their_communes_page() {
    let app = spawn_app().await;
    let browser = redacteur(&app).await;

    // Before any page, the public page is today's contact card.
    let public = app.get_text("/communes/seyches").await;
    assert!(public.contains("Contacter la mairie"), "{public}");
    assert!(!public.contains("Mme Jeanne Martin"));

    // Preview: a draft, shown in the back office, not to the public.
    let (status, _) = browser
        .post(
            &app,
            PAGE,
            &page_fields("Bienvenue à **Seyches**.", "preview"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, editor) = browser.get(&app, PAGE).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        editor.contains("Brouillon enregistré par redac@seyches.example.org"),
        "{editor}"
    );
    assert!(editor.contains("<strong>Seyches</strong>"), "{editor}");
    assert!(editor.contains("Mme Jeanne Martin"));
    assert!(
        !app.get_text("/communes/seyches")
            .await
            .contains("Mme Jeanne Martin")
    );

    // Publish: the public sees it, hours and the open/closed line included.
    let (status, _) = browser
        .post(
            &app,
            PAGE,
            &page_fields("Bienvenue à **Seyches**.", "publish"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let public = app.get_text("/communes/seyches").await;
    assert!(public.contains("<strong>Seyches</strong>"), "{public}");
    assert!(public.contains("Maire&nbsp;: Mme Jeanne Martin"));
    assert!(public.contains("Secrétariat&nbsp;: 05 53 00 00 01"));
    assert!(public.contains("https://tourisme.example.org/"));
    assert!(
        public.contains("<dt>lundi</dt><dd>08:30-12:00, 14:00-17:00</dd>"),
        "{public}"
    );
    // The line for the present moment, computed in Paris time like the pure function.
    let hours = guichet::domain::site::parse_hours(
        "lundi-vendredi 08:30-12:00 14:00-17:00\nsamedi 09:00-12:00",
    )
    .unwrap();
    let expected = if guichet::domain::site::is_open(&hours, time::OffsetDateTime::now_utc()) {
        "Ouvert maintenant"
    } else {
        "Fermé"
    };
    assert!(public.contains(expected), "{expected} in {public}");
    assert!(public.contains("jours fériés"));

    // A second version, then the first restored as a third.
    browser
        .post(
            &app,
            PAGE,
            &page_fields("Nouvelle présentation.", "publish"),
        )
        .await;
    assert!(
        app.get_text("/communes/seyches")
            .await
            .contains("Nouvelle présentation.")
    );
    let (status, history) = browser.get(&app, &format!("{PAGE}/historique")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("redac@seyches.example.org"));
    let (status, _) = browser
        .post(&app, &format!("{PAGE}/historique/1"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let public = app.get_text("/communes/seyches").await;
    assert!(public.contains("<strong>Seyches</strong>"), "{public}");
    assert!(!public.contains("Nouvelle présentation."));
    let versions = app.store.page_history("seyches").await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.number, v.restored_from))
            .collect::<Vec<_>>(),
        vec![(3, Some(1)), (2, None), (1, None)]
    );
    let (_, history) = browser.get(&app, &format!("{PAGE}/historique")).await;
    assert!(history.contains("rétablit la version 1"), "{history}");

    // A form with a mistake says what to correct, and writes nothing.
    let mut bad = page_fields("x", "publish");
    bad[2] = ("hours", "lundi matin");
    let (status, page) = browser.post(&app, PAGE, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("n&#39;est pas une plage horaire"), "{page}");
    assert_eq!(app.store.page_history("seyches").await.unwrap().len(), 3);
}

#[tokio::test]
async fn nobody_else_touches_a_communes_page() {
    let app = spawn_app().await;
    let browser = redacteur(&app).await;
    add_user(&app, "agent@vdg.example.org", Role::Agent, &["voirie"], &[]).await;
    add_user(
        &app,
        "elu@marmande.example.org",
        Role::Elu,
        &[],
        &["marmande"],
    )
    .await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let elu = login(&app, "elu@marmande.example.org").await;

    for (who, path) in [
        (&browser, "/bureau/communes/marmande/page"),
        (&agent, PAGE),
        (&elu, "/bureau/communes/marmande/page"),
        (&browser, "/bureau/communes/nulle-part/page"),
    ] {
        let (status, _) = who.get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        for (post, fields) in [
            (path.to_owned(), page_fields("Piratage", "publish")),
            (path.to_owned(), page_fields("Piratage", "preview")),
            (format!("{path}/historique/1"), vec![]),
            (
                path.replace("/page", "/actualites"),
                vec![("date", "2026-11-30"), ("title", "Piratage"), ("body", "x")],
            ),
        ] {
            let (status, _) = who.post(&app, &post, &fields).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "POST {post}");
        }
    }
    for commune in ["marmande", "seyches"] {
        assert!(app.store.page_draft(commune).await.unwrap().is_none());
        assert!(app.store.page_history(commune).await.unwrap().is_empty());
        assert!(app.store.commune_news(commune).await.unwrap().is_empty());
    }

    // An élu given rédacteur rights edits their own commune's page, not another's.
    app.store
        .set_site_editor("elu@marmande.example.org", true)
        .await
        .unwrap();
    let (status, _) = elu.get(&app, "/bureau/communes/marmande/page").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = elu
        .post(
            &app,
            "/bureau/communes/marmande/page",
            &page_fields("Marmande", "publish"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = elu.get(&app, PAGE).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Without the CSRF token, nothing either.
    let response = app
        .client
        .post(app.url(PAGE))
        .header("cookie", &browser.cookie)
        .form(&page_fields("Sans jeton", "publish"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.store.page_history("seyches").await.unwrap().is_empty());
}

#[tokio::test]
async fn news_are_listed_newest_first_in_the_page_and_the_atom_feed() {
    let app = spawn_app().await;
    let browser = redacteur(&app).await;
    let news = "/bureau/communes/seyches/actualites";
    for (date, title, ends) in [
        ("2026-11-01", "Marché de la Toussaint", ""),
        ("2026-11-20", "Fête du village & <bal>", ""),
        ("2020-01-01", "Vieux concert", "2020-01-02"),
    ] {
        let (status, _) = browser
            .post(
                &app,
                news,
                &[
                    ("date", date),
                    ("title", title),
                    ("body", "Rendez-vous **place de la mairie**."),
                    ("ends_on", ends),
                    ("_action", "publish"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{title}");
    }
    let public = app.get_text("/communes/seyches").await;
    let fete = public
        .find("Fête du village &#38; &#60;bal&#62;")
        .expect(&public);
    let marche = public.find("Marché de la Toussaint").expect("the older");
    assert!(fete < marche, "newest first");
    assert!(
        !public.contains("Vieux concert"),
        "an expired item is hidden"
    );

    let response = app
        .client
        .get(app.url("/communes/seyches/actualites.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let feed = response.text().await.unwrap();
    assert!(
        feed.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{feed}"
    );
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert_eq!(feed.matches("<entry>").count(), 2, "{feed}");
    assert_eq!(feed.matches("<id>urn:uuid:").count(), 2);
    assert!(
        feed.contains("<title>Fête du village &#38; &#60;bal&#62;</title>"),
        "{feed}"
    );
    // The HTML content is escaped text, so the XML stays well-formed.
    assert!(
        feed.contains("&#60;strong&#62;place de la mairie&#60;/strong&#62;"),
        "{feed}"
    );
    assert!(feed.find("Fête du village").unwrap() < feed.find("Marché de la Toussaint").unwrap());

    // Unpublishing takes an item off the page and the feed.
    let item = app
        .store
        .commune_news("seyches")
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.content.title.starts_with("Marché"))
        .unwrap();
    let (status, _) = browser
        .post(
            &app,
            &format!("{news}/{}", item.id),
            &[
                ("date", "2026-11-01"),
                ("title", "Marché de la Toussaint"),
                ("body", "Annulé."),
                ("_action", "unpublish"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !app.get_text("/communes/seyches")
            .await
            .contains("Marché de la Toussaint")
    );
    assert!(
        !app.get_text("/communes/seyches/actualites.atom")
            .await
            .contains("Marché")
    );
    let (_, editor) = browser.get(&app, PAGE).await;
    assert!(
        editor.contains("Marché de la Toussaint</a> (retirée)"),
        "{editor}"
    );

    // A title missing: a French message, nothing stored.
    let (status, page) = browser
        .post(
            &app,
            news,
            &[("date", "2026-11-30"), ("title", " "), ("body", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Donnez un titre"), "{page}");
    assert_eq!(app.store.commune_news("seyches").await.unwrap().len(), 3);
    assert!(
        app.get_text("/communes/nulle-part/actualites.atom")
            .await
            .contains("ne fait pas partie")
    );
}

#[tokio::test]
async fn markdown_with_scripts_and_handlers_comes_out_inert() {
    let app = spawn_app().await;
    let browser = redacteur(&app).await;
    let nasty = "Bonjour <script>alert('x')</script>\n\n<img src=\"x\" onerror=\"alert(1)\">\n\n[piège](javascript:alert(2)) <a href=\"#\" style=\"position:fixed\" onclick=\"alert(3)\">ici</a>";
    browser
        .post(&app, PAGE, &page_fields(nasty, "publish"))
        .await;
    browser
        .post(
            &app,
            "/bureau/communes/seyches/actualites",
            &[
                ("date", "2026-11-30"),
                ("title", "Test"),
                ("body", nasty),
                ("_action", "publish"),
            ],
        )
        .await;
    let (_, editor) = browser.get(&app, PAGE).await;
    // The preview, not the form's text areas (which show the source, escaped).
    let preview = editor
        .split("id=\"apercu\"")
        .nth(1)
        .unwrap()
        .split("id=\"actualites\"")
        .next()
        .unwrap()
        .to_owned();
    let public = app.get_text("/communes/seyches").await;
    for page in [&public, &preview] {
        // The page's own markup has no script, handler or style attribute.
        for inert in [
            "<script",
            "onerror=",
            "onclick=",
            "javascript:",
            "style=\"position",
        ] {
            assert!(!page.contains(inert), "{inert} in {page}");
        }
        assert!(page.contains("Bonjour"));
    }
    let feed = app.get_text("/communes/seyches/actualites.atom").await;
    for inert in ["&#60;script", "onerror", "javascript:", "onclick"] {
        assert!(!feed.contains(inert), "{inert} in {feed}");
    }
}

#[tokio::test]
async fn embed_headers_name_exactly_the_communes_allowed_origins() {
    let app = spawn_app().await;
    let headers = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            let xfo = response
                .headers()
                .get("x-frame-options")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = response.text().await.unwrap();
            (csp, xfo, body)
        }
    };
    // Marmande lists its site (territory.toml): its page and its forms reached from it.
    for path in [
        "/communes/marmande",
        "/demarches/signalement-voirie?commune=marmande",
    ] {
        let (csp, xfo, _) = headers(path).await;
        let ancestors = csp.rsplit("frame-ancestors ").next().unwrap();
        assert_eq!(
            ancestors, "https://www.marmande.example.org",
            "{path}: {csp}"
        );
        assert_eq!(xfo, None, "{path}");
    }
    // A commune without any, the portal and a form without a commune: nobody frames them.
    for path in [
        "/communes/tonneins",
        "/demarches/signalement-voirie?commune=tonneins",
        "/demarches/signalement-voirie",
        "/",
    ] {
        let (csp, xfo, _) = headers(path).await;
        assert!(csp.ends_with("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(xfo.as_deref(), Some("DENY"), "{path}");
    }
    // The commune page offers link and frame code, and the form keeps its commune on post.
    let (_, _, page) = headers("/communes/marmande").await;
    assert!(page.contains("&#60;iframe src=&#34;http"), "{page}");
    assert!(page.contains("/communes/marmande"));
    let (_, _, form) = headers("/demarches/signalement-voirie?commune=marmande").await;
    assert!(
        form.contains("action=\"/demarches/signalement-voirie?commune=marmande\""),
        "{form}"
    );
}

#[tokio::test]
async fn a_territory_with_a_bad_embed_origin_is_refused_by_check() {
    let dir = common::catalogue_copy(&common::repo_root(), &[]);
    let path = dir.path().join("territory.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "embed_origins = [\"https://www.marmande.example.org\"]",
        "embed_origins = [\"https://www.marmande.example.org/accueil\"]",
    );
    std::fs::write(&path, text).unwrap();
    let output = common::guichet()
        .args(["check"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string()
        + String::from_utf8_lossy(&output.stdout).as_ref();
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("embed origin"), "{stderr}");
}

/// `guichet user add --role redacteur`, and an élu given then refused the rights.
#[tokio::test]
async fn redacteurs_and_elu_rights_are_given_from_the_command_line() {
    use std::io::Write;
    let data = tempfile::TempDir::new().unwrap();
    let database = common::test_database(data.path());
    let user = |args: &[&str]| {
        let mut child = common::guichet()
            .arg("user")
            .args(args)
            .arg("--database")
            .arg(&database)
            .arg("--catalogue")
            .arg(common::repo_root())
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
            .write_all(b"une phrase de passe solide\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned()
                + String::from_utf8_lossy(&output.stdout).as_ref(),
        )
    };
    let (ok, text) = user(&[
        "add",
        "r@seyches.example.org",
        "--name",
        "R",
        "--role",
        "rédacteur",
    ]);
    assert!(!ok && text.contains("add --commune SLUG"), "{text}");
    let (ok, text) = user(&[
        "add",
        "r@seyches.example.org",
        "--name",
        "R",
        "--role",
        "redacteur",
        "--commune",
        "seyches",
    ]);
    assert!(ok, "{text}");
    let (ok, text) = user(&[
        "add",
        "e@marmande.example.org",
        "--name",
        "E",
        "--role",
        "elu",
        "--commune",
        "marmande",
        "--redacteur",
    ]);
    assert!(ok && text.contains("rédacteur"), "{text}");
    let (ok, text) = user(&["redacteur", "r@seyches.example.org"]);
    assert!(!ok && text.contains("only an élu"), "{text}");
    let (_, list) = user(&["list"]);
    assert!(
        list.contains("redacteur") && list.contains("seyches"),
        "{list}"
    );

    let store = guichet::store::open(&guichet::config::DatabaseConfig {
        url: database.clone(),
        max_connections: 2,
    })
    .await
    .unwrap();
    assert!(
        store
            .is_site_editor("e@marmande.example.org")
            .await
            .unwrap()
    );
    let (ok, text) = user(&["redacteur", "e@marmande.example.org", "--revoke"]);
    assert!(ok, "{text}");
    assert!(
        !store
            .is_site_editor("e@marmande.example.org")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_picture_is_checked_by_its_content_and_size() {
    let app = spawn_app().await;
    let browser = redacteur(&app).await;
    let upload = |slug: &'static str, name: &'static str, bytes: Vec<u8>| {
        let app = &app;
        let browser = &browser;
        async move {
            let form = reqwest::multipart::Form::new()
                .text("_csrf", browser.csrf.clone())
                .part(
                    "picture",
                    reqwest::multipart::Part::bytes(bytes)
                        .file_name(name)
                        .mime_str("image/png")
                        .unwrap(),
                );
            let response = app
                .client
                .post(app.url(&format!("/bureau/communes/{slug}/blason")))
                .header("cookie", &browser.cookie)
                .multipart(form)
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(&[0; 32]);

    // Not an image, whatever its name says; too large; another commune: refused, nothing kept.
    let (status, page) = upload("seyches", "blason.png", b"<svg onload=alert(1)>".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{page}");
    assert!(page.contains("PNG ou JPEG"), "{page}");
    let mut big = png.clone();
    big.resize(600 * 1024, 0);
    let (status, _) = upload("seyches", "blason.png", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = upload("marmande", "blason.png", png.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.store.picture("seyches").await.unwrap().is_none());
    assert!(app.store.picture("marmande").await.unwrap().is_none());

    let (status, _) = upload("seyches", "blason.png", png.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        app.get_text("/communes/seyches")
            .await
            .contains("src=\"/communes/seyches/blason\"")
    );
    let response = app
        .client
        .get(app.url("/communes/seyches/blason"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    assert_eq!(response.bytes().await.unwrap().to_vec(), png);
    let response = app
        .client
        .get(app.url("/communes/tonneins/blason"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
