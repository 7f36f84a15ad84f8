//! Any text as a form definition, loaded beside the demo territory and rules: JSON parsing,
//! the meta-schema, `x-guichet`, the field model (`$ref`, conditions, nesting) and the
//! validator build. A definition is either loaded or refused with diagnostics; nothing may
//! panic, recurse without bound or hang.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use guichet::catalogue::Catalogue;
use guichet::catalogue::form::Form;
use guichet::catalogue::rule::Rule;
use libfuzzer_sys::fuzz_target;

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Catalogue::load_strict(&root).expect("the demo catalogue loads")
});

static RULES: LazyLock<HashMap<String, Arc<Rule>>> = LazyLock::new(|| {
    CATALOGUE
        .forms
        .values()
        .filter_map(|form| form.rule.clone())
        .map(|rule| (rule.name.clone(), rule))
        .collect()
});

fuzz_target!(|text: &str| {
    if let Ok(form) = Form::load("fuzz", text, &CATALOGUE.territory, &RULES) {
        // A loaded form must validate its own examples without panicking.
        for example in &form.examples {
            let _ = form.validator().is_valid(example);
        }
    }
});
