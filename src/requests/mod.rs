//! A request's life, between the web layer and the store: filing it, acting on it (take,
//! assign, status, message, transfer, the citizen's reply, reopening), and describing it to
//! the citizen and to staff, and what anyone may read of it (`public`, for Open311).
//!
//! Each step is one store transaction written here once, for both databases, over the
//! primitives of [`crate::store::RequestTransaction`]: lock the request, read its state,
//! decide with [`crate::domain::workflow`], write the state, append the events, queue the
//! outbox messages the planner decides, commit. Handlers extract what a person sent, call
//! one function of this module, and render what it returns.

pub mod describe;
pub mod facts;
pub mod filing;
pub mod handling;
pub mod public;
pub mod recovery;
pub mod reminders;

pub use filing::{Filer, file};
pub use handling::{act, claim_next};
