//! Staff passwords: argon2id with the crate's default (OWASP-recommended) parameters, stored
//! as PHC strings. Hashing takes tens of milliseconds on purpose, so it runs on the blocking
//! pool, never on the async workers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Shortest password accepted.
pub const MIN_CHARS: usize = 12;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_CHARS: usize = 256;

/// Why a new password is not accepted, in plain French.
pub fn check_new(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(format!(
            "Le mot de passe doit compter au moins {MIN_CHARS} caractères : une phrase de quelques mots fait l'affaire."
        ));
    }
    if chars > MAX_CHARS {
        return Err(format!(
            "Le mot de passe ne doit pas dépasser {MAX_CHARS} caractères."
        ));
    }
    if password.trim() != password {
        return Err("Le mot de passe ne doit pas commencer ni finir par une espace.".into());
    }
    Ok(())
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches `phc`. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_CHARS {
        return false;
    }
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of a verification, so an unknown address answers as slowly as a wrong
/// password and cannot be told apart by timing.
pub fn waste_time(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy =
        DUMMY.get_or_init(|| hash("not a real password, only for timing").unwrap_or_default());
    let _ = verify(password, dummy);
}

pub async fn hash_async(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterz", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new("court").is_err());
        assert!(check_new("une phrase assez longue").is_ok());
    }
}
