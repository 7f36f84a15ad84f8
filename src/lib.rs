//! Guichet: a citizen-relationship platform.
//!
//! The modules follow the pipeline a request travels through:
//! [`catalogue`] (files in git → a checked, immutable snapshot) → [`intake`] (coerce →
//! validate → route; no HTTP, no SQL) → [`requests`] (a request's life: filing, actions,
//! how it reads) → [`store`] (one trait per concern, one implementation per database),
//! served by [`web`] (portal, back office, API); [`dispatch`] delivers what the outbox
//! holds. A catalogue is served only once its forms' pinned cases pass through intake
//! ([`intake::cases`], the loader every command uses); [`check`] prints what that loader
//! finds, for CI. [`startup`] wires everything into a running server ([`telemetry`]: its
//! logs, which hold no personal data); [`transfer`] moves a territory's requests between
//! stores.

pub mod accounts;
pub mod attachments;
pub mod auth;
pub mod backup;
pub mod builder;
pub mod catalogue;
pub mod check;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod elu_digest;
pub mod i18n;
pub mod intake;
pub mod requests;
pub mod retention;
pub mod startup;
pub mod statistics;
pub mod store;
pub mod telemetry;
pub mod territory_file;
pub mod transfer;
pub mod users;
pub mod web;
