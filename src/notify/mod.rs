//! Telling people what happened: the message centre (one row per person told, written in the
//! same transaction as the change that causes it) and who is told.
//!
//! Features decide *when* to tell and *whom* (with the helpers in [`recipients`]); this module
//! stores the message, lists it, counts the unread ones for the header's bell, and marks them
//! read. A message names what happened ([`Kind`]), what it is about, by when the reader must act
//! and the page to go to; the words are the reader's language's, chosen when it is shown.

pub mod model;
pub mod pages;
pub mod recipients;
pub mod routes;
pub mod store;

pub use model::{Kind, Notice, Notification};
pub use store::{tell, tell_others, unread};
