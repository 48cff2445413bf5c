//! Finding use cases: report (idempotent), list, read, move through the closed loop, share.
//! Each change commits with its timeline event and audit entry in one transaction.

use std::collections::HashSet;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access::Policy;
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::db::types::{local, today};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::findings::lifecycle::{self, Refusal};
use crate::findings::model::*;
use crate::findings::store::{self, Insert, NewEvent};
use crate::org::model::AllianceLevel;
use crate::org::store as org;

/// An `Idempotency-Key` header, checked.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(k) if !k.is_empty() && k.len() <= 100 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(AppError::field(
            "Idempotency-Key",
            "must be 1–100 visible ASCII characters (a UUID is a good choice)",
        )),
    }
}

fn check_attachments(
    conn: &mut AnyConnection,
    v: &mut Validator,
    policy: &Policy,
    ids: &[AttachmentId],
) -> AppResult<()> {
    let unique: HashSet<_> = ids.iter().collect();
    v.check(
        unique.len() == ids.len(),
        "attachment_ids",
        "lists an attachment twice",
    );
    v.check(ids.len() <= 20, "attachment_ids", "at most 20 attachments");
    let uploaders = store::attachment_uploaders(conn, ids)?;
    for id in ids {
        if uploaders.get(id) != Some(&policy.actor.id) {
            v.add(
                "attachment_ids",
                format!("attachment {id} is not one you uploaded"),
            );
        }
    }
    Ok(())
}

fn cost_cents(v: &mut Validator, cost: Option<f64>) -> Option<i64> {
    let cost = cost?;
    let cents = (cost * 100.0).round();
    let ok =
        cost.is_finite() && (0.0..=1e9).contains(&cost) && ((cost * 100.0) - cents).abs() < 1e-6;
    v.check(
        ok,
        "cost",
        "must be an amount in yuan between 0 and 1,000,000,000 with at most 2 decimals",
    );
    ok.then_some(cents as i64)
}

/// The alliance whose lead reviews a finding at `enterprise`: the one asked for (it must be one of
/// the enterprise's), else its street or zone alliance, else its district alliance.
fn review_alliance(
    conn: &mut AnyConnection,
    v: &mut Validator,
    enterprise: EnterpriseId,
    asked: Option<AllianceId>,
    preferred: &[AllianceId],
) -> AppResult<Option<AllianceId>> {
    let memberships = org::memberships_of(conn, enterprise)?;
    // An expert reports within an alliance it is assigned to, so that it keeps seeing the finding.
    if asked.is_none() {
        if let Some((a, _)) = memberships.iter().find(|(a, _)| preferred.contains(a)) {
            return Ok(Some(*a));
        }
    }
    if let Some(asked) = asked {
        v.check(
            memberships.iter().any(|(a, _)| *a == asked),
            "alliance_id",
            "the enterprise is not a member of this alliance",
        );
        return Ok(Some(asked));
    }
    let mut best: Option<(u8, AllianceId)> = None;
    for (alliance, _role) in memberships {
        if let Some(row) = org::alliance(conn, alliance)? {
            let rank = match row.level {
                AllianceLevel::Street | AllianceLevel::Zone => 0,
                AllianceLevel::District => 1,
            };
            if best.is_none_or(|(r, id)| (rank, alliance) < (r, id)) {
                best = Some((rank, alliance));
            }
        }
    }
    Ok(best.map(|(_, a)| a))
}

fn request_hash(new: &NewFinding) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(new).unwrap_or_default()))
}

/// Reports a hazard. With an idempotency key, a repeated request returns the first result.
/// Returns the finding and whether it was created now (false for a replay).
pub fn report(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: NewFinding,
    key: Option<String>,
) -> AppResult<(FindingDetail, bool)> {
    let hash = request_hash(&new);
    if let Some(key) = &key {
        if let Some((existing, stored_hash)) = store::idempotent(conn, policy.actor.id, key)? {
            if stored_hash != hash {
                return Err(AppError::conflict(
                    "idempotency-key-reused",
                    "This Idempotency-Key was used for a different report.",
                ));
            }
            return Ok((detail(conn, policy, existing)?, false));
        }
    }
    let enterprise_id = match (new.enterprise_id, policy.actor.enterprise_id) {
        (Some(e), _) => e,
        (None, Some(own)) => own,
        (None, None) => return Err(AppError::field("enterprise_id", "is required")),
    };
    let mut v = Validator::new();
    v.text("title", &new.title, 200);
    v.long_text("description", &new.description, 4000);
    v.long_text("cause", &new.cause, 2000);
    v.max_len("location", &new.location, 200);
    v.long_text("measures", &new.measures, 2000);
    v.max_len("responsible_person", &new.responsible_person, 100);
    let cents = cost_cents(&mut v, new.cost);
    match (new.treatment, new.deadline) {
        (Treatment::Deadline, None) => {
            v.add(
                "deadline",
                "is required for 限期整改 (treatment `deadline`)",
            );
        }
        (Treatment::Deadline, Some(d)) => {
            v.check(d >= today(), "deadline", "must be today or later");
        }
        (Treatment::OnTheSpot, Some(_)) => {
            v.add(
                "deadline",
                "applies only to 限期整改; 即查即改 is fixed on the spot",
            );
        }
        (Treatment::OnTheSpot, None) => {}
    }
    check_attachments(conn, &mut v, policy, &new.attachment_ids)?;
    let enterprise = org::enterprise(conn, enterprise_id)?;
    let source = match &enterprise {
        Some(_) => policy.may_report_at(conn, enterprise_id)?,
        None => None,
    };
    let Some(source) = source else {
        v.finish()?;
        return Err(AppError::field(
            "enterprise_id",
            "no such enterprise in your scope",
        ));
    };
    if let Some(asked) = new.source {
        v.check(
            asked == source,
            "source",
            format!("is `{source}` for reports you make; mutual-inspection findings come from inspections"),
        );
    }
    let preferred = match &policy.scope {
        crate::access::Scope::Expert { alliances } => alliances.clone(),
        _ => Vec::new(),
    };
    let alliance_id = review_alliance(conn, &mut v, enterprise_id, new.alliance_id, &preferred)?;
    v.finish()?;
    let Some(enterprise) = enterprise else {
        return Err(AppError::field(
            "enterprise_id",
            "no such enterprise in your scope",
        ));
    };

    let id = store::insert(
        conn,
        Insert {
            new: &new,
            enterprise_id,
            region_id: enterprise.region_id,
            industry_id: enterprise.industry_id,
            alliance_id,
            source,
            cost_cents: cents,
            reported_by: policy.actor.id,
        },
    )?;
    store::add_event(
        conn,
        NewEvent {
            finding: id,
            action: Action::Report,
            actor: policy.actor.id,
            note: "",
            from: FindingState::Reported,
            to: FindingState::Reported,
            deadline: new.deadline,
            attachment_ids: &new.attachment_ids,
        },
    )?;
    if let Some(key) = &key {
        store::remember_key(conn, policy.actor.id, key, id, &hash)?;
    }
    audit::record(
        conn,
        Some(policy.actor.id),
        "report",
        "finding",
        Some(id.0),
        json!({
            "enterprise_id": enterprise_id, "alliance_id": alliance_id, "source": source,
            "title": new.title.trim(), "grade": new.grade, "category": new.category,
            "treatment": new.treatment, "deadline": new.deadline, "attachment_ids": new.attachment_ids,
        }),
    )?;
    if new.grade == Grade::Major {
        tracing::warn!(
            finding = id.0,
            enterprise = enterprise_id.0,
            "major hazard reported"
        );
    }
    Ok((detail(conn, policy, id)?, true))
}

/// A visible finding and the caller's parts in it, or 404.
fn visible(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: FindingId,
) -> AppResult<(FindingRow, lifecycle::Parts)> {
    let row = store::find(conn, id)?.ok_or(AppError::NotFound)?;
    match policy.finding_parts(conn, &row)? {
        Some(parts) => Ok((row, parts)),
        None => Err(AppError::NotFound),
    }
}

/// May the caller see this finding? (For attachments.)
pub fn may_see(conn: &mut AnyConnection, policy: &Policy, id: FindingId) -> AppResult<bool> {
    match visible(conn, policy, id) {
        Ok(_) => Ok(true),
        Err(AppError::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn detail(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: FindingId,
) -> AppResult<FindingDetail> {
    let (row, parts) = visible(conn, policy, id)?;
    let actions = lifecycle::available(row.state, parts)
        .into_iter()
        .filter(|a| match a {
            Action::GrantExtension | Action::RefuseExtension => {
                row.extension_requested_until.is_some()
            }
            Action::RequestExtension => {
                row.extension_requested_until.is_none() && row.treatment == Treatment::Deadline
            }
            Action::Share => !row.shared,
            _ => true,
        })
        .collect();
    Ok(FindingDetail {
        timeline: store::timeline(conn, id)?,
        finding: Finding::from_row(row, today()),
        actions,
    })
}

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &FindingQuery,
    reviewable: bool,
) -> AppResult<Paginated<Finding>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let mut v = Validator::new();
    if let Some(sort) = &q.sort {
        let known = [
            "-created_at",
            "created_at",
            "deadline",
            "-deadline",
            "review",
        ];
        v.check(
            known.contains(&sort.as_str()),
            "sort",
            format!("must be one of {}", known.join(", ")),
        );
    }
    if let (Some(from), Some(to)) = (q.from, q.to) {
        v.check(from <= to, "from", "must not be after `to`");
    }
    v.finish()?;
    let region_ids = match q.region_id {
        Some(root) => Some(org::region_subtree(conn, root)?),
        None => None,
    };
    let filter = policy.finding_filter(reviewable);
    let mut query = q.clone();
    if reviewable {
        query.state = Some(FindingState::AwaitingReview);
    }
    let query = &query;
    let today = today();
    let (rows, total) = store::list(conn, &filter, query, page, region_ids, today)?;
    Ok(page.wrap(
        rows.into_iter()
            .map(|r| Finding::from_row(r, today))
            .collect(),
        total,
    ))
}

/// Moves a finding through its closed loop.
pub fn transition(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: FindingId,
    req: TransitionRequest,
) -> AppResult<FindingDetail> {
    let (row, parts) = visible(conn, policy, id)?;
    let to = match lifecycle::transition(row.state, req.action, parts) {
        Ok(to) => to,
        Err(Refusal::NotAllowed) => {
            return Err(AppError::Forbidden(format!(
                "You may not `{}` this finding{}.",
                req.action,
                if row.grade == Grade::Major
                    && matches!(req.action, Action::Accept | Action::Reject)
                {
                    " (a major hazard is reviewed by a regulator)"
                } else {
                    ""
                }
            )))
        }
        Err(Refusal::WrongState) => {
            return Err(AppError::conflict(
                "wrong-state",
                format!(
                    "`{}` does not apply to a finding that is `{}`.",
                    req.action, row.state
                ),
            ))
        }
    };
    let mut v = Validator::new();
    v.long_text("note", &req.note, 2000);
    check_attachments(conn, &mut v, policy, &req.attachment_ids)?;
    let mut deadline = row.deadline;
    let mut requested = row.extension_requested_until;
    let mut shared = row.shared;
    let mut event_deadline = None;
    match req.action {
        Action::Reject | Action::Void => {
            v.check(!req.note.trim().is_empty(), "note", "a reason is required");
        }
        Action::SubmitRectification => {
            v.check(
                !req.attachment_ids.is_empty(),
                "attachment_ids",
                "attach at least one photo or document of the rectification",
            );
        }
        Action::RequestExtension => {
            if row.treatment != Treatment::Deadline {
                return Err(AppError::conflict(
                    "no-deadline",
                    "A finding fixed on the spot has no deadline to extend.",
                ));
            }
            if row.extension_requested_until.is_some() {
                return Err(AppError::conflict(
                    "extension-pending",
                    "An extension request is already waiting for a decision.",
                ));
            }
            match req.deadline {
                None => {
                    v.add("deadline", "the new deadline asked for is required");
                }
                Some(d) => {
                    v.check(d >= today(), "deadline", "must be today or later");
                    v.check(
                        row.deadline.is_none_or(|cur| d > cur),
                        "deadline",
                        "must be later than the current deadline",
                    );
                    requested = Some(d);
                    event_deadline = Some(d);
                }
            }
            v.check(
                !req.note.trim().is_empty(),
                "note",
                "say why more time is needed",
            );
        }
        Action::GrantExtension | Action::RefuseExtension => {
            let Some(asked) = row.extension_requested_until else {
                return Err(AppError::conflict(
                    "no-extension-request",
                    "No extension has been requested.",
                ));
            };
            if req.action == Action::GrantExtension {
                deadline = Some(asked);
            }
            event_deadline = Some(asked);
            requested = None;
        }
        Action::Share => {
            if row.shared {
                return Err(AppError::conflict(
                    "already-shared",
                    "The finding is already shared.",
                ));
            }
            if row.alliance_id.is_none() {
                return Err(AppError::conflict(
                    "no-alliance",
                    "The enterprise belongs to no alliance to share with.",
                ));
            }
            shared = true;
        }
        _ => {}
    }
    if matches!(to, FindingState::Closed | FindingState::Voided) {
        requested = None;
    }
    v.finish()?;
    if !store::update_state(conn, id, row.state, to, deadline, requested, shared)? {
        return Err(AppError::conflict(
            "wrong-state",
            "The finding changed meanwhile; reload it.",
        ));
    }
    store::add_event(
        conn,
        NewEvent {
            finding: id,
            action: req.action,
            actor: policy.actor.id,
            note: &req.note,
            from: row.state,
            to,
            deadline: event_deadline,
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
            "from": row.state, "to": to, "note": req.note.trim(), "deadline": event_deadline,
            "attachment_ids": req.attachment_ids,
        }),
    )?;
    detail(conn, policy, id)
}

/// Replaces identifying text with a placeholder: longest first (so a person's name inside a
/// company name does not leave the rest of it behind), ignoring ASCII case.
fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.chars().count() < 2 {
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let lower = out.to_ascii_lowercase();
        let needle = s.to_ascii_lowercase();
        let mut rest = 0;
        while let Some(pos) = lower[rest..].find(&needle) {
            result.push_str(&out[rest..rest + pos]);
            result.push_str("某企业");
            rest += pos + needle.len();
        }
        result.push_str(&out[rest..]);
        out = result;
    }
    out
}

/// Everything that could name the enterprise or its people in a finding's text.
fn identifying(conn: &mut AnyConnection, row: &FindingRow) -> AppResult<Vec<String>> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let mut secrets = vec![row.responsible_person.clone()];
    if let Some(e) = org::enterprise(conn, row.enterprise_id)? {
        secrets.extend([
            e.name,
            e.credit_code,
            e.address,
            e.contact_name,
            e.contact_phone,
        ]);
    }
    let staff: Vec<String> = users::table
        .filter(users::enterprise_id.eq(row.enterprise_id))
        .select(users::name)
        .load(conn)?;
    secrets.extend(staff);
    secrets.extend(
        store::timeline(conn, row.id)?
            .into_iter()
            .map(|e| e.actor_name),
    );
    secrets.retain(|s| !s.trim().is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    secrets.dedup();
    Ok(secrets)
}

/// The alliance's shared findings as anonymized lessons (举一反三), for its members.
pub fn shared_lessons(
    conn: &mut AnyConnection,
    policy: &Policy,
    alliance: AllianceId,
    page: PageRequest,
) -> AppResult<Paginated<SharedLesson>> {
    policy.visible_alliance(conn, alliance)?;
    let (rows, total) = store::shared_in(conn, alliance, page)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let secrets = identifying(conn, &row)?;
        items.push(SharedLesson {
            id: row.id,
            title: scrub(&row.title, &secrets),
            description: scrub(&row.description, &secrets),
            cause: scrub(&row.cause, &secrets),
            category: row.category,
            grade: row.grade,
            measures: scrub(&row.measures, &secrets),
            state: row.state,
            created_at: local(row.reported_at),
        });
    }
    Ok(page.wrap(items, total))
}
