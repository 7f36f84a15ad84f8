//! Dispatch: what leaves Guichet when something happens to a request (webhooks to business
//! applications, e-mails to citizens, services and élus), through a transactional outbox.
//!
//! [`crate::requests`] calls a [`Planner`] inside the transaction that writes the events,
//! and queues the messages it returns as outbox rows in that same transaction: an event is never
//! recorded without its messages, nor a message sent for an event that was rolled back.
//! [`worker`] then delivers the rows at least once, with retries, backoff and a dead-letter
//! state; every message carries an idempotency key so receivers apply it once.

pub mod mail;
mod plan;
pub mod webhook;
pub mod worker;

pub use plan::planner;
// What a planner decides lives in the domain, the rows it becomes in the store: the store
// writes and reads them without knowing how messages are planned or delivered.
pub use crate::domain::outbox::{OutboxChannel, OutboxMessage, PlanInput, Planner, no_messages};
pub use crate::store::{OutboxRow, Outcome};
