//! Planning an event: creating it (or making one from a shared lesson) and changing it. Both
//! check the event as it will be — its times, seats, who must attend, what only a warning
//! education carries — and commit it with its audit entry in one transaction.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::events::model::*;
use crate::events::service::{alliance, visible};
use crate::events::store;
use crate::message::msg;
use crate::org::store as org;

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
    for (field, at) in [("starts_at", starts_at), ("ends_at", ends_at)] {
        v.check(
            sane(at),
            field,
            msg::BETWEEN.with("min", "2000").with("max", "2100"),
        );
    }
    v.check(ends_at > starts_at, "ends_at", msg::ENDS_BEFORE_START);
}

/// Seats: the capacity, and the people each enterprise may register within it.
fn check_seats(v: &mut Validator, capacity: i32, quota: i32) {
    v.check(
        (1..=max::CAPACITY).contains(&capacity),
        "capacity",
        msg::BETWEEN.with("min", 1).with("max", max::CAPACITY),
    );
    v.check(
        quota >= 1 && quota <= capacity,
        "quota",
        msg::QUOTA_ABOVE_CAPACITY,
    );
}

/// Who must attend: every member, or at least one named current member, each once and with a
/// number of people within the seats.
/// Enterprises listed before (`known`) may stay listed after they left the alliance: the list
/// says who had to come.
fn check_requirements(
    conn: &mut AnyConnection,
    v: &mut Validator,
    (alliance, known): (AllianceId, &HashSet<EnterpriseId>),
    (required_all, requirements): (bool, &[Requirement]),
    capacity: i32,
) -> AppResult<()> {
    let members = org::alliance_member_set(conn, alliance)?;
    let mut named = HashSet::new();
    let people: i64 = requirements.iter().map(|r| i64::from(r.people)).sum();
    v.check(
        people <= i64::from(capacity),
        "requirements",
        msg::REQUIRED_ABOVE_CAPACITY.with("count", people),
    );
    for (i, r) in requirements.iter().enumerate() {
        let field = format!("requirements[{i}]");
        if !members.contains(&r.enterprise_id) && !known.contains(&r.enterprise_id) {
            v.add(&field, msg::NOT_A_MEMBER_ID.with("id", r.enterprise_id));
        }
        v.check(named.insert(r.enterprise_id), &field, msg::LISTED_TWICE);
        v.check(
            r.people >= 1 && r.people <= capacity,
            &field,
            msg::QUOTA_ABOVE_CAPACITY,
        );
    }
    v.check(
        !required_all || requirements.is_empty(),
        "requirements",
        msg::REQUIRED_ALL_OR_LIST,
    );
    v.check(
        required_all || !requirements.is_empty(),
        "requirements",
        msg::CHOOSE_ENTERPRISES,
    );
    Ok(())
}

/// What only a warning education carries: the case it studies, the hazard categories it
/// concerns, the shared lesson it was made from.
fn check_kind(v: &mut Validator, kind: EventKind, case_study: &str, categories: &[Category]) {
    if kind != EventKind::WarningEducation {
        v.check(
            case_study.trim().is_empty(),
            "case_study",
            msg::WARNING_EDUCATION_ONLY,
        );
        v.check(
            categories.is_empty(),
            "hazard_categories",
            msg::WARNING_EDUCATION_ONLY,
        );
    }
    let unique: HashSet<_> = categories.iter().collect();
    v.check(
        unique.len() == categories.len(),
        "hazard_categories",
        msg::LISTED_TWICE,
    );
}

const ORGANIZERS_ONLY: &str =
    "Only the alliance's lead and the regulators in scope organize its events.";

pub fn create(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance_id: AllianceId,
    mut new: NewEvent,
) -> AppResult<EventId> {
    let (_, _, organizes) = alliance(conn, policy, alliance_id)?;
    if !organizes {
        return Err(AppError::Forbidden(ORGANIZERS_ONLY.into()));
    }
    let mut v = Validator::new();
    v.text("title", &new.title, max::TITLE);
    v.long_text("description", &new.description, max::DESCRIPTION);
    v.max_len("place", &new.place, max::PLACE);
    v.max_len("speaker", &new.speaker, max::SPEAKER);
    v.long_text("case_study", &new.case_study, max::CASE_STUDY);
    let (starts_at, ends_at) = (utc(new.starts_at), utc(new.ends_at));
    check_times(&mut v, starts_at, ends_at);
    // Two people an enterprise by default (never more than the seats).
    let quota = new.quota.unwrap_or(2.min(new.capacity.max(1)));
    check_seats(&mut v, new.capacity, quota);
    let required_all = new.required_all.unwrap_or(new.requirements.is_empty());
    let who = (required_all, new.requirements.as_slice());
    let known = HashSet::new();
    check_requirements(conn, &mut v, (alliance_id, &known), who, new.capacity)?;
    check_kind(&mut v, new.kind, &new.case_study, &new.hazard_categories);
    check_links(&mut v, &new.links);
    check_files(conn, policy, &mut v, "material_ids", &new.material_ids)?;
    if let Some(lesson) = new.lesson_id {
        let found = match crate::findings::lessons::may_read(conn, policy, lesson)? {
            true => crate::findings::store::find(conn, lesson)?
                .filter(|f| f.shared && f.alliance_id == Some(alliance_id)),
            false => None,
        };
        v.check(found.is_some(), "lesson_id", msg::NOT_A_LESSON);
        // In one step: what the lesson is about, unless the organizer said otherwise.
        if let Some(f) = found.filter(|_| new.kind == EventKind::WarningEducation) {
            if new.hazard_categories.is_empty() {
                new.hazard_categories = vec![f.category];
            }
            if new.case_study.trim().is_empty() {
                new.case_study = format!("{}\n{}", f.title, f.description).trim().to_string();
            }
        }
        v.check(
            new.kind == EventKind::WarningEducation,
            "lesson_id",
            msg::WARNING_EDUCATION_ONLY,
        );
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
    super::notices::planned(
        conn,
        (id, &new.title, starts_at),
        alliance_id,
        (required_all, &new.requirements),
        policy.actor.id,
    )?;
    Ok(id)
}

/// Who must attend after a change: a list given makes the choice "these" (unless `required_all`
/// says otherwise), "every member" drops the list, and "these" alone keeps the list there was.
fn requirements_after(
    row: &EventRow,
    patch: &EventPatch,
    before: Vec<Requirement>,
) -> (bool, Vec<Requirement>) {
    let all = patch.required_all.unwrap_or(match &patch.requirements {
        Some(list) => list.is_empty(),
        None => row.required_all,
    });
    let list = match (&patch.requirements, all) {
        (Some(list), _) => list.clone(),
        (None, true) => Vec::new(),
        (None, false) => before,
    };
    (all, list)
}

/// No enterprise is left with more people registered than it may now send.
fn check_quotas_kept(
    conn: &mut AnyConnection,
    v: &mut Validator,
    id: EventId,
    quota: i32,
    requirements: &[Requirement],
) -> AppResult<()> {
    let mut per: HashMap<EnterpriseId, i64> = HashMap::new();
    for r in store::registrations(conn, id, None)? {
        *per.entry(r.2).or_default() += 1;
    }
    let mut over: Vec<_> = per.into_iter().collect();
    over.sort();
    let ids: Vec<EnterpriseId> = over.iter().map(|o| o.0).collect();
    let names = org::enterprise_names(conn, &ids)?;
    for (enterprise, count) in over {
        let named = requirements
            .iter()
            .position(|r| r.enterprise_id == enterprise);
        let (field, limit) = match named {
            Some(i) => (
                format!("requirements[{i}]"),
                requirements[i].people.max(quota),
            ),
            None => ("quota".to_string(), quota),
        };
        v.check(
            count <= i64::from(limit),
            &field,
            msg::QUOTA_BELOW_REGISTERED
                .with("name", names.get(&enterprise).cloned().unwrap_or_default())
                .with("count", count),
        );
    }
    Ok(())
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
        ("case_study", &patch.case_study, max::CASE_STUDY),
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
    // A quota left alone follows a capacity made smaller.
    let quota = patch.quota.unwrap_or(row.quota.min(capacity.max(1)));
    check_seats(&mut v, capacity, quota);
    let registered = store::registered_count(conn, id)?;
    let seats_kept = i64::from(capacity) >= registered;
    v.check(
        seats_kept,
        "capacity",
        msg::CAPACITY_BELOW_REGISTERED.with("count", registered),
    );
    let before = store::requirements(conn, id)?;
    let known: HashSet<EnterpriseId> = before.iter().map(|r| r.enterprise_id).collect();
    let (required_all, requirements) = requirements_after(&row, &patch, before);
    let who = (required_all, requirements.as_slice());
    check_requirements(conn, &mut v, (row.alliance_id, &known), who, capacity)?;
    // (Too few seats for those registered is said once, of the capacity.)
    if seats_kept {
        check_quotas_kept(conn, &mut v, id, quota, &requirements)?;
    }
    let kind = patch.kind.unwrap_or(row.kind);
    let case_study = patch.case_study.clone().unwrap_or(row.case_study.clone());
    let categories: Vec<Category> = match &patch.hazard_categories {
        Some(c) => c.clone(),
        None => serde_json::from_str(&row.hazard_categories).unwrap_or_default(),
    };
    check_kind(&mut v, kind, &case_study, &categories);
    v.check(
        row.lesson_id.is_none() || kind == EventKind::WarningEducation,
        "kind",
        msg::LESSON_KEEPS_KIND,
    );
    if let Some(links) = &patch.links {
        check_links(&mut v, links);
    }
    let materials = patch.material_ids.clone().unwrap_or_default();
    check_files(conn, policy, &mut v, "material_ids", &materials)?;
    let photos = patch.photo_ids.clone().unwrap_or_default();
    check_files(conn, policy, &mut v, "photo_ids", &photos)?;
    let removed = patch.remove_file_ids.clone().unwrap_or_default();
    let files: HashSet<AttachmentId> = store::materials(conn, id, store::MATERIAL)?
        .into_iter()
        .chain(store::materials(conn, id, store::PHOTO)?)
        .collect();
    // A file is on an event once.
    let mut adding: HashSet<AttachmentId> = HashSet::new();
    for (field, ids) in [("material_ids", &materials), ("photo_ids", &photos)] {
        for f in ids.iter() {
            let new_here = !files.contains(f) || removed.contains(f);
            v.check(new_here && adding.insert(*f), field, msg::LISTED_TWICE);
        }
    }
    for f in &removed {
        v.check(
            files.contains(f),
            "remove_file_ids",
            msg::NOT_EVENT_FILE.with("id", f),
        );
    }
    v.finish()?;
    store::remove_materials(conn, id, &removed)?;
    store::add_materials(conn, id, &materials, store::MATERIAL)?;
    store::add_materials(conn, id, &photos, store::PHOTO)?;
    if patch.required_all.is_some() || patch.requirements.is_some() {
        store::clear_requirements(conn, id)?;
        store::set_requirements(conn, id, &requirements)?;
    }
    let trimmed = |t: &Option<String>, old: &String| {
        t.as_deref().map_or(old.clone(), |t| t.trim().to_string())
    };
    row.title = trimmed(&patch.title, &row.title);
    row.description = trimmed(&patch.description, &row.description);
    row.place = trimmed(&patch.place, &row.place);
    row.speaker = trimmed(&patch.speaker, &row.speaker);
    row.summary = trimmed(&patch.summary, &row.summary);
    row.case_study = case_study.trim().to_string();
    row.hazard_categories = store::json(&categories);
    row.kind = kind;
    row.required_all = required_all;
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
        json!({"kind": patch.kind, "title": patch.title, "starts_at": patch.starts_at,
               "ends_at": patch.ends_at, "place": patch.place, "capacity": patch.capacity,
               "quota": patch.quota, "required_all": patch.required_all,
               "requirements": patch.requirements, "hazard_categories": patch.hazard_categories,
               "case_study": patch.case_study.as_ref().map(|s| s.chars().count()),
               "summary": patch.summary.as_ref().map(|s| s.chars().count()),
               "material_ids": materials, "photo_ids": photos, "remove_file_ids": removed}),
    )?;
    Ok(())
}
