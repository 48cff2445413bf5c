//! Queries for checklist templates and their items.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{checklist_items, checklists, inspection_batches};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::inspections::model::*;

pub fn checklist(conn: &mut AnyConnection, id: ChecklistId) -> AppResult<Option<ChecklistRow>> {
    Ok(checklists::table
        .find(id)
        .select(ChecklistRow::as_select())
        .first(conn)
        .optional()?)
}

/// The checklist row locked for the rest of the transaction on PostgreSQL: `exclusive` for an
/// edit, shared for a batch choosing it (so that an edit and a batch take turns, and the edit
/// sees the batch). SQLite's single writer already serializes them.
pub fn lock_checklist(
    conn: &mut AnyConnection,
    id: ChecklistId,
    exclusive: bool,
) -> AppResult<Option<ChecklistRow>> {
    Ok(match conn {
        AnyConnection::Postgresql(c) if exclusive => checklists::table
            .find(id)
            .select(ChecklistRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Postgresql(c) => checklists::table
            .find(id)
            .select(ChecklistRow::as_select())
            .for_share()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => checklists::table
            .find(id)
            .select(ChecklistRow::as_select())
            .first(c)
            .optional()?,
    })
}

pub fn items(conn: &mut AnyConnection, id: ChecklistId) -> AppResult<Vec<Item>> {
    Ok(checklist_items::table
        .filter(checklist_items::checklist_id.eq(id))
        .order(checklist_items::position.asc())
        .select(Item::as_select())
        .load(conn)?)
}

pub fn item_counts(
    conn: &mut AnyConnection,
    ids: &[ChecklistId],
) -> AppResult<HashMap<ChecklistId, i64>> {
    let rows: Vec<(ChecklistId, i64)> = checklist_items::table
        .filter(checklist_items::checklist_id.eq_any(ids))
        .group_by(checklist_items::checklist_id)
        .select((checklist_items::checklist_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Templates of these alliances (`None`: of every alliance) and the district-wide ones.
pub fn list_checklists(
    conn: &mut AnyConnection,
    alliances: Option<&[AllianceId]>,
    q: &ChecklistQuery,
    page: PageRequest,
) -> AppResult<(Vec<ChecklistRow>, i64)> {
    let base = || {
        let mut query = checklists::table.into_boxed::<MultiBackend>();
        if let Some(ids) = alliances {
            query = query.filter(
                checklists::alliance_id.is_null().or(checklists::alliance_id
                    .eq_any(ids.to_vec())
                    .assume_not_null()),
            );
        }
        if let Some(a) = q.alliance_id {
            query = query.filter(
                checklists::alliance_id
                    .is_null()
                    .or(checklists::alliance_id.eq(a).assume_not_null()),
            );
        }
        if let Some(i) = q.industry_id {
            query = query.filter(checklists::industry_id.eq(i));
        }
        if !q.all_versions.unwrap_or(false) {
            query = query.filter(checklists::current.eq(true));
        }
        query
    };
    let total = base().select(count_star()).first(conn)?;
    let rows = base()
        .order((
            checklists::alliance_id.is_null().asc(),
            checklists::name.asc(),
            checklists::version.desc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(ChecklistRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// A new template version; the first version of a template is its own family.
pub fn insert_checklist(
    conn: &mut AnyConnection,
    family: Option<(i64, i32)>,
    new: &NewChecklist,
    alliance: Option<AllianceId>,
    created_by: Option<UserId>,
) -> AppResult<ChecklistId> {
    let (family_id, version) = family.unwrap_or((0, 1));
    let id: ChecklistId = diesel::insert_into(checklists::table)
        .values((
            checklists::family_id.eq(family_id),
            checklists::version.eq(version),
            checklists::name.eq(new.name.trim()),
            checklists::note.eq(new.note.trim()),
            checklists::alliance_id.eq(alliance),
            checklists::industry_id.eq(new.industry_id),
            checklists::current.eq(true),
            checklists::created_by.eq(created_by),
            checklists::created_at.eq(now()),
        ))
        .returning(checklists::id)
        .get_result(conn)?;
    if family.is_none() {
        diesel::update(checklists::table.find(id))
            .set(checklists::family_id.eq(id.0))
            .execute(conn)?;
    }
    insert_items(conn, id, &new.items)?;
    Ok(id)
}

fn insert_items(conn: &mut AnyConnection, id: ChecklistId, items: &[NewItem]) -> AppResult<()> {
    for (position, item) in items.iter().enumerate() {
        diesel::insert_into(checklist_items::table)
            .values((
                checklist_items::checklist_id.eq(id),
                checklist_items::position.eq(position as i32 + 1),
                checklist_items::text.eq(item.text.trim()),
                checklist_items::category.eq(item.category),
                checklist_items::clause.eq(item.clause.trim()),
                checklist_items::grade.eq(item.grade),
                checklist_items::caution.eq(item.caution.trim()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Rewrites an unused version in place.
pub fn rewrite_checklist(
    conn: &mut AnyConnection,
    id: ChecklistId,
    new: &NewChecklist,
) -> AppResult<()> {
    diesel::update(checklists::table.find(id))
        .set((
            checklists::name.eq(new.name.trim()),
            checklists::note.eq(new.note.trim()),
            checklists::industry_id.eq(new.industry_id),
        ))
        .execute(conn)?;
    diesel::delete(checklist_items::table.filter(checklist_items::checklist_id.eq(id)))
        .execute(conn)?;
    insert_items(conn, id, &new.items)
}

pub fn supersede(conn: &mut AnyConnection, id: ChecklistId) -> AppResult<()> {
    diesel::update(checklists::table.find(id))
        .set(checklists::current.eq(false))
        .execute(conn)?;
    Ok(())
}

/// Whether a batch uses this version.
pub fn checklist_used(conn: &mut AnyConnection, id: ChecklistId) -> AppResult<bool> {
    let n: i64 = inspection_batches::table
        .filter(inspection_batches::checklist_id.eq(id))
        .select(count_star())
        .first(conn)?;
    Ok(n > 0)
}
