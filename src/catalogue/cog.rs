//! The official geographic code (COG): every current French commune with its postcodes,
//! population, department, region and intercommunality (EPCI), from the derived copy in
//! `cog/` (source, fields, licence and regeneration: cog/README.md).
//!
//! The files are compiled into the binary, so `guichet territory` needs neither npm nor the
//! network, and they are parsed only when a command asks for them.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The source package the files were derived from, as cog/README.md states.
pub const SOURCE: &str = "@etalab/decoupage-administratif 6.0.0";

const COMMUNES: &str = include_str!("../../cog/communes.tsv");
const EPCIS: &str = include_str!("../../cog/epci.tsv");
const DEPARTMENTS: &str = include_str!("../../cog/departements.tsv");
const REGIONS: &str = include_str!("../../cog/regions.tsv");

/// A current commune (`commune-actuelle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialCommune {
    pub insee: String,
    pub name: String,
    pub postcodes: Vec<String>,
    /// The INSEE population municipale; a few overseas communes have none.
    pub population: Option<u32>,
    pub department: String,
    pub region: String,
    /// The SIREN of its EPCI; a few island communes belong to none.
    pub epci: Option<String>,
}

/// An EPCI à fiscalité propre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epci {
    pub siren: String,
    /// The DGCL's name, with its kind first (« CA Val de Garonne Agglomération »).
    pub name: String,
    /// Its population municipale as the DGCL counts it (a year apart from the communes').
    pub population: u32,
}

impl Epci {
    /// The name without the DGCL's kind prefix (CA, CC, CU), as people write it.
    pub fn plain_name(&self) -> &str {
        ["CA ", "CC ", "CU "]
            .iter()
            .find_map(|prefix| self.name.strip_prefix(prefix))
            .unwrap_or(&self.name)
    }
}

/// The whole code, parsed once.
#[derive(Debug)]
pub struct Cog {
    communes: Vec<OfficialCommune>,
    by_insee: HashMap<String, usize>,
    epcis: Vec<Epci>,
    departments: HashMap<String, String>,
    regions: HashMap<String, String>,
}

impl Cog {
    /// The copy compiled into this binary.
    pub fn official() -> &'static Cog {
        static COG: OnceLock<Cog> = OnceLock::new();
        COG.get_or_init(|| Cog::parse(COMMUNES, EPCIS, DEPARTMENTS, REGIONS))
    }

    fn parse(communes: &str, epcis: &str, departments: &str, regions: &str) -> Cog {
        let communes: Vec<OfficialCommune> = rows(communes)
            .map(|f| OfficialCommune {
                insee: f[0].into(),
                name: f[1].into(),
                postcodes: f[2].split_whitespace().map(str::to_owned).collect(),
                population: f[3].parse().ok(),
                department: f[4].into(),
                region: f[5].into(),
                epci: Some(f[6]).filter(|s| !s.is_empty()).map(str::to_owned),
            })
            .collect();
        let by_insee = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.insee.clone(), i))
            .collect();
        Cog {
            communes,
            by_insee,
            epcis: rows(epcis)
                .map(|f| Epci {
                    siren: f[0].into(),
                    name: f[1].into(),
                    population: f[2].parse().unwrap_or(0),
                })
                .collect(),
            departments: rows(departments)
                .map(|f| (f[0].to_owned(), f[1].to_owned()))
                .collect(),
            regions: rows(regions)
                .map(|f| (f[0].to_owned(), f[1].to_owned()))
                .collect(),
        }
    }

    pub fn communes(&self) -> &[OfficialCommune] {
        &self.communes
    }

    pub fn commune(&self, insee: &str) -> Option<&OfficialCommune> {
        self.by_insee.get(insee).map(|&i| &self.communes[i])
    }

    pub fn epci(&self, siren: &str) -> Option<&Epci> {
        self.epcis.iter().find(|e| e.siren == siren)
    }

    /// The EPCI's member communes, in name order (accents and case folded).
    pub fn members(&self, siren: &str) -> Vec<&OfficialCommune> {
        let mut members: Vec<&OfficialCommune> = self
            .communes
            .iter()
            .filter(|c| c.epci.as_deref() == Some(siren))
            .collect();
        members.sort_by_cached_key(|c| (fold(&c.name), c.insee.clone()));
        members
    }

    /// EPCIs whose name holds every word of `query` (accents and case folded), for a
    /// person who typed a name where a SIREN was expected. At most `limit`.
    pub fn search_epci(&self, query: &str, limit: usize) -> Vec<&Epci> {
        let words: Vec<String> = fold(query)
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.epcis
            .iter()
            .filter(|e| {
                let name = fold(&e.name);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .take(limit)
            .collect()
    }

    pub fn department_name(&self, code: &str) -> Option<&str> {
        self.departments.get(code).map(String::as_str)
    }

    pub fn region_name(&self, code: &str) -> Option<&str> {
        self.regions.get(code).map(String::as_str)
    }
}

/// The data lines of a derived file (its header skipped), split on tabs. The files are
/// written by cog/derive.py and checked by the tests below, so a short line is a bug.
fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines().skip(1).map(|line| line.split('\t').collect())
}

/// Lower case ASCII, accents folded (« Agmé » → « agme », « Œ » → « oe »).
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// A commune's slug from its name: lower case, accents folded, every run of other
/// characters (spaces, `'`, `-`) one `-`. « Le Mas-d'Agenais » → `le-mas-d-agenais`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in fold(name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-')
        .chars()
        .take(64)
        .collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_accents_and_apostrophes() {
        assert_eq!(slug("Le Mas-d'Agenais"), "le-mas-d-agenais");
        assert_eq!(
            slug("Saint-Barthélemy-d'Agenais"),
            "saint-barthelemy-d-agenais"
        );
        assert_eq!(slug("Varès"), "vares");
        assert_eq!(slug("Cœuvres-et-Valsery"), "coeuvres-et-valsery");
        assert_eq!(slug("L'Île-d'Yeu"), "l-ile-d-yeu");
    }

    #[test]
    fn every_derived_line_has_its_fields() {
        for (file, text, fields) in [
            ("communes", COMMUNES, 7),
            ("epci", EPCIS, 3),
            ("departements", DEPARTMENTS, 3),
            ("regions", REGIONS, 2),
        ] {
            for (i, line) in text.lines().enumerate() {
                assert_eq!(
                    line.split('\t').count(),
                    fields,
                    "{file}.tsv line {}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn val_de_garonne_has_its_43_communes() {
        let cog = Cog::official();
        let epci = cog.epci("200030674").unwrap();
        assert_eq!(epci.plain_name(), "Val de Garonne Agglomération");
        let members = cog.members("200030674");
        assert_eq!(members.len(), 43);
        let marmande = cog.commune("47157").unwrap();
        assert_eq!(marmande.name, "Marmande");
        assert_eq!(marmande.postcodes, ["47200"]);
        assert_eq!(cog.department_name("47"), Some("Lot-et-Garonne"));
        assert_eq!(cog.region_name("75"), Some("Nouvelle-Aquitaine"));
        assert_eq!(cog.communes().len(), 34_969);
        assert!(
            cog.search_epci("val de garonne", 5)
                .iter()
                .any(|e| e.siren == "200030674")
        );
    }
}
