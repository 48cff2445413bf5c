//! Who is told what happens to a finding, in the message centre, written in the transaction of
//! the change: the enterprise it is at hears of its report, a rejection, a closing and the
//! answer to an extension; its reviewer (see [`crate::findings::policy`]: the inspecting
//! enterprise of a mutual inspection, else the alliance's lead, else the regulators of its
//! place; only regulators for a major hazard) hears of a rectification to review and an
//! extension asked. Nobody is told of what they did themselves.

use chrono::NaiveDate;

use crate::db::ids::UserId;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::findings::model::*;
use crate::notify::recipients::{active, enterprise_users, regulators_over};
use crate::notify::{self, Kind, Notice};
use crate::org::store as org;

fn notice(kind: Kind, id: FindingId, title: &str, due_on: Option<NaiveDate>, note: &str) -> Notice {
    Notice {
        kind,
        subject: title.trim().to_string(),
        link: format!("/findings/{id}"),
        due_on,
        note: note.trim().to_string(),
    }
}

fn tell(conn: &mut AnyConnection, users: Vec<UserId>, actor: UserId, n: Notice) -> AppResult<()> {
    notify::tell_others(conn, &users, actor, &n)?;
    Ok(())
}

/// A hazard reported: the people of its enterprise are told, with the deadline; a major one
/// also reaches the regulators over it and the group robots of its alliance and region at once.
pub fn reported(conn: &mut AnyConnection, id: FindingId, actor: UserId) -> AppResult<()> {
    let Some(row) = crate::findings::store::find(conn, id)? else {
        return Ok(());
    };
    let people = enterprise_users(conn, row.enterprise_id)?;
    let people: Vec<UserId> = people.into_iter().filter(|u| *u != actor).collect();
    let n = notice(Kind::FindingReported, id, &row.title, row.deadline, "");
    // A major hazard is mailed to its enterprise whatever it muted.
    notify::store::tell_with(conn, &people, &n, row.grade == Grade::Major)?;
    if row.grade == Grade::Major {
        let regulators = regulators_over(conn, row.region_id, row.industry_id)?;
        let n = notice(Kind::MajorReported, id, &row.title, row.deadline, "");
        notify::webhooks::post(conn, row.alliance_id, row.region_id, &n)?;
        tell(conn, regulators, actor, n)?;
    }
    Ok(())
}

/// The people who review `row` (never its own enterprise's).
fn reviewers(conn: &mut AnyConnection, row: &FindingRow) -> AppResult<Vec<UserId>> {
    // The enterprise whose people review it, if not the regulators.
    let reviewing = match (
        row.grade,
        row.source,
        row.inspector_enterprise_id,
        row.alliance_id,
    ) {
        (Grade::Major, ..) => None,
        (Grade::General, Source::MutualInspection, Some(inspector), _) => Some(inspector),
        (Grade::General, _, _, Some(alliance)) => org::alliance(conn, alliance)?
            .map(|a| a.lead_enterprise_id)
            .filter(|lead| *lead != row.enterprise_id),
        (Grade::General, ..) => None,
    };
    let mut people = match reviewing {
        Some(enterprise) => enterprise_users(conn, enterprise)?,
        None => regulators_over(conn, row.region_id, row.industry_id)?,
    };
    let own = enterprise_users(conn, row.enterprise_id)?;
    people.retain(|u| !own.contains(u));
    Ok(people)
}

/// A finding moved by `action` (`row` as it was before; `deadline` as it is after).
pub fn transitioned(
    conn: &mut AnyConnection,
    row: &FindingRow,
    action: Action,
    deadline: Option<NaiveDate>,
    (note, asked): (&str, Option<NaiveDate>),
    actor: UserId,
) -> AppResult<()> {
    let about = |kind, due| notice(kind, row.id, &row.title, due, note);
    match action {
        Action::SubmitRectification => {
            let people = reviewers(conn, row)?;
            tell(
                conn,
                people,
                actor,
                about(Kind::FindingAwaitingReview, None),
            )
        }
        Action::RequestExtension => {
            let people = reviewers(conn, row)?;
            tell(conn, people, actor, about(Kind::ExtensionRequested, asked))
        }
        Action::Reject => {
            let people = enterprise_users(conn, row.enterprise_id)?;
            tell(conn, people, actor, about(Kind::FindingRejected, deadline))
        }
        Action::Accept => {
            let mut people = enterprise_users(conn, row.enterprise_id)?;
            people.extend(active(conn, &[row.reported_by])?);
            tell(conn, people, actor, about(Kind::FindingClosed, None))
        }
        Action::GrantExtension => {
            let people = enterprise_users(conn, row.enterprise_id)?;
            tell(conn, people, actor, about(Kind::ExtensionGranted, deadline))
        }
        Action::RefuseExtension => {
            let people = enterprise_users(conn, row.enterprise_id)?;
            tell(conn, people, actor, about(Kind::ExtensionRefused, deadline))
        }
        Action::Report | Action::StartRectification | Action::Void | Action::Share => Ok(()),
    }
}
