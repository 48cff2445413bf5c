//! Organization use cases: validate → authorize → change in the caller's transaction with its
//! audit entry. Called by both the JSON API and the pages.

use serde_json::json;

use crate::access::{Policy, Sight};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::org::credit_code;
use crate::org::model::*;
use crate::org::store;

fn valid_phone(phone: &str) -> bool {
    phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
}

/// Checks the fields present in `f` (a patch, or a new enterprise seen as a full patch).
fn check_enterprise_fields(
    conn: &mut AnyConnection,
    v: &mut Validator,
    f: &EnterprisePatch,
) -> AppResult<()> {
    if let Some(name) = &f.name {
        v.text("name", name, 200);
    }
    if let Some(code) = &f.credit_code {
        if let Err(message) = credit_code::validate(code) {
            v.add("credit_code", message);
        }
    }
    if let Some(region) = f.region_id {
        v.check(
            store::region(conn, region)?.is_some(),
            "region_id",
            "no such region",
        );
    }
    if let Some(industry) = f.industry_id {
        v.check(
            store::industry(conn, industry)?.is_some(),
            "industry_id",
            "no such industry",
        );
    }
    if let Some(address) = &f.address {
        v.max_len("address", address, 300);
    }
    if let Some(contact) = &f.contact_name {
        v.max_len("contact_name", contact, 100);
    }
    if let Some(phone) = &f.contact_phone {
        v.max_len("contact_phone", phone, 40);
        v.check(
            valid_phone(phone),
            "contact_phone",
            "may contain only digits, spaces and + - ( )",
        );
    }
    Ok(())
}

pub fn list_enterprises(
    conn: &mut AnyConnection,
    policy: &Policy,
    query: &EnterpriseQuery,
) -> AppResult<Paginated<Enterprise>> {
    let page = PageRequest::new(query.page, query.per_page)?;
    if let Some(sort) = &query.sort {
        let known = ["name", "-name", "id", "-id", "created_at", "-created_at"];
        if !known.contains(&sort.as_str()) {
            return Err(AppError::field(
                "sort",
                format!("must be one of {}", known.join(", ")),
            ));
        }
    }
    let filter = policy.enterprise_filter(conn)?;
    let (rows, total) = store::list_enterprises(conn, &filter, query, page)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let sight = policy.enterprise_sight(conn, &row)?;
        items.push(Enterprise::from_row(row, sight == Sight::Full));
    }
    Ok(page.wrap(items, total))
}

pub fn get_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
) -> AppResult<Enterprise> {
    let (row, sight) = policy.visible_enterprise(conn, id)?;
    Ok(Enterprise::from_row(row, sight == Sight::Full))
}

pub fn create_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    mut new: NewEnterprise,
) -> AppResult<Enterprise> {
    if !policy.is_authority() {
        return Err(AppError::Forbidden(
            "Only regulators register enterprises.".into(),
        ));
    }
    new.credit_code = credit_code::normalize(&new.credit_code);
    let mut v = Validator::new();
    let fields = EnterprisePatch {
        name: Some(new.name.clone()),
        credit_code: Some(new.credit_code.clone()),
        region_id: Some(new.region_id),
        industry_id: Some(new.industry_id),
        scale: Some(new.scale),
        address: Some(new.address.clone()),
        contact_name: Some(new.contact_name.clone()),
        contact_phone: Some(new.contact_phone.clone()),
    };
    check_enterprise_fields(conn, &mut v, &fields)?;
    v.finish()?;
    if !policy.may_place_enterprise(new.region_id, new.industry_id) {
        return Err(AppError::Forbidden(
            "The region or industry is outside your scope.".into(),
        ));
    }
    if store::enterprise_by_credit_code(conn, &new.credit_code)?.is_some() {
        return Err(AppError::conflict(
            "duplicate-credit-code",
            "An enterprise with this credit code is already registered.",
        ));
    }
    let row = store::insert_enterprise(conn, &new)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "create",
        "enterprise",
        Some(row.id.0),
        json!({
            "name": row.name, "credit_code": row.credit_code, "region_id": row.region_id,
            "industry_id": row.industry_id, "scale": row.scale,
        }),
    )?;
    Ok(Enterprise::from_row(row, true))
}

pub fn update_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
    mut patch: EnterprisePatch,
) -> AppResult<Enterprise> {
    let (current, _) = policy.visible_enterprise(conn, id)?;
    let allowed = if patch.only_contact_fields() {
        policy.may_edit_contact(&current)
    } else {
        policy.may_manage_enterprise(&current)
    };
    if !allowed {
        return Err(AppError::Forbidden(
            "You may not change this enterprise's registration data.".into(),
        ));
    }
    if let Some(code) = &patch.credit_code {
        patch.credit_code = Some(credit_code::normalize(code));
    }
    let mut v = Validator::new();
    check_enterprise_fields(conn, &mut v, &patch)?;
    v.finish()?;
    let region = patch.region_id.unwrap_or(current.region_id);
    let industry = patch.industry_id.unwrap_or(current.industry_id);
    if !patch.only_contact_fields() && !policy.may_place_enterprise(region, industry) {
        return Err(AppError::Forbidden(
            "The new region or industry is outside your scope.".into(),
        ));
    }
    if let Some(code) = &patch.credit_code {
        if store::enterprise_by_credit_code(conn, code)?.is_some_and(|e| e.id != id) {
            return Err(AppError::conflict(
                "duplicate-credit-code",
                "An enterprise with this credit code is already registered.",
            ));
        }
    }
    let row = store::update_enterprise(conn, id, &patch)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "update",
        "enterprise",
        Some(id.0),
        json!({
            "name": patch.name, "credit_code": patch.credit_code, "region_id": patch.region_id,
            "industry_id": patch.industry_id, "scale": patch.scale, "address": patch.address,
            "contact_name": patch.contact_name, "contact_phone": patch.contact_phone,
        }),
    )?;
    Ok(Enterprise::from_row(row, true))
}

// ---- alliances ------------------------------------------------------------------------------

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
    let filter = policy.alliance_filter(conn)?;
    let (rows, total) = store::list_alliances(conn, &filter, query, page)?;
    Ok(page.wrap(alliance_views(conn, rows)?, total))
}

pub fn get_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<Alliance> {
    let row = policy.visible_alliance(conn, id)?;
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
        v.text("name", name, 100);
    }
    if let Some(region) = region {
        v.check(
            store::region(conn, region)?.is_some(),
            "region_id",
            "no such region",
        );
    }
    if let Some(industry) = industry {
        v.check(
            store::industry(conn, industry)?.is_some(),
            "industry_id",
            "no such industry",
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
        Some(row) => policy.enterprise_sight(conn, &row)? == Sight::Full,
        None => false,
    };
    v.check(
        visible,
        "lead_enterprise_id",
        "no such enterprise in your scope",
    );
    Ok(())
}

pub fn create_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewAlliance,
) -> AppResult<Alliance> {
    if !policy.is_authority() {
        return Err(AppError::Forbidden(
            "Only regulators found alliances.".into(),
        ));
    }
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
        v.check(
            fits,
            "region_id",
            "the region's level must match the alliance's level",
        );
    }
    v.finish()?;
    if !policy.may_place_alliance(new.region_id, new.industry_id) {
        return Err(AppError::Forbidden(
            "The region or industry is outside your scope.".into(),
        ));
    }
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
    let alliance = policy.visible_alliance(conn, id)?;
    if policy.may_manage_alliance(&alliance) {
        Ok(alliance)
    } else {
        Err(AppError::Forbidden(
            "You may not manage this alliance.".into(),
        ))
    }
}

/// The enterprise with this credit code, if the caller sees it in full; otherwise a field error
/// that reads the same whether it does not exist or is out of scope.
pub fn enterprise_by_credit_code(
    conn: &mut AnyConnection,
    policy: &Policy,
    field: &str,
    code: &str,
) -> AppResult<EnterpriseId> {
    let code = credit_code::normalize(code);
    match store::enterprise_by_credit_code(conn, &code)? {
        Some(row) if policy.enterprise_sight(conn, &row)? == Sight::Full => Ok(row.id),
        _ => Err(AppError::field(
            field,
            "no enterprise with this credit code in your scope",
        )),
    }
}

/// Adds the enterprise with this credit code (as a page form names it) to an alliance.
pub fn add_member_by_credit_code(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    code: &str,
) -> AppResult<Member> {
    manageable_alliance(conn, policy, id)?;
    let enterprise_id = enterprise_by_credit_code(conn, policy, "credit_code", code)?;
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
    policy.visible_alliance(conn, id)?;
    let visible = policy.enterprise_filter(conn)?;
    let (items, total) = store::members(conn, id, &visible, page)?;
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
        Some(row) if policy.enterprise_sight(conn, &row)? == Sight::Full => row,
        _ => {
            return Err(AppError::field(
                "enterprise_id",
                "no such enterprise in your scope",
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
