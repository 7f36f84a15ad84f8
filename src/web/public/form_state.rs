//! The answers of a form being filled in, carried from page to page in one hidden input
//! (`_etat`) and signed with a key only the server holds (HMAC-SHA256).
//!
//! Why in the page rather than on the server: nothing a citizen types is written anywhere
//! before they send it. A form left half-way leaves no row to purge and no personal data at
//! rest; several instances serve the next page without sharing a session; there is no
//! cookie. The signature makes the state tamper-proof: a page cannot claim a form, a version,
//! a step or an age it was not given, and a changed byte is refused. It does not hide the
//! answers from the person who typed them (they are their own, on their own screen).
//! Everything is still validated against the whole schema before the request is filed, so a
//! state is never trusted for more than where the person is.
//!
//! Files sent at an early step are not in the state: they travel in their own `_files.<field>`
//! inputs, checked against storage at every step (see `crate::web::uploads`), which also
//! restarts their grace period, so they last as long as the form is being filled.
//!
//! A state expires [`LIFETIME`] after its page was made (a day: the default grace period of
//! files sent and not yet filed). The key is made once and kept in the database
//! (`server_secrets`), so a restart or another instance accepts the page; deleting that row
//! turns the key over (forms being filled then start again).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;

/// How long a page's state is accepted after it was made.
pub const LIFETIME: time::Duration = time::Duration::hours(24);
/// A state made this far in the future is a forgery (clocks of instances differ by less).
const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);
/// Names the format, and what the key signs, so a signature made for something else (or a
/// later format) is never taken for this one.
const FORMAT: &str = "guichet-form-state-v1";
/// The key's name in the database.
pub const KEY_NAME: &str = "form-state";

/// The server's signing key for form states.
#[derive(Clone)]
pub struct FormStateKey(Vec<u8>);

impl FormStateKey {
    /// The key shared by every instance on the store: the kept one, or a new one kept now.
    pub async fn load(store: &dyn crate::store::Store) -> anyhow::Result<FormStateKey> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let kept = store.server_secret(KEY_NAME, &fresh).await?;
        FormStateKey::from_hex(&kept)
    }

    pub fn from_hex(text: &str) -> anyhow::Result<FormStateKey> {
        let bytes = hex::decode(text.trim()).map_err(|e| {
            anyhow::anyhow!("the form-state key in server_secrets is not hexadecimal: {e}")
        })?;
        anyhow::ensure!(
            bytes.len() >= 16,
            "the form-state key in server_secrets is too short"
        );
        Ok(FormStateKey(bytes))
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any size");
        mac.update(FORMAT.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac
    }
}

/// Which page of the form a state was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Page {
    /// A step, by its index (0 is the first).
    Step(usize),
    /// The "check your answers" page.
    Review,
}

/// Where a person is in a form, and what they answered so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormState {
    pub form: String,
    /// The form version the answers were given to.
    pub version: String,
    pub page: Page,
    /// The person came from the review page to change a step: continuing goes back there.
    pub back_to_review: bool,
    /// The answers, as the form posts them (`adresse.rue` → `Rue de la Paix`).
    pub answers: Vec<(String, String)>,
    /// When the page was made, in seconds since 1970 (UTC).
    pub issued: i64,
}

/// Why a state was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Changed, cut, made for another form, or not made by this server.
    Tampered,
    /// Older than [`LIFETIME`].
    Expired,
}

impl Refused {
    /// What the person reads, and what to do, in `lang`.
    pub fn message(self, lang: crate::i18n::Lang) -> String {
        lang.text(match self {
            Refused::Tampered => "form-state-tampered",
            Refused::Expired => "form-state-expired",
        })
    }
}

impl FormState {
    /// The signed text for the hidden input: `<payload>.<signature>`, both base64url.
    pub fn seal(&self, key: &FormStateKey) -> String {
        let json = serde_json::to_vec(self).expect("a form state serialises");
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = URL_SAFE_NO_PAD.encode(key.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// Reads a state back, if this server signed it for `form` and it has not expired.
    pub fn open(
        text: &str,
        key: &FormStateKey,
        form: &str,
        now: OffsetDateTime,
    ) -> Result<FormState, Refused> {
        let (payload, signature) = text.trim().split_once('.').ok_or(Refused::Tampered)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Refused::Tampered)?;
        // Compared in constant time.
        key.mac(payload)
            .verify_slice(&signature)
            .map_err(|_| Refused::Tampered)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Refused::Tampered)?;
        let state: FormState = serde_json::from_slice(&json).map_err(|_| Refused::Tampered)?;
        if state.form != form {
            return Err(Refused::Tampered);
        }
        let issued =
            OffsetDateTime::from_unix_timestamp(state.issued).map_err(|_| Refused::Tampered)?;
        if issued > now + CLOCK_SKEW {
            return Err(Refused::Tampered);
        }
        if now - issued > LIFETIME {
            return Err(Refused::Expired);
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> FormStateKey {
        FormStateKey::from_hex(&"ab".repeat(32)).unwrap()
    }

    fn state(issued: OffsetDateTime) -> FormState {
        FormState {
            form: "encombrants".into(),
            version: "0123456789abcdef".into(),
            page: Page::Step(1),
            back_to_review: false,
            answers: vec![("nom".into(), "Claire Martin".into())],
            issued: issued.unix_timestamp(),
        }
    }

    #[test]
    fn a_sealed_state_opens_to_itself() {
        let now = OffsetDateTime::now_utc();
        let sealed = state(now).seal(&key());
        assert_eq!(
            FormState::open(&sealed, &key(), "encombrants", now),
            Ok(state(now))
        );
    }

    #[test]
    fn a_changed_byte_another_key_or_form_is_refused() {
        let now = OffsetDateTime::now_utc();
        let sealed = state(now).seal(&key());
        let (payload, signature) = sealed.split_once('.').unwrap();
        let mut forged = state(now);
        forged.answers[0].1 = "Paul Durand".into();
        let forged_payload = forged.seal(&key());
        let swapped = format!("{}.{signature}", forged_payload.split_once('.').unwrap().0);
        assert_eq!(
            FormState::open(&swapped, &key(), "encombrants", now),
            Err(Refused::Tampered)
        );
        let other = FormStateKey::from_hex(&"cd".repeat(32)).unwrap();
        assert_eq!(
            FormState::open(&sealed, &other, "encombrants", now),
            Err(Refused::Tampered)
        );
        assert_eq!(
            FormState::open(&sealed, &key(), "remplacement-bac", now),
            Err(Refused::Tampered)
        );
        for broken in ["", "abc", payload, &format!("{payload}.")] {
            assert_eq!(
                FormState::open(broken, &key(), "encombrants", now),
                Err(Refused::Tampered),
                "{broken}"
            );
        }
    }

    #[test]
    fn a_state_lasts_a_day() {
        let now = OffsetDateTime::now_utc();
        let day_old = state(now - LIFETIME + time::Duration::minutes(1)).seal(&key());
        assert!(FormState::open(&day_old, &key(), "encombrants", now).is_ok());
        let expired = state(now - LIFETIME - time::Duration::minutes(1)).seal(&key());
        assert_eq!(
            FormState::open(&expired, &key(), "encombrants", now),
            Err(Refused::Expired)
        );
        let future = state(now + time::Duration::hours(1)).seal(&key());
        assert_eq!(
            FormState::open(&future, &key(), "encombrants", now),
            Err(Refused::Tampered)
        );
    }
}
