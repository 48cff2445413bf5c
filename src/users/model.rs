//! User accounts as the API shows and takes them.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Role, UserId};
use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};

/// The longest texts of an account, in characters: checked by the service and stated in the API
/// document through [`TEXT_LIMITS`].
pub mod max {
    pub const NAME: usize = 100;
    pub const PHONE: usize = 40;
}

/// (schema, field, longest text) for the API document.
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("NewUser", "name", max::NAME),
    ("NewUser", "phone", max::PHONE),
    ("UserPatch", "name", max::NAME),
    ("UserPatch", "phone", max::PHONE),
];

/// A user account as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub role: Role,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub enterprise_id: Option<EnterpriseId>,
    /// Alliances an expert is assigned to.
    pub alliance_ids: Vec<AllianceId>,
    pub active: bool,
    pub created_at: DateTime<FixedOffset>,
}

/// A newly created user; without a given password, with the invitation link the person sets
/// their own with.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    /// Always null: the platform no longer generates passwords (kept for older clients; an
    /// account created without a password gets `invitation` instead).
    pub generated_password: Option<String>,
    /// The one-time link (`path`, `token`) with which the person sets a password; null when a
    /// password was given.
    pub invitation: Option<crate::users::invitations::Invitation>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    pub role: Role,
    #[serde(default)]
    pub region_id: Option<RegionId>,
    #[serde(default)]
    pub industry_id: Option<IndustryId>,
    #[serde(default)]
    pub enterprise_id: Option<EnterpriseId>,
    #[serde(default)]
    pub alliance_ids: Vec<AllianceId>,
    /// At least 10 characters (for scripts and automation); without it the answer carries an
    /// invitation link with which the person sets their own.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// `false` deactivates the account and ends its sessions at once.
    pub active: Option<bool>,
    /// Resets the password and ends the user's sessions.
    pub password: Option<String>,
    /// Admins only: the expert's alliances.
    pub alliance_ids: Option<Vec<AllianceId>>,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Part of the name or email.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub enterprise_id: Option<EnterpriseId>,
    pub active: Option<bool>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}
