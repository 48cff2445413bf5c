//! The findings: the mutual-inspection ones of the batches, and the rest (self-checks mostly,
//! some by experts and regulators) spread over the year before `as_of` (more lately, fewer at
//! weekends) and over the enterprises (a few report many), every category and grade, each
//! followed through its closed loop. Written in the order they were reported, in transactions
//! of [`CHUNK`] findings with their timelines.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use diesel::prelude::*;
use indicatif::ProgressBar;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::Rng;

use super::activity::Activity;
use super::district::{weighted, District};
use super::names;
use super::timeline::{follow, Life, Parties, Report, Step};
use super::Clock;
use crate::db::schema::{finding_events, findings};
use crate::db::AnyConnection;

/// Findings written per transaction.
const CHUNK: usize = 50_000;

/// What the findings are drawn from.
pub(super) struct Plan<'a> {
    pub district: &'a District,
    pub activity: &'a Activity,
    pub clock: &'a Clock,
    /// The first finding's id.
    pub first_id: i64,
    /// Findings in all, mutual-inspection ones included.
    pub total: usize,
}

/// What was written: the ids of the activity's failed items' findings (in order), and counts.
pub(super) struct Written {
    pub found_ids: Vec<i64>,
    pub findings: usize,
    pub events: usize,
}

/// One `findings` row.
struct Row<'a> {
    id: i64,
    enterprise: i64,
    alliance: Option<i64>,
    inspector: Option<i64>,
    inspection: Option<i64>,
    source: &'static str,
    text: [&'a str; 4],
    category: &'a str,
    grade: &'static str,
    deadline: Option<NaiveDate>,
    location: &'static str,
    person: &'a str,
    cost: Option<i64>,
    life: Life,
    by: i64,
    at: NaiveDateTime,
    place: (i64, i64),
}

/// The random choices: hazard texts (title, description, cause, measures) by category, the
/// enterprises (weighted) and the categories (weighted).
struct Draw {
    texts: Vec<Vec<[&'static str; 4]>>,
    enterprises: WeightedIndex<f64>,
    categories: WeightedIndex<f64>,
}

struct Writer<'a> {
    rows: Vec<Row<'a>>,
    steps: Vec<Step>,
    findings: usize,
    events: usize,
}

/// Writes `plan.total` findings with their timelines.
pub(super) fn write(
    conn: &mut AnyConnection,
    rng: &mut StdRng,
    plan: &Plan<'_>,
    bar: &ProgressBar,
) -> Result<Written, String> {
    let (d, act, clock) = (plan.district, plan.activity, plan.clock);
    let first_day = clock.day(365);
    let mut per_day = vec![0u32; 365];
    let others = plan.total.saturating_sub(act.found.len());
    if others > 0 {
        let days = weighted(&day_weights(first_day), "days")?;
        for _ in 0..others {
            per_day[days.sample(rng)] += 1;
        }
    }
    let mut found_by_day: Vec<Vec<usize>> = vec![Vec::new(); 365];
    for (i, f) in act.found.iter().enumerate() {
        let k = (f.day - first_day).num_days().clamp(0, 364) as usize;
        found_by_day[k].push(i);
    }
    let weights: Vec<f64> = names::CATEGORIES.iter().map(|c| c.1).collect();
    let draw = Draw {
        texts: texts(),
        enterprises: weighted(&enterprise_weights(rng, d), "enterprises")?,
        categories: weighted(&weights, "categories")?,
    };
    let mut w = Writer {
        rows: Vec::with_capacity(CHUNK.min(plan.total)),
        steps: Vec::new(),
        findings: 0,
        events: 0,
    };
    let mut found_ids = vec![0i64; act.found.len()];
    for (k, (&count, inspected_today)) in per_day.iter().zip(&found_by_day).enumerate() {
        let day = first_day + Duration::days(k as i64);
        let mut today: Vec<(NaiveDateTime, Option<usize>)> = inspected_today
            .iter()
            .map(|&i| (act.found[i].at, Some(i)))
            .collect();
        for _ in 0..count {
            let minute = Clock::at(day, rng.gen_range(480..1080));
            today.push((minute + Duration::seconds(rng.gen_range(0..60)), None));
        }
        today.sort_unstable();
        for (at, found) in today {
            // Ids in the order of reporting: the findings written and waiting, then this one.
            let id = plan.first_id + (w.findings + w.rows.len()) as i64;
            let row = match found {
                Some(i) => {
                    found_ids[i] = id;
                    inspected(rng, plan, i, id, &mut w.steps)
                }
                None => reported(rng, plan, &draw, (id, at, day), &mut w.steps),
            };
            w.rows.push(row);
            if w.rows.len() >= CHUNK {
                flush(conn, &mut w, bar)?;
            }
        }
    }
    flush(conn, &mut w, bar)?;
    Ok(Written {
        found_ids,
        findings: w.findings,
        events: w.events,
    })
}

/// More findings lately, fewer at weekends.
fn day_weights(first_day: NaiveDate) -> Vec<f64> {
    (0..365)
        .map(|k| {
            let day = first_day + Duration::days(k);
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            (0.5 + k as f64 / 364.0) * if weekend { 0.35 } else { 1.0 }
        })
        .collect()
}

/// A few enterprises report many findings; larger ones and riskier trades more.
fn enterprise_weights(rng: &mut StdRng, d: &District) -> Vec<f64> {
    d.enterprises
        .iter()
        .map(|e| {
            let trade = match d.industries[e.industry].code.as_str() {
                "hazchem" | "industry_trade" | "construction" => 1.5,
                "catering_gas" => 1.2,
                _ => 1.0,
            };
            let size = if e.above { 1.5 } else { 1.0 };
            (0.3 + 6.0 * rng.gen::<f64>().powi(4)) * trade * size
        })
        .collect()
}

/// The hazard texts of [`names::HAZARDS`], by category (in [`names::CATEGORIES`] order).
fn texts() -> Vec<Vec<[&'static str; 4]>> {
    let mut by_category = vec![Vec::new(); names::CATEGORIES.len()];
    for &line in names::HAZARDS {
        let mut parts = line.split('|');
        let category = parts.next().unwrap_or("other");
        let k = names::CATEGORIES
            .iter()
            .position(|c| c.0 == category)
            .unwrap_or(names::CATEGORIES.len() - 1);
        let mut text = [""; 4];
        for (slot, part) in text.iter_mut().zip(parts) {
            *slot = part;
        }
        by_category[k].push(text);
    }
    by_category
}

/// Who reviews a finding at enterprise `e`: a regulator of its street for a major one; else the
/// inspecting enterprise (a mutual inspection's), else the lead of its alliance (unless it is
/// the lead itself), else the regulator.
fn reviewer(
    d: &District,
    e: usize,
    alliance: Option<usize>,
    inspector: Option<usize>,
    major: bool,
) -> i64 {
    let regulator = d.streets[d.enterprises[e].street].regulator;
    match (major, inspector, alliance) {
        (true, _, _) => regulator,
        (false, Some(i), _) => d.enterprises[i].first_user,
        (false, None, Some(a)) if d.alliances[a].lead != e => {
            d.enterprises[d.alliances[a].lead].first_user
        }
        _ => regulator,
    }
}

/// A failed item of a mutual inspection, reported when the inspection was submitted.
fn inspected<'a>(
    rng: &mut StdRng,
    plan: &Plan<'a>,
    i: usize,
    id: i64,
    steps: &mut Vec<Step>,
) -> Row<'a> {
    let (d, act) = (plan.district, plan.activity);
    let f = &act.found[i];
    let inspection = &act.inspections[f.inspection];
    let batch = &act.batches[inspection.batch];
    let item = &act.checklists[batch.checklist].items[f.item];
    let (target, alliance) = (inspection.target, batch.alliance);
    let major = f.grade == "major";
    let parties = Parties {
        reporter: f.by,
        owner: d.enterprises[target].first_user,
        reviewer: reviewer(d, target, Some(alliance), Some(inspection.inspector), major),
        voider: reviewer(d, target, Some(alliance), None, major),
    };
    let report = Report {
        id,
        at: f.at,
        day: f.day,
        deadline: Some(f.deadline),
        can_share: true,
    };
    let life = follow(rng, &report, &parties, plan.clock.now, steps);
    let e = &d.enterprises[target];
    Row {
        id,
        enterprise: e.id,
        alliance: Some(d.alliances[alliance].id),
        inspector: Some(d.enterprises[inspection.inspector].id),
        inspection: Some(inspection.id),
        source: "mutual_inspection",
        text: [
            item.title.as_str(),
            item.descriptions[f.note].as_str(),
            "",
            "",
        ],
        category: item.category,
        grade: f.grade,
        deadline: life.deadline,
        location: "",
        person: "",
        cost: cost(rng, &life, true),
        life,
        by: f.by,
        at: f.at,
        place: (d.streets[e.street].id, d.industries[e.industry].id),
    }
}

/// A finding reported by the enterprise itself (most), an expert of its alliance or a regulator
/// of its street, at `at` on `day`.
fn reported<'a>(
    rng: &mut StdRng,
    plan: &Plan<'a>,
    draw: &Draw,
    (id, at, day): (i64, NaiveDateTime, NaiveDate),
    steps: &mut Vec<Step>,
) -> Row<'a> {
    let d = plan.district;
    let target = draw.enterprises.sample(rng);
    let e = &d.enterprises[target];
    // Reported within its street alliance, else its industry alliance (as the service picks).
    let alliance = [e.street_alliance, e.district_alliance]
        .into_iter()
        .flatten()
        .find(|&(_, joined)| joined <= day)
        .map(|(a, _)| a);
    let roll: f64 = rng.gen();
    let (source, by) = match alliance {
        Some(a) if roll < 0.09 => ("expert", d.alliances[a].expert),
        _ if roll < 0.17 => ("regulator", d.streets[e.street].regulator),
        _ => (
            "self_check",
            e.first_user + rng.gen_range(0..i64::from(e.users)),
        ),
    };
    let category = draw.categories.sample(rng);
    let texts = &draw.texts[category];
    let text = texts[rng.gen_range(0..texts.len())];
    let major = rng.gen_bool(0.05);
    let deadline = if major || rng.gen_bool(0.5) {
        let days = if major {
            [30, 60, 90][rng.gen_range(0..3)]
        } else {
            [7, 15, 30, 30, 60][rng.gen_range(0..5)]
        };
        Some(day + Duration::days(days))
    } else {
        None
    };
    let parties = Parties {
        reporter: by,
        owner: e.first_user,
        reviewer: reviewer(d, target, alliance, None, major),
        voider: reviewer(d, target, alliance, None, major),
    };
    let report = Report {
        id,
        at,
        day,
        deadline,
        can_share: alliance.is_some(),
    };
    let life = follow(rng, &report, &parties, plan.clock.now, steps);
    Row {
        id,
        enterprise: e.id,
        alliance: alliance.map(|a| d.alliances[a].id),
        inspector: None,
        inspection: None,
        source,
        text,
        category: names::CATEGORIES[category].0,
        grade: if major { "major" } else { "general" },
        deadline: life.deadline,
        location: names::LOCATIONS[rng.gen_range(0..names::LOCATIONS.len())],
        person: d.people[rng.gen_range(0..d.people.len())].as_str(),
        cost: cost(rng, &life, deadline.is_some()),
        life,
        by,
        at,
        place: (d.streets[e.street].id, d.industries[e.industry].id),
    }
}

/// What a rectification by a deadline cost, once closed (yuan, in cents).
fn cost(rng: &mut StdRng, life: &Life, by_deadline: bool) -> Option<i64> {
    (by_deadline && life.closed.is_some()).then(|| rng.gen_range(200..200_000i64) * 100)
}

/// Writes the findings and timelines gathered so far in one transaction.
fn flush(conn: &mut AnyConnection, w: &mut Writer<'_>, bar: &ProgressBar) -> Result<(), String> {
    if w.rows.is_empty() {
        return Ok(());
    }
    let (rows, steps) = (&w.rows, &w.steps);
    super::tx(conn, |c| {
        insert_rows!(c, findings::table, rows, 1000, |r| (
            findings::id.eq(r.id),
            findings::enterprise_id.eq(r.enterprise),
            findings::alliance_id.eq(r.alliance),
            findings::inspector_enterprise_id.eq(r.inspector),
            findings::inspection_id.eq(r.inspection),
            findings::source.eq(r.source),
            findings::title.eq(r.text[0]),
            findings::description.eq(r.text[1]),
            findings::cause.eq(r.text[2]),
            findings::category.eq(r.category),
            findings::grade.eq(r.grade),
            findings::treatment.eq(if r.deadline.is_some() {
                "deadline"
            } else {
                "on_the_spot"
            }),
            findings::deadline.eq(r.deadline),
            findings::location.eq(r.location),
            findings::measures.eq(r.text[3]),
            findings::cost_cents.eq(r.cost),
            findings::responsible_person.eq(r.person),
            findings::state.eq(r.life.state),
            findings::shared.eq(r.life.shared),
            findings::extension_requested_until.eq(r.life.requested),
            findings::reported_by.eq(r.by),
            findings::reported_at.eq(r.at),
            findings::updated_at.eq(r.life.updated),
            findings::closed_at.eq(r.life.closed),
            findings::region_id.eq(r.place.0),
            findings::industry_id.eq(r.place.1),
        ))?;
        insert_rows!(c, finding_events::table, steps, 3500, |s| (
            finding_events::finding_id.eq(s.finding),
            finding_events::action.eq(s.action),
            finding_events::actor_id.eq(s.actor),
            finding_events::at.eq(s.at),
            finding_events::note.eq(s.note),
            finding_events::from_state.eq(s.from),
            finding_events::to_state.eq(s.to),
            finding_events::deadline.eq(s.deadline),
        ))
    })?;
    bar.inc(w.rows.len() as u64);
    w.findings += w.rows.len();
    w.events += w.steps.len();
    w.rows.clear();
    w.steps.clear();
    Ok(())
}
