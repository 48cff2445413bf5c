//! Login throttling with back-off. The counters live in the database, so every instance behind
//! the load balancer sees the same ones, and each attempt is counted before its password is
//! checked (the row is locked while it is counted), so parallel guesses cannot slip past.
//!
//! Three counters, each with attempts that are free before back-off begins:
//! - *account at address* (`PAIR_FREE`, 5): a guesser at one place;
//! - *address* (`ADDRESS_FREE`, 20): one place guessing many accounts;
//! - *account* (`ACCOUNT_FREE`, 50): many places guessing one account.
//!
//! Past its free attempts a counter admits one more attempt and then locks for 2^k seconds
//! (k = attempts past the free ones, at most 15 minutes); when the lock ends, one attempt is
//! admitted again and the next lock is longer. Refused attempts (429 with `Retry-After`) are
//! counted nowhere, so hammering a lock neither lengthens it nor raises another counter. Counters
//! are forgotten 6 hours after their last attempt (well past the longest lock, so that waiting
//! a lock out does not wipe the back-off). A successful login clears the account-at-address and account counters and
//! gives the address its attempt back.
//!
//! So that a guesser cannot lock the owner out, an address the account logged in from before
//! (remembered for 90 days) is not held to the account counter: the owner keeps logging in from
//! the usual office while someone elsewhere guesses. Only its own account-at-address counter
//! applies there.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::schema::login_throttle;
use crate::db::AnyConnection;
use crate::error::AppResult;

pub const PAIR_FREE: i32 = 5;
pub const ADDRESS_FREE: i32 = 20;
pub const ACCOUNT_FREE: i32 = 50;
const MAX_LOCK_SECS: i64 = 15 * 60;
/// Well beyond the longest lock, so that waiting a lock out does not also wipe the back-off.
const FORGET_AFTER_SECS: i64 = 6 * 3600;
const KNOWN_FOR_DAYS: i64 = 90;

/// The counters one login attempt touches.
pub struct Keys {
    pair: String,
    address: String,
    account: String,
    known: String,
}

impl Keys {
    pub fn new(email: &str, address: &str) -> Self {
        let account = crate::auth::user::normalize_email(email);
        Self {
            pair: format!("pair:{account}|{address}"),
            address: format!("address:{address}"),
            known: format!("known:{account}|{address}"),
            account: format!("account:{account}"),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = login_throttle)]
struct Counter {
    failures: i32,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
}

/// The counter of `key`, created if missing and locked for this transaction.
fn counter(conn: &mut AnyConnection, key: &str, now: NaiveDateTime) -> AppResult<Counter> {
    let insert = "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES ($1, 0, $2) \
                  ON CONFLICT (key) DO NOTHING";
    let query = || login_throttle::table.find(key.to_string());
    Ok(match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query(insert)
                .bind::<Text, _>(key)
                .bind::<Timestamp, _>(now)
                .execute(pg)?;
            query()
                .select(Counter::as_select())
                .for_update()
                .first(pg)?
        }
        AnyConnection::Sqlite(lite) => {
            // The write transaction (BEGIN IMMEDIATE) holds SQLite's only write lock already.
            diesel::sql_query(insert)
                .bind::<Text, _>(key)
                .bind::<Timestamp, _>(now)
                .execute(lite)?;
            query().select(Counter::as_select()).first(lite)?
        }
    })
}

/// How long `c` is still locked, in whole seconds (rounded up, so that a client waiting
/// `Retry-After` seconds is never early).
fn wait(c: &Counter, now: NaiveDateTime) -> Option<u64> {
    c.locked_until
        .filter(|until| *until > now && !stale(c, now))
        .map(|until| (((until - now).num_milliseconds() + 999) / 1000).max(1) as u64)
}

fn stale(c: &Counter, now: NaiveDateTime) -> bool {
    now - c.last_failure_at >= Duration::seconds(FORGET_AFTER_SECS)
}

/// Counts one attempt against `key` (whose counter `c` is locked for this transaction); the
/// counter locks behind this attempt once past `free`.
fn count(
    conn: &mut AnyConnection,
    key: &str,
    c: &Counter,
    free: i32,
    now: NaiveDateTime,
) -> AppResult<()> {
    let attempts = if stale(c, now) { 1 } else { c.failures + 1 };
    let locked_until = (attempts > free).then(|| {
        let exp = (attempts - free).min(20) as u32;
        now + Duration::seconds(2i64.pow(exp).min(MAX_LOCK_SECS))
    });
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(attempts),
            login_throttle::last_failure_at.eq(now),
            login_throttle::locked_until.eq(locked_until),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether the account logged in from this address before (within 90 days).
fn known(conn: &mut AnyConnection, keys: &Keys, now: NaiveDateTime) -> AppResult<bool> {
    let seen: Option<NaiveDateTime> = login_throttle::table
        .find(&keys.known)
        .select(login_throttle::last_failure_at)
        .first(conn)
        .optional()?;
    Ok(seen.is_some_and(|at| now - at < Duration::days(KNOWN_FOR_DAYS)))
}

/// Counts one login attempt before its password is checked. `Err(seconds)` when a counter is
/// locked: refuse with 429 and `Retry-After`, without checking the password. Call in a write
/// transaction of its own, committed before the (slow) password check.
pub fn admit(
    conn: &mut AnyConnection,
    keys: &Keys,
    now: NaiveDateTime,
) -> AppResult<Result<(), u64>> {
    forget_stale(conn, now)?;
    let mut checks = vec![(&keys.pair, PAIR_FREE), (&keys.address, ADDRESS_FREE)];
    if !known(conn, keys, now)? {
        checks.push((&keys.account, ACCOUNT_FREE));
    }
    // Every counter is read (and locked) first: if one is locked, the attempt is refused and
    // counted nowhere, so hammering a lock raises no other counter.
    let mut counters = Vec::with_capacity(checks.len());
    for (key, free) in checks {
        counters.push((key, free, counter(conn, key, now)?));
    }
    if let Some(secs) = counters.iter().filter_map(|(_, _, c)| wait(c, now)).max() {
        return Ok(Err(secs));
    }
    for (key, free, c) in &counters {
        count(conn, key, c, *free, now)?;
    }
    Ok(Ok(()))
}

/// A login succeeded: clear the account's counters, give the address its attempt back, and
/// remember the address as one the account uses.
pub fn succeeded(conn: &mut AnyConnection, keys: &Keys, now: NaiveDateTime) -> AppResult<()> {
    diesel::delete(
        login_throttle::table.filter(login_throttle::key.eq_any([&keys.pair, &keys.account])),
    )
    .execute(conn)?;
    diesel::update(login_throttle::table.find(&keys.address))
        .filter(login_throttle::failures.gt(0))
        .set(login_throttle::failures.eq(login_throttle::failures - 1))
        .execute(conn)?;
    counter(conn, &keys.known, now)?;
    diesel::update(login_throttle::table.find(&keys.known))
        .set(login_throttle::last_failure_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Forgets counters idle for 6 hours and addresses unused for 90 days, so that guessing with
/// ever new emails cannot grow the table without bound; a lock never outlives this window.
fn forget_stale(conn: &mut AnyConnection, now: NaiveDateTime) -> AppResult<()> {
    let horizon = now - Duration::seconds(FORGET_AFTER_SECS.max(MAX_LOCK_SECS));
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.lt(horizon))
            .filter(login_throttle::key.not_like("known:%")),
    )
    .execute(conn)?;
    diesel::delete(
        login_throttle::table
            .filter(login_throttle::last_failure_at.lt(now - Duration::days(KNOWN_FOR_DAYS)))
            .filter(login_throttle::key.like("known:%")),
    )
    .execute(conn)?;
    Ok(())
}
