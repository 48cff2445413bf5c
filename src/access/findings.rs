//! The policy for findings: who sees which, and which parts (owner, reviewer, lead, regulator)
//! a caller plays for one.
//!
//! - Regulators see every finding of enterprises in their scope, major ones at once, and review
//!   all of them; only they review (and so close) a major (重大) hazard.
//! - An enterprise sees its own findings; the lead enterprise of an alliance sees the alliance's
//!   findings and reviews the general ones of other members; an inspecting enterprise sees and
//!   reviews the general findings of its mutual inspections.
//! - Experts see the findings of the alliances they are assigned to.

use crate::access::{Policy, Scope};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::findings::lifecycle::Parts;
use crate::findings::model::{FindingRow, Grade, Source};
use crate::findings::store::FindingFilter;
use crate::org::model::{EnterpriseId, IndustryId, RegionId};
use crate::org::store as org;

impl Policy {
    /// The filter for finding lists. With `reviewable`, only those awaiting the caller's review.
    pub fn finding_filter(&self, reviewable: bool) -> FindingFilter {
        match &self.scope {
            Scope::All => FindingFilter::default(),
            Scope::Regulator { regions, industry } => FindingFilter {
                regions: regions.clone(),
                industry: *industry,
                ..Default::default()
            },
            Scope::Enterprise { own, leads, .. } if reviewable => FindingFilter {
                reviewable_by_lead: Some((*own, leads.clone())),
                ..Default::default()
            },
            Scope::Enterprise { own, leads, .. } => FindingFilter {
                any_of: Some((Some(*own), leads.clone(), Some(*own))),
                ..Default::default()
            },
            // Experts record findings but review none.
            Scope::Expert { .. } if reviewable => FindingFilter {
                nothing: true,
                ..Default::default()
            },
            Scope::Expert { alliances } => FindingFilter {
                any_of: Some((None, alliances.clone(), None)),
                ..Default::default()
            },
        }
    }

    fn covers_enterprise(&self, region: RegionId, industry: IndustryId) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Regulator {
                regions,
                industry: scope_industry,
            } => {
                regions.as_ref().is_none_or(|r| r.contains(&region))
                    && scope_industry.is_none_or(|i| i == industry)
            }
            _ => false,
        }
    }

    /// The parts the caller plays for a finding, or `None` when it may not see it.
    pub fn finding_parts(
        &self,
        conn: &mut AnyConnection,
        row: &FindingRow,
    ) -> AppResult<Option<Parts>> {
        let enterprise = org::enterprise(conn, row.enterprise_id)?.ok_or(AppError::NotFound)?;
        let regulator = self.covers_enterprise(enterprise.region_id, enterprise.industry_id);
        let (owner, lead, inspector, expert) = match &self.scope {
            Scope::Enterprise { own, leads, .. } => {
                let owner = *own == row.enterprise_id;
                let lead = !owner && row.alliance_id.is_some_and(|a| leads.contains(&a));
                let inspector = !owner && row.inspector_enterprise_id == Some(*own);
                (owner, lead, inspector, false)
            }
            Scope::Expert { alliances } => (
                false,
                false,
                false,
                row.alliance_id.is_some_and(|a| alliances.contains(&a)),
            ),
            _ => (false, false, false, false),
        };
        if !(regulator || owner || lead || inspector || expert) {
            return Ok(None);
        }
        let reviewer = match row.grade {
            Grade::Major => regulator,
            Grade::General => {
                regulator || lead || (inspector && row.source == Source::MutualInspection)
            }
        };
        Ok(Some(Parts {
            owner,
            reviewer,
            lead,
            regulator,
        }))
    }

    /// May the caller report a hazard at this enterprise? Returns the source the report gets.
    pub fn may_report_at(
        &self,
        conn: &mut AnyConnection,
        enterprise: EnterpriseId,
    ) -> AppResult<Option<Source>> {
        Ok(match &self.scope {
            Scope::Enterprise { own, .. } => (*own == enterprise).then_some(Source::SelfCheck),
            Scope::All | Scope::Regulator { .. } => match org::enterprise(conn, enterprise)? {
                Some(e) if self.covers_enterprise(e.region_id, e.industry_id) => {
                    Some(Source::Regulator)
                }
                _ => None,
            },
            Scope::Expert { alliances } => {
                let theirs = org::current_alliance_ids(conn, enterprise)?;
                theirs
                    .iter()
                    .any(|a| alliances.contains(a))
                    .then_some(Source::Expert)
            }
        })
    }
}
