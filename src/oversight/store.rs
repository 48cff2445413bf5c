//! Oversight's queries: the caller's scope resolved once, then the hazard counters, the
//! batches and inspections, the events and their attendance, and the names of what the figures
//! are broken down by. Hazards come from the counters (a district has a million of them);
//! batches and events, which a district has thousands of, are counted from their own rows.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::access::{Area, Policy, Visibility};
use crate::db::ids::{AllianceId, IndustryId, RegionId};
use crate::db::schema::{
    alliances, attendances, enterprises, events, finding_figures, industries, inspection_batches,
    inspections, memberships, open_finding_figures, regions,
};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::oversight::model::SummaryQuery;

/// Where the figures are counted: a region subtree (`None`: everywhere), an industry, and the
/// alliances in scope (`None`: every alliance), with the one alliance asked for, if any.
#[derive(Debug, Clone)]
pub struct Scope {
    pub regions: Option<Vec<RegionId>>,
    pub industry: Option<IndustryId>,
    pub alliance: Option<AllianceId>,
    pub alliances: Option<Vec<AllianceId>>,
}

/// The (id, parent) pairs of every region.
pub fn region_tree(conn: &mut AnyConnection) -> AppResult<Vec<(RegionId, Option<RegionId>)>> {
    Ok(regions::table
        .select((regions::id, regions::parent_id))
        .load(conn)?)
}

/// The caller's scope, narrowed by the query. Only admins and regulators oversee (others: 404,
/// as for any record outside one's scope).
pub fn scope(conn: &mut AnyConnection, policy: &Policy, q: &SummaryQuery) -> AppResult<Scope> {
    let area = match policy.oversight() {
        Visibility::Everything => Area {
            regions: None,
            industry: None,
        },
        Visibility::Only { area: Some(a), .. } => a,
        Visibility::Only { area: None, .. } => return Err(AppError::NotFound),
    };
    let mut regions = area.regions;
    if let Some(r) = q.region_id {
        let below = crate::access::subtree(&region_tree(conn)?, r);
        regions = Some(match regions {
            None => below,
            Some(mine) => below.into_iter().filter(|r| mine.contains(r)).collect(),
        });
    }
    let industry = match (area.industry, q.industry_id) {
        // Another industry than one's own: nothing of it is in scope.
        (Some(mine), Some(asked)) if mine != asked => {
            regions = Some(Vec::new());
            Some(mine)
        }
        (mine, asked) => mine.or(asked),
    };
    let narrowed = Area {
        regions: regions.clone(),
        industry,
    };
    let mut alliances = crate::org::store::visible_alliance_ids(conn, &Visibility::area(narrowed))?;
    // Asked for one industry: the alliances of that industry (as `by_industry` files their
    // work), not every alliance some member of it belongs to.
    if let Some(asked) = q.industry_id {
        let of: Vec<AllianceId> = alliances::table
            .filter(alliances::industry_id.eq(asked))
            .select(alliances::id)
            .load(conn)?;
        alliances = Some(match alliances {
            None => of,
            Some(list) => list.into_iter().filter(|a| of.contains(a)).collect(),
        });
    }
    if let Some(a) = q.alliance_id {
        let inside = alliances.as_ref().is_none_or(|list| list.contains(&a));
        alliances = Some(if inside { vec![a] } else { Vec::new() });
    }
    Ok(Scope {
        regions,
        industry,
        alliance: q.alliance_id,
        alliances,
    })
}

/// (month, region, industry, alliance, category, found, rectified, on time)
pub type FoundRow = (NaiveDate, i64, i64, i64, String, i64, i64, i64);

pub fn found_rows(
    conn: &mut AnyConnection,
    s: &Scope,
    (from, to): (NaiveDate, NaiveDate),
) -> AppResult<Vec<FoundRow>> {
    let mut q = finding_figures::table
        .filter(finding_figures::month.ge(from))
        .filter(finding_figures::month.le(to))
        .into_boxed::<MultiBackend>();
    if let Some(regions) = &s.regions {
        q = q.filter(finding_figures::region_id.eq_any(regions.clone()));
    }
    if let Some(i) = s.industry {
        q = q.filter(finding_figures::industry_id.eq(i));
    }
    if let Some(a) = s.alliance {
        q = q.filter(finding_figures::alliance_id.eq(a));
    }
    Ok(q.load(conn)?)
}

/// (region, industry, alliance, category, grade, state, deadline, open)
pub type OpenRow = (i64, i64, i64, String, String, String, NaiveDate, i64);

pub fn open_rows(conn: &mut AnyConnection, s: &Scope) -> AppResult<Vec<OpenRow>> {
    let mut q = open_finding_figures::table
        .filter(open_finding_figures::n.ne(0))
        .into_boxed::<MultiBackend>();
    if let Some(regions) = &s.regions {
        q = q.filter(open_finding_figures::region_id.eq_any(regions.clone()));
    }
    if let Some(i) = s.industry {
        q = q.filter(open_finding_figures::industry_id.eq(i));
    }
    if let Some(a) = s.alliance {
        q = q.filter(open_finding_figures::alliance_id.eq(a));
    }
    Ok(q.load(conn)?)
}

/// The open findings of one street-level place (region, industry, alliance) and category,
/// summed in the database: open, overdue (as of `today`), major and awaiting review.
#[derive(Debug, QueryableByName)]
pub struct OpenSum {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub region_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub industry_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub alliance_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub category: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub open: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub major_open: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub awaiting_review: i64,
}

/// The open counters of the scope summed per region, industry, alliance and category: a
/// tenth of the rows [`open_rows`] reads at a million findings (grade, state and deadline are
/// summed away in the database), for the summary, which needs no more.
pub fn open_sums(conn: &mut AnyConnection, s: &Scope, today: NaiveDate) -> AppResult<Vec<OpenSum>> {
    let overdue = crate::oversight::figures::OVERDUE_STATES
        .iter()
        .map(|state| format!("'{state}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!(
        "SELECT region_id, industry_id, alliance_id, category, \
         CAST(SUM(n) AS BIGINT) AS open, \
         CAST(SUM(CASE WHEN state IN ({overdue}) AND deadline < $1 THEN n ELSE 0 END) AS BIGINT) AS overdue, \
         CAST(SUM(CASE WHEN grade = 'major' THEN n ELSE 0 END) AS BIGINT) AS major_open, \
         CAST(SUM(CASE WHEN state = 'awaiting_review' THEN n ELSE 0 END) AS BIGINT) AS awaiting_review \
         FROM open_finding_figures WHERE n <> 0"
    );
    // Ids are the scope's own integers, written into the text; the date is bound.
    if let Some(regions) = &s.regions {
        let list: Vec<String> = regions.iter().map(|r| r.0.to_string()).collect();
        if list.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(" AND region_id IN ({})", list.join(", ")));
        }
    }
    if let Some(i) = s.industry {
        sql.push_str(&format!(" AND industry_id = {}", i.0));
    }
    if let Some(a) = s.alliance {
        sql.push_str(&format!(" AND alliance_id = {}", a.0));
    }
    sql.push_str(" GROUP BY region_id, industry_id, alliance_id, category");
    Ok(diesel::sql_query(sql)
        .bind::<diesel::sql_types::Date, _>(today)
        .load(conn)?)
}

/// The events held in the period: begun in it and ended by `now`.
pub fn held_events<'a>(
    s: &Scope,
    (from, until): (NaiveDateTime, NaiveDateTime),
    now: NaiveDateTime,
) -> events::BoxedQuery<'a, MultiBackend> {
    let mut q = events::table
        .filter(events::starts_at.ge(from))
        .filter(events::starts_at.lt(until))
        .filter(events::ends_at.lt(now))
        .into_boxed::<MultiBackend>();
    if let Some(list) = &s.alliances {
        q = q.filter(events::alliance_id.eq_any(list.clone()));
    }
    q
}

/// (event, alliance, kind, starts at, people checked in)
pub type EventFigures = (i64, i64, String, NaiveDateTime, i64);

pub fn event_rows(
    conn: &mut AnyConnection,
    s: &Scope,
    period: (NaiveDateTime, NaiveDateTime),
    now: NaiveDateTime,
) -> AppResult<Vec<EventFigures>> {
    let rows: Vec<(i64, i64, String, NaiveDateTime)> = held_events(s, period, now)
        .select((
            events::id,
            events::alliance_id,
            events::kind,
            events::starts_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let people = people_at(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(id, a, kind, at)| (id, a, kind, at, people.get(&id).copied().unwrap_or(0)))
        .collect())
}

/// People checked in at each of these events.
pub fn people_at(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    let mut people = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let counted: Vec<(i64, i64)> = attendances::table
            .filter(attendances::event_id.eq_any(chunk))
            .group_by(attendances::event_id)
            .select((attendances::event_id, count_star()))
            .load(conn)?;
        people.extend(counted);
    }
    Ok(people)
}

/// The batches counted in the period: published (a draft discarded never was), starting in it.
pub fn counted_batches<'a>(
    s: &Scope,
    (from, to): (NaiveDate, NaiveDate),
) -> inspection_batches::BoxedQuery<'a, MultiBackend> {
    let mut q = inspection_batches::table
        .filter(inspection_batches::published_at.is_not_null())
        .filter(inspection_batches::starts_on.ge(from))
        .filter(inspection_batches::starts_on.le(to))
        .into_boxed::<MultiBackend>();
    if let Some(list) = &s.alliances {
        q = q.filter(inspection_batches::alliance_id.eq_any(list.clone()));
    }
    q
}

/// Each batch's inspections: (planned, submitted).
pub fn inspections_of(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, (i64, i64)>> {
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let per_state: Vec<(i64, String, i64)> = inspections::table
            .filter(inspections::batch_id.eq_any(chunk))
            .group_by((inspections::batch_id, inspections::state))
            .select((inspections::batch_id, inspections::state, count_star()))
            .load(conn)?;
        for (batch, state, n) in per_state {
            let c = counts.entry(batch).or_default();
            c.0 += n;
            if state == "submitted" {
                c.1 += n;
            }
        }
    }
    Ok(counts)
}

/// (batch, alliance, starts on, inspections planned, inspections submitted)
pub type BatchFigures = (i64, i64, NaiveDate, i64, i64);

pub fn batch_rows(
    conn: &mut AnyConnection,
    s: &Scope,
    period: (NaiveDate, NaiveDate),
) -> AppResult<Vec<BatchFigures>> {
    let rows: Vec<(i64, i64, NaiveDate)> = counted_batches(s, period)
        .select((
            inspection_batches::id,
            inspection_batches::alliance_id,
            inspection_batches::starts_on,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let counts = inspections_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(id, a, on)| {
            let (planned, submitted) = counts.get(&id).copied().unwrap_or_default();
            (id, a, on, planned, submitted)
        })
        .collect())
}

/// Enterprises in scope that are current members of an alliance (of the one asked for), and all
/// enterprises in scope.
pub fn enterprise_counts(conn: &mut AnyConnection, s: &Scope) -> AppResult<(i64, i64)> {
    let base = || {
        let mut q = enterprises::table.into_boxed::<MultiBackend>();
        if let Some(regions) = &s.regions {
            q = q.filter(enterprises::region_id.eq_any(regions.clone()));
        }
        if let Some(i) = s.industry {
            q = q.filter(enterprises::industry_id.eq(i));
        }
        q
    };
    let current = memberships::table.filter(memberships::left_on.is_null());
    let covered: i64 = match s.alliance {
        Some(a) => base()
            .filter(
                enterprises::id.eq_any(
                    current
                        .filter(memberships::alliance_id.eq(a))
                        .select(memberships::enterprise_id),
                ),
            )
            .select(count_star())
            .first(conn)?,
        None => base()
            .filter(enterprises::id.eq_any(current.select(memberships::enterprise_id)))
            .select(count_star())
            .first(conn)?,
    };
    let total: i64 = match s.alliance {
        Some(_) => covered,
        None => base().select(count_star()).first(conn)?,
    };
    Ok((covered, total))
}

pub fn alliance_count(conn: &mut AnyConnection, s: &Scope) -> AppResult<i64> {
    Ok(match &s.alliances {
        Some(list) => list.len() as i64,
        None => alliances::table.select(count_star()).first(conn)?,
    })
}

/// Names: alliances, regions (with their parents, for streets), industries.
pub struct Names {
    /// An alliance's name, region and industry (`None`: across industries).
    pub alliances: HashMap<i64, (String, i64, Option<i64>)>,
    pub regions: HashMap<i64, (String, Option<i64>)>,
    pub industries: HashMap<i64, String>,
}

pub fn names(conn: &mut AnyConnection) -> AppResult<Names> {
    let a: Vec<(i64, String, i64, Option<i64>)> = alliances::table
        .select((
            alliances::id,
            alliances::name,
            alliances::region_id,
            alliances::industry_id,
        ))
        .load(conn)?;
    let r: Vec<(i64, String, Option<i64>)> = regions::table
        .select((regions::id, regions::name, regions::parent_id))
        .load(conn)?;
    let i: Vec<(i64, String)> = industries::table
        .select((industries::id, industries::name))
        .load(conn)?;
    Ok(Names {
        alliances: a.into_iter().map(|(id, n, r, i)| (id, (n, r, i))).collect(),
        regions: r.into_iter().map(|(id, n, p)| (id, (n, p))).collect(),
        industries: i.into_iter().collect(),
    })
}

impl Names {
    /// An alliance's name ("" for none).
    pub fn alliance_name(&self, id: i64) -> String {
        self.alliances
            .get(&id)
            .map(|a| a.0.clone())
            .unwrap_or_default()
    }

    /// A region's name ("" for none).
    pub fn region_name(&self, id: i64) -> String {
        self.regions
            .get(&id)
            .map(|r| r.0.clone())
            .unwrap_or_default()
    }

    /// The street a region lies in: its ancestor just below the district (the district itself
    /// for the root).
    pub fn street_of(&self, region: i64) -> i64 {
        let mut at = region;
        for _ in 0..16 {
            match self.regions.get(&at) {
                Some((_, Some(parent)))
                    if self.regions.get(parent).is_some_and(|p| p.1.is_some()) =>
                {
                    at = *parent;
                }
                _ => break,
            }
        }
        at
    }
}

/// Per alliance level (`district`, `street`, `zone`): the alliances in scope and the enterprises
/// that are their current members.
pub fn alliance_levels(conn: &mut AnyConnection, s: &Scope) -> AppResult<Vec<(String, i64, i64)>> {
    let mut q = alliances::table.into_boxed::<MultiBackend>();
    if let Some(list) = &s.alliances {
        q = q.filter(alliances::id.eq_any(list.clone()));
    }
    let rows: Vec<(i64, String)> = q.select((alliances::id, alliances::level)).load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let members: Vec<(i64, i64)> = memberships::table
        .filter(memberships::left_on.is_null())
        .filter(memberships::alliance_id.eq_any(&ids))
        .select((memberships::alliance_id, memberships::enterprise_id))
        .load(conn)?;
    let mut out = Vec::new();
    for level in ["district", "street", "zone"] {
        let of: Vec<i64> = rows.iter().filter(|r| r.1 == level).map(|r| r.0).collect();
        let mut enterprises: Vec<i64> = members
            .iter()
            .filter(|m| of.contains(&m.0))
            .map(|m| m.1)
            .collect();
        enterprises.sort_unstable();
        enterprises.dedup();
        out.push((level.to_string(), of.len() as i64, enterprises.len() as i64));
    }
    Ok(out)
}
