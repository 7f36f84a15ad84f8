//! English for citizens, through the real server: the language a browser asks for
//! (`Accept-Language`), the switch that overrides it (a link, a cookie, a redirect to a
//! local path only), the demo's forms in English (their translations in `x-guichet.i18n`,
//! French where one is missing), English validation messages, review, receipt, tracking
//! page and e-mails, and e-mails in the filing language after the citizen has gone.

use crate::common;

use std::time::Duration;

use common::mail::{mails, wait_for};
use common::staff::{add_user, login};
use common::uploads::hidden_inputs;
use common::{TestApp, catalogue_copy, guichet, repo_root, spawn_app, spawn_app_with};
use guichet::domain::Role;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};

const BIN: &str = "/demarches/remplacement-bac";
const EMAIL: &str = "jane.doe@example.org";

pub(crate) async fn get_in(app: &TestApp, path: &str, accept: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(app.url(path))
        .header(ACCEPT_LANGUAGE, accept)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Posts the bin form (or its review page) as an English-speaking browser.
async fn post_in(
    app: &TestApp,
    accept: &str,
    pairs: &[(&str, &str)],
) -> (StatusCode, String, Option<String>) {
    let response = app
        .client
        .post(app.url(BIN))
        .header(ACCEPT_LANGUAGE, accept)
        .form(pairs)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

const ANSWERS: &[(&str, &str)] = &[
    ("motif", "taille"),
    ("type_bac", "ordures-menageres"),
    ("nombre_residents", "3"),
    ("nom", "Jane Doe"),
    ("adresse.rue", "Rue de la Libération"),
    ("adresse.commune", "marmande"),
    ("email", EMAIL),
];

/// Files the bin request in the browser's language `accept`: the whole form, the review
/// page, then sending. Returns the review page and the receipt's path.
pub(crate) async fn file_bin_in(app: &TestApp, accept: &str) -> (String, String) {
    let mut pairs = vec![("_action", "review"), ("_commune", "")];
    pairs.extend_from_slice(ANSWERS);
    let (status, review, _) = post_in(app, accept, &pairs).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let hidden = hidden_inputs(&review);
    let mut send: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    send.push(("_action", "submit"));
    let (status, body, location) = post_in(app, accept, &send).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    (review, location.expect("the receipt's address"))
}

#[tokio::test]
async fn an_english_browser_reads_the_portal_the_form_its_errors_the_review_and_the_receipt() {
    let app = spawn_app().await;

    let (_, portal) = get_in(&app, "/", "en-GB,en;q=0.9,fr;q=0.5").await;
    assert!(portal.contains(r#"<html lang="en">"#), "{portal}");
    assert!(portal.contains("Skip to content"), "{portal}");
    assert!(
        portal.contains("Your services with Val de Garonne"),
        "{portal}"
    );
    assert!(
        portal.contains("Replace a waste bin"),
        "the form's title in English"
    );
    assert!(
        portal.contains(">Waste</h2>"),
        "the form's theme in English"
    );
    assert!(
        portal.contains(r#"lang="fr" hreflang="fr">Français</a>"#),
        "the switch back to French: {portal}"
    );
    assert!(portal.contains("Legal notice"), "the footer");

    let (status, form) = get_in(&app, BIN, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains(r#"<html lang="en">"#));
    for text in [
        "<title>Replace a waste bin – Val de Garonne",
        "Why do you need a new bin?",
        "It is broken (body, lid or wheels)",
        "Number of people in the household",
        "Between 1 and 20.",
        "<span class=\"optional\">(optional)</span>",
        "All fields are required unless marked “optional”.",
        "Your personal data",
        "Check my answers</button>",
    ] {
        assert!(form.contains(text), "« {text} » in:\n{form}");
    }
    assert!(!form.contains("Pourquoi demandez-vous"), "{form}");

    // Problems, in English: the summary and each field's message.
    let (status, refused, _) = post_in(
        &app,
        "en",
        &[
            ("_action", "review"),
            ("motif", "casse"),
            ("numero_bac", "AB-12"),
            ("nombre_residents", "40"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "<title>Error: Replace a waste bin",
        "Your request is not complete yet",
        "Fix the following 6 points:",
        "Type of bin: choose an answer.",
        "Enter the 6 to 10 digits printed on the bin, without spaces or letters (for example 00123456).",
        "Enter a value less than or equal to 20.",
        "Full name: fill it in.",
        "<span class=\"visually-hidden\">Error:</span>",
    ] {
        assert!(refused.contains(text), "« {text} » in:\n{refused}");
    }
    assert!(!refused.contains("obligatoire"), "{refused}");

    // The review page, then the receipt and the tracking page.
    let (review, receipt_path) = file_bin_in(&app, "en").await;
    for text in [
        "<h1>Check your answers</h1>",
        "Its size no longer suits my household",
        "Send my request</button>",
        "Change my answers</button>",
    ] {
        assert!(review.contains(text), "« {text} » in:\n{review}");
    }
    let (_, receipt) = get_in(&app, &receipt_path, "en").await;
    for text in [
        r#"<html lang="en">"#,
        "Your request has been saved",
        "Your reference:",
        "What happens next?",
        "A confirmation e-mail has just been sent to <strong>jane.doe@example.org</strong>",
        "<dd>Replace a waste bin</dd>",
        "<strong>Received</strong>",
        "Request filed and passed on to the service",
        "Download my data",
    ] {
        assert!(receipt.contains(text), "« {text} » in:\n{receipt}");
    }
    // The same page in French for a French browser: the request is not English, the page is.
    let (_, french) = get_in(&app, &receipt_path, "fr").await;
    assert!(french.contains("Votre demande est enregistrée"), "{french}");
    assert!(french.contains("<dd>Remplacer un bac de collecte</dd>"));
}

#[tokio::test]
async fn the_receipt_and_later_emails_go_out_in_the_filing_language() {
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
    let token = receipt_path
        .trim_start_matches("/suivi/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    wait_for("the receipt", Duration::from_secs(10), async || {
        mails(&app).iter().any(|m| m.to == EMAIL)
    })
    .await;
    let receipt = mails(&app).into_iter().find(|m| m.to == EMAIL).unwrap();
    assert!(
        receipt.subject.starts_with("Your request GU-")
            && receipt.subject.ends_with(" has been saved"),
        "{}",
        receipt.subject
    );
    for text in [
        "Hello,",
        "Your request “Replace a waste bin” has been received and passed on to the service",
        "Follow my request:",
        &format!("{}/suivi/{token}", app.address),
    ] {
        assert!(
            receipt.text.contains(text),
            "« {text} » in:\n{}",
            receipt.text
        );
    }
    let reference = receipt
        .subject
        .trim_start_matches("Your request ")
        .trim_end_matches(" has been saved")
        .to_owned();

    // A week later an agent, in French, resolves it: the citizen reads it in English.
    let agent = login(&app, "agent@vdg.example.org").await;
    let (status, _) = agent
        .act(&app, &reference, "status", &[("status", "resolved")])
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    wait_for("the status e-mail", Duration::from_secs(10), async || {
        mails(&app).iter().filter(|m| m.to == EMAIL).count() >= 2
    })
    .await;
    let status_mail = mails(&app)
        .into_iter()
        .find(|m| m.to == EMAIL && m.subject.contains(": Done"))
        .unwrap_or_else(|| panic!("no English status e-mail"));
    assert!(
        status_mail
            .text
            .contains("The status of your request “Replace a waste bin” is now: Done."),
        "{}",
        status_mail.text
    );

    // A request filed in French still gets French e-mails.
    let (_, french_path) = file_bin_in(&app, "fr-FR,fr").await;
    assert!(french_path.starts_with("/suivi/"));
    wait_for("the French receipt", Duration::from_secs(10), async || {
        mails(&app)
            .iter()
            .any(|m| m.to == EMAIL && m.text.contains("Suivre ma demande :"))
    })
    .await;
}

#[tokio::test]
async fn the_switch_remembers_the_choice_and_returns_only_to_local_pages() {
    let app = spawn_app().await;
    let switch = |query: &str| {
        let url = app.url(&format!("/langue?{query}"));
        let client = app.client.clone();
        async move { client.get(url).send().await.unwrap() }
    };

    let response =
        switch("lang=en&retour=%2Fdemarches%2Fremplacement-bac%3Fcommune%3Dmarmande").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[LOCATION],
        "/demarches/remplacement-bac?commune=marmande"
    );
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("langue=en;"), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age="),
        "{cookie}"
    );

    // Never to another site.
    for retour in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "evil",
    ] {
        let response = switch(&format!("lang=en&retour={retour}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], "/", "{retour}");
    }
    // An unknown language changes nothing.
    let response = switch("lang=de&retour=%2F").await;
    assert!(response.headers().get(SET_COOKIE).is_none());

    // The cookie beats the browser's language, both ways.
    let page = |cookie: &'static str, accept: &'static str| {
        let request = app
            .client
            .get(app.url("/suivi"))
            .header(COOKIE, cookie)
            .header(ACCEPT_LANGUAGE, accept);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let english = page("langue=en", "fr-FR,fr;q=0.9").await;
    assert!(english.contains(r#"<html lang="en">"#), "{english}");
    assert!(english.contains("<h1>Track a request</h1>"));
    assert!(
        english.contains("retour=%2Fsuivi"),
        "the switch comes back here"
    );
    let french = page("langue=fr", "en").await;
    assert!(french.contains(r#"<html lang="fr">"#), "{french}");
    assert!(french.contains("<h1>Suivre une demande</h1>"));
    assert!(french.contains(">English</a>"));

    // Error pages too.
    let (status, missing) = get_in(&app, "/nulle-part", "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("<h1>Page not found</h1>"), "{missing}");
    assert!(missing.contains(r#"<html lang="en">"#));
    // The back office and the API stay French.
    let (_, login_page) = get_in(&app, "/bureau/connexion", "en").await;
    assert!(login_page.contains(r#"lang="fr""#), "{login_page}");
}

#[tokio::test]
async fn a_missing_translation_shows_the_french_text_and_check_lists_it() {
    let dir = catalogue_copy(&repo_root(), &[]);
    let path = dir.path().join("form-definitions/remplacement-bac.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = "        \"/properties/numero_bac/title\": \"Bin number\",\n";
    assert!(text.contains(line));
    std::fs::write(&path, text.replacen(line, "", 1)).unwrap();

    let output = guichet().arg("check").arg(dir.path()).output().unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "a warning, not an error:\n{out}");
    let warnings: Vec<&str> = out.lines().filter(|l| l.contains("translation")).collect();
    assert_eq!(warnings.len(), 1, "{out}");
    assert!(
        warnings[0].starts_with("form-definitions/remplacement-bac.json:")
            && warnings[0].contains(
                "at /properties/numero_bac/title: warning: no English translation of « Numéro du bac »"
            ),
        "{out}"
    );

    let app = spawn_app_with(dir.path()).await;
    let (_, form) = get_in(&app, BIN, "en").await;
    assert!(
        form.contains("Numéro du bac"),
        "French where English is missing"
    );
    assert!(
        form.contains("Why do you need a new bin?"),
        "English elsewhere"
    );

    // The demo's catalogue is translated whole: no warning about translations.
    let output = guichet().arg("check").arg(repo_root()).output().unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{out}");
    assert!(!out.contains("translation"), "{out}");
}

#[tokio::test]
async fn the_bulky_waste_steps_read_in_english() {
    let app = spawn_app().await;
    let (_, first) = get_in(&app, "/demarches/encombrants", "en").await;
    assert!(first.contains("Step 1 of 3: Your items"), "{first}");
    assert!(first.contains("Household appliances (fridge, washing machine…)"));
    assert!(first.contains(">Continue</button>"), "{first}");
    let state = hidden_inputs(&first)
        .into_iter()
        .find(|(n, _)| n == "_etat")
        .unwrap()
        .1;
    let response = app
        .client
        .post(app.url("/demarches/encombrants"))
        .header(ACCEPT_LANGUAGE, "en")
        .form(&[
            ("_etat", state.as_str()),
            ("_action", "next"),
            ("_commune", ""),
            ("objets", "meubles"),
            ("volume_m3", "2"),
        ])
        .send()
        .await
        .unwrap();
    let second = response.text().await.unwrap();
    assert!(
        second.contains("Step 2 of 3: The collection address"),
        "{second}"
    );
    assert!(second.contains("Back to the previous step</button>"));
}
