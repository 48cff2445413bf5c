//! Telling people what happened: the message centre (one row per person told, written in the
//! same transaction as the change that causes it), mail and group-robot posts through the
//! outbox, and the scheduler's reminders and escalations.
//!
//! Features decide *when* to tell and *whom* (with the helpers in [`recipients`]); this module
//! stores the message, queues its mail by the reader's [`prefs`], lists it, counts the unread
//! ones for the header's bell, and marks them read. A message names what happened ([`Kind`]),
//! what it is about, by when the reader must act and the page to go to; the words are the
//! reader's language's, chosen when it is shown or mailed.

pub mod admin;
pub mod ladder;
pub mod mail;
pub mod model;
pub mod outbox;
pub mod pages;
pub mod prefs;
pub mod recipients;
pub mod routes;
pub mod schedule;
pub mod settings_pages;
pub mod store;
pub mod webhooks;
pub mod worker;

pub use model::{Kind, Notice, Notification};
pub use store::{tell, tell_others, unread};

/// Wakes the scheduler (the clock was moved).
#[derive(Clone, Default)]
pub struct Wake(pub std::sync::Arc<tokio::sync::Notify>);
