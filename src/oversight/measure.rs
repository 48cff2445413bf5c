//! Measuring a month for the evaluation: every alliance's and street's inspections, events and
//! hazards (from the same counters and rows as the dashboard), scored and ranked; or, for a
//! published month, the evaluations as they were frozen.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{attendances, enterprises, evaluations, memberships, registrations};
use crate::db::types::{now, today};
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::oversight::evaluation::{self, Metrics, Weights};
use crate::oversight::evaluations::{month_end, Evaluation};
use crate::oversight::figures::OVERDUE_STATES;
use crate::oversight::store::{self, Names, Scope};

/// (alliance or street id, what was measured of it), by id.
pub type Measured = Vec<(i64, Metrics)>;

/// Every alliance's and every street's measures in the month.
pub fn measure(
    conn: &mut AnyConnection,
    names: &Names,
    month: NaiveDate,
) -> AppResult<(Measured, Measured)> {
    let last = month_end(month);
    let everything = Scope {
        regions: None,
        industry: None,
        alliance: None,
        alliances: None,
    };
    let mut alliances: HashMap<i64, Metrics> = names
        .alliances
        .keys()
        .map(|id| (*id, Metrics::default()))
        .collect();
    let street_ids: Vec<i64> = names
        .regions
        .iter()
        .filter(|(_, (_, parent))| {
            parent.is_some_and(|p| names.regions.get(&p).is_some_and(|r| r.1.is_none()))
        })
        .map(|(id, _)| *id)
        .collect();
    let mut streets: HashMap<i64, Metrics> = street_ids
        .iter()
        .map(|id| (*id, Metrics::default()))
        .collect();
    let street_of_alliance = |a: i64| {
        names
            .alliances
            .get(&a)
            .map(|x| names.street_of(x.1))
            .unwrap_or(0)
    };

    let members: Vec<(i64, i64)> = memberships::table
        .filter(memberships::left_on.is_null())
        .select((memberships::alliance_id, memberships::enterprise_id))
        .load(conn)?;
    for (a, _) in &members {
        alliances.entry(*a).or_default().members += 1;
    }
    let regions: Vec<i64> = enterprises::table
        .select(enterprises::region_id)
        .load(conn)?;
    for r in regions {
        if let Some(m) = streets.get_mut(&names.street_of(r)) {
            m.members += 1;
        }
    }
    let mut both = |alliance: i64, f: &dyn Fn(&mut Metrics)| {
        if let Some(m) = alliances.get_mut(&alliance) {
            f(m);
        }
        if let Some(m) = streets.get_mut(&street_of_alliance(alliance)) {
            f(m);
        }
    };
    for (_, alliance, _, planned, submitted) in store::batch_rows(conn, &everything, (month, last))?
    {
        both(alliance, &|m| {
            m.inspections_planned += planned;
            m.inspections_completed += submitted;
        });
    }
    let period = crate::oversight::summary::days(month, last);
    let held = store::event_rows(conn, &everything, period, now())?;
    let ids: Vec<i64> = held.iter().map(|e| e.0).collect();
    // The attendance rate: registered people who checked in, of those registered (walk-ins
    // are welcome, but not a rate above 100%).
    let mut registered: HashMap<i64, i64> = HashMap::new();
    let mut came: HashMap<i64, i64> = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<i64> = registrations::table
            .filter(registrations::event_id.eq_any(chunk))
            .select(registrations::event_id)
            .load(conn)?;
        for e in rows {
            *registered.entry(e).or_default() += 1;
        }
        let rows: Vec<i64> = attendances::table
            .inner_join(
                registrations::table.on(registrations::event_id
                    .eq(attendances::event_id)
                    .and(attendances::user_id.eq(registrations::user_id.nullable()))),
            )
            .filter(attendances::event_id.eq_any(chunk))
            .select(attendances::event_id)
            .load(conn)?;
        for e in rows {
            *came.entry(e).or_default() += 1;
        }
    }
    for (id, alliance, _, _, _) in held {
        let people = registered.get(&id).copied().unwrap_or(0);
        let attended = came.get(&id).copied().unwrap_or(0);
        both(alliance, &|m| {
            m.events_held += 1;
            m.registered += people;
            m.attended += attended;
        });
    }
    // Hazards: an alliance's through it; a street's, all of its enterprises'.
    for (_, region, _, alliance, _, found, rectified, on_time) in
        store::found_rows(conn, &everything, (month, month))?
    {
        let add = |m: &mut Metrics| {
            m.found += found;
            m.rectified += rectified;
            m.on_time += on_time;
        };
        if let Some(m) = alliances.get_mut(&alliance) {
            add(m);
        }
        if let Some(m) = streets.get_mut(&names.street_of(region)) {
            add(m);
        }
    }
    let cutoff = last.succ_opt().unwrap_or(last).min(today());
    for (region, _, alliance, _, _, state, deadline, n) in store::open_rows(conn, &everything)? {
        if OVERDUE_STATES.contains(&state.as_str()) && deadline < cutoff {
            if let Some(m) = alliances.get_mut(&alliance) {
                m.overdue += n;
            }
            if let Some(m) = streets.get_mut(&names.street_of(region)) {
                m.overdue += n;
            }
        }
    }
    let finish = |map: HashMap<i64, Metrics>| {
        let mut list: Vec<(i64, Metrics)> = map.into_iter().map(|(k, m)| (k, m.finish())).collect();
        list.sort_by_key(|x| x.0);
        list
    };
    Ok((finish(alliances), finish(streets)))
}

/// Scored and ranked, highest first.
pub fn scored(
    list: Vec<(i64, Metrics)>,
    w: &Weights,
    name: impl Fn(i64) -> String,
) -> Vec<Evaluation> {
    let metrics: Vec<Metrics> = list.iter().map(|x| x.1.clone()).collect();
    let scores = evaluation::scores(&metrics, w);
    let ranks = evaluation::ranks(&scores);
    let weak = evaluation::weaknesses(&metrics);
    let mut out: Vec<Evaluation> = list
        .into_iter()
        .enumerate()
        .map(|(i, (id, m))| Evaluation {
            subject_id: id,
            name: name(id),
            metrics: m,
            score: scores[i],
            rank: ranks[i],
            previous_score: None,
            previous_rank: None,
            score_change: None,
            rank_change: None,
            weaknesses: weak[i].iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.subject_id.cmp(&b.subject_id)));
    out
}

/// A month's evaluations: as published (frozen), or computed now.
pub struct Month {
    pub published_at: Option<chrono::NaiveDateTime>,
    pub weights: Weights,
    /// The warning threshold it was published with.
    pub warn_below: Option<f64>,
    pub alliances: Vec<Evaluation>,
    pub streets: Vec<Evaluation>,
}

type StoredRow = (
    (String, i64, String, String),
    (f64, i32, Option<f64>, Option<i32>, f64),
    chrono::NaiveDateTime,
);

pub fn month_of(
    conn: &mut AnyConnection,
    names: &Names,
    month: NaiveDate,
    w: &Weights,
) -> AppResult<Month> {
    let rows: Vec<StoredRow> = evaluations::table
        .filter(evaluations::month.eq(month))
        .select((
            (
                evaluations::subject,
                evaluations::subject_id,
                evaluations::metrics,
                evaluations::weights,
            ),
            (
                evaluations::score,
                evaluations::rank,
                evaluations::previous_score,
                evaluations::previous_rank,
                evaluations::warn_below,
            ),
            evaluations::published_at,
        ))
        .load(conn)?;
    let alliance_name = |id: i64| names.alliance_name(id);
    let region_name = |id: i64| names.region_name(id);
    if rows.is_empty() {
        let (alliances, streets) = measure(conn, names, month)?;
        return Ok(Month {
            published_at: None,
            weights: *w,
            warn_below: None,
            alliances: scored(alliances, w, alliance_name),
            streets: scored(streets, w, region_name),
        });
    }
    let weights: Weights = serde_json::from_str(&rows[0].0 .3).unwrap_or_default();
    let frozen = |subject: &str, name: &dyn Fn(i64) -> String| -> Vec<Evaluation> {
        let of: Vec<&StoredRow> = rows.iter().filter(|r| r.0 .0 == subject).collect();
        let metrics: Vec<Metrics> = of
            .iter()
            .map(|r| serde_json::from_str(&r.0 .2).unwrap_or_default())
            .collect();
        let weak = evaluation::weaknesses(&metrics);
        let mut list: Vec<Evaluation> = of
            .iter()
            .zip(metrics)
            .enumerate()
            .map(|(i, (r, m))| {
                let (score, rank, previous_score, previous_rank, _) = r.1;
                Evaluation {
                    subject_id: r.0 .1,
                    name: name(r.0 .1),
                    metrics: m,
                    score,
                    rank,
                    previous_score,
                    previous_rank,
                    score_change: previous_score.map(|p| ((score - p) * 10.0).round() / 10.0),
                    rank_change: previous_rank.map(|p| p - rank),
                    weaknesses: weak[i].iter().map(|s| s.to_string()).collect(),
                }
            })
            .collect();
        list.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.subject_id.cmp(&b.subject_id)));
        list
    };
    Ok(Month {
        published_at: Some(rows[0].2),
        weights,
        warn_below: Some(rows[0].1 .4),
        alliances: frozen("alliance", &alliance_name),
        streets: frozen("street", &region_name),
    })
}

/// Each evaluation with last month's score and rank beside it.
pub fn compare(now: &mut [Evaluation], before: &[Evaluation]) {
    for e in now.iter_mut() {
        if let Some(b) = before.iter().find(|b| b.subject_id == e.subject_id) {
            e.previous_score = Some(b.score);
            e.previous_rank = Some(b.rank);
            e.score_change = Some(((e.score - b.score) * 10.0).round() / 10.0);
            e.rank_change = Some(b.rank - e.rank);
        }
    }
}
