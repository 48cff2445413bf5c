//! Identity: users, passwords, tokens, sessions, and the extractors that say who is calling.
//! What a caller may see and do is decided in [`crate::access`], not here.

pub mod callers;
pub mod extract;
pub mod password;
pub mod routes;
pub mod service;
pub mod session;
pub mod throttle;
pub mod token;
pub mod user;

pub use crate::db::ids::UserId;
pub use extract::{Actor, ApiUser, WebUser};
pub use user::{Role, UserRow};
