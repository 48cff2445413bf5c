//! Queries for batches, their pairings and inspections; checklist templates and item results
//! in the submodules (re-exported).

mod checklists;
mod results;
mod single;

pub use checklists::*;
pub use results::*;
pub use single::*;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{
    batch_participants, enterprises, findings, inspection_batches, inspections,
};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::findings::model::FindingState;
use crate::inspections::model::*;
use crate::inspections::pairing::{Pair, Participant};

// ---- batches ----

pub fn batch(conn: &mut AnyConnection, id: BatchId) -> AppResult<Option<BatchRow>> {
    Ok(inspection_batches::table
        .find(id)
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?)
}

/// The batch, locked for the rest of the transaction on PostgreSQL (two managers editing one
/// batch, or a publication racing a submission, then take turns).
pub fn batch_for_update(conn: &mut AnyConnection, id: BatchId) -> AppResult<Option<BatchRow>> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => inspection_batches::table
            .find(id)
            .select(BatchRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => inspection_batches::table
            .find(id)
            .select(BatchRow::as_select())
            .first(c)
            .optional()?,
    })
}

/// An alliance's batches, drafts only when asked for (their managers).
pub fn list_batches(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    drafts: bool,
    page: PageRequest,
) -> AppResult<(Vec<BatchRow>, i64)> {
    let base = || {
        let mut q = inspection_batches::table
            .filter(inspection_batches::alliance_id.eq(alliance))
            .into_boxed::<MultiBackend>();
        if !drafts {
            q = q.filter(inspection_batches::published_at.is_not_null());
        }
        q
    };
    let total = base().select(count_star()).first(conn)?;
    let rows = base()
        .order((
            inspection_batches::starts_on.desc(),
            inspection_batches::id.desc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(BatchRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub struct NewBatchRow<'a> {
    pub alliance: AllianceId,
    pub name: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub checklist: ChecklistId,
    pub per_target: i32,
    pub recent_batches: i32,
    pub seed: i64,
    pub conflicts: String,
    pub created_by: UserId,
}

pub fn insert_batch(conn: &mut AnyConnection, b: NewBatchRow<'_>) -> AppResult<BatchId> {
    let at = now();
    Ok(diesel::insert_into(inspection_batches::table)
        .values((
            inspection_batches::alliance_id.eq(b.alliance),
            inspection_batches::name.eq(b.name.trim()),
            inspection_batches::starts_on.eq(b.starts_on),
            inspection_batches::ends_on.eq(b.ends_on),
            inspection_batches::checklist_id.eq(b.checklist),
            inspection_batches::state.eq(BatchState::Draft),
            inspection_batches::per_target.eq(b.per_target),
            inspection_batches::recent_batches.eq(b.recent_batches),
            inspection_batches::seed.eq(b.seed),
            inspection_batches::conflicts.eq(b.conflicts),
            inspection_batches::relaxed.eq("[]"),
            inspection_batches::created_by.eq(b.created_by),
            inspection_batches::created_at.eq(at),
            inspection_batches::updated_at.eq(at),
        ))
        .returning(inspection_batches::id)
        .get_result(conn)?)
}

/// Writes a batch's changeable columns back.
pub fn save_batch(conn: &mut AnyConnection, b: &BatchRow) -> AppResult<()> {
    diesel::update(inspection_batches::table.find(b.id))
        .set((
            inspection_batches::name.eq(&b.name),
            inspection_batches::starts_on.eq(b.starts_on),
            inspection_batches::ends_on.eq(b.ends_on),
            inspection_batches::checklist_id.eq(b.checklist_id),
            inspection_batches::state.eq(b.state),
            inspection_batches::per_target.eq(b.per_target),
            inspection_batches::recent_batches.eq(b.recent_batches),
            inspection_batches::seed.eq(b.seed),
            inspection_batches::conflicts.eq(&b.conflicts),
            inspection_batches::relaxed.eq(&b.relaxed),
            inspection_batches::updated_at.eq(now()),
            inspection_batches::published_at.eq(b.published_at),
            inspection_batches::closed_at.eq(b.closed_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn participants(conn: &mut AnyConnection, batch: BatchId) -> AppResult<Vec<EnterpriseId>> {
    Ok(batch_participants::table
        .filter(batch_participants::batch_id.eq(batch))
        .order(batch_participants::enterprise_id.asc())
        .select(batch_participants::enterprise_id)
        .load(conn)?)
}

pub fn set_participants(
    conn: &mut AnyConnection,
    batch: BatchId,
    ids: &[EnterpriseId],
) -> AppResult<()> {
    diesel::delete(batch_participants::table.filter(batch_participants::batch_id.eq(batch)))
        .execute(conn)?;
    for chunk in ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|e| {
                (
                    batch_participants::batch_id.eq(batch),
                    batch_participants::enterprise_id.eq(*e),
                )
            })
            .collect();
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(batch_participants::table)
                .values(&rows)
                .execute(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(batch_participants::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(())
}

/// The enterprises with their industries, for pairing.
pub fn pairing_participants(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
) -> AppResult<Vec<Participant>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let rows: Vec<(EnterpriseId, IndustryId)> = enterprises::table
            .filter(enterprises::id.eq_any(chunk))
            .select((enterprises::id, enterprises::industry_id))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, industry)| Participant {
            id: id.0,
            industry: Some(industry.0),
        }));
    }
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// The pairs of the alliance's last `n` published batches other than `except`.
pub fn recent_pairs(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    except: BatchId,
    n: i32,
) -> AppResult<Vec<(i64, i64)>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    let batches: Vec<BatchId> = inspection_batches::table
        .filter(inspection_batches::alliance_id.eq(alliance))
        .filter(inspection_batches::id.ne(except))
        .filter(inspection_batches::published_at.is_not_null())
        .order((
            inspection_batches::starts_on.desc(),
            inspection_batches::id.desc(),
        ))
        .limit(i64::from(n))
        .select(inspection_batches::id)
        .load(conn)?;
    let pairs: Vec<(EnterpriseId, EnterpriseId)> = inspections::table
        .filter(inspections::batch_id.eq_any(batches))
        .select((
            inspections::inspector_enterprise_id,
            inspections::target_enterprise_id,
        ))
        .load(conn)?;
    Ok(pairs.into_iter().map(|(a, b)| (a.0, b.0)).collect())
}

/// Replaces a draft batch's inspections with these pairs, dated across its window.
pub fn replace_inspections(
    conn: &mut AnyConnection,
    batch: &BatchRow,
    pairs: &[Pair],
) -> AppResult<()> {
    diesel::delete(inspections::table.filter(inspections::batch_id.eq(batch.id))).execute(conn)?;
    let at = now();
    for (chunk_no, chunk) in pairs.chunks(500).enumerate() {
        let rows: Vec<_> = chunk
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let day = spread_day(batch, chunk_no * 500 + i, pairs.len());
                (
                    inspections::batch_id.eq(batch.id),
                    inspections::inspector_enterprise_id.eq(EnterpriseId(p.inspector)),
                    inspections::target_enterprise_id.eq(EnterpriseId(p.target)),
                    inspections::scheduled_on.eq(Some(day)),
                    inspections::state.eq(InspectionState::Planned),
                    inspections::inspectors.eq(""),
                    inspections::updated_at.eq(at),
                )
            })
            .collect();
        match conn {
            AnyConnection::Sqlite(c) => diesel::insert_into(inspections::table)
                .values(&rows)
                .execute(c)?,
            AnyConnection::Postgresql(c) => diesel::insert_into(inspections::table)
                .values(&rows)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Dates a batch's inspections across its window again, in their order.
pub fn spread_dates(conn: &mut AnyConnection, batch: &BatchRow) -> AppResult<()> {
    let ids: Vec<InspectionId> = inspections::table
        .filter(inspections::batch_id.eq(batch.id))
        .order((inspections::scheduled_on.asc(), inspections::id.asc()))
        .select(inspections::id)
        .load(conn)?;
    for (index, id) in ids.iter().enumerate() {
        let day = spread_day(batch, index, ids.len());
        diesel::update(inspections::table.find(*id))
            .set(inspections::scheduled_on.eq(Some(day)))
            .execute(conn)?;
    }
    Ok(())
}

/// The date of the `index`-th of `n` inspections spread evenly over the batch's window.
fn spread_day(batch: &BatchRow, index: usize, n: usize) -> NaiveDate {
    let days = (batch.ends_on - batch.starts_on).num_days().max(0) + 1;
    let n = n.max(1) as i64;
    batch.starts_on + chrono::Duration::days(index as i64 * days / n)
}

/// Moves every inspection of a batch from `from` to `to`.
pub fn set_inspection_states(
    conn: &mut AnyConnection,
    batch: BatchId,
    from: InspectionState,
    to: InspectionState,
) -> AppResult<()> {
    diesel::update(
        inspections::table
            .filter(inspections::batch_id.eq(batch))
            .filter(inspections::state.eq(from)),
    )
    .set((inspections::state.eq(to), inspections::updated_at.eq(now())))
    .execute(conn)?;
    Ok(())
}

/// A batch's progress on `today`.
pub fn progress(
    conn: &mut AnyConnection,
    batch: &BatchRow,
    today: NaiveDate,
) -> AppResult<Progress> {
    let of_batch = || inspections::table.filter(inspections::batch_id.eq(batch.id));
    let inspections_n: i64 = of_batch().select(count_star()).first(conn)?;
    let submitted: i64 = of_batch()
        .filter(inspections::state.eq(InspectionState::Submitted))
        .select(count_star())
        .first(conn)?;
    let running = matches!(batch.state, BatchState::Scheduled | BatchState::InProgress);
    let overdue_inspections: i64 = if running {
        let undated_late = batch.ends_on < today;
        of_batch()
            .filter(inspections::state.ne(InspectionState::Submitted))
            .filter(inspections::scheduled_on.lt(today).or(
                inspections::scheduled_on.is_null().and(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(if undated_late {
                        "1 = 1"
                    } else {
                        "1 = 0"
                    }),
                ),
            ))
            .select(count_star())
            .first(conn)?
    } else {
        0
    };
    let ids = || of_batch().select(inspections::id.nullable());
    let found = || findings::table.filter(findings::inspection_id.eq_any(ids()));
    let findings_n: i64 = found().select(count_star()).first(conn)?;
    let findings_closed: i64 = found()
        .filter(findings::state.eq(FindingState::Closed))
        .select(count_star())
        .first(conn)?;
    let findings_overdue: i64 = found()
        .filter(findings::state.eq_any([FindingState::Reported, FindingState::Rectifying]))
        .filter(findings::deadline.lt(today))
        .select(count_star())
        .first(conn)?;
    Ok(Progress {
        inspections: inspections_n,
        submitted,
        overdue_inspections,
        findings: findings_n,
        findings_closed,
        findings_overdue,
    })
}
