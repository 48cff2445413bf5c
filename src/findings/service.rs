//! Finding use cases: report (idempotent), list, read; moving through the closed loop is in
//! [`crate::findings::transition`], re-exported here. Each change
//! commits with its timeline event and audit entry in one transaction; the detail shown
//! afterwards is read after the commit, outside the writer's turn.

use std::collections::HashSet;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::access::{self, Policy};
use crate::api::{PageRequest, Paginated};
use crate::audit;
use crate::auth::Actor;
use crate::db::types::today;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult, Validator};
use crate::findings::attachments::{self, Stored};
use crate::findings::lifecycle::{self, Facts, Parts};
use crate::findings::model::*;
use crate::findings::policy;
use crate::findings::store::{self, Insert, NewEvent};
pub use crate::findings::transition::transition;
use crate::message::msg;
use crate::org::model::{AllianceLevel, EnterpriseRow};
use crate::org::{service as org_service, store as org};

/// An `Idempotency-Key` header, checked.
pub fn idempotency_key(raw: Option<&str>) -> AppResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(k) if !k.is_empty() && k.len() <= 100 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(k.to_string()))
        }
        Some(_) => Err(AppError::field("Idempotency-Key", msg::IDEMPOTENCY_KEY)),
    }
}

/// Attachments named by a request: each once, at most 20, all uploaded by the caller.
pub(crate) fn check_attachments(
    conn: &mut AnyConnection,
    v: &mut Validator,
    policy: &Policy,
    ids: &[AttachmentId],
) -> AppResult<()> {
    let unique: HashSet<_> = ids.iter().collect();
    v.check(
        unique.len() == ids.len(),
        "attachment_ids",
        msg::ATTACHMENT_TWICE,
    );
    v.check(
        ids.len() <= 20,
        "attachment_ids",
        msg::ATTACHMENTS_MAX.with("max", 20),
    );
    let uploaders = store::attachment_uploaders(conn, ids)?;
    for id in ids {
        if uploaders.get(id) != Some(&policy.actor.id) {
            v.add("attachment_ids", msg::ATTACHMENT_NOT_YOURS.with("id", id));
        }
    }
    Ok(())
}

fn cost_cents(v: &mut Validator, cost: Option<f64>) -> Option<i64> {
    let cost = cost?;
    let cents = (cost * 100.0).round();
    let ok =
        cost.is_finite() && (0.0..=1e9).contains(&cost) && ((cost * 100.0) - cents).abs() < 1e-6;
    v.check(ok, "cost", msg::COST);
    ok.then_some(cents as i64)
}

/// The alliance whose lead reviews a finding at `enterprise`: the one asked for (it must be one of
/// the enterprise's), else for an expert one it is assigned to, else the enterprise's street or
/// zone alliance, else its district alliance.
fn review_alliance(
    conn: &mut AnyConnection,
    policy: &Policy,
    v: &mut Validator,
    enterprise: EnterpriseId,
    asked: Option<AllianceId>,
) -> AppResult<Option<AllianceId>> {
    let theirs = org::memberships_of(conn, enterprise)?;
    if let Some(asked) = asked {
        v.check(
            theirs.iter().any(|(a, _)| *a == asked),
            "alliance_id",
            msg::NOT_ALLIANCE_MEMBER,
        );
        return Ok(Some(asked));
    }
    // An expert reports within an alliance it is assigned to, so that it keeps seeing the finding.
    let assigned = policy.assigned_alliances();
    if let Some((a, _)) = theirs.iter().find(|(a, _)| assigned.contains(a)) {
        return Ok(Some(*a));
    }
    let ids: Vec<AllianceId> = theirs.iter().map(|(a, _)| *a).collect();
    let levels = org::alliance_levels(conn, &ids)?;
    Ok(levels
        .into_iter()
        .map(|(id, level)| {
            let rank = match level {
                AllianceLevel::Street | AllianceLevel::Zone => 0,
                AllianceLevel::District => 1,
            };
            (rank, id)
        })
        .min()
        .map(|(_, id)| id))
}

fn request_hash(new: &NewFinding) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(new).unwrap_or_default()))
}

/// Reports a hazard. With an idempotency key, a repeated request returns the first finding.
/// Returns the finding's id and whether it was created now (false for a replay). Two retries of
/// one request can race past the key lookup; the loser's transaction fails on the key's
/// uniqueness and, run again, finds the winner's finding.
///
/// `photos` (from a page form) become the caller's attachments in the same transaction, so a
/// refused report leaves none behind.
pub async fn report(
    db: &Db,
    actor: &Actor,
    new: NewFinding,
    key: Option<String>,
    photos: Vec<Stored>,
) -> AppResult<(FindingId, bool)> {
    let mut retried = false;
    loop {
        let (new, key_now, photos) = (new.clone(), key.clone(), photos.clone());
        match access::write(db, actor.clone(), move |c, p| {
            report_tx(c, p, new, key_now, &photos)
        })
        .await
        {
            Err(AppError::Duplicate(_)) if key.is_some() && !retried => retried = true,
            other => return other,
        }
    }
}

/// The earlier finding reported with this key, if any (409 if the key came with another body).
fn replay(
    conn: &mut AnyConnection,
    policy: &Policy,
    hash: &str,
    key: &str,
) -> AppResult<Option<FindingId>> {
    match store::idempotent(conn, policy.actor.id, key)? {
        Some((existing, stored)) if stored == hash => Ok(Some(existing)),
        Some(_) => Err(AppError::conflict(
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different report.",
        )),
        None => Ok(None),
    }
}

fn report_tx(
    conn: &mut AnyConnection,
    policy: &Policy,
    mut new: NewFinding,
    key: Option<String>,
    photos: &[Stored],
) -> AppResult<(FindingId, bool)> {
    let hash = request_hash(&new);
    if let Some(existing) = key.as_deref().map(|k| replay(conn, policy, &hash, k)) {
        if let Some(id) = existing? {
            return Ok((id, false));
        }
    }
    let (enterprise, source) = resolve_target(conn, policy, &new)?;
    let photos = attachments::record(conn, policy.actor.id, photos)?;
    new.attachment_ids.extend(photos.iter().map(|a| a.id));
    let mut v = Validator::new();
    let cents = validate_new(conn, policy, &mut v, &new)?;
    if let Some(asked) = new.source {
        v.check(
            asked == source,
            "source",
            msg::SOURCE_FIXED.with("source", source),
        );
    }
    let alliance = review_alliance(conn, policy, &mut v, enterprise.id, new.alliance_id)?;
    v.finish()?;
    let id = record(
        conn,
        Record {
            new: &new,
            enterprise: &enterprise,
            alliance,
            source,
            inspection: None,
            cost_cents: cents,
            reported_by: policy.actor.id,
        },
    )?;
    if let Some(key) = &key {
        store::remember_key(conn, policy.actor.id, key, id, &hash)?;
    }
    Ok((id, true))
}

/// The enterprise the report is about and the source it gets from who reports it. Outside the
/// caller's scope reads the same as missing.
fn resolve_target(
    conn: &mut AnyConnection,
    policy: &Policy,
    new: &NewFinding,
) -> AppResult<(EnterpriseRow, Source)> {
    let missing = || AppError::field("enterprise_id", msg::ENTERPRISE_OUT_OF_SCOPE);
    let id = new
        .enterprise_id
        .or(policy.own_enterprise())
        .ok_or_else(|| AppError::field("enterprise_id", msg::REQUIRED))?;
    let enterprise = org::enterprise(conn, id)?.ok_or_else(missing)?;
    let place = org_service::enterprise_place(conn, &enterprise)?;
    let source = policy::report_source(policy, &place).ok_or_else(missing)?;
    Ok((enterprise, source))
}

/// Checks the fields of a report; returns the cost in cents.
fn validate_new(
    conn: &mut AnyConnection,
    policy: &Policy,
    v: &mut Validator,
    new: &NewFinding,
) -> AppResult<Option<i64>> {
    v.text("title", &new.title, max::TITLE);
    v.long_text("description", &new.description, max::DESCRIPTION);
    v.long_text("cause", &new.cause, max::CAUSE);
    v.max_len("location", &new.location, max::LOCATION);
    v.long_text("measures", &new.measures, max::MEASURES);
    v.max_len(
        "responsible_person",
        &new.responsible_person,
        max::RESPONSIBLE_PERSON,
    );
    let cents = cost_cents(v, new.cost);
    match (new.treatment, new.deadline) {
        (Treatment::Deadline, None) => {
            v.add("deadline", msg::DEADLINE_REQUIRED);
        }
        (Treatment::Deadline, Some(d)) => {
            v.check(d >= today(), "deadline", msg::TODAY_OR_LATER);
        }
        (Treatment::OnTheSpot, Some(_)) => {
            v.add("deadline", msg::DEADLINE_ON_THE_SPOT);
        }
        (Treatment::OnTheSpot, None) => {}
    }
    check_attachments(conn, v, policy, &new.attachment_ids)?;
    Ok(cents)
}

/// A checked finding to record.
pub struct Record<'a> {
    pub new: &'a NewFinding,
    pub enterprise: &'a EnterpriseRow,
    pub alliance: Option<AllianceId>,
    pub source: Source,
    /// The mutual inspection it was found in: its id and the inspecting enterprise.
    pub inspection: Option<(i64, EnterpriseId)>,
    pub cost_cents: Option<i64>,
    pub reported_by: UserId,
}

/// Records a checked finding with its first timeline entry and audit entry, in the caller's
/// transaction. Inspections record their failed items through this.
pub fn record(conn: &mut AnyConnection, r: Record<'_>) -> AppResult<FindingId> {
    let new = r.new;
    let id = store::insert(
        conn,
        Insert {
            new,
            enterprise_id: r.enterprise.id,
            region_id: r.enterprise.region_id,
            industry_id: r.enterprise.industry_id,
            alliance_id: r.alliance,
            inspection: r.inspection,
            source: r.source,
            cost_cents: r.cost_cents,
            reported_by: r.reported_by,
        },
    )?;
    store::add_event(
        conn,
        NewEvent {
            finding: id,
            action: Action::Report,
            actor: r.reported_by,
            note: "",
            from: FindingState::Reported,
            to: FindingState::Reported,
            deadline: new.deadline,
            attachment_ids: &new.attachment_ids,
        },
    )?;
    audit::record(
        conn,
        Some(r.reported_by),
        "report",
        "finding",
        Some(id.0),
        json!({
            "enterprise_id": r.enterprise.id, "alliance_id": r.alliance, "source": r.source,
            "title": new.title.trim(), "grade": new.grade, "category": new.category,
            "treatment": new.treatment, "deadline": new.deadline, "attachment_ids": new.attachment_ids,
        }),
    )?;
    crate::findings::notices::reported(conn, id, r.reported_by)?;
    if new.grade == Grade::Major {
        tracing::warn!(
            finding = id.0,
            enterprise = r.enterprise.id.0,
            "major hazard reported"
        );
    }
    Ok(id)
}

/// A visible finding and the caller's parts in it, or 404.
pub(super) fn visible(row: Option<FindingRow>, policy: &Policy) -> AppResult<(FindingRow, Parts)> {
    let row = row.ok_or(AppError::NotFound)?;
    match policy::parts(policy, &row) {
        Some(parts) => Ok((row, parts)),
        None => Err(AppError::NotFound),
    }
}

/// May the caller see this finding? (For attachments.)
pub fn may_see(conn: &mut AnyConnection, policy: &Policy, id: FindingId) -> AppResult<bool> {
    Ok(store::find(conn, id)?.is_some_and(|row| policy::parts(policy, &row).is_some()))
}

/// What else decides which actions apply (see [`lifecycle::Facts`]).
pub(super) fn facts(row: &FindingRow) -> Facts {
    Facts {
        has_deadline: row.treatment == Treatment::Deadline,
        extension_pending: row.extension_requested_until.is_some(),
        shared: row.shared,
        has_alliance: row.alliance_id.is_some(),
    }
}

pub fn detail(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: FindingId,
) -> AppResult<FindingDetail> {
    let (row, parts) = visible(store::find(conn, id)?, policy)?;
    Ok(FindingDetail {
        actions: lifecycle::available(row.state, parts, facts(&row)),
        timeline: store::timeline(conn, id)?,
        reminders: crate::notify::ladder::of_finding(conn, id)?,
        finding: Finding::from_row(row, today()),
    })
}

const SORTS: [&str; 5] = [
    "-created_at",
    "created_at",
    "deadline",
    "-deadline",
    "review",
];

pub fn list(
    conn: &mut AnyConnection,
    policy: &Policy,
    q: &FindingQuery,
    reviewable: bool,
) -> AppResult<Paginated<Finding>> {
    let page = PageRequest::new(q.page, q.per_page)?;
    let mut v = Validator::new();
    if let Some(sort) = &q.sort {
        v.check(
            SORTS.contains(&sort.as_str()),
            "sort",
            msg::ONE_OF.with("choices", SORTS.join(", ")),
        );
    }
    if let Some(text) = &q.q {
        v.max_len("q", text, 100);
    }
    if let (Some(from), Some(to)) = (q.from, q.to) {
        v.check(from <= to, "from", msg::FROM_AFTER_TO);
    }
    let after = match &q.after {
        Some(cursor) => {
            let parsed = store::After::parse(cursor);
            v.check(parsed.is_some(), "after", msg::CURSOR_INVALID);
            let keyset = matches!(q.sort.as_deref(), None | Some("created_at" | "-created_at"));
            v.check(keyset, "after", msg::CURSOR_SORT);
            v.check(q.page.is_none_or(|p| p == 1), "page", msg::CURSOR_PAGE);
            parsed
        }
        None => None,
    };
    v.finish()?;
    let region_ids = match q.region_id {
        Some(root) => Some(org::region_subtree(conn, root)?),
        None => None,
    };
    let query = q.clone();
    let today = today();
    let scope = || policy::list_scope(policy, reviewable);
    let (rows, counted) = store::list(conn, &scope, &query, page, region_ids, today, after)?;
    let keyset = matches!(q.sort.as_deref(), None | Some("created_at" | "-created_at"));
    let next_after = match rows.last() {
        Some(last) if keyset && rows.len() as i64 == page.per_page => {
            Some(store::After::cursor(last))
        }
        _ => None,
    };
    let mut list = page.wrap(
        rows.into_iter()
            .map(|r| Finding::from_row(r, today))
            .collect(),
        counted.n,
    );
    list.total_capped = counted.capped;
    list.next_after = next_after;
    Ok(list)
}

/// The exact number of findings the caller sees that match `q` (its region filter aside): for
/// counts someone acts on, which a list's capped `total` would round down.
pub fn count(conn: &mut AnyConnection, policy: &Policy, q: &FindingQuery) -> AppResult<i64> {
    let scope = || policy::list_scope(policy, false);
    store::count(conn, &scope, q, today())
}
