//! Findings (隐患): rows, enums and the shapes the API shows.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::db::ids::{
    AllianceId, AttachmentId, EnterpriseId, FindingId, IndustryId, RegionId, UserId,
};
use crate::db::schema::findings;
use crate::db::types::local;
pub use crate::findings::lifecycle::{Action, FindingState};

/// The longest texts a finding takes, in characters. The service checks them and the API
/// document states them (through [`TEXT_LIMITS`]): each limit is written once, here.
pub mod max {
    pub const TITLE: usize = 200;
    pub const DESCRIPTION: usize = 4000;
    pub const CAUSE: usize = 2000;
    pub const LOCATION: usize = 200;
    pub const MEASURES: usize = 2000;
    pub const RESPONSIBLE_PERSON: usize = 100;
    pub const NOTE: usize = 2000;
}

/// (schema, field, longest text) for the API document.
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("NewFinding", "title", max::TITLE),
    ("NewFinding", "description", max::DESCRIPTION),
    ("NewFinding", "cause", max::CAUSE),
    ("NewFinding", "location", max::LOCATION),
    ("NewFinding", "measures", max::MEASURES),
    ("NewFinding", "responsible_person", max::RESPONSIBLE_PERSON),
    ("TransitionRequest", "note", max::NOTE),
];

crate::text_enum! {
    /// Who found the hazard.
    pub enum Source {
        MutualInspection = "mutual_inspection",
        SelfCheck = "self_check",
        Expert = "expert",
        Regulator = "regulator",
    }
}

crate::text_enum! {
    /// 安全管理, 工艺, 电气, 仪表, 消防, 总图, 设备, 其他.
    pub enum Category {
        SafetyManagement = "safety_management",
        Process = "process",
        Electrical = "electrical",
        Instrument = "instrument",
        Fire = "fire",
        Layout = "layout",
        Equipment = "equipment",
        Other = "other",
    }
}

crate::text_enum! {
    /// 一般 (general) or 重大 (major) hazard.
    pub enum Grade {
        General = "general",
        Major = "major",
    }
}

crate::text_enum! {
    /// 即查即改 (fixed on the spot) or 限期整改 (by a deadline).
    pub enum Treatment {
        OnTheSpot = "on_the_spot",
        Deadline = "deadline",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = findings)]
pub struct FindingRow {
    pub id: FindingId,
    pub enterprise_id: EnterpriseId,
    pub alliance_id: Option<AllianceId>,
    pub inspector_enterprise_id: Option<EnterpriseId>,
    pub inspection_id: Option<i64>,
    pub source: Source,
    pub title: String,
    pub description: String,
    pub cause: String,
    pub category: Category,
    pub grade: Grade,
    pub treatment: Treatment,
    pub deadline: Option<NaiveDate>,
    pub location: String,
    pub measures: String,
    pub cost_cents: Option<i64>,
    pub responsible_person: String,
    pub state: FindingState,
    pub shared: bool,
    pub extension_requested_until: Option<NaiveDate>,
    pub reported_by: UserId,
    pub reported_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// The enterprise's region and industry, kept here for scoped lists.
    pub region_id: RegionId,
    pub industry_id: IndustryId,
}

impl FindingRow {
    /// What oversight's counters need of it.
    pub fn hazard(&self) -> crate::oversight::figures::Hazard<'static> {
        crate::oversight::figures::Hazard {
            region: self.region_id,
            industry: self.industry_id,
            alliance: self.alliance_id,
            category: self.category.as_str(),
            grade: self.grade.as_str(),
            state: self.state.as_str(),
            deadline: self.deadline,
            reported_at: self.reported_at,
            closed_at: self.closed_at,
        }
    }

    /// Overdue (逾期) is derived, never stored: still to be rectified after the end of the
    /// deadline's day in Asia/Shanghai.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        matches!(
            self.state,
            FindingState::Reported | FindingState::Rectifying
        ) && self.deadline.is_some_and(|d| d < today)
    }
}

/// A finding as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Finding {
    pub id: FindingId,
    pub enterprise_id: EnterpriseId,
    pub alliance_id: Option<AllianceId>,
    pub inspector_enterprise_id: Option<EnterpriseId>,
    pub inspection_id: Option<i64>,
    pub source: Source,
    pub title: String,
    pub description: String,
    pub cause: String,
    pub category: Category,
    pub grade: Grade,
    pub treatment: Treatment,
    pub deadline: Option<NaiveDate>,
    pub location: String,
    pub measures: String,
    /// Estimated cost in yuan.
    pub cost: Option<f64>,
    pub responsible_person: String,
    pub state: FindingState,
    pub overdue: bool,
    pub shared: bool,
    /// A pending extension request: the deadline asked for.
    pub extension_requested_until: Option<NaiveDate>,
    pub reported_by: UserId,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

impl Finding {
    pub fn from_row(row: FindingRow, today: NaiveDate) -> Self {
        let overdue = row.overdue(today);
        Self {
            id: row.id,
            enterprise_id: row.enterprise_id,
            alliance_id: row.alliance_id,
            inspector_enterprise_id: row.inspector_enterprise_id,
            inspection_id: row.inspection_id,
            source: row.source,
            title: row.title,
            description: row.description,
            cause: row.cause,
            category: row.category,
            grade: row.grade,
            treatment: row.treatment,
            deadline: row.deadline,
            location: row.location,
            measures: row.measures,
            cost: row.cost_cents.map(|c| c as f64 / 100.0),
            responsible_person: row.responsible_person,
            state: row.state,
            overdue,
            shared: row.shared,
            extension_requested_until: row.extension_requested_until,
            reported_by: row.reported_by,
            created_at: local(row.reported_at),
            updated_at: local(row.updated_at),
            closed_at: row.closed_at.map(local),
        }
    }
}

/// One step of a finding's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub action: Action,
    /// The user who acted.
    pub actor: UserId,
    pub actor_name: String,
    pub at: DateTime<FixedOffset>,
    pub note: String,
    pub from_state: FindingState,
    pub to_state: FindingState,
    /// The deadline asked for or granted (extension actions).
    pub deadline: Option<NaiveDate>,
    pub attachment_ids: Vec<AttachmentId>,
}

/// A finding with its timeline and what the caller may do next.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingDetail {
    #[serde(flatten)]
    pub finding: Finding,
    pub timeline: Vec<TimelineEntry>,
    /// The reminders and escalations of the deadline ladder sent about it, oldest first.
    pub reminders: Vec<crate::notify::ladder::Reminder>,
    /// The transition actions the caller may take now.
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFinding {
    /// The enterprise the hazard is at. Defaults to the reporter's own enterprise.
    #[serde(default)]
    pub enterprise_id: Option<EnterpriseId>,
    /// The alliance whose lead reviews it. Defaults to the enterprise's street or zone alliance.
    #[serde(default)]
    pub alliance_id: Option<AllianceId>,
    /// Defaults by role: `self_check` for enterprise users, `regulator`, `expert`.
    #[serde(default)]
    pub source: Option<Source>,
    #[schema(min_length = 1)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cause: String,
    pub category: Category,
    pub grade: Grade,
    pub treatment: Treatment,
    /// Required for `deadline` treatment; today or later (and before 2101).
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub deadline: Option<NaiveDate>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub measures: String,
    /// Estimated cost in yuan (at most 2 decimals).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub cost: Option<f64>,
    #[serde(default)]
    pub responsible_person: String,
    /// Before-photos (uploaded first, `POST /api/v1/attachments`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub attachment_ids: Vec<AttachmentId>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub action: Action,
    /// Required for `reject` and `void` (the reason).
    #[serde(default)]
    pub note: String,
    /// The new deadline asked for (`request_extension`).
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub deadline: Option<NaiveDate>,
    /// Evidence (after-photos for `submit_rectification`, which needs at least one).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub attachment_ids: Vec<AttachmentId>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindingQuery {
    pub state: Option<FindingState>,
    pub grade: Option<Grade>,
    pub category: Option<Category>,
    pub source: Option<Source>,
    pub enterprise_id: Option<EnterpriseId>,
    pub alliance_id: Option<AllianceId>,
    /// Region, including its sub-regions.
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    /// Reported on or after this date.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub from: Option<NaiveDate>,
    /// Reported on or before this date.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub to: Option<NaiveDate>,
    /// Only findings past their deadline and not yet rectified (or only the others).
    pub overdue: Option<bool>,
    /// Only open findings, not closed or voided (or only the others).
    pub open: Option<bool>,
    /// Only voided findings (or, `false`, those counted as found: every other).
    pub voided: Option<bool>,
    /// Closed on or after this date.
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub closed_since: Option<NaiveDate>,
    /// Words in the title, description or location, or in the enterprise's name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub shared: Option<bool>,
    /// Only findings awaiting the caller's review.
    pub reviewable: Option<bool>,
    /// `-created_at` (default), `created_at`, `deadline`, `-deadline`, `review` (earliest
    /// deadline first, so overdue ones lead; then oldest).
    #[param(pattern = "^(-?created_at|-?deadline|review)$")]
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
    /// Keyset paging: the `next_after` of the previous page (with the `created_at` sorts, in
    /// place of `page`); deep pages cost as little as the first.
    #[param(pattern = "^[0-9]{1,20}_[0-9]{1,19}$", max_length = 41)]
    pub after: Option<String>,
}

/// A shared finding as other members of the alliance see it: the lesson, without the enterprise,
/// its address or its people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedLesson {
    pub id: FindingId,
    pub title: String,
    pub description: String,
    pub cause: String,
    pub category: Category,
    pub grade: Grade,
    pub measures: String,
    pub state: FindingState,
    /// The photos of the report and of its rectification.
    pub photo_ids: Vec<AttachmentId>,
    pub created_at: DateTime<FixedOffset>,
}
