//! Batch use cases: open a batch and pair it, read it and its inspections, change it, publish
//! and close it, date and swap its inspections. Each change commits with its audit entry in one
//! transaction; the batch row is locked first (PostgreSQL) so that changes take turns.

use serde_json::json;

use crate::access::{Place, Policy};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::{local, now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::inspections::lifecycle::{self, BatchAction};
use crate::inspections::model::*;
use crate::inspections::pairing::{self, Request};
use crate::inspections::plan::{check_plan, check_seed, check_window};
use crate::inspections::store;
use crate::message::msg;
use crate::org::model::AllianceRow;
use crate::org::service as org_service;

/// A batch the caller sees, with its alliance, where that is, and whether the caller manages it.
pub struct Seen {
    pub batch: BatchRow,
    pub alliance: AllianceRow,
    pub place: Place,
    pub manages: bool,
}

pub(super) fn seen(
    conn: &mut AnyConnection,
    policy: &Policy,
    batch: Option<BatchRow>,
) -> AppResult<Seen> {
    let batch = batch.ok_or(AppError::NotFound)?;
    let alliance = org_service::visible_alliance(conn, policy, batch.alliance_id)?;
    let place = org_service::alliance_place(conn, &alliance)?;
    if !policy.sees_batches(&place) {
        return Err(AppError::NotFound);
    }
    let manages = policy.manages_batches(alliance.id, &place);
    // A draft is the managers' work in progress (a discarded one too): the enterprises see a
    // batch once published.
    if batch.published_at.is_none() && !manages {
        return Err(AppError::NotFound);
    }
    Ok(Seen {
        batch,
        alliance,
        place,
        manages,
    })
}

pub fn visible_batch(conn: &mut AnyConnection, policy: &Policy, id: BatchId) -> AppResult<Seen> {
    let row = store::batch(conn, id)?;
    seen(conn, policy, row)
}

/// The batch for a change: locked, seen, and managed by the caller (else 403).
fn managed_batch(conn: &mut AnyConnection, policy: &Policy, id: BatchId) -> AppResult<Seen> {
    let row = store::batch_for_update(conn, id)?;
    let seen = seen(conn, policy, row)?;
    if !seen.manages {
        return Err(AppError::Forbidden(
            "Only the alliance's lead and the regulators in scope manage its batches.".into(),
        ));
    }
    Ok(seen)
}

fn refuse(state: BatchState, action: BatchAction) -> AppError {
    AppError::conflict(
        "batch-state",
        format!("A batch in state `{state}` cannot take this change ({action:?})."),
    )
}

pub(super) fn allow(batch: &BatchRow, action: BatchAction) -> AppResult<BatchState> {
    lifecycle::next(batch.state, action).ok_or_else(|| refuse(batch.state, action))
}

pub fn batch_view(row: &BatchRow) -> Batch {
    Batch {
        id: row.id,
        alliance_id: row.alliance_id,
        name: row.name.clone(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        checklist_id: row.checklist_id,
        state: row.state,
        per_target: row.per_target,
        recent_batches: row.recent_batches,
        created_at: local(row.created_at),
        published_at: row.published_at.map(local),
        closed_at: row.closed_at.map(local),
    }
}

pub fn detail(conn: &mut AnyConnection, policy: &Policy, id: BatchId) -> AppResult<BatchDetail> {
    let seen = visible_batch(conn, policy, id)?;
    let b = &seen.batch;
    Ok(BatchDetail {
        batch: batch_view(b),
        participant_ids: store::participants(conn, id)?,
        seed: b.seed,
        // Declared conflicts of interest are for those who pair the batch.
        conflicts: match seen.manages {
            true => serde_json::from_str(&b.conflicts).unwrap_or_default(),
            false => Vec::new(),
        },
        relaxed: serde_json::from_str(&b.relaxed).unwrap_or_default(),
        progress: store::progress(conn, b, today())?,
        manageable: seen.manages,
    })
}

/// An alliance whose batches the caller sees (else 404), and whether it manages them.
pub fn batch_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<(AllianceRow, bool)> {
    let row = org_service::visible_alliance(conn, policy, id)?;
    let place = org_service::alliance_place(conn, &row)?;
    if !policy.sees_batches(&place) {
        return Err(AppError::NotFound);
    }
    let manages = policy.manages_batches(id, &place);
    Ok((row, manages))
}

/// An alliance whose batches the caller opens: 404 unseen, 403 unless it manages them.
pub fn may_open_batches(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<AllianceRow> {
    match batch_alliance(conn, policy, id)? {
        (row, true) => Ok(row),
        (_, false) => Err(AppError::Forbidden(
            "Only the alliance's lead and the regulators in scope open its batches.".into(),
        )),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    page: PageRequest,
) -> AppResult<Paginated<Batch>> {
    let (_, drafts) = batch_alliance(conn, policy, alliance)?;
    let (rows, total) = store::list_batches(conn, alliance, drafts, page)?;
    Ok(page.wrap(rows.iter().map(batch_view).collect(), total))
}

/// The pairing request of a batch as it stands.
pub(super) fn request(conn: &mut AnyConnection, batch: &BatchRow) -> AppResult<Request> {
    let participants = store::participants(conn, batch.id)?;
    let checklist = store::checklist(conn, batch.checklist_id)?;
    let conflicts: Vec<[EnterpriseId; 2]> =
        serde_json::from_str(&batch.conflicts).unwrap_or_default();
    Ok(Request {
        participants: store::pairing_participants(conn, &participants)?,
        per_target: batch.per_target as usize,
        recent: store::recent_pairs(conn, batch.alliance_id, batch.id, batch.recent_batches)?,
        conflicts: conflicts.iter().map(|[a, b]| (a.0, b.0)).collect(),
        industry: checklist.and_then(|c| c.industry_id).map(|i| i.0),
        seed: batch.seed as u64,
    })
}

/// Pairs a draft batch afresh with its seed; keeps what the plan relaxed on the batch.
fn generate(conn: &mut AnyConnection, batch: &mut BatchRow) -> AppResult<()> {
    let plan = pairing::pair(&request(conn, batch)?);
    store::replace_inspections(conn, batch, &plan.pairs)?;
    batch.relaxed = serde_json::to_string(&plan.relaxed).map_err(AppError::internal)?;
    store::save_batch(conn, batch)
}

/// A batch's participants that are still members of its alliance.
fn staying_participants(
    conn: &mut AnyConnection,
    batch: &BatchRow,
) -> AppResult<Vec<EnterpriseId>> {
    let members = crate::org::store::alliance_member_set(conn, batch.alliance_id)?;
    let mut ids = store::participants(conn, batch.id)?;
    ids.retain(|e| members.contains(e));
    Ok(ids)
}

pub fn create(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    new: NewBatch,
) -> AppResult<BatchId> {
    may_open_batches(conn, policy, alliance)?;
    let mut v = Validator::new();
    v.text("name", &new.name, max::NAME);
    check_window(&mut v, new.starts_on, new.ends_on);
    let seed = check_seed(&mut v, new.seed);
    let plan = check_plan(
        conn,
        policy,
        &mut v,
        alliance,
        new.checklist_id,
        new.participant_ids,
        new.per_target.unwrap_or(1),
        new.recent_batches.unwrap_or(2),
        new.conflicts,
        false,
    )?;
    v.finish()?;
    let plan = plan.ok_or_else(|| AppError::internal("a checked plan"))?;
    let id = store::insert_batch(
        conn,
        store::NewBatchRow {
            alliance,
            name: &new.name,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            checklist: plan.checklist.id,
            per_target: plan.per_target,
            recent_batches: plan.recent_batches,
            seed,
            conflicts: serde_json::to_string(&plan.conflicts).map_err(AppError::internal)?,
            created_by: policy.actor.id,
        },
    )?;
    store::set_participants(conn, id, &plan.participants)?;
    let mut batch = store::batch(conn, id)?.ok_or(AppError::NotFound)?;
    generate(conn, &mut batch)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "batch_create",
        "batch",
        Some(id.0),
        json!({"alliance_id": alliance, "name": new.name.trim(), "starts_on": new.starts_on,
               "ends_on": new.ends_on, "checklist_id": plan.checklist.id,
               "participants": plan.participants.len(), "per_target": plan.per_target,
               "recent_batches": plan.recent_batches, "seed": seed}),
    )?;
    Ok(id)
}

/// Pairs a draft batch again: with a new random seed, or the one given.
pub fn pair_again(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: BatchId,
    req: PairingRequest,
) -> AppResult<()> {
    let Seen { mut batch, .. } = managed_batch(conn, policy, id)?;
    allow(&batch, BatchAction::Plan)?;
    let mut v = Validator::new();
    batch.seed = check_seed(&mut v, req.seed);
    v.finish()?;
    // Enterprises that left the alliance since are paired no more.
    let participants = staying_participants(conn, &batch)?;
    store::set_participants(conn, id, &participants)?;
    generate(conn, &mut batch)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "batch_pair",
        "batch",
        Some(id.0),
        json!({"seed": batch.seed}),
    )?;
    Ok(())
}

pub fn update(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: BatchId,
    patch: BatchPatch,
) -> AppResult<()> {
    let Seen {
        mut batch,
        alliance,
        ..
    } = managed_batch(conn, policy, id)?;
    let planning = patch.checklist_id.is_some()
        || patch.participant_ids.is_some()
        || patch.per_target.is_some()
        || patch.recent_batches.is_some()
        || patch.conflicts.is_some();
    let rescheduling = patch.starts_on.is_some() || patch.ends_on.is_some();
    if planning {
        allow(&batch, BatchAction::Plan)?;
    }
    if rescheduling {
        allow(&batch, BatchAction::Reschedule)?;
    }
    if patch.name.is_some() {
        allow(&batch, BatchAction::Rename)?;
    }
    let action = match patch.state {
        None => None,
        Some(BatchState::Scheduled) => Some(BatchAction::Publish),
        Some(BatchState::Closed) => Some(BatchAction::Close),
        Some(_) => return Err(AppError::field("state", msg::STATE_NOT_SETTABLE)),
    };
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.text("name", name, max::NAME);
    }
    let starts_on = patch.starts_on.unwrap_or(batch.starts_on);
    let ends_on = patch.ends_on.unwrap_or(batch.ends_on);
    check_window(&mut v, starts_on, ends_on);
    if rescheduling && batch.state != BatchState::Draft {
        let (inspections, _) = store::inspections_of(conn, id, None)?;
        let outside = inspections
            .iter()
            .any(|i| i.scheduled_on.is_some_and(|d| d < starts_on || d > ends_on));
        v.check(!outside, "ends_on", msg::DATES_OUTSIDE_WINDOW);
    }
    let plan = if planning {
        // Unless named anew, the participants are the batch's, less those who left the alliance.
        let participants = match patch.participant_ids.clone() {
            Some(ids) => ids,
            None => staying_participants(conn, &batch)?,
        };
        let conflicts = match patch.conflicts.clone() {
            Some(c) => c,
            None => serde_json::from_str(&batch.conflicts).unwrap_or_default(),
        };
        let checklist = patch.checklist_id.unwrap_or(batch.checklist_id);
        check_plan(
            conn,
            policy,
            &mut v,
            alliance.id,
            checklist,
            Some(participants),
            patch.per_target.unwrap_or(batch.per_target),
            patch.recent_batches.unwrap_or(batch.recent_batches),
            conflicts,
            checklist == batch.checklist_id,
        )?
    } else {
        None
    };
    v.finish()?;
    if let Some(name) = &patch.name {
        batch.name = name.trim().to_string();
    }
    let redate = batch.state == BatchState::Draft
        && (starts_on != batch.starts_on || ends_on != batch.ends_on);
    batch.starts_on = starts_on;
    batch.ends_on = ends_on;
    if let Some(plan) = &plan {
        batch.checklist_id = plan.checklist.id;
        batch.per_target = plan.per_target;
        batch.recent_batches = plan.recent_batches;
        batch.conflicts = serde_json::to_string(&plan.conflicts).map_err(AppError::internal)?;
        store::set_participants(conn, id, &plan.participants)?;
    }
    store::save_batch(conn, &batch)?;
    if plan.is_some() {
        generate(conn, &mut batch)?;
    } else if redate {
        // The lead's swaps stay; only the dates are spread over the new window.
        store::spread_dates(conn, &batch)?;
    }
    let changed = patch.name.is_some() || rescheduling || planning;
    if changed {
        audit::record(
            conn,
            Some(policy.actor.id),
            "batch_update",
            "batch",
            Some(id.0),
            json!({"name": patch.name, "starts_on": patch.starts_on, "ends_on": patch.ends_on,
               "checklist_id": patch.checklist_id, "participants": patch.participant_ids.as_ref().map(Vec::len),
               "per_target": patch.per_target, "recent_batches": patch.recent_batches,
               "conflicts": patch.conflicts}),
        )?;
    }
    match action {
        Some(BatchAction::Publish) => publish(conn, policy, &mut batch),
        Some(action) => close(conn, policy, &mut batch, action),
        None => Ok(()),
    }
}

fn publish(conn: &mut AnyConnection, policy: &Policy, batch: &mut BatchRow) -> AppResult<()> {
    batch.state = allow(batch, BatchAction::Publish)?;
    // An enterprise that left the alliance since the pairing would get inspections it can no
    // longer see: the batch is paired again first.
    let members = crate::org::store::alliance_member_set(conn, batch.alliance_id)?;
    let mut v = Validator::new();
    for e in store::participants(conn, batch.id)? {
        if !members.contains(&e) {
            v.add("participant_ids", msg::NOT_A_MEMBER_ID.with("id", e));
        }
    }
    v.finish()?;
    let (inspections, _) = store::inspections_of(conn, batch.id, None)?;
    if inspections.is_empty() {
        return Err(AppError::conflict(
            "batch-empty",
            "The batch has no pairings to publish.",
        ));
    }
    batch.published_at = Some(now());
    store::save_batch(conn, batch)?;
    store::set_inspection_states(
        conn,
        batch.id,
        InspectionState::Planned,
        InspectionState::Scheduled,
    )?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "batch_publish",
        "batch",
        Some(batch.id.0),
        json!({"inspections": inspections.len()}),
    )?;
    super::notices::published(conn, batch, &inspections, policy.actor.id)?;
    tracing::info!(
        batch = batch.id.0,
        inspections = inspections.len(),
        "batch published"
    );
    Ok(())
}

fn close(
    conn: &mut AnyConnection,
    policy: &Policy,
    batch: &mut BatchRow,
    action: BatchAction,
) -> AppResult<()> {
    batch.state = allow(batch, action)?;
    batch.closed_at = Some(now());
    store::save_batch(conn, batch)?;
    let progress = store::progress(conn, batch, today())?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "batch_close",
        "batch",
        Some(batch.id.0),
        json!({"inspections": progress.inspections, "submitted": progress.submitted}),
    )?;
    Ok(())
}
