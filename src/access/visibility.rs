//! [`Visibility`]: which records a caller sees, as one value that both a list query (SQL) and a
//! single-record check (Rust) apply, so that the two can never disagree.

use diesel::BoolExpressionMethods;

use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};

/// A regulator's area: a region subtree (`None`: the whole district) and an industry (`None`:
/// every industry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub regions: Option<Vec<RegionId>>,
    pub industry: Option<IndustryId>,
}

impl Area {
    fn admits(&self, place: &Place) -> bool {
        self.regions
            .as_ref()
            .is_none_or(|r| r.contains(&place.region))
            && self.industry.is_none_or(|i| place.industries.contains(&i))
    }
}

/// Where a record is, for checking one record against a [`Visibility`].
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The region of the record's enterprise (or of the alliance).
    pub region: RegionId,
    /// The industries it belongs to (an enterprise's one; an alliance's own and its members').
    pub industries: Vec<IndustryId>,
    /// The enterprises that take part in it (owner, inspector, target …).
    pub enterprises: Vec<EnterpriseId>,
    /// The alliances it belongs to.
    pub alliances: Vec<AllianceId>,
}

/// Which records a caller sees: everything, or those that lie in an area, involve one of some
/// enterprises, or belong to one of some alliances (any of the three).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Everything,
    Only {
        area: Option<Area>,
        enterprises: Vec<EnterpriseId>,
        alliances: Vec<AllianceId>,
    },
}

pub use crate::db::{never, Predicate};

/// How one table (or one reading of it) expresses the three parts of a [`Visibility`]. Each
/// store implements this once for its table.
pub trait Columns<QS> {
    /// The record lies in the area.
    fn in_area(&self, area: &Area) -> Predicate<QS>;
    /// One of these enterprises takes part in the record.
    fn involves(&self, enterprises: Vec<EnterpriseId>) -> Predicate<QS>;
    /// The record belongs to one of these alliances.
    fn belongs_to(&self, alliances: Vec<AllianceId>) -> Predicate<QS>;
}

impl Visibility {
    pub fn nothing() -> Self {
        Self::Only {
            area: None,
            enterprises: Vec::new(),
            alliances: Vec::new(),
        }
    }

    pub fn area(area: Area) -> Self {
        Self::Only {
            area: Some(area),
            enterprises: Vec::new(),
            alliances: Vec::new(),
        }
    }

    pub fn is_everything(&self) -> bool {
        matches!(self, Self::Everything)
    }

    /// Whether one record at `place` is visible.
    pub fn admits(&self, place: &Place) -> bool {
        match self {
            Self::Everything => true,
            Self::Only {
                area,
                enterprises,
                alliances,
            } => {
                area.as_ref().is_some_and(|a| a.admits(place))
                    || place.enterprises.iter().any(|e| enterprises.contains(e))
                    || place.alliances.iter().any(|a| alliances.contains(a))
            }
        }
    }

    /// The condition a list query adds, or `None` when everything is visible.
    pub fn filter<QS: 'static>(&self, columns: &impl Columns<QS>) -> Option<Predicate<QS>> {
        let Self::Only {
            area,
            enterprises,
            alliances,
        } = self
        else {
            return None;
        };
        let mut parts: Vec<Predicate<QS>> = Vec::new();
        if let Some(area) = area {
            parts.push(columns.in_area(area));
        }
        if !enterprises.is_empty() {
            parts.push(columns.involves(enterprises.clone()));
        }
        if !alliances.is_empty() {
            parts.push(columns.belongs_to(alliances.clone()));
        }
        Some(
            parts
                .into_iter()
                .reduce(|a, b| Box::new(a.or(b)))
                .unwrap_or_else(never),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(region: i64, industry: i64, enterprise: i64, alliance: i64) -> Place {
        Place {
            region: RegionId(region),
            industries: vec![IndustryId(industry)],
            enterprises: vec![EnterpriseId(enterprise)],
            alliances: vec![AllianceId(alliance)],
        }
    }

    #[test]
    fn any_of_area_enterprise_or_alliance_admits() {
        let street = Visibility::area(Area {
            regions: Some(vec![RegionId(2), RegionId(3)]),
            industry: None,
        });
        assert!(street.admits(&place(2, 9, 1, 1)));
        assert!(!street.admits(&place(4, 9, 1, 1)));
        let industry = Visibility::area(Area {
            regions: None,
            industry: Some(IndustryId(5)),
        });
        assert!(industry.admits(&place(4, 5, 1, 1)));
        assert!(!industry.admits(&place(4, 6, 1, 1)));
        let member = Visibility::Only {
            area: None,
            enterprises: vec![EnterpriseId(7)],
            alliances: vec![AllianceId(3)],
        };
        assert!(member.admits(&place(1, 1, 7, 1)));
        assert!(member.admits(&place(1, 1, 8, 3)));
        assert!(!member.admits(&place(1, 1, 8, 4)));
        assert!(!Visibility::nothing().admits(&place(1, 1, 1, 1)));
        assert!(Visibility::Everything.admits(&Place::default()));
    }
}
