//! A urlencoded form post, as any client could send it, read by every demo form: decoded,
//! coerced into typed JSON with the form's field model, then validated and routed. Nothing
//! may panic, and whatever coercion produces must be JSON the validator can judge.
#![no_main]

use std::sync::LazyLock;

use guichet::catalogue::Catalogue;
use guichet::domain::Channel;
use guichet::intake::{self, coerce};
use libfuzzer_sys::fuzz_target;

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    Catalogue::load_strict(&root).expect("the demo catalogue loads")
});

fuzz_target!(|body: &[u8]| {
    let Ok(pairs) = guichet::web::forms::parse_pairs(body) else {
        return;
    };
    let posted = coerce::Posted::from_pairs(pairs);
    for form in CATALOGUE.forms.values() {
        let data = coerce::coerce(&form.fields, &posted);
        let _ = intake::accept(&CATALOGUE, form, data, None, Channel::Web);
    }
});
