//! Moving a finding through its closed loop: resolve (lock the row, the caller's parts) →
//! decide (the life cycle) → validate the request → write the state, timeline and audit entry.

use serde_json::json;

use crate::access::Policy;
use crate::audit;
use crate::db::types::today;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::findings::attachments::{self, Stored};
use crate::findings::lifecycle::{self, Refusal};
use crate::findings::model::*;
use crate::findings::service::{check_attachments, facts, visible};
use crate::findings::store::{self, NewEvent};
use crate::message::msg;

/// The answer to a refused action: 403 for the wrong person, 409 for the wrong moment.
fn refused(row: &FindingRow, action: Action, refusal: Refusal) -> AppError {
    let conflict = |kind, detail: &str| AppError::conflict(kind, detail);
    match refusal {
        Refusal::NotAllowed => AppError::Forbidden(format!(
            "You may not `{action}` this finding{}.",
            if row.grade == Grade::Major && matches!(action, Action::Accept | Action::Reject) {
                " (a major hazard is reviewed by a regulator)"
            } else {
                ""
            }
        )),
        Refusal::WrongState => AppError::conflict(
            "wrong-state",
            format!(
                "`{action}` does not apply to a finding that is `{}`.",
                row.state
            ),
        ),
        Refusal::NoDeadline => conflict(
            "no-deadline",
            "A finding fixed on the spot has no deadline to extend.",
        ),
        Refusal::ExtensionPending => conflict(
            "extension-pending",
            "An extension request is already waiting for a decision.",
        ),
        Refusal::NoExtensionRequest => {
            conflict("no-extension-request", "No extension has been requested.")
        }
        Refusal::AlreadyShared => conflict("already-shared", "The finding is already shared."),
        Refusal::NoAlliance => conflict(
            "no-alliance",
            "The enterprise belongs to no alliance to share with.",
        ),
    }
}

/// What a transition changes besides the state.
struct Change {
    deadline: Option<chrono::NaiveDate>,
    requested: Option<chrono::NaiveDate>,
    shared: bool,
    /// The deadline the timeline records (asked for, granted or refused).
    event_deadline: Option<chrono::NaiveDate>,
}

/// Checks the request's fields for `req.action` and works out what changes.
fn validate_transition(
    conn: &mut AnyConnection,
    policy: &Policy,
    row: &FindingRow,
    req: &TransitionRequest,
) -> AppResult<Change> {
    let mut v = Validator::new();
    v.long_text("note", &req.note, max::NOTE);
    check_attachments(conn, &mut v, policy, &req.attachment_ids)?;
    let mut change = Change {
        deadline: row.deadline,
        requested: row.extension_requested_until,
        shared: row.shared,
        event_deadline: None,
    };
    let has_note = !req.note.trim().is_empty();
    match req.action {
        Action::Reject | Action::Void => {
            v.check(has_note, "note", msg::REASON_REQUIRED);
        }
        Action::SubmitRectification => {
            v.check(
                !req.attachment_ids.is_empty(),
                "attachment_ids",
                msg::RECTIFICATION_PROOF,
            );
        }
        Action::RequestExtension => {
            match req.deadline {
                None => {
                    v.add("deadline", msg::EXTENSION_DATE_REQUIRED);
                }
                Some(d) => {
                    v.check(d >= today(), "deadline", msg::TODAY_OR_LATER);
                    v.check(
                        row.deadline.is_none_or(|cur| d > cur),
                        "deadline",
                        msg::AFTER_CURRENT_DEADLINE,
                    );
                    change.requested = Some(d);
                    change.event_deadline = Some(d);
                }
            }
            v.check(has_note, "note", msg::WHY_MORE_TIME);
        }
        Action::GrantExtension | Action::RefuseExtension => {
            // The life cycle made sure a request is pending.
            let asked = row.extension_requested_until;
            if req.action == Action::GrantExtension {
                change.deadline = asked;
            }
            change.event_deadline = asked;
            change.requested = None;
        }
        Action::Share => change.shared = true,
        _ => {}
    }
    v.finish()?;
    Ok(change)
}

/// Moves a finding through its closed loop. The row is locked for the transition, so that two
/// actions on one finding (even ones that keep its state) take turns.
///
/// `photos` (from a page form) become the caller's attachments in the same transaction.
pub fn transition(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: FindingId,
    mut req: TransitionRequest,
    photos: &[Stored],
) -> AppResult<FindingId> {
    let (row, parts) = visible(store::find_for_update(conn, id)?, policy)?;
    let to = lifecycle::transition(row.state, req.action, parts, facts(&row))
        .map_err(|refusal| refused(&row, req.action, refusal))?;
    let photos = attachments::record(conn, policy.actor.id, photos)?;
    req.attachment_ids.extend(photos.iter().map(|a| a.id));
    let mut change = validate_transition(conn, policy, &row, &req)?;
    if matches!(to, FindingState::Closed | FindingState::Voided) {
        change.requested = None;
    }
    store::update_state(
        conn,
        id,
        to,
        change.deadline,
        change.requested,
        change.shared,
    )?;
    store::add_event(
        conn,
        NewEvent {
            finding: id,
            action: req.action,
            actor: policy.actor.id,
            note: &req.note,
            from: row.state,
            to,
            deadline: change.event_deadline,
            attachment_ids: &req.attachment_ids,
        },
    )?;
    audit::record(
        conn,
        Some(policy.actor.id),
        req.action.as_str(),
        "finding",
        Some(id.0),
        json!({
            "from": row.state, "to": to, "note": req.note.trim(), "deadline": change.event_deadline,
            "attachment_ids": req.attachment_ids,
        }),
    )?;
    crate::findings::notices::transitioned(
        conn,
        &row,
        req.action,
        change.deadline,
        (&req.note, change.event_deadline),
        policy.actor.id,
    )?;
    Ok(id)
}
