//! Accounts in the browser (`/bureau/admin/comptes`): an admin creates an account through
//! the forms, its owner chooses a password from the e-mailed link (once, within 24 hours)
//! and works; scope changes hold at once; disabling kills sessions and API tokens; every
//! change is in the account's history; "Mot de passe oublié ?" answers the same for any
//! address and sends only to enabled accounts.

use std::time::Duration;

use crate::common;

use common::mail::{Mail, mails, wait_for};
use common::staff::{
    Browser, add_user, api as call, api_token, file_bin_request, login, login_with, try_login,
};
use common::{TestApp, spawn_app};
use guichet::domain::Role;
use reqwest::StatusCode;

const ADMIN: &str = "admin@vdg.example.org";
const NEW_PASSWORD: &str = "trois mots bien choisis";

/// A page's text with askama's escapes undone.
fn text(page: &str) -> String {
    page.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&#43;", "+")
}

/// The e-mails sent to `to`, once `count` of them have arrived.
async fn mails_to(app: &TestApp, to: &str, count: usize) -> Vec<Mail> {
    wait_for(
        &format!("{count} e-mail(s) to {to}"),
        Duration::from_secs(10),
        async || mails(app).iter().filter(|m| m.to.contains(to)).count() >= count,
    )
    .await;
    mails(app)
        .into_iter()
        .filter(|m| m.to.contains(to))
        .collect()
}

/// The path of the password-set link an e-mail holds.
fn link_in(mail: &Mail) -> String {
    let at = mail
        .text
        .find("/bureau/mot-de-passe/nouveau/")
        .unwrap_or_else(|| panic!("a link in {}", mail.text));
    mail.text[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn admin(app: &TestApp) -> Browser {
    add_user(app, ADMIN, Role::Admin, &[], &[]).await;
    login(app, ADMIN).await
}

/// Creates an account through the form; returns the account page's path.
async fn create(app: &TestApp, admin: &Browser, fields: &[(&str, &str)]) -> String {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", admin.csrf.as_str())];
    all.extend_from_slice(fields);
    let response = app
        .client
        .post(app.url("/bureau/admin/comptes"))
        .header("cookie", &admin.cookie)
        .form(&all)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", text(&body));
    location.unwrap()
}

/// Chooses a password on a link's page: (status, where it sends, the session cookie).
async fn choose(
    app: &TestApp,
    link: &str,
    new: &str,
    again: &str,
) -> (StatusCode, Option<String>, Option<String>, String) {
    let response = app
        .client
        .post(app.url(link))
        .form(&[("new", new), ("again", again)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (location, cookie) = (
        header("location"),
        header("set-cookie").map(|c| c.split(';').next().unwrap().to_owned()),
    );
    (
        status,
        location,
        cookie,
        text(&response.text().await.unwrap()),
    )
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (response.status(), text(&response.text().await.unwrap()))
}

#[tokio::test]
async fn an_admin_creates_an_agent_who_chooses_a_password_from_the_link_and_works() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let (reference, _) = file_bin_request(&app, "marmande").await;

    let (status, page) = admin.get(&app, "/bureau/admin/comptes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(ADMIN) && page.contains("Créer un compte"),
        "{page}"
    );

    let account = create(
        &app,
        &admin,
        &[
            ("email", "  Nadia.Benali@VDG.example.org "),
            ("name", "Nadia Benali"),
            ("role", "agent"),
            ("service", "environnement"),
            ("send_link", "1"),
        ],
    )
    .await;
    assert!(account.starts_with("/bureau/admin/comptes/"), "{account}");
    let (status, page) = admin.get(&app, &account).await;
    let page = text(&page);
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("nadia.benali@vdg.example.org"), "{page}");
    assert!(
        page.contains("Un lien pour choisir son mot de passe est envoyé"),
        "{page}"
    );
    assert!(page.contains("compte créé") && page.contains("lien de mot de passe envoyé"));
    // Who did it, by name ("admin" is the name the helper gives).
    assert!(page.contains("<td>admin</td>"), "{page}");
    let (_, list) = admin.get(&app, "/bureau/admin/comptes").await;
    assert!(list.contains("Nadia Benali") && list.contains("Environnement"));

    // The e-mail, through the outbox.
    let mail = &mails_to(&app, "nadia.benali@vdg.example.org", 1).await[0];
    assert!(
        mail.subject.contains("choisissez votre mot de passe"),
        "{}",
        mail.subject
    );
    let link = link_in(mail);
    let (status, page) = app
        .client
        .get(app.url(&link))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let page = text(&page.text().await.unwrap());
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nadia Benali") && page.contains("Choisir votre mot de passe"));

    // Refusals keep the link.
    let (status, _, _, page) = choose(&app, &link, NEW_PASSWORD, "autre chose encore").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("diffèrent"), "{page}");
    let (status, _, _, page) = choose(&app, &link, "court", "court").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("12 caractères"), "{page}");

    // Chosen: signed in, and at work.
    let (status, location, cookie, _) = choose(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/bureau"));
    let cookie = cookie.expect("a session cookie");
    let (status, page) = get_with(&app, &cookie, "/bureau").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Environnement") && page.contains("Nadia Benali"),
        "{page}"
    );
    let (status, page) = get_with(&app, &cookie, &format!("/bureau/demandes/{reference}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    // The link works once.
    let (status, _, cookie_again, page) = choose(
        &app,
        &link,
        "encore un autre essai",
        "encore un autre essai",
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(cookie_again.is_none());
    assert!(page.contains("Ce lien ne fonctionne plus"), "{page}");
    let response = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);

    // The password is the one chosen, and signing in is recorded.
    let nadia = login_with(&app, "nadia.benali@vdg.example.org", NEW_PASSWORD).await;
    let (status, _) = nadia.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::OK);
    // The back office shows her by name where it shows people.
    assert_eq!(
        nadia.act(&app, &reference, "take", &[]).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, page) = nadia
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(
        page.contains("<dt>Attribuée à</dt><dd>Nadia Benali</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"who\">Nadia Benali</span>"),
        "{page}"
    );
    let (_, queue) = nadia.get(&app, "/bureau/files/dechets-bacs").await;
    assert!(
        queue.contains("<td data-label=\"Attribuée à\">Nadia Benali</td>"),
        "{queue}"
    );

    let (_, page) = admin.get(&app, &account).await;
    let page = text(&page);
    assert!(page.contains("mot de passe choisi"), "{page}");
    assert!(
        page.contains("<td>Nadia Benali</td>"),
        "the person chose it: {page}"
    );
    assert!(
        !page.contains("<dd>jamais</dd>"),
        "a last sign-in is shown: {page}"
    );
}

#[tokio::test]
async fn a_link_older_than_24_hours_is_refused() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    create(
        &app,
        &admin,
        &[
            ("email", "late@vdg.example.org"),
            ("name", "Lucie Tardieu"),
            ("role", "elu"),
            ("commune", "marmande"),
            ("send_link", "1"),
        ],
    )
    .await;
    let link = link_in(&mails_to(&app, "late@vdg.example.org", 1).await[0]);
    // Made 25 hours ago: it expired an hour ago.
    let now = time::OffsetDateTime::now_utc();
    app.execute_sql(format!(
        "UPDATE password_links SET created_at = '{}', expires_at = '{}'",
        guichet::store::format_time(now - time::Duration::hours(25)),
        guichet::store::format_time(now - time::Duration::hours(1)),
    ))
    .await;
    let response = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);
    let (status, _, cookie, page) = choose(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(cookie.is_none() && page.contains("24 heures"), "{page}");
    assert_eq!(
        try_login(&app, "late@vdg.example.org", NEW_PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_scope_change_holds_at_once_and_disabling_kills_sessions_and_tokens() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let agent = add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let token = api_token(&app, &agent).await;
    let session = login(&app, "agent@vdg.example.org").await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let request = format!("/bureau/demandes/{reference}");
    assert_eq!(session.get(&app, &request).await.0, StatusCode::OK);
    let account = format!("/bureau/admin/comptes/{}", agent.id);

    // Moved to the roads: the bin request is out of scope on the next page.
    let (status, _) = admin
        .post(
            &app,
            &format!("{account}/acces"),
            &[
                ("name", "Agent Voirie"),
                ("role", "agent"),
                ("service", "voirie"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(session.get(&app, &request).await.0, StatusCode::NOT_FOUND);
    let (_, page) = session.get(&app, "/bureau").await;
    assert!(
        page.contains("Voirie") && page.contains("Agent Voirie"),
        "{page}"
    );
    let (status, _) = call(
        &app,
        &token,
        reqwest::Method::GET,
        &format!("/requests/{reference}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = admin.get(&app, &account).await;
    let page = text(&page);
    assert!(page.contains("accès modifiés"), "{page}");
    assert!(
        page.contains(
            "avant : agent, agent (Environnement et déchets) ; après : Agent Voirie, agent (Voirie et éclairage public)"
        ),
        "{page}"
    );

    // A link sent before the account is disabled…
    let (status, _) = admin.post(&app, &format!("{account}/lien"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let link = link_in(&mails_to(&app, "agent@vdg.example.org", 1).await[0]);

    // Disabled: the session and the token die at once, and signing in is refused.
    let (status, _) = admin
        .post(&app, &format!("{account}/desactivation"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = session.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "back to the sign-in page");
    let (status, _) = call(&app, &token, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        try_login(&app, "agent@vdg.example.org", common::staff::PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // …no longer works, nor will it once the account is enabled again.
    let (status, _, cookie, _) = choose(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(cookie.is_none());
    // No link for a disabled account.
    let (status, page) = admin.post(&app, &format!("{account}/lien"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text(&page).contains("réactivez-le"));
    let (_, page) = admin.get(&app, &account).await;
    assert!(text(&page).contains("compte désactivé"));

    // Enabled again: the password works, the revoked token does not.
    let (status, _) = admin
        .post(&app, &format!("{account}/reactivation"), &[])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    login(&app, "agent@vdg.example.org").await;
    let (status, _) = call(&app, &token, reqwest::Method::GET, "/queues", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, page) = admin.get(&app, &account).await;
    assert!(text(&page).contains("compte réactivé"));
    let response = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::GONE);

    // An admin neither disables nor demotes themself.
    let me = app.store.user_by_email(ADMIN).await.unwrap().unwrap();
    let mine = format!("/bureau/admin/comptes/{}", me.id);
    let (status, page) = admin
        .post(&app, &format!("{mine}/desactivation"), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(text(&page).contains("propre compte"));
    let (status, page) = admin
        .post(
            &app,
            &format!("{mine}/acces"),
            &[("name", "admin"), ("role", "agent"), ("service", "voirie")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&page).contains("rôle d'administrateur"));
}

#[tokio::test]
async fn only_admins_reach_the_accounts() {
    let app = spawn_app().await;
    let admin_account = add_user(&app, ADMIN, Role::Admin, &[], &[]).await;
    add_user(&app, "agent@vdg.example.org", Role::Agent, &["voirie"], &[]).await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    for who in ["agent@vdg.example.org", "elu@vdg.example.org"] {
        let browser = login(&app, who).await;
        let (status, page) = browser.get(&app, "/bureau/admin/comptes").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        assert!(
            text(&page).contains("réservée aux administrateurs"),
            "{page}"
        );
        assert!(page.contains("<h1>"), "the site's error page");
        let (status, _) = browser
            .get(&app, &format!("/bureau/admin/comptes/{}", admin_account.id))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (path, fields) in [
            (
                "/bureau/admin/comptes".to_owned(),
                vec![
                    ("email", "x@vdg.example.org"),
                    ("name", "X"),
                    ("role", "admin"),
                ],
            ),
            (
                format!("/bureau/admin/comptes/{}/desactivation", admin_account.id),
                vec![],
            ),
            (
                format!("/bureau/admin/comptes/{}/lien", admin_account.id),
                vec![],
            ),
        ] {
            let (status, _) = browser.post(&app, &path, &fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
    assert!(
        app.store
            .user_by_email("x@vdg.example.org")
            .await
            .unwrap()
            .is_none()
    );
    // Signed out: the sign-in page.
    let response = app
        .client
        .get(app.url("/bureau/admin/comptes"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A forged form (no CSRF token) is refused, even an admin's.
    let admin = login(&app, ADMIN).await;
    let response = app
        .client
        .post(app.url("/bureau/admin/comptes"))
        .header("cookie", &admin.cookie)
        .form(&[
            ("email", "y@vdg.example.org"),
            ("name", "Y"),
            ("role", "admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store
            .user_by_email("y@vdg.example.org")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn bad_inputs_are_refused_in_french_and_nothing_is_created() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    let cases: [(&[(&str, &str)], &str); 8] = [
        (
            &[
                ("email", "claire"),
                ("name", "Claire"),
                ("role", "agent"),
                ("service", "voirie"),
            ],
            "« claire » n'est pas une adresse électronique complète",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "Claire"),
                ("role", "agent"),
                ("service", "piscine"),
            ],
            "Le service « piscine » n'existe pas",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "Claire"),
                ("role", "elu"),
                ("commune", "atlantis"),
            ],
            "La commune « atlantis » n'existe pas",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "Claire"),
                ("role", "agent"),
            ],
            "au moins un service",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "Claire"),
                ("role", "elu"),
                ("commune", "marmande"),
                ("service", "voirie"),
            ],
            "décochez les services",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "  "),
                ("role", "admin"),
            ],
            "Saisissez le nom",
        ),
        (
            &[
                ("email", "c@vdg.example.org"),
                ("name", "Claire"),
                ("role", "chef"),
            ],
            "Le rôle « chef » n'existe pas",
        ),
        (
            &[
                ("email", "ADMIN@vdg.example.org"),
                ("name", "Claire"),
                ("role", "admin"),
            ],
            "Un compte existe déjà pour admin@vdg.example.org",
        ),
    ];
    for (fields, expected) in cases {
        let (status, page) = admin.post(&app, "/bureau/admin/comptes", fields).await;
        let page = text(&page);
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {page}"
        );
        assert!(page.contains(expected), "{fields:?}: {page}");
        // What was typed is kept.
        assert!(
            page.contains(&format!("value=\"{}\"", fields[0].1)),
            "{fields:?}"
        );
    }
    assert_eq!(app.store.list_users().await.unwrap().len(), 1);
    assert!(mails(&app).is_empty());
    // An unknown account's page.
    let (status, page) = admin.get(&app, "/bureau/admin/comptes/pas-un-compte").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text(&page).contains("Ce compte n'existe pas"));
    // The history cannot be rewritten, even behind the product's back.
    let me = app.store.user_by_email(ADMIN).await.unwrap().unwrap();
    assert!(
        app.try_execute_sql("DELETE FROM account_events")
            .await
            .is_err()
    );
    assert!(
        app.try_execute_sql("UPDATE account_events SET actor = 'personne'")
            .await
            .is_err()
    );
    assert_eq!(app.store.account_events(&me.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_forgotten_password_answers_the_same_for_any_address_and_sends_only_to_enabled_accounts()
{
    let app = spawn_app().await;
    add_user(&app, "agent@vdg.example.org", Role::Agent, &["voirie"], &[]).await;
    add_user(
        &app,
        "second@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    add_user(&app, "parti@vdg.example.org", Role::Agent, &["voirie"], &[]).await;
    app.store
        .set_user_disabled(
            "parti@vdg.example.org",
            true,
            &guichet::store::staff::AccountActor::now("test"),
        )
        .await
        .unwrap();

    let sign_in = app.get_text("/bureau/connexion").await;
    assert!(
        sign_in.contains("href=\"/bureau/mot-de-passe-oublie\""),
        "{sign_in}"
    );
    let form = text(&app.get_text("/bureau/mot-de-passe-oublie").await);
    assert!(form.contains("Recevoir un lien"));

    let ask = async |email: &str| {
        let response = app
            .client
            .post(app.url("/bureau/mot-de-passe-oublie"))
            .form(&[("email", email)])
            .send()
            .await
            .unwrap();
        let status = response.status();
        let page = text(&response.text().await.unwrap());
        if email.is_empty() {
            (status, page)
        } else {
            (status, page.replace(email, "ADRESSE"))
        }
    };
    let unknown = ask("personne@vdg.example.org").await;
    let disabled = ask("parti@vdg.example.org").await;
    let real = ask("agent@vdg.example.org").await;
    assert_eq!(unknown.0, StatusCode::OK);
    assert_eq!(unknown, disabled);
    assert_eq!(unknown, real);
    assert!(
        unknown
            .1
            .contains("Si un compte actif du bureau a l'adresse ADRESSE")
    );

    let mail = &mails_to(&app, "agent@vdg.example.org", 1).await[0];
    // Asked again: no second e-mail (one every few minutes).
    ask("agent@vdg.example.org").await;
    assert!(
        mail.subject.contains("nouveau mot de passe"),
        "{}",
        mail.subject
    );
    let link = link_in(mail);
    // A later request for another account is the mark that the earlier ones are done.
    ask("second@vdg.example.org").await;
    mails_to(&app, "second@vdg.example.org", 1).await;
    let sent: Vec<String> = mails(&app).into_iter().map(|m| m.to).collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    let agent = app
        .store
        .user_by_email("agent@vdg.example.org")
        .await
        .unwrap()
        .unwrap();
    let history = app.store.account_events(&agent.id).await.unwrap();
    assert_eq!(
        history[0].actor, "agent@vdg.example.org",
        "asked by the person"
    );

    // The link sets the password like an invitation's.
    let (status, location, _, _) = choose(&app, &link, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/bureau"));
    login_with(&app, "agent@vdg.example.org", NEW_PASSWORD).await;
    assert_eq!(
        try_login(&app, "agent@vdg.example.org", common::staff::PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // An empty address is pointed out.
    let (status, page) = ask("").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Saisissez l'adresse"), "{page}");
}

#[tokio::test]
async fn forgotten_password_requests_count_against_the_sign_in_limit() {
    let app = spawn_app().await;
    let mut last = StatusCode::OK;
    for _ in 0..25 {
        last = app
            .client
            .post(app.url("/bureau/mot-de-passe-oublie"))
            .form(&[("email", "personne@vdg.example.org")])
            .send()
            .await
            .unwrap()
            .status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let page = text(&app.get_text("/bureau/mot-de-passe-oublie").await);
    assert!(page.contains("Mot de passe oublié"));
}
