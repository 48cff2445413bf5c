//! Who is told when an event is planned: the people of every enterprise that must attend (every
//! current member, or those named), with the day it begins, in the planning transaction.

use chrono::NaiveDateTime;

use crate::db::ids::{AllianceId, EnterpriseId, EventId, UserId};
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::events::model::Requirement;
use crate::notify::recipients::enterprise_users;
use crate::notify::{self, Kind, Notice};

/// An event planned: (id, title, start), the alliance, and who must attend (`required_all`:
/// every current member; else `requirements`).
pub fn planned(
    conn: &mut AnyConnection,
    (id, title, starts_at): (EventId, &str, NaiveDateTime),
    alliance: AllianceId,
    (required_all, requirements): (bool, &[Requirement]),
    actor: UserId,
) -> AppResult<()> {
    let enterprises: Vec<EnterpriseId> = if required_all {
        crate::org::store::alliance_members(conn, alliance)?
    } else {
        requirements.iter().map(|r| r.enterprise_id).collect()
    };
    let mut people = Vec::new();
    for enterprise in enterprises {
        people.extend(enterprise_users(conn, enterprise)?);
    }
    let notice = Notice {
        kind: Kind::EventRequired,
        subject: title.trim().to_string(),
        link: format!("/events/{id}"),
        due_on: Some(local(starts_at).date_naive()),
        note: String::new(),
    };
    notify::tell_others(conn, &people, actor, &notice)?;
    Ok(())
}
