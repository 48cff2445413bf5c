//! The rules for alliance events. Callers pass where the alliance is ([`Place`]); access loads no
//! feature's rows.
//!
//! - The alliance's members and the regulators in scope (and admins) see its events.
//! - Its organizers — the alliance's lead and the regulators in scope — create and edit them,
//!   see every registration, and register any member's people.
//! - A member's users register their own enterprise's people and cancel them.

use crate::access::{Place, Policy};
use crate::db::ids::{AllianceId, EnterpriseId};

impl Policy {
    /// May the caller see the events of the alliance at `place`?
    pub fn sees_events(&self, alliance: AllianceId, place: &Place) -> bool {
        self.member_alliances().contains(&alliance) || self.oversees(place)
    }

    /// May the caller organize (create, edit) the events of the alliance at `place`?
    pub fn organizes_events(&self, alliance: AllianceId, place: &Place) -> bool {
        self.led_alliances().contains(&alliance) || self.oversees(place)
    }

    /// May the caller register (or cancel) people of `enterprise` for an event of the alliance?
    pub fn registers_for(
        &self,
        alliance: AllianceId,
        place: &Place,
        enterprise: EnterpriseId,
    ) -> bool {
        self.organizes_events(alliance, place) || self.own_enterprise() == Some(enterprise)
    }
}
