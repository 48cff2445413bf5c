//! The counters oversight reads instead of counting a district's million findings: per month
//! reported and place, the findings found (not voided), rectified, and rectified by their
//! deadline; per place, state and deadline, the findings still open. The findings feature calls
//! [`hazard_changed`] in the same transaction as every insert or change of a finding, so the
//! counters are exactly the records' counts; [`recount`] counts the records themselves (the
//! check, and [`rebuild`] after a bulk load).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use crate::db::schema::{finding_figures, findings, open_finding_figures};
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::AppResult;

/// What the counters need of a finding (the findings feature fills it from its row).
#[derive(Debug, Clone, Copy)]
pub struct Hazard<'a> {
    pub region: RegionId,
    pub industry: IndustryId,
    pub alliance: Option<AllianceId>,
    pub category: &'a str,
    pub grade: &'a str,
    pub state: &'a str,
    pub deadline: Option<NaiveDate>,
    pub reported_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

/// The states in which a finding is open.
pub const OPEN: [&str; 3] = ["reported", "rectifying", "awaiting_review"];
/// The open states a deadline can pass in (a rectification awaiting review is not overdue).
pub const OVERDUE_STATES: [&str; 2] = ["reported", "rectifying"];

/// The deadline an open finding without one is counted under.
pub fn no_deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2999, 12, 31).expect("a valid date")
}

/// The first day of the (Beijing) month `at` falls in.
pub fn month_of(at: NaiveDateTime) -> NaiveDate {
    let d = local(at).date_naive();
    d.with_day(1).unwrap_or(d)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FoundKey {
    pub month: NaiveDate,
    pub region: i64,
    pub industry: i64,
    /// 0: in no alliance.
    pub alliance: i64,
    pub category: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    pub found: i64,
    pub rectified: i64,
    pub on_time: i64,
}

impl Found {
    fn add(&mut self, other: Found, sign: i64) {
        self.found += sign * other.found;
        self.rectified += sign * other.rectified;
        self.on_time += sign * other.on_time;
    }

    fn is_zero(&self) -> bool {
        *self == Found::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenKey {
    pub region: i64,
    pub industry: i64,
    pub alliance: i64,
    pub category: String,
    pub grade: String,
    pub state: String,
    pub deadline: NaiveDate,
}

/// Counters: what each key adds up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub found: BTreeMap<FoundKey, Found>,
    pub open: BTreeMap<OpenKey, i64>,
}

impl Counters {
    fn add(&mut self, h: &Hazard<'_>, sign: i64) {
        let alliance = h.alliance.map_or(0, |a| a.0);
        if h.state != "voided" {
            let closed = h.state == "closed";
            let on_time = closed
                && match (h.deadline, h.closed_at) {
                    (Some(deadline), Some(at)) => local(at).date_naive() <= deadline,
                    (Some(_), None) => false,
                    (None, _) => true,
                };
            let key = FoundKey {
                month: month_of(h.reported_at),
                region: h.region.0,
                industry: h.industry.0,
                alliance,
                category: h.category.to_string(),
            };
            let one = Found {
                found: 1,
                rectified: i64::from(closed),
                on_time: i64::from(on_time),
            };
            self.found.entry(key).or_default().add(one, sign);
        }
        if OPEN.contains(&h.state) {
            let key = OpenKey {
                region: h.region.0,
                industry: h.industry.0,
                alliance,
                category: h.category.to_string(),
                grade: h.grade.to_string(),
                state: h.state.to_string(),
                deadline: h.deadline.unwrap_or_else(no_deadline),
            };
            *self.open.entry(key).or_default() += sign;
        }
    }

    /// Drops the keys that add up to nothing.
    fn trimmed(mut self) -> Self {
        self.found.retain(|_, v| !v.is_zero());
        self.open.retain(|_, n| *n != 0);
        self
    }
}

/// A finding was inserted (`before` none), changed, or removed (`after` none): the counters
/// move by the difference, in one order of keys (so that concurrent changes lock counter rows in
/// the same order and never deadlock).
pub fn hazard_changed(
    conn: &mut AnyConnection,
    before: Option<&Hazard<'_>>,
    after: Option<&Hazard<'_>>,
) -> AppResult<()> {
    let mut delta = Counters::default();
    if let Some(b) = before {
        delta.add(b, -1);
    }
    if let Some(a) = after {
        delta.add(a, 1);
    }
    apply(conn, &delta.trimmed())
}

macro_rules! upsert_found {
    ($c:expr, $k:expr, $v:expr) => {{
        use finding_figures::dsl as f;
        diesel::insert_into(finding_figures::table)
            .values((
                f::month.eq($k.month),
                f::region_id.eq($k.region),
                f::industry_id.eq($k.industry),
                f::alliance_id.eq($k.alliance),
                f::category.eq(&$k.category),
                f::found.eq($v.found),
                f::rectified.eq($v.rectified),
                f::on_time.eq($v.on_time),
            ))
            .on_conflict((
                f::month,
                f::region_id,
                f::industry_id,
                f::alliance_id,
                f::category,
            ))
            .do_update()
            .set((
                f::found.eq(f::found + excluded(f::found)),
                f::rectified.eq(f::rectified + excluded(f::rectified)),
                f::on_time.eq(f::on_time + excluded(f::on_time)),
            ))
            .execute($c)?;
    }};
}

macro_rules! upsert_open {
    ($c:expr, $k:expr, $n:expr) => {{
        use open_finding_figures::dsl as o;
        diesel::insert_into(open_finding_figures::table)
            .values((
                o::region_id.eq($k.region),
                o::industry_id.eq($k.industry),
                o::alliance_id.eq($k.alliance),
                o::category.eq(&$k.category),
                o::grade.eq(&$k.grade),
                o::state.eq(&$k.state),
                o::deadline.eq($k.deadline),
                o::n.eq($n),
            ))
            .on_conflict((
                o::region_id,
                o::industry_id,
                o::alliance_id,
                o::category,
                o::grade,
                o::state,
                o::deadline,
            ))
            .do_update()
            .set(o::n.eq(o::n + excluded(o::n)))
            .execute($c)?;
    }};
}

fn apply(conn: &mut AnyConnection, delta: &Counters) -> AppResult<()> {
    for (k, v) in &delta.found {
        match conn {
            AnyConnection::Postgresql(c) => upsert_found!(c, k, v),
            AnyConnection::Sqlite(c) => upsert_found!(c, k, v),
        }
    }
    for (k, n) in &delta.open {
        match conn {
            AnyConnection::Postgresql(c) => upsert_open!(c, k, *n),
            AnyConnection::Sqlite(c) => upsert_open!(c, k, *n),
        }
    }
    Ok(())
}

type FindingFacts = (
    i64,
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    Option<NaiveDate>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// The counters as the findings themselves add up (read in chunks, however many there are).
pub fn recount(conn: &mut AnyConnection) -> AppResult<Counters> {
    count(conn, None)
}

/// An enterprise's hazards are about to move with it (another street or industry): they leave
/// the counters of their old place…
pub fn enterprise_moving(conn: &mut AnyConnection, id: EnterpriseId) -> AppResult<()> {
    let mut gone = count(conn, Some(id))?;
    gone.found.values_mut().for_each(|v| {
        *v = Found {
            found: -v.found,
            rectified: -v.rectified,
            on_time: -v.on_time,
        }
    });
    gone.open.values_mut().for_each(|n| *n = -*n);
    apply(conn, &gone)
}

/// …and count in their new one.
pub fn enterprise_moved(conn: &mut AnyConnection, id: EnterpriseId) -> AppResult<()> {
    let here = count(conn, Some(id))?;
    apply(conn, &here)
}

fn count(conn: &mut AnyConnection, enterprise: Option<EnterpriseId>) -> AppResult<Counters> {
    let mut counters = Counters::default();
    let mut after = 0i64;
    loop {
        let mut q = findings::table
            .filter(findings::id.gt(after))
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(e) = enterprise {
            q = q.filter(findings::enterprise_id.eq(e));
        }
        let rows: Vec<FindingFacts> = q
            .order(findings::id.asc())
            .limit(20_000)
            .select((
                findings::id,
                findings::region_id,
                findings::industry_id,
                findings::alliance_id,
                findings::category,
                findings::grade,
                findings::state,
                findings::deadline,
                findings::reported_at,
                findings::closed_at,
            ))
            .load(conn)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.0;
        for (_, region, industry, alliance, category, grade, state, deadline, reported, closed) in
            &rows
        {
            let h = Hazard {
                region: RegionId(*region),
                industry: IndustryId(*industry),
                alliance: alliance.map(AllianceId),
                category,
                grade,
                state,
                deadline: *deadline,
                reported_at: *reported,
                closed_at: *closed,
            };
            counters.add(&h, 1);
        }
    }
    Ok(counters.trimmed())
}

/// The counters as stored (those adding up to something).
pub fn stored(conn: &mut AnyConnection) -> AppResult<Counters> {
    type FoundRow = (NaiveDate, i64, i64, i64, String, i64, i64, i64);
    type OpenRow = (i64, i64, i64, String, String, String, NaiveDate, i64);
    let found: Vec<FoundRow> = finding_figures::table.load(conn)?;
    let open: Vec<OpenRow> = open_finding_figures::table.load(conn)?;
    let counters = Counters {
        found: found
            .into_iter()
            .map(|(month, region, industry, alliance, category, f, r, o)| {
                let key = FoundKey {
                    month,
                    region,
                    industry,
                    alliance,
                    category,
                };
                let value = Found {
                    found: f,
                    rectified: r,
                    on_time: o,
                };
                (key, value)
            })
            .collect(),
        open: open
            .into_iter()
            .map(
                |(region, industry, alliance, category, grade, state, deadline, n)| {
                    let key = OpenKey {
                        region,
                        industry,
                        alliance,
                        category,
                        grade,
                        state,
                        deadline,
                    };
                    (key, n)
                },
            )
            .collect(),
    };
    Ok(counters.trimmed())
}

/// Replaces the counters with a recount (after findings were loaded around the service, as the
/// benchmark's synthetic district is). Run it inside a write transaction.
pub fn rebuild(conn: &mut AnyConnection) -> AppResult<()> {
    let counters = recount(conn)?;
    diesel::delete(finding_figures::table).execute(conn)?;
    diesel::delete(open_finding_figures::table).execute(conn)?;
    apply(conn, &counters)
}
