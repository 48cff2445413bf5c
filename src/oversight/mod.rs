//! Oversight (监管): what regulators read of the alliances' work — figures of hazards, mutual
//! inspections and events in their scope, broken down and drilled into.

pub mod charts;
pub mod comparison;
pub mod evaluation;
mod evaluation_pages;
pub mod evaluations;
pub mod export;
pub mod figures;
pub mod home;
pub mod measure;
pub mod model;
pub mod pages;
pub mod records;
pub mod report;
pub mod routes;
pub mod store;
pub mod summary;
