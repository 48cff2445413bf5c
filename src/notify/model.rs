//! What a message is.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::ids::UserId;
use crate::db::schema::notifications;
use crate::db::types::local;

crate::text_enum! {
    /// What happened. Each has its words in the dictionaries: `notice_<kind>` (what happened)
    /// and `notice_<kind>_do` (what the reader should do).
    pub enum Kind {
        /// A hazard was reported at the reader's enterprise.
        FindingReported = "finding_reported",
        /// A rectification waits for the reader's review.
        FindingAwaitingReview = "finding_awaiting_review",
        /// The reader's rectification was sent back (the note says why).
        FindingRejected = "finding_rejected",
        /// A hazard of the reader's enterprise, or one the reader reported, was closed.
        FindingClosed = "finding_closed",
        /// More time was asked for a hazard the reader reviews (until `due_on`).
        ExtensionRequested = "extension_requested",
        /// The extension was granted: the new deadline is `due_on`.
        ExtensionGranted = "extension_granted",
        /// The extension was refused: the deadline stays `due_on`.
        ExtensionRefused = "extension_refused",
        /// The reader's enterprise is to inspect another, on `due_on` (a batch was published).
        InspectionAssigned = "inspection_assigned",
        /// The reader's enterprise will be inspected, on `due_on` (a batch was published).
        InspectionScheduled = "inspection_scheduled",
        /// The reader's enterprise must attend an event, beginning on `due_on`.
        EventRequired = "event_required",
        /// An event the reader's enterprise must attend begins tomorrow (`due_on`).
        EventReminder = "event_reminder",
        /// A hazard of the reader's enterprise is due on `due_on`, a few days away.
        DeadlineNear = "deadline_near",
        /// A hazard of the reader's enterprise is due today.
        DeadlineToday = "deadline_today",
        /// A hazard of the reader's enterprise (or alliance) is past its deadline `due_on`.
        FindingOverdue = "finding_overdue",
        /// A hazard in the reader's area has been overdue for days past `due_on`.
        FindingEscalated = "finding_escalated",
        /// A major hazard was reported in the reader's area.
        MajorReported = "major_reported",
        /// A major hazard in the reader's area is overdue (挂牌督办, daily until closed).
        MajorOverdue = "major_overdue",
        /// An inspection of the reader's enterprise changed (its day, its inspectors).
        InspectionChanged = "inspection_changed",
        /// An account was made for the reader, or a new password asked for: the link sets one,
        /// until `due_on`.
        Invitation = "invitation",
        /// The monthly bulletin (evaluations) was published.
        BulletinPublished = "bulletin_published",
        /// The city refused figures the reader published (the note says why).
        FederationRefused = "federation_refused",
    }
}

impl Kind {
    /// The dictionary keys of its words: what happened, and what to do (`{due}` stands for the
    /// date; without one, the words that need none).
    pub fn words(self, dated: bool) -> (String, String) {
        let kind = self.as_str();
        let undated = !dated
            && matches!(
                self,
                Self::FindingReported
                    | Self::FindingRejected
                    | Self::ExtensionRefused
                    | Self::InspectionAssigned
                    | Self::InspectionScheduled
                    | Self::InspectionChanged
                    | Self::MajorReported
                    | Self::BulletinPublished
            );
        let todo = if undated {
            format!("notice_{kind}_do_undated")
        } else {
            format!("notice_{kind}_do")
        };
        (format!("notice_{kind}"), todo)
    }

    /// Messages nobody may turn off or put off to a digest: overdue and major hazards.
    pub fn mandatory(self) -> bool {
        matches!(
            self,
            Self::FindingOverdue
                | Self::FindingEscalated
                | Self::MajorReported
                | Self::MajorOverdue
                | Self::Invitation
                | Self::FederationRefused
        )
    }
}

/// A message as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: UserId,
    pub kind: Kind,
    pub subject: String,
    pub link: String,
    pub due_on: Option<NaiveDate>,
    pub note: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// A message to write: what happened, about what, where to go, by when.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: Kind,
    pub subject: String,
    pub link: String,
    pub due_on: Option<NaiveDate>,
    pub note: String,
}

/// A message in the caller's message centre.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    /// What happened: `finding_reported`, `finding_awaiting_review`, `finding_rejected`,
    /// `finding_closed`, `extension_requested`, `extension_granted`, `extension_refused`,
    /// `inspection_assigned`, `inspection_scheduled`, `event_required`.
    #[schema(value_type = String)]
    pub kind: Kind,
    /// What it is about (a hazard's title; a batch's name and the other enterprise; an event's
    /// title).
    pub subject: String,
    /// The page to go to (a path on this server).
    pub link: String,
    /// By when the reader must act (a deadline, an inspection's day), if by a date.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<NaiveDate>,
    /// A reason given (a rejection's).
    pub note: String,
    pub created_at: DateTime<FixedOffset>,
    pub read_at: Option<DateTime<FixedOffset>>,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            subject: r.subject,
            link: r.link,
            due_on: r.due_on,
            note: r.note,
            created_at: local(r.created_at),
            read_at: r.read_at.map(local),
        }
    }
}

/// The message centre's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only the unread ones.
    pub unread: Option<bool>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// How many unread messages the caller has.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unread {
    pub unread: i64,
}
