//! Writes the activity laid out by [`super::activity`]: checklist templates, batches with their
//! participants and inspections, events with registrations and attendance, and (once the
//! findings exist) the inspections' item results.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::activity::{Activity, Item, FAIL, NOT_APPLICABLE};
use super::district::District;
use super::names;
use crate::db::schema::{
    attendances, batch_participants, checklist_items, checklists, events, inspection_batches,
    inspection_results, inspections, registrations,
};
use crate::db::AnyConnection;

/// Writes templates, batches, inspections and events (not the results: see [`insert_results`]).
pub(super) fn insert(conn: &mut AnyConnection, d: &District, act: &Activity) -> Result<(), String> {
    insert_rows!(conn, checklists::table, act.checklists, 2000, |c| (
        checklists::id.eq(c.id),
        checklists::family_id.eq(c.id),
        checklists::version.eq(1),
        checklists::name.eq(c.name.as_str()),
        checklists::note.eq(c.note.as_str()),
        checklists::alliance_id.eq(None::<i64>),
        checklists::industry_id.eq(c.industry),
        checklists::current.eq(true),
        checklists::created_by.eq(None::<i64>),
        checklists::created_at.eq(c.created),
    ))?;
    let items: Vec<(i64, i32, &Item)> = act
        .checklists
        .iter()
        .flat_map(|c| {
            (1..)
                .zip(&c.items)
                .map(move |(position, item)| (c.id, position, item))
        })
        .collect();
    insert_rows!(conn, checklist_items::table, items, 3000, |&(
        checklist,
        position,
        item,
    )| (
        checklist_items::id.eq(item.id),
        checklist_items::checklist_id.eq(checklist),
        checklist_items::position.eq(position),
        checklist_items::text.eq(item.text.as_str()),
        checklist_items::category.eq(item.category),
        checklist_items::clause.eq(item.clause.as_str()),
        checklist_items::grade.eq(item.grade),
        checklist_items::caution.eq(item.caution.as_str()),
    ))?;
    insert_rows!(conn, inspection_batches::table, act.batches, 1500, |b| (
        inspection_batches::id.eq(b.id),
        inspection_batches::alliance_id.eq(d.alliances[b.alliance].id),
        inspection_batches::name.eq(b.name.as_str()),
        inspection_batches::starts_on.eq(b.starts),
        inspection_batches::ends_on.eq(b.ends),
        inspection_batches::checklist_id.eq(act.checklists[b.checklist].id),
        inspection_batches::state.eq(b.state),
        inspection_batches::per_target.eq(1),
        inspection_batches::recent_batches.eq(2),
        inspection_batches::seed.eq(b.seed),
        inspection_batches::conflicts.eq("[]"),
        inspection_batches::relaxed.eq("[]"),
        inspection_batches::created_by.eq(b.created_by),
        inspection_batches::created_at.eq(b.created),
        inspection_batches::updated_at.eq(b.updated),
        inspection_batches::published_at.eq(b.published),
        inspection_batches::closed_at.eq(b.closed),
    ))?;
    let participants: Vec<(i64, i64)> = act
        .batches
        .iter()
        .flat_map(|b| {
            b.participants
                .iter()
                .map(move |&e| (b.id, d.enterprises[e].id))
        })
        .collect();
    insert_rows!(conn, batch_participants::table, participants, 10_000, |p| (
        batch_participants::batch_id.eq(p.0),
        batch_participants::enterprise_id.eq(p.1),
    ))?;
    insert_rows!(conn, inspections::table, act.inspections, 2500, |i| (
        inspections::id.eq(i.id),
        inspections::batch_id.eq(act.batches[i.batch].id),
        inspections::inspector_enterprise_id.eq(d.enterprises[i.inspector].id),
        inspections::target_enterprise_id.eq(d.enterprises[i.target].id),
        inspections::scheduled_on.eq(Some(i.day)),
        inspections::state.eq(i.state),
        inspections::inspectors.eq(i.inspectors.map_or_else(String::new, |(a, b)| {
            format!("{}、{}", d.people[a as usize], d.people[b as usize])
        })),
        inspections::submitted_at.eq(i.submitted.map(|s| s.0)),
        inspections::submitted_by.eq(i.submitted.map(|s| s.1)),
        inspections::submit_key.eq(None::<String>),
        inspections::submit_hash.eq(i
            .submitted
            .map(|_| { hex::encode(Sha256::digest(format!("synthetic inspection {}", i.id))) })),
        inspections::updated_at.eq(i.updated),
    ))?;
    insert_events(conn, d, act)
}

fn insert_events(conn: &mut AnyConnection, d: &District, act: &Activity) -> Result<(), String> {
    insert_rows!(conn, events::table, act.events, 1500, |e| {
        let (kind, _, description) = names::EVENTS[e.kind];
        let warning = kind == "warning_education";
        (
            events::id.eq(e.id),
            events::alliance_id.eq(d.alliances[e.alliance].id),
            events::kind.eq(kind),
            events::title.eq(e.title),
            events::description.eq(description),
            events::starts_at.eq(e.starts),
            events::ends_at.eq(e.ends),
            events::place.eq(e.place.as_str()),
            events::speaker.eq(e.speaker.as_str()),
            events::capacity.eq(e.capacity),
            events::quota.eq(e.quota),
            events::required_all.eq(e.required_all),
            events::case_study.eq(if warning { names::CASE_STUDY } else { "" }),
            events::hazard_categories.eq(if warning {
                names::CASE_CATEGORIES
            } else {
                "[]"
            }),
            events::links.eq("[]"),
            events::summary.eq(e.summary.as_str()),
            events::lesson_id.eq(None::<i64>),
            events::created_by.eq(e.created_by),
            events::created_at.eq(e.created),
            events::updated_at.eq(e.updated),
        )
    })?;
    insert_rows!(conn, registrations::table, act.registrations, 5000, |r| (
        registrations::event_id.eq(r.event),
        registrations::enterprise_id.eq(r.enterprise),
        registrations::user_id.eq(r.user),
        registrations::registered_by.eq(r.user),
        registrations::registered_at.eq(r.at),
    ))?;
    insert_rows!(conn, attendances::table, act.attendances, 4000, |a| (
        attendances::event_id.eq(a.event),
        attendances::enterprise_id.eq(a.enterprise),
        attendances::user_id.eq(a.user),
        attendances::name.eq(d.people[a.name as usize].as_str()),
        attendances::method.eq(a.method),
        attendances::checked_in_at.eq(a.at),
        attendances::checked_in_by.eq(a.by),
    ))
}

/// One item result: inspection, item, outcome, note, grade, finding and deadline.
type ResultRow = (
    i64,
    i64,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<i64>,
    Option<chrono::NaiveDate>,
);

fn write_results(conn: &mut AnyConnection, rows: &[ResultRow]) -> Result<(), String> {
    super::tx(conn, |c| {
        insert_rows!(c, inspection_results::table, rows, 3500, |r| (
            inspection_results::inspection_id.eq(r.0),
            inspection_results::item_id.eq(r.1),
            inspection_results::result.eq(r.2),
            inspection_results::note.eq(r.3),
            inspection_results::grade.eq(r.4),
            inspection_results::attachment_ids.eq("[]"),
            inspection_results::finding_id.eq(r.5),
            inspection_results::deadline.eq(r.6),
        ))
    })
}

/// Writes every submitted inspection's item results, a failed item with its finding
/// (`finding_ids`: the ids of [`Activity::found`], in order), in transactions of 100,000.
pub(super) fn insert_results(
    conn: &mut AnyConnection,
    act: &Activity,
    finding_ids: &[i64],
) -> Result<(), String> {
    let mut found = act.found.iter().zip(finding_ids);
    let mut rows: Vec<ResultRow> = Vec::with_capacity(100_000);
    for inspection in act.inspections.iter().filter(|i| i.submitted.is_some()) {
        let items = &act.checklists[act.batches[inspection.batch].checklist].items;
        let outcomes = &act.outcomes[inspection.outcomes..inspection.outcomes + items.len()];
        for (item, &outcome) in items.iter().zip(outcomes) {
            let row = match outcome {
                FAIL => {
                    let (f, &id) = found
                        .next()
                        .ok_or("a failed item has no finding (internal error)")?;
                    let note = names::FAIL_NOTES[f.note];
                    (
                        inspection.id,
                        item.id,
                        "fail",
                        note,
                        Some(f.grade),
                        Some(id),
                        Some(f.deadline),
                    )
                }
                NOT_APPLICABLE => (inspection.id, item.id, "na", "不涉及", None, None, None),
                _ => (inspection.id, item.id, "pass", "", None, None, None),
            };
            rows.push(row);
        }
        if rows.len() >= 100_000 {
            write_results(conn, &rows)?;
            rows.clear();
        }
    }
    write_results(conn, &rows)
}
