//! Checks on a loaded catalogue that loading itself does not make, because they do not
//! leave a form out: each form's personal-data declarations, missing legal mentions, and
//! the webhooks this process cannot sign for. Running each form's pinned cases needs intake, so it lives there
//! (`intake::cases`), with the loader that puts all of these together.

use super::form::META_KEY;
use super::legal::{Conformity, NOT_GIVEN};
use super::territory::Territory;
use super::{Catalogue, Diagnostic, Form, territory};

/// A form's personal-data declarations: `x-personal` must be a boolean, and the form's
/// retention must not exceed the territory's `[retention] max_days`.
pub fn personal_data(catalogue: &Catalogue, form: &Form) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = super::personal::problems(&form.schema)
        .into_iter()
        .map(|(pointer, message)| Diagnostic::at_pointer(&form.file, &pointer, message))
        .collect();
    let retention = &catalogue.territory.retention;
    let days = form.retention_days(&catalogue.territory);
    if let Some(max) = retention.max_days
        && days > max
    {
        let (pointer, whose) = match form.meta.retention_days {
            Some(_) => (
                format!("/{META_KEY}/retention_days"),
                "lower the form's retention_days".to_owned(),
            ),
            None => (
                format!("/{META_KEY}"),
                format!(
                    "the territory's default ([retention] days = {}) applies: set a lower retention_days on the form, or lower the default",
                    retention.days
                ),
            ),
        };
        found.push(Diagnostic::at_pointer(
            &form.file,
            &pointer,
            format!(
                "this form keeps personal data {days} days after a request is closed, more than the territory's maximum ([retention] max_days = {max} in territory.toml): {whose}"
            ),
        ));
    }
    found
}

/// The webhooks that cannot sign their deliveries with what this process's environment
/// holds (their variable is unset, empty or blank), located in territory.toml. Every
/// delivery of theirs would fail, retried for hours and then parked as dead.
pub fn unsigned_webhooks(catalogue: &Catalogue) -> Vec<Diagnostic> {
    let unsigned = catalogue.territory.unsigned_webhooks();
    if unsigned.is_empty() {
        return Vec::new();
    }
    let text =
        std::fs::read_to_string(catalogue.root.join(territory::FILE_NAME)).unwrap_or_default();
    unsigned
        .into_iter()
        .map(|hook| {
            Diagnostic::at_pointer(
                territory::FILE_NAME,
                &hook.pointer,
                format!(
                    "webhook « {} » cannot sign its deliveries: {}",
                    hook.target, hook.why
                ),
            )
            .locate_in_toml(&text)
        })
        .collect()
}

/// Missing legal mentions, as (pointer, message): `guichet check` warns of them, the pages
/// say « non renseigné ».
pub fn missing_mentions(territory: &Territory) -> Vec<(String, String)> {
    let mut missing = Vec::new();
    let mut need = |pointer: &str, present: bool, what: &str| {
        if !present {
            missing.push((
                pointer.to_owned(),
                format!("{what} is not given; the legal pages say « {NOT_GIVEN} »"),
            ));
        }
    };
    let (privacy, legal) = (&territory.privacy, &territory.legal);
    need(
        "/privacy/dpo_email",
        privacy.dpo_email.is_some() || privacy.dpo_address.is_some(),
        "the DPO's contact ([privacy] dpo_email or dpo_address)",
    );
    need(
        "/privacy/controller_address",
        privacy.controller_address.is_some() || territory.territory.address.is_some(),
        "the controller's address ([privacy] controller_address)",
    );
    need(
        "/legal/publisher_phone",
        legal.publisher_phone.is_some() || territory.territory.phone.is_some(),
        "the publisher's phone ([legal] publisher_phone)",
    );
    need(
        "/legal/publication_director",
        legal.publication_director.is_some(),
        "the publication director ([legal] publication_director)",
    );
    need(
        "/legal/host",
        legal.host.is_some(),
        "the host ([legal] host)",
    );
    need(
        "/legal/host_address",
        legal.host_address.is_some(),
        "the host's address ([legal] host_address)",
    );
    let a11y = &legal.accessibility;
    need(
        "/legal/accessibility/contact",
        a11y.contact.is_some(),
        "the accessibility contact ([legal.accessibility] contact)",
    );
    need(
        "/legal/accessibility/statement_date",
        a11y.statement_date.is_some(),
        "the accessibility statement's date ([legal.accessibility] statement_date)",
    );
    if a11y.status != Conformity::Non && a11y.audit_date.is_none() {
        missing.push((
            "/legal/accessibility/audit_date".into(),
            format!(
                "a « {} » status needs an audit: give its audit_date and audit_rate, or say « non conforme »",
                a11y.status.label_fr()
            ),
        ));
    }
    missing
}

/// The start of a long text, for a message that quotes it.
fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// `guichet check`'s warnings about personal data, legal mentions and translations: forms
/// without a purpose, missing mentions in territory.toml, form texts without a translation
/// into a language the territory offers, and translations of nothing; each located in its
/// file.
pub fn warnings(catalogue: &Catalogue) -> Vec<Diagnostic> {
    let root = &catalogue.root;
    let text = std::fs::read_to_string(root.join(territory::FILE_NAME)).unwrap_or_default();
    let mut found: Vec<Diagnostic> = missing_mentions(&catalogue.territory)
        .into_iter()
        .map(|(pointer, message)| {
            Diagnostic::at_pointer(territory::FILE_NAME, &pointer, message).locate_in_toml(&text)
        })
        .collect();
    // Élus and agents file the other forms for citizens; only the portal's forms show a notice.
    for form in catalogue.citizen_forms(None) {
        let text = std::fs::read_to_string(root.join(&form.file)).unwrap_or_default();
        if form.meta.privacy.purpose.is_none() {
            found.push(
                Diagnostic::at_pointer(
                    &form.file,
                    &format!("/{META_KEY}/privacy/purpose"),
                    "the form states no purpose (x-guichet.privacy.purpose): its privacy notice shows a generic one; write why the data is collected",
                )
                .locate_in_json(&text),
            );
        }
        // A text left untranslated shows in French: a warning, so that a designer can still
        // publish, one per text, so that a translator sees what is left.
        if let Ok(definition) = serde_json::from_str::<serde_json::Value>(&text) {
            for (pointer, message) in super::translation::stale(&definition) {
                found.push(
                    Diagnostic::at_pointer(&form.file, &pointer, message).locate_in_json(&text),
                );
            }
            for lang in catalogue.territory.territory.languages.iter().skip(1) {
                for (pointer, french) in super::translation::missing(&definition, *lang) {
                    found.push(
                        Diagnostic::at_pointer(
                            &form.file,
                            &pointer,
                            format!(
                                "no {} translation of « {} » (add \"{pointer}\" to x-guichet.i18n.{}); French is shown instead",
                                lang.english_name(),
                                shorten(&french),
                                lang.code()
                            ),
                        )
                        .locate_in_json(&text),
                    );
                }
            }
        }
    }
    found
}
