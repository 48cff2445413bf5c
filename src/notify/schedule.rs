//! The scheduler, inside `serve` (no cron): every minute, and at once when it starts, it walks
//! the deadline ladder of open findings ([`ladder`]), reminds those who must attend an event the
//! day before, and sends the daily digests. It reads the platform's calendar day
//! ([`crate::db::types::today`], which an administrator may move when the clock is settable), so
//! tests and trials can step across deadlines. Everything it sends is keyed in `reminders`:
//! catching up after downtime, or two instances at once, sends nothing twice.

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;

use crate::db::ids::UserId;
use crate::db::schema::{notification_prefs, notifications, reminders};
use crate::db::types::{local, start_of_local_day};
use crate::db::{AnyConnection, Db};
use crate::error::AppResult;
use crate::findings::model::FindingId;
use crate::notify::ladder::{self, Rung};
use crate::notify::{outbox, prefs, Kind};

/// What one tick sent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Rungs of the deadline ladder sent.
    pub rungs: usize,
    /// Event reminders sent.
    pub events: usize,
    /// Digests queued.
    pub digests: usize,
    /// Sent outbox rows removed (older than [`KEEP_SENT_DAYS`]).
    pub pruned: usize,
    /// Uploaded files never committed, forgotten after
    /// [`crate::onboarding::KEEP_UNCOMMITTED_DAYS`].
    pub imports_pruned: usize,
}

/// How long a sent mail or robot post stays in the outbox (the administrator's record of it).
pub const KEEP_SENT_DAYS: i64 = 90;

/// The hour (Beijing time) from which the day's digests go out.
pub const DIGEST_HOUR: u32 = 7;

/// One pass: everything due on `today` (at `at`, for the digests' hour).
pub async fn tick(db: &Db, today: NaiveDate, at: NaiveDateTime) -> AppResult<Tick> {
    let mut done = Tick::default();
    let ladder = db.run(ladder::get).await?;
    let mut after = FindingId(0);
    loop {
        let ladder_now = ladder.clone();
        let page = db
            .run(move |c| {
                let rows = ladder::candidates(c, today, &ladder_now, (after, 200))?;
                let ids: Vec<i64> = rows.iter().map(|r| r.id.0).collect();
                let sent: Vec<String> = reminders::table
                    .filter(reminders::finding_id.eq_any(ids))
                    .select(reminders::key)
                    .load(c)?;
                Ok((rows, sent))
            })
            .await?;
        let (rows, sent) = page;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for row in rows {
            let (Some(deadline), Some(r)) = (
                row.deadline,
                ladder.iter().find(|r| r.grade == row.grade).copied(),
            ) else {
                continue;
            };
            for rung in ladder::due_rungs(row.grade, deadline, today, r) {
                if sent.contains(&ladder::key(row.id, rung, deadline, today)) {
                    continue;
                }
                let row = row.clone();
                if db
                    .write(move |c| ladder::send(c, &row, (rung, deadline, today)))
                    .await?
                    .is_some()
                {
                    done.rungs += 1;
                }
            }
        }
    }
    done.events = events(db, today).await?;
    let keep = chrono::Duration::days(KEEP_SENT_DAYS);
    done.pruned = db.write(move |c| outbox::prune(c, at, keep)).await?;
    let keep = chrono::Duration::days(crate::onboarding::KEEP_UNCOMMITTED_DAYS);
    done.imports_pruned = db
        .write(move |c| crate::onboarding::prune(c, at, keep))
        .await?;
    if local(at).hour() >= DIGEST_HOUR {
        done.digests = digests(db, today).await?;
    }
    Ok(done)
}

/// Reminds of the events beginning tomorrow (or today, when the eve was missed).
async fn events(db: &Db, today: NaiveDate) -> AppResult<usize> {
    // Not those begun already (an event moved is reminded again for its new day).
    let window = (
        start_of_local_day(today).max(crate::db::types::now()),
        start_of_local_day(today + Duration::days(2)),
    );
    let soon = db
        .run(move |c| crate::events::notices::beginning(c, window))
        .await?;
    let mut sent = 0;
    for (id, _, starts_at) in soon {
        let day = local(starts_at).date_naive();
        let key = format!("event:{}:{}:{day}", id.0, Rung::EventEve.as_str());
        let told = db
            .write(move |c| {
                if !ladder::mark(c, &key, (None, Some(id.0)), Rung::EventEve, day)? {
                    return Ok(false);
                }
                let told = crate::events::notices::remind(c, id)?;
                ladder::told(c, &key, told)?;
                Ok(true)
            })
            .await?;
        sent += usize::from(told);
    }
    Ok(sent)
}

/// Queues today's digest to each person who asked for one and has messages it gathers.
async fn digests(db: &Db, today: NaiveDate) -> AppResult<usize> {
    let people: Vec<UserId> = db
        .run(|c| {
            Ok(notification_prefs::table
                .filter(notification_prefs::digest.eq(true))
                .select(notification_prefs::user_id)
                .load(c)?)
        })
        .await?;
    let mut sent = 0;
    for user in people {
        let queued = db.write(move |c| digest(c, user, today)).await?;
        sent += usize::from(queued);
    }
    Ok(sent)
}

/// `user`'s digest of `today`, unless sent: the messages since the last one that may wait.
pub fn digest(conn: &mut AnyConnection, user: UserId, today: NaiveDate) -> AppResult<bool> {
    let key = format!("digest:{}:{today}", user.0);
    let Some(wants) = prefs::of(conn, &[user])?.pop().map(|(_, p)| p) else {
        return Ok(false);
    };
    let upto: i64 = notification_prefs::table
        .find(user)
        .select(notification_prefs::digest_upto)
        .first(conn)?;
    let fresh: Vec<(i64, Kind, bool)> = notifications::table
        .filter(notifications::user_id.eq(user))
        .filter(notifications::id.gt(upto))
        .order(notifications::id.asc())
        .select((
            notifications::id,
            notifications::kind,
            notifications::mailed,
        ))
        .load(conn)?;
    let Some(newest) = fresh.last().map(|f| f.0) else {
        return Ok(false);
    };
    // What was mailed at once (mandatory, major) is not mailed again.
    let items: Vec<i64> = fresh
        .iter()
        .filter(|(_, kind, mailed)| !mailed && wants.digests(*kind))
        .map(|f| f.0)
        .collect();
    let sent = !items.is_empty() && ladder::mark(conn, &key, (None, None), Rung::Digest, today)?;
    if sent {
        outbox::digest(conn, user, &items)?;
    }
    if sent || items.is_empty() {
        diesel::update(notification_prefs::table.find(user))
            .set(notification_prefs::digest_upto.eq(newest))
            .execute(conn)?;
    }
    Ok(sent)
}

/// The days the platform's calendar is moved, as stored (0 when never moved).
pub fn stored_days(conn: &mut AnyConnection) -> AppResult<i64> {
    use crate::db::schema::platform_clock;
    let days: Option<i64> = platform_clock::table
        .find(1)
        .select(platform_clock::days_moved)
        .first(conn)
        .optional()?;
    Ok(days.unwrap_or(0))
}

/// Stores the days the platform's calendar is moved (every instance follows within seconds).
pub fn store_days(conn: &mut AnyConnection, days: i64) -> AppResult<()> {
    use crate::db::schema::platform_clock;
    let at = crate::db::types::now();
    let updated = diesel::update(platform_clock::table.find(1))
        .set((
            platform_clock::days_moved.eq(days),
            platform_clock::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(platform_clock::table)
            .values((
                platform_clock::id.eq(1),
                platform_clock::days_moved.eq(days),
                platform_clock::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Runs the scheduler every `every` until the process ends; `wake` runs it at once (the clock
/// was moved here). With a settable clock it also follows, within two seconds, the calendar
/// another instance moved.
pub async fn run(
    db: Db,
    every: std::time::Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
    settable: bool,
) {
    let mut due = true;
    let mut last = std::time::Instant::now();
    loop {
        if settable {
            match db.run(stored_days).await {
                Ok(days) if days != crate::db::types::days_moved() => {
                    crate::db::types::set_days_moved(days);
                    due = true;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reading the clock failed"),
            }
        }
        if due || last.elapsed() >= every {
            due = false;
            last = std::time::Instant::now();
            let today = crate::db::types::today();
            match tick(&db, today, crate::db::types::now()).await {
                Ok(t) if t != Tick::default() => tracing::info!(
                    rungs = t.rungs,
                    events = t.events,
                    digests = t.digests,
                    pruned = t.pruned,
                    imports_pruned = t.imports_pruned,
                    %today,
                    "reminders sent"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed; trying again"),
            }
        }
        let nap = if settable {
            every.min(std::time::Duration::from_secs(2))
        } else {
            every
        };
        tokio::select! {
            _ = tokio::time::sleep(nap) => {}
            _ = wake.notified() => due = true,
        }
    }
}
