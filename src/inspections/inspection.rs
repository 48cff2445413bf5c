//! One batch's inspections: listed with names, read by those taking part, dated and swapped by
//! those who manage the batch.

use serde_json::json;

use crate::access::{InspectionParts, Policy};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::{local, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::inspections::lifecycle::BatchAction;
use crate::inspections::model::*;
use crate::inspections::pairing::{self, Broken, Pair};
use crate::inspections::service::{allow, request, seen, visible_batch, Seen};
use crate::inspections::store;
use crate::message::msg;
use crate::org::store as org;

/// An inspection with enterprise names, as lists show it.
pub fn inspection_views(
    conn: &mut AnyConnection,
    rows: Vec<InspectionRow>,
    batch: &BatchRow,
) -> AppResult<Vec<Inspection>> {
    let ids: Vec<EnterpriseId> = rows
        .iter()
        .flat_map(|r| [r.inspector_enterprise_id, r.target_enterprise_id])
        .collect();
    let names = org::enterprise_names(conn, &ids)?;
    let today = today();
    let running = matches!(batch.state, BatchState::Scheduled | BatchState::InProgress);
    Ok(rows
        .into_iter()
        .map(|r| Inspection {
            id: r.id,
            batch_id: r.batch_id,
            inspector_name: names
                .get(&r.inspector_enterprise_id)
                .cloned()
                .unwrap_or_default(),
            inspector_enterprise_id: r.inspector_enterprise_id,
            target_name: names
                .get(&r.target_enterprise_id)
                .cloned()
                .unwrap_or_default(),
            target_enterprise_id: r.target_enterprise_id,
            overdue: running
                && r.state != InspectionState::Submitted
                && r.scheduled_on.unwrap_or(batch.ends_on) < today,
            scheduled_on: r.scheduled_on,
            state: r.state,
            inspectors: r.inspectors,
            submitted_at: r.submitted_at.map(local),
        })
        .collect())
}

pub fn inspections(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: BatchId,
    page: PageRequest,
) -> AppResult<Paginated<Inspection>> {
    let seen = visible_batch(conn, policy, id)?;
    let (rows, total) = store::inspections_of(conn, id, Some(page))?;
    Ok(page.wrap(inspection_views(conn, rows, &seen.batch)?, total))
}

/// An inspection the caller sees, with its batch and the caller's parts in it; 404 otherwise.
pub fn visible_inspection(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: InspectionId,
    lock: bool,
) -> AppResult<(InspectionRow, Seen, InspectionParts)> {
    let row = store::inspection(conn, id)?.ok_or(AppError::NotFound)?;
    let batch = match lock {
        true => store::batch_for_update(conn, row.batch_id)?,
        false => store::batch(conn, row.batch_id)?,
    };
    let seen = seen(conn, policy, batch)?;
    let parts = policy.inspection_parts(
        seen.alliance.id,
        &seen.place,
        row.inspector_enterprise_id,
        row.target_enterprise_id,
    );
    if !parts.sees {
        return Err(AppError::NotFound);
    }
    // Read again under the batch's lock: a swap may have moved it meanwhile.
    let row = match lock {
        true => store::inspection(conn, id)?.ok_or(AppError::NotFound)?,
        false => row,
    };
    Ok((row, seen, parts))
}

pub fn update_inspection(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: InspectionId,
    patch: InspectionPatch,
) -> AppResult<()> {
    let (row, seen, parts) = visible_inspection(conn, policy, id, true)?;
    if !parts.manages {
        return Err(AppError::Forbidden(
            "Only the alliance's lead and the regulators in scope date and swap inspections."
                .into(),
        ));
    }
    let batch = &seen.batch;
    allow(batch, BatchAction::Reschedule)?;
    if row.state == InspectionState::Submitted {
        return Err(AppError::conflict(
            "inspection-submitted",
            "This inspection has been submitted; it can no longer change.",
        ));
    }
    let mut v = Validator::new();
    if let Some(Some(day)) = patch.scheduled_on {
        v.check(
            (batch.starts_on..=batch.ends_on).contains(&day),
            "scheduled_on",
            msg::WITHIN_WINDOW
                .with("from", batch.starts_on)
                .with("to", batch.ends_on),
        );
    }
    if let Some(names) = &patch.inspectors {
        v.max_len("inspectors", names, max::INSPECTORS);
    }
    let mut swapped = None;
    if let Some(other) = patch.swap_target_with {
        allow(batch, BatchAction::Plan)?;
        match store::inspection(conn, other)?.filter(|o| o.batch_id == batch.id && o.id != id) {
            None => {
                v.add("swap_target_with", msg::NOT_IN_BATCH);
            }
            Some(other) => {
                let (pairs, _) = store::inspections_of(conn, batch.id, None)?;
                let swap = |p: &InspectionRow| Pair {
                    inspector: p.inspector_enterprise_id.0,
                    target: if p.id == row.id {
                        other.target_enterprise_id.0
                    } else if p.id == other.id {
                        row.target_enterprise_id.0
                    } else {
                        p.target_enterprise_id.0
                    },
                };
                let pairs: Vec<Pair> = pairs.iter().map(swap).collect();
                match pairing::review(&request(conn, batch)?, &pairs) {
                    Ok(relaxed) => swapped = Some((other, relaxed)),
                    Err(broken) => {
                        v.add("swap_target_with", broken_rule(broken));
                    }
                }
            }
        }
    }
    v.finish()?;
    let scheduled_on = patch.scheduled_on.unwrap_or(row.scheduled_on);
    let inspectors = patch
        .inspectors
        .as_deref()
        .map(str::trim)
        .unwrap_or(&row.inspectors);
    store::set_schedule(conn, id, scheduled_on, inspectors)?;
    if let Some((other, relaxed)) = &swapped {
        store::set_target(conn, row.id, other.target_enterprise_id)?;
        store::set_target(conn, other.id, row.target_enterprise_id)?;
        let mut batch = seen.batch.clone();
        batch.relaxed = serde_json::to_string(relaxed).map_err(AppError::internal)?;
        store::save_batch(conn, &batch)?;
    }
    let mut now_changed = vec![store::inspection(conn, id)?.ok_or(AppError::NotFound)?];
    if let Some((other, _)) = &swapped {
        now_changed.extend(store::inspection(conn, other.id)?);
    }
    crate::inspections::notices::changed(conn, &seen.batch, &now_changed, policy.actor.id)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "inspection_update",
        "inspection",
        Some(id.0),
        json!({"scheduled_on": patch.scheduled_on, "inspectors": patch.inspectors,
               "swap_target_with": patch.swap_target_with}),
    )?;
    Ok(())
}

fn broken_rule(broken: Broken) -> crate::message::Text {
    match broken {
        Broken::Stranger => msg::NOT_IN_BATCH,
        Broken::SelfInspection => msg::PAIR_SELF,
        Broken::Twice => msg::PAIR_TWICE,
        Broken::Reciprocal => msg::PAIR_RECIPROCAL,
        Broken::Conflict => msg::PAIR_CONFLICT,
    }
}
