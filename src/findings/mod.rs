//! Hazard findings (隐患) and their closed loop: report, rectify with evidence, review, 销号.

pub mod attachments;
pub mod events;
pub mod lessons;
pub mod lifecycle;
mod list_pages;
pub mod model;
mod notices;
pub mod pages;
pub mod policy;
mod query;
pub mod routes;
pub mod service;
pub mod store;
mod strip;
pub mod transition;
