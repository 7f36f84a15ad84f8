//! The short human reference of a request, read out over the phone (`GU-7K4M-2Q9P`).
//!
//! It reveals a request's status and nothing else, so it only needs to be unique, not secret.
//! Eight Crockford base32 characters give 40 bits; the store retries on the rare collision.

use std::fmt;

use rand::Rng;

/// Crockford's base32 alphabet: no I, L, O or U, so nothing is misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "GU";
const LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference(String);

impl Reference {
    /// A fresh random reference.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let code: String = (0..LEN)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        Reference(code)
    }

    /// Reads a reference as a person types it: any case, with or without the `GU` prefix,
    /// dashes or spaces; `O` is read as `0` and `I`/`L` as `1`.
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut code: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.len() == LEN + PREFIX.len() && code.starts_with(PREFIX) {
            code.drain(..PREFIX.len());
        }
        let code: String = code
            .chars()
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        if code.len() != LEN || !code.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(format!(
                "« {} » n'est pas une référence valide : elle a la forme GU-XXXX-XXXX.",
                input.chars().take(40).collect::<String>()
            ));
        }
        Ok(Reference(code))
    }

    /// The canonical form stored in the database and shown to people.
    pub fn as_string(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}-{}-{}", &self.0[..4], &self.0[4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_references_round_trip() {
        for _ in 0..100 {
            let r = Reference::generate();
            assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
        }
    }

    #[test]
    fn typed_variants_are_read_leniently() {
        let r = Reference::parse("gu 7k4m 2q9p").unwrap();
        assert_eq!(r.to_string(), "GU-7K4M-2Q9P");
        assert_eq!(Reference::parse("7K4M-2Q9P").unwrap(), r);
        assert_eq!(
            Reference::parse("GU-OOOO-IIII").unwrap().to_string(),
            "GU-0000-1111"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_french_message() {
        let err = Reference::parse("GU-123").unwrap_err();
        assert!(err.contains("GU-XXXX-XXXX"), "{err}");
        assert!(Reference::parse("GU-UUUU-UUUU").is_err());
        assert!(Reference::parse("").is_err());
    }
}
