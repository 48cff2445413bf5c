//! A district's figures of a period, per street × industry, from oversight's counters: what a
//! bundle carries. Counts only — no enterprise, hazard, person or text leaves the district —
//! and a cell describing fewer than [`MIN_ENTERPRISES`] enterprises goes without its counts.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;

use crate::db::schema::{enterprises, industries, memberships, regions};
use crate::db::types::{now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::federation::model::*;
use crate::oversight::store::{self, Names, Scope};
use crate::oversight::summary::days;

/// The district's code list: its own code and name, its streets (the regions just below it),
/// the platform's industries.
pub fn code_list(conn: &mut AnyConnection) -> AppResult<CodeList> {
    let rows: Vec<(i64, Option<i64>, String, String)> = regions::table
        .select((
            regions::id,
            regions::parent_id,
            regions::code,
            regions::name,
        ))
        .order(regions::id.asc())
        .load(conn)?;
    let Some((root, _, code, name)) = rows.iter().find(|r| r.1.is_none()) else {
        return Err(AppError::conflict(
            "no-district",
            "The registry has no district yet: there is nothing to publish.",
        ));
    };
    let mut streets: Vec<Coded> = rows
        .iter()
        .filter(|r| r.1 == Some(*root))
        .map(|r| Coded {
            code: r.2.clone(),
            name: r.3.clone(),
        })
        .collect();
    streets.sort_by(|a, b| a.code.cmp(&b.code));
    let industries: Vec<Coded> = industries::table
        .select((industries::code, industries::name))
        .order(industries::code.asc())
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(code, name)| Coded { code, name })
        .collect();
    Ok(CodeList {
        district: Coded {
            code: code.clone(),
            name: name.clone(),
        },
        streets,
        industries,
    })
}

/// Region and industry ids to codes, and the street each region lies in.
struct Codes {
    names: Names,
    regions: HashMap<i64, String>,
    industries: HashMap<i64, String>,
}

impl Codes {
    fn load(conn: &mut AnyConnection) -> AppResult<Codes> {
        let regions: HashMap<i64, String> = regions::table
            .select((regions::id, regions::code))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let industries: HashMap<i64, String> = industries::table
            .select((industries::id, industries::code))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        Ok(Codes {
            names: store::names(conn)?,
            regions,
            industries,
        })
    }

    fn street(&self, region: i64) -> String {
        let street = self.names.street_of(region);
        self.regions.get(&street).cloned().unwrap_or_default()
    }

    fn industry(&self, industry: Option<i64>) -> String {
        match industry {
            Some(i) => self.industries.get(&i).cloned().unwrap_or_default(),
            None => ACROSS_INDUSTRIES.to_string(),
        }
    }

    /// Where an alliance's work is counted: its street (the district for a district-wide one)
    /// and its industry (`*` across industries).
    fn alliance(&self, alliance: i64) -> (String, String) {
        match self.names.alliances.get(&alliance) {
            Some((_, region, industry)) => (self.street(*region), self.industry(*industry)),
            None => (String::new(), ACROSS_INDUSTRIES.to_string()),
        }
    }
}

type Key = (String, String);

/// How many enterprises each cell describes: the operating enterprises whose records land in
/// it — those registered in its street (or at the district itself) of its industry, and the
/// current members of the alliances whose work is counted there (an alliance's street, or the
/// district for a district-wide one; its industry, or `*`). Each enterprise once per cell, so a
/// cell's count is exactly the population its figures come from, and no wider total is published
/// beside a suppressed cell to subtract it from.
fn enterprise_counts(conn: &mut AnyConnection, codes: &Codes) -> AppResult<HashMap<Key, i64>> {
    let operating: Vec<(i64, i64, i64)> = enterprises::table
        .filter(enterprises::closed_on.is_null())
        .select((
            enterprises::id,
            enterprises::region_id,
            enterprises::industry_id,
        ))
        .load(conn)?;
    let open: BTreeSet<i64> = operating.iter().map(|e| e.0).collect();
    let mut described: HashMap<Key, BTreeSet<i64>> = HashMap::new();
    for (id, region, industry) in operating {
        described
            .entry((codes.street(region), codes.industry(Some(industry))))
            .or_default()
            .insert(id);
    }
    let members: Vec<(i64, i64)> = memberships::table
        .filter(memberships::left_on.is_null())
        .select((memberships::alliance_id, memberships::enterprise_id))
        .load(conn)?;
    for (alliance, enterprise) in members {
        if open.contains(&enterprise) {
            described
                .entry(codes.alliance(alliance))
                .or_default()
                .insert(enterprise);
        }
    }
    Ok(described
        .into_iter()
        .map(|(key, set)| (key, set.len() as i64))
        .collect())
}

/// The cells of `period`, sorted by street and industry, with the code list they name.
pub fn cells(conn: &mut AnyConnection, period: Period) -> AppResult<(CodeList, Vec<Cell>)> {
    let list = code_list(conn)?;
    let codes = Codes::load(conn)?;
    let all = Scope {
        regions: None,
        industry: None,
        alliance: None,
        alliances: None,
    };
    let (from, to) = (period.first_day(), period.last_day());
    let mut sums: BTreeMap<Key, Counts> = BTreeMap::new();
    for (_, region, industry, _, _, found, rectified, on_time) in
        store::found_rows(conn, &all, (from, to))?
    {
        let c = sums
            .entry((codes.street(region), codes.industry(Some(industry))))
            .or_default();
        c.found += found;
        c.rectified += rectified;
        c.on_time += on_time;
    }
    for o in store::open_sums(conn, &all, today())? {
        let c = sums
            .entry((
                codes.street(o.region_id),
                codes.industry(Some(o.industry_id)),
            ))
            .or_default();
        c.overdue += o.overdue;
        c.major_open += o.major_open;
    }
    for (_, alliance, kind, _, people) in store::event_rows(conn, &all, days(from, to), now())? {
        let c = sums.entry(codes.alliance(alliance)).or_default();
        match kind.as_str() {
            "training" => c.trainings += 1,
            "warning_education" => c.warning_educations += 1,
            _ => c.exchanges += 1,
        }
        c.attendances += people;
    }
    for (_, alliance, _, planned, submitted) in store::batch_rows(conn, &all, (from, to))? {
        let c = sums.entry(codes.alliance(alliance)).or_default();
        c.inspection_batches += 1;
        c.inspections_planned += planned;
        c.enterprises_inspected += submitted;
    }
    let enterprises = enterprise_counts(conn, &codes)?;
    // Every cell that describes an enterprise is sent, those without activity too: the city
    // replaces the district's scope whole, so a cell that fell to zero reads zero there.
    for (key, n) in &enterprises {
        if *n > 0 {
            sums.entry(key.clone()).or_default();
        }
    }
    let cells = sums
        .into_iter()
        .filter(|((street, industry), _)| list.admits(street, industry))
        .map(|((street, industry), mut counts)| {
            counts.enterprises = enterprises
                .get(&(street.clone(), industry.clone()))
                .copied()
                .unwrap_or(0);
            let suppressed = counts.enterprises < MIN_ENTERPRISES;
            Cell {
                street,
                industry,
                suppressed,
                counts: (!suppressed).then_some(counts),
            }
        })
        .collect();
    Ok((list, cells))
}
