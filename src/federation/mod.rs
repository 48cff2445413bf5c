//! Federation (联邦): each district runs its own instance with its own enterprises' data; the
//! city receives only counts. A district publishes the figures of a period (month or year) as a
//! bundle — per street × industry, cells of fewer than 3 enterprises suppressed — signed with
//! its Ed25519 key as a compact JWS, and delivers it through its outbox (or lets the city pull
//! it). The city verifies each bundle with the keys it enrolled for that district, out of band,
//! archives the signed bytes, and replaces that (district, dataset, period) whole.

pub mod city;
pub mod cli;
pub mod delivery;
pub mod figures;
pub mod keys;
pub mod model;
pub mod pages;
pub mod publish;
pub mod receive;
pub mod reconcile;
pub mod registry;
pub mod routes;
pub mod schema;

use crate::access::{Area, Policy, Visibility};
use crate::error::{AppError, AppResult};

/// Only those who oversee the whole instance — administrators and regulators of the whole
/// district (or city), of every industry — publish or read federated figures; a regulator of a
/// part may not (403, `why`), and nobody else sees the federation (404).
pub fn require_whole(policy: &Policy, why: &str) -> AppResult<()> {
    match policy.oversight() {
        Visibility::Everything
        | Visibility::Only {
            area:
                Some(Area {
                    regions: None,
                    industry: None,
                }),
            ..
        } => Ok(()),
        Visibility::Only { area: Some(_), .. } => Err(AppError::Forbidden(why.into())),
        Visibility::Only { area: None, .. } => Err(AppError::NotFound),
    }
}
