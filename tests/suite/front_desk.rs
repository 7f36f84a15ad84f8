//! The front desk and the phone line (`/bureau/accueil`, role « accueil »): an agent
//! d'accueil files a request for a caller through the forms for citizens or staff,
//! recording the channel and the caller's contact; the tracking link is shown once (and
//! e-mailed when the caller's address is in the request); the desk follows what it filed,
//! and nothing else.

use crate::common;

use std::time::Duration;

use common::mail::{mails, wait_for};
use common::spawn_app;
use common::staff::{add_user, file_bin_request, login};
use guichet::domain::{Reference, Role};
use reqwest::StatusCode;

#[tokio::test]
async fn the_front_desk_files_for_a_caller_and_follows_only_what_it_filed() {
    let app = spawn_app().await;
    add_user(&app, "accueil@vdg.example.org", Role::Accueil, &[], &[]).await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let desk = login(&app, "accueil@vdg.example.org").await;
    let agent = login(&app, "agent@vdg.example.org").await;
    let (someone_elses, _) = file_bin_request(&app, "marmande").await;

    // The desk's home: the citizens' forms, grouped by theme.
    let (status, _) = desk.get(&app, "/bureau").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the desk lands on its page");
    let (status, page) = desk.get(&app, "/bureau/accueil").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/bureau/accueil/demarches/remplacement-bac"),
        "{page}"
    );
    assert!(
        page.contains("/bureau/accueil/demarches/signalement-voirie"),
        "{page}"
    );
    assert!(!page.contains(&someone_elses), "only what the desk filed");

    // Without the channel: refused, answers kept, nothing stored.
    let fields = [
        ("motif", "taille"),
        ("type_bac", "ordures-menageres"),
        ("nombre_residents", "3"),
        ("nom", "Jeanne Caller"),
        ("adresse.rue", "Rue du Port"),
        ("adresse.commune", "tonneins"),
        ("email", "jeanne.caller@example.org"),
    ];
    let before = app.count().await;
    let (status, page) = desk
        .post(&app, "/bureau/accueil/demarches/remplacement-bac", &fields)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Indiquez comment le demandeur vous a saisi"));
    assert!(page.contains("Rue du Port"));
    assert_eq!(app.count().await, before);

    let mut with_channel = fields.to_vec();
    with_channel.extend([("_channel", "in_person"), ("_contact", "05 53 00 00 00")]);
    let (status, page) = desk
        .post(
            &app,
            "/bureau/accueil/demarches/remplacement-bac",
            &with_channel,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Demande déposée"), "{page}");
    assert!(page.contains("/suivi/"), "the tracking link to hand over");
    assert!(
        page.contains("href=\"/bureau/accueil\""),
        "back to the desk"
    );
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
    assert_eq!(stored.channel, "in_person");
    assert_eq!(stored.filed_by.as_deref(), Some("accueil@vdg.example.org"));
    assert_eq!(stored.citizen_contact.as_deref(), Some("05 53 00 00 00"));
    assert_eq!(stored.events[0].actor, "accueil@vdg.example.org");
    // The caller's address was in the request: the receipt with the link went there too.
    wait_for(
        "the caller's receipt",
        Duration::from_secs(10),
        async || {
            mails(&app)
                .iter()
                .any(|m| m.to == "jeanne.caller@example.org" && m.text.contains("/suivi/"))
        },
    )
    .await;

    // The desk follows it, and reads it; it does not handle it, nor see the queues.
    let (_, home) = desk.get(&app, "/bureau/accueil").await;
    assert!(home.contains(&reference), "{home}");
    assert!(!home.contains(&someone_elses), "{home}");
    let (status, _) = desk
        .get(&app, &format!("/bureau/demandes/{reference}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = desk
        .get(&app, &format!("/bureau/demandes/{someone_elses}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = desk.act(&app, &reference, "take", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = desk.get(&app, "/bureau/files/dechets-bacs").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = desk.get(&app, "/bureau/elu").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The service sees it in its queue, filed in person.
    let (_, queue) = agent.get(&app, "/bureau/files/dechets-bacs").await;
    assert!(queue.contains(&reference));

    // An agent without the role has no desk; an unknown form is a plain 404.
    let (status, page) = agent.get(&app, "/bureau/accueil").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        page.contains("réservé à l&#39;accueil") || page.contains("réservé à l'accueil"),
        "{page}"
    );
    let (status, _) = desk
        .get(&app, "/bureau/accueil/demarches/pas-une-demarche")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_front_desk_account_has_no_service_or_commune() {
    let app = spawn_app().await;
    let output = common::guichet()
        .args([
            "user",
            "add",
            "desk@vdg.example.org",
            "--name",
            "Desk",
            "--role",
            "accueil",
            "--service",
            "voirie",
            "--database",
            &app.database_url,
            "--catalogue",
        ])
        .arg(common::repo_root())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("front desk"), "{said}");
}
