//! The open-data file of request counts: per month, form, commune and status, with counts
//! under 5 withheld, no personal data, on the public site.

use crate::common;

use common::spawn_app;
use common::staff::file_bin_request;
use guichet::domain::Reference;
use guichet::domain::workflow::Action;
use guichet::store::{Scope, Target};
use reqwest::StatusCode;

#[tokio::test]
async fn request_counts_are_published_without_small_counts_or_personal_data() {
    let app = spawn_app().await;
    let mut marmande = Vec::new();
    for _ in 0..7 {
        marmande.push(file_bin_request(&app, "marmande").await.0);
    }
    for _ in 0..2 {
        file_bin_request(&app, "tonneins").await;
    }
    // Two of Marmande's move on: 5 stay received (published), 2 are in progress (withheld).
    for reference in &marmande[..2] {
        guichet::requests::act(
            app.store.as_ref(),
            Target::Reference(&Reference::parse(reference).unwrap()),
            &Scope::All,
            "agent@vdg.example.org",
            &Action::Take,
            &guichet::dispatch::no_messages,
        )
        .await
        .unwrap()
        .expect("the request exists");
    }

    let response = app
        .client
        .get(app.url("/donnees-ouvertes/demandes.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "mois",
            "demarche",
            "intitule",
            "commune",
            "code_insee",
            "statut",
            "nombre",
            "secret_statistique"
        ]
    );
    let month = time::OffsetDateTime::now_utc();
    let month = format!("{}-{:02}", month.year(), u8::from(month.month()));
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let row = |commune: &str, status: &str| {
        rows.iter()
            .find(|r| r[3] == commune && r[5] == status)
            .unwrap_or_else(|| panic!("no row for {commune} {status}: {rows:?}"))
            .clone()
    };
    let received = row("marmande", "received");
    assert_eq!(received[0], month);
    assert_eq!(received[1], "remplacement-bac");
    assert!(!received[2].is_empty(), "the form's title");
    assert_eq!(received[4], "47157", "Marmande's INSEE code");
    assert_eq!((received[6].as_str(), received[7].as_str()), ("5", "non"));
    let taken = row("marmande", "in_progress");
    assert_eq!((taken[6].as_str(), taken[7].as_str()), ("", "oui"));
    let tonneins = row("tonneins", "received");
    assert_eq!((tonneins[6].as_str(), tonneins[7].as_str()), ("", "oui"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    for personal in ["Claire", "Martin", "example.org", "Libération", "GU-"] {
        assert!(!body.contains(personal), "{personal} leaked: {body}");
    }

    // Counted at most once a minute: a request filed now shows in a minute, not at once.
    file_bin_request(&app, "tonneins").await;
    let again = app.get_text("/donnees-ouvertes/demandes.csv").await;
    assert_eq!(again, body, "served from the last count");

    // The site map links it.
    let map = app.get_text("/plan-du-site").await;
    assert!(map.contains("/donnees-ouvertes/demandes.csv"));
}
