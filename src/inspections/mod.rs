//! Mutual inspection (互查): alliances inspect their members, enterprise by enterprise. Checklist
//! templates ([`checklists`]), batches and their pairing ([`service`], [`pairing`]), results
//! that turn failed items into findings ([`results`]), and the calendar feed ([`calendar`]).

pub mod calendar;
mod checklist_pages;
pub mod checklists;
pub mod inspection;
mod inspection_pages;
pub mod lifecycle;
pub mod model;
mod notices;
pub mod pages;
pub mod pairing;
mod plan;
pub mod results;
pub mod routes;
pub mod service;
pub mod store;
