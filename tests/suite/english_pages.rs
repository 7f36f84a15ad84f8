//! The rest of the citizens' pages in English, through the real server (on PostgreSQL when
//! `TEST_DATABASE_URL` is set): the public statistics, the personal-data page and the
//! accessibility statement, a commune's own page and its feed, an upload refused, the
//! portal's search by English words, and the answers of a request filed under a form
//! version since replaced. Each asks in English, finds the English words and not the
//! French ones, and checks that a French browser still reads French.

use crate::common;
use crate::english::{file_bin_in, get_in};

use common::staff::{add_user, login};
use common::uploads::{png, report};
use common::{TestApp, catalogue_copy, repo_root, spawn_app, spawn_app_with};
use guichet::domain::Role;
use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;

/// `text` holds every one of `present` and none of `absent`.
fn assert_reads(text: &str, present: &[&str], absent: &[&str]) {
    for want in present {
        assert!(text.contains(want), "« {want} » missing in:\n{text}");
    }
    for unwanted in absent {
        assert!(!text.contains(unwanted), "« {unwanted} » found in:\n{text}");
    }
}

#[tokio::test]
async fn the_statistics_page_reads_in_english() {
    let app = spawn_app().await;
    // A request, so that the charts have something to say (and withhold: fewer than 5).
    file_bin_in(&app, "en").await;

    let (status, page) = get_in(&app, "/statistiques", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_reads(
        &page,
        &[
            r#"<html lang="en">"#,
            "<h1>Request statistics</h1>",
            "Every request filed with Val de Garonne Agglomération from ",
            "No personal data: only numbers and durations",
            "<dt>Requests filed</dt>",
            "Median time to resolution",
            "not published (fewer than 5 requests)",
            "Requests filed each month",
            "Requests filed per month, by current status",
            "Fewer than 5 requests filed over the period; the busiest month is ",
            "Chart data: ",
            "<th scope=\"col\">Month</th>",
            ">Received</th>",
            "fewer than 5",
            "Requests open (not closed) at the end of each period",
            "The most requested services",
            "Per 1,000 inhabitants: INSEE's municipal population.",
            "downloaded as open data (CSV)",
        ],
        &[
            "Statistiques des demandes",
            "Demandes déposées",
            "Données du graphique",
            "moins de 5",
            "non publié",
            "janv.",
            "déc.",
            "Par commune",
        ],
    );

    // A French browser still reads French, with its no-break spaces.
    let (_, french) = get_in(&app, "/statistiques", "fr").await;
    assert_reads(
        &french,
        &[
            "<h1>Statistiques des demandes</h1>",
            "Données du graphique\u{a0}: Demandes déposées par mois, par statut actuel",
            "moins de 5",
            "Pour 1&nbsp;000 habitants&nbsp;: population municipale de l'INSEE.",
        ],
        &["Request statistics", "fewer than"],
    );
}

#[tokio::test]
async fn the_personal_data_page_and_the_accessibility_statement_read_in_english() {
    let app = spawn_app().await;

    let (status, page) = get_in(&app, "/donnees-personnelles", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_reads(
        &page,
        &[
            "<title>Personal data",
            "<h1>Personal data</h1>",
            "The services on this site collect the information needed to handle your request.",
            "<h2>Data controller</h2>",
            "<dt>Data protection officer</dt>",
            "<h2>The services and their data</h2>",
            "<h3>Replace a waste bin</h3>",
            "<dt>Retention period</dt>",
            // The default legal basis, for the forms that give none.
            "performance of a task carried out in the public interest (GDPR article 6(1)(e))",
            "days (≈ 24 months) after the request is closed",
            "Once the retention period is over, the request is anonymised",
            "<strong>Access:</strong>",
            "We answer you within one month.",
            "Complaint to the CNIL",
        ],
        &[
            "Données personnelles</h1>",
            "Responsable du traitement",
            "Vos droits",
            "Remplacer un bac de collecte",
            "après la clôture",
            "Nous vous répondons",
            "exécution d'une mission",
        ],
    );
    let (_, french) = get_in(&app, "/donnees-personnelles", "fr").await;
    assert_reads(
        &french,
        &[
            "<h2>Responsable du traitement</h2>",
            "<h3>Remplacer un bac de collecte</h3>",
            "la demande est anonymisée&nbsp;: les informations",
            "<strong>Accès&nbsp;:</strong>",
            "730 jours (≈ 24 mois) après la clôture de la demande",
        ],
        &["Data controller"],
    );

    let (status, page) = get_in(&app, "/accessibilite", "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_reads(
        &page,
        &[
            "<h1>Accessibility statement</h1>",
            "is committed to making its digital services accessible",
            "This accessibility statement applies to the online services site of Val de Garonne Agglomération.",
            "<h2>Compliance status</h2>",
            "This site is <strong>",
            "compliant</strong>",
            "<h2>Non-accessible content</h2>",
            "Exemptions for disproportionate burden",
            "<h2>Preparation of this statement</h2>",
            "<h2>Feedback and contact</h2>",
            "<h2>Remedies</h2>",
        ],
        &[
            "Déclaration d'accessibilité",
            "État de conformité",
            "conforme</strong>",
            "Voies de recours",
            "Établissement de cette déclaration",
        ],
    );
    let (_, french) = get_in(&app, "/accessibilite", "fr").await;
    assert_reads(
        &french,
        &[
            "<h1>Déclaration d'accessibilité</h1>",
            "<h2>État de conformité</h2>",
        ],
        &["Accessibility statement</h1>"],
    );
    // The site map names the legal pages in English too.
    let (_, map) = get_in(&app, "/plan-du-site", "en").await;
    assert_reads(
        &map,
        &[
            r#"<a href="/donnees-personnelles">Personal data</a>"#,
            r#"<a href="/accessibilite">Accessibility</a>"#,
            ">Replace a waste bin</a>",
        ],
        &[">Mentions légales</a>", ">Remplacer un bac de collecte</a>"],
    );
}

#[tokio::test]
async fn a_communes_own_page_and_feed_read_in_english_around_the_communes_words() {
    let app = spawn_app().await;
    add_user(
        &app,
        "redac@seyches.example.org",
        Role::Redacteur,
        &[],
        &["seyches"],
    )
    .await;
    let redacteur = login(&app, "redac@seyches.example.org").await;
    let (status, _) = redacteur
        .post(
            &app,
            "/bureau/communes/seyches/page",
            &[
                ("presentation", "Bienvenue à **Seyches**."),
                ("mayor", "Mme Jeanne Martin"),
                ("hours", "lundi-vendredi 08:30-12:00 14:00-17:00"),
                ("contacts", "Secrétariat : 05 53 00 00 01"),
                (
                    "links",
                    "Office de tourisme | https://tourisme.example.org/",
                ),
                ("_action", "publish"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    let (status, page) = get_in(&app, "/communes/seyches", "en").await;
    assert_eq!(status, StatusCode::OK);
    let open_now = guichet::domain::site::is_open(
        &guichet::domain::site::parse_hours("lundi-vendredi 08:30-12:00 14:00-17:00").unwrap(),
        time::OffsetDateTime::now_utc(),
    );
    assert_reads(
        &page,
        &[
            r#"<html lang="en">"#,
            // The commune's own words, as typed.
            "<strong>Seyches</strong>",
            "Secrétariat: 05 53 00 00 01",
            ">Office de tourisme</a>",
            // Guichet's, in English.
            "Mayor: Mme Jeanne Martin",
            "<h2>Town hall opening hours</h2>",
            if open_now { "Open now" } else { "Closed" },
            "public holidays and exceptional closures are not taken into account",
            "<dt>Monday</dt><dd>08:30-12:00, 14:00-17:00</dd>",
            "<dt>Friday</dt>",
            "<h2>Contacts</h2>",
            "<h2>Useful links</h2>",
        ],
        &[
            "Horaires de la mairie",
            "Ouvert maintenant",
            "Maire&nbsp;:",
            "<dt>lundi</dt>",
            "Liens utiles",
            "jours fériés",
        ],
    );
    let (_, french) = get_in(&app, "/communes/seyches", "fr").await;
    assert_reads(
        &french,
        &[
            "<h2>Horaires de la mairie</h2>",
            "Maire&nbsp;: Mme Jeanne Martin",
            "Secrétariat&nbsp;: 05 53 00 00 01",
            "<dt>lundi</dt>",
        ],
        &["Town hall opening hours"],
    );

    let (_, feed) = get_in(&app, "/communes/seyches/actualites.atom", "en").await;
    assert_reads(
        &feed,
        &[
            r#"xml:lang="en""#,
            "<title>News from Seyches</title>",
            "<name>Town hall of Seyches</name>",
        ],
        &["Actualités de", "Mairie de"],
    );
    let (status, missing) = get_in(&app, "/communes/nulle-part/actualites.atom", "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_reads(
        &missing,
        &["This commune is not part of the territory"],
        &["Cette commune"],
    );
}

#[tokio::test]
async fn a_refused_upload_says_why_in_english() {
    let app = spawn_app().await;
    let post = |files: Vec<(&'static str, Vec<u8>)>, accept: &'static str| {
        let request = app
            .client
            .post(app.url("/demarches/signalement-voirie"))
            .header(ACCEPT_LANGUAGE, accept)
            .multipart(report(files));
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };

    let (status, page) = post(vec![("photo.jpg", b"#!/bin/sh\n".repeat(20))], "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_reads(
        &page,
        &[
            "The file &#34;photo.jpg&#34; is not in an accepted format: send a JPEG or PNG or WEBP or HEIF file.",
        ],
        &["format accepté", "Le fichier"],
    );
    let (status, page) = post(
        vec![
            ("a.png", png(1, 100)),
            ("b.png", png(2, 100)),
            ("c.png", png(3, 100)),
            ("d.png", png(4, 100)),
        ],
        "en",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_reads(
        &page,
        &["Too many files: 3 at most. Choose fewer."],
        &["Trop de fichiers"],
    );
    let (status, page) = post(vec![("vide.png", Vec::new())], "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_reads(
        &page,
        &["The file &#34;vide.png&#34; is empty: choose another one."],
        &["est vide"],
    );
    // In French, with the no-break space before the colon.
    let (_, page) = post(vec![("photo.jpg", b"#!/bin/sh\n".repeat(20))], "fr").await;
    assert!(
        page.contains("n&#39;est pas d&#39;un format accepté\u{a0}: envoyez un fichier JPEG ou PNG ou WEBP ou HEIF."),
        "{page}"
    );

    // A form post the server cannot read, and a file of no request, in English too.
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .header(ACCEPT_LANGUAGE, "en")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_reads(
        &response.text().await.unwrap(),
        &["This form is sent from its page: reload it and try again."],
        &["Ce formulaire"],
    );
    let response = app
        .client
        .post(app.url("/demarches/signalement-voirie"))
        .header(ACCEPT_LANGUAGE, "en")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("categorie=nid-de-poule&categorie=eclairage&_action=review")
        .send()
        .await
        .unwrap();
    assert_reads(
        &response.text().await.unwrap(),
        &["This field was sent several times: reload the page and give a single answer."],
        &["plusieurs fois"],
    );
    let (status, page) = get_in(&app, "/suivi/GU-0000-0000x", "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
    assert_reads(&page, &[r#"<html lang="en">"#], &["Aucune demande"]);
}

#[tokio::test]
async fn the_search_finds_forms_by_their_english_words_and_still_by_the_french_ones() {
    let app = spawn_app().await;
    for (query, found) in [
        ("bin", "Replace a waste bin"),
        ("dustbin", "Replace a waste bin"),
        ("bulky+waste", "Ask for bulky waste to be collected"),
        ("pothole", "Report a problem on a road or street"),
        // French words keep working on an English page.
        ("poubelle", "Replace a waste bin"),
        ("encombrants", "Ask for bulky waste to be collected"),
    ] {
        let (_, page) = get_in(&app, &format!("/?q={query}"), "en").await;
        assert!(
            page.contains(&format!(">{found}</a>")),
            "« {query} » finds « {found} »:\n{page}"
        );
        assert!(!page.contains("No service matches"), "{query}: {page}");
    }
    // The commune page's search too.
    let (_, page) = get_in(&app, "/communes/marmande?q=bin", "en").await;
    assert!(page.contains(">Replace a waste bin</a>"), "{page}");
    // English words find nothing on a French page: French readers search in French.
    let (_, french) = get_in(&app, "/?q=dustbin", "fr").await;
    assert!(french.contains("Aucune démarche ne correspond"), "{french}");
}

#[tokio::test]
async fn answers_filed_under_a_replaced_version_keep_their_english_labels() {
    let dir = catalogue_copy(&repo_root(), &[]);
    let app: TestApp = spawn_app_with(dir.path()).await;
    let (_, receipt_path) = file_bin_in(&app, "en").await;
    let tracking = receipt_path.split('?').next().unwrap().to_owned();

    // The form's question is reworded, in both languages, and the catalogue reloaded: the
    // request stays with the version it was filed under.
    let path = dir.path().join("form-definitions/remplacement-bac.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let reworded = text
        .replacen(
            "\"Why do you need a new bin?\"",
            "\"What is wrong with your bin?\"",
            1,
        )
        .replacen(
            "\"Pourquoi demandez-vous un nouveau bac ?\"",
            "\"Qu'arrive-t-il à votre bac ?\"",
            1,
        );
    assert_ne!(reworded, text);
    std::fs::write(&path, reworded).unwrap();
    guichet::web::reload::reload(app.state.as_ref().unwrap()).unwrap();
    let (_, form) = get_in(&app, "/demarches/remplacement-bac", "en").await;
    assert!(form.contains("What is wrong with your bin?"), "reloaded");

    let (status, page) = get_in(&app, &tracking, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_reads(
        &page,
        &[
            "Your answers",
            "Why do you need a new bin?",
            "Its size no longer suits my household",
        ],
        &[
            "What is wrong with your bin?",
            "Pourquoi demandez-vous",
            "Sa taille ne convient plus",
        ],
    );
    // « Mes données » too, with the version's English title.
    let (status, my_data) = get_in(&app, &format!("{tracking}/donnees"), "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_reads(
        &my_data,
        &["Why do you need a new bin?", "Replace a waste bin"],
        &["What is wrong with your bin?", "Pourquoi demandez-vous"],
    );
    // In French, the old version's French labels.
    let (_, french) = get_in(&app, &tracking, "fr").await;
    assert_reads(
        &french,
        &["Pourquoi demandez-vous un nouveau bac"],
        &["Qu&#39;arrive-t-il", "Why do you need"],
    );
}

#[tokio::test]
async fn a_reminder_and_the_closing_read_in_the_language_the_request_was_filed_in() {
    let app = spawn_app().await;
    add_user(
        &app,
        "agent@vdg.example.org",
        Role::Agent,
        &["environnement"],
        &[],
    )
    .await;
    let (_, receipt_path) = file_bin_in(&app, "en").await;
    let tracking = receipt_path.split('?').next().unwrap().to_owned();
    let (_, receipt) = get_in(&app, &tracking, "en").await;
    let at = receipt.find("GU-").expect("the reference on the page");
    let reference = receipt[at..at + 12].to_owned();

    // The agent, in French, asks a question and waits for the answer.
    let agent = login(&app, "agent@vdg.example.org").await;
    let (status, page) = agent
        .act(
            &app,
            &reference,
            "message",
            &[
                ("text", "Quel est le numéro du bac ?"),
                ("await_reply", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let state = app.state.as_ref().unwrap();
    let run = async |now: time::OffsetDateTime| {
        guichet::requests::reminders::run(
            app.store.as_ref(),
            &state.catalogue.load_full(),
            &state.planner(None),
            now,
        )
        .await
        .unwrap()
    };
    let day = time::Duration::days(1);
    let reminded_at = time::OffsetDateTime::now_utc() + 16 * day;
    assert_eq!(run(reminded_at).await.reminded.len(), 1);
    let (_, page) = get_in(&app, &tracking, "en").await;
    assert_reads(
        &page,
        &[
            "Reminder: The service is waiting for your answer to its question: &#34;Quel est le numéro du bac ?&#34;",
        ],
        &["Le service attend votre réponse à sa question"],
    );
    assert_eq!(run(reminded_at + 31 * day).await.closed.len(), 1);
    let (_, page) = get_in(&app, &tracking, "en").await;
    assert_reads(
        &page,
        &[&format!(
            "If you still need this service, file a new request giving the reference {reference}."
        )],
        &["Si vous avez encore besoin"],
    );
}
