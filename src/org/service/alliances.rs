//! Alliance use cases: found, rename, appoint the lead, add and remove members.

use serde_json::json;

use crate::access::{Place, Policy, Sight};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
use crate::org::model::*;
use crate::org::service::enterprise_place;
use crate::org::store;

/// Where an alliance is: its region, its industries (its own and its members'), itself.
pub fn alliance_place(conn: &mut AnyConnection, row: &AllianceRow) -> AppResult<Place> {
    Ok(Place {
        region: row.region_id,
        industries: store::alliance_industries(conn, row)?,
        enterprises: Vec::new(),
        alliances: vec![row.id],
    })
}

/// Loads an alliance the caller may see, or 404.
pub fn visible_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<AllianceRow> {
    let row = store::alliance(conn, id)?.ok_or(AppError::NotFound)?;
    if policy
        .alliances_visible()
        .admits(&alliance_place(conn, &row)?)
    {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

fn alliance_views(conn: &mut AnyConnection, rows: Vec<AllianceRow>) -> AppResult<Vec<Alliance>> {
    let ids: Vec<AllianceId> = rows.iter().map(|r| r.id).collect();
    let counts = store::member_counts(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts.get(&r.id).copied().unwrap_or(0);
            Alliance::from_row(r, n)
        })
        .collect())
}

pub fn list_alliances(
    conn: &mut AnyConnection,
    policy: &Policy,
    query: &AllianceQuery,
) -> AppResult<Paginated<Alliance>> {
    let page = PageRequest::new(query.page, query.per_page)?;
    let (rows, total) = store::list_alliances(conn, &policy.alliances_visible(), query, page)?;
    Ok(page.wrap(alliance_views(conn, rows)?, total))
}

pub fn get_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<Alliance> {
    let row = visible_alliance(conn, policy, id)?;
    Ok(alliance_views(conn, vec![row])?.remove(0))
}

fn check_alliance_fields(
    conn: &mut AnyConnection,
    v: &mut Validator,
    name: Option<&str>,
    region: Option<RegionId>,
    industry: Option<IndustryId>,
) -> AppResult<()> {
    if let Some(name) = name {
        v.text("name", name, max::ALLIANCE_NAME);
    }
    if let Some(region) = region {
        v.check(
            store::region(conn, region)?.is_some(),
            "region_id",
            msg::NO_SUCH_REGION,
        );
    }
    if let Some(industry) = industry {
        v.check(
            store::industry(conn, industry)?.is_some(),
            "industry_id",
            msg::NO_SUCH_INDUSTRY,
        );
    }
    Ok(())
}

/// The lead must be an enterprise the caller may see in full.
fn check_lead(
    conn: &mut AnyConnection,
    policy: &Policy,
    v: &mut Validator,
    lead: EnterpriseId,
) -> AppResult<()> {
    let visible = match store::enterprise(conn, lead)? {
        Some(row) => policy.sight(&enterprise_place(conn, &row)?) == Sight::Full,
        None => false,
    };
    v.check(visible, "lead_enterprise_id", msg::ENTERPRISE_OUT_OF_SCOPE);
    Ok(())
}

pub fn create_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewAlliance,
) -> AppResult<Alliance> {
    policy.require_authority("found alliances")?;
    let mut v = Validator::new();
    check_alliance_fields(
        conn,
        &mut v,
        Some(&new.name),
        Some(new.region_id),
        new.industry_id,
    )?;
    if let Some(region) = store::region(conn, new.region_id)? {
        let fits = matches!(
            (new.level, region.level),
            (AllianceLevel::District, RegionLevel::District)
                | (AllianceLevel::Street, RegionLevel::Street)
                | (AllianceLevel::Zone, RegionLevel::Zone)
        );
        v.check(fits, "region_id", msg::REGION_LEVEL);
    }
    v.finish()?;
    policy.require_manage_alliance(new.region_id, new.industry_id)?;
    let mut v = Validator::new();
    check_lead(conn, policy, &mut v, new.lead_enterprise_id)?;
    v.finish()?;
    let founded_on = new.founded_on.unwrap_or_else(today);
    let row = store::insert_alliance(conn, &new, founded_on)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "create",
        "alliance",
        Some(row.id.0),
        json!({
            "name": row.name, "level": row.level, "region_id": row.region_id,
            "industry_id": row.industry_id, "lead_enterprise_id": row.lead_enterprise_id,
            "founded_on": row.founded_on,
        }),
    )?;
    Ok(Alliance::from_row(row, 1))
}

/// An alliance the caller may manage: 404 if it may not see it, 403 if it may only look.
fn manageable_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<AllianceRow> {
    let alliance = visible_alliance(conn, policy, id)?;
    policy.require_manage_alliance(alliance.region_id, alliance.industry_id)?;
    Ok(alliance)
}

/// Adds the enterprise with this credit code (as a page form names it) to an alliance.
pub fn add_member_by_credit_code(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    code: &str,
) -> AppResult<Member> {
    manageable_alliance(conn, policy, id)?;
    // A name does as well as a code on the page.
    let enterprise_id = super::find_enterprise(conn, policy, "credit_code", code)?;
    add_member(
        conn,
        policy,
        id,
        NewMember {
            enterprise_id,
            joined_on: None,
        },
    )
}

pub fn update_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    patch: AlliancePatch,
) -> AppResult<Alliance> {
    let current = manageable_alliance(conn, policy, id)?;
    let mut v = Validator::new();
    check_alliance_fields(conn, &mut v, patch.name.as_deref(), None, None)?;
    if let Some(lead) = patch.lead_enterprise_id {
        check_lead(conn, policy, &mut v, lead)?;
    }
    v.finish()?;
    let row = store::update_alliance(conn, &current, &patch, today())?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "update",
        "alliance",
        Some(id.0),
        json!({
            "name": patch.name, "lead_enterprise_id": patch.lead_enterprise_id,
            "founded_on": patch.founded_on,
            "previous_lead_enterprise_id": current.lead_enterprise_id,
        }),
    )?;
    Ok(alliance_views(conn, vec![row])?.remove(0))
}

pub fn list_members(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    page: PageRequest,
) -> AppResult<Paginated<Member>> {
    let alliance = visible_alliance(conn, policy, id)?;
    let (items, total) = store::members(conn, &alliance, &policy.enterprises_visible(), page)?;
    Ok(page.wrap(items, total))
}

pub fn add_member(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    new: NewMember,
) -> AppResult<Member> {
    manageable_alliance(conn, policy, id)?;
    let enterprise = match store::enterprise(conn, new.enterprise_id)? {
        Some(row) if policy.sight(&enterprise_place(conn, &row)?) == Sight::Full => row,
        _ => {
            return Err(AppError::field(
                "enterprise_id",
                msg::ENTERPRISE_OUT_OF_SCOPE,
            ))
        }
    };
    if store::membership(conn, id, enterprise.id)?.is_some() {
        return Err(AppError::conflict(
            "already-member",
            "The enterprise is already a member of this alliance.",
        ));
    }
    let joined_on = new.joined_on.unwrap_or_else(today);
    let row = store::add_member(conn, id, enterprise.id, MemberRole::Member, joined_on)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "add_member",
        "alliance",
        Some(id.0),
        json!({ "enterprise_id": enterprise.id, "joined_on": joined_on }),
    )?;
    Ok(Member {
        enterprise_id: enterprise.id,
        enterprise_name: enterprise.name,
        role: row.role,
        joined_on: row.joined_on,
    })
}

pub fn remove_member(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    enterprise: EnterpriseId,
) -> AppResult<()> {
    manageable_alliance(conn, policy, id)?;
    let membership = store::membership(conn, id, enterprise)?.ok_or(AppError::NotFound)?;
    if membership.role == MemberRole::Lead {
        return Err(AppError::conflict(
            "lead-cannot-leave",
            "The lead enterprise cannot be removed; appoint another lead first.",
        ));
    }
    let left_on = today();
    store::end_membership(conn, membership.id, left_on)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "remove_member",
        "alliance",
        Some(id.0),
        json!({ "enterprise_id": enterprise, "left_on": left_on }),
    )?;
    Ok(())
}
