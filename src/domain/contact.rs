//! What a subject-access search looks for: one e-mail address or one phone number, read the
//! way people write them, and how a stored text is compared with it.
//!
//! Matching is on whole identifiers, wherever they stand: an answer that is the address, a
//! contact line "Claire, claire@example.org", a description "rappelez-moi au 06 12 34 56 78".
//! Never part of a longer one: `claire@example.org` does not find `marie-claire@example.org`.
//! E-mail addresses compare without regard to ASCII case; phone numbers by their digits, so
//! "06 12 34 56 78", "06.12.34.56.78" and "+33 6 12 34 56 78" are one number.

use std::fmt;

/// One person's identifier, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKey {
    /// ASCII-lower-cased.
    Email(String),
    /// The number's key (see [`phone_key`]): national digits for French numbers
    /// (`0612345678`), `+` and the digits for others.
    Phone(String),
}

/// The longest identifier a search takes (an e-mail address is at most 254 characters).
const MAX_INPUT_CHARS: usize = 254;

impl ContactKey {
    /// Reads what an admin typed: an e-mail address or a phone number, or why it is neither.
    pub fn parse(input: &str) -> Result<ContactKey, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("Saisissez une adresse électronique ou un numéro de téléphone.".into());
        }
        if input.chars().count() > MAX_INPUT_CHARS {
            return Err(format!(
                "Ce texte est trop long ({MAX_INPUT_CHARS} caractères au plus) : saisissez une seule adresse électronique ou un seul numéro de téléphone."
            ));
        }
        if input.contains('@') {
            return if is_email(input) {
                Ok(ContactKey::Email(input.to_ascii_lowercase()))
            } else {
                Err(format!(
                    "« {input} » n'est pas une adresse électronique complète : vérifiez-la (par exemple claire.martin@example.org)."
                ))
            };
        }
        phone_key(input).map(ContactKey::Phone).ok_or_else(|| {
            format!(
                "« {input} » n'est ni une adresse électronique ni un numéro de téléphone : saisissez par exemple claire.martin@example.org ou 06 12 34 56 78."
            )
        })
    }

    /// Whether the identifier stands, whole, somewhere in `text`.
    pub fn found_in(&self, text: &str) -> bool {
        match self {
            ContactKey::Email(email) => text
                .split(|c: char| c.is_whitespace() || ",;<>()[]{}\"'`:|/\\".contains(c))
                .map(|token| token.trim_end_matches(['.', '!', '?']))
                .any(|token| token.eq_ignore_ascii_case(email)),
            ContactKey::Phone(key) => phone_runs(text).any(|run| run_holds(run, key)),
        }
    }

    /// A text every stored JSON document or contact line that holds the identifier contains
    /// once lower-cased (ASCII), for a database to narrow a scan; `None` when no such text
    /// can be exact. An e-mail address qualifies when it is plain ASCII (JSON writes it as
    /// it is, and any database's `lower` folds ASCII); a phone number never does, its
    /// separators vary.
    pub fn prefilter(&self) -> Option<&str> {
        match self {
            ContactKey::Email(email) if email.is_ascii() => Some(email),
            _ => None,
        }
    }

    /// "l'adresse électronique x" / "le numéro de téléphone y", for page titles.
    pub fn describe_fr(&self) -> String {
        match self {
            ContactKey::Email(email) => format!("l'adresse électronique {email}"),
            ContactKey::Phone(key) => format!("le numéro de téléphone {key}"),
        }
    }
}

impl fmt::Display for ContactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContactKey::Email(v) | ContactKey::Phone(v) => f.pad(v),
        }
    }
}

/// An e-mail address as a search takes it: one `@`, something before, a domain with a dot
/// after, nothing that JSON or a contact line would write differently (space, quote,
/// backslash, control).
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"\"\\@,;<>()[]".contains(c))
    };
    plain(local)
        && plain(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

/// The characters a phone number is written with, besides digits.
fn is_phone_separator(c: char) -> bool {
    " .-()+\u{a0}\u{202f}".contains(c)
}

/// A phone number's key, or `None` if `text` is not one: digits with spaces, dots, dashes,
/// parentheses and a leading `+` (or `00`); 6 to 20 digits. French numbers in international
/// form (`+33 6…`, `0033 6…`, `+33 (0)6…`) become national (`06…`), so every way of writing
/// one number gives one key.
pub fn phone_key(text: &str) -> Option<String> {
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '.');
    let plus = text.starts_with('+');
    let body = text.strip_prefix('+').unwrap_or(text);
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || (is_phone_separator(c) && c != '+'))
    {
        return None;
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        Some(digits.as_str())
    } else {
        digits.strip_prefix("00")
    };
    let key = match international {
        Some(number) => match number.strip_prefix("33") {
            Some(national) => format!("0{}", national.strip_prefix('0').unwrap_or(national)),
            None => format!("+{number}"),
        },
        None => digits.clone(),
    };
    let count = key.chars().filter(char::is_ascii_digit).count();
    (6..=20).contains(&count).then_some(key)
}

/// The stretches of a text made of phone-number characters only.
fn phone_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_digit() || is_phone_separator(c)))
        .filter(|run| run.chars().any(|c| c.is_ascii_digit()))
}

/// Whether a run of phone characters holds the number: the whole run, or any stretch of
/// its space-separated groups ("06 12 34 56 78 05 53 00 00 00" holds two numbers).
fn run_holds(run: &str, key: &str) -> bool {
    if phone_key(run).as_deref() == Some(key) {
        return true;
    }
    let groups: Vec<&str> = run
        .split(|c: char| c.is_whitespace())
        .filter(|g| !g.is_empty())
        .collect();
    (0..groups.len()).any(|start| {
        (start + 1..=groups.len())
            .any(|end| phone_key(&groups[start..end].join(" ")).as_deref() == Some(key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(text: &str) -> ContactKey {
        ContactKey::parse(text).unwrap()
    }

    #[test]
    fn one_french_number_written_many_ways_is_one_key() {
        for written in [
            "06 12 34 56 78",
            "06.12.34.56.78",
            "0612345678",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
        ] {
            assert_eq!(
                phone_key(written).as_deref(),
                Some("0612345678"),
                "{written}"
            );
        }
        assert_eq!(phone_key("+32 2 123 45 67").as_deref(), Some("+3221234567"));
    }

    #[test]
    fn what_is_neither_an_address_nor_a_number_is_refused_in_french() {
        for bad in [
            "abc",
            "",
            "12",
            "06 12 ab",
            "claire@",
            "@example.org",
            "a@b",
        ] {
            let err = ContactKey::parse(bad).unwrap_err();
            assert!(
                err.contains("Saisissez") || err.contains("saisissez") || err.contains("vérifiez"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn e_mail_addresses_match_whole_and_without_case() {
        let key = ContactKey::parse(" Claire.Martin@Example.org ").unwrap();
        assert_eq!(key, ContactKey::Email("claire.martin@example.org".into()));
        assert!(key.found_in("CLAIRE.MARTIN@EXAMPLE.ORG"));
        assert!(key.found_in("Claire Martin <claire.martin@example.org>, le soir."));
        assert!(key.found_in("écrire à claire.martin@example.org."));
        assert!(!key.found_in("marie-claire.martin@example.org"));
        assert!(!key.found_in("claire.martin@example.org.uk"));
    }

    #[test]
    fn numbers_are_found_in_text_by_their_digits() {
        let key = phone("06 12 34 56 78");
        assert!(key.found_in("+33 6 12 34 56 78"));
        assert!(key.found_in("Mme Martin, tél. 06.12.34.56.78 (le soir)"));
        assert!(key.found_in("06 12 34 56 78 ou 05 53 00 00 00"));
        assert!(key.found_in("05 53 00 00 00 06 12 34 56 78"));
        assert!(!key.found_in("06 12 34 56 79"));
        assert!(!key.found_in("106 12 34 56 78"));
    }
}
