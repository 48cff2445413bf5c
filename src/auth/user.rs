//! The user record: identity, role and scope.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::{EnterpriseId, IndustryId, RegionId, UserId};
use std::collections::HashMap;

use crate::db::schema::users;
use crate::db::{AnyConnection, MultiBackend, Predicate};
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

/// Stores a new password hash (the caller hashed it outside the transaction).
pub fn set_password_hash(conn: &mut AnyConnection, id: UserId, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(crate::db::types::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The fields of a new account (the password hashed beforehand).
pub struct NewUserRow<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub phone: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub enterprise_id: Option<EnterpriseId>,
}

pub fn insert(conn: &mut AnyConnection, new: NewUserRow<'_>) -> AppResult<UserRow> {
    let now = crate::db::types::now();
    Ok(diesel::insert_into(users::table)
        .values((
            users::email.eq(new.email),
            users::name.eq(new.name.trim()),
            users::phone.eq(new.phone.trim()),
            users::password_hash.eq(new.password_hash),
            users::role.eq(new.role),
            users::region_id.eq(new.region_id),
            users::industry_id.eq(new.industry_id),
            users::enterprise_id.eq(new.enterprise_id),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)?)
}

/// What an update changes; `None` leaves a column as it is.
#[derive(Default)]
pub struct UserChanges<'a> {
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub active: Option<bool>,
    pub password_hash: Option<&'a str>,
}

pub fn update(conn: &mut AnyConnection, id: UserId, c: UserChanges<'_>) -> AppResult<UserRow> {
    Ok(diesel::update(users::table.find(id))
        .set((
            c.name.map(|n| users::name.eq(n.trim())),
            c.phone.map(|p| users::phone.eq(p.trim())),
            c.active.map(|a| users::active.eq(a)),
            c.password_hash.map(|h| users::password_hash.eq(h)),
            users::updated_at.eq(crate::db::types::now()),
        ))
        .returning(users::all_columns)
        .get_result(conn)?)
}

/// Filters of the users list.
#[derive(Default)]
pub struct UserFilter {
    /// Part of the name or the email.
    pub text: Option<String>,
    pub role: Option<Role>,
    pub enterprise_id: Option<EnterpriseId>,
    pub active: Option<bool>,
}

/// Which accounts a list may show, made afresh for each query that needs it (`None`: all).
pub type Accounts<'s> = &'s dyn Fn() -> Option<Predicate<users::table>>;

fn accounts_query<'a>(
    accounts: Accounts<'_>,
    filter: &'a UserFilter,
) -> users::BoxedQuery<'a, MultiBackend> {
    let mut q = users::table.into_boxed::<MultiBackend>();
    if let Some(p) = accounts() {
        q = q.filter(p);
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", crate::db::escape_like(text));
        q = q.filter(
            users::name
                .like(pattern.clone())
                .escape('\\')
                .or(users::email.like(pattern.to_lowercase()).escape('\\')),
        );
    }
    if let Some(role) = filter.role {
        q = q.filter(users::role.eq(role));
    }
    if let Some(e) = filter.enterprise_id {
        q = q.filter(users::enterprise_id.eq(e));
    }
    if let Some(active) = filter.active {
        q = q.filter(users::active.eq(active));
    }
    q
}

/// One page of the accounts a caller may see, and how many there are in all. The scope is a
/// subquery, so it holds for any number of enterprises.
pub fn list(
    conn: &mut AnyConnection,
    accounts: Accounts<'_>,
    filter: &UserFilter,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<UserRow>, i64)> {
    let total: i64 = accounts_query(accounts, filter)
        .select(diesel::dsl::count_star())
        .first(conn)?;
    let rows = accounts_query(accounts, filter)
        .order(users::id.asc())
        .limit(limit)
        .offset(offset)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The names of the given users.
pub fn names(conn: &mut AnyConnection, ids: &[UserId]) -> AppResult<HashMap<UserId, String>> {
    let rows: Vec<(UserId, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// A user's enterprise, name, email and phone.
pub type Contact = (Option<EnterpriseId>, String, String, String);

/// Name, email and phone of every user of the given enterprises (what could identify their
/// people).
pub fn contacts_at(
    conn: &mut AnyConnection,
    enterprises: &[EnterpriseId],
) -> AppResult<Vec<Contact>> {
    Ok(users::table
        .filter(users::enterprise_id.eq_any(enterprises))
        .select((
            users::enterprise_id,
            users::name,
            users::email,
            users::phone,
        ))
        .load(conn)?)
}
