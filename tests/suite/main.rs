//! The integration tests, in one binary: each module is one area of the product, run
//! against the real server (over HTTP), a real SQLite file or PostgreSQL
//! (`TEST_DATABASE_URL`), and the real `guichet` binary. One binary links the application
//! once instead of once per file.
//!
//! The tests that need parts a plain `cargo test` cannot assume (Chromium, a private
//! PostgreSQL cluster) are `#[ignore]`d; `.ci/run` runs them by module:
//! `cargo test --test suite browser:: -- --ignored`.

mod common;

mod access;
mod accounts;
mod api;
mod api_tokens;
mod attachments;
mod back_office;
mod browser;
mod builder;
mod check;
mod citizen_pages;
mod claims;
mod clients;
mod commune_sites;
mod crash;
mod deploy;
mod dispatch;
mod elu_digest;
mod english;
mod english_pages;
mod exports;
mod front_desk;
mod group_commit;
mod hostile;
mod instances;
mod legal;
mod lifecycle;
mod limits;
mod oidc;
mod open311;
mod open_data;
mod openapi;
mod outage;
mod page_cache;
mod portal;
mod privacy;
mod queue_counts;
mod recovery;
mod reminders;
mod request_page;
mod retention;
mod rights;
mod routing;
mod search;
mod statistics;
mod steps;
mod territory_data;
mod transfer;
mod users_cli;
