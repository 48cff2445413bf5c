//! Queries for events, their requirements, materials and registrations.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{event_materials, event_requirements, events, registrations, users};
use crate::db::types::now;
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::events::model::*;

pub fn event(conn: &mut AnyConnection, id: EventId) -> AppResult<Option<EventRow>> {
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// The event, locked for the rest of the transaction on PostgreSQL: registrations for its last
/// seats take turns (SQLite's single writer already makes them).
pub fn event_for_update(conn: &mut AnyConnection, id: EventId) -> AppResult<Option<EventRow>> {
    Ok(match conn {
        AnyConnection::Postgresql(c) => events::table
            .find(id)
            .select(EventRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        AnyConnection::Sqlite(c) => events::table
            .find(id)
            .select(EventRow::as_select())
            .first(c)
            .optional()?,
    })
}

pub fn list(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    q: &EventQuery,
    page: PageRequest,
    at: NaiveDateTime,
) -> AppResult<(Vec<EventRow>, i64)> {
    let base = || {
        let mut query = events::table
            .filter(events::alliance_id.eq(alliance))
            .into_boxed::<MultiBackend>();
        if let Some(kind) = q.kind {
            query = query.filter(events::kind.eq(kind));
        }
        match q.upcoming {
            Some(true) => query = query.filter(events::ends_at.ge(at)),
            Some(false) => query = query.filter(events::ends_at.lt(at)),
            None => {}
        }
        query
    };
    let total = base().select(count_star()).first(conn)?;
    let rows = base()
        .order((events::starts_at.desc(), events::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(EventRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub struct Insert<'a> {
    pub alliance: AllianceId,
    pub new: &'a NewEvent,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub quota: i32,
    pub required_all: bool,
    pub created_by: UserId,
}

pub fn insert(conn: &mut AnyConnection, e: Insert<'_>) -> AppResult<EventId> {
    let at = now();
    let new = e.new;
    Ok(diesel::insert_into(events::table)
        .values((
            events::alliance_id.eq(e.alliance),
            events::kind.eq(new.kind),
            events::title.eq(new.title.trim()),
            events::description.eq(new.description.trim()),
            events::starts_at.eq(e.starts_at),
            events::ends_at.eq(e.ends_at),
            events::place.eq(new.place.trim()),
            events::speaker.eq(new.speaker.trim()),
            events::capacity.eq(new.capacity),
            events::quota.eq(e.quota),
            events::required_all.eq(e.required_all),
            events::case_study.eq(new.case_study.trim()),
            events::hazard_categories.eq(json(&new.hazard_categories)),
            events::links.eq(json(&new.links)),
            events::summary.eq(""),
            events::lesson_id.eq(new.lesson_id),
            events::created_by.eq(e.created_by),
            events::created_at.eq(at),
            events::updated_at.eq(at),
        ))
        .returning(events::id)
        .get_result(conn)?)
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// Writes an event's changeable columns back.
pub fn save(conn: &mut AnyConnection, e: &EventRow) -> AppResult<()> {
    diesel::update(events::table.find(e.id))
        .set((
            events::kind.eq(e.kind),
            events::title.eq(&e.title),
            events::description.eq(&e.description),
            events::starts_at.eq(e.starts_at),
            events::ends_at.eq(e.ends_at),
            events::place.eq(&e.place),
            events::speaker.eq(&e.speaker),
            events::capacity.eq(e.capacity),
            events::quota.eq(e.quota),
            events::required_all.eq(e.required_all),
            events::case_study.eq(&e.case_study),
            events::hazard_categories.eq(&e.hazard_categories),
            events::summary.eq(&e.summary),
            events::links.eq(&e.links),
            events::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_requirements(
    conn: &mut AnyConnection,
    id: EventId,
    requirements: &[Requirement],
) -> AppResult<()> {
    for r in requirements {
        diesel::insert_into(event_requirements::table)
            .values((
                event_requirements::event_id.eq(id),
                event_requirements::enterprise_id.eq(r.enterprise_id),
                event_requirements::people.eq(r.people),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear_requirements(conn: &mut AnyConnection, id: EventId) -> AppResult<()> {
    diesel::delete(event_requirements::table.filter(event_requirements::event_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

pub fn requirements(conn: &mut AnyConnection, id: EventId) -> AppResult<Vec<Requirement>> {
    let rows: Vec<(EnterpriseId, i32)> = event_requirements::table
        .filter(event_requirements::event_id.eq(id))
        .order(event_requirements::enterprise_id.asc())
        .select((
            event_requirements::enterprise_id,
            event_requirements::people,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(enterprise_id, people)| Requirement {
            enterprise_id,
            people,
        })
        .collect())
}

/// A file's role in an event: material (before), photo (after).
pub const MATERIAL: &str = "material";
pub const PHOTO: &str = "photo";

pub fn add_materials(
    conn: &mut AnyConnection,
    id: EventId,
    ids: &[AttachmentId],
    role: &str,
) -> AppResult<()> {
    for a in ids {
        diesel::insert_into(event_materials::table)
            .values((
                event_materials::event_id.eq(id),
                event_materials::attachment_id.eq(a),
                event_materials::role.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Takes files off an event (the files themselves stay, as evidence elsewhere may name them).
pub fn remove_materials(
    conn: &mut AnyConnection,
    id: EventId,
    ids: &[AttachmentId],
) -> AppResult<()> {
    if !ids.is_empty() {
        diesel::delete(
            event_materials::table
                .filter(event_materials::event_id.eq(id))
                .filter(event_materials::attachment_id.eq_any(ids)),
        )
        .execute(conn)?;
    }
    Ok(())
}

pub fn materials(
    conn: &mut AnyConnection,
    id: EventId,
    role: &str,
) -> AppResult<Vec<AttachmentId>> {
    Ok(event_materials::table
        .filter(event_materials::event_id.eq(id))
        .filter(event_materials::role.eq(role))
        .order(event_materials::attachment_id.asc())
        .select(event_materials::attachment_id)
        .load(conn)?)
}

/// The events an attachment is material of.
pub fn events_of_material(conn: &mut AnyConnection, id: AttachmentId) -> AppResult<Vec<EventId>> {
    Ok(event_materials::table
        .filter(event_materials::attachment_id.eq(id))
        .select(event_materials::event_id)
        .load(conn)?)
}

/// Registrations per event.
pub fn registered_counts(
    conn: &mut AnyConnection,
    ids: &[EventId],
) -> AppResult<HashMap<EventId, i64>> {
    let rows: Vec<(EventId, i64)> = registrations::table
        .filter(registrations::event_id.eq_any(ids))
        .group_by(registrations::event_id)
        .select((registrations::event_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Registrations for one event.
pub fn registered_count(conn: &mut AnyConnection, id: EventId) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(id))
        .select(count_star())
        .first(conn)?)
}

/// Registrations of one enterprise for an event.
pub fn registered_of(
    conn: &mut AnyConnection,
    id: EventId,
    enterprise: EnterpriseId,
) -> AppResult<i64> {
    Ok(registrations::table
        .filter(registrations::event_id.eq(id))
        .filter(registrations::enterprise_id.eq(enterprise))
        .select(count_star())
        .first(conn)?)
}

/// An event's registrations (of one enterprise, or all), with names, in the order they came.
pub fn registrations(
    conn: &mut AnyConnection,
    id: EventId,
    enterprise: Option<EnterpriseId>,
) -> AppResult<Vec<(UserId, String, EnterpriseId, NaiveDateTime)>> {
    let mut query = registrations::table
        .inner_join(users::table.on(users::id.eq(registrations::user_id)))
        .filter(registrations::event_id.eq(id))
        .into_boxed::<MultiBackend>();
    if let Some(e) = enterprise {
        query = query.filter(registrations::enterprise_id.eq(e));
    }
    Ok(query
        .order(registrations::id.asc())
        .select((
            registrations::user_id,
            users::name,
            registrations::enterprise_id,
            registrations::registered_at,
        ))
        .load(conn)?)
}

pub fn register(
    conn: &mut AnyConnection,
    id: EventId,
    enterprise: EnterpriseId,
    user: UserId,
    by: UserId,
) -> AppResult<()> {
    diesel::insert_into(registrations::table)
        .values((
            registrations::event_id.eq(id),
            registrations::enterprise_id.eq(enterprise),
            registrations::user_id.eq(user),
            registrations::registered_by.eq(by),
            registrations::registered_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cancels a registration; returns the enterprise it was for, if there was one.
pub fn cancel(
    conn: &mut AnyConnection,
    id: EventId,
    user: UserId,
) -> AppResult<Option<EnterpriseId>> {
    let enterprise: Option<EnterpriseId> = registrations::table
        .filter(registrations::event_id.eq(id))
        .filter(registrations::user_id.eq(user))
        .select(registrations::enterprise_id)
        .first(conn)
        .optional()?;
    if enterprise.is_some() {
        diesel::delete(
            registrations::table
                .filter(registrations::event_id.eq(id))
                .filter(registrations::user_id.eq(user)),
        )
        .execute(conn)?;
    }
    Ok(enterprise)
}

/// The active users of an enterprise (those who may be registered for it).
pub fn enterprise_users(
    conn: &mut AnyConnection,
    enterprise: EnterpriseId,
) -> AppResult<Vec<(UserId, String)>> {
    Ok(users::table
        .filter(users::enterprise_id.eq(enterprise))
        .filter(users::active.eq(true))
        .order(users::name.asc())
        .select((users::id, users::name))
        .load(conn)?)
}

/// Events of these alliances that end at or after `from`, soonest first (for the calendar).
pub fn events_of_alliances(
    conn: &mut AnyConnection,
    alliances: &[AllianceId],
    from: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    Ok(events::table
        .filter(events::alliance_id.eq_any(alliances))
        .filter(events::ends_at.ge(from))
        .order((events::starts_at.asc(), events::id.asc()))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?)
}
