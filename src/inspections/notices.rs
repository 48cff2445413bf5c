//! Who is told when a batch is published: each pairing's inspecting enterprise (whom it
//! inspects, and when) and its target (who comes, and when), in the publishing transaction.

use std::collections::HashMap;

use crate::db::ids::{EnterpriseId, UserId};
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::inspections::model::{BatchRow, InspectionRow};
use crate::notify::recipients::enterprise_users;
use crate::notify::{self, Kind, Notice};

pub fn published(
    conn: &mut AnyConnection,
    batch: &BatchRow,
    inspections: &[InspectionRow],
    actor: UserId,
) -> AppResult<()> {
    let ids: Vec<EnterpriseId> = inspections
        .iter()
        .flat_map(|i| [i.inspector_enterprise_id, i.target_enterprise_id])
        .collect();
    let names = crate::org::store::enterprise_names(conn, &ids)?;
    let mut people: HashMap<EnterpriseId, Vec<UserId>> = HashMap::new();
    for i in inspections {
        for (kind, told, other) in [
            (
                Kind::InspectionAssigned,
                i.inspector_enterprise_id,
                i.target_enterprise_id,
            ),
            (
                Kind::InspectionScheduled,
                i.target_enterprise_id,
                i.inspector_enterprise_id,
            ),
        ] {
            let users = match people.get(&told) {
                Some(users) => users.clone(),
                None => {
                    let users = enterprise_users(conn, told)?;
                    people.insert(told, users.clone());
                    users
                }
            };
            let counterpart = names.get(&other).map_or("", String::as_str);
            let notice = Notice {
                kind,
                subject: format!("{} · {counterpart}", batch.name),
                link: format!("/inspections/{}", i.id),
                due_on: i.scheduled_on,
                note: String::new(),
            };
            notify::tell_others(conn, &users, actor, &notice)?;
        }
    }
    Ok(())
}

/// Inspections of a published batch changed (their day, their inspectors, their targets): the
/// inspecting and inspected enterprises of each, as it is now, are told (after a swap, both new
/// targets; the old ones are each other's new).
pub fn changed(
    conn: &mut AnyConnection,
    batch: &BatchRow,
    changed: &[InspectionRow],
    actor: UserId,
) -> AppResult<()> {
    if batch.published_at.is_none() {
        return Ok(());
    }
    for i in changed {
        let mut concerned = vec![i.inspector_enterprise_id, i.target_enterprise_id];
        concerned.dedup();
        for enterprise in concerned {
            let users = enterprise_users(conn, enterprise)?;
            let notice = Notice {
                kind: Kind::InspectionChanged,
                subject: batch.name.clone(),
                link: format!("/inspections/{}", i.id),
                due_on: i.scheduled_on,
                note: String::new(),
            };
            notify::tell_others(conn, &users, actor, &notice)?;
        }
    }
    Ok(())
}
