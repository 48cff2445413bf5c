//! Queries for findings, their timeline, attachments and idempotency keys.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{
    attachments, finding_attachments, finding_events, findings, idempotency_keys,
};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::findings::model::*;

pub use super::query::{count, list, After, Counted, Scope};

pub fn find(conn: &mut AnyConnection, id: FindingId) -> AppResult<Option<FindingRow>> {
    Ok(findings::table
        .find(id)
        .select(FindingRow::as_select())
        .first(conn)
        .optional()?)
}

/// The fields of a new finding, validated.
pub struct Insert<'a> {
    pub new: &'a NewFinding,
    pub enterprise_id: EnterpriseId,
    pub region_id: RegionId,
    pub industry_id: IndustryId,
    pub alliance_id: Option<AllianceId>,
    /// The mutual inspection it was found in, and the inspecting enterprise.
    pub inspection: Option<(i64, EnterpriseId)>,
    pub source: Source,
    pub cost_cents: Option<i64>,
    pub reported_by: UserId,
}

/// Inserts a finding (and counts it for oversight, in the same transaction).
pub fn insert(conn: &mut AnyConnection, f: Insert<'_>) -> AppResult<FindingId> {
    let now = now();
    let n = f.new;
    let id = diesel::insert_into(findings::table)
        .values((
            findings::enterprise_id.eq(f.enterprise_id),
            findings::region_id.eq(f.region_id),
            findings::industry_id.eq(f.industry_id),
            findings::alliance_id.eq(f.alliance_id),
            findings::inspection_id.eq(f.inspection.map(|(i, _)| i)),
            findings::inspector_enterprise_id.eq(f.inspection.map(|(_, e)| e)),
            findings::source.eq(f.source),
            findings::title.eq(n.title.trim()),
            findings::description.eq(n.description.trim()),
            findings::cause.eq(n.cause.trim()),
            findings::category.eq(n.category),
            findings::grade.eq(n.grade),
            findings::treatment.eq(n.treatment),
            findings::deadline.eq(n.deadline),
            findings::location.eq(n.location.trim()),
            findings::measures.eq(n.measures.trim()),
            findings::cost_cents.eq(f.cost_cents),
            findings::responsible_person.eq(n.responsible_person.trim()),
            findings::state.eq(FindingState::Reported),
            findings::shared.eq(false),
            findings::reported_by.eq(f.reported_by),
            findings::reported_at.eq(now),
            findings::updated_at.eq(now),
        ))
        .returning(findings::id)
        .get_result(conn)?;
    let row = find(conn, id)?.ok_or(AppError::NotFound)?;
    crate::oversight::figures::hazard_changed(conn, None, Some(&row.hazard()))?;
    Ok(id)
}

/// A finding, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; SQLite's write
/// transaction holds the whole database already), so that two actions on it take turns.
pub fn find_for_update(conn: &mut AnyConnection, id: FindingId) -> AppResult<Option<FindingRow>> {
    match conn {
        AnyConnection::Postgresql(pg) => Ok(findings::table
            .find(id)
            .select(FindingRow::as_select())
            .for_update()
            .first(pg)
            .optional()?),
        AnyConnection::Sqlite(_) => find(conn, id),
    }
}

/// Writes a finding's new state and values (its row locked by [`find_for_update`]).
pub fn update_state(
    conn: &mut AnyConnection,
    id: FindingId,
    to: FindingState,
    deadline: Option<NaiveDate>,
    extension_requested_until: Option<NaiveDate>,
    shared: bool,
) -> AppResult<()> {
    let now = now();
    let closed_at = (to == FindingState::Closed).then_some(now);
    let before = find(conn, id)?.ok_or(AppError::NotFound)?;
    diesel::update(findings::table.find(id))
        .set((
            findings::state.eq(to),
            findings::deadline.eq(deadline),
            findings::extension_requested_until.eq(extension_requested_until),
            findings::shared.eq(shared),
            findings::updated_at.eq(now),
            findings::closed_at.eq(closed_at),
        ))
        .execute(conn)?;
    let after = find(conn, id)?.ok_or(AppError::NotFound)?;
    crate::oversight::figures::hazard_changed(conn, Some(&before.hazard()), Some(&after.hazard()))
}

/// One step of the timeline, as recorded.
pub struct NewEvent<'a> {
    pub finding: FindingId,
    pub action: Action,
    pub actor: UserId,
    pub note: &'a str,
    pub from: FindingState,
    pub to: FindingState,
    pub deadline: Option<NaiveDate>,
    pub attachment_ids: &'a [AttachmentId],
}

pub fn add_event(conn: &mut AnyConnection, e: NewEvent<'_>) -> AppResult<i64> {
    let NewEvent {
        finding,
        action,
        actor,
        note,
        from,
        to,
        deadline,
        attachment_ids,
    } = e;
    let event: i64 = diesel::insert_into(finding_events::table)
        .values((
            finding_events::finding_id.eq(finding),
            finding_events::action.eq(action),
            finding_events::actor_id.eq(actor),
            finding_events::at.eq(now()),
            finding_events::note.eq(note.trim()),
            finding_events::from_state.eq(from),
            finding_events::to_state.eq(to),
            finding_events::deadline.eq(deadline),
        ))
        .returning(finding_events::id)
        .get_result(conn)?;
    for a in attachment_ids {
        diesel::insert_into(finding_attachments::table)
            .values((
                finding_attachments::event_id.eq(event),
                finding_attachments::attachment_id.eq(a),
                finding_attachments::finding_id.eq(finding),
            ))
            .execute(conn)?;
    }
    Ok(event)
}

pub fn timeline(conn: &mut AnyConnection, finding: FindingId) -> AppResult<Vec<TimelineEntry>> {
    type EventRow = (
        i64,
        Action,
        UserId,
        chrono::NaiveDateTime,
        String,
        FindingState,
        FindingState,
        Option<NaiveDate>,
    );
    let rows: Vec<EventRow> = finding_events::table
        .filter(finding_events::finding_id.eq(finding))
        .order(finding_events::id.asc())
        .select((
            finding_events::id,
            finding_events::action,
            finding_events::actor_id,
            finding_events::at,
            finding_events::note,
            finding_events::from_state,
            finding_events::to_state,
            finding_events::deadline,
        ))
        .load(conn)?;
    let links: Vec<(i64, AttachmentId)> = finding_attachments::table
        .filter(finding_attachments::finding_id.eq(finding))
        .order(finding_attachments::attachment_id.asc())
        .select((
            finding_attachments::event_id,
            finding_attachments::attachment_id,
        ))
        .load(conn)?;
    let actors: Vec<UserId> = rows.iter().map(|r| r.2).collect();
    let names = crate::auth::user::names(conn, &actors)?;
    let mut by_event: HashMap<i64, Vec<AttachmentId>> = HashMap::new();
    for (event, attachment) in links {
        by_event.entry(event).or_default().push(attachment);
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, action, actor, at, note, from_state, to_state, deadline)| TimelineEntry {
                action,
                actor,
                actor_name: names.get(&actor).cloned().unwrap_or_default(),
                at: crate::db::types::local(at),
                note,
                from_state,
                to_state,
                deadline,
                attachment_ids: by_event.remove(&id).unwrap_or_default(),
            },
        )
        .collect())
}

/// Who acted on each of the given findings.
pub fn actors_of(
    conn: &mut AnyConnection,
    ids: &[FindingId],
) -> AppResult<Vec<(FindingId, UserId)>> {
    Ok(finding_events::table
        .filter(finding_events::finding_id.eq_any(ids))
        .select((finding_events::finding_id, finding_events::actor_id))
        .distinct()
        .load(conn)?)
}

/// The findings an attachment is linked to.
pub fn findings_of_attachment(
    conn: &mut AnyConnection,
    attachment: AttachmentId,
) -> AppResult<Vec<FindingId>> {
    Ok(finding_attachments::table
        .filter(finding_attachments::attachment_id.eq(attachment))
        .select(finding_attachments::finding_id)
        .distinct()
        .load(conn)?)
}

/// The uploader of each of the given attachments (missing ids are absent).
pub fn attachment_uploaders(
    conn: &mut AnyConnection,
    ids: &[AttachmentId],
) -> AppResult<HashMap<AttachmentId, UserId>> {
    let rows: Vec<(AttachmentId, UserId)> = attachments::table
        .filter(attachments::id.eq_any(ids))
        .select((attachments::id, attachments::uploaded_by))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The finding an idempotency key was used for, with the hash of that request.
pub fn idempotent(
    conn: &mut AnyConnection,
    user: UserId,
    key: &str,
) -> AppResult<Option<(FindingId, String)>> {
    Ok(idempotency_keys::table
        .find((user, key))
        .select((idempotency_keys::finding_id, idempotency_keys::request_hash))
        .first(conn)
        .optional()?)
}

pub fn remember_key(
    conn: &mut AnyConnection,
    user: UserId,
    key: &str,
    finding: FindingId,
    hash: &str,
) -> AppResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user),
            idempotency_keys::key.eq(key),
            idempotency_keys::finding_id.eq(finding),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Shared findings of an alliance, newest first.
pub fn shared_in(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    page: PageRequest,
    month: Option<NaiveDate>,
) -> AppResult<(Vec<FindingRow>, i64)> {
    // The month starting on `month`'s first day.
    let (from, to) = match month {
        Some(m) => {
            let first = chrono::Datelike::with_day(&m, 1).unwrap_or(m);
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
            (
                Some(crate::db::types::start_of_local_day(first)),
                Some(crate::db::types::start_of_local_day(next)),
            )
        }
        None => (None, None),
    };
    let base = || {
        let mut q = findings::table
            .filter(findings::alliance_id.eq(alliance))
            .filter(findings::shared.eq(true))
            .filter(findings::state.ne(FindingState::Voided))
            .into_boxed::<MultiBackend>();
        if let (Some(from), Some(to)) = (from, to) {
            q = q
                .filter(findings::reported_at.ge(from))
                .filter(findings::reported_at.lt(to));
        }
        q
    };
    let total: i64 = base().select(count_star()).first(conn)?;
    let rows = base()
        .order((findings::reported_at.desc(), findings::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(FindingRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
