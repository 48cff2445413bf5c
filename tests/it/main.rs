//! Integration tests: the platform on a real database (SQLite, or PostgreSQL when
//! TEST_DATABASE_URL is set), over HTTP.

mod auth;
mod authz;
mod backup;
pub mod browser;
mod browser_events;
mod browser_inspections;
mod browser_oversight;
mod callers;
mod common;
pub mod durability;
mod enums;
mod evaluations;
mod event_changes;
pub mod events;
pub mod findings;
mod flows;
mod group_commit;
mod i18n;
mod input;
pub mod inspections;
mod logs;
mod migrations;
mod notifications;
mod observability;
mod org;
mod oversight;
mod oversight_pages;
pub mod pages;
mod races;
mod scale;
mod shape;
mod slow;
mod starvation;
mod synthetic;
mod users;
