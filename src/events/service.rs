//! Event use cases: list and read events, and register and cancel people within the capacity and
//! the enterprises' quotas (planning them is in [`crate::events::plan`]). Each change commits
//! with its audit entry in one transaction; registrations lock the event first (PostgreSQL), so
//! two racing for the last seat never both get it.

use std::collections::HashSet;

use serde_json::json;

use crate::access::{Place, Policy};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::auth::{user, Role};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::events::model::*;
use crate::events::store;
use crate::message::msg;
use crate::org::model::AllianceRow;
use crate::org::service as org_service;
use crate::org::store as org;

/// An alliance whose events the caller sees (else 404), where it is, and whether the caller
/// organizes them.
pub(crate) fn alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
) -> AppResult<(AllianceRow, Place, bool)> {
    let row = org::alliance(conn, id)?.ok_or(AppError::NotFound)?;
    let place = org_service::alliance_place(conn, &row)?;
    if !policy.sees_events(id, &place) {
        return Err(AppError::NotFound);
    }
    let organizes = policy.organizes_events(id, &place);
    Ok((row, place, organizes))
}

/// 404 unless the caller sees the alliance's events, 403 unless it organizes them.
pub fn may_organize(conn: &mut AnyConnection, policy: &Policy, id: AllianceId) -> AppResult<()> {
    match alliance(conn, policy, id)? {
        (_, _, true) => Ok(()),
        _ => Err(AppError::Forbidden(
            "Only the alliance's lead and the regulators in scope organize its events.".into(),
        )),
    }
}

/// An event the caller sees, with its alliance's place and whether the caller organizes it.
pub fn visible(
    conn: &mut AnyConnection,
    policy: &Policy,
    row: Option<EventRow>,
) -> AppResult<(EventRow, Place, bool)> {
    let row = row.ok_or(AppError::NotFound)?;
    let (_, place, organizes) = alliance(conn, policy, row.alliance_id)?;
    Ok((row, place, organizes))
}

fn view(row: &EventRow, registered: i64) -> Event {
    Event {
        id: row.id,
        alliance_id: row.alliance_id,
        kind: row.kind,
        title: row.title.clone(),
        description: row.description.clone(),
        starts_at: local(row.starts_at),
        ends_at: local(row.ends_at),
        place: row.place.clone(),
        speaker: row.speaker.clone(),
        capacity: row.capacity,
        quota: row.quota,
        required_all: row.required_all,
        case_study: row.case_study.clone(),
        hazard_categories: serde_json::from_str(&row.hazard_categories).unwrap_or_default(),
        links: serde_json::from_str(&row.links).unwrap_or_default(),
        summary: row.summary.clone(),
        lesson_id: row.lesson_id,
        registered,
        created_at: local(row.created_at),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance_id: AllianceId,
    q: &EventQuery,
) -> AppResult<Paginated<Event>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    alliance(conn, policy, alliance_id)?;
    let (rows, total) = store::list(conn, alliance_id, q, page, now())?;
    let ids: Vec<EventId> = rows.iter().map(|r| r.id).collect();
    let counts = store::registered_counts(conn, &ids)?;
    let items = rows
        .iter()
        .map(|r| view(r, counts.get(&r.id).copied().unwrap_or(0)))
        .collect();
    Ok(page.wrap(items, total))
}

pub fn detail(conn: &mut AnyConnection, policy: &Policy, id: EventId) -> AppResult<EventDetail> {
    let row = store::event(conn, id)?;
    let (row, _, organizes) = visible(conn, policy, row)?;
    let count = store::registered_count(conn, id)?;
    // The organizer sees everyone's registrations; a member its own enterprise's.
    let whose = match organizes {
        true => None,
        false => Some(policy.own_enterprise().unwrap_or_default()),
    };
    let rows = store::registrations(conn, id, whose)?;
    let ids: Vec<EnterpriseId> = rows.iter().map(|r| r.2).collect();
    let names = org::enterprise_names(conn, &ids)?;
    let registrations = rows
        .into_iter()
        .map(|(user_id, user_name, enterprise_id, at)| Registration {
            user_id,
            user_name,
            enterprise_name: names.get(&enterprise_id).cloned().unwrap_or_default(),
            enterprise_id,
            registered_at: local(at),
        })
        .collect();
    Ok(EventDetail {
        event: view(&row, count),
        requirements: store::requirements(conn, id)?,
        material_ids: store::materials(conn, id, store::MATERIAL)?,
        photo_ids: store::materials(conn, id, store::PHOTO)?,
        registrations,
        organizer: organizes,
    })
}

/// How many people `enterprise` may register: the event's quota, or its requirement's number if
/// that is more.
fn quota_of(conn: &mut AnyConnection, row: &EventRow, enterprise: EnterpriseId) -> AppResult<i64> {
    let named = store::requirements(conn, row.id)?
        .into_iter()
        .find(|r| r.enterprise_id == enterprise);
    // A required enterprise may send as many as it must, and never fewer than the quota.
    Ok(i64::from(
        named.map_or(row.quota, |r| r.people.max(row.quota)),
    ))
}

pub fn register(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EventId,
    req: NewRegistration,
) -> AppResult<()> {
    let row = store::event_for_update(conn, id)?;
    let (row, place, _) = visible(conn, policy, row)?;
    let enterprise = req
        .enterprise_id
        .or(policy.own_enterprise())
        .ok_or_else(|| AppError::field("enterprise_id", msg::REQUIRED))?;
    let members = org::alliance_member_set(conn, row.alliance_id)?;
    if !members.contains(&enterprise) {
        return Err(AppError::field(
            "enterprise_id",
            msg::NOT_A_MEMBER_ID.with("id", enterprise),
        ));
    }
    if !policy.registers_for(row.alliance_id, &place, enterprise) {
        return Err(AppError::Forbidden(
            "You register your own enterprise's people.".into(),
        ));
    }
    if row.ends_at <= now() {
        return Err(AppError::conflict("event-over", "The event is over."));
    }
    let users = req.user_ids.unwrap_or_else(|| vec![policy.actor.id]);
    let mut v = Validator::new();
    v.check(!users.is_empty(), "user_ids", msg::REQUIRED);
    v.check(
        users.len() <= 100,
        "user_ids",
        msg::TOO_MANY.with("max", 100),
    );
    let unique: HashSet<_> = users.iter().collect();
    v.check(unique.len() == users.len(), "user_ids", msg::LISTED_TWICE);
    let already: HashSet<UserId> = store::registrations(conn, id, None)?
        .into_iter()
        .map(|r| r.0)
        .collect();
    for u in &users {
        let of_enterprise = user::find(conn, *u)?.is_some_and(|row| {
            row.active && row.role == Role::Enterprise && row.enterprise_id == Some(enterprise)
        });
        v.check(
            of_enterprise,
            "user_ids",
            msg::NOT_ENTERPRISE_USER.with("id", u),
        );
        // (Whether another enterprise's user is registered is not the caller's to learn.)
        v.check(
            !of_enterprise || !already.contains(u),
            "user_ids",
            msg::ALREADY_REGISTERED.with("id", u),
        );
    }
    v.finish()?;
    let total = already.len() as i64;
    let seats = i64::from(row.capacity) - total;
    let theirs = store::registered_of(conn, id, enterprise)?;
    let quota = quota_of(conn, &row, enterprise)?;
    let asked = users.len() as i64;
    if asked > seats {
        return Err(AppError::conflict(
            "event-full",
            format!("{seats} seats are left of {}.", row.capacity),
        ));
    }
    if theirs + asked > quota {
        return Err(AppError::conflict(
            "quota-reached",
            format!("The enterprise may register {quota} people; {theirs} are registered."),
        ));
    }
    for u in &users {
        store::register(conn, id, enterprise, *u, policy.actor.id)?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "event_register",
        "event",
        Some(id.0),
        json!({"enterprise_id": enterprise, "user_ids": users}),
    )?;
    Ok(())
}

pub fn cancel(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EventId,
    user_id: UserId,
) -> AppResult<()> {
    let row = store::event_for_update(conn, id)?;
    let (row, place, _) = visible(conn, policy, row)?;
    // Another enterprise's registration reads as none (who registered is not the caller's).
    let registered = store::registrations(conn, id, None)?
        .into_iter()
        .find(|r| r.0 == user_id)
        .filter(|r| policy.registers_for(row.alliance_id, &place, r.2))
        .ok_or(AppError::NotFound)?;
    // Who was registered is part of the event's record once it is over.
    if row.ends_at <= now() {
        return Err(AppError::conflict("event-over", "The event is over."));
    }
    store::cancel(conn, id, user_id)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "event_cancel_registration",
        "event",
        Some(id.0),
        json!({"user_id": user_id, "enterprise_id": registered.2}),
    )?;
    Ok(())
}
