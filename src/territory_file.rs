//! `guichet territory init` and `guichet territory update`: the territory file's communes from
//! the official geographic code ([`crate::catalogue::cog`]).
//!
//! `init` writes a new file. `update` edits an existing one with `toml_edit`, so everything
//! written by hand (comments, order, services, contact details, pages) stays byte for byte;
//! it changes only the official fields of communes it matches by INSEE code, appends the
//! communes that joined, and reports (never deletes) those that left. The rules are in
//! docs/territory.md.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::catalogue::Territory;
use crate::catalogue::cog::{self, Cog, Epci, OfficialCommune};
use crate::catalogue::territory::FILE_NAME;
use crate::config::{TerritoryArgs, TerritoryCommand};

pub fn run(args: TerritoryArgs) -> anyhow::Result<()> {
    match args.command {
        TerritoryCommand::Init {
            epci,
            output,
            force,
        } => {
            let epci = find_epci(Cog::official(), &epci)?;
            if output.exists() && !force {
                bail!(
                    "{} already exists: `guichet territory update` brings it up to date while keeping what was written by hand; add --force to replace it",
                    output.display()
                );
            }
            let text = init(Cog::official(), epci);
            write_atomically(&output, &text)?;
            let members = Cog::official().members(&epci.siren).len();
            eprintln!(
                "{} written: {} ({}), {members} communes",
                output.display(),
                epci.plain_name(),
                epci.siren
            );
            // `guichet check` reads both folders; a new territory has neither yet.
            let root = output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            for dir in [crate::catalogue::form::DIR, crate::catalogue::RULES_DIR] {
                let dir = root.join(dir);
                if !dir.exists() {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    eprintln!("{}/ created (empty)", dir.display());
                }
            }
            Ok(())
        }
        TerritoryCommand::Update {
            epci,
            catalogue,
            dry_run,
        } => {
            let path = catalogue.join(FILE_NAME);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let update = update(Cog::official(), &text, epci.as_deref())
                .with_context(|| format!("cannot update {}", path.display()))?;
            for line in &update.report {
                println!("{line}");
            }
            if update.text == text {
                eprintln!("{} is up to date: nothing to change", path.display());
            } else if dry_run {
                eprintln!("dry run: {} left unchanged", path.display());
            } else {
                write_atomically(&path, &update.text)?;
                eprintln!("{} updated", path.display());
            }
            Ok(())
        }
    }
}

/// The EPCI with this SIREN, or an error that says what to type instead.
pub fn find_epci<'a>(cog: &'a Cog, siren: &str) -> anyhow::Result<&'a Epci> {
    let siren = siren.trim();
    if let Some(epci) = cog.epci(siren) {
        return Ok(epci);
    }
    let suggestions = cog.search_epci(siren, 8);
    let mut message = if siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "no intercommunality has the SIREN {siren} in the official geographic code ({})",
            cog::SOURCE
        )
    } else {
        format!("« {siren} » is not an intercommunality's SIREN (9 digits)")
    };
    if suggestions.is_empty() {
        message.push_str(
            "; find yours on https://www.banatic.interieur.gouv.fr or https://annuaire-entreprises.data.gouv.fr",
        );
    } else {
        message.push_str("; did you mean:");
        for e in suggestions {
            let _ = write!(message, "\n  --epci {}  ({})", e.siren, e.name);
        }
    }
    bail!(message)
}

/// The department (and its region) most of the members' inhabitants live in: an EPCI may
/// straddle a border, and its file names one.
fn main_department(members: &[&OfficialCommune]) -> Option<(String, String)> {
    let mut weight: HashMap<(&str, &str), u64> = HashMap::new();
    for c in members {
        *weight
            .entry((c.department.as_str(), c.region.as_str()))
            .or_default() += u64::from(c.population.unwrap_or(0)) + 1;
    }
    weight
        .into_iter()
        .max_by_key(|&((d, _), w)| (w, std::cmp::Reverse(d)))
        .map(|((d, r), _)| (d.to_owned(), r.to_owned()))
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    Value::from(text).to_string().trim().to_owned()
}

/// Slugs for communes, unique within the file: the name's slug, else with its INSEE code.
fn unique_slug(name: &str, insee: &str, taken: &mut Vec<String>) -> String {
    let mut slug = cog::slug(name);
    if slug.is_empty() || taken.contains(&slug) {
        slug = format!("{slug}-{insee}").trim_start_matches('-').to_owned();
    }
    taken.push(slug.clone());
    slug
}

/// A new territory file for the EPCI.
pub fn init(cog: &Cog, epci: &Epci) -> String {
    let members = cog.members(&epci.siren);
    let total: u64 = members
        .iter()
        .map(|c| u64::from(c.population.unwrap_or(0)))
        .sum();
    let place = main_department(&members);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Territory: {} (SIREN {}), {} communes, {total} inhabitants (population municipale).",
        epci.name,
        epci.siren,
        members.len()
    );
    let _ = writeln!(
        out,
        "# Written by `guichet territory init` from the official geographic code (COG, {}).",
        cog::SOURCE
    );
    out.push_str(
        "#\n\
         # `guichet territory update` adds the communes that join and keeps their official fields\n\
         # (name, insee, postcodes, population, department) up to date; it never changes anything\n\
         # else, and keeps comments. Slugs are yours: they name communes in URLs, forms and accounts.\n\
         # Format: docs/catalogue.md and docs/territory.md. Check with `guichet check`.\n\n",
    );
    out.push_str("[territory]\n");
    let _ = writeln!(out, "name = {}", quoted(epci.plain_name()));
    let _ = writeln!(out, "siren = {}", quoted(&epci.siren));
    if let Some((department, region)) = &place {
        let _ = writeln!(
            out,
            "department = {}  # {}",
            quoted(department),
            cog.department_name(department).unwrap_or("?")
        );
        let _ = writeln!(
            out,
            "region = {}  # {}",
            quoted(region),
            cog.region_name(region).unwrap_or("?")
        );
    }
    out.push_str("# address = \"…\"\n# email = \"contact@…\"\n# website = \"https://…\"\n\n");
    out.push_str(
        "# --- Communes -------------------------------------------------------------------------------\n\
         # Add each town hall's contact details under its commune: address, phone, email, website,\n\
         # hours.\n",
    );
    let mut taken = Vec::new();
    for c in &members {
        out.push('\n');
        out.push_str(&commune_table(
            c,
            &unique_slug(&c.name, &c.insee, &mut taken),
        ));
    }
    out.push_str(
        "\n# --- Services and their queues --------------------------------------------------------------\n\
         # A starter service: forms name a service (`x-guichet.service`) and their requests land in\n\
         # its queues. Queue ids are unique across services. Rename and add yours.\n\n\
         [[services]]\n\
         id = \"accueil\"\n\
         name = \"Accueil\"\n\
         description = \"Toute demande adressée à l'intercommunalité.\"\n\
         default_queue = \"accueil\"\n\n\
         [[services.queues]]\n\
         id = \"accueil\"\n\
         name = \"Accueil\"\n\n\
         # --- Personal data and legal pages ----------------------------------------------------------\n\
         # The privacy notices' controller and DPO ([privacy]) and the mentions légales and\n\
         # accessibility statement ([legal]): see docs/personal-data.md. `guichet check` warns of\n\
         # every mention still missing.\n",
    );
    out
}

fn commune_table(c: &OfficialCommune, slug: &str) -> String {
    let mut out = String::from("[[communes]]\n");
    let _ = writeln!(out, "slug = {}", quoted(slug));
    let _ = writeln!(out, "name = {}", quoted(&c.name));
    let _ = writeln!(out, "insee = {}", quoted(&c.insee));
    let postcodes: Vec<String> = c.postcodes.iter().map(|p| quoted(p)).collect();
    let _ = writeln!(out, "postcodes = [{}]", postcodes.join(", "));
    if let Some(population) = c.population {
        let _ = writeln!(out, "population = {population}");
    }
    let _ = writeln!(out, "department = {}", quoted(&c.department));
    out
}

/// What `update` would write, and what it has to say.
#[derive(Debug)]
pub struct Update {
    pub text: String,
    /// One line per change or finding, for the person at the terminal.
    pub report: Vec<String>,
}

/// Brings the communes of a territory file up to date with the COG. `epci` overrides (and,
/// when the file has none, records) `[territory] siren`.
pub fn update(cog: &Cog, text: &str, epci: Option<&str>) -> anyhow::Result<Update> {
    // The file must be valid before (a half-understood file is not edited) and after.
    if let Err(problems) = Territory::parse(text) {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!(
            "the file has problems; fix them first (`guichet check` lists them):\n{}",
            listed.join("\n")
        );
    }
    let mut doc: DocumentMut = text.parse().context("invalid TOML")?;
    let mut report = Vec::new();
    let info = doc["territory"]
        .as_table_mut()
        .context("the file has no [territory] table")?;
    let recorded = info.get("siren").and_then(Item::as_str).map(str::to_owned);
    let siren = match (epci, &recorded) {
        (Some(given), _) => given.trim().to_owned(),
        (None, Some(recorded)) => recorded.clone(),
        (None, None) => bail!(
            "the territory does not say which intercommunality it is: add siren = \"…\" to [territory], or pass --epci SIREN"
        ),
    };
    let epci = find_epci(cog, &siren)?;
    let members = cog.members(&epci.siren);
    if recorded.as_deref() != Some(epci.siren.as_str()) {
        set_value(info, "siren", Value::from(epci.siren.as_str()));
        report.push(format!(
            "[territory] siren = \"{}\" ({})",
            epci.siren, epci.name
        ));
    }
    if let Some((department, region)) = main_department(&members) {
        for (key, code) in [("department", department), ("region", region)] {
            if info.get(key).is_none() {
                report.push(format!("[territory] {key} = \"{code}\" added"));
                set_value(info, key, Value::from(code));
            }
        }
    }

    let communes = match doc.get_mut("communes") {
        Some(item) => item
            .as_array_of_tables_mut()
            .context("`communes` must be an array of tables ([[communes]])")?,
        None => {
            doc.insert("communes", Item::ArrayOfTables(ArrayOfTables::new()));
            doc["communes"].as_array_of_tables_mut().unwrap()
        }
    };
    let mut taken: Vec<String> = communes
        .iter()
        .filter_map(|t| t.get("slug").and_then(Item::as_str).map(str::to_owned))
        .collect();
    let mut matched = Vec::new();
    for table in communes.iter_mut() {
        let slug = table
            .get("slug")
            .and_then(Item::as_str)
            .unwrap_or("?")
            .to_owned();
        let insee = table.get("insee").and_then(Item::as_str).map(str::to_owned);
        let official = match &insee {
            Some(insee) => members.iter().find(|c| &c.insee == insee),
            // A commune written by hand without its code: matched by name, once.
            None => {
                let name = table.get("name").and_then(Item::as_str).unwrap_or("");
                let found = members.iter().find(|c| {
                    !matched.contains(&c.insee)
                        && (cog::slug(&c.name) == cog::slug(name) || cog::slug(&c.name) == slug)
                });
                if let Some(c) = found {
                    report.push(format!(
                        "{slug}: insee = \"{}\" added (matched by its name)",
                        c.insee
                    ));
                }
                found
            }
        };
        let Some(official) = official else {
            let why = match &insee {
                Some(insee) => match cog.commune(insee) {
                    Some(c) => {
                        let now = c
                            .epci
                            .as_deref()
                            .and_then(|s| cog.epci(s))
                            .map_or("no intercommunality".to_owned(), |e| e.name.clone());
                        format!(
                            "{} ({insee}) is not a member of {} in the COG (it is in {now})",
                            c.name, epci.name
                        )
                    }
                    None => format!(
                        "INSEE code {insee} is not a current commune in the COG (merged or renamed?)"
                    ),
                },
                None => "no INSEE code, and no member of that name".to_owned(),
            };
            report.push(format!(
                "left? {slug}: {why}; kept as written. If it has left, move its forms, queues and accounts, then delete its [[communes]] entry"
            ));
            continue;
        };
        matched.push(official.insee.clone());
        for change in refresh(table, official) {
            report.push(format!("{slug}: {change}"));
        }
    }
    for official in &members {
        if matched.contains(&official.insee) {
            continue;
        }
        let slug = unique_slug(&official.name, &official.insee, &mut taken);
        let table: DocumentMut = commune_table(official, &slug).parse()?;
        let mut table = table["communes"]
            .as_array_of_tables()
            .unwrap()
            .get(0)
            .unwrap()
            .clone();
        // Without a position, toml_edit writes it right after the table before it: the
        // file's last commune, ahead of the next section's comments.
        table.set_position(None);
        table.decor_mut().set_prefix("\n");
        communes.push(table);
        report.push(format!(
            "joined: {} ({}) added as « {slug} »",
            official.name, official.insee
        ));
    }
    let text = doc.to_string();
    if let Err(problems) = Territory::parse(&text) {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!(
            "the update would leave the file invalid, so nothing was written:\n{}",
            listed.join("\n")
        );
    }
    Ok(Update { text, report })
}

/// Sets `key` to `value` keeping the old value's surrounding spaces and end-of-line comment.
fn set_value(table: &mut Table, key: &str, mut value: Value) {
    if let Some(old) = table.get(key).and_then(Item::as_value) {
        *value.decor_mut() = old.decor().clone();
    }
    table.insert(key, Item::Value(value));
}

/// Updates one matched commune's official fields; what changed, in words.
///
/// - `insee`, `population` and `department` follow the COG always: nobody types them.
/// - `postcodes` follows the COG (La Poste's list): forms check an address's postcode
///   against it.
/// - `name` follows the COG: a renamed commune is renamed, but its `slug` never changes
///   (URLs, forms, rules and accounts name communes by slug).
fn refresh(table: &mut Table, official: &OfficialCommune) -> Vec<String> {
    let mut changes = Vec::new();
    let text = |table: &Table, key: &str| table.get(key).and_then(Item::as_str).map(str::to_owned);
    if text(table, "insee").as_deref() != Some(&official.insee) {
        set_value(table, "insee", Value::from(official.insee.as_str()));
    }
    if let Some(old) = text(table, "name")
        && old != official.name
    {
        changes.push(format!("name « {old} » → « {} »", official.name));
        set_value(table, "name", Value::from(official.name.as_str()));
    }
    let old_postcodes: Option<Vec<String>> =
        table.get("postcodes").and_then(Item::as_array).map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        });
    if old_postcodes.as_deref() != Some(&official.postcodes[..]) {
        changes.push(format!(
            "postcodes {} → {}",
            old_postcodes.map_or("(none)".to_owned(), |p| p.join(", ")),
            official.postcodes.join(", ")
        ));
        let array: toml_edit::Array = official.postcodes.iter().map(String::as_str).collect();
        set_value(table, "postcodes", Value::Array(array));
    }
    if let Some(population) = official.population {
        let old = table.get("population").and_then(Item::as_integer);
        if old != Some(i64::from(population)) {
            changes.push(format!(
                "population {} → {population}",
                old.map_or("(none)".to_owned(), |p| p.to_string())
            ));
            set_value(table, "population", Value::from(i64::from(population)));
        }
    }
    let old = text(table, "department");
    if old.as_deref() != Some(&official.department) {
        changes.push(format!(
            "department {} → {}",
            old.unwrap_or_else(|| "(none)".into()),
            official.department
        ));
        set_value(
            table,
            "department",
            Value::from(official.department.as_str()),
        );
    }
    changes
}

/// Writes through a temporary file in the same folder, then renames: a crash never leaves
/// half a territory file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
