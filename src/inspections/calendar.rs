//! The caller's inspections as an iCalendar feed (RFC 5545): behind the bearer token, or at a
//! personal address whose secret token calendar apps can keep (they cannot send a header).
//! Only the token's SHA-256 is stored; making a new address revokes the old one.

use chrono::Duration;
use diesel::prelude::*;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access::Policy;
use crate::audit;
use crate::auth::{user, UserRow};
use crate::db::schema::{calendar_feeds, inspection_batches, inspections};
use crate::db::types::{now, today};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::inspections::model::*;
use crate::org::store as org;

/// How far back a feed reaches.
const PAST_DAYS: i64 = 92;
/// The most events one feed holds.
const MAX_EVENTS: i64 = 500;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The feed of the caller: the inspections its enterprise takes part in, or, for an expert, those
/// of the alliances it is assigned to; from three months back on.
pub fn ics(conn: &mut AnyConnection, policy: &Policy) -> AppResult<String> {
    let from = today() - Duration::days(PAST_DAYS);
    let own = policy.own_enterprise();
    let assigned = policy.assigned_alliances().to_vec();
    // The events of the caller's alliances (members see them; see `access::events`).
    let alliances = policy.member_alliances().to_vec();
    let events = crate::events::store::events_of_alliances(
        conn,
        &alliances,
        crate::db::types::start_of_local_day(from),
        MAX_EVENTS,
    )?;
    if own.is_none() && assigned.is_empty() {
        return Ok(render(conn, Vec::new(), events));
    }
    let mut query = inspections::table
        .inner_join(inspection_batches::table)
        .filter(inspection_batches::state.ne(BatchState::Draft))
        .filter(inspection_batches::state.ne(BatchState::Closed))
        .filter(inspection_batches::ends_on.ge(from))
        .into_boxed::<MultiBackend>();
    query = match own {
        Some(e) => query.filter(
            inspections::inspector_enterprise_id
                .eq(e)
                .or(inspections::target_enterprise_id.eq(e)),
        ),
        None => query.filter(inspection_batches::alliance_id.eq_any(assigned)),
    };
    let rows: Vec<(InspectionRow, BatchRow)> = query
        .order((inspections::scheduled_on.asc(), inspections::id.asc()))
        .limit(MAX_EVENTS)
        .select((InspectionRow::as_select(), BatchRow::as_select()))
        .load(conn)?;
    Ok(render(conn, rows, events))
}

fn render(
    conn: &mut AnyConnection,
    rows: Vec<(InspectionRow, BatchRow)>,
    events: Vec<crate::events::model::EventRow>,
) -> String {
    let ids: Vec<EnterpriseId> = rows
        .iter()
        .flat_map(|(i, _)| [i.inspector_enterprise_id, i.target_enterprise_id])
        .collect();
    let names = org::enterprise_names(conn, &ids).unwrap_or_default();
    let name = |id: EnterpriseId| names.get(&id).cloned().unwrap_or_default();
    let mut calendar = Calendar::new();
    calendar.name("安全联盟互查").timezone("Asia/Shanghai");
    for (i, b) in rows {
        let mut event = Event::new();
        let (first, last) = match i.scheduled_on {
            Some(day) => (day, day),
            None => (b.starts_on, b.ends_on),
        };
        event
            .uid(&format!("inspection-{}@safety-alliance", i.id))
            .summary(&format!(
                "互查：{} 检查 {}",
                name(i.inspector_enterprise_id),
                name(i.target_enterprise_id)
            ))
            .description(&format!(
                "批次：{}\n检查窗口：{} 至 {}\n检查人员：{}\n/inspections/{}",
                b.name, b.starts_on, b.ends_on, i.inspectors, i.id
            ))
            .starts(first)
            .ends(last + Duration::days(1))
            .timestamp(i.updated_at.and_utc())
            // Published batches only are in the feed: their inspections are confirmed.
            .status(EventStatus::Confirmed);
        calendar.push(event.done());
    }
    for e in events {
        let kind = match e.kind {
            crate::events::model::EventKind::Training => "培训",
            crate::events::model::EventKind::WarningEducation => "警示教育",
            crate::events::model::EventKind::ExperienceExchange => "经验交流",
        };
        let mut event = Event::new();
        event
            .uid(&format!("event-{}@safety-alliance", e.id))
            .summary(&format!("{kind}：{}", e.title))
            .description(&format!("{}\n/events/{}", e.description, e.id))
            .location(&e.place)
            .starts(e.starts_at.and_utc())
            .ends(e.ends_at.and_utc())
            .timestamp(e.updated_at.and_utc())
            .status(EventStatus::Confirmed);
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// Makes the caller a new personal feed address (the old one stops working).
pub fn create_feed(conn: &mut AnyConnection, policy: &Policy) -> AppResult<CalendarFeed> {
    let token = crate::secret::random_token(32);
    let user = policy.actor.id;
    diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user))).execute(conn)?;
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user),
            calendar_feeds::token_hash.eq(hash(&token)),
            calendar_feeds::created_at.eq(now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(user),
        "calendar_feed_create",
        "user",
        Some(user.0),
        json!({}),
    )?;
    Ok(CalendarFeed {
        url: format!("/api/v1/calendar/{token}.ics"),
        token,
    })
}

/// Revokes the caller's feed address, if any. Returns whether there was one.
pub fn revoke_feed(conn: &mut AnyConnection, policy: &Policy) -> AppResult<bool> {
    let user = policy.actor.id;
    let n = diesel::delete(calendar_feeds::table.filter(calendar_feeds::user_id.eq(user)))
        .execute(conn)?;
    if n > 0 {
        audit::record(
            conn,
            Some(user),
            "calendar_feed_revoke",
            "user",
            Some(user.0),
            json!({}),
        )?;
    }
    Ok(n > 0)
}

/// Whether the caller has a feed address.
pub fn has_feed(conn: &mut AnyConnection, policy: &Policy) -> AppResult<bool> {
    let n: i64 = calendar_feeds::table
        .filter(calendar_feeds::user_id.eq(policy.actor.id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The active user a feed token belongs to; 404 for an unknown or revoked token.
pub fn feed_user(conn: &mut AnyConnection, token: &str) -> AppResult<UserRow> {
    let valid = !token.is_empty()
        && token.len() <= 100
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    if !valid {
        return Err(AppError::NotFound);
    }
    let user_id: Option<UserId> = calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(hash(token)))
        .select(calendar_feeds::user_id)
        .first(conn)
        .optional()?;
    let user_id = user_id.ok_or(AppError::NotFound)?;
    user::find(conn, user_id)?
        .filter(|u| u.active)
        .ok_or(AppError::NotFound)
}
