//! Arbitrary submission data given to every demo routing rule. A rule may fail (the request
//! then lands in the default queue), but evaluating it must never panic or run unbounded.
#![no_main]

use std::sync::LazyLock;

use guichet::catalogue::Catalogue;
use guichet::catalogue::rule::RuleInput;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Catalogue::load_strict(&root).expect("the demo catalogue loads")
});

fuzz_target!(|bytes: &[u8]| {
    // JSON when it parses (most of the corpus), otherwise the bytes as one text answer.
    let data = serde_json::from_slice::<Value>(bytes)
        .unwrap_or_else(|_| serde_json::json!({ "texte": String::from_utf8_lossy(bytes) }));
    for form in CATALOGUE.forms.values() {
        let Some(rule) = &form.rule else { continue };
        let input = RuleInput {
            data: &data,
            form_id: &form.id,
            form_title: &form.title,
            form_version: form.version.as_str(),
            commune: Some("demo"),
            channel: "web",
        };
        let _ = rule.evaluate(&input);
    }
});
