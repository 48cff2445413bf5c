//! Alliances and their memberships.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::access::{Area, Columns, Predicate, Visibility};
use crate::api::PageRequest;
use crate::db::schema::{alliances, enterprises, memberships};
use crate::db::types::now;
use crate::db::{always, escape_like, AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::org::model::*;
use crate::org::store::{region_subtree, EnterpriseColumns};

/// How alliances meet a [`Visibility`]: an area holds an alliance of its regions that is of its
/// industry or has a current member in it; an enterprise takes part in its alliances.
pub struct AllianceColumns;

impl Columns<alliances::table> for AllianceColumns {
    fn in_area(&self, area: &Area) -> Predicate<alliances::table> {
        let mut p: Predicate<alliances::table> = always();
        if let Some(regions) = &area.regions {
            p = Box::new(p.and(alliances::region_id.eq_any(regions.clone())));
        }
        if let Some(industry) = area.industry {
            let touching = memberships::table
                .inner_join(enterprises::table)
                .filter(enterprises::industry_id.eq(industry))
                .filter(memberships::left_on.is_null())
                .select(memberships::alliance_id);
            p = Box::new(
                p.and(
                    alliances::industry_id
                        .eq(industry)
                        .assume_not_null()
                        .or(alliances::id.eq_any(touching)),
                ),
            );
        }
        p
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<alliances::table> {
        Box::new(
            alliances::id.eq_any(
                memberships::table
                    .filter(memberships::enterprise_id.eq_any(ids))
                    .filter(memberships::left_on.is_null())
                    .select(memberships::alliance_id),
            ),
        )
    }

    fn belongs_to(&self, ids: Vec<AllianceId>) -> Predicate<alliances::table> {
        Box::new(alliances::id.eq_any(ids))
    }
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
    visible: &Visibility,
    query: &AllianceQuery,
    page: PageRequest,
) -> AppResult<(Vec<AllianceRow>, i64)> {
    let region_ids = match query.region_id {
        Some(root) => Some(region_subtree(conn, root)?),
        None => None,
    };
    let build = || {
        let mut q = alliances::table.into_boxed::<MultiBackend>();
        if let Some(p) = visible.filter(&AllianceColumns) {
            q = q.filter(p);
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
        if let Some(e) = query.enterprise_id {
            q = q.filter(AllianceColumns.involves(vec![e]));
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

/// The current members of an alliance.
pub fn alliance_members(
    conn: &mut AnyConnection,
    alliance: AllianceId,
) -> AppResult<Vec<EnterpriseId>> {
    Ok(memberships::table
        .filter(memberships::alliance_id.eq(alliance))
        .filter(memberships::left_on.is_null())
        .order(memberships::enterprise_id.asc())
        .select(memberships::enterprise_id)
        .load(conn)?)
}

/// The enterprises that were members of an alliance on `day` (joined by then, not yet left).
pub fn alliance_members_on(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    day: chrono::NaiveDate,
) -> AppResult<Vec<EnterpriseId>> {
    Ok(memberships::table
        .filter(memberships::alliance_id.eq(alliance))
        .filter(memberships::joined_on.le(day))
        .filter(
            memberships::left_on
                .is_null()
                .or(memberships::left_on.gt(day)),
        )
        .order(memberships::enterprise_id.asc())
        .select(memberships::enterprise_id)
        .distinct()
        .load(conn)?)
}

/// The current members of an alliance, as a set (for membership checks).
pub fn alliance_member_set(
    conn: &mut AnyConnection,
    alliance: AllianceId,
) -> AppResult<std::collections::HashSet<EnterpriseId>> {
    Ok(alliance_members(conn, alliance)?.into_iter().collect())
}

/// The ids of every alliance.
pub fn all_alliance_ids(conn: &mut AnyConnection) -> AppResult<Vec<AllianceId>> {
    Ok(alliances::table
        .order(alliances::id.asc())
        .select(alliances::id)
        .load(conn)?)
}

/// The ids of the alliances `visible` lets through (`None`: every alliance).
pub fn visible_alliance_ids(
    conn: &mut AnyConnection,
    visible: &Visibility,
) -> AppResult<Option<Vec<AllianceId>>> {
    let Some(p) = visible.filter(&AllianceColumns) else {
        return Ok(None);
    };
    Ok(Some(
        alliances::table
            .filter(p)
            .select(alliances::id)
            .load(conn)?,
    ))
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

/// Current members with their names, the lead first and then by name, narrowed to the
/// enterprises `visible` lets through (a regulator scoped by industry sees only its industry's
/// members).
pub fn members(
    conn: &mut AnyConnection,
    alliance: &AllianceRow,
    visible: &Visibility,
    page: PageRequest,
) -> AppResult<(Vec<Member>, i64)> {
    let id = alliance.id;
    let base = || {
        let mut q = enterprises::table
            .filter(
                enterprises::id.eq_any(
                    memberships::table
                        .filter(memberships::alliance_id.eq(id))
                        .filter(memberships::left_on.is_null())
                        .select(memberships::enterprise_id),
                ),
            )
            .into_boxed::<MultiBackend>();
        if let Some(p) = visible.filter(&EnterpriseColumns) {
            q = q.filter(p);
        }
        q
    };
    let total: i64 = base().select(count_star()).first(conn)?;
    let rows: Vec<(EnterpriseId, String)> = base()
        .order((
            enterprises::id.eq(alliance.lead_enterprise_id).desc(),
            enterprises::name.asc(),
            enterprises::id.asc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select((enterprises::id, enterprises::name))
        .load(conn)?;
    let ids: Vec<EnterpriseId> = rows.iter().map(|(e, _)| *e).collect();
    let joined: HashMap<EnterpriseId, (MemberRole, NaiveDate)> = memberships::table
        .filter(memberships::alliance_id.eq(id))
        .filter(memberships::left_on.is_null())
        .filter(memberships::enterprise_id.eq_any(&ids))
        .select((
            memberships::enterprise_id,
            (memberships::role, memberships::joined_on),
        ))
        .load::<(EnterpriseId, (MemberRole, NaiveDate))>(conn)?
        .into_iter()
        .collect();
    let items = rows
        .into_iter()
        .filter_map(|(enterprise_id, enterprise_name)| {
            let (role, joined_on) = *joined.get(&enterprise_id)?;
            Some(Member {
                enterprise_id,
                enterprise_name,
                role,
                joined_on,
            })
        })
        .collect();
    Ok((items, total))
}

/// The industries an alliance covers: its own and those of its current members.
pub fn alliance_industries(
    conn: &mut AnyConnection,
    alliance: &AllianceRow,
) -> AppResult<Vec<IndustryId>> {
    let mut out: Vec<IndustryId> = memberships::table
        .inner_join(enterprises::table)
        .filter(memberships::alliance_id.eq(alliance.id))
        .filter(memberships::left_on.is_null())
        .select(enterprises::industry_id)
        .distinct()
        .load(conn)?;
    out.extend(alliance.industry_id);
    Ok(out)
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

/// The level of each of the given alliances.
pub fn alliance_levels(
    conn: &mut AnyConnection,
    ids: &[AllianceId],
) -> AppResult<Vec<(AllianceId, AllianceLevel)>> {
    Ok(alliances::table
        .filter(alliances::id.eq_any(ids))
        .select((alliances::id, alliances::level))
        .load(conn)?)
}
