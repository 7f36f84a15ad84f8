//! The citizen's private tracking capability.
//!
//! 256 random bits, written in URL-safe base64. Whoever holds the token sees the request,
//! so the database keeps only its SHA-256 hash: a leaked database does not leak the links.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

const BYTES: usize = 32;
const ENCODED_LEN: usize = 43;

#[derive(Clone, PartialEq, Eq)]
pub struct TrackingToken(String);

impl TrackingToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; BYTES];
        rand::rng().fill_bytes(&mut bytes);
        TrackingToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        let valid = input.len() == ENCODED_LEN
            && URL_SAFE_NO_PAD
                .decode(input)
                .is_ok_and(|bytes| bytes.len() == BYTES);
        if valid {
            Ok(TrackingToken(input.to_owned()))
        } else {
            Err("Ce lien de suivi n'est pas valide : vérifiez qu'il a été copié en entier.".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The only form of the token the store ever sees.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// Never print a capability into logs by accident.
impl std::fmt::Debug for TrackingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrackingToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_parse_back() {
        let a = TrackingToken::generate();
        let b = TrackingToken::generate();
        assert_ne!(a, b);
        assert_eq!(TrackingToken::parse(a.as_str()).unwrap(), a);
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.as_str());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        assert!(TrackingToken::parse("short").is_err());
        assert!(TrackingToken::parse(&"!".repeat(43)).is_err());
        assert!(format!("{:?}", TrackingToken::generate()).contains('…'));
    }
}
