//! Alliance events (联盟活动): trainings (培训讲座), warning education (警示教育) and experience
//! exchanges (经验交流会), planned by the alliance's organizers, registered for by its members
//! within the capacity and each enterprise's quota.

pub mod attendance;
mod form_pages;
pub mod model;
pub mod notices;
pub mod pages;
pub mod plan;
mod record_pages;
pub mod records;
pub mod routes;
pub mod service;
pub mod store;
