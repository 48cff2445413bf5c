//! Queries for single inspections: read, list by batch or enterprise, date, swap, and the
//! conditional updates that save a draft and claim a submission.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{inspection_batches, inspections};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::inspections::model::*;

pub fn inspection(conn: &mut AnyConnection, id: InspectionId) -> AppResult<Option<InspectionRow>> {
    Ok(inspections::table
        .find(id)
        .select(InspectionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn inspections_of(
    conn: &mut AnyConnection,
    batch: BatchId,
    page: Option<PageRequest>,
) -> AppResult<(Vec<InspectionRow>, i64)> {
    let base = || inspections::table.filter(inspections::batch_id.eq(batch));
    let total = base().select(count_star()).first(conn)?;
    let mut query = base()
        .order((inspections::scheduled_on.asc(), inspections::id.asc()))
        .select(InspectionRow::as_select())
        .into_boxed::<MultiBackend>();
    if let Some(page) = page {
        query = query.limit(page.per_page).offset(page.offset());
    }
    Ok((query.load(conn)?, total))
}

/// Which of an enterprise's inspections to list.
pub enum Involving {
    /// Not yet submitted, in running batches (overdue ones first).
    Open,
    /// Submitted on or after this instant, newest first.
    SubmittedSince(NaiveDateTime),
}

/// Inspections of published batches that an enterprise takes part in (as inspector or target),
/// with their batches.
pub fn inspections_involving(
    conn: &mut AnyConnection,
    enterprise: EnterpriseId,
    which: Involving,
    limit: i64,
) -> AppResult<Vec<(InspectionRow, BatchRow)>> {
    let query = inspections::table
        .inner_join(inspection_batches::table)
        .filter(
            inspections::inspector_enterprise_id
                .eq(enterprise)
                .or(inspections::target_enterprise_id.eq(enterprise)),
        )
        .into_boxed::<MultiBackend>();
    let query = match which {
        Involving::Open => query
            .filter(
                inspection_batches::state.eq_any([BatchState::Scheduled, BatchState::InProgress]),
            )
            .filter(inspections::state.ne(InspectionState::Submitted))
            .order((inspections::scheduled_on.asc(), inspections::id.asc())),
        Involving::SubmittedSince(since) => query
            .filter(inspection_batches::state.ne(BatchState::Draft))
            .filter(inspections::submitted_at.ge(since))
            .order((inspections::submitted_at.desc(), inspections::id.desc())),
    };
    Ok(query
        .limit(limit)
        .select((InspectionRow::as_select(), BatchRow::as_select()))
        .load(conn)?)
}

pub fn set_schedule(
    conn: &mut AnyConnection,
    id: InspectionId,
    scheduled_on: Option<NaiveDate>,
    inspectors: &str,
) -> AppResult<()> {
    diesel::update(inspections::table.find(id))
        .set((
            inspections::scheduled_on.eq(scheduled_on),
            inspections::inspectors.eq(inspectors),
            inspections::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_target(
    conn: &mut AnyConnection,
    id: InspectionId,
    target: EnterpriseId,
) -> AppResult<()> {
    diesel::update(inspections::table.find(id))
        .set((
            inspections::target_enterprise_id.eq(target),
            inspections::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Saves a draft: the inspection moves to in progress unless it was submitted meanwhile.
pub fn save_draft_state(
    conn: &mut AnyConnection,
    id: InspectionId,
    inspectors: &str,
) -> AppResult<bool> {
    let n = diesel::update(inspections::table.find(id).filter(
        inspections::state.eq_any([InspectionState::Scheduled, InspectionState::InProgress]),
    ))
    .set((
        inspections::state.eq(InspectionState::InProgress),
        inspections::inspectors.eq(inspectors),
        inspections::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Claims the submission of an inspection: one conditional update, so of two racing submitters
/// exactly one wins (the other's update finds it submitted and changes nothing).
pub fn claim_submission(
    conn: &mut AnyConnection,
    id: InspectionId,
    by: UserId,
    inspectors: &str,
    key: Option<&str>,
    hash: &str,
    at: NaiveDateTime,
) -> AppResult<bool> {
    let n = diesel::update(inspections::table.find(id).filter(
        inspections::state.eq_any([InspectionState::Scheduled, InspectionState::InProgress]),
    ))
    .set((
        inspections::state.eq(InspectionState::Submitted),
        inspections::inspectors.eq(inspectors),
        inspections::submitted_at.eq(Some(at)),
        inspections::submitted_by.eq(Some(by)),
        inspections::submit_key.eq(key),
        inspections::submit_hash.eq(Some(hash)),
        inspections::updated_at.eq(at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
