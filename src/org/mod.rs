//! Organizations: regions, industries, enterprises, alliances and their memberships.

pub mod alliance_pages;
pub mod credit_code;
mod edit_pages;
pub mod model;
pub mod pages;
pub mod routes;
pub mod service;
pub mod store;
