//! Who sees which finding, who reviews it, and which parts a caller plays in one. Each rule is
//! written once, as a [`Visibility`] that both the list queries and the single-record checks
//! apply.
//!
//! - Regulators see every finding of enterprises in their area and review all of them; only
//!   they review (and so close) a major (重大) hazard.
//! - An enterprise sees its own findings; the lead enterprise of an alliance sees the
//!   alliance's findings and reviews the general ones of other members; an inspecting
//!   enterprise sees and reviews the general findings of its mutual inspections.
//! - Experts see the findings of the alliances they are assigned to, and review none.
//! - Nobody reviews the findings of their own enterprise.

use diesel::prelude::*;

use crate::access::{Area, Columns, Place, Policy, Predicate, Reach, Visibility};
use crate::db::schema::{alliances, findings};
use crate::db::{always, never, AnyConnection};
use crate::error::AppResult;
use crate::findings::lifecycle::Parts;
use crate::findings::model::*;

/// Where a finding is: its enterprise's region and industry, the enterprises taking part (the
/// one it is at, and the inspecting one), its alliance.
fn seen_place(row: &FindingRow) -> Place {
    Place {
        region: row.region_id,
        industries: vec![row.industry_id],
        enterprises: [Some(row.enterprise_id), row.inspector_enterprise_id]
            .into_iter()
            .flatten()
            .collect(),
        alliances: row.alliance_id.into_iter().collect(),
    }
}

/// How findings meet a visibility: by their enterprise's place, by the enterprise they are at
/// or that inspected them, and by their alliance.
struct Seen;

fn in_area(area: &Area) -> Predicate<findings::table> {
    let mut p = always();
    if let Some(regions) = &area.regions {
        p = Box::new(p.and(findings::region_id.eq_any(regions.clone())));
    }
    if let Some(industry) = area.industry {
        p = Box::new(p.and(findings::industry_id.eq(industry)));
    }
    p
}

impl Columns<findings::table> for Seen {
    fn in_area(&self, area: &Area) -> Predicate<findings::table> {
        in_area(area)
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<findings::table> {
        Box::new(
            findings::enterprise_id
                .eq_any(ids.clone())
                .or(findings::inspector_enterprise_id
                    .eq_any(ids)
                    .assume_not_null()),
        )
    }

    fn belongs_to(&self, ids: Vec<AllianceId>) -> Predicate<findings::table> {
        Box::new(findings::alliance_id.eq_any(ids).assume_not_null())
    }
}

/// Where a finding is for reviewing: the enterprise that inspected it (a mutual-inspection
/// finding only) and its alliance (whose lead reviews).
fn review_place(row: &FindingRow) -> Place {
    Place {
        region: row.region_id,
        industries: vec![row.industry_id],
        enterprises: row
            .inspector_enterprise_id
            .filter(|_| row.source == Source::MutualInspection)
            .into_iter()
            .collect(),
        alliances: row.alliance_id.into_iter().collect(),
    }
}

/// How findings meet a reviewers' visibility (see [`review_place`]).
struct Reviewed;

impl Columns<findings::table> for Reviewed {
    fn in_area(&self, area: &Area) -> Predicate<findings::table> {
        in_area(area)
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<findings::table> {
        Box::new(
            findings::inspector_enterprise_id
                .eq_any(ids)
                .assume_not_null()
                .and(findings::source.eq(Source::MutualInspection)),
        )
    }

    fn belongs_to(&self, ids: Vec<AllianceId>) -> Predicate<findings::table> {
        Box::new(findings::alliance_id.eq_any(ids).assume_not_null())
    }
}

/// Whose review queue a general finding waits in: the one reviewer expected to act — the
/// inspecting enterprise of a mutual inspection, else the alliance's lead, else (a finding of
/// no alliance, or of the lead enterprise itself, which reviews nothing of its own) the
/// regulators of its area. Others who may review it still see it in lists.
struct Queued;

impl Queued {
    /// Not a mutual-inspection finding with its inspecting enterprise (who reviews those).
    fn not_inspected() -> Predicate<findings::table> {
        Box::new(
            findings::source
                .ne(Source::MutualInspection)
                .or(findings::inspector_enterprise_id.is_null()),
        )
    }

    /// General findings nobody below the regulators reviews: of no alliance, or at the
    /// alliance's lead enterprise itself.
    fn escalated() -> Predicate<findings::table> {
        let at_lead = diesel::dsl::exists(
            alliances::table
                .filter(alliances::id.nullable().eq(findings::alliance_id))
                .filter(alliances::lead_enterprise_id.eq(findings::enterprise_id)),
        );
        Box::new(
            findings::alliance_id
                .is_null()
                .or(at_lead)
                .and(Self::not_inspected()),
        )
    }
}

impl Columns<findings::table> for Queued {
    fn in_area(&self, area: &Area) -> Predicate<findings::table> {
        Box::new(in_area(area).and(Self::escalated()))
    }

    fn involves(&self, ids: Vec<EnterpriseId>) -> Predicate<findings::table> {
        Reviewed.involves(ids)
    }

    fn belongs_to(&self, ids: Vec<AllianceId>) -> Predicate<findings::table> {
        Box::new(Reviewed.belongs_to(ids).and(Self::not_inspected()))
    }
}

/// The findings of this grade the caller reviews (before "not its own" is applied).
fn reviewers(policy: &Policy, grade: Grade) -> Visibility {
    match grade {
        Grade::Major => policy.oversight(),
        Grade::General if policy.is_expert() => Visibility::nothing(),
        Grade::General => policy.visibility(Reach::Leads),
    }
}

/// The condition of the findings the caller sees (`reviewable`: only those in its review
/// queue — a rectification to review or an extension to decide, see [`Queued`]), or `None` for
/// all. Made afresh for each query that needs it.
pub fn list_scope(policy: &Policy, reviewable: bool) -> Option<Predicate<findings::table>> {
    if !reviewable {
        return policy.visibility(Reach::Leads).filter(&Seen);
    }
    let general = reviewers(policy, Grade::General)
        .filter(&Queued)
        .unwrap_or_else(Queued::escalated);
    let major = reviewers(policy, Grade::Major)
        .filter(&Reviewed)
        .unwrap_or_else(always);
    let waiting = findings::state
        .eq(FindingState::AwaitingReview)
        .or(findings::extension_requested_until.is_not_null());
    let mut p: Predicate<findings::table> = Box::new(
        waiting.and(
            findings::grade
                .eq(Grade::General)
                .and(general)
                .or(findings::grade.eq(Grade::Major).and(major)),
        ),
    );
    if let Some(own) = policy.own_enterprise() {
        p = Box::new(p.and(findings::enterprise_id.ne(own)));
    }
    Some(p)
}

/// The parts the caller plays for a finding, or `None` when it may not see it.
pub fn parts(policy: &Policy, row: &FindingRow) -> Option<Parts> {
    let place = seen_place(row);
    if !policy.visibility(Reach::Leads).admits(&place) {
        return None;
    }
    let owner = policy.own_enterprise() == Some(row.enterprise_id);
    Some(Parts {
        owner,
        reviewer: !owner && reviewers(policy, row.grade).admits(&review_place(row)),
        lead: !owner
            && row
                .alliance_id
                .is_some_and(|a| policy.led_alliances().contains(&a)),
        regulator: policy.oversees(&place),
    })
}

/// Whether the caller reports hazards at all: enterprise users (at their own), regulators (in
/// their area) and experts (at their alliances' members).
pub fn may_report(policy: &Policy) -> bool {
    policy.own_enterprise().is_some()
        || policy.is_authority()
        || !policy.assigned_alliances().is_empty()
}

/// May the caller report a hazard at the enterprise at `place`? Returns the source the report
/// gets.
pub fn report_source(policy: &Policy, place: &Place) -> Option<Source> {
    if let Some(own) = policy.own_enterprise() {
        place
            .enterprises
            .contains(&own)
            .then_some(Source::SelfCheck)
    } else if policy.is_authority() {
        policy.oversees(place).then_some(Source::Regulator)
    } else if policy.is_expert() {
        policy
            .visibility(Reach::Leads)
            .admits(place)
            .then_some(Source::Expert)
    } else {
        None
    }
}

/// Counts the findings in the caller's review queue.
pub fn review_count(conn: &mut AnyConnection, policy: &Policy) -> AppResult<i64> {
    let mut q = findings::table.into_boxed::<crate::db::MultiBackend>();
    q = q.filter(list_scope(policy, true).unwrap_or_else(never));
    Ok(q.select(diesel::dsl::count_star()).first(conn)?)
}
