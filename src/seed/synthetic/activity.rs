//! A year of alliance activity, laid out in memory: the district's checklist templates,
//! quarterly mutual-inspection batches (paired in a ring, so that each participant inspects one
//! and is inspected by one), their results (failed items become findings, within the findings
//! asked for), and events about monthly with registrations and attendance.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use super::alliance_events::{plan_events, Attendance, Event, Registration};
use super::district::District;
use super::names;
use super::{Clock, Ids};

pub(super) struct Item {
    pub id: i64,
    pub text: String,
    /// The finding's title when the item fails (its text, at most 200 characters).
    pub title: String,
    /// The finding's description for each of [`names::FAIL_NOTES`] (note and clause).
    pub descriptions: Vec<String>,
    pub category: &'static str,
    pub grade: &'static str,
    pub clause: String,
    pub caution: String,
}

pub(super) struct Checklist {
    pub id: i64,
    pub name: String,
    pub note: String,
    pub industry: Option<i64>,
    pub created: NaiveDateTime,
    pub items: Vec<Item>,
}

pub(super) struct Batch {
    pub id: i64,
    pub alliance: usize,
    pub name: String,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    pub checklist: usize,
    pub state: &'static str,
    pub seed: i64,
    pub created_by: i64,
    pub created: NaiveDateTime,
    pub updated: NaiveDateTime,
    pub published: Option<NaiveDateTime>,
    pub closed: Option<NaiveDateTime>,
    /// Indexes of the district's enterprises.
    pub participants: Vec<usize>,
}

pub(super) struct Inspection {
    pub id: i64,
    pub batch: usize,
    pub inspector: usize,
    pub target: usize,
    pub day: NaiveDate,
    pub state: &'static str,
    /// The two people who inspected (indexes of the district's people), once submitted.
    pub inspectors: Option<(u16, u16)>,
    /// When and by whom (a user of the inspecting enterprise) it was submitted.
    pub submitted: Option<(NaiveDateTime, i64)>,
    pub updated: NaiveDateTime,
    /// Where its items' outcomes start in [`Activity::outcomes`] (submitted ones).
    pub outcomes: usize,
}

/// A failed item: a mutual-inspection finding.
pub(super) struct Found {
    pub inspection: usize,
    /// The item's index in its checklist.
    pub item: usize,
    pub at: NaiveDateTime,
    pub day: NaiveDate,
    pub by: i64,
    pub grade: &'static str,
    pub deadline: NaiveDate,
    /// An index of [`names::FAIL_NOTES`].
    pub note: usize,
}

/// Item outcomes, as kept in [`Activity::outcomes`].
pub(super) const PASS: u8 = 0;
pub(super) const FAIL: u8 = 1;
pub(super) const NOT_APPLICABLE: u8 = 2;

#[derive(Default)]
pub(super) struct Activity {
    pub checklists: Vec<Checklist>,
    pub batches: Vec<Batch>,
    pub inspections: Vec<Inspection>,
    pub outcomes: Vec<u8>,
    pub found: Vec<Found>,
    pub events: Vec<Event>,
    pub registrations: Vec<Registration>,
    pub attendances: Vec<Attendance>,
}

/// Lays out the year's activity; at most `budget` failed items (the findings asked for).
pub(super) fn build(
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    ids: &Ids,
    budget: usize,
) -> Result<Activity, String> {
    let mut act = Activity {
        checklists: checklists(d, clock, ids)?,
        ..Activity::default()
    };
    for a in 0..d.alliances.len() {
        plan_batches(rng, d, clock, ids, &mut act, a);
    }
    record_results(rng, &mut act, budget);
    for a in 0..d.alliances.len() {
        plan_events(rng, d, clock, ids, &mut act, a);
    }
    Ok(act)
}

/// The district-wide templates of `seeds/checklists.json`.
fn checklists(d: &District, clock: &Clock, ids: &Ids) -> Result<Vec<Checklist>, String> {
    let seeds: Vec<crate::seed::SeedChecklist> = serde_json::from_str(crate::seed::CHECKLISTS)
        .map_err(|e| format!("cannot read the checklist templates: {e}"))?;
    let created = Clock::at(clock.day(3 * 365), 540);
    let mut next_item = ids.item;
    let mut out = Vec::new();
    for (k, c) in seeds.into_iter().enumerate() {
        let industry = c
            .industry
            .as_ref()
            .and_then(|code| d.industries.iter().find(|i| &i.code == code))
            .map(|i| i.id);
        let mut items = Vec::new();
        for (j, it) in (0..).zip(c.items) {
            let text = it.text.trim().to_string();
            let clause = it.clause.trim().to_string();
            let descriptions = names::FAIL_NOTES
                .iter()
                .map(|note| {
                    if clause.is_empty() {
                        note.to_string()
                    } else {
                        format!("{note}\n依据：{clause}")
                    }
                })
                .collect();
            items.push(Item {
                id: next_item + j,
                title: text.chars().take(200).collect(),
                text,
                descriptions,
                category: it.category.as_str(),
                grade: it.grade.as_str(),
                clause,
                caution: it.caution.trim().to_string(),
            });
        }
        next_item += items.len() as i64;
        out.push(Checklist {
            id: ids.checklist + k as i64,
            name: c.name.trim().to_string(),
            note: c.note.trim().to_string(),
            industry,
            created,
            items,
        });
    }
    Ok(out)
}

/// A batch to lay out: its alliance, window, template and participants.
struct Plan {
    alliance: usize,
    starts: NaiveDate,
    ends: NaiveDate,
    checklist: usize,
    participants: Vec<usize>,
}

/// Four quarterly batches in the past year (closed by now), sometimes one under way and
/// sometimes a draft for next month.
fn plan_batches(
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    ids: &Ids,
    act: &mut Activity,
    a: usize,
) {
    let alliance = &d.alliances[a];
    let industry = alliance.industry.map(|k| d.industries[k].id);
    let fits = |c: &Checklist| industry.is_some() && c.industry == industry;
    let mut templates: Vec<usize> = (0..act.checklists.len())
        .filter(|&c| fits(&act.checklists[c]))
        .collect();
    if templates.is_empty() {
        templates = (0..act.checklists.len())
            .filter(|&c| act.checklists[c].industry.is_none())
            .collect();
    }
    if templates.is_empty() {
        return;
    }
    let mut windows: Vec<(NaiveDate, i64)> = (0..4)
        .map(|q| {
            (
                clock.day(365 - 91 * q - rng.gen_range(0..30)),
                rng.gen_range(14..=30),
            )
        })
        .collect();
    if rng.gen_bool(0.3) {
        windows.push((clock.day(rng.gen_range(1..=14)), rng.gen_range(21..=35)));
    }
    if rng.gen_bool(0.1) {
        windows.push((clock.day(-rng.gen_range(10..=40)), rng.gen_range(14..=30)));
    }
    for (starts, span) in windows {
        if starts < alliance.founded + Duration::days(7) {
            continue;
        }
        let mut pool: Vec<usize> = alliance
            .members
            .iter()
            .filter(|m| m.1 <= starts)
            .map(|m| m.0)
            .collect();
        pool.shuffle(rng);
        let share = (pool.len() as f64 * rng.gen_range(0.3..0.6)).ceil() as usize;
        pool.truncate(share.max(2));
        if pool.len() < 2 {
            continue;
        }
        let checklist = templates[rng.gen_range(0..templates.len())];
        let plan = Plan {
            alliance: a,
            starts,
            ends: starts + Duration::days(span),
            checklist,
            participants: pool,
        };
        add_batch(rng, d, clock, ids, act, plan);
    }
}

fn add_batch(
    rng: &mut StdRng,
    d: &District,
    clock: &Clock,
    ids: &Ids,
    act: &mut Activity,
    p: Plan,
) {
    let index = act.batches.len();
    let draft = p.starts >= clock.as_of;
    let prepared = if draft {
        clock.day(rng.gen_range(1..=5))
    } else {
        p.starts - Duration::days(rng.gen_range(10..=20))
    };
    let created = Clock::at(prepared, rng.gen_range(540..1020));
    let published = if draft {
        None
    } else {
        Some(created + Duration::days(rng.gen_range(1..=3)))
    };
    let closing = Clock::at(p.ends + Duration::days(rng.gen_range(1..=5)), 1020);
    let closed = (!draft && closing < clock.now).then_some(closing);
    let (n, span) = (p.participants.len(), (p.ends - p.starts).num_days() + 1);
    let mut last = published.unwrap_or(created);
    let mut submissions = 0;
    for (k, &target) in p.participants.iter().enumerate() {
        let inspector = p.participants[(k + 1) % n];
        let day = p.starts + Duration::days(k as i64 * span / n as i64);
        let likely = if closed.is_some() { 0.92 } else { 0.75 };
        let submit = !draft && day < clock.as_of && rng.gen_bool(likely);
        let submitted = submit.then(|| {
            let at = Clock::at(day, rng.gen_range(540..960));
            (at, d.enterprises[inspector].first_user)
        });
        let people = d.people.len();
        let inspectors = submitted.map(|_| {
            (
                rng.gen_range(0..people) as u16,
                rng.gen_range(0..people) as u16,
            )
        });
        if let Some((at, _)) = submitted {
            submissions += 1;
            last = last.max(at);
        }
        act.inspections.push(Inspection {
            id: ids.inspection + act.inspections.len() as i64,
            batch: index,
            inspector,
            target,
            day,
            state: match (draft, submit) {
                (true, _) => "planned",
                (false, true) => "submitted",
                (false, false) => "scheduled",
            },
            inspectors,
            submitted,
            updated: submitted.map_or(published.unwrap_or(created), |s| s.0),
            outcomes: 0,
        });
    }
    let state = match (draft, closed, submissions) {
        (true, _, _) => "draft",
        (false, Some(_), _) => "closed",
        (false, None, 0) => "scheduled",
        (false, None, _) => "in_progress",
    };
    act.batches.push(Batch {
        id: ids.batch + index as i64,
        alliance: p.alliance,
        name: format!("{}年{}月安全互查", p.starts.year(), p.starts.month()),
        starts: p.starts,
        ends: p.ends,
        checklist: p.checklist,
        state,
        seed: rng.gen_range(0..1_000_000_000),
        created_by: d.enterprises[d.alliances[p.alliance].lead].first_user,
        created,
        updated: closed.unwrap_or(last),
        published,
        closed,
        participants: p.participants,
    });
}

/// Each submitted inspection's item outcomes: mostly passed, a few not applicable, and failed
/// ones (findings) at a rate that keeps them near 15% of the findings asked for, never above.
fn record_results(rng: &mut StdRng, act: &mut Activity, budget: usize) {
    let items: usize = act
        .inspections
        .iter()
        .filter(|i| i.submitted.is_some())
        .map(|i| act.checklists[act.batches[i.batch].checklist].items.len())
        .sum();
    let fail_rate = (0.15 * budget as f64 / items.max(1) as f64).min(0.08);
    for (k, inspection) in act.inspections.iter_mut().enumerate() {
        let Some((at, by)) = inspection.submitted else {
            continue;
        };
        inspection.outcomes = act.outcomes.len();
        let day = inspection.day;
        let checklist = &act.checklists[act.batches[inspection.batch].checklist];
        for (position, item) in checklist.items.iter().enumerate() {
            let roll: f64 = rng.gen();
            let outcome = if roll < fail_rate && act.found.len() < budget {
                FAIL
            } else if roll > 0.97 {
                NOT_APPLICABLE
            } else {
                PASS
            };
            act.outcomes.push(outcome);
            if outcome == FAIL {
                // An inspector may grade a major item's failure as general.
                let major = item.grade == "major" && rng.gen_bool(0.4);
                act.found.push(Found {
                    inspection: k,
                    item: position,
                    at,
                    day,
                    by,
                    grade: if major { "major" } else { "general" },
                    deadline: day + Duration::days(crate::inspections::results::DEFAULT_DAYS),
                    note: rng.gen_range(0..names::FAIL_NOTES.len()),
                });
            }
        }
    }
}
