//! What the legal pages and each form's privacy notice say, built from the loaded
//! catalogue: the territory's `[privacy]` and `[legal]` tables and each form's
//! `x-guichet.privacy` block, with the defaults where they are silent.

use super::Catalogue;
use super::form::Form;
use super::legal::retention_in;
use super::territory::Territory;
use crate::i18n::Lang;

/// A form's privacy notice: the essentials citizens read before the first question and on
/// the review page, and the "Données personnelles" page lists per form.
#[derive(Debug, Clone)]
pub struct Notice {
    pub form_id: String,
    pub form_title: String,
    pub controller: String,
    pub purpose: String,
    pub legal_basis: String,
    pub recipients: Vec<String>,
    pub retention: String,
    pub dpo: String,
}

impl Notice {
    /// The notice in `lang`, of `form` in that language ([`Form::in_lang`]: its own words
    /// translated by `x-guichet.i18n`); the defaults are Guichet's messages, and the
    /// territory's `[privacy]` texts are shown as it wrote them.
    pub fn of(form: &Form, catalogue: &Catalogue, lang: Lang) -> Notice {
        let territory = &catalogue.territory;
        let privacy = &form.meta.privacy;
        let recipients = privacy.recipients.clone().unwrap_or_else(|| {
            let mut default = vec![catalogue.service_name(&form.meta.service).to_owned()];
            // Élus see every request concerning their communes (their workspace).
            if !territory.communes.is_empty() {
                default.push(lang.text("notice-elus"));
            }
            default
        });
        Notice {
            form_id: form.id.clone(),
            form_title: form.title.clone(),
            controller: controller(territory),
            purpose: privacy.purpose.clone().unwrap_or_else(|| {
                lang.text_with("notice-purpose", &[("form", form.title.as_str().into())])
            }),
            legal_basis: privacy
                .legal_basis
                .clone()
                .or_else(|| territory.privacy.legal_basis.clone())
                .unwrap_or_else(|| lang.text("notice-legal-basis")),
            recipients,
            retention: retention_in(form.retention_days(territory), lang),
            dpo: territory.privacy.dpo_contact(lang),
        }
    }
}

/// The controller's name: `[privacy] controller`, or the territory's name.
pub fn controller(territory: &Territory) -> String {
    territory
        .privacy
        .controller
        .clone()
        .unwrap_or_else(|| territory.territory.name.clone())
}
