//! The hazard figures on the home pages: a regulator's scope, or the alliances a lead's
//! enterprise leads — open, overdue, 重大 open, awaiting review, and closed this week — each a
//! link to its list. (A member's own open and overdue hazards are the findings section's.)

use chrono::Duration;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::access::Policy;
use crate::db::schema::findings;
use crate::db::types::{start_of_local_day, today};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::oversight::figures::OVERDUE_STATES;
use crate::oversight::model::SummaryQuery;
use crate::oversight::store::{self, Scope};

#[derive(Default)]
struct Now {
    open: i64,
    overdue: i64,
    major_open: i64,
    awaiting_review: i64,
    closed_week: i64,
}

fn figures(conn: &mut AnyConnection, s: &Scope, since: chrono::NaiveDate) -> AppResult<Now> {
    let mut now = Now::default();
    let today = today();
    for (_, _, _, _, grade, state, deadline, n) in store::open_rows(conn, s)? {
        now.open += n;
        if OVERDUE_STATES.contains(&state.as_str()) && deadline < today {
            now.overdue += n;
        }
        if grade == "major" {
            now.major_open += n;
        }
        if state == "awaiting_review" {
            now.awaiting_review += n;
        }
    }
    let mut q = findings::table
        .filter(findings::state.eq("closed"))
        .filter(findings::closed_at.ge(start_of_local_day(since)))
        .into_boxed::<MultiBackend>();
    if let Some(regions) = &s.regions {
        q = q.filter(findings::region_id.eq_any(regions.clone()));
    }
    if let Some(i) = s.industry {
        q = q.filter(findings::industry_id.eq(i));
    }
    if let Some(a) = s.alliance {
        q = q.filter(findings::alliance_id.eq(a));
    }
    now.closed_week = q.select(count_star()).first(conn)?;
    Ok(now)
}

fn section(n: Now, filter: &str, since: chrono::NaiveDate, title: &str, name: &str) -> Value {
    json!({
        "title": title, "name": name,
        "open": n.open, "overdue": n.overdue, "major_open": n.major_open,
        "awaiting_review": n.awaiting_review, "closed_week": n.closed_week,
        "links": {
            "open": format!("/findings?state=open{filter}"),
            "overdue": format!("/findings?state=open&overdue=true{filter}"),
            "major_open": format!("/findings?state=open&grade=major{filter}"),
            "awaiting_review": format!("/findings?state=awaiting_review{filter}"),
            "closed_week": format!("/findings?state=closed&closed_since={since}{filter}"),
        },
    })
}

/// The sections the viewer's home page shows (none for members, experts).
pub fn home_section(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let since = today() - Duration::days(6);
    let mut out = Vec::new();
    if policy.is_authority() {
        let s = store::scope(conn, policy, &SummaryQuery::default())?;
        out.push(section(figures(conn, &s, since)?, "", since, "scope", ""));
    }
    for alliance in policy.led_alliances() {
        let s = Scope {
            regions: None,
            industry: None,
            alliance: Some(*alliance),
            alliances: Some(vec![*alliance]),
        };
        let name = crate::org::store::alliance(conn, *alliance)?
            .map(|a| a.name)
            .unwrap_or_default();
        let filter = format!("&alliance_id={alliance}");
        out.push(section(
            figures(conn, &s, since)?,
            &filter,
            since,
            "alliance",
            &name,
        ));
    }
    Ok(json!({"sections": out, "oversees": policy.is_authority()}))
}
