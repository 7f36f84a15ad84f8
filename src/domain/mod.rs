//! Domain newtypes: once you hold one, it is valid ("parse, don't validate").

pub mod account;
mod channel;
pub mod contact;
mod event;
mod form_version;
mod ids;
pub mod outbox;
mod priority;
mod reference;
mod role;
pub mod site;
pub mod statistics;
mod status;
pub mod text;
pub mod time;
mod tracking_token;

pub use channel::Channel;
pub use contact::ContactKey;
pub use event::EventKind;
pub use form_version::FormVersion;
pub use ids::{CommuneSlug, InvalidId, QueueId, ServiceId, is_valid_id};
pub use priority::Priority;
pub use reference::Reference;
pub use role::Role;
pub use status::Status;
pub use tracking_token::TrackingToken;
/// A 256-bit secret for sessions, CSRF and API tokens: the same shape as a tracking token.
pub use tracking_token::TrackingToken as Capability;
pub mod workflow;
