//! Queries for regions, industries, enterprises, alliances and memberships. Scope filters come
//! from the access policy ([`crate::access`]) as plain id sets; this module only applies them.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{alliances, enterprises, industries, memberships, regions};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::org::model::*;

/// Restrictions on which enterprises a list may show; every `Some` narrows it.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    pub regions: Option<Vec<RegionId>>,
    pub industry: Option<IndustryId>,
    pub ids: Option<Vec<EnterpriseId>>,
}

/// Restrictions on which alliances a list may show; every `Some` narrows it.
#[derive(Debug, Clone, Default)]
pub struct AllianceFilter {
    pub regions: Option<Vec<RegionId>>,
    pub ids: Option<Vec<AllianceId>>,
}

// ---- regions and industries -------------------------------------------------------------

pub fn regions(conn: &mut AnyConnection) -> AppResult<Vec<Region>> {
    Ok(regions::table
        .order(regions::id)
        .select(Region::as_select())
        .load(conn)?)
}

pub fn region(conn: &mut AnyConnection, id: RegionId) -> AppResult<Option<Region>> {
    Ok(regions::table
        .find(id)
        .select(Region::as_select())
        .first(conn)
        .optional()?)
}

/// `root` and every region below it.
pub fn region_subtree(conn: &mut AnyConnection, root: RegionId) -> AppResult<Vec<RegionId>> {
    let all: Vec<(RegionId, Option<RegionId>)> = regions::table
        .select((regions::id, regions::parent_id))
        .load(conn)?;
    let mut children: HashMap<RegionId, Vec<RegionId>> = HashMap::new();
    for (id, parent) in &all {
        if let Some(parent) = parent {
            children.entry(*parent).or_default().push(*id);
        }
    }
    let mut out = Vec::new();
    if all.iter().any(|(id, _)| *id == root) {
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            out.push(id);
            stack.extend(children.get(&id).into_iter().flatten().copied());
        }
    }
    Ok(out)
}

pub fn industries(conn: &mut AnyConnection) -> AppResult<Vec<Industry>> {
    Ok(industries::table
        .order(industries::id)
        .select(Industry::as_select())
        .load(conn)?)
}

pub fn industry(conn: &mut AnyConnection, id: IndustryId) -> AppResult<Option<Industry>> {
    Ok(industries::table
        .find(id)
        .select(Industry::as_select())
        .first(conn)
        .optional()?)
}

// ---- enterprises ------------------------------------------------------------------------

pub fn enterprise(conn: &mut AnyConnection, id: EnterpriseId) -> AppResult<Option<EnterpriseRow>> {
    Ok(enterprises::table
        .find(id)
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn enterprise_by_credit_code(
    conn: &mut AnyConnection,
    code: &str,
) -> AppResult<Option<EnterpriseRow>> {
    Ok(enterprises::table
        .filter(enterprises::credit_code.eq(code))
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?)
}

fn enterprise_query<'a>(
    filter: &'a EnterpriseFilter,
    query: &'a EnterpriseQuery,
    region_ids: Option<Vec<RegionId>>,
    alliance_members: Option<Vec<EnterpriseId>>,
) -> enterprises::BoxedQuery<'a, MultiBackend> {
    let mut q = enterprises::table.into_boxed();
    if let Some(regions) = &filter.regions {
        q = q.filter(enterprises::region_id.eq_any(regions.clone()));
    }
    if let Some(industry) = filter.industry {
        q = q.filter(enterprises::industry_id.eq(industry));
    }
    if let Some(ids) = &filter.ids {
        q = q.filter(enterprises::id.eq_any(ids.clone()));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q = q.filter(
            enterprises::name
                .like(pattern.clone())
                .escape('\\')
                .or(enterprises::credit_code.like(pattern).escape('\\')),
        );
    }
    if let Some(ids) = region_ids {
        q = q.filter(enterprises::region_id.eq_any(ids));
    }
    if let Some(industry) = query.industry_id {
        q = q.filter(enterprises::industry_id.eq(industry));
    }
    if let Some(scale) = query.scale {
        q = q.filter(enterprises::scale.eq(scale));
    }
    if let Some(ids) = alliance_members {
        q = q.filter(enterprises::id.eq_any(ids));
    }
    q
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn list_enterprises(
    conn: &mut AnyConnection,
    filter: &EnterpriseFilter,
    query: &EnterpriseQuery,
    page: PageRequest,
) -> AppResult<(Vec<EnterpriseRow>, i64)> {
    let region_ids = match query.region_id {
        Some(root) => Some(region_subtree(conn, root)?),
        None => None,
    };
    let members = match query.alliance_id {
        Some(alliance) => Some(current_member_ids(conn, alliance)?),
        None => None,
    };
    let total: i64 = enterprise_query(filter, query, region_ids.clone(), members.clone())
        .select(count_star())
        .first(conn)?;
    let q = enterprise_query(filter, query, region_ids, members);
    let q = match query.sort.as_deref().unwrap_or("id") {
        "name" => q.order((enterprises::name.asc(), enterprises::id.asc())),
        "-name" => q.order((enterprises::name.desc(), enterprises::id.asc())),
        "created_at" => q.order((enterprises::created_at.asc(), enterprises::id.asc())),
        "-created_at" => q.order((enterprises::created_at.desc(), enterprises::id.desc())),
        "-id" => q.order(enterprises::id.desc()),
        _ => q.order(enterprises::id.asc()),
    };
    let rows = q
        .limit(page.per_page)
        .offset(page.offset())
        .select(EnterpriseRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn insert_enterprise(
    conn: &mut AnyConnection,
    new: &NewEnterprise,
) -> AppResult<EnterpriseRow> {
    let now = now();
    Ok(diesel::insert_into(enterprises::table)
        .values((
            enterprises::name.eq(new.name.trim()),
            enterprises::credit_code.eq(&new.credit_code),
            enterprises::region_id.eq(new.region_id),
            enterprises::industry_id.eq(new.industry_id),
            enterprises::scale.eq(new.scale),
            enterprises::address.eq(new.address.trim()),
            enterprises::contact_name.eq(new.contact_name.trim()),
            enterprises::contact_phone.eq(new.contact_phone.trim()),
            enterprises::created_at.eq(now),
            enterprises::updated_at.eq(now),
        ))
        .returning(enterprises::all_columns)
        .get_result(conn)?)
}

#[derive(AsChangeset)]
#[diesel(table_name = enterprises)]
struct EnterpriseChanges<'a> {
    name: Option<&'a str>,
    credit_code: Option<&'a str>,
    region_id: Option<RegionId>,
    industry_id: Option<IndustryId>,
    scale: Option<Scale>,
    address: Option<&'a str>,
    contact_name: Option<&'a str>,
    contact_phone: Option<&'a str>,
    updated_at: chrono::NaiveDateTime,
}

pub fn update_enterprise(
    conn: &mut AnyConnection,
    id: EnterpriseId,
    patch: &EnterprisePatch,
) -> AppResult<EnterpriseRow> {
    let changes = EnterpriseChanges {
        name: patch.name.as_deref().map(str::trim),
        credit_code: patch.credit_code.as_deref(),
        region_id: patch.region_id,
        industry_id: patch.industry_id,
        scale: patch.scale,
        address: patch.address.as_deref().map(str::trim),
        contact_name: patch.contact_name.as_deref().map(str::trim),
        contact_phone: patch.contact_phone.as_deref().map(str::trim),
        updated_at: now(),
    };
    Ok(diesel::update(enterprises::table.find(id))
        .set(&changes)
        .returning(enterprises::all_columns)
        .get_result(conn)?)
}

/// The ids of every enterprise the filter lets through.
pub fn enterprise_ids(
    conn: &mut AnyConnection,
    filter: &EnterpriseFilter,
) -> AppResult<Vec<EnterpriseId>> {
    let query = EnterpriseQuery::default();
    Ok(enterprise_query(filter, &query, None, None)
        .select(enterprises::id)
        .load(conn)?)
}

// ---- alliances and memberships ----------------------------------------------------------

pub fn alliance(conn: &mut AnyConnection, id: AllianceId) -> AppResult<Option<AllianceRow>> {
    Ok(alliances::table
        .find(id)
        .select(AllianceRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn list_alliances(
    conn: &mut AnyConnection,
    filter: &AllianceFilter,
    query: &AllianceQuery,
    page: PageRequest,
) -> AppResult<(Vec<AllianceRow>, i64)> {
    let region_ids = match query.region_id {
        Some(root) => Some(region_subtree(conn, root)?),
        None => None,
    };
    let of_enterprise = match query.enterprise_id {
        Some(e) => Some(current_alliance_ids(conn, e)?),
        None => None,
    };
    let build = || {
        let mut q = alliances::table.into_boxed::<MultiBackend>();
        if let Some(regions) = &filter.regions {
            q = q.filter(alliances::region_id.eq_any(regions.clone()));
        }
        if let Some(ids) = &filter.ids {
            q = q.filter(alliances::id.eq_any(ids.clone()));
        }
        if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            q = q.filter(
                alliances::name
                    .like(format!("%{}%", escape_like(text)))
                    .escape('\\'),
            );
        }
        if let Some(level) = query.level {
            q = q.filter(alliances::level.eq(level));
        }
        if let Some(ids) = &region_ids {
            q = q.filter(alliances::region_id.eq_any(ids.clone()));
        }
        if let Some(industry) = query.industry_id {
            q = q.filter(alliances::industry_id.eq(industry));
        }
        if let Some(ids) = &of_enterprise {
            q = q.filter(alliances::id.eq_any(ids.clone()));
        }
        q
    };
    let total: i64 = build().select(count_star()).first(conn)?;
    let rows = build()
        .order(alliances::id.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(AllianceRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Current member counts of the given alliances.
pub fn member_counts(
    conn: &mut AnyConnection,
    ids: &[AllianceId],
) -> AppResult<HashMap<AllianceId, i64>> {
    let rows: Vec<(AllianceId, i64)> = memberships::table
        .filter(memberships::alliance_id.eq_any(ids))
        .filter(memberships::left_on.is_null())
        .group_by(memberships::alliance_id)
        .select((memberships::alliance_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

pub fn insert_alliance(
    conn: &mut AnyConnection,
    new: &NewAlliance,
    founded_on: NaiveDate,
) -> AppResult<AllianceRow> {
    let now = now();
    let row: AllianceRow = diesel::insert_into(alliances::table)
        .values((
            alliances::name.eq(new.name.trim()),
            alliances::level.eq(new.level),
            alliances::region_id.eq(new.region_id),
            alliances::industry_id.eq(new.industry_id),
            alliances::lead_enterprise_id.eq(new.lead_enterprise_id),
            alliances::founded_on.eq(founded_on),
            alliances::created_at.eq(now),
            alliances::updated_at.eq(now),
        ))
        .returning(alliances::all_columns)
        .get_result(conn)?;
    add_member(
        conn,
        row.id,
        new.lead_enterprise_id,
        MemberRole::Lead,
        founded_on,
    )?;
    Ok(row)
}

/// Renames, re-dates or appoints a new lead. A new lead that is not yet a member joins; the
/// former lead stays on as a member.
pub fn update_alliance(
    conn: &mut AnyConnection,
    current: &AllianceRow,
    patch: &AlliancePatch,
    today: NaiveDate,
) -> AppResult<AllianceRow> {
    if let Some(new_lead) = patch
        .lead_enterprise_id
        .filter(|l| *l != current.lead_enterprise_id)
    {
        set_member_role(
            conn,
            current.id,
            current.lead_enterprise_id,
            MemberRole::Member,
        )?;
        if membership(conn, current.id, new_lead)?.is_some() {
            set_member_role(conn, current.id, new_lead, MemberRole::Lead)?;
        } else {
            add_member(conn, current.id, new_lead, MemberRole::Lead, today)?;
        }
    }
    Ok(diesel::update(alliances::table.find(current.id))
        .set((
            patch.name.as_deref().map(|n| alliances::name.eq(n.trim())),
            patch
                .lead_enterprise_id
                .map(|l| alliances::lead_enterprise_id.eq(l)),
            patch.founded_on.map(|d| alliances::founded_on.eq(d)),
            alliances::updated_at.eq(now()),
        ))
        .returning(alliances::all_columns)
        .get_result(conn)?)
}

/// The current membership of an enterprise in an alliance.
pub fn membership(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    enterprise: EnterpriseId,
) -> AppResult<Option<MembershipRow>> {
    Ok(memberships::table
        .filter(memberships::alliance_id.eq(alliance))
        .filter(memberships::enterprise_id.eq(enterprise))
        .filter(memberships::left_on.is_null())
        .select(MembershipRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn add_member(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    enterprise: EnterpriseId,
    role: MemberRole,
    joined_on: NaiveDate,
) -> AppResult<MembershipRow> {
    Ok(diesel::insert_into(memberships::table)
        .values((
            memberships::alliance_id.eq(alliance),
            memberships::enterprise_id.eq(enterprise),
            memberships::role.eq(role),
            memberships::joined_on.eq(joined_on),
        ))
        .returning(memberships::all_columns)
        .get_result(conn)?)
}

fn set_member_role(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    enterprise: EnterpriseId,
    role: MemberRole,
) -> AppResult<()> {
    diesel::update(memberships::table)
        .filter(memberships::alliance_id.eq(alliance))
        .filter(memberships::enterprise_id.eq(enterprise))
        .filter(memberships::left_on.is_null())
        .set(memberships::role.eq(role))
        .execute(conn)?;
    Ok(())
}

/// Ends a membership (kept as history with its end date).
pub fn end_membership(conn: &mut AnyConnection, id: i64, left_on: NaiveDate) -> AppResult<()> {
    diesel::update(memberships::table.find(id))
        .set(memberships::left_on.eq(left_on))
        .execute(conn)?;
    Ok(())
}

/// Current members with their names, lead first, narrowed to the enterprises `visible` lets
/// through (a regulator scoped by industry sees only its industry's members).
pub fn members(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    visible: &EnterpriseFilter,
    page: PageRequest,
) -> AppResult<(Vec<Member>, i64)> {
    let base = || {
        let mut q = memberships::table
            .inner_join(enterprises::table)
            .filter(memberships::alliance_id.eq(alliance))
            .filter(memberships::left_on.is_null())
            .into_boxed::<MultiBackend>();
        if let Some(regions) = &visible.regions {
            q = q.filter(enterprises::region_id.eq_any(regions.clone()));
        }
        if let Some(industry) = visible.industry {
            q = q.filter(enterprises::industry_id.eq(industry));
        }
        if let Some(ids) = &visible.ids {
            q = q.filter(enterprises::id.eq_any(ids.clone()));
        }
        q
    };
    let total: i64 = base().select(count_star()).first(conn)?;
    let rows: Vec<(EnterpriseId, String, MemberRole, NaiveDate)> = base()
        .order((memberships::role.asc(), enterprises::name.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            memberships::enterprise_id,
            enterprises::name,
            memberships::role,
            memberships::joined_on,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(enterprise_id, enterprise_name, role, joined_on)| Member {
            enterprise_id,
            enterprise_name,
            role,
            joined_on,
        })
        .collect();
    Ok((items, total))
}

pub fn current_member_ids(
    conn: &mut AnyConnection,
    alliance: AllianceId,
) -> AppResult<Vec<EnterpriseId>> {
    Ok(memberships::table
        .filter(memberships::alliance_id.eq(alliance))
        .filter(memberships::left_on.is_null())
        .select(memberships::enterprise_id)
        .load(conn)?)
}

/// Current members of any of the given alliances.
pub fn members_of_any(
    conn: &mut AnyConnection,
    alliances: &[AllianceId],
) -> AppResult<Vec<EnterpriseId>> {
    Ok(memberships::table
        .filter(memberships::alliance_id.eq_any(alliances))
        .filter(memberships::left_on.is_null())
        .select(memberships::enterprise_id)
        .distinct()
        .load(conn)?)
}

/// The alliances an enterprise currently belongs to, with its role in each.
pub fn memberships_of(
    conn: &mut AnyConnection,
    enterprise: EnterpriseId,
) -> AppResult<Vec<(AllianceId, MemberRole)>> {
    Ok(memberships::table
        .filter(memberships::enterprise_id.eq(enterprise))
        .filter(memberships::left_on.is_null())
        .select((memberships::alliance_id, memberships::role))
        .load(conn)?)
}

pub fn current_alliance_ids(
    conn: &mut AnyConnection,
    enterprise: EnterpriseId,
) -> AppResult<Vec<AllianceId>> {
    Ok(memberships_of(conn, enterprise)?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// Alliances of an industry: those registered for it, and those with a current member in it.
pub fn alliances_touching_industry(
    conn: &mut AnyConnection,
    industry: IndustryId,
) -> AppResult<Vec<AllianceId>> {
    let mut ids: Vec<AllianceId> = alliances::table
        .filter(alliances::industry_id.eq(industry))
        .select(alliances::id)
        .load(conn)?;
    let via_members: Vec<AllianceId> = memberships::table
        .inner_join(enterprises::table)
        .filter(enterprises::industry_id.eq(industry))
        .filter(memberships::left_on.is_null())
        .select(memberships::alliance_id)
        .distinct()
        .load(conn)?;
    ids.extend(via_members);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Names of the given enterprises.
pub fn enterprise_names(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<HashMap<EnterpriseId, String>> {
    let rows: Vec<(EnterpriseId, String)> = enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
