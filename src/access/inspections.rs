//! The rules for mutual inspection (互查). Callers pass where the alliance is ([`Place`], from
//! org's `alliance_place`) and who takes part; access loads no feature's rows.
//!
//! - Batches: the alliance's members, its assigned experts and the regulators in scope see them;
//!   the alliance's lead and the regulators in scope (and admins) create, edit, pair, publish
//!   and close them. Everyone else: 404.
//! - Checklist templates: the district-wide ones are for everyone signed in; an alliance's own
//!   are seen with the alliance. Regulators keep the district-wide ones; a lead keeps its
//!   alliance's, as do the regulators in scope.
//! - An inspection's results: the inspecting and inspected enterprises, the alliance's lead and
//!   experts and the regulators in scope see them. The inspecting enterprise's users and the
//!   alliance's assigned experts record them.

use crate::access::{Place, Policy};
use crate::db::ids::{AllianceId, EnterpriseId};

/// The parts a caller plays in one inspection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InspectionParts {
    /// Sees the inspection's results.
    pub sees: bool,
    /// Records its results.
    pub records: bool,
    /// Dates it and swaps it (manages its batch).
    pub manages: bool,
}

impl Policy {
    /// May the caller create, edit, pair, publish and close the batches of the alliance at
    /// `place`?
    pub fn manages_batches(&self, alliance: AllianceId, place: &Place) -> bool {
        self.led_alliances().contains(&alliance) || self.oversees(place)
    }

    /// May the caller see the batches of the alliance at `place`?
    pub fn sees_batches(&self, place: &Place) -> bool {
        self.alliances_visible().admits(place)
    }

    /// May the caller keep an alliance's own templates (`Some`) or the district-wide ones?
    pub fn keeps_checklists(&self, alliance: Option<(AllianceId, &Place)>) -> bool {
        match alliance {
            Some((id, place)) => self.manages_batches(id, place),
            None => self.is_authority(),
        }
    }

    /// What the caller may do with an inspection of the alliance at `place`.
    pub fn inspection_parts(
        &self,
        alliance: AllianceId,
        place: &Place,
        inspector: EnterpriseId,
        target: EnterpriseId,
    ) -> InspectionParts {
        if !self.sees_batches(place) {
            return InspectionParts::default();
        }
        let manages = self.manages_batches(alliance, place);
        let own = self.own_enterprise();
        let expert = self.assigned_alliances().contains(&alliance);
        let records = own == Some(inspector) || expert;
        InspectionParts {
            sees: manages || records || own == Some(target),
            records,
            manages,
        }
    }
}
