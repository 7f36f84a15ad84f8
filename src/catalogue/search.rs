//! The portal's one search: the territory's own forms and the procedures of every other
//! level (`[[procedures]]` in the territory file), found by the words people type.
//!
//! People type without accents, with a typo, in the singular or the plural: words are folded
//! by Unicode decomposition (accents are combining marks once decomposed), a trailing `s`/`x`
//! is dropped on both sides, and a word of five letters or more may be one edit away
//! (Damerau–Levenshtein: a transposition counts as one). Every word typed must match
//! somewhere; the territory's own forms come first, then the best matches.
//!
//! A person reading the site in English finds a form by its English words too (its
//! `x-guichet.i18n` translation: title, keywords, theme, description) as well as by its
//! French ones, which residents use whatever the page's language.

use std::cmp::Reverse;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::territory::Procedure;
use super::{Catalogue, Form};
use crate::i18n::Lang;

/// Something a person can do: a form filed here, or a procedure filed on another site.
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    Form(&'a Arc<Form>),
    Procedure(&'a Procedure),
}

impl<'a> Entry<'a> {
    pub fn title(&self) -> &'a str {
        match self {
            Entry::Form(f) => &f.title,
            Entry::Procedure(p) => &p.title,
        }
    }

    pub fn description(&self) -> &'a str {
        match self {
            Entry::Form(f) => f.description.as_deref().unwrap_or(""),
            Entry::Procedure(p) => p.description.as_deref().unwrap_or(""),
        }
    }

    fn keywords(&self) -> &'a [String] {
        match self {
            Entry::Form(f) => &f.meta.keywords,
            Entry::Procedure(p) => &p.keywords,
        }
    }

    /// The heading it is listed under: its theme, else its service's name (a form) or
    /// « Autres démarches » (a procedure).
    pub fn theme(&self, catalogue: &'a Catalogue) -> &'a str {
        match self {
            Entry::Form(f) => f
                .meta
                .theme
                .as_deref()
                .unwrap_or_else(|| catalogue.service_name(&f.meta.service)),
            Entry::Procedure(p) => p.theme.as_deref().unwrap_or("Autres démarches"),
        }
    }

    /// A form of the territory, filed on this site.
    pub fn is_own(&self) -> bool {
        matches!(self, Entry::Form(_))
    }
}

/// Every entry offered in a commune (or anywhere): the citizens' forms, then the procedures.
pub fn entries<'a>(catalogue: &'a Catalogue, commune: Option<&'a str>) -> Vec<Entry<'a>> {
    catalogue
        .citizen_forms(commune)
        .map(Entry::Form)
        .chain(
            catalogue
                .territory
                .procedures_in(commune)
                .map(Entry::Procedure),
        )
        .collect()
}

/// The entries matching every word of the query, own forms first, then by relevance. A query
/// with no searchable word (blank, or only « de », « la »…) matches nothing. In a language
/// other than French, a form matches by its translated words or by its French ones,
/// whichever match better.
pub fn search<'a>(
    catalogue: &'a Catalogue,
    commune: Option<&'a str>,
    query: &str,
    lang: Lang,
) -> Vec<Entry<'a>> {
    let query = Query::parse(query);
    if query.is_empty() {
        return Vec::new();
    }
    let mut found: Vec<(Entry, u32)> = entries(catalogue, commune)
        .into_iter()
        .filter_map(|entry| {
            let keywords = entry.keywords().join(" ");
            let french = query.score(&[
                (entry.title(), 8),
                (keywords.as_str(), 4),
                (entry.theme(catalogue), 2),
                (entry.description(), 1),
            ]);
            let translated = match entry {
                Entry::Form(form) if lang != Lang::Fr => {
                    let shown = form.in_lang(lang);
                    let keywords = shown.meta.keywords.join(" ");
                    let theme = shown
                        .meta
                        .theme
                        .as_deref()
                        .unwrap_or_else(|| catalogue.service_name(&shown.meta.service));
                    query.score(&[
                        (shown.title.as_str(), 8),
                        (keywords.as_str(), 4),
                        (theme, 2),
                        (shown.description.as_deref().unwrap_or(""), 1),
                    ])
                }
                _ => None,
            };
            french.max(translated).map(|score| (entry, score))
        })
        .collect();
    // Ties in the order the reader reads the titles in.
    found.sort_by_cached_key(|(entry, score)| {
        let title = match entry {
            Entry::Form(form) if lang != Lang::Fr => fold(&form.in_lang(lang).title),
            _ => fold(entry.title()),
        };
        (!entry.is_own(), Reverse(*score), title)
    });
    found.into_iter().map(|(entry, _)| entry).collect()
}

/// Words too common to say anything about a procedure, in French and in English.
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "ma", "mes",
    "mon", "ou", "par", "pour", "sa", "ses", "son", "sur", "un", "une", // French
    "an", "and", "for", "i", "my", "of", "the", "to", // English
];

/// A query's searchable words, folded.
#[derive(Debug)]
pub struct Query {
    words: Vec<Word>,
}

#[derive(Debug)]
struct Word {
    stem: String,
    /// Long enough that one typo still leaves it recognisable.
    forgives_typo: bool,
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let words = words(text)
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .map(|w| Word {
                forgives_typo: w.chars().count() >= 5,
                stem: stem(&w).to_owned(),
            })
            .collect();
        Query { words }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// How well weighted fields match: for each query word, its best match (exact 3, start of a
    /// word 2, one typo 1) times the field's weight, summed; `None` if a word matches nowhere.
    pub fn score(&self, fields: &[(&str, u32)]) -> Option<u32> {
        let fields: Vec<(Vec<String>, u32)> = fields
            .iter()
            .map(|(text, weight)| (words(text).map(|w| stem(&w).to_owned()).collect(), *weight))
            .collect();
        self.words.iter().try_fold(0, |total, word| {
            let best = fields
                .iter()
                .flat_map(|(stems, weight)| stems.iter().map(move |s| word.matches(s) * weight))
                .max()
                .unwrap_or(0);
            (best > 0).then_some(total + best)
        })
    }
}

impl Word {
    fn matches(&self, stem: &str) -> u32 {
        if self.stem == stem {
            3
        } else if self.stem.chars().count() >= 3 && stem.starts_with(&self.stem) {
            2
        } else if self.forgives_typo && strsim::damerau_levenshtein(&self.stem, stem) <= 1 {
            1
        } else {
            0
        }
    }
}

/// Lower case, without accents: « Carte d'Identité » → « carte d'identite ». Letters that
/// do not decompose (œ, æ, ß) are spelled out as people type them.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for c in c.to_lowercase() {
            match c {
                'œ' => folded.push_str("oe"),
                'æ' => folded.push_str("ae"),
                'ß' => folded.push_str("ss"),
                _ => folded.push(c),
            }
        }
    }
    folded
}

/// The folded words of a text: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// A French word without its plural mark: « cartes » → « carte », « travaux » → « travau »,
/// and « permis » → « permi » on both sides, so that singular and plural meet.
fn stem(word: &str) -> &str {
    match word.strip_suffix(['s', 'x']) {
        Some(stem) if stem.chars().count() >= 3 => stem,
        _ => word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(query: &str, title: &str) -> Option<u32> {
        Query::parse(query).score(&[(title, 1)])
    }

    #[test]
    fn folding_drops_accents_and_case() {
        assert_eq!(fold("Éclairage À Réparer"), "eclairage a reparer");
        assert_eq!(fold("Œuvres, ÇA"), "oeuvres, ca");
    }

    #[test]
    fn a_word_without_accents_finds_one_with() {
        assert!(score("demenagement", "Déclarer un déménagement").is_some());
        assert!(score("ÉLECTORALES", "listes electorales").is_some());
    }

    #[test]
    fn singular_and_plural_meet() {
        assert!(score("permi", "Permis de conduire").is_some());
        assert!(score("cartes", "Carte grise").is_some());
        assert!(score("carte", "Cartes grises").is_some());
    }

    #[test]
    fn one_typo_in_a_long_word_is_forgiven() {
        assert!(
            score("pemris", "Permis de conduire").is_some(),
            "transposition"
        );
        assert!(score("passeport", "Passeport").is_some());
        assert!(score("paseport", "Passeport").is_some(), "a letter missing");
        assert!(score("paspert", "Passeport").is_none(), "two edits");
        // Short words must be typed right: « bal » is not « bac ».
        assert!(score("bal", "Remplacer un bac").is_none());
    }

    #[test]
    fn every_word_must_match_and_stop_words_do_not_count() {
        assert!(score("carte d'identité", "Carte nationale d'identité").is_some());
        assert!(score("carte grise", "Carte nationale d'identité").is_none());
        assert!(Query::parse("de la").is_empty());
    }

    #[test]
    fn the_start_of_a_word_matches() {
        assert!(score("demenag", "Déménagement").is_some());
        assert!(
            score("mé", "Déménagement").is_none(),
            "two letters are too few"
        );
    }

    #[test]
    fn exact_beats_prefix_beats_typo() {
        let exact = score("passeport", "passeport").unwrap();
        let prefix = score("passe", "passeport").unwrap();
        let typo = score("passeprot", "passeport").unwrap();
        assert!(exact > prefix && prefix > typo, "{exact} {prefix} {typo}");
    }
}
