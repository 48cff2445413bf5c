//! The user record: identity, role and scope.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::{EnterpriseId, IndustryId, RegionId, UserId};
use crate::db::schema::users;
use crate::db::AnyConnection;
use crate::error::AppResult;

crate::text_enum! {
    /// What kind of user this is; the scope columns say over what.
    pub enum Role {
        Admin = "admin",
        Regulator = "regulator",
        Enterprise = "enterprise",
        Expert = "expert",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub phone: String,
    pub password_hash: String,
    pub role: Role,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Emails are compared case-insensitively: stored trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible email: one `@`, something on each side, a dot in the domain, no spaces.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.len() <= 254
}

/// Masks an email for logs: `w***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::email.eq(normalize_email(email)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut AnyConnection, id: UserId) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}
