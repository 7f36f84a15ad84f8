//! Checks on a loaded catalogue that loading itself does not make, because they do not
//! leave a form out: each form's personal-data declarations, and the webhooks this process
//! cannot sign for. Running each form's pinned cases needs intake, so it lives there
//! ([`crate::intake::cases`]), with the loader that puts all of these together.

use super::form::META_KEY;
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
