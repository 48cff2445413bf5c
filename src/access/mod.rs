//! The access policy: what a user may see and do. One place, used by every handler and every
//! list query. A record outside the caller's scope is answered exactly like a missing one (404).
//!
//! | role       | sees                                                                       |
//! |------------|----------------------------------------------------------------------------|
//! | admin      | everything                                                                 |
//! | regulator  | its region's subtree and/or its industry                                   |
//! | enterprise | its own enterprise; fellow members of its alliances (contact details only  |
//! |            | where it leads the shared alliance); its alliances; the work of the        |
//! |            | alliances it leads                                                         |
//! | expert     | the alliances it is assigned to and their members                          |
//!
//! The caller is resolved once per request into a [`Policy`]. Lists ask it for a [`Visibility`]
//! and apply it through [`Visibility::filter`] with the columns of their table; single records
//! are checked with [`Visibility::admits`] on the same value, so a list and a read never disagree.
//! Access reads only the organization tables it needs (regions, memberships, expert
//! assignments) and imports no feature's types: features depend on access, never the reverse.

mod events;
mod inspections;
mod org;
mod visibility;

pub use inspections::InspectionParts;
pub use org::Sight;
pub use visibility::{never, Area, Columns, Place, Predicate, Visibility};

use std::sync::Arc;

use diesel::prelude::*;

use crate::auth::{Actor, Role};
use crate::db::ids::{AllianceId, EnterpriseId, RegionId};
use crate::db::schema::{alliances, expert_assignments, memberships, regions};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};

/// What the caller's role and scope resolve to, loaded once per request (or kept by
/// [`crate::auth::callers::Callers`] while the access epoch stands). Opaque: everything outside
/// asks the [`Policy`].
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    All,
    Regulator(Area),
    Enterprise {
        own: EnterpriseId,
        member_of: Vec<AllianceId>,
        leads: Vec<AllianceId>,
    },
    Expert {
        alliances: Vec<AllianceId>,
    },
}

/// Which of an enterprise's alliances extend what it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The work of the alliances it leads: their findings, batches and inspections.
    Leads,
    /// The common life of the alliances it belongs to: members, events, shared lessons.
    Belongs,
}

/// The caller and its resolved scope.
#[derive(Debug, Clone)]
pub struct Policy {
    pub actor: Actor,
    scope: Arc<Scope>,
}

impl Scope {
    /// Reads what the caller's role and scope resolve to.
    pub(crate) fn resolve(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Self> {
        Ok(match actor.role {
            Role::Admin => Scope::All,
            Role::Regulator => Scope::Regulator(regulator_area(conn, actor)?),
            Role::Enterprise => match actor.enterprise_id {
                Some(own) => {
                    let member_of: Vec<AllianceId> = memberships::table
                        .filter(memberships::enterprise_id.eq(own))
                        .filter(memberships::left_on.is_null())
                        .select(memberships::alliance_id)
                        .load(conn)?;
                    // The alliance names its lead (kept in step with the lead's membership); a
                    // lead is always also a current member.
                    let mut leads: Vec<AllianceId> = alliances::table
                        .filter(alliances::lead_enterprise_id.eq(own))
                        .select(alliances::id)
                        .load(conn)?;
                    leads.retain(|a| member_of.contains(a));
                    Scope::Enterprise {
                        own,
                        member_of,
                        leads,
                    }
                }
                // An enterprise user without an enterprise sees nothing.
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
        })
    }
}

impl Policy {
    /// The caller's policy: the scope resolved when the request came in, or read now.
    pub fn load(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Self> {
        let scope = match &actor.scope {
            Some(scope) => scope.clone(),
            None => Arc::new(Scope::resolve(conn, actor)?),
        };
        Ok(Self {
            actor: actor.clone(),
            scope,
        })
    }

    pub fn is_admin(&self) -> bool {
        matches!(*self.scope, Scope::All)
    }

    pub fn is_regulator(&self) -> bool {
        matches!(*self.scope, Scope::Regulator(_))
    }

    /// Admins and regulators: the roles that manage organizations.
    pub fn is_authority(&self) -> bool {
        self.is_admin() || self.is_regulator()
    }

    /// 403 unless the caller is an admin or a regulator.
    pub fn require_authority(&self, what: &str) -> AppResult<()> {
        if self.is_authority() {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("Only regulators {what}.")))
        }
    }

    /// The enterprise the caller works for (enterprise users only).
    pub fn own_enterprise(&self) -> Option<EnterpriseId> {
        match self.scope.as_ref() {
            Scope::Enterprise { own, .. } => Some(*own),
            _ => None,
        }
    }

    /// The alliances the caller's enterprise leads (empty for other roles).
    pub fn led_alliances(&self) -> &[AllianceId] {
        match self.scope.as_ref() {
            Scope::Enterprise { leads, .. } => leads,
            _ => &[],
        }
    }

    /// The alliances the caller's enterprise belongs to (empty for other roles).
    pub fn member_alliances(&self) -> &[AllianceId] {
        match self.scope.as_ref() {
            Scope::Enterprise { member_of, .. } => member_of,
            _ => &[],
        }
    }

    /// The alliances an expert is assigned to (empty for other roles).
    pub fn assigned_alliances(&self) -> &[AllianceId] {
        match self.scope.as_ref() {
            Scope::Expert { alliances } => alliances,
            _ => &[],
        }
    }

    pub fn is_expert(&self) -> bool {
        self.actor.role == Role::Expert
    }

    /// Whether the caller oversees this place as admin or regulator.
    pub fn oversees(&self, place: &Place) -> bool {
        self.oversight().admits(place)
    }

    /// What the caller oversees as admin or regulator: everything, an area, or nothing.
    pub fn oversight(&self) -> Visibility {
        match self.scope.as_ref() {
            Scope::All => Visibility::Everything,
            Scope::Regulator(area) => Visibility::area(area.clone()),
            _ => Visibility::nothing(),
        }
    }

    /// The records the caller sees: a regulator's area; an enterprise's own records and those of
    /// the alliances it leads or belongs to (see [`Reach`]); an expert's alliances.
    pub fn visibility(&self, reach: Reach) -> Visibility {
        match self.scope.as_ref() {
            Scope::All => Visibility::Everything,
            Scope::Regulator(area) => Visibility::area(area.clone()),
            Scope::Enterprise {
                own,
                member_of,
                leads,
            } => Visibility::Only {
                area: None,
                enterprises: vec![*own],
                alliances: match reach {
                    Reach::Leads => leads.clone(),
                    Reach::Belongs => member_of.clone(),
                },
            },
            Scope::Expert { alliances } => Visibility::Only {
                area: None,
                enterprises: Vec::new(),
                alliances: alliances.clone(),
            },
        }
    }
}

/// A regulator's area: its region's subtree (none for the root, which covers the district) and
/// its industry. A regulator with neither sees nothing rather than everything.
fn regulator_area(conn: &mut AnyConnection, actor: &Actor) -> AppResult<Area> {
    if actor.region_id.is_none() && actor.industry_id.is_none() {
        return Ok(Area {
            regions: Some(Vec::new()),
            industry: None,
        });
    }
    let regions = match actor.region_id {
        Some(root) => {
            let all: Vec<(RegionId, Option<RegionId>)> = regions::table
                .select((regions::id, regions::parent_id))
                .load(conn)?;
            match all.iter().find(|(id, _)| *id == root) {
                // The root of the tree (the district) covers everything: no restriction, which
                // also spares every list an IN over all regions.
                Some((_, None)) => None,
                _ => Some(subtree(&all, root)),
            }
        }
        None => None,
    };
    Ok(Area {
        regions,
        industry: actor.industry_id,
    })
}

/// `root` and every region below it, from the (id, parent) pairs of the whole tree.
pub fn subtree(all: &[(RegionId, Option<RegionId>)], root: RegionId) -> Vec<RegionId> {
    let mut out = Vec::new();
    if !all.iter().any(|(id, _)| *id == root) {
        return out;
    }
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        out.push(id);
        stack.extend(
            all.iter()
                .filter(|(_, parent)| *parent == Some(id))
                .map(|(child, _)| *child),
        );
    }
    out
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
/// entries commit together or not at all). If anything the caller's rights come from changed
/// since the request came in, they are read again inside the transaction.
pub async fn write<T, F>(db: &crate::db::Db, actor: Actor, f: F) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection, &Policy) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    db.write(move |conn| {
        let actor = crate::auth::callers::current(conn, actor)?;
        let policy = Policy::load(conn, &actor)?;
        f(conn, &policy)
    })
    .await
}
