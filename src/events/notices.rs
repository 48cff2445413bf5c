//! Who is told of an event: the people of every enterprise that must attend (every current
//! member, or those named) — when it is planned, in the planning transaction, and the day before
//! it begins (by the scheduler).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::ids::{AllianceId, EnterpriseId, EventId, UserId};
use crate::db::schema::{event_requirements, events};
use crate::db::types::local;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::events::model::Requirement;
use crate::notify::recipients::enterprise_users;
use crate::notify::{self, Kind, Notice};

/// The people of the enterprises that must attend (`required_all`: every current member of the
/// alliance; else those of `required`).
fn attendees(
    conn: &mut AnyConnection,
    alliance: AllianceId,
    (required_all, required): (bool, Vec<EnterpriseId>),
) -> AppResult<Vec<UserId>> {
    let enterprises = if required_all {
        crate::org::store::alliance_members(conn, alliance)?
    } else {
        required
    };
    let mut people = Vec::new();
    for enterprise in enterprises {
        people.extend(enterprise_users(conn, enterprise)?);
    }
    Ok(people)
}

fn notice(kind: Kind, id: EventId, title: &str, starts_at: NaiveDateTime) -> Notice {
    Notice {
        kind,
        subject: title.trim().to_string(),
        link: format!("/events/{id}"),
        due_on: Some(local(starts_at).date_naive()),
        note: String::new(),
    }
}

/// An event planned: (id, title, start), the alliance, and who must attend (`required_all`:
/// every current member; else `requirements`).
pub fn planned(
    conn: &mut AnyConnection,
    (id, title, starts_at): (EventId, &str, NaiveDateTime),
    alliance: AllianceId,
    (required_all, requirements): (bool, &[Requirement]),
    actor: UserId,
) -> AppResult<()> {
    let named = requirements.iter().map(|r| r.enterprise_id).collect();
    let people = attendees(conn, alliance, (required_all, named))?;
    let notice = notice(Kind::EventRequired, id, title, starts_at);
    notify::tell_others(conn, &people, actor, &notice)?;
    Ok(())
}

/// The events beginning in `[from, until)`: (id, title, start).
pub fn beginning(
    conn: &mut AnyConnection,
    (from, until): (NaiveDateTime, NaiveDateTime),
) -> AppResult<Vec<(EventId, String, NaiveDateTime)>> {
    Ok(events::table
        .filter(events::starts_at.ge(from))
        .filter(events::starts_at.lt(until))
        .order(events::id.asc())
        .select((events::id, events::title, events::starts_at))
        .load(conn)?)
}

/// Reminds those who must attend event `id` that it begins soon; returns how many were told.
pub fn remind(conn: &mut AnyConnection, id: EventId) -> AppResult<usize> {
    let (alliance, title, starts_at, required_all): (AllianceId, String, NaiveDateTime, bool) =
        events::table
            .find(id)
            .select((
                events::alliance_id,
                events::title,
                events::starts_at,
                events::required_all,
            ))
            .first(conn)?;
    let named: Vec<EnterpriseId> = event_requirements::table
        .filter(event_requirements::event_id.eq(id))
        .select(event_requirements::enterprise_id)
        .load(conn)?;
    let people = attendees(conn, alliance, (required_all, named))?;
    notify::tell(
        conn,
        &people,
        &notice(Kind::EventReminder, id, &title, starts_at),
    )
}
