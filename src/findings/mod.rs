//! Hazard findings (隐患) and their closed loop: report, rectify with evidence, review, 销号.

pub mod attachments;
pub mod lifecycle;
pub mod model;
pub mod pages;
pub mod routes;
pub mod service;
pub mod store;
