//! The city side's reading: the city's figures of a period summed exactly from the districts'
//! cells (suppressed cells carry none), broken down by district, street and industry, with each
//! district's standing (received, revised, late, missing) and the monthly trend; approving a
//! district's period (reconciliation: [`crate::federation::reconcile`]).

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::access::Policy;
use crate::audit;
use crate::db::types::{local, now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::federation::model::*;
use crate::federation::registry;
use crate::federation::schema::{federation_cells as cells, federation_scopes as scopes};
use crate::oversight::model::{Breakdown, Figures};

/// The city's figures are read by its administrators and city-wide regulators.
pub fn require_reader(policy: &Policy) -> AppResult<()> {
    crate::federation::require_whole(
        policy,
        "Only city-wide regulators read the districts' figures.",
    )
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CityQuery {
    /// `YYYY-MM` or `YYYY` (default: last month).
    pub period: Option<String>,
}

/// One district's standing for the period, and its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistrictLine {
    pub code: String,
    pub name: String,
    /// `received`, `awaiting` (nothing yet, not due) or `missing` (nothing, past due).
    pub status: String,
    /// Received after the due day.
    pub late: bool,
    /// Corrected at least once (revision 2 on).
    pub revised: bool,
    pub revision: Option<i32>,
    /// `submitted` or `approved`.
    pub state: Option<String>,
    pub hash: Option<String>,
    pub received_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The latest month the district has published, at any revision.
    pub last_month: Option<String>,
    /// Cells sent without figures (fewer than 3 enterprises).
    pub suppressed: i64,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CitySummary {
    pub period: String,
    /// The day districts' figures of the period are due by.
    pub due_on: NaiveDate,
    /// The sum of every district's cells with figures; rates from the sums.
    pub figures: Figures,
    pub districts: Vec<DistrictLine>,
    /// By street (`district/street` codes; a district's own row is its district-wide work).
    pub by_street: Vec<Breakdown>,
    /// By industry code (`*`: across industries).
    pub by_industry: Vec<Breakdown>,
    /// The twelve months to the period (a year: its months), from monthly bundles.
    pub by_month: Vec<Breakdown>,
    pub suppressed: i64,
}

/// The day figures of `p` are due by.
pub fn due_on(p: Period, due_days: i64) -> NaiveDate {
    p.last_day() + Duration::days(due_days)
}

type CellRow = (String, String, String, bool, Counts);

fn cell_rows(conn: &mut AnyConnection, period: &str) -> AppResult<Vec<CellRow>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        (String, String, String, bool, i64, i64, i64, i64, i64),
        (i64, i64, i64, i64, i64, i64, i64, i64),
    )> = cells::table
        .filter(cells::dataset.eq(DATASET))
        .filter(cells::period.eq(period))
        .select((
            (
                cells::district_code,
                cells::street_code,
                cells::industry_code,
                cells::suppressed,
                cells::enterprises,
                cells::found,
                cells::rectified,
                cells::on_time,
                cells::overdue,
            ),
            (
                cells::major_open,
                cells::inspection_batches,
                cells::enterprises_inspected,
                cells::inspections_planned,
                cells::trainings,
                cells::warning_educations,
                cells::exchanges,
                cells::attendances,
            ),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |((d, s, i, sup, e, f, r, o, od), (m, b, ei, ip, t, w, x, a))| {
                let counts = Counts {
                    enterprises: e,
                    found: f,
                    rectified: r,
                    on_time: o,
                    overdue: od,
                    major_open: m,
                    inspection_batches: b,
                    enterprises_inspected: ei,
                    inspections_planned: ip,
                    trainings: t,
                    warning_educations: w,
                    exchanges: x,
                    attendances: a,
                };
                (d, s, i, sup, counts)
            },
        )
        .collect())
}

#[allow(clippy::type_complexity)]
pub(crate) fn scope_rows(
    conn: &mut AnyConnection,
) -> AppResult<
    Vec<(
        String,
        String,
        i32,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
    )>,
> {
    Ok(scopes::table
        .filter(scopes::dataset.eq(DATASET))
        .select((
            scopes::district_code,
            scopes::period,
            scopes::revision,
            scopes::hash,
            scopes::state,
            scopes::received_at,
            scopes::first_received_at,
        ))
        .load(conn)?)
}

/// The end of `day` (Beijing), as stored.
fn end_of(day: NaiveDate) -> NaiveDateTime {
    crate::db::types::start_of_local_day(day + Duration::days(1))
}

pub fn summary(
    conn: &mut AnyConnection,
    policy: &Policy,
    p: Period,
    due_days: i64,
) -> AppResult<CitySummary> {
    require_reader(policy)?;
    let period = p.to_string();
    let due = due_on(p, due_days);
    let enrolled = registry::district_rows(conn)?;
    let held = scope_rows(conn)?;
    let rows = cell_rows(conn, &period)?;
    let mut total = Counts::default();
    let mut suppressed = 0;
    let mut per_district: BTreeMap<String, (Counts, i64)> = BTreeMap::new();
    let mut by_street: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut by_industry: BTreeMap<String, Counts> = BTreeMap::new();
    for (district, street, industry, sup, n) in &rows {
        let entry = per_district.entry(district.clone()).or_default();
        if *sup {
            suppressed += 1;
            entry.1 += 1;
            continue;
        }
        total.add(n);
        entry.0.add(n);
        by_street
            .entry((district.clone(), street.clone()))
            .or_default()
            .add(n);
        by_industry.entry(industry.clone()).or_default().add(n);
    }
    let lists: BTreeMap<String, CodeList> = enrolled
        .iter()
        .map(|d| (d.code.clone(), d.codes()))
        .collect();
    let districts = enrolled
        .iter()
        .map(|d| {
            let scope = held.iter().find(|s| s.0 == d.code && s.1 == period);
            let last_month = held
                .iter()
                .filter(|s| s.0 == d.code && s.1.len() == 7)
                .map(|s| s.1.clone())
                .max();
            let (counts, sup) = per_district.get(&d.code).copied().unwrap_or_default();
            DistrictLine {
                code: d.code.clone(),
                name: d.name.clone(),
                status: match scope {
                    Some(_) => "received",
                    None if today() > due => "missing",
                    None => "awaiting",
                }
                .into(),
                late: scope.is_some_and(|s| s.6 > end_of(due)),
                revised: scope.is_some_and(|s| s.2 > 1),
                revision: scope.map(|s| s.2),
                state: scope.map(|s| s.4.clone()),
                hash: scope.map(|s| s.3.clone()),
                received_at: scope.map(|s| local(s.5)),
                last_month,
                suppressed: sup,
                figures: counts.figures(),
            }
        })
        .collect();
    let industry_names: BTreeMap<String, String> = lists
        .values()
        .flat_map(|l| {
            l.industries
                .iter()
                .map(|i| (i.code.clone(), i.name.clone()))
        })
        .collect();
    Ok(CitySummary {
        period,
        due_on: due,
        figures: total.figures(),
        districts,
        by_street: by_street
            .into_iter()
            .map(|((district, street), n)| {
                let list = lists.get(&district);
                Breakdown {
                    key: format!("{district}/{street}"),
                    name: match list {
                        Some(l) if street == l.district.code => l.district.name.clone(),
                        Some(l) => format!("{} · {}", l.district.name, l.street_name(&street)),
                        None => street.clone(),
                    },
                    figures: n.figures(),
                }
            })
            .collect(),
        by_industry: by_industry
            .into_iter()
            .map(|(code, n)| Breakdown {
                name: match code.as_str() {
                    ACROSS_INDUSTRIES => "跨行业".into(),
                    _ => industry_names.get(&code).cloned().unwrap_or(code.clone()),
                },
                key: code,
                figures: n.figures(),
            })
            .collect(),
        by_month: by_month(conn, p)?,
        suppressed,
    })
}

/// A district's period to approve (lock).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub district: String,
    pub period: String,
    /// The revision the approver read: another one held now answers 409 `revision-changed`.
    #[serde(default)]
    pub revision: Option<i32>,
}

/// Runs reads as one snapshot (PostgreSQL: repeatable read; SQLite: one read transaction), so
/// that a bundle received meanwhile shows whole or not at all. Not inside another transaction.
pub fn snapshot<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> AppResult<T>,
) -> AppResult<T> {
    use diesel::Connection;
    conn.transaction(|c| {
        if let AnyConnection::Postgresql(_) = c {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(c)?;
        }
        f(c)
    })
}

/// Approves (locks) a district's period as it stands; a later correction unlocks it again,
/// marked revised, until approved anew.
pub fn approve(
    conn: &mut AnyConnection,
    policy: &Policy,
    a: &Approval,
    due_days: i64,
) -> AppResult<DistrictLine> {
    require_reader(policy)?;
    crate::federation::receive::lock(conn)?;
    let row = scopes::table
        .find((&a.district, DATASET, &a.period))
        .select((scopes::revision, scopes::state))
        .first::<(i32, String)>(conn)
        .optional()?
        .ok_or(AppError::NotFound)?;
    if a.revision.is_some_and(|r| r != row.0) {
        return Err(AppError::conflict(
            "revision-changed",
            format!(
                "{} {} is at revision {} now: read it, then approve.",
                a.district, a.period, row.0
            ),
        ));
    }
    if row.1 == "approved" {
        return Err(AppError::conflict(
            "already-approved",
            format!(
                "{} {} revision {} is approved already.",
                a.district, a.period, row.0
            ),
        ));
    }
    let changed = diesel::update(
        scopes::table
            .find((&a.district, DATASET, &a.period))
            .filter(scopes::revision.eq(row.0))
            .filter(scopes::state.eq("submitted")),
    )
    .set((
        scopes::state.eq("approved"),
        scopes::approved_by.eq(Some(policy.actor.id.0)),
        scopes::approved_at.eq(Some(now())),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(AppError::conflict(
            "revision-changed",
            format!(
                "{} {} changed meanwhile: read it again.",
                a.district, a.period
            ),
        ));
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "federation_approve",
        "federation_scope",
        None,
        json!({"district": a.district, "period": a.period, "revision": row.0}),
    )?;
    let p = Period::parse(&a.period).ok_or(AppError::NotFound)?;
    summary(conn, policy, p, due_days)?
        .districts
        .into_iter()
        .find(|d| d.code == a.district)
        .ok_or(AppError::NotFound)
}

/// The city's figures per month over the twelve months to `last` (a year: its months), from
/// the districts' monthly bundles, oldest first (a month nobody published: zeros).
fn by_month(conn: &mut AnyConnection, last: Period) -> AppResult<Vec<Breakdown>> {
    let end = match last {
        Period::Year(y) => Period::Month(y, 12),
        month => month,
    };
    let mut months = vec![end];
    while months.len() < 12 {
        let before = months[months.len() - 1].previous();
        months.push(before);
    }
    months.reverse();
    months
        .into_iter()
        .map(|m| {
            let mut sum = Counts::default();
            for (.., suppressed, n) in cell_rows(conn, &m.to_string())? {
                if !suppressed {
                    sum.add(&n);
                }
            }
            Ok(Breakdown {
                key: m.to_string(),
                name: m.to_string(),
                figures: sum.figures(),
            })
        })
        .collect()
}
