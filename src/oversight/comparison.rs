//! An enterprise against its alliances (对标): its own figures for a period beside the median of
//! each alliance's members — never another member's figures, and no median of fewer than three
//! members (two would give the other member's figure away).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::db::ids::{AllianceId, EnterpriseId};
use crate::db::schema::{attendances, events, findings, inspections};
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::oversight::model::{rate, SummaryQuery};
use crate::oversight::summary::period;

/// The fewest members an alliance's median is shown for.
pub const FEWEST: usize = 3;

/// One enterprise's figures in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Own {
    /// Hazards reported (voided ones not counted), rectified, rectified by the deadline.
    pub found: f64,
    pub rectified: f64,
    pub rectification_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    /// Hazards past their deadline and not rectified, now.
    pub overdue: f64,
    /// Mutual inspections submitted as the inspecting enterprise, and received.
    pub inspections_done: f64,
    pub inspections_received: f64,
    /// People checked in at events.
    pub attendances: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllianceMedian {
    pub alliance_id: AllianceId,
    pub alliance_name: String,
    pub members: i64,
    /// The members' median of each figure; `null` under three members.
    pub median: Option<Own>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Comparison {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub enterprise_id: EnterpriseId,
    pub own: Own,
    pub alliances: Vec<AllianceMedian>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let n = values.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// The median of the rates there are, if at least [`FEWEST`] members have one (the median of
/// two would give the other member's rate away).
fn median_rate(values: Vec<Option<f64>>) -> Option<f64> {
    let known: Vec<f64> = values.into_iter().flatten().collect();
    (known.len() >= FEWEST).then(|| (median(known) * 10_000.0).round() / 10_000.0)
}

/// The figures of each of these enterprises in the period.
fn figures(
    conn: &mut AnyConnection,
    ids: &[EnterpriseId],
    (from, to): (NaiveDate, NaiveDate),
) -> AppResult<HashMap<EnterpriseId, Own>> {
    let (start, end) = crate::oversight::summary::days(from, to);
    let mut out: HashMap<EnterpriseId, Own> = ids.iter().map(|e| (*e, Own::default())).collect();
    type Row = (
        EnterpriseId,
        String,
        Option<NaiveDate>,
        Option<chrono::NaiveDateTime>,
    );
    let rows: Vec<Row> = findings::table
        .filter(findings::enterprise_id.eq_any(ids))
        .filter(findings::reported_at.ge(start))
        .filter(findings::reported_at.lt(end))
        .filter(findings::state.ne("voided"))
        .select((
            findings::enterprise_id,
            findings::state,
            findings::deadline,
            findings::closed_at,
        ))
        .load(conn)?;
    let mut on_time: HashMap<EnterpriseId, i64> = HashMap::new();
    for (e, state, deadline, closed) in rows {
        let o = out.entry(e).or_default();
        o.found += 1.0;
        if state == "closed" {
            o.rectified += 1.0;
            let in_time = match (deadline, closed) {
                (Some(d), Some(at)) => crate::db::types::local(at).date_naive() <= d,
                _ => true,
            };
            *on_time.entry(e).or_default() += i64::from(in_time);
        }
    }
    let overdue: Vec<EnterpriseId> = findings::table
        .filter(findings::enterprise_id.eq_any(ids))
        .filter(findings::state.eq_any(["reported", "rectifying"]))
        .filter(findings::deadline.lt(today()))
        .select(findings::enterprise_id)
        .load(conn)?;
    for e in overdue {
        out.entry(e).or_default().overdue += 1.0;
    }
    let submitted = || {
        inspections::table
            .filter(inspections::state.eq("submitted"))
            .filter(inspections::submitted_at.ge(start))
            .filter(inspections::submitted_at.lt(end))
    };
    let done: Vec<EnterpriseId> = submitted()
        .filter(inspections::inspector_enterprise_id.eq_any(ids))
        .select(inspections::inspector_enterprise_id)
        .load(conn)?;
    for e in done {
        out.entry(e).or_default().inspections_done += 1.0;
    }
    let received: Vec<EnterpriseId> = submitted()
        .filter(inspections::target_enterprise_id.eq_any(ids))
        .select(inspections::target_enterprise_id)
        .load(conn)?;
    for e in received {
        out.entry(e).or_default().inspections_received += 1.0;
    }
    let came: Vec<EnterpriseId> = attendances::table
        .inner_join(events::table.on(events::id.eq(attendances::event_id)))
        .filter(attendances::enterprise_id.eq_any(ids))
        .filter(events::starts_at.ge(start))
        .filter(events::starts_at.lt(end))
        .select(attendances::enterprise_id)
        .load(conn)?;
    for e in came {
        out.entry(e).or_default().attendances += 1.0;
    }
    for (e, o) in out.iter_mut() {
        o.rectification_rate = rate(o.rectified as i64, o.found as i64);
        o.on_time_rate = rate(on_time.get(e).copied().unwrap_or(0), o.rectified as i64);
    }
    Ok(out)
}

/// The caller's enterprise against the median of each of its alliances (enterprise users).
pub fn compare(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &SummaryQuery,
) -> AppResult<Comparison> {
    let own = policy.own_enterprise().ok_or(AppError::NotFound)?;
    let (from, to) = period(q)?;
    let mine = figures(conn, &[own], (from, to))?
        .remove(&own)
        .unwrap_or_default();
    let mut alliances = Vec::new();
    for a in policy.member_alliances() {
        let members = crate::org::store::alliance_members(conn, *a)?;
        let name = crate::org::store::alliance(conn, *a)?
            .map(|x| x.name)
            .unwrap_or_default();
        let median = match members.len() >= FEWEST {
            true => {
                let all: Vec<Own> = figures(conn, &members, (from, to))?.into_values().collect();
                let m = |f: fn(&Own) -> f64| median(all.iter().map(f).collect());
                Some(Own {
                    found: m(|o| o.found),
                    rectified: m(|o| o.rectified),
                    rectification_rate: median_rate(
                        all.iter().map(|o| o.rectification_rate).collect(),
                    ),
                    on_time_rate: median_rate(all.iter().map(|o| o.on_time_rate).collect()),
                    overdue: m(|o| o.overdue),
                    inspections_done: m(|o| o.inspections_done),
                    inspections_received: m(|o| o.inspections_received),
                    attendances: m(|o| o.attendances),
                })
            }
            false => None,
        };
        alliances.push(AllianceMedian {
            alliance_id: *a,
            alliance_name: name,
            members: members.len() as i64,
            median,
        });
    }
    Ok(Comparison {
        from,
        to,
        enterprise_id: own,
        own: mine,
        alliances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(
            median_rate(vec![None, Some(0.5), Some(1.0), Some(0.0)]),
            Some(0.5)
        );
        assert_eq!(median_rate(vec![None]), None);
    }
}
