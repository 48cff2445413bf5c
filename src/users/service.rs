//! User management use cases, shared by the API and the pages.

use diesel::prelude::*;
use serde_json::json;

use std::collections::HashMap;

use crate::message::msg;
pub use crate::users::model::*;

use crate::access::{Area, Columns, Place, Policy, Predicate};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::auth::user::{is_plausible_email, normalize_email};
use crate::auth::user::{NewUserRow, UserChanges, UserFilter};
use crate::auth::{password, session, user, Role, UserId, UserRow};
use crate::db::ids::{AllianceId, EnterpriseId};
use crate::db::schema::{enterprises, expert_assignments, memberships, users};
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::limits::PasswordHashing;
use crate::org::service as org_service;
use crate::org::store as org;
use crate::users::invitations;

/// The alliances each of the given experts is assigned to.
fn assignments(
    conn: &mut AnyConnection,
    experts: &[UserId],
) -> AppResult<HashMap<UserId, Vec<AllianceId>>> {
    let rows: Vec<(UserId, AllianceId)> = expert_assignments::table
        .filter(expert_assignments::user_id.eq_any(experts))
        .order(expert_assignments::alliance_id)
        .select((expert_assignments::user_id, expert_assignments::alliance_id))
        .load(conn)?;
    let mut out: HashMap<UserId, Vec<AllianceId>> = HashMap::new();
    for (user, alliance) in rows {
        out.entry(user).or_default().push(alliance);
    }
    Ok(out)
}

/// The API view of a page of accounts (one query for all the experts' assignments).
fn views(conn: &mut AnyConnection, rows: Vec<UserRow>) -> AppResult<Vec<User>> {
    let experts: Vec<UserId> = rows
        .iter()
        .filter(|r| r.role == Role::Expert)
        .map(|r| r.id)
        .collect();
    let mut assigned = assignments(conn, &experts)?;
    Ok(rows
        .into_iter()
        .map(|row| User {
            alliance_ids: assigned.remove(&row.id).unwrap_or_default(),
            id: row.id,
            email: row.email,
            name: row.name,
            phone: row.phone,
            role: row.role,
            region_id: row.region_id,
            industry_id: row.industry_id,
            enterprise_id: row.enterprise_id,
            active: row.active,
            created_at: local(row.created_at),
        })
        .collect())
}

fn view(conn: &mut AnyConnection, row: UserRow) -> AppResult<User> {
    Ok(views(conn, vec![row])?.remove(0))
}

/// How accounts meet a visibility: through their enterprise (enterprise users only).
struct UserColumns;

impl Columns<users::table> for UserColumns {
    fn in_area(&self, area: &Area) -> Predicate<users::table> {
        let mut p: Predicate<users::table> = Box::new(users::role.eq(Role::Enterprise));
        if let Some(regions) = &area.regions {
            let there = enterprises::table
                .filter(enterprises::region_id.eq_any(regions.clone()))
                .select(enterprises::id.nullable());
            p = Box::new(p.and(users::enterprise_id.eq_any(there).assume_not_null()));
        }
        if let Some(industry) = area.industry {
            let of_industry = enterprises::table
                .filter(enterprises::industry_id.eq(industry))
                .select(enterprises::id.nullable());
            p = Box::new(p.and(users::enterprise_id.eq_any(of_industry).assume_not_null()));
        }
        p
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<users::table> {
        Box::new(users::enterprise_id.eq_any(ids).assume_not_null())
    }

    fn belongs_to(&self, ids: Vec<AllianceId>) -> Predicate<users::table> {
        let members = memberships::table
            .filter(memberships::alliance_id.eq_any(ids))
            .filter(memberships::left_on.is_null())
            .select(memberships::enterprise_id.nullable());
        Box::new(users::enterprise_id.eq_any(members).assume_not_null())
    }
}

/// Whose accounts the caller sees: its own, and those it manages (see
/// [`Policy::users_managed`]); `None` for all.
fn accounts(policy: &Policy) -> Option<Predicate<users::table>> {
    let managed = policy.users_managed().filter(&UserColumns)?;
    Some(Box::new(users::id.eq(policy.actor.id).or(managed)))
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    query: &UserQuery,
) -> AppResult<Paginated<User>> {
    let page = PageRequest::new(query.page, query.per_page)?;
    let filter = UserFilter {
        text: query.q.clone(),
        role: query.role,
        enterprise_id: query.enterprise_id,
        active: query.active,
    };
    let (rows, total) = user::list(
        conn,
        &|| accounts(policy),
        &filter,
        page.per_page,
        page.offset(),
    )?;
    Ok(page.wrap(views(conn, rows)?, total))
}

/// Where a user's enterprise is, for an enterprise user.
fn enterprise_place(conn: &mut AnyConnection, row: &UserRow) -> AppResult<Option<Place>> {
    match row.enterprise_id {
        Some(e) => match org::enterprise(conn, e)? {
            Some(enterprise) => Ok(Some(org_service::enterprise_place(conn, &enterprise)?)),
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// May the caller edit, deactivate or reset this account?
pub fn may_manage(conn: &mut AnyConnection, policy: &Policy, row: &UserRow) -> AppResult<bool> {
    if policy.users_managed().is_everything() {
        return Ok(true);
    }
    let place = enterprise_place(conn, row)?;
    Ok(policy.may_manage_user(row.role, place.as_ref()))
}

/// An account the caller may see (its own, or one it manages), or 404.
fn visible(conn: &mut AnyConnection, policy: &Policy, id: UserId) -> AppResult<UserRow> {
    let row = user::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.id == policy.actor.id || may_manage(conn, policy, &row)? {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn get(conn: &mut AnyConnection, policy: &Policy, id: UserId) -> AppResult<User> {
    let row = visible(conn, policy, id)?;
    view(conn, row)
}

/// Checks that the scope columns fit the role, naming the wrong field.
fn check_scope(conn: &mut AnyConnection, v: &mut Validator, new: &NewUser) -> AppResult<()> {
    let (region, industry, enterprise) = (new.region_id, new.industry_id, new.enterprise_id);
    match new.role {
        Role::Admin | Role::Expert => {
            v.check(region.is_none(), "region_id", msg::EMPTY_FOR_ROLE);
            v.check(industry.is_none(), "industry_id", msg::EMPTY_FOR_ROLE);
            v.check(enterprise.is_none(), "enterprise_id", msg::EMPTY_FOR_ROLE);
        }
        Role::Regulator => {
            v.check(
                region.is_some() || industry.is_some(),
                "region_id",
                msg::REGULATOR_NEEDS_AREA,
            );
            v.check(
                enterprise.is_none(),
                "enterprise_id",
                msg::EMPTY_FOR_REGULATOR,
            );
        }
        Role::Enterprise => {
            v.check(enterprise.is_some(), "enterprise_id", msg::NEEDS_ENTERPRISE);
            v.check(
                region.is_none(),
                "region_id",
                msg::EMPTY_FOR_ENTERPRISE_USER,
            );
            v.check(
                industry.is_none(),
                "industry_id",
                msg::EMPTY_FOR_ENTERPRISE_USER,
            );
        }
    }
    if let Some(region) = region {
        v.check(
            org::region(conn, region)?.is_some(),
            "region_id",
            msg::NO_SUCH_REGION,
        );
    }
    if let Some(industry) = industry {
        v.check(
            org::industry(conn, industry)?.is_some(),
            "industry_id",
            msg::NO_SUCH_INDUSTRY,
        );
    }
    if let Some(enterprise) = enterprise {
        v.check(
            org::enterprise(conn, enterprise)?.is_some(),
            "enterprise_id",
            msg::NO_SUCH_ENTERPRISE,
        );
    }
    if new.role != Role::Expert {
        v.check(
            new.alliance_ids.is_empty(),
            "alliance_ids",
            msg::ONLY_EXPERTS_ASSIGNED,
        );
    }
    for id in &new.alliance_ids {
        if org::alliance(conn, *id)?.is_none() {
            v.add("alliance_ids", msg::NO_SUCH_ALLIANCE.with("id", id));
        }
    }
    Ok(())
}

fn set_assignments(
    conn: &mut AnyConnection,
    user: UserId,
    alliances: &[AllianceId],
) -> AppResult<()> {
    diesel::delete(expert_assignments::table.filter(expert_assignments::user_id.eq(user)))
        .execute(conn)?;
    let mut ids = alliances.to_vec();
    ids.sort();
    ids.dedup();
    for a in ids {
        diesel::insert_into(expert_assignments::table)
            .values((
                expert_assignments::user_id.eq(user),
                expert_assignments::alliance_id.eq(a),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A password hashed before the write transaction begins: argon2 takes tens of milliseconds, and
/// SQLite has one writer at a time.
pub struct PreparedPassword {
    /// `None` when the given password is too weak; the write then reports it with the other
    /// fields and stores nothing.
    hash: Option<String>,
    /// The generated password, shown once, when none was given.
    generated: Option<String>,
}

impl PreparedPassword {
    /// Hashes `given`, or a generated password when there is none (blocking: call it off the
    /// async workers, e.g. through [`prepare_password`]).
    pub fn new(given: Option<&str>) -> AppResult<Self> {
        Ok(match given {
            Some(pw) if password::check_strength(pw).is_err() => Self {
                hash: None,
                generated: None,
            },
            Some(pw) => Self {
                hash: Some(password::hash(pw)?),
                generated: None,
            },
            None => {
                let pw = password::generate();
                Self {
                    hash: Some(password::hash(&pw)?),
                    generated: Some(pw),
                }
            }
        })
    }

    /// The generated password (none when one was given).
    pub fn generated(&self) -> Option<&str> {
        self.generated.as_deref()
    }

    /// The hash (of a password that passed the strength check).
    pub fn into_hash(self) -> AppResult<String> {
        self.hash
            .ok_or_else(|| AppError::internal("a rejected password reached the write"))
    }
}

/// Prepares a password on the bounded password-hashing pool.
pub async fn prepare_password(
    hashing: &PasswordHashing,
    given: Option<String>,
) -> AppResult<PreparedPassword> {
    hashing
        .run(move || PreparedPassword::new(given.as_deref()))
        .await?
}

/// Creates a user with a password prepared beforehand ([`prepare_password`]). Without a given
/// password the account gets an invitation link instead (its stored password is a random one
/// nobody knows).
pub fn create(
    conn: &mut AnyConnection,
    policy: Option<&Policy>,
    mut new: NewUser,
    password: PreparedPassword,
    links: invitations::Links,
) -> AppResult<CreatedUser> {
    new.email = normalize_email(&new.email);
    // Who may create what comes first, so that the answers do not tell an outsider which
    // enterprises or alliances exist: a regulator creates enterprise users only, and an
    // enterprise outside its scope reads as no enterprise at all.
    if let Some(policy) = policy.filter(|p| !p.is_admin()) {
        if !policy.is_regulator() || new.role != Role::Enterprise {
            return Err(AppError::Forbidden(
                "You may create only users of enterprises in your scope.".into(),
            ));
        }
        let in_scope = match new.enterprise_id {
            Some(e) => match org::enterprise(conn, e)? {
                Some(row) => policy.may_manage_enterprise(row.region_id, row.industry_id),
                None => false,
            },
            None => true, // reported as missing below
        };
        if !in_scope {
            return Err(AppError::field(
                "enterprise_id",
                msg::ENTERPRISE_OUT_OF_SCOPE,
            ));
        }
    }
    let mut v = Validator::new();
    v.check(is_plausible_email(&new.email), "email", msg::BAD_EMAIL);
    v.text("name", &new.name, max::NAME);
    v.max_len("phone", &new.phone, max::PHONE);
    if let Some(pw) = &new.password {
        if let Err(message) = password::check_strength(pw) {
            v.add("password", message);
        }
    }
    check_scope(conn, &mut v, &new)?;
    v.finish()?;
    if user::find_by_email(conn, &new.email)?.is_some() {
        return Err(AppError::conflict(
            "duplicate-email",
            "A user with this email exists.",
        ));
    }
    let invite = password.generated.is_some();
    let hash = password.into_hash()?;
    let row = user::insert(
        conn,
        NewUserRow {
            email: &new.email,
            name: &new.name,
            phone: &new.phone,
            password_hash: &hash,
            role: new.role,
            region_id: new.region_id,
            industry_id: new.industry_id,
            enterprise_id: new.enterprise_id,
        },
    )?;
    if new.role == Role::Expert {
        set_assignments(conn, row.id, &new.alliance_ids)?;
    }
    audit::record(
        conn,
        policy.map(|p| p.actor.id),
        "create",
        "user",
        Some(row.id.0),
        json!({
            "email": row.email, "role": row.role, "region_id": row.region_id,
            "industry_id": row.industry_id, "enterprise_id": row.enterprise_id,
            "alliance_ids": new.alliance_ids,
        }),
    )?;
    let invitation = if invite {
        let actor = policy.map(|p| p.actor.id);
        Some(invitations::issue(
            conn,
            links,
            actor,
            row.id,
            invitations::Purpose::Invite,
            None,
        )?)
    } else {
        None
    };
    Ok(CreatedUser {
        user: view(conn, row)?,
        generated_password: None,
        invitation,
    })
}

/// Updates a user; a password reset in `patch` comes hashed in `reset` ([`prepare_password`]).
pub fn update(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: UserId,
    patch: UserPatch,
    reset: Option<PreparedPassword>,
) -> AppResult<User> {
    let current = visible(conn, policy, id)?;
    let is_self = current.id == policy.actor.id;
    if !may_manage(conn, policy, &current)? {
        return Err(AppError::Forbidden(
            "You may not change this account.".into(),
        ));
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, max::NAME);
    }
    if let Some(phone) = &patch.phone {
        v.max_len("phone", phone, max::PHONE);
    }
    if let Some(pw) = &patch.password {
        if let Err(message) = password::check_strength(pw) {
            v.add("password", message);
        }
    }
    if is_self && patch.active == Some(false) {
        v.add("active", msg::DEACTIVATE_SELF);
    }
    if let Some(ids) = &patch.alliance_ids {
        v.check(
            current.role == Role::Expert,
            "alliance_ids",
            msg::ONLY_EXPERTS_ASSIGNED,
        );
        v.check(policy.is_admin(), "alliance_ids", msg::ONLY_ADMINS_ASSIGN);
        for a in ids {
            if org::alliance(conn, *a)?.is_none() {
                v.add("alliance_ids", msg::NO_SUCH_ALLIANCE.with("id", a));
            }
        }
    }
    v.finish()?;
    let hash = match (&patch.password, reset) {
        (Some(_), Some(prepared)) => Some(prepared.into_hash()?),
        (Some(_), None) => return Err(AppError::internal("a password reset was not prepared")),
        (None, _) => None,
    };
    let row = user::update(
        conn,
        id,
        UserChanges {
            name: patch.name.as_deref(),
            phone: patch.phone.as_deref(),
            active: patch.active,
            password_hash: hash.as_deref(),
        },
    )?;
    if let Some(ids) = &patch.alliance_ids {
        set_assignments(conn, id, ids)?;
    }
    invitations::account_changed(conn, &current, patch.active, patch.password.is_some())?;
    if patch.active == Some(false) || patch.password.is_some() {
        session::revoke_all(conn, id)?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "update",
        "user",
        Some(id.0),
        json!({
            "name": patch.name, "phone": patch.phone, "active": patch.active,
            "password_reset": patch.password.is_some(), "alliance_ids": patch.alliance_ids,
        }),
    )?;
    view(conn, row)
}
