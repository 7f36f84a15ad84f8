//! The form builder. Designers edit a form (its definition file and its rule) as a draft
//! kept in the database, out of service; they try it (the rule on examples, a dry run over
//! past requests, the citizen's preview) and publish it: the files are checked as
//! `guichet check` checks them, written to the catalogue, committed to git with the designer
//! as author, and the catalogue is reloaded.

pub mod diff;
pub mod dry_run;
pub mod history;
pub mod publish;
pub mod staging;

pub use staging::{Edit, stage};
