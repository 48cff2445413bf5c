//! Keeping the registry current: admins manage the district's streets and zones and its
//! industries (with their supervising departments); those who manage an enterprise record that
//! it closed (its users can no longer log in, its memberships end, its findings and history
//! stay, visible to regulators) or that it operates again.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::audit;
use crate::auth::{session, UserId};
use crate::db::schema::{alliances, enterprises, industries, invitations, regions, users};
use crate::db::types::{now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::org::model::*;
use crate::org::{service, store};

/// The longest names and codes of regions and industries.
const NAME_MAX: usize = 100;
const CODE_MAX: usize = 40;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegion {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// Letters, digits, `-` and `_` (an administrative division code, e.g. 370115005).
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: String,
    /// `street` (街道/镇) or `zone` (功能区); the district itself exists once.
    pub level: RegionLevel,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RegionPatch {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIndustry {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: String,
    /// The supervising department (行业主管部门), e.g. 区住建局.
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub department: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct IndustryPatch {
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Za-z0-9_-]+$")]
    pub code: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub department: Option<String>,
}

/// Recording that an enterprise closed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Deactivation {
    /// The day it closed (default today; not in the future).
    #[serde(deserialize_with = "crate::db::types::sane_date")]
    pub closed_on: Option<NaiveDate>,
}

fn require_admin(policy: &Policy) -> AppResult<()> {
    if policy.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only administrators keep the streets, zones and industries.".into(),
        ))
    }
}

fn check_code(v: &mut Validator, field: &str, code: &str) {
    if code.trim().is_empty() {
        v.add(field, msg::REQUIRED);
    } else {
        v.max_len(field, code, CODE_MAX);
        v.check(
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            field,
            msg::REGISTRY_CODE,
        );
    }
}

/// Whether another row (not `except`) has this name or code: names and codes are compared
/// with each other too, codes without case, as an import matches them.
fn clashes<'a>(
    others: impl Iterator<Item = (i64, &'a str, &'a str)>,
    except: Option<i64>,
    name: &str,
    code: &str,
) -> bool {
    others
        .filter(|(id, _, _)| Some(*id) != except)
        .any(|(_, n, c)| {
            n == name || n == code || c.eq_ignore_ascii_case(code) || c.eq_ignore_ascii_case(name)
        })
}

fn taken(what: &str) -> AppError {
    AppError::conflict(
        "duplicate-name-or-code",
        format!("Another {what} has this name or code."),
    )
}

pub fn create_region(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewRegion,
) -> AppResult<Region> {
    require_admin(policy)?;
    let mut v = Validator::new();
    v.text("name", &new.name, NAME_MAX);
    check_code(&mut v, "code", &new.code);
    v.check(
        new.level != RegionLevel::District,
        "level",
        msg::REGISTRY_LEVEL,
    );
    v.finish()?;
    let district: Option<RegionId> = regions::table
        .filter(regions::level.eq(RegionLevel::District))
        .order(regions::id)
        .select(regions::id)
        .first(conn)
        .optional()?;
    let (name, code) = (new.name.trim(), new.code.trim());
    let all = store::regions(conn)?;
    if clashes(
        all.iter()
            .map(|r| (r.id.0, r.name.as_str(), r.code.as_str())),
        None,
        name,
        code,
    ) {
        return Err(taken("region"));
    }
    let row: Region = diesel::insert_into(regions::table)
        .values((
            regions::parent_id.eq(district),
            regions::level.eq(new.level),
            regions::name.eq(name),
            regions::code.eq(code),
        ))
        .returning(regions::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "create",
        "region",
        Some(row.id.0),
        json!({"name": row.name, "code": row.code, "level": row.level}),
    )?;
    Ok(row)
}

pub fn update_region(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: RegionId,
    patch: RegionPatch,
) -> AppResult<Region> {
    require_admin(policy)?;
    let current = store::region(conn, id)?.ok_or(AppError::NotFound)?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, NAME_MAX);
    }
    if let Some(code) = &patch.code {
        check_code(&mut v, "code", code);
    }
    v.finish()?;
    let name = patch
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.name)
        .to_string();
    let code = patch
        .code
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.code)
        .to_string();
    let all = store::regions(conn)?;
    if clashes(
        all.iter()
            .map(|r| (r.id.0, r.name.as_str(), r.code.as_str())),
        Some(id.0),
        &name,
        &code,
    ) {
        return Err(taken("region"));
    }
    let row: Region = diesel::update(regions::table.find(id))
        .set((regions::name.eq(&name), regions::code.eq(&code)))
        .returning(regions::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "update",
        "region",
        Some(id.0),
        json!({"name": patch.name, "code": patch.code,
               "previous_name": current.name, "previous_code": current.code}),
    )?;
    Ok(row)
}

pub fn create_industry(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewIndustry,
) -> AppResult<Industry> {
    require_admin(policy)?;
    let mut v = Validator::new();
    v.text("name", &new.name, NAME_MAX);
    check_code(&mut v, "code", &new.code);
    v.text("department", &new.department, NAME_MAX);
    v.finish()?;
    let (name, code) = (new.name.trim(), new.code.trim());
    let all = store::industries(conn)?;
    if clashes(
        all.iter()
            .map(|i| (i.id.0, i.name.as_str(), i.code.as_str())),
        None,
        name,
        code,
    ) {
        return Err(taken("industry"));
    }
    let row: Industry = diesel::insert_into(industries::table)
        .values((
            industries::code.eq(code),
            industries::name.eq(name),
            industries::department.eq(new.department.trim()),
        ))
        .returning(industries::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "create",
        "industry",
        Some(row.id.0),
        json!({"name": row.name, "code": row.code, "department": row.department}),
    )?;
    Ok(row)
}

pub fn update_industry(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: IndustryId,
    patch: IndustryPatch,
) -> AppResult<Industry> {
    require_admin(policy)?;
    let current = store::industry(conn, id)?.ok_or(AppError::NotFound)?;
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, NAME_MAX);
    }
    if let Some(code) = &patch.code {
        check_code(&mut v, "code", code);
    }
    if let Some(department) = &patch.department {
        v.text("department", department, NAME_MAX);
    }
    v.finish()?;
    let name = patch
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.name)
        .to_string();
    let code = patch
        .code
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.code)
        .to_string();
    let department = patch
        .department
        .as_deref()
        .map(str::trim)
        .unwrap_or(&current.department)
        .to_string();
    let all = store::industries(conn)?;
    if clashes(
        all.iter()
            .map(|i| (i.id.0, i.name.as_str(), i.code.as_str())),
        Some(id.0),
        &name,
        &code,
    ) {
        return Err(taken("industry"));
    }
    let row: Industry = diesel::update(industries::table.find(id))
        .set((
            industries::name.eq(&name),
            industries::code.eq(&code),
            industries::department.eq(&department),
        ))
        .returning(industries::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "update",
        "industry",
        Some(id.0),
        json!({"name": patch.name, "code": patch.code, "department": patch.department,
               "previous_name": current.name}),
    )?;
    Ok(row)
}

/// Records that an enterprise closed: its users are deactivated (sessions ended, pending links
/// withdrawn), its memberships end that day; a lead must hand its alliance over first.
pub fn deactivate(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
    body: Deactivation,
) -> AppResult<Enterprise> {
    let (row, _) = service::visible_enterprise(conn, policy, id)?;
    policy.require_place_enterprise(row.region_id, row.industry_id)?;
    let day = body.closed_on.unwrap_or_else(today);
    if day > today() {
        return Err(AppError::field("closed_on", msg::NOT_IN_FUTURE));
    }
    if row.closed_on.is_some() {
        return Err(AppError::conflict(
            "enterprise-closed",
            "This enterprise is closed already.",
        ));
    }
    let led: Vec<String> = alliances::table
        .filter(alliances::lead_enterprise_id.eq(id))
        .select(alliances::name)
        .load(conn)?;
    if !led.is_empty() {
        return Err(AppError::conflict(
            "lead-of-alliance",
            format!(
                "This enterprise leads {}: appoint another lead first.",
                led.join(", ")
            ),
        ));
    }
    // A membership that began after the day given (a late record) ends the day it began.
    let ended = diesel::sql_query(
        "UPDATE memberships SET left_on = CASE WHEN joined_on > $1 THEN joined_on ELSE $1 END \
         WHERE enterprise_id = $2 AND left_on IS NULL",
    )
    .bind::<diesel::sql_types::Date, _>(day)
    .bind::<diesel::sql_types::BigInt, _>(id.0)
    .execute(conn)?;
    let people: Vec<UserId> = users::table
        .filter(users::enterprise_id.eq(id))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)?;
    let at = now();
    diesel::update(users::table.filter(users::id.eq_any(&people)))
        .set((users::active.eq(false), users::updated_at.eq(at)))
        .execute(conn)?;
    for person in &people {
        session::revoke_all(conn, *person)?;
    }
    diesel::update(
        invitations::table
            .filter(invitations::user_id.eq_any(&people))
            .filter(invitations::used_at.is_null())
            .filter(invitations::revoked_at.is_null()),
    )
    .set(invitations::revoked_at.eq(at))
    .execute(conn)?;
    let row: EnterpriseRow = diesel::update(enterprises::table.find(id))
        .set((
            enterprises::closed_on.eq(day),
            enterprises::updated_at.eq(at),
        ))
        .returning(enterprises::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "deactivate",
        "enterprise",
        Some(id.0),
        json!({"closed_on": day, "memberships_ended": ended, "users_deactivated": people}),
    )?;
    Ok(Enterprise::from_row(row, true))
}

/// Records that a closed enterprise operates again. Its people and memberships stay as they
/// are: those who manage them reactivate accounts and add it to alliances again.
pub fn reactivate(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
) -> AppResult<Enterprise> {
    let (row, _) = service::visible_enterprise(conn, policy, id)?;
    policy.require_place_enterprise(row.region_id, row.industry_id)?;
    let Some(closed_on) = row.closed_on else {
        return Err(AppError::conflict(
            "enterprise-open",
            "This enterprise operates; there is nothing to reactivate.",
        ));
    };
    let row: EnterpriseRow = diesel::update(enterprises::table.find(id))
        .set((
            enterprises::closed_on.eq(None::<NaiveDate>),
            enterprises::updated_at.eq(now()),
        ))
        .returning(enterprises::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "reactivate",
        "enterprise",
        Some(id.0),
        json!({"was_closed_on": closed_on}),
    )?;
    Ok(Enterprise::from_row(row, true))
}
