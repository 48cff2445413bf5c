//! The access policy: what a user may see and do. One place, used by every handler and every
//! list query. A record outside the caller's scope is answered exactly like a missing one (404).
//!
//! | role       | sees                                                                       |
//! |------------|----------------------------------------------------------------------------|
//! | admin      | everything                                                                 |
//! | regulator  | its region's subtree and/or its industry                                   |
//! | enterprise | its own enterprise; fellow members of its alliances (contact details only  |
//! |            | where it leads the shared alliance); its alliances                          |
//! | expert     | the alliances it is assigned to and their members                          |

mod findings;

use diesel::prelude::*;

use crate::auth::{Actor, Role, UserRow};
use crate::db::schema::expert_assignments;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::org::model::{
    AllianceId, AllianceRow, EnterpriseId, EnterpriseRow, IndustryId, MemberRole, RegionId,
};
use crate::org::store::{self, AllianceFilter, EnterpriseFilter};

/// What the caller's role and scope resolve to, loaded once per request.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Regulator {
        /// The regulator's region and everything below it; `None` for an industry-wide scope.
        regions: Option<Vec<RegionId>>,
        industry: Option<IndustryId>,
    },
    Enterprise {
        own: EnterpriseId,
        member_of: Vec<AllianceId>,
        leads: Vec<AllianceId>,
    },
    Expert {
        alliances: Vec<AllianceId>,
    },
}

/// How much of an enterprise a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sight {
    None,
    /// Name, code, region, industry, scale: a fellow alliance member.
    Basic,
    /// Everything, contact details included.
    Full,
}

/// The caller and its resolved scope.
#[derive(Debug, Clone)]
pub struct Policy {
    pub actor: Actor,
    pub scope: Scope,
}

impl Policy {
    pub fn load(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Self> {
        let scope = match actor.role {
            Role::Admin => Scope::All,
            Role::Regulator => {
                // The root of the region tree (the district) covers everything: no restriction,
                // which also spares every list an IN over all regions.
                let regions = match actor.region_id {
                    Some(root) => match store::region(conn, root)? {
                        Some(r) if r.parent_id.is_none() => None,
                        _ => Some(store::region_subtree(conn, root)?),
                    },
                    None => None,
                };
                if actor.region_id.is_none() && actor.industry_id.is_none() {
                    // A regulator without a scope sees nothing rather than everything.
                    Scope::Regulator {
                        regions: Some(Vec::new()),
                        industry: None,
                    }
                } else {
                    Scope::Regulator {
                        regions,
                        industry: actor.industry_id,
                    }
                }
            }
            Role::Enterprise => match actor.enterprise_id {
                Some(own) => {
                    let memberships = store::memberships_of(conn, own)?;
                    Scope::Enterprise {
                        own,
                        member_of: memberships.iter().map(|(a, _)| *a).collect(),
                        leads: memberships
                            .iter()
                            .filter(|(_, r)| *r == MemberRole::Lead)
                            .map(|(a, _)| *a)
                            .collect(),
                    }
                }
                None => Scope::Expert {
                    alliances: Vec::new(),
                },
            },
            Role::Expert => Scope::Expert {
                alliances: expert_assignments::table
                    .filter(expert_assignments::user_id.eq(actor.id))
                    .select(expert_assignments::alliance_id)
                    .load(conn)?,
            },
        };
        Ok(Self {
            actor: actor.clone(),
            scope,
        })
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.scope, Scope::All)
    }

    pub fn is_regulator(&self) -> bool {
        matches!(self.scope, Scope::Regulator { .. })
    }

    /// Admins and regulators: the roles that manage organizations.
    pub fn is_authority(&self) -> bool {
        self.is_admin() || self.is_regulator()
    }

    /// The enterprise's alliances it leads (empty for other roles).
    pub fn led_alliances(&self) -> &[AllianceId] {
        match &self.scope {
            Scope::Enterprise { leads, .. } => leads,
            _ => &[],
        }
    }

    // ---- enterprises --------------------------------------------------------------------

    /// The filter for enterprise lists.
    pub fn enterprise_filter(&self, conn: &mut AnyConnection) -> AppResult<EnterpriseFilter> {
        Ok(match &self.scope {
            Scope::All => EnterpriseFilter::default(),
            Scope::Regulator { regions, industry } => EnterpriseFilter {
                regions: regions.clone(),
                industry: *industry,
                ids: None,
            },
            Scope::Enterprise { own, member_of, .. } => {
                let mut ids = store::members_of_any(conn, member_of)?;
                ids.push(*own);
                ids.sort();
                ids.dedup();
                EnterpriseFilter {
                    ids: Some(ids),
                    ..Default::default()
                }
            }
            Scope::Expert { alliances } => EnterpriseFilter {
                ids: Some(store::members_of_any(conn, alliances)?),
                ..Default::default()
            },
        })
    }

    /// How much of one enterprise the caller may see.
    pub fn enterprise_sight(
        &self,
        conn: &mut AnyConnection,
        enterprise: &EnterpriseRow,
    ) -> AppResult<Sight> {
        Ok(match &self.scope {
            Scope::All => Sight::Full,
            Scope::Regulator { .. } => {
                if self.regulator_covers(enterprise.region_id, Some(enterprise.industry_id)) {
                    Sight::Full
                } else {
                    Sight::None
                }
            }
            Scope::Enterprise {
                own,
                member_of,
                leads,
            } => {
                if *own == enterprise.id {
                    Sight::Full
                } else {
                    let theirs = store::current_alliance_ids(conn, enterprise.id)?;
                    if theirs.iter().any(|a| leads.contains(a)) {
                        Sight::Full
                    } else if theirs.iter().any(|a| member_of.contains(a)) {
                        Sight::Basic
                    } else {
                        Sight::None
                    }
                }
            }
            Scope::Expert { alliances } => {
                let theirs = store::current_alliance_ids(conn, enterprise.id)?;
                if theirs.iter().any(|a| alliances.contains(a)) {
                    Sight::Full
                } else {
                    Sight::None
                }
            }
        })
    }

    /// Loads an enterprise the caller may see, or 404.
    pub fn visible_enterprise(
        &self,
        conn: &mut AnyConnection,
        id: EnterpriseId,
    ) -> AppResult<(EnterpriseRow, Sight)> {
        let row = store::enterprise(conn, id)?.ok_or(AppError::NotFound)?;
        match self.enterprise_sight(conn, &row)? {
            Sight::None => Err(AppError::NotFound),
            sight => Ok((row, sight)),
        }
    }

    /// Whether a regulator's scope covers this region and industry.
    fn regulator_covers(&self, region: RegionId, industry: Option<IndustryId>) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Regulator {
                regions,
                industry: scope_industry,
            } => {
                regions.as_ref().is_none_or(|r| r.contains(&region))
                    && scope_industry.is_none_or(|i| industry == Some(i))
            }
            _ => false,
        }
    }

    /// May the caller register an enterprise here (or move one here)?
    pub fn may_place_enterprise(&self, region: RegionId, industry: IndustryId) -> bool {
        self.is_authority() && self.regulator_covers(region, Some(industry))
    }

    /// May the caller edit this enterprise's registration data (name, code, region, industry)?
    pub fn may_manage_enterprise(&self, enterprise: &EnterpriseRow) -> bool {
        self.may_place_enterprise(enterprise.region_id, enterprise.industry_id)
    }

    /// May the caller edit the enterprise's contact details? Its own users may.
    pub fn may_edit_contact(&self, enterprise: &EnterpriseRow) -> bool {
        self.may_manage_enterprise(enterprise)
            || matches!(&self.scope, Scope::Enterprise { own, .. } if *own == enterprise.id)
    }

    // ---- alliances ----------------------------------------------------------------------

    /// The filter for alliance lists.
    pub fn alliance_filter(&self, conn: &mut AnyConnection) -> AppResult<AllianceFilter> {
        Ok(match &self.scope {
            Scope::All => AllianceFilter::default(),
            Scope::Regulator { regions, industry } => AllianceFilter {
                regions: regions.clone(),
                ids: match industry {
                    Some(i) => Some(store::alliances_touching_industry(conn, *i)?),
                    None => None,
                },
            },
            Scope::Enterprise { member_of, .. } => AllianceFilter {
                regions: None,
                ids: Some(member_of.clone()),
            },
            Scope::Expert { alliances } => AllianceFilter {
                regions: None,
                ids: Some(alliances.clone()),
            },
        })
    }

    pub fn may_see_alliance(
        &self,
        conn: &mut AnyConnection,
        alliance: &AllianceRow,
    ) -> AppResult<bool> {
        Ok(match &self.scope {
            Scope::All => true,
            Scope::Regulator { regions, industry } => {
                regions
                    .as_ref()
                    .is_none_or(|r| r.contains(&alliance.region_id))
                    && match industry {
                        None => true,
                        Some(i) => {
                            alliance.industry_id == Some(*i)
                                || store::alliances_touching_industry(conn, *i)?
                                    .contains(&alliance.id)
                        }
                    }
            }
            Scope::Enterprise { member_of, .. } => member_of.contains(&alliance.id),
            Scope::Expert { alliances } => alliances.contains(&alliance.id),
        })
    }

    /// Loads an alliance the caller may see, or 404.
    pub fn visible_alliance(
        &self,
        conn: &mut AnyConnection,
        id: AllianceId,
    ) -> AppResult<AllianceRow> {
        let row = store::alliance(conn, id)?.ok_or(AppError::NotFound)?;
        if self.may_see_alliance(conn, &row)? {
            Ok(row)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// May the caller found an alliance in this region (for this industry)?
    pub fn may_place_alliance(&self, region: RegionId, industry: Option<IndustryId>) -> bool {
        self.is_authority() && self.regulator_covers(region, industry)
    }

    /// May the caller rename the alliance, appoint its lead, add and remove members?
    pub fn may_manage_alliance(&self, alliance: &AllianceRow) -> bool {
        self.may_place_alliance(alliance.region_id, alliance.industry_id)
    }

    // ---- users --------------------------------------------------------------------------

    /// May the caller see this user account?
    pub fn may_see_user(&self, conn: &mut AnyConnection, user: &UserRow) -> AppResult<bool> {
        if user.id == self.actor.id || self.is_admin() {
            return Ok(true);
        }
        self.may_manage_user(conn, user)
    }

    /// May the caller edit, deactivate or reset this account? Admins: anyone. Regulators: the
    /// users of enterprises in their scope.
    pub fn may_manage_user(&self, conn: &mut AnyConnection, user: &UserRow) -> AppResult<bool> {
        match (&self.scope, user.role, user.enterprise_id) {
            (Scope::All, _, _) => Ok(true),
            (Scope::Regulator { .. }, Role::Enterprise, Some(enterprise)) => {
                self.may_create_user_for(conn, enterprise)
            }
            _ => Ok(false),
        }
    }

    /// May the caller create an enterprise user for this enterprise?
    pub fn may_create_user_for(
        &self,
        conn: &mut AnyConnection,
        enterprise: EnterpriseId,
    ) -> AppResult<bool> {
        if self.is_admin() {
            return Ok(true);
        }
        if !self.is_regulator() {
            return Ok(false);
        }
        Ok(match store::enterprise(conn, enterprise)? {
            Some(row) => self.may_manage_enterprise(&row),
            None => false,
        })
    }
}

/// Runs `f` with the caller's policy on a pooled connection (reads).
pub async fn read<T, F>(db: &crate::db::Db, actor: Actor, f: F) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection, &Policy) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    db.run(move |conn| {
        let policy = Policy::load(conn, &actor)?;
        f(conn, &policy)
    })
    .await
}

/// Runs `f` with the caller's policy inside one write transaction (changes and their audit
/// entries commit together or not at all).
pub async fn write<T, F>(db: &crate::db::Db, actor: Actor, f: F) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection, &Policy) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    db.write(move |conn| {
        let policy = Policy::load(conn, &actor)?;
        f(conn, &policy)
    })
    .await
}
