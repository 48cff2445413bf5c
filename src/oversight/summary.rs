//! The summary a regulator reads: the figures of their scope for a period of whole months,
//! broken down by alliance, street, industry, hazard category and month. Every breakdown adds up
//! to the total, and every rate is computed from the summed counts.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use crate::access::Policy;
use crate::db::types::{now, start_of_local_day, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::message::msg;
use crate::oversight::figures::month_of;
use crate::oversight::model::*;
use crate::oversight::store::{self, Names, Scope};

/// The whole months a query covers: from the first of `from`'s month (default: this January)
/// to the last of `to`'s (default: this month).
pub fn period(q: &SummaryQuery) -> AppResult<(NaiveDate, NaiveDate)> {
    let today = today();
    let from = q
        .from
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    let to = q.to.unwrap_or(today);
    if to < from {
        return Err(AppError::field("to", msg::ENDS_BEFORE_START));
    }
    let first = from.with_day(1).unwrap_or(from);
    let next = to
        .with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .unwrap_or(to);
    let last = next.pred_opt().unwrap_or(to);
    if (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32 >= 120 {
        return Err(AppError::field(
            "from",
            msg::BETWEEN.with("min", 1).with("max", 120),
        ));
    }
    Ok((first, last))
}

/// The instants (UTC, as stored) from the start of `from` to the end of `to`, Beijing days.
pub fn days(from: NaiveDate, to: NaiveDate) -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
    (
        start_of_local_day(from),
        start_of_local_day(to.succ_opt().unwrap_or(to)),
    )
}

/// Figures grouped by a key.
struct Groups<K: Ord> {
    rows: BTreeMap<K, Figures>,
}

impl<K: Ord> Groups<K> {
    fn new() -> Self {
        Self {
            rows: BTreeMap::new(),
        }
    }

    fn add(&mut self, key: K, f: &Figures) {
        self.rows.entry(key).or_default().add(f);
    }
}

/// All the groupings at once, each fed the same figures.
struct Tally {
    total: Figures,
    alliance: Groups<i64>,
    street: Groups<i64>,
    industry: Groups<i64>,
    category: Groups<String>,
    month: Groups<NaiveDate>,
    open: i64,
    awaiting_review: i64,
}

impl Tally {
    fn new() -> Self {
        Self {
            total: Figures::default(),
            alliance: Groups::new(),
            street: Groups::new(),
            industry: Groups::new(),
            category: Groups::new(),
            month: Groups::new(),
            open: 0,
            awaiting_review: 0,
        }
    }

    /// Adds to the total and to each grouping given.
    fn add(
        &mut self,
        f: Figures,
        (alliance, street, industry): (i64, i64, i64),
        category: Option<&str>,
        month: Option<NaiveDate>,
    ) {
        self.total.add(&f);
        self.alliance.add(alliance, &f);
        self.street.add(street, &f);
        self.industry.add(industry, &f);
        if let Some(c) = category {
            self.category.add(c.to_string(), &f);
        }
        if let Some(m) = month {
            self.month.add(m, &f);
        }
    }
}

fn hazards(
    conn: &mut AnyConnection,
    s: &Scope,
    months: (NaiveDate, NaiveDate),
    names: &Names,
    t: &mut Tally,
) -> AppResult<()> {
    for (month, region, industry, alliance, category, found, rectified, on_time) in
        store::found_rows(conn, s, months)?
    {
        let f = Figures {
            found,
            rectified,
            on_time,
            ..Default::default()
        };
        let at = (alliance, names.street_of(region), industry);
        t.add(f, at, Some(&category), Some(month));
    }
    for o in store::open_sums(conn, s, today())? {
        let f = Figures {
            overdue: o.overdue,
            major_open: o.major_open,
            ..Default::default()
        };
        t.open += o.open;
        t.awaiting_review += o.awaiting_review;
        let at = (o.alliance_id, names.street_of(o.region_id), o.industry_id);
        t.add(f, at, Some(&o.category), None);
    }
    Ok(())
}

/// Where an alliance's work is counted: the alliance, its street, its industry (0: across).
fn alliance_place(names: &Names, alliance: i64) -> (i64, i64, i64) {
    match names.alliances.get(&alliance) {
        Some((_, region, industry)) => (alliance, names.street_of(*region), industry.unwrap_or(0)),
        None => (alliance, 0, 0),
    }
}

fn activities(
    conn: &mut AnyConnection,
    s: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    names: &Names,
    t: &mut Tally,
) -> AppResult<()> {
    for (_, alliance, kind, starts_at, people) in store::event_rows(conn, s, days(from, to), now())?
    {
        let f = Figures {
            trainings: i64::from(kind == "training"),
            warning_educations: i64::from(kind == "warning_education"),
            exchanges: i64::from(kind == "experience_exchange"),
            attendances: people,
            ..Default::default()
        };
        t.add(
            f,
            alliance_place(names, alliance),
            None,
            Some(month_of(starts_at)),
        );
    }
    for (_, alliance, starts_on, planned, submitted) in store::batch_rows(conn, s, (from, to))? {
        let f = Figures {
            inspection_batches: 1,
            inspections_planned: planned,
            enterprises_inspected: submitted,
            ..Default::default()
        };
        let month = starts_on.with_day(1).unwrap_or(starts_on);
        t.add(f, alliance_place(names, alliance), None, Some(month));
    }
    Ok(())
}

fn rows<K: Ord>(groups: Groups<K>, name: impl Fn(&K) -> (String, String)) -> Vec<Breakdown> {
    groups
        .rows
        .into_iter()
        .map(|(k, f)| {
            let (key, name) = name(&k);
            Breakdown {
                key,
                name,
                figures: f.finish(),
            }
        })
        .collect()
}

pub fn summary(conn: &mut AnyConnection, policy: &Policy, q: &SummaryQuery) -> AppResult<Summary> {
    let s = store::scope(conn, policy, q)?;
    let (from, to) = period(q)?;
    let names = store::names(conn)?;
    let mut t = Tally::new();
    hazards(conn, &s, (from, to), &names, &mut t)?;
    activities(conn, &s, (from, to), &names, &mut t)?;
    // Every alliance in scope has its row, those that did nothing too (they are the ones an
    // oversight looks for).
    let in_scope: Vec<i64> = match &s.alliances {
        Some(list) => list.iter().map(|a| a.0).collect(),
        None => names.alliances.keys().copied().collect(),
    };
    for a in in_scope {
        t.alliance.rows.entry(a).or_default();
    }
    // Every month of the period has its row, so that a trend has no gaps.
    let mut m = from;
    while m <= to {
        t.month.rows.entry(m).or_default();
        m = m
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(to.succ_opt().unwrap_or(to));
    }
    let (enterprises, enterprises_total) = store::enterprise_counts(conn, &s)?;
    Ok(Summary {
        from,
        to,
        enterprises,
        enterprises_total,
        alliances: store::alliance_count(conn, &s)?,
        figures: t.total.clone().finish(),
        open: t.open,
        awaiting_review: t.awaiting_review,
        by_alliance: rows(t.alliance, |id| (id.to_string(), names.alliance_name(*id))),
        by_street: rows(t.street, |id| (id.to_string(), names.region_name(*id))),
        by_industry: rows(t.industry, |id| {
            let name = names.industries.get(id).cloned().unwrap_or_default();
            (id.to_string(), name)
        }),
        by_category: rows(t.category, |c| (c.clone(), c.clone())),
        by_month: rows(t.month, |m| {
            let key = m.format("%Y-%m").to_string();
            (key.clone(), key)
        }),
    })
}
