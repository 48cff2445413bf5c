//! Organization use cases: validate → authorize → change in the caller's transaction with its
//! audit entry. Called by both the JSON API and the pages.

mod alliances;

pub use alliances::*;

use serde_json::json;

use crate::access::{Place, Policy, Sight};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::message::msg;
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
        v.text("name", name, max::ENTERPRISE_NAME);
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
            msg::NO_SUCH_REGION,
        );
    }
    if let Some(industry) = f.industry_id {
        v.check(
            store::industry(conn, industry)?.is_some(),
            "industry_id",
            msg::NO_SUCH_INDUSTRY,
        );
    }
    if let Some(address) = &f.address {
        v.max_len("address", address, max::ADDRESS);
    }
    if let Some(contact) = &f.contact_name {
        v.max_len("contact_name", contact, max::CONTACT_NAME);
    }
    if let Some(phone) = &f.contact_phone {
        v.max_len("contact_phone", phone, max::CONTACT_PHONE);
        v.check(valid_phone(phone), "contact_phone", msg::PHONE_CHARS);
    }
    Ok(())
}

/// Where an enterprise is, with its current alliances.
pub fn enterprise_place(conn: &mut AnyConnection, row: &EnterpriseRow) -> AppResult<Place> {
    let alliances = store::alliances_of(conn, &[row.id])?
        .remove(&row.id)
        .unwrap_or_default();
    Ok(Place::enterprise(
        row.id,
        row.region_id,
        row.industry_id,
        alliances,
    ))
}

/// Loads an enterprise the caller may see, with how much of it; 404 otherwise.
pub fn visible_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
) -> AppResult<(EnterpriseRow, Sight)> {
    let row = store::enterprise(conn, id)?.ok_or(AppError::NotFound)?;
    match policy.sight(&enterprise_place(conn, &row)?) {
        Sight::None => Err(AppError::NotFound),
        sight => Ok((row, sight)),
    }
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
                msg::ONE_OF.with("choices", known.join(", ")),
            ));
        }
    }
    let (rows, total) = store::list_enterprises(conn, &policy.enterprises_visible(), query, page)?;
    // One query for the alliances of the whole page decides how much of each row is shown.
    let ids: Vec<EnterpriseId> = rows.iter().map(|r| r.id).collect();
    let mut alliances = store::alliances_of(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let place = Place::enterprise(
                row.id,
                row.region_id,
                row.industry_id,
                alliances.remove(&row.id).unwrap_or_default(),
            );
            let full = policy.sight(&place) == Sight::Full;
            Enterprise::from_row(row, full)
        })
        .collect();
    Ok(page.wrap(items, total))
}

pub fn get_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EnterpriseId,
) -> AppResult<Enterprise> {
    let (row, sight) = visible_enterprise(conn, policy, id)?;
    Ok(Enterprise::from_row(row, sight == Sight::Full))
}

pub fn create_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    mut new: NewEnterprise,
) -> AppResult<Enterprise> {
    policy.require_authority("register enterprises")?;
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
    policy.require_place_enterprise(new.region_id, new.industry_id)?;
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
    let (current, _) = visible_enterprise(conn, policy, id)?;
    if patch.only_contact_fields() {
        policy.require_edit_contact(id, current.region_id, current.industry_id)?;
    } else {
        policy.require_place_enterprise(current.region_id, current.industry_id)?;
    }
    if let Some(code) = &patch.credit_code {
        patch.credit_code = Some(credit_code::normalize(code));
    }
    let mut v = Validator::new();
    check_enterprise_fields(conn, &mut v, &patch)?;
    v.finish()?;
    let region = patch.region_id.unwrap_or(current.region_id);
    let industry = patch.industry_id.unwrap_or(current.industry_id);
    if !patch.only_contact_fields() {
        policy.require_place_enterprise(region, industry)?;
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

/// The enterprise a person named in a form, among those the caller sees: by its credit code
/// (alone, or first, as the picker's suggestions read "code name"), by its whole name when only
/// one has it, or by part of its name when only one matches; a field error when none or several
/// do (naming a few of them).
pub fn find_enterprise(
    conn: &mut AnyConnection,
    policy: &Policy,
    field: &str,
    text: &str,
) -> AppResult<EnterpriseId> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::field(field, msg::REQUIRED));
    }
    let first = text.split_whitespace().next().unwrap_or(text);
    let code = credit_code::normalize(first);
    if code.len() == 18 {
        if let Some(row) = store::enterprise_by_credit_code(conn, &code)? {
            if policy.sight(&enterprise_place(conn, &row)?) != Sight::None {
                return Ok(row.id);
            }
        }
    }
    let query = EnterpriseQuery {
        q: Some(text.to_string()),
        per_page: Some(100),
        sort: Some("name".into()),
        ..Default::default()
    };
    let found = list_enterprises(conn, policy, &query)?;
    let exact: Vec<&Enterprise> = found.items.iter().filter(|e| e.name == text).collect();
    let candidates: Vec<&Enterprise> = if exact.is_empty() {
        found.items.iter().collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [one] => Ok(one.id),
        [] => Err(AppError::field(
            field,
            msg::NO_ENTERPRISE_MATCH.with("text", text),
        )),
        some => {
            let names: Vec<String> = some
                .iter()
                .take(5)
                .map(|e| format!("{} {}", e.credit_code, e.name))
                .collect();
            let count = if some.len() < found.items.len() {
                some.len() as i64
            } else {
                found.total
            };
            let text = msg::ENTERPRISE_AMBIGUOUS
                .with("count", count)
                .with("names", names.join("、"));
            Err(AppError::field(field, text))
        }
    }
}
