//! Event use cases: plan an event (or make one from a shared lesson), list and read them, edit
//! them, and register and cancel people within the capacity and the enterprises' quotas. Each
//! change commits with its audit entry in one transaction; registrations lock the event first
//! (PostgreSQL), so two racing for the last seat never both get it.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDateTime};
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
fn alliance(
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

fn utc(at: DateTime<FixedOffset>) -> NaiveDateTime {
    at.naive_utc()
}

fn check_links(v: &mut Validator, links: &[String]) {
    v.check(
        links.len() <= max::LINKS,
        "links",
        msg::TOO_MANY.with("max", max::LINKS),
    );
    for link in links {
        let ok = (link.starts_with("https://") || link.starts_with("http://"))
            && link.len() <= max::LINK
            && !link.chars().any(|c| c.is_whitespace() || c.is_control());
        v.check(
            ok,
            "links",
            msg::LINK.with("link", link.chars().take(60).collect::<String>()),
        );
    }
}

/// Files are checked like any attachment, under their own field's name.
fn check_files(
    conn: &mut AnyConnection,
    policy: &Policy,
    v: &mut Validator,
    field: &str,
    ids: &[AttachmentId],
) -> AppResult<()> {
    let mut files = Validator::new();
    crate::findings::service::check_attachments(conn, &mut files, policy, ids)?;
    if let Err(AppError::Validation(errors)) = files.finish() {
        for e in errors {
            v.add(field, e.text);
        }
    }
    Ok(())
}

fn check_times(v: &mut Validator, starts_at: NaiveDateTime, ends_at: NaiveDateTime) {
    let sane = |t: NaiveDateTime| crate::db::types::sane(t.date());
    v.check(
        sane(starts_at),
        "starts_at",
        msg::BETWEEN.with("min", "2000").with("max", "2100"),
    );
    v.check(
        sane(ends_at),
        "ends_at",
        msg::BETWEEN.with("min", "2000").with("max", "2100"),
    );
    v.check(ends_at > starts_at, "ends_at", msg::ENDS_BEFORE_START);
}

pub fn create(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance_id: AllianceId,
    new: NewEvent,
) -> AppResult<EventId> {
    let (_, _, organizes) = alliance(conn, policy, alliance_id)?;
    if !organizes {
        return Err(AppError::Forbidden(
            "Only the alliance's lead and the regulators in scope organize its events.".into(),
        ));
    }
    let mut v = Validator::new();
    v.text("title", &new.title, max::TITLE);
    v.long_text("description", &new.description, max::DESCRIPTION);
    v.max_len("place", &new.place, max::PLACE);
    v.max_len("speaker", &new.speaker, max::SPEAKER);
    v.long_text("case_study", &new.case_study, max::CASE_STUDY);
    let (starts_at, ends_at) = (utc(new.starts_at), utc(new.ends_at));
    check_times(&mut v, starts_at, ends_at);
    v.check(
        (1..=max::CAPACITY).contains(&new.capacity),
        "capacity",
        msg::BETWEEN.with("min", 1).with("max", max::CAPACITY),
    );
    // Two people an enterprise by default (never more than the seats).
    let quota = new.quota.unwrap_or(2.min(new.capacity.max(1)));
    v.check(
        quota >= 1 && quota <= new.capacity,
        "quota",
        msg::QUOTA_ABOVE_CAPACITY,
    );
    let members = org::alliance_member_set(conn, alliance_id)?;
    let mut named = HashSet::new();
    for (i, r) in new.requirements.iter().enumerate() {
        let field = format!("requirements[{i}]");
        if !members.contains(&r.enterprise_id) {
            v.add(&field, msg::NOT_A_MEMBER_ID.with("id", r.enterprise_id));
        }
        v.check(named.insert(r.enterprise_id), &field, msg::LISTED_TWICE);
        v.check(
            r.people >= 1 && r.people <= new.capacity,
            &field,
            msg::QUOTA_ABOVE_CAPACITY,
        );
    }
    let required_all = new.required_all.unwrap_or(new.requirements.is_empty());
    v.check(
        !required_all || new.requirements.is_empty(),
        "requirements",
        msg::REQUIRED_ALL_OR_LIST,
    );
    check_links(&mut v, &new.links);
    check_files(conn, policy, &mut v, "material_ids", &new.material_ids)?;
    if let Some(lesson) = new.lesson_id {
        let shared = crate::findings::lessons::may_read(conn, policy, lesson)?
            && crate::findings::store::find(conn, lesson)?
                .is_some_and(|f| f.shared && f.alliance_id == Some(alliance_id));
        v.check(shared, "lesson_id", msg::NOT_A_LESSON);
    }
    v.finish()?;
    let id = store::insert(
        conn,
        store::Insert {
            alliance: alliance_id,
            new: &new,
            starts_at,
            ends_at,
            quota,
            required_all,
            created_by: policy.actor.id,
        },
    )?;
    store::set_requirements(conn, id, &new.requirements)?;
    store::add_materials(conn, id, &new.material_ids, store::MATERIAL)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "event_create",
        "event",
        Some(id.0),
        json!({"alliance_id": alliance_id, "kind": new.kind, "title": new.title.trim(),
               "starts_at": new.starts_at, "ends_at": new.ends_at, "capacity": new.capacity,
               "quota": quota, "required_all": required_all, "lesson_id": new.lesson_id}),
    )?;
    Ok(id)
}

pub fn update(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EventId,
    patch: EventPatch,
) -> AppResult<()> {
    let row = store::event_for_update(conn, id)?;
    let (mut row, _, organizes) = visible(conn, policy, row)?;
    if !organizes {
        return Err(AppError::Forbidden(
            "Only the event's organizers edit it.".into(),
        ));
    }
    let mut v = Validator::new();
    if let Some(t) = &patch.title {
        v.text("title", t, max::TITLE);
    }
    for (field, text, most) in [
        ("description", &patch.description, max::DESCRIPTION),
        ("summary", &patch.summary, max::SUMMARY),
    ] {
        if let Some(t) = text {
            v.long_text(field, t, most);
        }
    }
    if let Some(p) = &patch.place {
        v.max_len("place", p, max::PLACE);
    }
    if let Some(s) = &patch.speaker {
        v.max_len("speaker", s, max::SPEAKER);
    }
    let starts_at = patch.starts_at.map(utc).unwrap_or(row.starts_at);
    let ends_at = patch.ends_at.map(utc).unwrap_or(row.ends_at);
    check_times(&mut v, starts_at, ends_at);
    let capacity = patch.capacity.unwrap_or(row.capacity);
    let registered = store::registered_count(conn, id)?;
    v.check(
        (1..=max::CAPACITY).contains(&capacity),
        "capacity",
        msg::BETWEEN.with("min", 1).with("max", max::CAPACITY),
    );
    v.check(
        i64::from(capacity) >= registered,
        "capacity",
        msg::CAPACITY_BELOW_REGISTERED.with("count", registered),
    );
    // A quota left alone follows a capacity made smaller.
    let quota = patch.quota.unwrap_or(row.quota.min(capacity.max(1)));
    v.check(
        quota >= 1 && quota <= capacity,
        "quota",
        msg::QUOTA_ABOVE_CAPACITY,
    );
    if let Some(links) = &patch.links {
        check_links(&mut v, links);
    }
    let photos = patch.photo_ids.clone().unwrap_or_default();
    check_files(conn, policy, &mut v, "photo_ids", &photos)?;
    v.finish()?;
    store::add_materials(conn, id, &photos, store::PHOTO)?;
    let trimmed = |t: &Option<String>, old: &String| {
        t.as_deref().map_or(old.clone(), |t| t.trim().to_string())
    };
    row.title = trimmed(&patch.title, &row.title);
    row.description = trimmed(&patch.description, &row.description);
    row.place = trimmed(&patch.place, &row.place);
    row.speaker = trimmed(&patch.speaker, &row.speaker);
    row.summary = trimmed(&patch.summary, &row.summary);
    row.starts_at = starts_at;
    row.ends_at = ends_at;
    row.capacity = capacity;
    row.quota = quota;
    if let Some(links) = &patch.links {
        row.links = store::json(links);
    }
    store::save(conn, &row)?;
    audit::record(
        conn,
        Some(policy.actor.id),
        "event_update",
        "event",
        Some(id.0),
        json!({"title": patch.title, "starts_at": patch.starts_at, "ends_at": patch.ends_at,
               "place": patch.place, "capacity": patch.capacity, "quota": patch.quota,
               "summary": patch.summary.as_ref().map(|s| s.chars().count()), "photo_ids": photos}),
    )?;
    Ok(())
}

/// How many people `enterprise` may register: its requirement's number, else the event's quota.
fn quota_of(conn: &mut AnyConnection, row: &EventRow, enterprise: EnterpriseId) -> AppResult<i64> {
    let named = store::requirements(conn, row.id)?
        .into_iter()
        .find(|r| r.enterprise_id == enterprise);
    Ok(i64::from(named.map_or(row.quota, |r| r.people)))
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
