//! The rules for organizations and accounts: how much of an enterprise a caller sees, who may
//! register and manage enterprises and alliances, and whose accounts a caller may manage. The
//! callers pass where the record is ([`Place`]); access loads no feature's rows.

use crate::access::{Area, Place, Policy, Reach, Visibility};
use crate::auth::Role;
use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use crate::error::{AppError, AppResult};

/// How much of an enterprise a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    None,
    /// Name, code, region, industry, scale: a fellow alliance member.
    Basic,
    /// Everything, contact details included.
    Full,
}

impl Place {
    /// An enterprise, with the alliances it currently belongs to.
    pub fn enterprise(
        id: EnterpriseId,
        region: RegionId,
        industry: IndustryId,
        alliances: Vec<AllianceId>,
    ) -> Self {
        Self {
            region,
            industries: vec![industry],
            enterprises: vec![id],
            alliances,
        }
    }

    /// A region and industry, for deciding where something may be created.
    pub fn at(region: RegionId, industry: Option<IndustryId>) -> Self {
        Self {
            region,
            industries: industry.into_iter().collect(),
            ..Default::default()
        }
    }
}

impl Policy {
    /// How much of the enterprise at `place` the caller sees: in full its own, those it oversees,
    /// the members of the alliances it leads (or, as an expert, is assigned to); the basics of
    /// fellow members of its other alliances.
    pub fn sight(&self, place: &Place) -> Sight {
        if self.visibility(Reach::Leads).admits(place) {
            Sight::Full
        } else if self.visibility(Reach::Belongs).admits(place) {
            Sight::Basic
        } else {
            Sight::None
        }
    }

    /// The enterprises (and so the members) a caller sees at least the basics of.
    pub fn enterprises_visible(&self) -> Visibility {
        self.visibility(Reach::Belongs)
    }

    /// May the caller register an enterprise here (or move one here), or edit its registration
    /// data (name, code, region, industry)?
    pub fn require_place_enterprise(
        &self,
        region: RegionId,
        industry: IndustryId,
    ) -> AppResult<()> {
        self.require_authority("register enterprises")?;
        if self.oversees(&Place::at(region, Some(industry))) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "The region or industry is outside your scope.".into(),
            ))
        }
    }

    pub fn may_manage_enterprise(&self, region: RegionId, industry: IndustryId) -> bool {
        self.require_place_enterprise(region, industry).is_ok()
    }

    /// May the caller edit the enterprise's contact details? Those who manage it, and its own
    /// users.
    pub fn require_edit_contact(
        &self,
        id: EnterpriseId,
        region: RegionId,
        industry: IndustryId,
    ) -> AppResult<()> {
        if self.own_enterprise() == Some(id) || self.may_manage_enterprise(region, industry) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "You may not change this enterprise's registration data.".into(),
            ))
        }
    }

    /// The alliances the caller sees: those it oversees, belongs to or is assigned to.
    pub fn alliances_visible(&self) -> Visibility {
        self.visibility(Reach::Belongs)
    }

    /// May the caller found an alliance in this region (for this industry), or manage one there:
    /// rename it, appoint its lead, add and remove members?
    pub fn require_manage_alliance(
        &self,
        region: RegionId,
        industry: Option<IndustryId>,
    ) -> AppResult<()> {
        self.require_authority("found and manage alliances")?;
        if self.oversees(&Place::at(region, industry)) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "You may not manage alliances in this region or industry.".into(),
            ))
        }
    }

    pub fn may_manage_alliance(&self, region: RegionId, industry: Option<IndustryId>) -> bool {
        self.require_manage_alliance(region, industry).is_ok()
    }

    /// The accounts the caller may manage, besides its own (which it sees but does not manage):
    /// admins all; regulators the enterprise users of enterprises in their area; others none.
    /// `Only { area }` is to be read as "enterprise users of enterprises in the area".
    pub fn users_managed(&self) -> Visibility {
        self.oversight()
    }

    /// May the caller edit, deactivate or reset this account? `enterprise` is where the user's
    /// enterprise is, for an enterprise user.
    pub fn may_manage_user(&self, role: Role, enterprise: Option<&Place>) -> bool {
        match (self.users_managed(), role, enterprise) {
            (Visibility::Everything, _, _) => true,
            (
                Visibility::Only {
                    area: Some(area), ..
                },
                Role::Enterprise,
                Some(place),
            ) => Visibility::area(area).admits(place),
            _ => false,
        }
    }

    /// The region subtree and industry a regulator oversees (`None` for other roles).
    pub fn regulator_area(&self) -> Option<Area> {
        match self.oversight() {
            Visibility::Only { area, .. } => area,
            Visibility::Everything => None,
        }
    }
}
