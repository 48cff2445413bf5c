//! User management use cases, shared by the API and the pages.

use chrono::{DateTime, FixedOffset};
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::access::{Policy, Scope};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::auth::user::{is_plausible_email, normalize_email};
use crate::auth::{password, session, user, Role, UserId, UserRow};
use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use crate::db::schema::{expert_assignments, users};
use crate::db::types::{local, now};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::{AppError, AppResult, Validator};
use crate::org::store as org;

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

/// A newly created user; `generated_password` is present, once, when no password was given.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: User,
    pub generated_password: Option<String>,
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
    /// At least 10 characters; generated and returned once when absent.
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

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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

fn assignments(conn: &mut AnyConnection, user: UserId) -> AppResult<Vec<AllianceId>> {
    Ok(expert_assignments::table
        .filter(expert_assignments::user_id.eq(user))
        .order(expert_assignments::alliance_id)
        .select(expert_assignments::alliance_id)
        .load(conn)?)
}

fn view(conn: &mut AnyConnection, row: UserRow) -> AppResult<User> {
    let alliance_ids = if row.role == Role::Expert {
        assignments(conn, row.id)?
    } else {
        Vec::new()
    };
    Ok(User {
        id: row.id,
        email: row.email,
        name: row.name,
        phone: row.phone,
        role: row.role,
        region_id: row.region_id,
        industry_id: row.industry_id,
        enterprise_id: row.enterprise_id,
        alliance_ids,
        active: row.active,
        created_at: local(row.created_at),
    })
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    query: &UserQuery,
) -> AppResult<Paginated<User>> {
    let page = PageRequest::new(query.page, query.per_page)?;
    // Which accounts the caller may see: all (admin), the users of enterprises in scope plus
    // itself (regulator), or itself.
    let visible_enterprises = match &policy.scope {
        Scope::All => None,
        Scope::Regulator { .. } => {
            let filter = policy.enterprise_filter(conn)?;
            Some(org::enterprise_ids(conn, &filter)?)
        }
        _ => Some(Vec::new()),
    };
    let me = policy.actor.id;
    let build = || {
        let mut q = users::table.into_boxed::<MultiBackend>();
        if let Some(ids) = &visible_enterprises {
            q = q.filter(
                users::id.eq(me).or(users::role
                    .eq(Role::Enterprise)
                    .and(users::enterprise_id.eq_any(ids.clone()))),
            );
        }
        if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", org::escape_like(text));
            q = q.filter(
                users::name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(users::email.like(pattern.to_lowercase()).escape('\\')),
            );
        }
        if let Some(role) = query.role {
            q = q.filter(users::role.eq(role));
        }
        if let Some(e) = query.enterprise_id {
            q = q.filter(users::enterprise_id.eq(e));
        }
        if let Some(active) = query.active {
            q = q.filter(users::active.eq(active));
        }
        q
    };
    let total: i64 = build().select(count_star()).first(conn)?;
    let rows: Vec<UserRow> = build()
        .order(users::id.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(UserRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|r| view(conn, r))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(page.wrap(items, total))
}

fn visible(conn: &mut AnyConnection, policy: &Policy, id: UserId) -> AppResult<UserRow> {
    let row = user::find(conn, id)?.ok_or(AppError::NotFound)?;
    if policy.may_see_user(conn, &row)? {
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
            v.check(region.is_none(), "region_id", "must be empty for this role");
            v.check(
                industry.is_none(),
                "industry_id",
                "must be empty for this role",
            );
            v.check(
                enterprise.is_none(),
                "enterprise_id",
                "must be empty for this role",
            );
        }
        Role::Regulator => {
            v.check(
                region.is_some() || industry.is_some(),
                "region_id",
                "a regulator needs a region (district or street) or an industry",
            );
            v.check(
                enterprise.is_none(),
                "enterprise_id",
                "must be empty for a regulator",
            );
        }
        Role::Enterprise => {
            v.check(
                enterprise.is_some(),
                "enterprise_id",
                "an enterprise user needs an enterprise",
            );
            v.check(
                region.is_none(),
                "region_id",
                "must be empty for an enterprise user",
            );
            v.check(
                industry.is_none(),
                "industry_id",
                "must be empty for an enterprise user",
            );
        }
    }
    if let Some(region) = region {
        v.check(
            org::region(conn, region)?.is_some(),
            "region_id",
            "no such region",
        );
    }
    if let Some(industry) = industry {
        v.check(
            org::industry(conn, industry)?.is_some(),
            "industry_id",
            "no such industry",
        );
    }
    if let Some(enterprise) = enterprise {
        v.check(
            org::enterprise(conn, enterprise)?.is_some(),
            "enterprise_id",
            "no such enterprise",
        );
    }
    if new.role != Role::Expert {
        v.check(
            new.alliance_ids.is_empty(),
            "alliance_ids",
            "only experts are assigned to alliances",
        );
    }
    for id in &new.alliance_ids {
        if org::alliance(conn, *id)?.is_none() {
            v.add("alliance_ids", format!("no such alliance: {id}"));
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

    fn hash(self) -> AppResult<String> {
        self.hash
            .ok_or_else(|| AppError::internal("a rejected password reached the write"))
    }
}

/// Prepares a password on the bounded password-hashing pool.
pub async fn prepare_password(given: Option<String>) -> AppResult<PreparedPassword> {
    crate::limits::PASSWORD_HASHING
        .run(move || PreparedPassword::new(given.as_deref()))
        .await?
}

/// Creates a user with a password prepared beforehand ([`prepare_password`]).
pub fn create(
    conn: &mut AnyConnection,
    policy: Option<&Policy>,
    mut new: NewUser,
    password: PreparedPassword,
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
            Some(e) => policy.may_create_user_for(conn, e)?,
            None => true, // reported as missing below
        };
        if !in_scope {
            return Err(AppError::field(
                "enterprise_id",
                "no such enterprise in your scope",
            ));
        }
    }
    let mut v = Validator::new();
    v.check(
        is_plausible_email(&new.email),
        "email",
        "is not a valid email address",
    );
    v.text("name", &new.name, 100);
    v.max_len("phone", &new.phone, 40);
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
    let generated = password.generated.clone();
    let hash = password.hash()?;
    let now = now();
    let row: UserRow = diesel::insert_into(users::table)
        .values((
            users::email.eq(&new.email),
            users::name.eq(new.name.trim()),
            users::phone.eq(new.phone.trim()),
            users::password_hash.eq(hash),
            users::role.eq(new.role),
            users::region_id.eq(new.region_id),
            users::industry_id.eq(new.industry_id),
            users::enterprise_id.eq(new.enterprise_id),
            users::active.eq(true),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
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
    Ok(CreatedUser {
        user: view(conn, row)?,
        generated_password: generated,
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
    if !policy.may_manage_user(conn, &current)? {
        return Err(AppError::Forbidden(
            "You may not change this account.".into(),
        ));
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, 100);
    }
    if let Some(phone) = &patch.phone {
        v.max_len("phone", phone, 40);
    }
    if let Some(pw) = &patch.password {
        if let Err(message) = password::check_strength(pw) {
            v.add("password", message);
        }
    }
    if is_self && patch.active == Some(false) {
        v.add("active", "you cannot deactivate your own account");
    }
    if let Some(ids) = &patch.alliance_ids {
        v.check(
            current.role == Role::Expert,
            "alliance_ids",
            "only experts are assigned to alliances",
        );
        v.check(
            policy.is_admin(),
            "alliance_ids",
            "only admins assign experts",
        );
        for a in ids {
            if org::alliance(conn, *a)?.is_none() {
                v.add("alliance_ids", format!("no such alliance: {a}"));
            }
        }
    }
    v.finish()?;
    let hash = match (&patch.password, reset) {
        (Some(_), Some(prepared)) => Some(prepared.hash()?),
        (Some(_), None) => return Err(AppError::internal("a password reset was not prepared")),
        (None, _) => None,
    };
    let row: UserRow = diesel::update(users::table.find(id))
        .set((
            patch.name.as_deref().map(|n| users::name.eq(n.trim())),
            patch.phone.as_deref().map(|p| users::phone.eq(p.trim())),
            patch.active.map(|a| users::active.eq(a)),
            hash.map(|h| users::password_hash.eq(h)),
            users::updated_at.eq(now()),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
    if let Some(ids) = &patch.alliance_ids {
        set_assignments(conn, id, ids)?;
    }
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
