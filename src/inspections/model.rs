//! Mutual inspection: rows, enums and the shapes the API shows and takes.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::db::ids::{
    AllianceId, AttachmentId, BatchId, ChecklistId, EnterpriseId, FindingId, IndustryId,
    InspectionId, ItemId, UserId,
};
use crate::db::schema::{checklist_items, checklists, inspection_batches, inspections};
pub use crate::findings::model::{Category, Grade};
pub use crate::inspections::lifecycle::{BatchState, InspectionState};
pub use crate::inspections::pairing::Relaxed;

/// The longest texts, in characters (checked by the service, stated in the API document).
pub mod max {
    pub const NAME: usize = 200;
    pub const NOTE: usize = 2000;
    pub const ITEM_TEXT: usize = 1000;
    pub const CLAUSE: usize = 500;
    pub const CAUTION: usize = 1000;
    pub const ITEMS: usize = 300;
    pub const INSPECTORS: usize = 200;
    pub const RESULT_NOTE: usize = 2000;
    /// Inspections per enterprise in one batch.
    pub const PER_TARGET: i32 = 5;
    /// Recent batches whose pairs are avoided.
    pub const RECENT_BATCHES: i32 = 20;
    pub const PARTICIPANTS: usize = 5000;
}

/// (schema, field, longest text) for the API document.
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("NewChecklist", "name", max::NAME),
    ("NewChecklist", "note", max::NOTE),
    ("NewItem", "text", max::ITEM_TEXT),
    ("NewItem", "clause", max::CLAUSE),
    ("NewItem", "caution", max::CAUTION),
    ("NewBatch", "name", max::NAME),
    ("BatchPatch", "name", max::NAME),
    ("ResultsRequest", "inspectors", max::INSPECTORS),
    ("InspectionPatch", "inspectors", max::INSPECTORS),
    ("ItemResult", "note", max::RESULT_NOTE),
];

crate::text_enum! {
    /// What an inspector found for one checklist item.
    pub enum Outcome {
        Pass = "pass",
        Fail = "fail",
        Na = "na",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = checklists)]
pub struct ChecklistRow {
    pub id: ChecklistId,
    pub family_id: i64,
    pub version: i32,
    pub name: String,
    pub note: String,
    pub alliance_id: Option<AllianceId>,
    pub industry_id: Option<IndustryId>,
    pub current: bool,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = checklist_items)]
pub struct Item {
    pub id: ItemId,
    #[serde(skip)]
    pub checklist_id: ChecklistId,
    #[serde(skip)]
    pub position: i32,
    pub text: String,
    pub category: Category,
    /// The standard and clause the item comes from.
    pub clause: String,
    /// The grade a failed item gets unless the inspector changes it.
    pub grade: Grade,
    /// What to keep in mind when citing it (superseded standards, unverified clauses).
    pub caution: String,
}

/// A checklist template version as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChecklistSummary {
    pub id: ChecklistId,
    /// The id of the template's first version, shared by all its versions.
    pub family_id: i64,
    pub name: String,
    pub version: i32,
    pub note: String,
    /// The alliance that keeps it; none for a district-wide template.
    pub alliance_id: Option<AllianceId>,
    pub industry_id: Option<IndustryId>,
    /// Whether this is the template's newest version.
    pub current: bool,
    pub item_count: i64,
    pub created_at: DateTime<FixedOffset>,
}

/// A checklist template version with its items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checklist {
    #[serde(flatten)]
    pub summary: ChecklistSummary,
    /// Whether a batch uses this version (editing it then makes a new version).
    pub used: bool,
    /// Whether the caller may edit the template.
    pub editable: bool,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    pub text: String,
    pub category: Category,
    #[serde(default)]
    pub clause: String,
    pub grade: Grade,
    #[serde(default)]
    pub caution: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChecklist {
    pub name: String,
    #[serde(default)]
    pub note: String,
    /// The alliance that keeps it (a lead's own template); omit for a district-wide one
    /// (regulators). Ignored when editing.
    #[serde(default)]
    pub alliance_id: Option<AllianceId>,
    /// The industry it is written for; pairing then prefers inspectors of that industry.
    #[serde(default)]
    pub industry_id: Option<IndustryId>,
    #[schema(min_items = 1, max_items = 300)]
    pub items: Vec<NewItem>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChecklistQuery {
    /// Templates this alliance may use: its own and the district-wide ones.
    pub alliance_id: Option<AllianceId>,
    pub industry_id: Option<IndustryId>,
    /// Older versions too (default: current versions only).
    pub all_versions: Option<bool>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspection_batches)]
pub struct BatchRow {
    pub id: BatchId,
    pub alliance_id: AllianceId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub checklist_id: ChecklistId,
    pub state: BatchState,
    pub per_target: i32,
    pub recent_batches: i32,
    pub seed: i64,
    pub conflicts: String,
    pub relaxed: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

/// A batch as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Batch {
    pub id: BatchId,
    pub alliance_id: AllianceId,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The checklist template version its inspections use.
    pub checklist_id: ChecklistId,
    pub state: BatchState,
    pub per_target: i32,
    pub recent_batches: i32,
    pub created_at: DateTime<FixedOffset>,
    pub published_at: Option<DateTime<FixedOffset>>,
    pub closed_at: Option<DateTime<FixedOffset>>,
}

/// How far a batch has come.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Progress {
    pub inspections: i64,
    pub submitted: i64,
    /// Not submitted after their date (or after the window's end when they have none).
    pub overdue_inspections: i64,
    pub findings: i64,
    /// Findings closed (销号).
    pub findings_closed: i64,
    pub findings_overdue: i64,
}

/// A batch with its rules, its pairings' report and its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchDetail {
    #[serde(flatten)]
    pub batch: Batch,
    pub participant_ids: Vec<EnterpriseId>,
    /// The seed the pairings were generated with: the same seed gives the same pairings.
    pub seed: i64,
    /// Enterprises that must not inspect each other.
    pub conflicts: Vec<[EnterpriseId; 2]>,
    /// The pairing rules that could not all be kept, pair by pair.
    pub relaxed: Vec<Relaxed>,
    pub progress: Progress,
    /// Whether the caller may edit, pair, publish and close it.
    pub manageable: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    pub name: String,
    #[serde(deserialize_with = "crate::db::types::sane_date_required")]
    pub starts_on: NaiveDate,
    #[serde(deserialize_with = "crate::db::types::sane_date_required")]
    pub ends_on: NaiveDate,
    /// A template version the alliance may use.
    pub checklist_id: ChecklistId,
    /// Default: every current member of the alliance.
    #[serde(default)]
    pub participant_ids: Option<Vec<EnterpriseId>>,
    /// How many times each participant is inspected (default 1).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub per_target: Option<i32>,
    /// Avoid pairs that met in the alliance's last N batches (default 2).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 20)]
    pub recent_batches: Option<i32>,
    /// Pairs of enterprises that must not inspect each other (conflicts of interest).
    #[serde(default)]
    pub conflicts: Vec<[EnterpriseId; 2]>,
    /// Default: a random seed (shown in the batch, to regenerate the same pairings).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub seed: Option<i64>,
}

/// Changes to a batch. Template, participants and rules change a draft only (its pairings are
/// generated again, with the same seed); `state` publishes (`scheduled`) or closes (`closed`).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub starts_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub ends_on: Option<NaiveDate>,
    pub checklist_id: Option<ChecklistId>,
    pub participant_ids: Option<Vec<EnterpriseId>>,
    #[schema(minimum = 1, maximum = 5)]
    pub per_target: Option<i32>,
    #[schema(minimum = 0, maximum = 20)]
    pub recent_batches: Option<i32>,
    pub conflicts: Option<Vec<[EnterpriseId; 2]>>,
    pub state: Option<BatchState>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingRequest {
    /// Default: a new random seed (send the batch's own seed to get the same pairings).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub seed: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: InspectionId,
    pub batch_id: BatchId,
    pub inspector_enterprise_id: EnterpriseId,
    pub target_enterprise_id: EnterpriseId,
    pub scheduled_on: Option<NaiveDate>,
    pub state: InspectionState,
    pub inspectors: String,
    pub submitted_at: Option<NaiveDateTime>,
    pub submitted_by: Option<UserId>,
    pub submit_key: Option<String>,
    pub submit_hash: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// One inspection of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inspection {
    pub id: InspectionId,
    pub batch_id: BatchId,
    pub inspector_enterprise_id: EnterpriseId,
    pub inspector_name: String,
    pub target_enterprise_id: EnterpriseId,
    pub target_name: String,
    pub scheduled_on: Option<NaiveDate>,
    pub state: InspectionState,
    /// The people who inspected (names, as the inspecting side wrote them).
    pub inspectors: String,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<FixedOffset>>,
}

/// An item's recorded result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultView {
    pub item_id: ItemId,
    pub result: Outcome,
    pub note: String,
    /// The grade the finding got (failed items).
    pub grade: Option<Grade>,
    pub attachment_ids: Vec<AttachmentId>,
    /// The finding a failed item became (after submission).
    pub finding_id: Option<FindingId>,
    /// A failed item's deadline as the inspector set it (default: 30 days after submission).
    pub deadline: Option<NaiveDate>,
}

/// An inspection with its batch, checklist and results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionDetail {
    #[serde(flatten)]
    pub inspection: Inspection,
    pub batch_name: String,
    pub batch_state: BatchState,
    pub alliance_id: AllianceId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub checklist: Checklist,
    /// Saved (draft) or submitted results, in checklist order.
    pub results: Vec<ResultView>,
    /// Whether the caller may record results now.
    pub recordable: bool,
    /// Whether the caller may set its date or swap it.
    pub manageable: bool,
}

/// One item's result as the inspector sends it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemResult {
    pub item_id: ItemId,
    pub result: Outcome,
    #[serde(default)]
    pub note: String,
    /// Photos of a failed item (uploaded first); they become the finding's before-photos. Left
    /// empty, a failed item keeps the photos its saved draft had.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub attachment_ids: Vec<AttachmentId>,
    /// A failed item's grade, when the inspector changes the item's default.
    #[serde(default)]
    pub grade: Option<Grade>,
    /// A failed item's rectification deadline (default: 30 days after submission).
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub deadline: Option<NaiveDate>,
}

/// Results of an inspection: a draft to keep (`draft: true`, any items), or the submission (every
/// item of the checklist, once; each failed item becomes a finding).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultsRequest {
    #[schema(max_items = 300)]
    pub items: Vec<ItemResult>,
    /// The people inspecting, by name.
    #[serde(default)]
    pub inspectors: Option<String>,
    #[serde(default)]
    pub draft: bool,
}

/// Changes to one inspection by those who manage its batch: its date (within the window), and,
/// in a draft batch, its target swapped with another inspection's (which keeps every count).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionPatch {
    /// A date within the batch's window; `null` clears it.
    #[serde(default, deserialize_with = "crate::inspections::model::nullable_date")]
    pub scheduled_on: Option<Option<NaiveDate>>,
    pub inspectors: Option<String>,
    /// Another inspection of the same draft batch whose target this one takes (and the other
    /// this one's).
    pub swap_target_with: Option<InspectionId>,
}

/// A field that may be absent (leave it), `null` (clear it) or a sane date.
pub fn nullable_date<'de, D>(de: D) -> Result<Option<Option<NaiveDate>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    crate::db::types::sane_date(de).map(Some)
}

/// A personal calendar feed's address (shown once: only its hash is kept).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarFeed {
    pub token: String,
    /// The feed's path on this server (`/api/v1/calendar/{token}.ics`).
    pub url: String,
}
