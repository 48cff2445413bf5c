//! Recording an inspection's results: drafts kept on the server, and the one submission that
//! turns every failed item into a finding of the hazard closed loop.
//!
//! A submission runs in one transaction with the batch locked (PostgreSQL) and claims the
//! inspection with one conditional update, so of two inspectors submitting at once exactly one
//! records results and findings; the other gets 409 (or, retrying with the same
//! `Idempotency-Key` and body, the first result).

use std::collections::{HashMap, HashSet};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access::Policy;
use crate::audit;
use crate::db::types::{now, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::findings::model::{NewFinding, Source, Treatment};
use crate::findings::service::{self as findings, Record};
use crate::inspections::checklists;
use crate::inspections::inspection;
use crate::inspections::lifecycle::{self, BatchAction, Recording};
use crate::inspections::model::*;
use crate::inspections::service::Seen;
use crate::inspections::store::{self, ResultRow};
use crate::message::msg;
use crate::org::store as org;

/// Days a failed item has for rectification unless the inspector sets a deadline.
pub const DEFAULT_DAYS: i64 = 30;

/// What a recording did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Draft,
    Submitted,
    /// The same submission again (same `Idempotency-Key`, same body): nothing changed.
    Replay,
}

fn request_hash(req: &ResultsRequest) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(req).unwrap_or_default()))
}

pub fn record(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: InspectionId,
    req: ResultsRequest,
    key: Option<String>,
) -> AppResult<Recorded> {
    let (row, seen, parts) = inspection::visible_inspection(conn, policy, id, true)?;
    if !parts.records {
        return Err(AppError::Forbidden(
            "Only the inspecting enterprise and the alliance's experts record results.".into(),
        ));
    }
    let hash = request_hash(&req);
    if row.state == InspectionState::Submitted {
        return match (&key, &row.submit_key) {
            (Some(k), Some(stored)) if k == stored && row.submitted_by == Some(policy.actor.id) => {
                if row.submit_hash.as_deref() == Some(hash.as_str()) {
                    Ok(Recorded::Replay)
                } else {
                    Err(AppError::conflict(
                        "idempotency-key-reused",
                        "This Idempotency-Key was used for a different submission.",
                    ))
                }
            }
            _ => Err(AppError::conflict(
                "inspection-submitted",
                "This inspection's results were submitted already; correct them through the \
                 findings.",
            )),
        };
    }
    let what = if req.draft {
        Recording::SaveDraft
    } else {
        Recording::Submit
    };
    if lifecycle::record(seen.batch.state, row.state, what).is_none() {
        return Err(AppError::conflict(
            "inspection-not-open",
            format!(
                "Results are recorded while the batch runs; this batch is `{}`.",
                seen.batch.state
            ),
        ));
    }
    let items = store::items(conn, seen.batch.checklist_id)?;
    // What a saved draft holds goes on: its photos and deadlines stay with a failed item unless
    // new ones are sent (whoever saved them).
    let draft: HashMap<ItemId, ResultRow> = store::results(conn, id)?
        .into_iter()
        .map(|r| (r.item_id, r))
        .collect();
    let rows = check(conn, policy, &req, &items, &draft)?;
    let inspectors = req.inspectors.as_deref().unwrap_or(&row.inspectors).trim();
    match what {
        Recording::SaveDraft => {
            if !store::save_draft_state(conn, id, inspectors)? {
                return Err(AppError::conflict(
                    "inspection-submitted",
                    "This inspection's results were submitted meanwhile.",
                ));
            }
            store::replace_results(conn, id, &rows)?;
            audit::record(
                conn,
                Some(policy.actor.id),
                "inspection_save_draft",
                "inspection",
                Some(id.0),
                json!({"items": rows.len()}),
            )?;
            Ok(Recorded::Draft)
        }
        Recording::Submit => submit(
            conn,
            policy,
            Submission {
                row: &row,
                seen: &seen,
                items: &items,
                inspectors,
                key,
                hash: &hash,
            },
            rows,
        ),
    }
}

/// Checks the results against the batch's checklist version; returns them as rows in checklist
/// order, a failed item keeping the draft's photos and deadline unless new ones are sent.
fn check(
    conn: &mut AnyConnection,
    policy: &Policy,
    req: &ResultsRequest,
    items: &[Item],
    draft: &HashMap<ItemId, ResultRow>,
) -> AppResult<Vec<ResultRow>> {
    let mut v = Validator::new();
    if let Some(names) = &req.inspectors {
        v.max_len("inspectors", names, max::INSPECTORS);
    }
    v.check(
        req.items.len() <= max::ITEMS,
        "items",
        msg::TOO_MANY.with("max", max::ITEMS),
    );
    let position: HashMap<ItemId, usize> =
        items.iter().enumerate().map(|(i, it)| (it.id, i)).collect();
    let mut seen = HashSet::new();
    let sent: Vec<AttachmentId> = req
        .items
        .iter()
        .flat_map(|r| r.attachment_ids.iter().copied())
        .collect();
    let uploaders = crate::findings::store::attachment_uploaders(conn, &sent)?;
    let today = today();
    for (i, r) in req.items.iter().enumerate() {
        let field = |name: &str| format!("items[{i}].{name}");
        if !position.contains_key(&r.item_id) {
            v.add(
                &field("item_id"),
                msg::ITEM_NOT_IN_CHECKLIST.with("id", r.item_id),
            );
        } else if !seen.insert(r.item_id) {
            v.add(&field("item_id"), msg::LISTED_TWICE);
        }
        v.long_text(&field("note"), &r.note, max::RESULT_NOTE);
        let failed = r.result == Outcome::Fail;
        v.check(
            failed || r.attachment_ids.is_empty(),
            &field("attachment_ids"),
            msg::FAILED_ONLY,
        );
        v.check(
            failed || r.grade.is_none(),
            &field("grade"),
            msg::FAILED_ONLY,
        );
        v.check(
            failed || r.deadline.is_none(),
            &field("deadline"),
            msg::FAILED_ONLY,
        );
        if let Some(d) = r.deadline {
            v.check(d >= today, &field("deadline"), msg::TODAY_OR_LATER);
        }
        // Photos: each once, at most 20 an item, uploaded by the caller or already on the draft.
        let unique: HashSet<_> = r.attachment_ids.iter().collect();
        v.check(
            unique.len() == r.attachment_ids.len(),
            &field("attachment_ids"),
            msg::ATTACHMENT_TWICE,
        );
        v.check(
            r.attachment_ids.len() <= 20,
            &field("attachment_ids"),
            msg::ATTACHMENTS_MAX.with("max", 20),
        );
        let drafted = draft_photos(draft.get(&r.item_id));
        for a in &r.attachment_ids {
            if uploaders.get(a) != Some(&policy.actor.id) && !drafted.contains(a) {
                v.add(
                    &field("attachment_ids"),
                    msg::ATTACHMENT_NOT_YOURS.with("id", a),
                );
            }
        }
    }
    if !req.draft {
        let missing = items.len() - seen.len().min(items.len());
        v.check(
            missing == 0,
            "items",
            msg::ITEMS_MISSING.with("count", missing),
        );
    }
    v.finish()?;
    let mut rows: Vec<(usize, ResultRow)> = req
        .items
        .iter()
        .map(|r| {
            let earlier = draft.get(&r.item_id).filter(|_| r.result == Outcome::Fail);
            let photos = match (r.attachment_ids.is_empty(), earlier) {
                (true, Some(d)) => draft_photos(Some(d)),
                _ => r.attachment_ids.clone(),
            };
            (
                position[&r.item_id],
                ResultRow {
                    item_id: r.item_id,
                    result: r.result,
                    note: r.note.trim().to_string(),
                    grade: r.grade,
                    attachment_ids: serde_json::to_string(&photos).unwrap_or_else(|_| "[]".into()),
                    deadline: r.deadline.or(earlier.and_then(|d| d.deadline)),
                    finding_id: None,
                },
            )
        })
        .collect();
    rows.sort_by_key(|(p, _)| *p);
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

fn draft_photos(row: Option<&ResultRow>) -> Vec<AttachmentId> {
    row.map(|r| serde_json::from_str(&r.attachment_ids).unwrap_or_default())
        .unwrap_or_default()
}

/// A checked submission.
struct Submission<'a> {
    row: &'a InspectionRow,
    seen: &'a Seen,
    items: &'a [Item],
    inspectors: &'a str,
    key: Option<String>,
    hash: &'a str,
}

fn submit(
    conn: &mut AnyConnection,
    policy: &Policy,
    s: Submission<'_>,
    mut rows: Vec<ResultRow>,
) -> AppResult<Recorded> {
    let Submission {
        row,
        seen,
        items,
        inspectors,
        key,
        hash,
    } = s;
    let at = now();
    if !store::claim_submission(
        conn,
        row.id,
        policy.actor.id,
        inspectors,
        key.as_deref(),
        hash,
        at,
    )? {
        return Err(AppError::conflict(
            "inspection-submitted",
            "This inspection's results were submitted meanwhile.",
        ));
    }
    let target = org::enterprise(conn, row.target_enterprise_id)?.ok_or(AppError::NotFound)?;
    let by_id: HashMap<ItemId, &Item> = items.iter().map(|i| (i.id, i)).collect();
    let default_deadline = today() + chrono::Duration::days(DEFAULT_DAYS);
    let mut found = Vec::new();
    for r in rows.iter_mut().filter(|r| r.result == Outcome::Fail) {
        let item = by_id[&r.item_id];
        let photos: Vec<AttachmentId> = serde_json::from_str(&r.attachment_ids).unwrap_or_default();
        let description = match (r.note.is_empty(), item.clause.is_empty()) {
            (true, true) => item.text.clone(),
            (true, false) => format!("{}\n依据：{}", item.text, item.clause),
            (false, true) => r.note.clone(),
            (false, false) => format!("{}\n依据：{}", r.note, item.clause),
        };
        let new = NewFinding {
            enterprise_id: Some(target.id),
            alliance_id: Some(seen.alliance.id),
            source: Some(Source::MutualInspection),
            title: item.text.chars().take(200).collect(),
            description,
            cause: String::new(),
            category: item.category,
            grade: r.grade.unwrap_or(item.grade),
            treatment: Treatment::Deadline,
            deadline: Some(r.deadline.unwrap_or(default_deadline)),
            location: String::new(),
            measures: String::new(),
            cost: None,
            responsible_person: String::new(),
            attachment_ids: photos,
        };
        let finding = findings::record(
            conn,
            Record {
                new: &new,
                enterprise: &target,
                alliance: Some(seen.alliance.id),
                source: Source::MutualInspection,
                inspection: Some((row.id.0, row.inspector_enterprise_id)),
                cost_cents: None,
                reported_by: policy.actor.id,
            },
        )?;
        r.grade = Some(new.grade);
        r.finding_id = Some(finding);
        found.push(finding);
    }
    store::replace_results(conn, row.id, &rows)?;
    let mut batch = seen.batch.clone();
    if batch.state == BatchState::Scheduled {
        batch.state = lifecycle::next(batch.state, BatchAction::Start).unwrap_or(batch.state);
        store::save_batch(conn, &batch)?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "inspection_submit",
        "inspection",
        Some(row.id.0),
        json!({"items": rows.len(), "failed": found.len(), "finding_ids": found,
               "inspectors": inspectors}),
    )?;
    Ok(Recorded::Submitted)
}

pub fn detail(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: InspectionId,
) -> AppResult<InspectionDetail> {
    let (row, seen, parts) = inspection::visible_inspection(conn, policy, id, false)?;
    let checklist = checklists::get(conn, policy, seen.batch.checklist_id)?;
    let order: HashMap<ItemId, usize> = checklist
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id, i))
        .collect();
    let mut results: Vec<ResultView> = store::results(conn, id)?
        .into_iter()
        .map(ResultRow::view)
        .collect();
    results.sort_by_key(|r| order.get(&r.item_id).copied().unwrap_or(usize::MAX));
    let recordable = parts.records
        && lifecycle::record(seen.batch.state, row.state, Recording::Submit).is_some();
    let manageable = parts.manages
        && row.state != InspectionState::Submitted
        && lifecycle::next(seen.batch.state, BatchAction::Reschedule).is_some();
    let inspection = inspection::inspection_views(conn, vec![row], &seen.batch)?.remove(0);
    Ok(InspectionDetail {
        inspection,
        batch_name: seen.batch.name.clone(),
        batch_state: seen.batch.state,
        alliance_id: seen.alliance.id,
        starts_on: seen.batch.starts_on,
        ends_on: seen.batch.ends_on,
        checklist,
        results,
        recordable,
        manageable,
    })
}
