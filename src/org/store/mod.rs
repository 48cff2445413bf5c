//! Queries for regions, industries, enterprises, alliances and memberships. What a caller sees
//! comes from the access policy as a [`Visibility`]; this module says how its tables meet one.

mod alliances;

pub use alliances::*;

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::access::{Area, Columns, Predicate, Visibility};
use crate::api::PageRequest;
use crate::db::schema::{enterprises, industries, memberships, regions};
use crate::db::types::now;
use crate::db::{always, escape_like, AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::org::model::*;

/// How enterprises meet a [`Visibility`]: by their region and industry, by id, and by current
/// membership of an alliance.
pub struct EnterpriseColumns;

impl Columns<enterprises::table> for EnterpriseColumns {
    fn in_area(&self, area: &Area) -> Predicate<enterprises::table> {
        let mut p: Predicate<enterprises::table> = always();
        if let Some(regions) = &area.regions {
            p = Box::new(p.and(enterprises::region_id.eq_any(regions.clone())));
        }
        if let Some(industry) = area.industry {
            p = Box::new(p.and(enterprises::industry_id.eq(industry)));
        }
        p
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<enterprises::table> {
        Box::new(enterprises::id.eq_any(ids))
    }

    fn belongs_to(&self, alliances: Vec<AllianceId>) -> Predicate<enterprises::table> {
        Box::new(
            enterprises::id.eq_any(
                memberships::table
                    .filter(memberships::alliance_id.eq_any(alliances))
                    .filter(memberships::left_on.is_null())
                    .select(memberships::enterprise_id),
            ),
        )
    }
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
    Ok(crate::access::subtree(&all, root))
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

/// The registered enterprises of the given credit codes, by code (in chunks, for an import's
/// thousands).
pub fn enterprises_by_code(
    conn: &mut AnyConnection,
    codes: &[String],
) -> AppResult<HashMap<String, EnterpriseRow>> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<EnterpriseRow> = enterprises::table
            .filter(enterprises::credit_code.eq_any(chunk))
            .select(EnterpriseRow::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|r| (r.credit_code.clone(), r)));
    }
    Ok(out)
}

fn enterprise_query<'a>(
    visible: &Visibility,
    query: &'a EnterpriseQuery,
    region_ids: Option<Vec<RegionId>>,
) -> enterprises::BoxedQuery<'a, MultiBackend> {
    let mut q = enterprises::table.into_boxed();
    if let Some(p) = visible.filter(&EnterpriseColumns) {
        q = q.filter(p);
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
    if let Some(alliance) = query.alliance_id {
        q = q.filter(
            enterprises::id.eq_any(
                memberships::table
                    .filter(memberships::alliance_id.eq(alliance))
                    .filter(memberships::left_on.is_null())
                    .select(memberships::enterprise_id),
            ),
        );
    }
    let members = || {
        memberships::table
            .filter(memberships::left_on.is_null())
            .select(memberships::enterprise_id)
    };
    match query.in_alliance {
        Some(true) => q = q.filter(enterprises::id.eq_any(members())),
        Some(false) => q = q.filter(enterprises::id.ne_all(members())),
        None => {}
    }
    q
}

pub fn list_enterprises(
    conn: &mut AnyConnection,
    visible: &Visibility,
    query: &EnterpriseQuery,
    page: PageRequest,
) -> AppResult<(Vec<EnterpriseRow>, i64)> {
    let region_ids = match query.region_id {
        Some(root) => Some(region_subtree(conn, root)?),
        None => None,
    };
    let total: i64 = enterprise_query(visible, query, region_ids.clone())
        .select(count_star())
        .first(conn)?;
    let q = enterprise_query(visible, query, region_ids);
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
    // A move to another street or industry moves the enterprise's hazards (a trigger rewrites
    // their place), and oversight's counters with them, in this transaction.
    let moving = patch.region_id.is_some() || patch.industry_id.is_some();
    if moving {
        crate::oversight::figures::enterprise_moving(conn, id)?;
    }
    let row = diesel::update(enterprises::table.find(id))
        .set(&changes)
        .returning(enterprises::all_columns)
        .get_result(conn)?;
    if moving {
        crate::oversight::figures::enterprise_moved(conn, id)?;
    }
    Ok(row)
}

/// The current alliances of each of the given enterprises (for deciding sight over a page).
pub fn alliances_of(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<HashMap<EnterpriseId, Vec<AllianceId>>> {
    let rows: Vec<(EnterpriseId, AllianceId)> = memberships::table
        .filter(memberships::enterprise_id.eq_any(ids))
        .filter(memberships::left_on.is_null())
        .select((memberships::enterprise_id, memberships::alliance_id))
        .load(conn)?;
    let mut out: HashMap<EnterpriseId, Vec<AllianceId>> = HashMap::new();
    for (e, a) in rows {
        out.entry(e).or_default().push(a);
    }
    Ok(out)
}

/// The given enterprises.
pub fn enterprises_by_id(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<Vec<EnterpriseRow>> {
    Ok(enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select(EnterpriseRow::as_select())
        .load(conn)?)
}

/// Names of the given enterprises (any number of ids, repeats included: asked in chunks that
/// stay under every backend's limit of bound parameters).
pub fn enterprise_names(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<HashMap<EnterpriseId, String>> {
    let mut unique = ids.to_vec();
    unique.sort();
    unique.dedup();
    let mut names = HashMap::with_capacity(unique.len());
    for chunk in unique.chunks(1000) {
        let rows: Vec<(EnterpriseId, String)> = enterprises::table
            .filter(enterprises::id.eq_any(chunk))
            .select((enterprises::id, enterprises::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}
