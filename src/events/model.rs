//! Alliance events: rows, enums and the shapes the API shows and takes.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::db::ids::{AllianceId, AttachmentId, EnterpriseId, EventId, FindingId, UserId};
use crate::db::schema::events;
pub use crate::findings::model::Category;

/// The longest texts, in characters (checked by the service, stated in the API document).
pub mod max {
    pub const TITLE: usize = 200;
    pub const DESCRIPTION: usize = 4000;
    pub const PLACE: usize = 200;
    pub const SPEAKER: usize = 100;
    pub const CASE_STUDY: usize = 4000;
    pub const SUMMARY: usize = 4000;
    pub const LINK: usize = 500;
    pub const LINKS: usize = 10;
    pub const CAPACITY: i32 = 100_000;
}

/// (schema, field, longest text) for the API document.
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("NewEvent", "title", max::TITLE),
    ("NewEvent", "description", max::DESCRIPTION),
    ("NewEvent", "place", max::PLACE),
    ("NewEvent", "speaker", max::SPEAKER),
    ("NewEvent", "case_study", max::CASE_STUDY),
    ("EventPatch", "title", max::TITLE),
    ("EventPatch", "summary", max::SUMMARY),
    ("EventPatch", "description", max::DESCRIPTION),
    ("EventPatch", "place", max::PLACE),
    ("EventPatch", "speaker", max::SPEAKER),
    ("EventPatch", "case_study", max::CASE_STUDY),
];

crate::text_enum! {
    /// 培训讲座, 警示教育, 经验交流会.
    pub enum EventKind {
        Training = "training",
        WarningEducation = "warning_education",
        ExperienceExchange = "experience_exchange",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: EventId,
    pub alliance_id: AllianceId,
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub place: String,
    pub speaker: String,
    pub capacity: i32,
    pub quota: i32,
    pub required_all: bool,
    pub case_study: String,
    pub hazard_categories: String,
    pub links: String,
    pub summary: String,
    pub lesson_id: Option<FindingId>,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An enterprise that must attend, and how many of its people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub enterprise_id: EnterpriseId,
    #[schema(minimum = 1)]
    pub people: i32,
}

/// An event as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: EventId,
    pub alliance_id: AllianceId,
    pub kind: EventKind,
    pub title: String,
    pub description: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub place: String,
    pub speaker: String,
    pub capacity: i32,
    /// People each enterprise may register (unless its requirement names another number).
    pub quota: i32,
    /// Every current member must attend.
    pub required_all: bool,
    pub case_study: String,
    pub hazard_categories: Vec<Category>,
    pub links: Vec<String>,
    pub summary: String,
    /// The shared lesson a warning education was made from.
    pub lesson_id: Option<FindingId>,
    pub registered: i64,
    pub created_at: DateTime<FixedOffset>,
}

/// One registered person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Registration {
    pub user_id: UserId,
    pub user_name: String,
    pub enterprise_id: EnterpriseId,
    pub enterprise_name: String,
    pub registered_at: DateTime<FixedOffset>,
}

/// An event with what the caller may see of its requirements, materials and registrations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    /// The enterprises named to attend (none when `required_all`: then every member must).
    pub requirements: Vec<Requirement>,
    pub material_ids: Vec<AttachmentId>,
    /// Photos taken at the event (added afterwards with the summary).
    pub photo_ids: Vec<AttachmentId>,
    /// Everyone's registrations for the organizer; the caller's enterprise's for a member.
    pub registrations: Vec<Registration>,
    /// Whether the caller organizes it (edits it, checks people in).
    pub organizer: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    pub kind: EventKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub speaker: String,
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: i32,
    /// People each enterprise may register (default 2).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub quota: Option<i32>,
    /// Every current member must attend (default); else those in `requirements`.
    #[serde(default)]
    pub required_all: Option<bool>,
    #[serde(default)]
    pub requirements: Vec<Requirement>,
    /// Warning education: the accident case it studies.
    #[serde(default)]
    pub case_study: String,
    /// Warning education: the hazard categories it concerns.
    #[serde(default)]
    pub hazard_categories: Vec<Category>,
    /// Uploaded files (`POST /api/v1/attachments`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub material_ids: Vec<AttachmentId>,
    /// Links to materials (http or https).
    #[serde(default)]
    #[schema(max_items = 10)]
    pub links: Vec<String>,
    /// A shared lesson of the alliance to study (warning education made in one step).
    #[serde(default)]
    pub lesson_id: Option<FindingId>,
}

/// Changes to an event (its organizer). `summary` is written after the event.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    pub kind: Option<EventKind>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub starts_at: Option<DateTime<FixedOffset>>,
    pub ends_at: Option<DateTime<FixedOffset>>,
    pub place: Option<String>,
    pub speaker: Option<String>,
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
    #[schema(minimum = 1)]
    pub quota: Option<i32>,
    /// Every current member must attend (true drops the list); false keeps or takes `requirements`.
    pub required_all: Option<bool>,
    /// The enterprises that must attend, replacing the list (a list makes `required_all` false).
    pub requirements: Option<Vec<Requirement>>,
    /// Warning education: the accident case it studies.
    pub case_study: Option<String>,
    /// Warning education: the hazard categories it concerns (replacing them).
    pub hazard_categories: Option<Vec<Category>>,
    pub summary: Option<String>,
    pub links: Option<Vec<String>>,
    /// Files to add to the materials (uploaded first).
    #[schema(max_items = 20)]
    pub material_ids: Option<Vec<AttachmentId>>,
    /// Materials or photos to take off the event.
    #[schema(max_items = 40)]
    pub remove_file_ids: Option<Vec<AttachmentId>>,
    /// Photos of the event to add (uploaded first).
    #[schema(max_items = 20)]
    pub photo_ids: Option<Vec<AttachmentId>>,
}

/// Registers people of one enterprise.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    /// Default: the caller's enterprise.
    #[serde(default)]
    pub enterprise_id: Option<EnterpriseId>,
    /// The enterprise's users to register (default: the caller).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub user_ids: Option<Vec<UserId>>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    pub kind: Option<EventKind>,
    /// Only events that have not ended (or only past ones).
    pub upcoming: Option<bool>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}
