//! The back office over HTTP, on the running server: the bin request's whole story, every
//! action, the citizen's reply and "not fixed", the élus' workspace, CSRF and login lockout
//! (one answer for every failure; a stranger locks only their own client out).

use crate::common;

use common::spawn_app;
use common::staff::{Browser, add_user, events, file_bin_request, login, login_with, try_login};
use guichet::domain::{Reference, Role, Status};
use reqwest::StatusCode;

async fn status_of(app: &common::TestApp, reference: &str) -> Status {
    app.store
        .request_by_reference(&Reference::parse(reference).unwrap())
        .await
        .unwrap()
        .unwrap()
        .status
}

/// The "done when" story: an agent asks the citizen for the old bin's number, the citizen
/// answers through their link, the agent transfers and resolves, the citizen says "not
/// fixed" and it reopens, while the élu of the commune follows every step without ever
/// seeing internal notes.
#[tokio::test]
async fn a_bin_request_goes_through_the_whole_story() {
    let app = spawn_app().await;
    add_user(
        &app,
        "agent.env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(
        &app,
        "elu.marmande@vdg.example.org",
        Role::Elu,
        &[],
        &["marmande"],
    )
    .await;
    let (reference, token) = file_bin_request(&app, "marmande").await;
    let agent = login(&app, "agent.env@vdg.example.org").await;
    let elu = login(&app, "elu.marmande@vdg.example.org").await;

    // The agent sees it in the Environment queue, with counts.
    let (status, queue) = agent.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&reference), "the queue lists {reference}");
    assert!(queue.contains("Reçue : 1"), "counts per status");
    let (_, home) = agent.get(&app, "/bureau").await;
    assert!(home.contains("Bacs de collecte"));

    // The request's page: labels of its form version, channel, commune, why it came here.
    let (status, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Nombre de personnes dans le foyer"),
        "labels from the form version"
    );
    assert!(
        page.contains("Sa taille ne convient plus à mon foyer"),
        "choice labels, not codes"
    );
    assert!(page.contains("Marmande"));
    assert!(page.contains("application partenaire"), "the channel");
    assert!(page.contains("Pourquoi ici"));

    // Take it, write an internal note, ask the citizen for the bin's number.
    assert_eq!(
        agent.act(&app, &reference, "take", &[]).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &reference).await, Status::InProgress);
    let note = "Le foyer a déjà eu un bac l'an dernier";
    assert_eq!(
        agent
            .act(&app, &reference, "note", &[("text", note)])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let question = "Quel est le numéro inscrit sur votre ancien bac ?";
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "message",
            &[("text", question), ("await_reply", "on")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &reference).await, Status::WaitingForCitizen);

    // The citizen reads the question on their tracking page, never the note, and answers.
    let tracking = app.get_text(&format!("/suivi/{token}")).await;
    assert!(tracking.contains(question));
    assert!(tracking.contains("En attente de votre réponse"));
    assert!(!tracking.contains(note));
    let response = app
        .client
        .post(app.url(&format!("/suivi/{token}/reponse")))
        .form(&[("text", "Le numéro est 00123456")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The answer returns the request to the agent's desk.
    assert_eq!(status_of(&app, &reference).await, Status::InProgress);
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains("Le numéro est 00123456"));

    // The élu follows: the request is in their list and on its page, without the note.
    let (status, follow) = elu.get(&app, "/bureau/elu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(follow.contains(&reference));
    let (status, elu_page) = elu
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(elu_page.contains("Le numéro est 00123456"));
    assert!(!elu_page.contains(note), "an élu never sees internal notes");

    // Transfer to the right queue, then resolve.
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "transfer",
            &[
                ("queue", "dechets-encombrants"),
                (
                    "reason",
                    "Bac de grande taille livré par l'équipe encombrants",
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.queue, "dechets-encombrants");
    assert_eq!(
        agent
            .act(&app, &reference, "status", &[("status", "resolved")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status_of(&app, &reference).await, Status::Resolved);
    let tracking = app.get_text(&format!("/suivi/{token}")).await;
    assert!(tracking.contains("Traitée"));
    assert!(
        tracking.contains("Environnement et déchets"),
        "the citizen sees the service"
    );

    // "Not fixed": it reopens in the same queue with a new deadline and a visible event.
    let response = app
        .client
        .post(app.url(&format!("/suivi/{token}/non-resolu")))
        .form(&[("text", "Le nouveau bac est fêlé")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let reopened = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reopened.status, Status::Received);
    assert_eq!(reopened.queue, "dechets-encombrants");
    assert!(reopened.due_at.unwrap() > time::OffsetDateTime::now_utc() + time::Duration::days(5));
    let tracking = app.get_text(&format!("/suivi/{token}")).await;
    assert!(tracking.contains("pas résolu"));

    // The élu saw every step, and their report-back summary has no internal note.
    let (_, elu_page) = elu
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    for step in [
        "Attribuée à",
        question,
        "Transférée",
        "Traitée",
        "Le nouveau bac est fêlé",
    ] {
        assert!(elu_page.contains(step), "the élu sees {step:?}");
    }
    let (status, report) = elu
        .get(&app, &format!("/bureau/demandes/{reference}/compte-rendu"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains(&reference) && report.contains("Reçue"));
    assert!(
        !report.contains(note) && !report.contains("Bac de grande taille"),
        "nothing internal in the summary"
    );

    // Every step is an event with its actor, in order.
    let kinds: Vec<(String, String)> = events(&app, &reference).await;
    let expected = [
        ("submitted", "api"),
        ("routed", "guichet"),
        ("assigned", "agent.env@vdg.example.org"),
        ("status_changed", "agent.env@vdg.example.org"),
        ("note", "agent.env@vdg.example.org"),
        ("message", "agent.env@vdg.example.org"),
        ("status_changed", "agent.env@vdg.example.org"),
        ("citizen_reply", "citoyen"),
        ("status_changed", "citoyen"),
        ("transferred", "agent.env@vdg.example.org"),
        ("status_changed", "agent.env@vdg.example.org"),
        ("reopened", "citoyen"),
        ("status_changed", "citoyen"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, a)| (k.to_string(), a.to_string()))
        .collect();
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn priority_due_date_and_assignment_are_recorded_and_checked() {
    let app = spawn_app().await;
    add_user(
        &app,
        "a@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(
        &app,
        "b@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(
        &app,
        "voirie@vdg.example.org",
        Role::Agent,
        &["voirie"],
        &[],
    )
    .await;
    let (reference, _) = file_bin_request(&app, "tonneins").await;
    let agent = login(&app, "a@vdg.example.org").await;

    assert_eq!(
        agent
            .act(&app, &reference, "priority", &[("priority", "urgent")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        agent
            .act(&app, &reference, "due", &[("due", "2099-12-31")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        agent
            .act(&app, &reference, "assign", &[("to", "b@vdg.example.org")])
            .await
            .0,
        StatusCode::SEE_OTHER
    );
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.priority, guichet::domain::Priority::Urgent);
    assert_eq!(stored.assignee.as_deref(), Some("b@vdg.example.org"));
    assert_eq!(stored.due_at.unwrap().year(), 2099);
    // The timeline gives the due date the French way.
    let (_, page) = agent
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert!(page.contains("Échéance fixée au 31/12/2099"), "{page}");

    // Refusals come back on the page, in French, and change nothing.
    let before = events(&app, &reference).await.len();
    let (status, page) = agent
        .act(
            &app,
            &reference,
            "assign",
            &[("to", "voirie@vdg.example.org")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("n&#39;est pas un agent actif du service")
            || page.contains("n'est pas un agent actif du service"),
        "{page}"
    );
    let (status, page) = agent
        .act(&app, &reference, "due", &[("due", "demain")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("AAAA-MM-JJ"));
    // An empty note is the writer's to correct (422), not a conflict with the request.
    let (status, page) = agent
        .act(&app, &reference, "note", &[("text", "   ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("La note est vide : écrivez-la"), "{page}");
    let (status, _) = agent
        .act(&app, &reference, "status", &[("status", "received")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = agent
        .act(
            &app,
            &reference,
            "transfer",
            &[("queue", "nowhere"), ("reason", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = agent.act(&app, &reference, "explode", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        events(&app, &reference).await.len(),
        before,
        "no event for a refused action"
    );

    // The queue filters find it by priority and assignee, not by another commune.
    let (_, listing) = agent
        .get(
            &app,
            "/bureau/files/dechets-bacs?priority=urgent&assignee=b%40vdg.example.org",
        )
        .await;
    assert!(listing.contains(&reference));
    let (_, listing) = agent
        .get(&app, "/bureau/files/dechets-bacs?commune=marmande")
        .await;
    assert!(!listing.contains(&reference));
    let (status, _) = agent
        .get(&app, "/bureau/files/dechets-bacs?status=lost")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_citizen_cannot_reopen_an_open_request_nor_answer_a_closed_one() {
    let app = spawn_app().await;
    add_user(
        &app,
        "a@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (reference, token) = file_bin_request(&app, "marmande").await;
    let response = app
        .client
        .post(app.url(&format!("/suivi/{token}/non-resolu")))
        .form(&[("text", "toujours cassé")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Seule une demande traitée")
    );

    let agent = login(&app, "a@vdg.example.org").await;
    agent
        .act(&app, &reference, "status", &[("status", "rejected")])
        .await;
    let response = app
        .client
        .post(app.url(&format!("/suivi/{token}/reponse")))
        .form(&[("text", "et alors ?")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&app, &reference).await, Status::Rejected);
    // An empty answer is refused with the text kept.
    let bogus = app
        .client
        .post(app.url("/suivi/not-a-token/reponse"))
        .form(&[("text", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_elu_files_for_a_citizen_and_follows_it() {
    let app = spawn_app().await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["clairac"]).await;
    let elu = login(&app, "elu@vdg.example.org").await;
    let (status, page) = elu.get(&app, "/bureau/elu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/bureau/elu/demarches/remplacement-bac"));

    // Without a channel the form comes back with the values kept.
    let fields = [
        ("motif", "taille"),
        ("type_bac", "ordures-menageres"),
        ("nombre_residents", "7"),
        ("nom", "Famille Garcia"),
        ("adresse.rue", "Chemin des Vignes"),
        ("adresse.commune", "clairac"),
    ];
    let (status, page) = elu
        .post(&app, "/bureau/elu/demarches/remplacement-bac", &fields)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Indiquez comment le demandeur vous a saisi"));
    assert!(page.contains("Chemin des Vignes"));
    assert_eq!(app.count().await, 0);

    let mut with_channel = fields.to_vec();
    with_channel.extend([("_channel", "phone"), ("_contact", "06 12 34 56 78")]);
    let (status, page) = elu
        .post(
            &app,
            "/bureau/elu/demarches/remplacement-bac",
            &with_channel,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("/suivi/"), "the tracking link to hand over");
    let reference = page
        .split("/bureau/demandes/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.channel, "phone");
    assert_eq!(stored.filed_by.as_deref(), Some("elu@vdg.example.org"));
    assert_eq!(stored.citizen_contact.as_deref(), Some("06 12 34 56 78"));
    assert_eq!(stored.commune.as_deref(), Some("clairac"));
    assert_eq!(stored.events[0].actor, "elu@vdg.example.org");

    let (_, follow) = elu.get(&app, "/bureau/elu").await;
    assert!(follow.contains(&reference));
    // The élu follows but does not handle.
    let (status, _) = elu.act(&app, &reference, "take", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    let app = spawn_app().await;
    add_user(
        &app,
        "a@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let agent = login(&app, "a@vdg.example.org").await;
    let before = events(&app, &reference).await.len();

    // A forged form without the session's CSRF token.
    let response = app
        .client
        .post(app.url(&format!("/bureau/demandes/{reference}")))
        .header("cookie", &agent.cookie)
        .form(&[("_action", "note"), ("text", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("Rechargez la page"));
    // A wrong token.
    let forged = Browser {
        cookie: agent.cookie.clone(),
        csrf: "x".repeat(43),
    };
    assert_eq!(
        forged
            .act(&app, &reference, "note", &[("text", "forged")])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // The right token, sent from another site.
    let response = app
        .client
        .post(app.url(&format!("/bureau/demandes/{reference}")))
        .header("cookie", &agent.cookie)
        .header("origin", "https://evil.example")
        .form(&[
            ("_csrf", agent.csrf.as_str()),
            ("_action", "note"),
            ("text", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        events(&app, &reference).await.len(),
        before,
        "nothing was written"
    );

    // The same post from the page itself works.
    let response = app
        .client
        .post(app.url(&format!("/bureau/demandes/{reference}")))
        .header("cookie", &agent.cookie)
        .header("origin", app.address.clone())
        .form(&[
            ("_csrf", agent.csrf.as_str()),
            ("_action", "note"),
            ("text", "genuine"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(events(&app, &reference).await.len(), before + 1);
}

/// What a login answer shows a client: its status, its headers but the date, and its body
/// with the address typed (which the form echoes) replaced.
async fn login_answer(response: reqwest::Response, email: &str) -> (StatusCode, String, String) {
    let status = response.status();
    let mut headers: Vec<String> = response
        .headers()
        .iter()
        // The date and the request id differ on every answer, whoever asks.
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
        .collect();
    headers.sort();
    let body = response.text().await.unwrap().replace(email, "ADDRESS");
    (status, headers.join("\n"), body)
}

/// A client whose connections come from `ip` (any 127.0.0.0/8 address reaches the server
/// bound on 127.0.0.1, and the server sees it as the peer).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

async fn try_login_from(
    app: &common::TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/bureau/connexion"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn unknown_known_and_locked_addresses_get_the_same_answer() {
    let app = spawn_app().await;
    // Two addresses of the same length, so the echoed address changes no length header.
    let (known, unknown) = ("agent@vdg.example.org", "zzzzz@vdg.example.org");
    add_user(&app, known, Role::Agent, &["environnement"], &[]).await;

    let first_unknown = login_answer(
        try_login(&app, unknown, "mauvais mot de passe").await,
        unknown,
    )
    .await;
    let wrong = login_answer(try_login(&app, known, "mauvais mot de passe").await, known).await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .2
            .contains("Adresse électronique ou mot de passe incorrect."),
        "{}",
        wrong.2
    );
    assert!(!wrong.1.contains("set-cookie"));
    assert_eq!(
        first_unknown, wrong,
        "an unknown address answers like a known one"
    );

    for _ in 1..guichet::auth::LOCK_AFTER {
        let again = login_answer(try_login(&app, known, "mauvais mot de passe").await, known).await;
        assert_eq!(again, wrong);
    }
    // This client's pair is now locked: even the right password gets the very same answer,
    // and no session.
    let locked = login_answer(try_login(&app, known, common::staff::PASSWORD).await, known).await;
    assert_eq!(locked, wrong, "a locked pair answers like a wrong password");
    // An unknown address is counted and locked alike.
    for _ in 1..=guichet::auth::LOCK_AFTER {
        let again = login_answer(
            try_login(&app, unknown, common::staff::PASSWORD).await,
            unknown,
        )
        .await;
        assert_eq!(again, wrong);
    }
    let user = app.store.user_by_email(known).await.unwrap().unwrap();
    assert!(!user.disabled, "the account itself is untouched");
}

#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_owner_out() {
    let app = spawn_app().await;
    let email = "a@vdg.example.org";
    add_user(&app, email, Role::Agent, &["environnement"], &[]).await;
    let (attacker, owner) = (client_from("127.0.0.2"), client_from("127.0.0.1"));

    // A success forgets its own pair's failures: four typos, the right password, four typos
    // again, and the right password still works.
    for round in 0..2 {
        for _ in 1..guichet::auth::LOCK_AFTER {
            let response = try_login_from(&app, &owner, email, "une faute de frappe").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        let response = try_login_from(&app, &owner, email, common::staff::PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "round {round}");
    }

    // The stranger hammers the address from 127.0.0.2, past the lock.
    for _ in 0..=guichet::auth::LOCK_AFTER {
        let response = try_login_from(&app, &attacker, email, "mauvais mot de passe").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The agent, at their own workstation, signs in with their password.
    let response = try_login_from(&app, &owner, email, common::staff::PASSWORD).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the owner gets in"
    );
    assert!(response.headers().get("set-cookie").is_some());
    // Their success does not unlock the stranger's pair, even with the right password.
    let response = try_login_from(&app, &attacker, email, common::staff::PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("set-cookie").is_none());

    // An admin's reset forgets every pair of the address.
    let hash = guichet::auth::password::hash("un tout nouveau mot de passe").unwrap();
    assert!(
        app.store
            .set_password(
                email,
                &hash,
                &guichet::store::staff::AccountActor::now("tests")
            )
            .await
            .unwrap()
    );
    let response = try_login_from(&app, &attacker, email, "un tout nouveau mot de passe").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn staff_change_their_password_and_log_out() {
    let app = spawn_app().await;
    add_user(
        &app,
        "a@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let agent = login(&app, "a@vdg.example.org").await;
    let (status, page) = agent
        .post(
            &app,
            "/bureau/mot-de-passe",
            &[
                ("current", common::staff::PASSWORD),
                ("new", "court"),
                ("again", "court"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("au moins 12 caractères"));
    let (status, _) = agent
        .post(
            &app,
            "/bureau/mot-de-passe",
            &[
                ("current", common::staff::PASSWORD),
                ("new", "mon nouveau mot de passe"),
                ("again", "mon nouveau mot de passe"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The old session is gone; the new password works, the old one does not.
    let (status, _) = agent.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        try_login(&app, "a@vdg.example.org", common::staff::PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let response = try_login(&app, "a@vdg.example.org", "mon nouveau mot de passe").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let agent = login_with(&app, "a@vdg.example.org", "mon nouveau mot de passe").await;
    let (status, _) = agent.post(&app, "/bureau/deconnexion", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = agent.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "logged out");
}

/// Regression: a note holding a control character answered 409 (kept for conflicts with the
/// request's state) and said "Le note". Every text a person attaches to a request, on every
/// path (back office, staff API, tracking link, élu's filing), is refused with 422, a French
/// message that agrees with its noun, and nothing stored.
#[tokio::test]
async fn a_bad_text_is_refused_as_invalid_on_every_path_with_a_french_message() {
    use common::first_error;
    use common::staff::{api, api_token};
    use common::uploads::html_unescape;
    use serde_json::json;

    let app = spawn_app().await;
    let agent_account = add_user(
        &app,
        "agent.env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let (reference, token) = file_bin_request(&app, "marmande").await;
    let agent = login(&app, "agent.env@vdg.example.org").await;
    let api_key = api_token(&app, &agent_account).await;
    let before = events(&app, &reference).await;
    let long = "x".repeat(5_001);

    // (action, its fields, the message expected)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let html_cases: [Case; 9] = [
        (
            "note",
            &[("text", "\u{200B}\u{A0}\u{FEFF}")],
            "La note est vide : écrivez-la",
        ),
        (
            "message",
            &[("text", "\u{2060}\u{AD}\u{3000}")],
            "Le message est vide : écrivez-le",
        ),
        (
            "note",
            &[("text", "Rappeler \u{202E}reyof el")],
            "La note contient un caractère invisible",
        ),
        (
            "note",
            &[("text", "Rappeler le foyer\u{7}")],
            "La note contient un caractère invisible (souvent venu d'un copier-coller) : retapez-la sans ce caractère.",
        ),
        (
            "note",
            &[("text", long.as_str())],
            "La note dépasse 5000 caractères : raccourcissez-la.",
        ),
        (
            "message",
            &[("text", "Bonjour \u{1b}[31mMadame")],
            "Le message contient un caractère invisible",
        ),
        (
            "message",
            &[("text", "  ")],
            "Le message est vide : écrivez-le",
        ),
        (
            "transfer",
            &[
                ("queue", "dechets-encombrants"),
                ("reason", "Gros\u{8} volume"),
            ],
            "Le motif du transfert contient un caractère invisible",
        ),
        (
            "transfer",
            &[("queue", "dechets-encombrants"), ("reason", "")],
            "Le motif du transfert est vide",
        ),
    ];
    for (kind, fields, expected) in &html_cases {
        let (status, page) = agent.act(&app, &reference, kind, fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "HTML {kind}");
        assert!(
            html_unescape(&page).contains(expected),
            "HTML {kind}: {page}"
        );
    }

    let api_cases = [
        (
            "notes",
            json!({"text": "Rappel\u{7}"}),
            "La note contient un caractère invisible",
        ),
        ("notes", json!({"text": null}), "La note est vide"),
        (
            "notes",
            json!({"text": ["a"]}),
            "« text » doit être un texte",
        ),
        (
            "messages",
            json!({"text": "Bonjour\u{1b}", "await_reply": true}),
            "Le message contient un caractère invisible",
        ),
        (
            "transfer",
            json!({"queue": "dechets-encombrants", "reason": "x\u{7f}"}),
            "Le motif du transfert contient un caractère invisible",
        ),
    ];
    for (action, body, expected) in &api_cases {
        let (status, answer) = api(
            &app,
            &api_key,
            reqwest::Method::POST,
            &format!("/requests/{reference}/{action}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API {action} {body}"
        );
        assert!(
            first_error(&answer).contains(expected),
            "API {action}: {answer}"
        );
    }

    // The citizen, through their link: the page again, 422, their text kept.
    for what in ["reponse", "non-resolu"] {
        let response = app
            .client
            .post(app.url(&format!("/suivi/{token}/{what}")))
            .form(&[("text", "Le bac\u{7} est cassé")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        let page = html_unescape(&response.text().await.unwrap());
        assert!(
            page.contains("Votre message contient un caractère invisible (souvent venu d'un copier-coller)\u{a0}: retapez-le sans ce caractère."),
            "{what}: {page}"
        );
    }

    // Nothing was recorded, and the request did not move.
    assert_eq!(events(&app, &reference).await, before);
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.queue, "dechets-bacs");
    assert_eq!(stored.status, Status::Received);

    // The élu's contact for the citizen is checked the same way.
    let elu = login(&app, "elu@vdg.example.org").await;
    let count = app.count().await;
    let (status, page) = elu
        .post(
            &app,
            "/bureau/elu/demarches/remplacement-bac",
            &[
                ("motif", "taille"),
                ("type_bac", "ordures-menageres"),
                ("nombre_residents", "4"),
                ("nom", "Famille Garcia"),
                ("adresse.rue", "Chemin des Vignes"),
                ("adresse.commune", "marmande"),
                ("_channel", "phone"),
                ("_contact", "06 12\u{7} 34 56 78"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html_unescape(&page).contains("Le contact du demandeur contient un caractère invisible"),
        "{page}"
    );
    assert_eq!(app.count().await, count);

    // A conflict with the request's state is still a conflict.
    let (status, _) = agent
        .act(&app, &reference, "status", &[("status", "received")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A null member is one left out: `{"due": null}` removes the due date.
    assert!(stored.due_at.is_some(), "the form gives a due date");
    let (status, answer) = api(
        &app,
        &api_key,
        reqwest::Method::POST,
        &format!("/requests/{reference}/due"),
        Some(json!({"due": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let stored = app
        .store
        .request_by_reference(&Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.due_at, None);
}

/// Regression: the élu's list showed "note interne" as a request's last step. The list
/// shows the last step an élu may see, by the rule that hides notes from their request
/// page; agents still see the note as the last step.
#[tokio::test]
async fn the_elus_list_shows_the_last_step_they_may_see() {
    let app = spawn_app().await;
    add_user(
        &app,
        "agent.env@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    add_user(&app, "elu@vdg.example.org", Role::Elu, &[], &["marmande"]).await;
    let (reference, _) = file_bin_request(&app, "marmande").await;
    let agent = login(&app, "agent.env@vdg.example.org").await;
    let elu = login(&app, "elu@vdg.example.org").await;
    // The listing's cell for the last step of `reference`.
    let last_step = |listing: &str| -> String {
        let row = listing
            .split("<tr")
            .find(|row| row.contains(&format!(">{reference}</a>")))
            .unwrap_or_else(|| panic!("{reference} in {listing}"));
        row.rsplit("<td data-label=\"Dernière étape\">")
            .next()
            .unwrap()
            .split("</td>")
            .next()
            .unwrap()
            .to_owned()
    };

    agent.act(&app, &reference, "take", &[]).await;
    agent
        .act(&app, &reference, "note", &[("text", "Voir avec le dépôt")])
        .await;
    let (_, follow) = elu.get(&app, "/bureau/elu").await;
    assert_eq!(last_step(&follow), "statut changé");
    assert!(!follow.contains("note interne"), "{follow}");
    let (_, queue) = agent.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(last_step(&queue), "note interne");

    // A visible step, then two notes: the élu still sees the visible step.
    agent
        .act(
            &app,
            &reference,
            "message",
            &[("text", "Quel est le numéro du bac ?")],
        )
        .await;
    agent
        .act(&app, &reference, "note", &[("text", "Relancer lundi")])
        .await;
    agent
        .act(&app, &reference, "note", &[("text", "Relancé")])
        .await;
    let (_, follow) = elu.get(&app, "/bureau/elu").await;
    assert_eq!(last_step(&follow), "message envoyé au demandeur");
    let (_, queue) = agent.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(last_step(&queue), "note interne");
    assert_eq!(
        events(&app, &reference).await.last().unwrap().0,
        "note",
        "the notes are stored"
    );
}

/// Past twenty sign-in attempts from one client in ten minutes, the sign-in page answers 429
/// with `Retry-After` and says in French how long to wait.
#[tokio::test]
async fn too_many_sign_ins_from_one_client_say_when_to_come_back() {
    let app = spawn_app().await;
    for n in 0..20 {
        let response = try_login(&app, &format!("inconnu{n}@vdg.example.org"), "faux").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let refused = try_login(&app, "inconnu@vdg.example.org", "faux").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Trop de tentatives de connexion depuis ce poste. Patientez 10 minutes"),
        "{page}"
    );
}
