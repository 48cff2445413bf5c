//! Checklist templates (排查清单): list, read, create, and edit — editing a version that a batch
//! uses makes a new version instead, so every inspection keeps the items it was run with.

use serde_json::json;

use crate::access::{Place, Policy};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::inspections::model::*;
use crate::inspections::store;
use crate::message::msg;
use crate::org::service as org_service;
use crate::org::store as org;

/// The alliance a template belongs to and where it is, when it is an alliance's own; 404 when
/// the caller does not see that alliance.
fn owner(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: Option<AllianceId>,
) -> AppResult<Option<(AllianceId, Place)>> {
    match alliance {
        None => Ok(None),
        Some(id) => {
            let row = org_service::visible_alliance(conn, policy, id)?;
            Ok(Some((id, org_service::alliance_place(conn, &row)?)))
        }
    }
}

fn may_keep(policy: &Policy, owner: &Option<(AllianceId, Place)>) -> bool {
    policy.keeps_checklists(owner.as_ref().map(|(id, place)| (*id, place)))
}

fn summary(row: ChecklistRow, item_count: i64) -> ChecklistSummary {
    ChecklistSummary {
        id: row.id,
        family_id: row.family_id,
        name: row.name,
        version: row.version,
        note: row.note,
        alliance_id: row.alliance_id,
        industry_id: row.industry_id,
        current: row.current,
        item_count,
        created_at: local(row.created_at),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &ChecklistQuery,
) -> AppResult<Paginated<ChecklistSummary>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    if let Some(a) = q.alliance_id {
        org_service::visible_alliance(conn, policy, a)?;
    }
    let visible = org::visible_alliance_ids(conn, &policy.alliances_visible())?;
    let (rows, total) = store::list_checklists(conn, visible.as_deref(), q, page)?;
    let ids: Vec<ChecklistId> = rows.iter().map(|r| r.id).collect();
    let counts = store::item_counts(conn, &ids)?;
    Ok(page.wrap(
        rows.into_iter()
            .map(|r| {
                let n = counts.get(&r.id).copied().unwrap_or(0);
                summary(r, n)
            })
            .collect(),
        total,
    ))
}

/// A template version the caller sees (its alliance's, or a district-wide one), or 404.
pub fn visible(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: ChecklistId,
) -> AppResult<ChecklistRow> {
    let row = store::checklist(conn, id)?.ok_or(AppError::NotFound)?;
    owner(conn, policy, row.alliance_id)?;
    Ok(row)
}

pub fn get(conn: &mut AnyConnection, policy: &Policy, id: ChecklistId) -> AppResult<Checklist> {
    let row = visible(conn, policy, id)?;
    let owner = owner(conn, policy, row.alliance_id)?;
    let editable = may_keep(policy, &owner) && row.current;
    let items = store::items(conn, id)?;
    Ok(Checklist {
        used: store::checklist_used(conn, id)?,
        editable,
        summary: summary(row, items.len() as i64),
        items,
    })
}

fn check(conn: &mut AnyConnection, v: &mut Validator, new: &NewChecklist) -> AppResult<()> {
    v.text("name", &new.name, max::NAME);
    v.long_text("note", &new.note, max::NOTE);
    v.check(!new.items.is_empty(), "items", msg::CHECKLIST_EMPTY);
    v.check(
        new.items.len() <= max::ITEMS,
        "items",
        msg::TOO_MANY.with("max", max::ITEMS),
    );
    for (i, item) in new.items.iter().enumerate() {
        v.text(&format!("items[{i}].text"), &item.text, max::ITEM_TEXT);
        v.max_len(&format!("items[{i}].clause"), &item.clause, max::CLAUSE);
        v.long_text(&format!("items[{i}].caution"), &item.caution, max::CAUTION);
    }
    if let Some(industry) = new.industry_id {
        v.check(
            org::industry(conn, industry)?.is_some(),
            "industry_id",
            msg::NO_SUCH_INDUSTRY,
        );
    }
    Ok(())
}

pub fn create(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewChecklist,
) -> AppResult<ChecklistId> {
    let owner = match owner(conn, policy, new.alliance_id) {
        Err(AppError::NotFound) => {
            return Err(AppError::field("alliance_id", msg::NO_SUCH_ALLIANCE))
        }
        other => other?,
    };
    if !may_keep(policy, &owner) {
        return Err(AppError::Forbidden(
            "Regulators keep the district-wide checklists; a lead keeps its alliance's.".into(),
        ));
    }
    let mut v = Validator::new();
    check(conn, &mut v, &new)?;
    v.finish()?;
    let id = store::insert_checklist(conn, None, &new, new.alliance_id, Some(policy.actor.id))?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "checklist_create",
        "checklist",
        Some(id.0),
        json!({"name": new.name.trim(), "alliance_id": new.alliance_id, "items": new.items.len()}),
    )?;
    Ok(id)
}

/// Edits a template: an unused version in place, a used one by making the next version (which
/// becomes the current one). Returns the id edited or made, and whether it is a new version.
pub fn edit(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: ChecklistId,
    new: NewChecklist,
) -> AppResult<(ChecklistId, bool)> {
    visible(conn, policy, id)?;
    // Locked: a batch choosing this version meanwhile waits, or is seen using it.
    let row = store::lock_checklist(conn, id, true)?.ok_or(AppError::NotFound)?;
    let owner = owner(conn, policy, row.alliance_id)?;
    if !may_keep(policy, &owner) {
        return Err(AppError::Forbidden(
            "You may read this checklist but not edit it.".into(),
        ));
    }
    if !row.current {
        return Err(AppError::conflict(
            "checklist-superseded",
            "A newer version of this checklist exists; edit that one.",
        ));
    }
    let mut v = Validator::new();
    check(conn, &mut v, &new)?;
    v.finish()?;
    let used = store::checklist_used(conn, id)?;
    let edited = if used {
        store::supersede(conn, id)?;
        store::insert_checklist(
            conn,
            Some((row.family_id, row.version + 1)),
            &new,
            row.alliance_id,
            Some(policy.actor.id),
        )?
    } else {
        store::rewrite_checklist(conn, id, &new)?;
        id
    };
    audit::record(
        conn,
        Some(policy.actor.id),
        "checklist_edit",
        "checklist",
        Some(edited.0),
        json!({"name": new.name.trim(), "previous": used.then_some(id), "items": new.items.len()}),
    )?;
    Ok((edited, used))
}
