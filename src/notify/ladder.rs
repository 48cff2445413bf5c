//! The deadline ladder for findings, per grade (set by a district regulator): a reminder to the
//! responsible enterprise N days before the deadline and on the day; overdue, the enterprise and
//! its alliance's lead; M days more, the street's regulators; a major hazard overdue, the
//! regulators every day until it is closed (挂牌督办). Group robots of the alliance and region
//! hear of every overdue rung.
//!
//! Each rung is sent once: its key (finding, rung, deadline — or day, for the daily one) is
//! written in [`reminders`] in the transaction that tells, so a scheduler catching up after
//! downtime, or two instances ticking at once, send nothing twice. A rung missed while the
//! platform was down is sent late only while it still means something (no reminder for a day
//! already past); the daily rung is sent for today, not for each day missed.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Policy;
use crate::db::ids::UserId;
use crate::db::schema::{deadline_ladder, findings, regions, reminders, users};
use crate::db::types::{local, now};
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, Validator};
use crate::findings::model::{FindingId, FindingRow, Grade};
use crate::message::msg;
use crate::notify::recipients::{enterprise_users, regulators_over};
use crate::notify::{self, Kind, Notice};

/// The ladder of one grade.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Rungs {
    /// `general` or `major`.
    #[schema(value_type = String)]
    pub grade: Grade,
    /// Days before the deadline the enterprise is reminded (0: only on the day), 0–60.
    pub remind_days: i32,
    /// Days overdue after which the street regulators are told, 0–60.
    pub escalate_days: i32,
}

/// The ladder to store: both grades.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LadderInput {
    pub general: RungsInput,
    pub major: RungsInput,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RungsInput {
    pub remind_days: i32,
    pub escalate_days: i32,
}

/// The ladder of both grades.
pub fn get(conn: &mut AnyConnection) -> AppResult<Vec<Rungs>> {
    let rows: Vec<(Grade, i32, i32)> = deadline_ladder::table
        .order(deadline_ladder::grade.asc())
        .select((
            deadline_ladder::grade,
            deadline_ladder::remind_days,
            deadline_ladder::escalate_days,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(grade, remind_days, escalate_days)| Rungs {
            grade,
            remind_days,
            escalate_days,
        })
        .collect())
}

pub fn check(input: &LadderInput) -> AppResult<()> {
    let mut v = Validator::new();
    for (grade, r) in [("general", input.general), ("major", input.major)] {
        for (field, value) in [
            ("remind_days", r.remind_days),
            ("escalate_days", r.escalate_days),
        ] {
            v.check(
                (0..=60).contains(&value),
                &format!("{grade}.{field}"),
                msg::BETWEEN.with("min", 0).with("max", 60),
            );
        }
    }
    v.finish()
}

/// May the caller set the ladder: an administrator, or a regulator of a whole district.
pub fn may_set(conn: &mut AnyConnection, policy: &Policy) -> AppResult<bool> {
    if policy.is_admin() {
        return Ok(true);
    }
    let actor = &policy.actor;
    if !policy.is_regulator() || actor.industry_id.is_some() {
        return Ok(false);
    }
    let Some(region) = actor.region_id else {
        return Ok(false);
    };
    let level: Option<String> = regions::table
        .find(region)
        .select(regions::level)
        .first(conn)
        .optional()?;
    Ok(level.as_deref() == Some("district"))
}

pub fn set(
    conn: &mut AnyConnection,
    policy: &Policy,
    input: &LadderInput,
) -> AppResult<Vec<Rungs>> {
    if !may_set(conn, policy)? {
        return Err(AppError::Forbidden(
            "Only a district regulator sets the deadline ladder.".into(),
        ));
    }
    for (grade, r) in [(Grade::General, input.general), (Grade::Major, input.major)] {
        diesel::update(deadline_ladder::table.find(grade))
            .set((
                deadline_ladder::remind_days.eq(r.remind_days),
                deadline_ladder::escalate_days.eq(r.escalate_days),
                deadline_ladder::updated_by.eq(Some(policy.actor.id)),
                deadline_ladder::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    let set = get(conn)?;
    crate::audit::record(
        conn,
        Some(policy.actor.id),
        "deadline_ladder.set",
        "deadline_ladder",
        None,
        serde_json::to_value(&set).unwrap_or_default(),
    )?;
    Ok(set)
}

crate::text_enum! {
    /// A rung of the ladder (or of an event's reminder).
    pub enum Rung {
        /// Some days before the deadline.
        Remind = "remind",
        /// On the deadline day.
        DueToday = "due_today",
        /// Past the deadline: the enterprise and its alliance's lead.
        Overdue = "overdue",
        /// Overdue for days more: the street regulators.
        Escalated = "escalated",
        /// A major hazard overdue: the regulators, every day (挂牌督办).
        Supervised = "supervised",
        /// The day before an event.
        EventEve = "event_eve",
        /// A person's daily digest.
        Digest = "digest",
    }
}

/// A rung sent, as the finding's timeline shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Reminder {
    /// `remind`, `due_today`, `overdue`, `escalated` or `supervised`.
    #[schema(value_type = String)]
    pub rung: Rung,
    /// The deadline it was about (or the day, for `supervised`).
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    /// How many people were told.
    pub told: i32,
    pub at: chrono::DateTime<chrono::FixedOffset>,
}

/// The rungs sent about a finding, oldest first.
pub fn of_finding(conn: &mut AnyConnection, id: FindingId) -> AppResult<Vec<Reminder>> {
    let rows: Vec<(Rung, NaiveDate, i32, chrono::NaiveDateTime)> = reminders::table
        .filter(reminders::finding_id.eq(id.0))
        .order(reminders::created_at.asc())
        .select((
            reminders::rung,
            reminders::day,
            reminders::told,
            reminders::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(rung, day, told, at)| Reminder {
            rung,
            day,
            told,
            at: local(at),
        })
        .collect())
}

/// Records a rung once: false if it was already sent (by this instance or another).
pub fn mark(
    conn: &mut AnyConnection,
    key: &str,
    (finding, event): (Option<i64>, Option<i64>),
    rung: Rung,
    day: NaiveDate,
) -> AppResult<bool> {
    let inserted = diesel::sql_query(
        "INSERT INTO reminders (key, finding_id, event_id, rung, day, told, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (key) DO NOTHING",
    )
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, _>(finding)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, _>(event)
    .bind::<diesel::sql_types::Text, _>(rung.as_str())
    .bind::<diesel::sql_types::Date, _>(day)
    .bind::<diesel::sql_types::Timestamp, _>(now())
    .execute(conn)?;
    Ok(inserted == 1)
}

/// Notes how many were told by the rung `key`.
pub fn told(conn: &mut AnyConnection, key: &str, people: usize) -> AppResult<()> {
    diesel::update(reminders::table.find(key))
        .set(reminders::told.eq(people as i32))
        .execute(conn)?;
    Ok(())
}

/// How late an overdue or escalation rung is still sent when the scheduler catches up (after
/// downtime, or on hazards brought in from before the platform): older ones were the business
/// of their own days, and a district's history must not flood everyone's mail at once.
pub const CATCH_UP_DAYS: i64 = 30;

/// The rungs a finding with `deadline` is due on `today`, by the ladder `r`.
pub fn due_rungs(grade: Grade, deadline: NaiveDate, today: NaiveDate, r: Rungs) -> Vec<Rung> {
    let mut due = Vec::new();
    let late = |since: NaiveDate| today > since && (today - since).num_days() <= CATCH_UP_DAYS;
    let escalate_after = deadline + Duration::days(i64::from(r.escalate_days));
    if today < deadline {
        if today >= deadline - Duration::days(i64::from(r.remind_days)) && r.remind_days > 0 {
            due.push(Rung::Remind);
        }
    } else if today == deadline {
        due.push(Rung::DueToday);
    } else {
        if late(deadline) {
            due.push(Rung::Overdue);
        }
        if late(escalate_after) {
            due.push(Rung::Escalated);
        }
        if grade == Grade::Major {
            due.push(Rung::Supervised);
        }
    }
    due
}

/// The key of a rung: once per deadline (an extension starts the ladder again), once a day for
/// the daily one.
pub fn key(id: FindingId, rung: Rung, deadline: NaiveDate, today: NaiveDate) -> String {
    match rung {
        Rung::Supervised => format!("finding:{}:{}:{today}", id.0, rung.as_str()),
        _ => format!("finding:{}:{}:{deadline}", id.0, rung.as_str()),
    }
}

/// The street's regulators over a finding (those of its own region), else any over it.
fn street_regulators(conn: &mut AnyConnection, row: &FindingRow) -> AppResult<Vec<UserId>> {
    let over = regulators_over(conn, row.region_id, row.industry_id)?;
    let here: Vec<UserId> = users::table
        .filter(users::id.eq_any(over.clone()))
        .filter(users::region_id.eq(Some(row.region_id)))
        .select(users::id)
        .load(conn)?;
    Ok(if here.is_empty() { over } else { here })
}

/// Sends rung `rung` about `row` (its deadline `deadline`) on `today` unless it was sent;
/// returns how many were told (None: sent before).
pub fn send(
    conn: &mut AnyConnection,
    row: &FindingRow,
    (rung, deadline, today): (Rung, NaiveDate, NaiveDate),
) -> AppResult<Option<usize>> {
    let key = key(row.id, rung, deadline, today);
    let day = if rung == Rung::Supervised {
        today
    } else {
        deadline
    };
    if !mark(conn, &key, (Some(row.id.0), None), rung, day)? {
        return Ok(None);
    }
    let (kind, people) = match rung {
        Rung::Remind => (
            Kind::DeadlineNear,
            enterprise_users(conn, row.enterprise_id)?,
        ),
        Rung::DueToday => (
            Kind::DeadlineToday,
            enterprise_users(conn, row.enterprise_id)?,
        ),
        Rung::Overdue => {
            let mut people = enterprise_users(conn, row.enterprise_id)?;
            if let Some(alliance) = row.alliance_id {
                if let Some(a) = crate::org::store::alliance(conn, alliance)? {
                    people.extend(enterprise_users(conn, a.lead_enterprise_id)?);
                }
            }
            (Kind::FindingOverdue, people)
        }
        Rung::Escalated => (Kind::FindingEscalated, street_regulators(conn, row)?),
        Rung::Supervised | Rung::EventEve | Rung::Digest => (
            Kind::MajorOverdue,
            regulators_over(conn, row.region_id, row.industry_id)?,
        ),
    };
    let notice = Notice {
        kind,
        subject: row.title.trim().to_string(),
        link: format!("/findings/{}", row.id),
        due_on: Some(deadline),
        note: String::new(),
    };
    // Every message about a major hazard is mailed, whatever the reader muted.
    let told = notify::store::tell_with(conn, &people, &notice, row.grade == Grade::Major)?;
    // The work group hears once a day at most: of a major hazard the daily rung, of another
    // its overdue and escalation.
    let robots = match row.grade {
        Grade::Major => rung == Rung::Supervised,
        Grade::General => kind.mandatory(),
    };
    if robots {
        notify::webhooks::post(conn, row.alliance_id, row.region_id, &notice)?;
    }
    self::told(conn, &key, told)?;
    Ok(Some(told))
}

/// The open findings with a deadline whose ladder may have a rung due on `today`, after `after`
/// (by id), at most `limit`.
pub fn candidates(
    conn: &mut AnyConnection,
    today: NaiveDate,
    ladder: &[Rungs],
    (after, limit): (FindingId, i64),
) -> AppResult<Vec<FindingRow>> {
    let reach = ladder.iter().map(|r| r.remind_days).max().unwrap_or(0);
    let open: Vec<&str> = crate::oversight::figures::OVERDUE_STATES.to_vec();
    // Past the catch-up window only a major hazard has a rung left (the daily one).
    let oldest = today - Duration::days(CATCH_UP_DAYS + 61);
    Ok(findings::table
        .filter(findings::state.eq_any(open))
        .filter(findings::deadline.le(today + Duration::days(i64::from(reach))))
        .filter(
            findings::deadline
                .ge(oldest)
                .or(findings::grade.eq(Grade::Major)),
        )
        .filter(findings::id.gt(after))
        .order(findings::id.asc())
        .limit(limit)
        .select(FindingRow::as_select())
        .load(conn)?)
}
