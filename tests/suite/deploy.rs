//! Production deployment: Guichet behind a real nginx (the configuration docs/deploy.md
//! gives), and the per-address rate limits, each answered 429 then lifted after the wait.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::staff::{PASSWORD, add_user};
use common::uploads::{hidden_inputs, png, report};
use common::{TestApp, first_error, fixture, repo_root, spawn_app_configured};
use guichet::config::ServeConfig;
use guichet::domain::{Reference, Role, Status};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, ORIGIN, RETRY_AFTER};
use serde_json::{Value, json};

/// The `location /` block of docs/deploy.md's nginx example, with the upstream's port.
/// Everything else is nginx's default (so `Host: $proxy_host` reaches Guichet).
fn documented_location(upstream: u16) -> String {
    let docs = std::fs::read_to_string(repo_root().join("docs/deploy.md")).unwrap();
    let block = docs
        .split("```nginx")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/deploy.md has an nginx example");
    let location: String = block
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("location / {"))
        .take_while(|l| l.trim() != "}")
        .skip(1)
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    assert!(location.contains("proxy_pass"), "{block}");
    location.replace("127.0.0.1:8080", &format!("127.0.0.1:{upstream}"))
}

/// nginx in the foreground, with everything it writes in its own folder; killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// `None` (with a notice) where nginx is not installed, except under CI, which
    /// installs it (.ci/run): there its absence fails the test.
    fn start(upstream: u16, port: u16) -> Option<Nginx> {
        let binary = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(binary) = binary else {
            let under_ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !under_ci,
                "nginx is not installed: .ci/run installs it (apt-get install nginx)"
            );
            eprintln!(
                "SKIPPED: nginx is not installed (apt-get install nginx); the proxy test did not run"
            );
            return None;
        };
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().display().to_string();
        // As root, nginx would hand its work to `nobody`, who cannot write in the folder.
        use std::os::unix::fs::MetadataExt;
        let as_root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let config = format!(
            "{user}worker_processes 1;
master_process off;
pid {path}/nginx.pid;
error_log {path}/error.log;
events {{ worker_connections 64; }}
http {{
access_log {path}/access.log;
client_body_temp_path {path}/client_body;
proxy_temp_path {path}/proxy;
fastcgi_temp_path {path}/fastcgi;
uwsgi_temp_path {path}/uwsgi;
scgi_temp_path {path}/scgi;
client_max_body_size 30m;
server {{
listen 127.0.0.1:{port};
location / {{
{location}}}
}}
}}
",
            user = if as_root { "user root;\n" } else { "" },
            location = documented_location(upstream),
        );
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        let child = Command::new(binary)
            .args([
                "-p",
                &path,
                "-c",
                &format!("{path}/nginx.conf"),
                "-g",
                "daemon off;",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited ({status}): {}", nginx.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen: {}",
                nginx.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(nginx)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The value of `<input … name="NAME" value="…">` in a page.
fn input_value(page: &str, name: &str) -> String {
    page.split(&format!(r#"name="{name}" value=""#))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .to_owned()
}

/// The e-mails written so far (file transport), soft line breaks undone.
fn mails(app: &TestApp) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(app.data_dir.path().join("mail")) else {
        return Vec::new();
    };
    entries
        // A file being written may not be whole UTF-8 yet: it is read at the next look.
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|raw| {
            raw.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

const BIN_ANSWERS: [(&str, &str); 7] = [
    ("motif", "taille"),
    ("type_bac", "ordures-menageres"),
    ("nombre_residents", "4"),
    ("nom", "Claire Martin"),
    ("adresse.rue", "Rue de la Libération"),
    ("adresse.commune", "marmande"),
    ("email", "claire.martin@example.org"),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_and_an_agent_work_through_nginx_with_its_defaults() {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let app = spawn_app_configured(&repo_root(), |config: &mut ServeConfig| {
        config.public_url = Some(public.clone());
        config.proxy.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.rate_limits.limit_lookups = "3/min".parse().unwrap();
    })
    .await;
    let upstream: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let Some(nginx) = Nginx::start(upstream, port) else {
        return;
    };
    let client = &app.client;

    // The citizen: form, review, send, receipt, tracking link. Every post carries the
    // site's real Origin, which nginx's `Host: 127.0.0.1:<upstream>` does not match.
    let form = client
        .get(nginx.url("/demarches/remplacement-bac"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let mut review = vec![("_action", "review")];
    review.extend(BIN_ANSWERS);
    let response = client
        .post(nginx.url("/demarches/remplacement-bac"))
        .header(ORIGIN, &public)
        .form(&review)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Vérifiez vos réponses"), "{page}");
    let token = input_value(&page, "_token");
    let mut submit = vec![("_action", "submit"), ("_token", token.as_str())];
    submit.extend(BIN_ANSWERS);
    let response = client
        .post(nginx.url("/demarches/remplacement-bac"))
        .header(ORIGIN, &public)
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let receipt_path = response.headers()[LOCATION].to_str().unwrap().to_owned();
    let receipt = client.get(nginx.url(&receipt_path)).send().await.unwrap();
    assert_eq!(receipt.status(), StatusCode::OK);
    let receipt = receipt.text().await.unwrap();
    assert!(
        receipt.contains("Votre demande est enregistrée"),
        "{receipt}"
    );
    let tracking_url = format!("{public}/suivi/{token}");
    assert!(
        receipt.contains(&tracking_url),
        "the link names the public URL: {receipt}"
    );
    let reference = receipt
        .split("class=\"reference\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let tracked = client.get(&tracking_url).send().await.unwrap();
    assert_eq!(tracked.status(), StatusCode::OK);

    // Another site's form is still refused, through the proxy too.
    let forged = client
        .post(nginx.url("/demarches/remplacement-bac"))
        .header(ORIGIN, "https://evil.example")
        .form(&submit)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("envoyée depuis un autre site")
    );

    // An agent signs in and takes the request, through nginx.
    add_user(
        &app,
        "agent@agglo.example",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let login = client
        .post(nginx.url("/bureau/connexion"))
        .header(ORIGIN, &public)
        .form(&[("email", "agent@agglo.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.contains("; Secure"),
        "loopback keeps Secure: {set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = client
        .get(nginx.url(&format!("/bureau/demandes/{reference}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = input_value(&page, "_csrf");
    let taken = client
        .post(nginx.url(&format!("/bureau/demandes/{reference}")))
        .header(ORIGIN, &public)
        .header("cookie", &cookie)
        .form(&[("_csrf", csrf.as_str()), ("_action", "take")])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, Status::InProgress);

    // The receipt e-mail links to the public URL, never to the upstream's address. It is
    // told from the status e-mail (taking the request sent one) by its private link,
    // `/suivi/{token}`; the status e-mail links to `/suivi?reference=`.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mail = loop {
        if let Some(mail) = mails(&app)
            .into_iter()
            .find(|m| m.contains("claire.martin@example.org") && m.contains("/suivi/"))
        {
            break mail;
        }
        assert!(Instant::now() < deadline, "no receipt e-mail");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(mail.contains(&tracking_url), "{mail}");
    assert!(!mail.contains(&format!(":{upstream}")), "{mail}");

    // Limits count the address nginx reports (X-Forwarded-For), not nginx's own.
    let lookup = |address: &'static str| {
        client
            .get(nginx.url(&format!("/suivi?reference={reference}")))
            .header("x-forwarded-for", address)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            lookup("203.0.113.9").await.unwrap().status(),
            StatusCode::OK
        );
    }
    let refused = lookup("203.0.113.9").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(RETRY_AFTER));
    assert_eq!(
        lookup("203.0.113.10").await.unwrap().status(),
        StatusCode::OK
    );
}

/// Waits as long as `Retry-After` says (whole seconds), and no longer than 10 s.
async fn wait_retry_after(response: &reqwest::Response) -> u64 {
    let secs: u64 = response.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&secs), "Retry-After: {secs}");
    tokio::time::sleep(Duration::from_secs(secs)).await;
    secs
}

fn limited(
    adjust: impl FnOnce(&mut guichet::config::RateLimitConfig),
) -> impl FnOnce(&mut ServeConfig) {
    move |config: &mut ServeConfig| adjust(&mut config.rate_limits)
}

#[tokio::test]
async fn html_submissions_over_the_limit_keep_the_answers_then_go_through() {
    let app = spawn_app_configured(
        &fixture("minimal"),
        limited(|l| l.limit_submissions = "1/3s".parse().unwrap()),
    )
    .await;
    let answers = [
        ("categorie", "lampe"),
        ("details", "Lampadaire éteint depuis lundi"),
        ("commune", "beta"),
    ];
    let send = |token: String| {
        let mut fields = vec![
            ("_action".to_owned(), "submit".to_owned()),
            ("_token".to_owned(), token),
        ];
        fields.extend(answers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        app.client
            .post(app.url("/demarches/demande"))
            .form(&fields)
            .send()
    };
    let first = send(
        guichet::domain::TrackingToken::generate()
            .as_str()
            .to_owned(),
    )
    .await
    .unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);

    let token = guichet::domain::TrackingToken::generate()
        .as_str()
        .to_owned();
    let refused = send(token.clone()).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let waited = wait_retry_after(&refused).await;
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Trop de demandes ont été envoyées depuis votre connexion"),
        "{page}"
    );
    assert!(page.contains("vos réponses sont conservées"), "{page}");
    // The review page again, with the answers (in its signed state) and the same token.
    assert!(page.contains("Vérifiez vos réponses"), "{page}");
    assert!(
        page.contains("<dd>Lampadaire éteint depuis lundi</dd>"),
        "{page}"
    );
    let hidden = hidden_inputs(&page);
    assert!(hidden.iter().any(|(name, _)| name == "_etat"), "{hidden:?}");
    assert!(
        hidden.contains(&("_token".into(), token.clone())),
        "{hidden:?}"
    );
    assert_eq!(app.count().await, 1, "nothing filed over the limit");

    // After the wait, sending the same page files it.
    let mut again: Vec<(String, String)> = hidden;
    again.push(("_action".into(), "submit".into()));
    let response = app
        .client
        .post(app.url("/demarches/demande"))
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "after {waited} s");
    assert!(
        response.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains(&token)
    );
    assert_eq!(app.count().await, 2);
}

#[tokio::test]
async fn api_submissions_over_the_limit_get_429_in_json_then_go_through() {
    let app = spawn_app_configured(
        &repo_root(),
        limited(|l| l.limit_submissions = "2/4s".parse().unwrap()),
    )
    .await;
    let submit = || {
        app.client
            .post(app.url("/api/v1/forms/remplacement-bac/submissions"))
            .json(&json!({
                "motif": "taille",
                "type_bac": "ordures-menageres",
                "nombre_residents": 4,
                "nom": "Claire Martin",
                "adresse": {"rue": "Rue de la Libération", "commune": "marmande"}
            }))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(submit().await.unwrap().status(), StatusCode::CREATED);
    }
    let refused = submit().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    wait_retry_after(&refused).await;
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "");
    assert!(
        first_error(&body).contains("Trop de demandes déposées depuis cette adresse"),
        "{body}"
    );
    assert_eq!(app.count().await, 2, "nothing filed over the limit");
    assert_eq!(submit().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(app.count().await, 3);
}

#[tokio::test]
async fn tracking_lookups_by_link_and_by_reference_are_limited_then_recover() {
    let app = spawn_app_configured(
        &repo_root(),
        limited(|l| l.limit_lookups = "3/3s".parse().unwrap()),
    )
    .await;
    let (reference, token) = common::staff::file_bin_request(&app, "marmande").await;
    let get = |path: String| app.client.get(app.url(&path)).send();
    // The empty lookup form is free.
    for _ in 0..5 {
        assert_eq!(get("/suivi".into()).await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(
        get(format!("/suivi/{token}")).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/suivi?reference={reference}"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        get(format!("/api/v1/track/{token}"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // A guess at a reference, a link, the API: all refused now, in French.
    let page = get("/suivi?reference=ABC-2026-0001".into()).await.unwrap();
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key(RETRY_AFTER));
    let text = page.text().await.unwrap();
    assert!(
        text.contains("Trop de consultations de suivi depuis votre connexion"),
        "{text}"
    );
    let link = get(format!("/suivi/{token}")).await.unwrap();
    assert_eq!(link.status(), StatusCode::TOO_MANY_REQUESTS);
    let api = get(format!("/api/v1/track/{token}")).await.unwrap();
    assert_eq!(api.status(), StatusCode::TOO_MANY_REQUESTS);
    wait_retry_after(&api).await;
    let body: Value = api.json().await.unwrap();
    assert!(first_error(&body).contains("Patientez"), "{body}");

    let again = get(format!("/suivi/{token}")).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().contains(&reference));
}

#[tokio::test]
async fn uploads_over_the_budget_keep_the_answers_and_store_no_file() {
    let app = spawn_app_configured(&repo_root(), |config: &mut ServeConfig| {
        config.max_upload_bytes = 256 * 1024;
        config.rate_limits.limit_uploads = "300KiB/3s".parse().unwrap();
    })
    .await;
    let review = |seed: u8| {
        app.client
            .post(app.url("/demarches/signalement-voirie"))
            .multipart(report(vec![("trou.png", png(seed, 200 * 1024))]))
            .send()
    };
    // Files are kept in folders named after their hash's first two digits.
    let stored = || {
        std::fs::read_dir(app.data_dir.path().join("attachments"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap() != "tmp")
            .map(|shard| std::fs::read_dir(shard).unwrap().count())
            .sum::<usize>()
    };
    assert_eq!(review(3).await.unwrap().status(), StatusCode::OK);
    let kept = stored();
    let refused = review(5).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    wait_retry_after(&refused).await;
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Trop de fichiers ont été envoyés depuis votre connexion"),
        "{page}"
    );
    assert!(
        page.contains("Avenue de Bordeaux, devant la pharmacie"),
        "answers kept: {page}"
    );
    assert_eq!(stored(), kept, "the refused file was not stored");

    let after = review(7).await.unwrap();
    assert_eq!(after.status(), StatusCode::OK);
    assert!(
        after
            .text()
            .await
            .unwrap()
            .contains("Vérifiez vos réponses")
    );
    assert!(stored() > kept);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_change_nothing() {
    // No trusted proxy: a client claiming another address still spends its own budget.
    let app = spawn_app_configured(
        &repo_root(),
        limited(|l| l.limit_lookups = "1/min".parse().unwrap()),
    )
    .await;
    let lookup = |claimed: &'static str| {
        app.client
            .get(app.url("/suivi?reference=ABC-2026-0001"))
            .header("x-forwarded-for", claimed)
            .header("forwarded", format!("for={claimed}"))
            .send()
    };
    assert_eq!(lookup("192.0.2.1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        lookup("192.0.2.2").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_session_cookie_drops_secure_only_on_a_site_declared_plain_http() {
    let sign_in = |app: &TestApp, extra: Vec<(&'static str, &'static str)>| {
        let mut request = app
            .client
            .post(app.url("/bureau/connexion"))
            .form(&[("email", "agent@agglo.example"), ("password", PASSWORD)]);
        for (name, value) in extra {
            request = request.header(name, value);
        }
        request.send()
    };
    let cookie_of = |response: &reqwest::Response| {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned()
    };

    let lan = spawn_app_configured(&repo_root(), |config: &mut ServeConfig| {
        config.public_url = Some("http://guichet.lan:8080".into());
        config.proxy.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    add_user(
        &lan,
        "agent@agglo.example",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let plain = sign_in(&lan, vec![("origin", "http://guichet.lan:8080")])
        .await
        .unwrap();
    let cookie = cookie_of(&plain);
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // A trusted proxy that says the client used HTTPS keeps it Secure.
    let proxied = sign_in(
        &lan,
        vec![
            ("origin", "http://guichet.lan:8080"),
            ("x-forwarded-proto", "https"),
        ],
    )
    .await
    .unwrap();
    assert!(cookie_of(&proxied).contains("; Secure"));

    // Without a declared public URL, a Host naming another site weakens nothing; and the
    // origin it names is the one a form may come from.
    let default = spawn_app_configured(&repo_root(), |_| {}).await;
    add_user(
        &default,
        "agent@agglo.example",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let response = sign_in(
        &default,
        vec![
            ("host", "guichet.lan:8080"),
            ("origin", "http://guichet.lan:8080"),
        ],
    )
    .await
    .unwrap();
    assert!(cookie_of(&response).contains("; Secure"));
    let forged = sign_in(
        &default,
        vec![
            ("host", "guichet.lan:8080"),
            ("origin", "http://evil.lan:8080"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
