//! The citizens' languages: French, the default, and English.
//!
//! Every text Guichet itself writes to citizens (pages, validation messages, e-mails) is a
//! Fluent message in `i18n/<lang>/*.ftl`, compiled into the binary (`fluent-templates`'
//! static loader). A form's own texts are not here: forms carry their translations in their
//! definition (`x-guichet.i18n`, see `catalogue::translation`).
//!
//! [`Lang`] is the handle code and templates pass around: `lang.text("key")` for Rust code,
//! `t.get("key")` in templates (trusted markup: the `.ftl` files are ours; arguments are
//! escaped). Nothing here knows about HTTP: the web layer picks the language of a request
//! (`web::language`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use serde::{Deserialize, Serialize};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./i18n",
        fallback_language: "fr",
        // No Unicode isolation marks around arguments: they would land in e-mail subjects,
        // attributes and tests' expectations as invisible characters.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static FR: LanguageIdentifier = langid!("fr");
static EN: LanguageIdentifier = langid!("en");

/// A language citizens can read Guichet in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The BCP 47 code, for `<html lang>`, cookies and stored values.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's name in English, for messages to designers.
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::Fr => "French",
            Lang::En => "English",
        }
    }

    /// `fr`, `en`, or a regional variant of either (`en-GB`, `fr-BE`), any case.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language an `Accept-Language` header prefers among ours: the highest q-value
    /// wins, the header's order breaks ties, `q=0` refuses; French when nothing matches
    /// (`*` included: French is the default).
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let mut quality = 1000u16;
            for param in parts {
                let Some((name, value)) = param.split_once('=') else {
                    continue;
                };
                if name.trim().eq_ignore_ascii_case("q") {
                    quality = parse_quality(value.trim()).unwrap_or(0);
                }
            }
            let Some(lang) = Lang::parse(tag) else {
                continue;
            };
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, lang)| lang)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// The message `key` as plain text. An unknown key shows itself (a bug the tests
    /// catch), never an empty page.
    pub fn text(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with its arguments, as plain text.
    pub fn text_with(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.to_fluent()))
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// For templates: the message as markup (the `.ftl` files are trusted, and may hold
    /// entities such as `&nbsp;`).
    pub fn get(&self, key: &str) -> Markup {
        Markup(self.text(key))
    }

    /// For templates: the message with one argument, escaped.
    pub fn get1(&self, key: &str, name: &'static str, value: impl fmt::Display) -> Markup {
        Markup(self.text_with(key, &[(name, Arg::Text(escape(&value.to_string())))]))
    }

    /// For templates: the message with two arguments, escaped.
    pub fn get2(
        &self,
        key: &str,
        name: &'static str,
        value: impl fmt::Display,
        name2: &'static str,
        value2: impl fmt::Display,
    ) -> Markup {
        Markup(self.text_with(
            key,
            &[
                (name, Arg::Text(escape(&value.to_string()))),
                (name2, Arg::Text(escape(&value2.to_string()))),
            ],
        ))
    }

    /// For templates: the message with three arguments, escaped.
    #[allow(clippy::too_many_arguments)]
    pub fn get3(
        &self,
        key: &str,
        name: &'static str,
        value: impl fmt::Display,
        name2: &'static str,
        value2: impl fmt::Display,
        name3: &'static str,
        value3: impl fmt::Display,
    ) -> Markup {
        Markup(self.text_with(
            key,
            &[
                (name, Arg::Text(escape(&value.to_string()))),
                (name2, Arg::Text(escape(&value2.to_string()))),
                (name3, Arg::Text(escape(&value3.to_string()))),
            ],
        ))
    }

    /// For templates: a count and a text (`{ $count -> … }` with `$query`).
    pub fn count_with(
        &self,
        key: &str,
        count: usize,
        name: &'static str,
        value: impl fmt::Display,
    ) -> Markup {
        Markup(self.text_with(
            key,
            &[
                ("count", Arg::Number(count as f64)),
                (name, Arg::Text(escape(&value.to_string()))),
            ],
        ))
    }

    /// For templates: a count, for messages that agree with it (`{ $count ->`).
    pub fn count(&self, key: &str, count: usize) -> Markup {
        Markup(self.text_with(key, &[("count", Arg::Number(count as f64))]))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A Fluent argument: a text, or a number (which plural forms agree with).
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(f64),
}

impl Arg {
    fn to_fluent(&self) -> FluentValue<'static> {
        match self {
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Number(n) => FluentValue::from(*n),
        }
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Arg {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Arg {
        Arg::Text(text)
    }
}

impl From<u32> for Arg {
    fn from(n: u32) -> Arg {
        Arg::Number(f64::from(n))
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Arg {
        Arg::Number(n as f64)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Number(n as f64)
    }
}

/// A translated text that templates print as it is (see [`Lang::get`]).
pub struct Markup(String);

impl fmt::Display for Markup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Markup {}

fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// HTML-escapes an argument going into markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_weighs_q_values() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language("de,en;q=0.5,fr;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr;q=0.2, en;q=0.7"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("en;q=0"),
            Lang::Fr,
            "q=0 refuses"
        );
        assert_eq!(Lang::from_accept_language("de, *"), Lang::Fr);
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
        assert_eq!(
            Lang::from_accept_language("en;q=2"),
            Lang::Fr,
            "bad q: refused"
        );
        assert_eq!(Lang::from_accept_language("en;q=0.001"), Lang::En);
        assert_eq!(Lang::from_accept_language("EN-us"), Lang::En);
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::parse(""), None);
    }

    /// Each file of `i18n/<lang>/` with its text.
    fn ftl_files(lang: &str) -> Vec<(std::path::PathBuf, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("i18n")
            .join(lang);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                (path, text)
            })
            .collect()
    }

    /// The message keys of `i18n/<lang>/*.ftl`, each file parsed (a syntax error fails).
    fn keys(lang: &str) -> std::collections::BTreeSet<String> {
        let mut keys = std::collections::BTreeSet::new();
        for (path, text) in ftl_files(lang) {
            if let Err((_, errors)) = fluent_bundle::FluentResource::try_new(text.clone()) {
                panic!("{}: {errors:?}", path.display());
            }
            for line in text.lines() {
                let Some((key, _)) = line.split_once(" =") else {
                    continue;
                };
                if !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    assert!(keys.insert(key.to_owned()), "{lang}: {key} twice");
                }
            }
        }
        keys
    }

    /// French typography in every French message: a no-break space, never a plain one,
    /// before « : ; ! ? », so the mark never starts a line on its own (a phone's narrow
    /// column, an e-mail client's wrapping). English has no space there.
    #[test]
    fn french_messages_keep_their_punctuation_with_the_word_before() {
        for (lang, wanted) in [("fr", true), ("en", false)] {
            let mut checked = 0;
            for (path, text) in ftl_files(lang) {
                for (number, line) in text.lines().enumerate() {
                    if line.trim_start().starts_with('#') {
                        continue;
                    }
                    let chars: Vec<char> = line.chars().collect();
                    for pair in chars.windows(2) {
                        if !matches!(pair[1], ':' | ';' | '!' | '?') {
                            continue;
                        }
                        checked += 1;
                        assert_ne!(pair[0], ' ', "{}:{}: {line}", path.display(), number + 1);
                        if !wanted {
                            assert_ne!(
                                pair[0],
                                '\u{a0}',
                                "{}:{}: {line}",
                                path.display(),
                                number + 1
                            );
                        }
                    }
                }
            }
            assert!(checked > 20, "{lang}: the messages were read");
        }
    }

    /// Every message exists in both languages: a key only in French would show French on an
    /// English page, one only in English would be dead.
    #[test]
    fn french_and_english_have_the_same_keys() {
        let (fr, en) = (keys("fr"), keys("en"));
        assert!(fr.len() > 50, "the French messages were read");
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
    }

    /// Every message the code and the templates name by a literal key exists: an unknown
    /// key would show itself on the page.
    #[test]
    fn every_key_named_in_the_code_and_the_templates_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("src"), root.join("templates")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        let calls: &[&str] = &[
            "t.get(\"",
            "get1(\"",
            "get2(\"",
            "get3(\"",
            "lang.get(\"",
            ".count(\"",
            ".text(\"",
            "text_with(\"",
            "text_with(\n",
        ];
        let known = [("fr", keys("fr")), ("en", keys("en"))];
        let mut named = 0;
        for path in files {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for call in calls {
                for (at, _) in text.match_indices(call) {
                    // `t.get(` but not `object.get(`.
                    let glued = text[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_');
                    if glued && call.starts_with(char::is_alphabetic) {
                        continue;
                    }
                    let rest = text[at + call.len()..].trim_start().trim_start_matches('"');
                    let key: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    // Keys have a hyphen; `{}` in a key means it is built at run time.
                    if !key.contains('-') || rest[key.len()..].starts_with('{') {
                        continue;
                    }
                    named += 1;
                    for (code, known) in &known {
                        assert!(
                            known.contains(&key),
                            "{}: « {key} » is not a message in i18n/{code}",
                            path.display(),
                        );
                    }
                }
            }
        }
        assert!(named > 100, "the keys were found ({named})");
    }

    #[test]
    fn arguments_are_escaped_in_markup_only() {
        let markup = Lang::Fr.get1("receipt-service-received", "service", "<b>");
        assert!(markup.to_string().contains("&lt;b&gt;"));
        let text = Lang::Fr.text_with("receipt-service-received", &[("service", "<b>".into())]);
        assert!(text.contains("<b>"));
    }
}
