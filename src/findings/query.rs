//! The findings list: its filters, its order, its count (capped) and its keyset pages.

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::api::PageRequest;
use crate::db::schema::{enterprises, findings};
use crate::db::{AnyConnection, MultiBackend, Predicate};
use crate::error::AppResult;
use crate::findings::model::*;

/// The caller's scope for a list, made afresh for each query (see [`crate::findings::policy`]).
pub type Scope<'s> = &'s dyn Fn() -> Option<Predicate<findings::table>>;

fn filtered<'a>(
    scope: Scope<'_>,
    q: &'a FindingQuery,
    region_ids: Option<Vec<RegionId>>,
    today: NaiveDate,
) -> findings::BoxedQuery<'a, MultiBackend> {
    let mut query = findings::table.into_boxed::<MultiBackend>();
    if let Some(p) = scope() {
        query = query.filter(p);
    }
    if let Some(state) = q.state {
        query = query.filter(findings::state.eq(state));
    }
    if let Some(grade) = q.grade {
        query = query.filter(findings::grade.eq(grade));
    }
    if let Some(category) = q.category {
        query = query.filter(findings::category.eq(category));
    }
    if let Some(source) = q.source {
        query = query.filter(findings::source.eq(source));
    }
    if let Some(e) = q.enterprise_id {
        query = query.filter(findings::enterprise_id.eq(e));
    }
    if let Some(a) = q.alliance_id {
        query = query.filter(findings::alliance_id.eq(a));
    }
    if let Some(ids) = region_ids {
        query = query.filter(findings::region_id.eq_any(ids));
    }
    if let Some(i) = q.industry_id {
        query = query.filter(findings::industry_id.eq(i));
    }
    if let Some(from) = q.from {
        query = query.filter(findings::reported_at.ge(crate::db::types::start_of_local_day(from)));
    }
    if let Some(to) = q.to {
        query = query.filter(
            findings::reported_at.lt(crate::db::types::start_of_local_day(
                to.succ_opt().unwrap_or(to),
            )),
        );
    }
    let open = [FindingState::Reported, FindingState::Rectifying];
    match q.overdue {
        Some(true) => {
            query = query
                .filter(findings::state.eq_any(open))
                .filter(findings::deadline.lt(today));
        }
        Some(false) => {
            query = query.filter(
                findings::state
                    .ne_all(open)
                    .or(findings::deadline.is_null())
                    .or(findings::deadline.ge(today).assume_not_null()),
            );
        }
        None => {}
    }
    if let Some(shared) = q.shared {
        query = query.filter(findings::shared.eq(shared));
    }
    if let Some(since) = q.closed_since {
        query = query.filter(findings::closed_at.ge(crate::db::types::start_of_local_day(since)));
    }
    match q.voided {
        Some(true) => query = query.filter(findings::state.eq(FindingState::Voided)),
        Some(false) => query = query.filter(findings::state.ne(FindingState::Voided)),
        None => {}
    }
    let ended = [FindingState::Closed, FindingState::Voided];
    match q.open {
        Some(true) => query = query.filter(findings::state.ne_all(ended)),
        Some(false) => query = query.filter(findings::state.eq_any(ended)),
        None => {}
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", crate::db::escape_like(text));
        let named = enterprises::table
            .filter(enterprises::name.like(pattern.clone()).escape('\\'))
            .select(enterprises::id);
        query = query.filter(
            findings::title
                .like(pattern.clone())
                .escape('\\')
                .or(findings::description.like(pattern.clone()).escape('\\'))
                .or(findings::location.like(pattern).escape('\\'))
                .or(findings::enterprise_id.eq_any(named)),
        );
    }
    query
}

/// How many findings a list matches: exact up to [`crate::api::COUNT_CAP`], beyond it "more".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub n: i64,
    pub capped: bool,
}

/// Where a keyset page starts: after the finding reported at `at` with id `id` (in the list's
/// order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub at: chrono::NaiveDateTime,
    pub id: i64,
}

impl After {
    /// The cursor of a row, as the API hands it out: `<reported_at in µs since 1970>_<id>`.
    pub fn cursor(row: &FindingRow) -> String {
        format!(
            "{}_{}",
            row.reported_at.and_utc().timestamp_micros(),
            row.id.0
        )
    }

    pub fn parse(cursor: &str) -> Option<Self> {
        let (micros, id) = cursor.split_once('_')?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(micros) || !digits(id) {
            return None;
        }
        // From 1970 to the end of 9999: what both databases store.
        let micros: i64 = micros.parse().ok()?;
        if micros > 253_402_300_799_999_999 {
            return None;
        }
        let at = chrono::DateTime::from_timestamp_micros(micros)?.naive_utc();
        Some(Self {
            at,
            id: id.parse().ok()?,
        })
    }
}

/// One page of findings and their count. `after` (keyset paging) applies to the `created_at`
/// sorts only; the caller checks that.
pub fn list(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    q: &FindingQuery,
    page: PageRequest,
    region_ids: Option<Vec<RegionId>>,
    today: NaiveDate,
    after: Option<After>,
) -> AppResult<(Vec<FindingRow>, Counted)> {
    // The count stops at the cap: past it, only "more than" is worth its cost. One probe for a
    // record past the cap decides which.
    let cap = crate::api::COUNT_CAP;
    let beyond = filtered(scope, q, region_ids.clone(), today)
        .select(findings::id)
        .offset(cap)
        .limit(1)
        .first::<FindingId>(conn)
        .optional()?;
    let counted = match beyond {
        Some(_) => Counted {
            n: cap,
            capped: true,
        },
        None => Counted {
            n: filtered(scope, q, region_ids.clone(), today)
                .select(count_star())
                .first(conn)?,
            capped: false,
        },
    };
    let mut query = filtered(scope, q, region_ids, today);
    let ascending = q.sort.as_deref() == Some("created_at");
    if let Some(After { at, id }) = after {
        query = if ascending {
            query.filter(
                findings::reported_at.gt(at).or(findings::reported_at
                    .eq(at)
                    .and(findings::id.gt(FindingId(id)))),
            )
        } else {
            query.filter(
                findings::reported_at.lt(at).or(findings::reported_at
                    .eq(at)
                    .and(findings::id.lt(FindingId(id)))),
            )
        };
    }
    let query = match q.sort.as_deref().unwrap_or("-created_at") {
        "created_at" => query.order((findings::reported_at.asc(), findings::id.asc())),
        "deadline" => query.order((
            findings::deadline.is_null().asc(),
            findings::deadline.asc(),
            findings::id.asc(),
        )),
        "-deadline" => query.order((
            findings::deadline.is_null().asc(),
            findings::deadline.desc(),
            findings::id.desc(),
        )),
        // The review queue: earliest deadline first (so the overdue ones lead), then oldest.
        "review" => query.order((
            findings::deadline.is_null().asc(),
            findings::deadline.asc(),
            findings::reported_at.asc(),
            findings::id.asc(),
        )),
        _ => query.order((findings::reported_at.desc(), findings::id.desc())),
    };
    let offset = if after.is_some() { 0 } else { page.offset() };
    let rows = query
        .limit(page.per_page)
        .offset(offset)
        .select(FindingRow::as_select())
        .load(conn)?;
    Ok((rows, counted))
}

/// The exact number of findings a query matches (for numbers someone acts on: a home page's
/// open and overdue counts).
pub fn count(
    conn: &mut AnyConnection,
    scope: Scope<'_>,
    q: &FindingQuery,
    today: NaiveDate,
) -> AppResult<i64> {
    Ok(filtered(scope, q, None, today)
        .select(count_star())
        .first(conn)?)
}
