//! The territory's communes from the official geographic code (COG): `guichet territory
//! init` and `update` run as users run them, checked against the shipped data file read
//! independently here, and the demo territory holds Val de Garonne's 43 communes.

use crate::common;

use std::path::Path;

use common::{guichet, repo_root};
use guichet::catalogue::Territory;

const VAL_DE_GARONNE: &str = "200030674";

/// (insee, name, postcodes, population) of the EPCI's members, straight from cog/communes.tsv.
fn shipped_members(siren: &str) -> Vec<(String, String, Vec<String>, u32)> {
    let text = std::fs::read_to_string(repo_root().join("cog/communes.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|f| f[6] == siren)
        .map(|f| {
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].split(' ').map(str::to_owned).collect(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Runs `guichet ARGS` in `dir`; (success, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let output = guichet().current_dir(dir).args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn init_val_de_garonne(dir: &Path) -> String {
    let (ok, _, err) = run(dir, &["territory", "init", "--epci", VAL_DE_GARONNE]);
    assert!(ok, "{err}");
    read(&dir.join("territory.toml"))
}

#[test]
fn init_writes_the_43_communes_of_the_source_and_check_passes() {
    let dir = tempfile::tempdir().unwrap();
    let text = init_val_de_garonne(dir.path());
    let territory = Territory::parse(&text).unwrap();
    assert_eq!(territory.territory.name, "Val de Garonne Agglomération");
    assert_eq!(territory.territory.siren.as_deref(), Some(VAL_DE_GARONNE));
    assert_eq!(territory.territory.department.as_deref(), Some("47"));
    assert_eq!(territory.territory.region.as_deref(), Some("75"));
    assert!(text.contains("# Lot-et-Garonne") && text.contains("# Nouvelle-Aquitaine"));

    let shipped = shipped_members(VAL_DE_GARONNE);
    assert_eq!(shipped.len(), 43);
    assert_eq!(territory.communes.len(), 43);
    for (insee, name, postcodes, population) in &shipped {
        let commune = territory
            .communes
            .iter()
            .find(|c| c.insee.as_deref() == Some(insee.as_str()))
            .unwrap_or_else(|| panic!("{name} ({insee}) is missing"));
        assert_eq!(&commune.name, name);
        assert_eq!(&commune.postcodes, postcodes);
        assert_eq!(commune.population, Some(*population), "{name}");
        assert_eq!(commune.department.as_deref(), Some("47"));
    }
    // A few facts a person can check on insee.fr.
    let marmande = territory.commune("marmande").unwrap();
    assert_eq!(marmande.insee.as_deref(), Some("47157"));
    assert_eq!(marmande.postcodes, ["47200"]);
    assert_eq!(
        territory.commune("le-mas-d-agenais").unwrap().name,
        "Le Mas-d'Agenais"
    );
    assert_eq!(
        territory
            .commune("saint-barthelemy-d-agenais")
            .unwrap()
            .insee
            .as_deref(),
        Some("47232")
    );
    let total: u32 = territory.communes.iter().filter_map(|c| c.population).sum();
    assert!(
        (60_000..61_500).contains(&total),
        "about 60,700 inhabitants, not {total}"
    );
    // 47200 is shared: Marmande and eleven other communes.
    let in_47200 = territory
        .communes
        .iter()
        .filter(|c| c.postcodes.iter().any(|p| p == "47200"))
        .count();
    assert_eq!(in_47200, 12);

    // A catalogue made of that file alone (init adds the two empty folders) passes.
    assert!(dir.path().join("form-definitions").is_dir());
    assert!(dir.path().join("rules").is_dir());
    let (ok, out, err) = run(dir.path(), &["check", "."]);
    assert!(ok, "{out}{err}");
    assert!(!out.contains("error"), "{out}");
}

#[test]
fn init_refuses_to_overwrite_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territory.toml");
    std::fs::write(&path, "# mine\n").unwrap();
    let (ok, _, err) = run(dir.path(), &["territory", "init", "--epci", VAL_DE_GARONNE]);
    assert!(!ok);
    assert!(err.contains("territory.toml already exists"), "{err}");
    assert!(
        err.contains("--force") && err.contains("territory update"),
        "{err}"
    );
    assert_eq!(read(&path), "# mine\n");

    let (ok, _, err) = run(
        dir.path(),
        &[
            "territory",
            "init",
            "--epci",
            VAL_DE_GARONNE,
            "--force",
            "--output",
            "territory.toml",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(Territory::parse(&read(&path)).unwrap().communes.len(), 43);
}

#[test]
fn an_unknown_siren_is_refused_and_a_name_gets_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(dir.path(), &["territory", "init", "--epci", "200030675"]);
    assert!(!ok);
    assert!(
        err.contains("no intercommunality has the SIREN 200030675"),
        "{err}"
    );
    let (ok, _, err) = run(
        dir.path(),
        &["territory", "init", "--epci", "val de garonne"],
    );
    assert!(!ok);
    assert!(err.contains("did you mean"), "{err}");
    assert!(
        err.contains("--epci 200030674  (CA Val de Garonne Agglomération)"),
        "{err}"
    );
    assert!(!dir.path().join("territory.toml").exists());
    assert!(!dir.path().join("form-definitions").exists());
}

/// The block of one commune, from its `[[communes]]` line to the blank line after it.
fn block<'a>(text: &'a str, slug: &str) -> &'a str {
    let start = text
        .find(&format!("[[communes]]\nslug = \"{slug}\"\n"))
        .unwrap();
    let end = text[start..].find("\n\n").unwrap() + start + 2;
    &text[start..end]
}

#[test]
fn update_adds_back_a_member_reports_a_non_member_and_keeps_the_rest_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territory.toml");
    let generated = init_val_de_garonne(dir.path());
    let beaupuy = block(&generated, "beaupuy").to_owned();

    // What a territory writes by hand: contact details, comments, an outdated population,
    // a commune that is not a member, a service of its own; and Beaupuy went missing.
    let edited = generated
        .replace(&beaupuy, "")
        .replace(
            "population = 17328\n",
            "population = 17000   # recensement 2019\n# Hôtel de ville : accueil le matin.\naddress = \"Hôtel de ville, 47200 Marmande\"\nemail = \"mairie@marmande.example.org\"\n",
        )
        .replace(
            block(&generated, "virazeil"),
            &format!(
                "{}[[communes]]\nslug = \"agen\"   # not ours\nname = \"Agen\"\ninsee = \"47001\"\n\n",
                block(&generated, "virazeil")
            ),
        )
        .replace(
            "[[services]]\nid = \"accueil\"",
            "# Our own queues.\n[[services]]\nid = \"accueil\"",
        );
    std::fs::write(&path, &edited).unwrap();

    // A dry run says what would change and writes nothing.
    let (ok, out, err) = run(dir.path(), &["territory", "update", "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("joined: Beaupuy (47024)"), "{out}");
    assert!(out.contains("marmande: population 17000 → 17328"), "{out}");
    assert!(
        out.contains("left? agen: Agen (47001) is not a member of CA Val de Garonne Agglomération"),
        "{out}"
    );
    assert!(out.contains("delete its [[communes]] entry"), "{out}");
    assert_eq!(read(&path), edited);

    let (ok, out, err) = run(dir.path(), &["territory", "update"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("joined: Beaupuy (47024) added as « beaupuy »"),
        "{out}"
    );
    // Beaupuy comes back after the file's last commune, ahead of the services' comment;
    // the population is the official one again, its comment kept; nothing else moved.
    let expected = edited
        .replace(
            "population = 17000   # recensement 2019\n",
            "population = 17328   # recensement 2019\n",
        )
        .replace(
            "insee = \"47001\"\n\n",
            &format!("insee = \"47001\"\n\n{beaupuy}"),
        );
    assert_eq!(read(&path), expected);

    // Once up to date, nothing changes.
    let (ok, out, err) = run(dir.path(), &["territory", "update"]);
    assert!(ok, "{err}");
    assert!(err.contains("up to date"), "{err}");
    assert!(!out.contains("joined"), "{out}");
    assert_eq!(read(&path), expected);
}

#[test]
fn update_needs_to_know_the_intercommunality_and_names_a_commune_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territory.toml");
    let hand_written = "[territory]\nname = \"VGA\"\n\n[[communes]]\nslug = \"mas\"\nname = \"Le Mas-d'Agenais\"\nphone = \"05 00 00 00 00\"\n";
    std::fs::write(&path, hand_written).unwrap();
    let (ok, _, err) = run(dir.path(), &["territory", "update"]);
    assert!(!ok);
    assert!(
        err.contains("add siren = \"…\" to [territory], or pass --epci"),
        "{err}"
    );
    assert_eq!(read(&path), hand_written);

    let (ok, out, err) = run(
        dir.path(),
        &["territory", "update", "--epci", VAL_DE_GARONNE],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("mas: insee = \"47159\" added (matched by its name)"),
        "{out}"
    );
    let territory = Territory::parse(&read(&path)).unwrap();
    assert_eq!(territory.territory.siren.as_deref(), Some(VAL_DE_GARONNE));
    assert_eq!(territory.communes.len(), 43);
    let mas = territory.commune("mas").unwrap();
    assert_eq!(mas.insee.as_deref(), Some("47159"));
    assert_eq!(mas.phone.as_deref(), Some("05 00 00 00 00"));
    // Its slug is kept: no second Le Mas-d'Agenais.
    assert!(territory.commune("le-mas-d-agenais").is_none());
}

#[test]
fn a_broken_file_is_not_updated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territory.toml");
    let broken = "[territory]\nname = \"VGA\"\nsiren = \"200030674\"\n[[communes]]\nslug = \"Pas Bon\"\nname = \"X\"\n";
    std::fs::write(&path, broken).unwrap();
    let (ok, _, err) = run(dir.path(), &["territory", "update"]);
    assert!(!ok);
    assert!(err.contains("fix them first"), "{err}");
    assert!(err.contains("« Pas Bon »"), "{err}");
    assert_eq!(read(&path), broken);
}

#[test]
fn the_demo_territory_is_val_de_garonne_with_its_43_communes() {
    let territory = Territory::parse(&read(&repo_root().join("territory.toml"))).unwrap();
    assert_eq!(territory.territory.siren.as_deref(), Some(VAL_DE_GARONNE));
    let shipped = shipped_members(VAL_DE_GARONNE);
    assert_eq!(territory.communes.len(), 43);
    for (insee, name, postcodes, population) in &shipped {
        let commune = territory
            .communes
            .iter()
            .find(|c| c.insee.as_deref() == Some(insee.as_str()))
            .unwrap_or_else(|| panic!("{name} ({insee}) is missing from the demo"));
        assert_eq!(&commune.name, name);
        assert_eq!(&commune.postcodes, postcodes);
        assert_eq!(commune.population, Some(*population));
        // « Écrire à ma mairie » routes to the commune's own town hall queue.
        let queue = format!("mairie-{}", commune.slug);
        assert!(territory.queue(&queue).is_some(), "{queue} is missing");
    }
    // The eight communes the demo had keep their slugs and their example.org details.
    for slug in [
        "marmande",
        "tonneins",
        "clairac",
        "le-mas-d-agenais",
        "seyches",
        "meilhan-sur-garonne",
        "fourques-sur-garonne",
        "virazeil",
    ] {
        let commune = territory.commune(slug).unwrap();
        assert!(commune.address.is_some(), "{slug}");
        assert!(
            commune
                .email
                .as_deref()
                .is_none_or(|e| e.ends_with(".example.org")),
            "{slug}"
        );
    }
    // `update` finds nothing to change in it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo_root().join("territory.toml"),
        dir.path().join("territory.toml"),
    )
    .unwrap();
    let (ok, out, err) = run(dir.path(), &["territory", "update"]);
    assert!(ok, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("up to date"), "{err}");
}

/// Form fields for a JSON answer, the way the generated HTML form names them.
fn form_pairs(value: &serde_json::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                form_pairs(inner, &name, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| form_pairs(v, prefix, out)),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// The bulky-waste form's example with this postcode and commune.
async fn encombrants(app: &common::TestApp, postcode: &str, commune: &str) -> serde_json::Value {
    let form = app.get_json("/api/v1/forms/encombrants").await;
    let mut data = form["schema"]["examples"][0].clone();
    data["adresse"]["code_postal"] = postcode.into();
    data["adresse"]["commune"] = commune.into();
    data
}

#[tokio::test]
async fn an_address_postcode_must_be_its_communes_through_the_api() {
    let app = common::spawn_app().await;
    let submit = |data: serde_json::Value| {
        app.client
            .post(app.url("/api/v1/forms/encombrants/submissions"))
            .json(&data)
            .send()
    };
    // 47200 is shared: Marmande and Virazeil both have it.
    for commune in ["marmande", "virazeil", "beaupuy"] {
        let response = submit(encombrants(&app, "47200", commune).await)
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{commune}");
    }
    let before = app.count().await;
    let response = submit(encombrants(&app, "47200", "tonneins").await)
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/adresse/commune", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Tonneins n'a pas le code postal 47200."),
        "{message}"
    );
    for name in ["Marmande", "Virazeil", "Beaupuy", "Taillebourg"] {
        assert!(message.contains(name), "{message}");
    }
    assert!(!message.contains("Tonneins,"), "{message}");

    let response = submit(encombrants(&app, "33000", "marmande").await)
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/adresse/code_postal", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("n'est celui d'aucune commune du territoire"),
        "{body}"
    );
    assert_eq!(app.count().await, before, "nothing written");
}

#[tokio::test]
async fn an_address_postcode_must_be_its_communes_through_the_html_form() {
    let app = common::spawn_app().await;
    // The page gives form.js what it needs to narrow the list; the server decides anyway.
    let page = app.get_text("/demarches/encombrants").await;
    assert!(
        page.contains(
            r#"data-postcode-field="adresse.code_postal" data-commune-field="adresse.commune""#
        ),
        "{page}"
    );
    assert!(page.contains("47400:"), "{page}");
    // The address is the form's second step.
    let state = common::uploads::hidden_inputs(&page)
        .into_iter()
        .find(|(name, _)| name == "_etat")
        .unwrap()
        .1;
    let second = app
        .client
        .post(app.url("/demarches/encombrants"))
        .form(&[
            ("_etat", state.as_str()),
            ("_action", "next"),
            ("objets", "meubles"),
            ("volume_m3", "2"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(second.contains(r#"autocomplete="postal-code""#), "{second}");
    assert!(second.contains(r#"data-postcode-field="adresse.code_postal""#));

    let mut pairs = vec![("_action".to_owned(), "review".to_owned())];
    form_pairs(
        &encombrants(&app, "47200", "tonneins").await,
        "",
        &mut pairs,
    );
    let response = app
        .client
        .post(app.url("/demarches/encombrants"))
        .form(&pairs)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary"), "{html}");
    assert!(
        html.contains(r##"<a href="#f-adresse-commune">"##),
        "{html}"
    );
    assert!(
        html.replace("&#39;", "'")
            .contains("Tonneins n'a pas le code postal 47200"),
        "{html}"
    );
    assert!(html.contains("Virazeil"), "{html}");
    // The answers are kept, to correct one or the other.
    assert!(html.contains(r#"value="47200""#), "{html}");

    let mut good = vec![("_action".to_owned(), "review".to_owned())];
    form_pairs(&encombrants(&app, "47400", "tonneins").await, "", &mut good);
    let response = app
        .client
        .post(app.url("/demarches/encombrants"))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "47400 is Tonneins'");
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn the_commune_finder_takes_a_postcode_or_a_name() {
    let app = common::spawn_app().await;
    let portal = app.get_text("/").await;
    assert!(
        portal.contains(r#"action="/communes""#),
        "the home page has the finder"
    );

    let shared = app.get_text("/communes?q=47200").await;
    assert!(
        shared.contains("12 communes correspondent à « 47200 »"),
        "{shared}"
    );
    assert!(shared.contains(r#"href="/communes/marmande""#));
    assert!(shared.contains(r#"href="/communes/virazeil""#));
    assert!(!shared.contains(r#"href="/communes/tonneins""#));

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (query, slug) in [
        ("47400", None),
        ("47120", Some("caubon-saint-sauveur")),
        ("le mas d'agenais", Some("le-mas-d-agenais")),
        ("SENESTIS", Some("senestis")),
    ] {
        let response = no_redirects
            .get(app.url(&format!(
                "/communes?q={}",
                query.replace(' ', "+").replace('\'', "%27")
            )))
            .send()
            .await
            .unwrap();
        match slug {
            Some(slug) => {
                assert_eq!(response.status(), 303, "{query}");
                assert_eq!(
                    response.headers()["location"],
                    format!("/communes/{slug}").as_str()
                );
            }
            // 47400 covers Tonneins and seven others.
            None => assert_eq!(response.status(), 200, "{query}"),
        }
    }
    let nothing = app.get_text("/communes?q=33000").await;
    assert!(
        nothing.contains("Aucune commune du territoire ne correspond à « 33000 »"),
        "{nothing}"
    );
    assert!(
        nothing.contains(r#"href="/communes/agme""#),
        "every commune listed"
    );
}

#[test]
fn check_reports_a_postcode_field_that_names_no_property() {
    let dir = common::catalogue_copy(&repo_root(), &[]);
    let path = dir.path().join("form-definitions/encombrants.json");
    let text = read(&path).replace(
        r#""postcode_field": "/adresse/code_postal""#,
        r#""postcode_field": "/adresse/cp""#,
    );
    std::fs::write(&path, text).unwrap();
    let (ok, out, _) = run(dir.path(), &["check", "."]);
    assert!(!ok);
    assert!(
        out.contains("postcode_field « /adresse/cp » does not name a property of the form"),
        "{out}"
    );
}
