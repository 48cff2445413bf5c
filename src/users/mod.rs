//! User accounts: admins manage everyone, regulators the users of enterprises in their scope.

mod edit_pages;
pub mod invitation_routes;
pub mod invitations;
pub(crate) mod invite_pages;
pub mod model;
pub mod pages;
pub mod routes;
pub mod service;
