//! The life cycle of a mutual-inspection batch and of its inspections, as one pure function each,
//! used by the API and the pages.
//!
//! ```text
//!         publish              first submission            close
//! draft ──────────► scheduled ─────────────────► in_progress ──────► closed
//!   │ plan, pair          │ rename, reschedule        │ rename, reschedule
//!   └─ close (discard) ───┴──────────────── close ────┴──────────────► closed
//! ```
//!
//! An inspection is `planned` while its batch is a draft, `scheduled` once published,
//! `in_progress` when the inspector has saved a draft of its results, and `submitted` for good:
//! corrections then go through the findings' own closed loop.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::text_enum! {
    /// Where a batch stands.
    pub enum BatchState {
        Draft = "draft",
        Scheduled = "scheduled",
        InProgress = "in_progress",
        Closed = "closed",
    }
}

crate::text_enum! {
    /// Where an inspection stands.
    pub enum InspectionState {
        Planned = "planned",
        Scheduled = "scheduled",
        InProgress = "in_progress",
        Submitted = "submitted",
    }
}

/// What someone does to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchAction {
    /// Change the template, participants, rules or pairings (a draft only).
    Plan,
    /// Change the name, or the window and dates (until it is closed; a published batch's new
    /// window must hold its inspections' dates).
    Rename,
    Reschedule,
    /// Draft → scheduled: the inspecting and inspected enterprises see it.
    Publish,
    /// The first submitted inspection moves a scheduled batch on.
    Start,
    Close,
}

/// The state a batch moves to, or `None` when the action does not apply to it.
pub fn next(state: BatchState, action: BatchAction) -> Option<BatchState> {
    use BatchAction as A;
    use BatchState as S;
    match (state, action) {
        (S::Draft, A::Plan | A::Rename | A::Reschedule) => Some(S::Draft),
        (S::Draft, A::Publish) => Some(S::Scheduled),
        (S::Scheduled, A::Rename | A::Reschedule) => Some(S::Scheduled),
        (S::Scheduled, A::Start) => Some(S::InProgress),
        (S::InProgress, A::Rename | A::Reschedule) => Some(S::InProgress),
        (S::InProgress, A::Start) => Some(S::InProgress),
        // Closing a draft discards it: nobody saw it.
        (S::Draft | S::Scheduled | S::InProgress, A::Close) => Some(S::Closed),
        _ => None,
    }
}

/// What an inspector does with results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    SaveDraft,
    Submit,
}

/// The state an inspection moves to when its inspector records results, or `None` when results
/// cannot be recorded (its batch is unpublished or closed, or it was submitted already).
pub fn record(
    batch: BatchState,
    inspection: InspectionState,
    what: Recording,
) -> Option<InspectionState> {
    use InspectionState as I;
    let open = matches!(batch, BatchState::Scheduled | BatchState::InProgress);
    match (open, inspection, what) {
        (true, I::Scheduled | I::InProgress, Recording::SaveDraft) => Some(I::InProgress),
        (true, I::Scheduled | I::InProgress, Recording::Submit) => Some(I::Submitted),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BatchAction::*;
    use BatchState::*;

    #[test]
    fn batch_table() {
        // (from, action, to): every pair not listed is refused.
        let allowed = [
            (Draft, Plan, Draft),
            (Draft, Rename, Draft),
            (Draft, Reschedule, Draft),
            (Draft, Publish, Scheduled),
            (Draft, Close, Closed),
            (Scheduled, Rename, Scheduled),
            (Scheduled, Reschedule, Scheduled),
            (Scheduled, Start, InProgress),
            (Scheduled, Close, Closed),
            (InProgress, Rename, InProgress),
            (InProgress, Reschedule, InProgress),
            (InProgress, Start, InProgress),
            (InProgress, Close, Closed),
        ];
        for state in BatchState::ALL {
            for action in [Plan, Rename, Reschedule, Publish, Start, Close] {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| f == state && *a == action)
                    .map(|(_, _, t)| *t);
                assert_eq!(next(*state, action), expected, "{state} {action:?}");
            }
        }
    }

    #[test]
    fn results_are_recorded_only_while_the_batch_runs_and_until_submitted() {
        use InspectionState as I;
        for batch in BatchState::ALL {
            for inspection in InspectionState::ALL {
                for what in [Recording::SaveDraft, Recording::Submit] {
                    let open = matches!(batch, Scheduled | InProgress)
                        && matches!(inspection, I::Scheduled | I::InProgress);
                    let expected = open.then_some(match what {
                        Recording::SaveDraft => I::InProgress,
                        Recording::Submit => I::Submitted,
                    });
                    assert_eq!(record(*batch, *inspection, what), expected);
                }
            }
        }
    }
}
