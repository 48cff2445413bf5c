//! The shapes oversight answers with, and the filters it takes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::db::ids::{AllianceId, IndustryId, RegionId};

/// Which records a figure counts: a period of whole months and, within the caller's scope, a
/// region (with its sub-regions), an industry, an alliance.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// First day counted (default: 1 January of this year); the figures count whole months,
    /// from the first of this date's month.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub from: Option<NaiveDate>,
    /// Last day counted (default: today); counted to the end of its month.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub to: Option<NaiveDate>,
    /// A region, with its sub-regions.
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub alliance_id: Option<AllianceId>,
}

/// The figures of one scope, or of one row of a breakdown. Rates are computed from the summed
/// counts (Σrectified ÷ Σfound), never averaged; `null` when there is nothing to divide by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Hazards reported in the period (voided ones not counted).
    pub found: i64,
    /// Of those, rectified (closed).
    pub rectified: i64,
    /// rectified ÷ found (0–1).
    pub rectification_rate: Option<f64>,
    /// Of those rectified, rectified by their deadline (or on the spot).
    pub on_time: i64,
    /// Hazards past their deadline and not rectified, now (not bound to the period).
    pub overdue: i64,
    /// 重大 hazards open now (not bound to the period).
    pub major_open: i64,
    /// Mutual-inspection batches (published) starting in the period (批).
    pub inspection_batches: i64,
    /// Inspections of those batches submitted: enterprises inspected (家次).
    pub enterprises_inspected: i64,
    /// Inspections of those batches planned.
    pub inspections_planned: i64,
    /// Events held (ended) that started in the period, by kind.
    pub trainings: i64,
    pub warning_educations: i64,
    pub exchanges: i64,
    /// People checked in at those events.
    pub attendances: i64,
}

impl Figures {
    /// The rates, from the counts.
    pub fn finish(mut self) -> Self {
        self.rectification_rate = rate(self.rectified, self.found);
        self
    }

    pub fn add(&mut self, o: &Figures) {
        self.found += o.found;
        self.rectified += o.rectified;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.major_open += o.major_open;
        self.inspection_batches += o.inspection_batches;
        self.enterprises_inspected += o.enterprises_inspected;
        self.inspections_planned += o.inspections_planned;
        self.trainings += o.trainings;
        self.warning_educations += o.warning_educations;
        self.exchanges += o.exchanges;
        self.attendances += o.attendances;
    }
}

/// `part ÷ whole`, rounded to four places; `None` when `whole` is 0.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// One row of a breakdown: what it is (an alliance's id, a region's, an industry's, a category,
/// a month `YYYY-MM`), its name, and its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdown {
    /// The id (alliances, streets, industries; 0: none), category or month it stands for.
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// What the regulators of a scope read at a glance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    /// The first and last day counted (whole months).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Enterprises in scope that are members of an alliance (covered), and all in scope.
    pub enterprises: i64,
    pub enterprises_total: i64,
    /// Alliances in scope.
    pub alliances: i64,
    #[serde(flatten)]
    pub figures: Figures,
    /// Hazards open now, and those of them awaiting review.
    pub open: i64,
    pub awaiting_review: i64,
    pub by_alliance: Vec<Breakdown>,
    /// By street (the region under the district the record lies in).
    pub by_street: Vec<Breakdown>,
    pub by_industry: Vec<Breakdown>,
    /// Hazards by category (hazard figures only).
    pub by_category: Vec<Breakdown>,
    /// By month `YYYY-MM`, oldest first.
    pub by_month: Vec<Breakdown>,
}
