//! Organizations: regions, industries, enterprises, alliances and their memberships.

pub mod alliance_pages;
pub mod credit_code;
mod edit_pages;
pub mod exports;
pub mod model;
pub mod pages;
pub mod registry;
pub mod registry_pages;
pub mod registry_routes;
pub mod routes;
pub mod service;
pub mod store;
