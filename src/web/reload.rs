//! Swapping in a new catalogue while serving: after the builder publishes, on SIGHUP, or
//! when the files change. Here, below the handlers and the start-up code that both call it.

use std::sync::Arc;

use crate::catalogue::Diagnostic;
use crate::web::AppState;

/// Loads the catalogue again and swaps it in if, and only if, it has no errors.
pub fn reload(state: &AppState) -> Result<(), Vec<Diagnostic>> {
    let root = state.catalogue.load().root.clone();
    let catalogue = crate::intake::cases::load_checked(&root)?;
    // A webhook added since start-up may name a variable the server's environment lacks;
    // that environment is fixed for the life of the process, so only a restart can help.
    let unsigned = crate::catalogue::checks::unsigned_webhooks(&catalogue);
    if !unsigned.is_empty() {
        return Err(unsigned
            .into_iter()
            .map(|mut d| {
                d.message = format!("{}: set it and restart the server", d.message);
                d
            })
            .collect());
    }
    let catalogue = Arc::new(catalogue);
    let forms = catalogue.forms.len();
    state.catalogue.store(catalogue.clone());
    tokio::spawn(crate::builder::history::record_versions(
        state.store.clone(),
        catalogue,
    ));
    tracing::info!(forms, "catalogue reloaded");
    Ok(())
}
