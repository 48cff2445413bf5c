//! The plan of a batch as its manager asks for it — template, participants, inspections per
//! enterprise, memory of past pairs, conflicts of interest, seed — checked against the alliance.

use std::collections::HashSet;

use chrono::NaiveDate;
use rand::Rng as _;

use crate::access::Policy;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::inspections::model::*;
use crate::inspections::{checklists, store};
use crate::message::msg;

/// The plan of a batch: its template, participants and rules, checked.
pub(super) struct Plan {
    pub checklist: ChecklistRow,
    pub participants: Vec<EnterpriseId>,
    pub per_target: i32,
    pub recent_batches: i32,
    pub conflicts: Vec<[EnterpriseId; 2]>,
}

pub(super) fn check_window(v: &mut Validator, starts_on: NaiveDate, ends_on: NaiveDate) {
    v.check(ends_on >= starts_on, "ends_on", msg::WINDOW_ENDS_BEFORE);
}

#[allow(clippy::too_many_arguments)]
pub(super) fn check_plan(
    conn: &mut AnyConnection,
    policy: &Policy,
    v: &mut Validator,
    alliance: AllianceId,
    checklist: ChecklistId,
    participants: Option<Vec<EnterpriseId>>,
    per_target: i32,
    recent_batches: i32,
    conflicts: Vec<[EnterpriseId; 2]>,
    same_checklist: bool,
) -> AppResult<Option<Plan>> {
    let row = match checklists::visible(conn, policy, checklist) {
        // Locked shared: an edit of this version waits for the batch, then sees it used.
        Ok(row) if row.alliance_id.is_none_or(|a| a == alliance) => {
            store::lock_checklist(conn, row.id, false)?
        }
        Ok(_) | Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    v.check(row.is_some(), "checklist_id", msg::NO_SUCH_CHECKLIST);
    if let Some(row) = &row {
        v.check(
            row.current || same_checklist,
            "checklist_id",
            msg::CHECKLIST_SUPERSEDED,
        );
    }
    let members = crate::org::store::alliance_member_set(conn, alliance)?;
    let participants = match participants {
        Some(ids) => {
            let unique: HashSet<_> = ids.iter().collect();
            v.check(
                unique.len() == ids.len(),
                "participant_ids",
                msg::LISTED_TWICE,
            );
            for id in &ids {
                if !members.contains(id) {
                    v.add("participant_ids", msg::NOT_A_MEMBER_ID.with("id", id));
                }
            }
            ids
        }
        None => members.iter().copied().collect(),
    };
    v.check(
        participants.len() >= 2,
        "participant_ids",
        msg::TWO_PARTICIPANTS,
    );
    v.check(
        participants.len() <= max::PARTICIPANTS,
        "participant_ids",
        msg::TOO_MANY.with("max", max::PARTICIPANTS),
    );
    v.check(
        (1..=max::PER_TARGET).contains(&per_target),
        "per_target",
        msg::BETWEEN.with("min", 1).with("max", max::PER_TARGET),
    );
    v.check(
        (0..=max::RECENT_BATCHES).contains(&recent_batches),
        "recent_batches",
        msg::BETWEEN.with("min", 0).with("max", max::RECENT_BATCHES),
    );
    for [a, b] in &conflicts {
        v.check(a != b, "conflicts", msg::CONFLICT_SAME);
        for id in [a, b] {
            if !members.contains(id) {
                v.add("conflicts", msg::NOT_A_MEMBER_ID.with("id", id));
            }
        }
    }
    if v.has_errors() {
        return Ok(None);
    }
    let mut participants = participants;
    participants.sort();
    Ok(row.map(|checklist| Plan {
        checklist,
        participants,
        per_target,
        recent_batches,
        conflicts,
    }))
}

fn random_seed() -> i64 {
    rand::thread_rng().gen_range(0..i64::MAX)
}

pub(super) fn check_seed(v: &mut Validator, seed: Option<i64>) -> i64 {
    if let Some(s) = seed {
        v.check(
            s >= 0,
            "seed",
            msg::BETWEEN.with("min", 0).with("max", i64::MAX),
        );
    }
    seed.unwrap_or_else(random_seed)
}
