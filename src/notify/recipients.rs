//! Who is told: the people of an enterprise, the regulators over a place.

use diesel::prelude::*;

use crate::auth::Role;
use crate::db::ids::{EnterpriseId, IndustryId, RegionId, UserId};
use crate::db::schema::{regions, users};
use crate::db::AnyConnection;
use crate::error::AppResult;

/// The active accounts of an enterprise.
pub fn enterprise_users(
    conn: &mut AnyConnection,
    enterprise: EnterpriseId,
) -> AppResult<Vec<UserId>> {
    Ok(users::table
        .filter(users::role.eq(Role::Enterprise))
        .filter(users::enterprise_id.eq(enterprise))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)?)
}

/// Those of `ids` whose accounts are active.
pub fn active(conn: &mut AnyConnection, ids: &[UserId]) -> AppResult<Vec<UserId>> {
    Ok(users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .filter(users::active.eq(true))
        .select(users::id)
        .load(conn)?)
}

/// `region` and the regions above it, nearest first.
pub fn regions_up_from(conn: &mut AnyConnection, region: RegionId) -> AppResult<Vec<RegionId>> {
    let tree: Vec<(RegionId, Option<RegionId>)> = regions::table
        .select((regions::id, regions::parent_id))
        .load(conn)?;
    let mut above = vec![region];
    let mut at = region;
    while let Some(parent) = tree.iter().find(|(id, _)| *id == at).and_then(|(_, p)| *p) {
        if above.contains(&parent) {
            break;
        }
        above.push(parent);
        at = parent;
    }
    Ok(above)
}

/// The active regulators whose area covers a place: their region is the place's region or one
/// above it (or they have none), and their industry is the place's (or they have none); a
/// regulator with neither oversees nothing, as in the access policy.
pub fn regulators_over(
    conn: &mut AnyConnection,
    region: RegionId,
    industry: IndustryId,
) -> AppResult<Vec<UserId>> {
    let above = regions_up_from(conn, region)?;
    let candidates: Vec<(UserId, Option<RegionId>, Option<IndustryId>)> = users::table
        .filter(users::role.eq(Role::Regulator))
        .filter(users::active.eq(true))
        .select((users::id, users::region_id, users::industry_id))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .filter(|(_, r, i)| {
            (r.is_some() || i.is_some())
                && r.is_none_or(|r| above.contains(&r))
                && i.is_none_or(|i| i == industry)
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// The active regulators, and the people of every alliance's lead enterprise (the readers of
/// the monthly bulletin).
pub fn regulators_and_leads(conn: &mut AnyConnection) -> AppResult<Vec<UserId>> {
    use crate::db::schema::alliances;
    let leads: Vec<EnterpriseId> = alliances::table
        .select(alliances::lead_enterprise_id)
        .distinct()
        .load(conn)?;
    Ok(users::table
        .filter(users::active.eq(true))
        .filter(
            users::role.eq(Role::Regulator).or(users::role
                .eq(Role::Enterprise)
                .and(users::enterprise_id.eq_any(leads))),
        )
        .select(users::id)
        .load(conn)?)
}
