//! The hazard figures of a summary summed by the database, one breakdown at a time: a district's
//! counters hold tens of thousands of rows (month × place × alliance × category, and the open
//! ones by grade, state and deadline), and summing them in SQL per breakdown returns a few
//! hundred rows instead of reading every one.

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::{finding_figures, open_finding_figures};
use crate::db::{AnyConnection, MultiBackend};
use crate::error::AppResult;
use crate::oversight::figures::OVERDUE_STATES;
use crate::oversight::store::Scope;

/// (key, found, rectified, on time)
pub type Found<K> = (K, i64, i64, i64);

/// (key, open, overdue, major open, awaiting review)
pub type Open<K> = (K, i64, i64, i64, i64);

/// Narrows a (grouped, boxed) query on `$table` to the scope `$s`.
macro_rules! in_scope {
    ($q:expr, $table:ident, $s:expr) => {{
        let mut q = $q;
        if let Some(regions) = &$s.regions {
            q = q.filter($table::region_id.eq_any(regions.clone()));
        }
        if let Some(i) = $s.industry {
            q = q.filter($table::industry_id.eq(i));
        }
        if let Some(a) = $s.alliance {
            q = q.filter($table::alliance_id.eq(a));
        }
        q
    }};
}

fn sum(column: &str) -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>(&format!("CAST(COALESCE(SUM({column}), 0) AS BIGINT)"))
}

/// The open sums: all, overdue (as of `today`), major, awaiting review.
fn open_sums(
    today: NaiveDate,
) -> (
    diesel::expression::SqlLiteral<BigInt>,
    diesel::expression::SqlLiteral<BigInt>,
    diesel::expression::SqlLiteral<BigInt>,
    diesel::expression::SqlLiteral<BigInt>,
) {
    let overdue_states = OVERDUE_STATES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    (
        sum("n"),
        sum(&format!(
            "CASE WHEN state IN ({overdue_states}) AND deadline < '{}' THEN n ELSE 0 END",
            today.format("%Y-%m-%d")
        )),
        sum("CASE WHEN grade = 'major' THEN n ELSE 0 END"),
        sum("CASE WHEN state = 'awaiting_review' THEN n ELSE 0 END"),
    )
}

macro_rules! found_by {
    ($name:ident, $found_col:expr, $key:ty) => {
        /// The found figures summed by this breakdown's key.
        pub fn $name(
            conn: &mut AnyConnection,
            s: &Scope,
            (from, to): (NaiveDate, NaiveDate),
        ) -> AppResult<Vec<Found<$key>>> {
            let q = finding_figures::table
                .group_by($found_col)
                .select(($found_col, sum("found"), sum("rectified"), sum("on_time")))
                .filter(finding_figures::month.ge(from))
                .filter(finding_figures::month.le(to))
                .into_boxed::<MultiBackend>();
            Ok(in_scope!(q, finding_figures, s).load(conn)?)
        }
    };
}

macro_rules! open_by {
    ($open:ident, $open_col:expr, $key:ty) => {
        /// The open figures summed by this breakdown's key.
        pub fn $open(
            conn: &mut AnyConnection,
            s: &Scope,
            today: NaiveDate,
        ) -> AppResult<Vec<Open<$key>>> {
            let (all, overdue, major, awaiting) = open_sums(today);
            let q = open_finding_figures::table
                .group_by($open_col)
                .select(($open_col, all, overdue, major, awaiting))
                .filter(open_finding_figures::n.ne(0))
                .into_boxed::<MultiBackend>();
            Ok(in_scope!(q, open_finding_figures, s).load(conn)?)
        }
    };
}

found_by!(found_by_month, finding_figures::month, NaiveDate);
found_by!(found_by_alliance, finding_figures::alliance_id, i64);
found_by!(found_by_region, finding_figures::region_id, i64);
found_by!(found_by_industry, finding_figures::industry_id, i64);
found_by!(found_by_category, finding_figures::category, String);
open_by!(open_by_alliance, open_finding_figures::alliance_id, i64);
open_by!(open_by_region, open_finding_figures::region_id, i64);
open_by!(open_by_industry, open_finding_figures::industry_id, i64);
open_by!(open_by_category, open_finding_figures::category, String);
