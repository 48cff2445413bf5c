//! Check-in and attendance: the signed code the organizer shows (as a QR), registered people
//! checking themselves in with it during the event, the organizer checking people in by hand
//! (walk-ins too), and the attendance list with the required enterprises that did not come.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::access::Policy;
use crate::audit;
use crate::auth::token::TokenKeys;
use crate::auth::{user, Role};
use crate::db::schema::attendances;
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::events::model::*;
use crate::events::{service, store};
use crate::message::msg;
use crate::org::store as org;

/// Minutes before the start and after the end during which the code works.
pub const GRACE_MINUTES: i64 = 30;

crate::text_enum! {
    /// How someone was checked in.
    pub enum Method {
        Code = "code",
        Organizer = "organizer",
    }
}

/// The code the organizer shows at the venue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInCode {
    pub token: String,
    /// The check-in page this code opens (what the QR holds, without the host).
    pub url: String,
    pub valid_from: chrono::DateTime<chrono::FixedOffset>,
    pub valid_until: chrono::DateTime<chrono::FixedOffset>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInRequest {
    pub token: String,
}

/// Someone the organizer checks in: a user of a member enterprise, or a walk-in by name.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualCheckIn {
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// For a walk-in without an account: the member enterprise and the name.
    #[serde(default)]
    pub enterprise_id: Option<EnterpriseId>,
    #[serde(default)]
    pub name: Option<String>,
}

/// One person who attended.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attendee {
    pub user_id: Option<UserId>,
    pub name: String,
    pub enterprise_id: EnterpriseId,
    pub enterprise_name: String,
    pub checked_in_at: chrono::DateTime<chrono::FixedOffset>,
    pub method: Method,
}

/// A required enterprise and how many of its people came.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Required {
    pub enterprise_id: EnterpriseId,
    pub enterprise_name: String,
    pub people: i32,
    pub attended: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attendance {
    pub items: Vec<Attendee>,
    /// Every required enterprise with its attendance; `absent` lists those with none.
    pub required: Vec<Required>,
    pub absent: Vec<EnterpriseId>,
}

fn window(row: &EventRow) -> (NaiveDateTime, NaiveDateTime) {
    let grace = Duration::minutes(GRACE_MINUTES);
    (row.starts_at - grace, row.ends_at + grace)
}

fn organized(conn: &mut AnyConnection, policy: &Policy, id: EventId) -> AppResult<EventRow> {
    let row = store::event(conn, id)?;
    let (row, _, organizes) = service::visible(conn, policy, row)?;
    if !organizes {
        return Err(AppError::Forbidden(
            "Only the event's organizers show its code and keep its attendance.".into(),
        ));
    }
    Ok(row)
}

pub fn code(
    conn: &mut AnyConnection,
    policy: &Policy,
    keys: &TokenKeys,
    id: EventId,
) -> AppResult<CheckInCode> {
    let row = organized(conn, policy, id)?;
    let (from, until) = window(&row);
    let token = keys.issue_check_in(
        id.0,
        from.and_utc().timestamp(),
        until.and_utc().timestamp(),
    );
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    Ok(CheckInCode {
        url: format!("/events/{id}/check-in?token={encoded}"),
        token,
        valid_from: local(from),
        valid_until: local(until),
    })
}

/// The code as a QR image (SVG) holding `base` (scheme and host) followed by the page's path.
pub fn qr_svg(code: &CheckInCode, base: &str) -> AppResult<String> {
    let data = format!("{base}{}", code.url);
    let qr = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(AppError::internal)?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build())
}

fn already(conn: &mut AnyConnection, id: EventId, user: UserId) -> AppResult<bool> {
    let n: i64 = attendances::table
        .filter(attendances::event_id.eq(id))
        .filter(attendances::user_id.eq(user))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn insert(
    conn: &mut AnyConnection,
    id: EventId,
    (enterprise, user, name): (EnterpriseId, Option<UserId>, &str),
    method: Method,
    by: UserId,
) -> AppResult<()> {
    diesel::insert_into(attendances::table)
        .values((
            attendances::event_id.eq(id),
            attendances::enterprise_id.eq(enterprise),
            attendances::user_id.eq(user),
            attendances::name.eq(name),
            attendances::method.eq(method),
            attendances::checked_in_at.eq(now()),
            attendances::checked_in_by.eq(by),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(by),
        "event_check_in",
        "event",
        Some(id.0),
        json!({"enterprise_id": enterprise, "user_id": user, "name": name, "method": method}),
    )?;
    Ok(())
}

/// A registered person checks in with the code shown at the venue. Checking in twice is
/// answered like the first time.
pub fn check_in(
    conn: &mut AnyConnection,
    policy: &Policy,
    keys: &TokenKeys,
    id: EventId,
    token: &str,
) -> AppResult<()> {
    // Locked: two taps (or the organizer at the same moment) check in once.
    let row = store::event_for_update(conn, id)?;
    let (row, _, _) = service::visible(conn, policy, row)?;
    let (event, from, until) = keys
        .read_check_in(token.trim())
        .ok_or_else(|| AppError::field("token", msg::CHECK_IN_CODE_INVALID))?;
    if event != id.0 {
        return Err(AppError::field("token", msg::CHECK_IN_CODE_OTHER_EVENT));
    }
    let at = now().and_utc().timestamp();
    let (open, close) = window(&row);
    if at < from.max(open.and_utc().timestamp()) || at > until.min(close.and_utc().timestamp()) {
        return Err(AppError::conflict(
            "check-in-closed",
            format!(
                "The check-in is open from {} to {}.",
                local(open).format("%Y-%m-%d %H:%M"),
                local(close).format("%Y-%m-%d %H:%M")
            ),
        ));
    }
    let me = policy.actor.id;
    let registered = store::registrations(conn, id, None)?
        .into_iter()
        .find(|r| r.0 == me);
    let Some((_, name, enterprise, _)) = registered else {
        return Err(AppError::Forbidden(
            "You are not registered for this event; the organizer checks in walk-ins.".into(),
        ));
    };
    if already(conn, id, me)? {
        return Ok(());
    }
    insert(conn, id, (enterprise, Some(me), &name), Method::Code, me)
}

/// The organizer checks someone in by hand (at any time from the code's opening on, so that a
/// paper sign-in sheet can be entered afterwards).
pub fn check_in_by_organizer(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: EventId,
    req: ManualCheckIn,
) -> AppResult<()> {
    // Locked: a hand check-in and a scan of the same person at once count once.
    store::event_for_update(conn, id)?;
    let row = organized(conn, policy, id)?;
    if now() < window(&row).0 {
        return Err(AppError::conflict(
            "check-in-closed",
            "The event has not begun yet.",
        ));
    }
    let members = org::alliance_member_set(conn, row.alliance_id)?;
    let mut v = Validator::new();
    match (req.user_id, req.enterprise_id, req.name.as_deref()) {
        (Some(u), None, None) => {
            let found = user::find(conn, u)?.filter(|r| {
                r.active
                    && r.role == Role::Enterprise
                    && r.enterprise_id.is_some_and(|e| members.contains(&e))
            });
            let Some(found) = found else {
                return Err(AppError::field(
                    "user_id",
                    msg::NOT_ENTERPRISE_USER.with("id", u),
                ));
            };
            if already(conn, id, u)? {
                return Ok(());
            }
            let enterprise = found.enterprise_id.unwrap_or_default();
            insert(
                conn,
                id,
                (enterprise, Some(u), &found.name),
                Method::Organizer,
                policy.actor.id,
            )
        }
        (None, Some(e), Some(name)) => {
            v.text("name", name, 100);
            v.check(
                members.contains(&e),
                "enterprise_id",
                msg::NOT_A_MEMBER_ID.with("id", e),
            );
            v.finish()?;
            // The same walk-in entered twice (a form sent again) counts once.
            let twice: i64 = attendances::table
                .filter(attendances::event_id.eq(id))
                .filter(attendances::enterprise_id.eq(e))
                .filter(attendances::user_id.is_null())
                .filter(attendances::name.eq(name.trim()))
                .count()
                .get_result(conn)?;
            if twice > 0 {
                return Ok(());
            }
            insert(
                conn,
                id,
                (e, None, name.trim()),
                Method::Organizer,
                policy.actor.id,
            )
        }
        _ => Err(AppError::field("enterprise_id", msg::USER_OR_WALK_IN)),
    }
}

pub fn attendance(conn: &mut AnyConnection, policy: &Policy, id: EventId) -> AppResult<Attendance> {
    let row = organized(conn, policy, id)?;
    type Row = (Option<UserId>, String, EnterpriseId, NaiveDateTime, Method);
    let rows: Vec<Row> = attendances::table
        .filter(attendances::event_id.eq(id))
        .order(attendances::id.asc())
        .select((
            attendances::user_id,
            attendances::name,
            attendances::enterprise_id,
            attendances::checked_in_at,
            attendances::method,
        ))
        .load(conn)?;
    let required: Vec<Requirement> = match row.required_all {
        // Those who were members when it began (not those who joined or left since).
        true => org::alliance_members_on(conn, row.alliance_id, local(row.starts_at).date_naive())?
            .into_iter()
            .map(|enterprise_id| Requirement {
                enterprise_id,
                people: 1,
            })
            .collect(),
        false => store::requirements(conn, id)?,
    };
    let mut ids: Vec<EnterpriseId> = rows.iter().map(|r| r.2).collect();
    ids.extend(required.iter().map(|r| r.enterprise_id));
    let names = org::enterprise_names(conn, &ids)?;
    let name = |e: &EnterpriseId| names.get(e).cloned().unwrap_or_default();
    let mut came: HashMap<EnterpriseId, i64> = HashMap::new();
    for r in &rows {
        *came.entry(r.2).or_default() += 1;
    }
    let required: Vec<Required> = required
        .iter()
        .map(|r| Required {
            enterprise_id: r.enterprise_id,
            enterprise_name: name(&r.enterprise_id),
            people: r.people,
            attended: came.get(&r.enterprise_id).copied().unwrap_or(0),
        })
        .collect();
    Ok(Attendance {
        absent: required
            .iter()
            .filter(|r| r.attended == 0)
            .map(|r| r.enterprise_id)
            .collect(),
        required,
        items: rows
            .into_iter()
            .map(|(user_id, person, enterprise_id, at, method)| Attendee {
                user_id,
                name: person,
                enterprise_name: name(&enterprise_id),
                enterprise_id,
                checked_in_at: local(at),
                method,
            })
            .collect(),
    })
}
