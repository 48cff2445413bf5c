//! Login throttling with back-off, per account and per client address. The counters live in the
//! database, so every instance behind the load balancer sees the same ones.
//!
//! An account gets `ACCOUNT_FREE` failed attempts, an address `ADDRESS_FREE`; after that each
//! further failure locks the key for 2^k seconds (k = failures past the free ones), at most
//! 15 minutes. While locked, even the right password answers 429 with `Retry-After`. Counters
//! are forgotten 15 minutes after the last failure; a successful login clears the account's.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::login_throttle;
use crate::db::AnyConnection;
use crate::error::AppResult;

pub const ACCOUNT_FREE: i32 = 5;
pub const ADDRESS_FREE: i32 = 20;
const MAX_LOCK_SECS: i64 = 15 * 60;
const FORGET_AFTER_SECS: i64 = 15 * 60;

pub fn account_key(email: &str) -> String {
    format!("account:{}", crate::auth::user::normalize_email(email))
}

pub fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// Seconds until the longest lock among `keys` ends, if any is locked.
pub fn locked_for(
    conn: &mut AnyConnection,
    keys: &[String],
    now: NaiveDateTime,
) -> AppResult<Option<u64>> {
    let until: Vec<Option<NaiveDateTime>> = login_throttle::table
        .filter(login_throttle::key.eq_any(keys))
        .select(login_throttle::locked_until)
        .load(conn)?;
    Ok(until
        .into_iter()
        .flatten()
        .filter(|u| *u > now)
        // Rounded up, so that a client waiting `Retry-After` seconds is never early.
        .map(|u| (((u - now).num_milliseconds() + 999) / 1000).max(1) as u64)
        .max())
}

/// Counts one failure against `key`, locking it once past `free` failures.
pub fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    free: i32,
    now: NaiveDateTime,
) -> AppResult<()> {
    // Forget stale counters, so that guessing with ever new emails cannot grow the table without
    // bound; a lock never outlives this window.
    let horizon = now - Duration::seconds(FORGET_AFTER_SECS.max(MAX_LOCK_SECS));
    diesel::delete(login_throttle::table.filter(login_throttle::last_failure_at.lt(horizon)))
        .execute(conn)?;
    let current: Option<(i32, NaiveDateTime)> = login_throttle::table
        .find(key)
        .select((login_throttle::failures, login_throttle::last_failure_at))
        .first(conn)
        .optional()?;
    let failures = match current {
        Some((n, last)) if now - last < Duration::seconds(FORGET_AFTER_SECS) => n + 1,
        _ => 1,
    };
    let locked_until = (failures > free).then(|| {
        let exp = (failures - free).min(20) as u32;
        now + Duration::seconds(2i64.pow(exp).min(MAX_LOCK_SECS))
    });
    if current.is_some() {
        diesel::update(login_throttle::table.find(key))
            .set((
                login_throttle::failures.eq(failures),
                login_throttle::last_failure_at.eq(now),
                login_throttle::locked_until.eq(locked_until),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(login_throttle::table)
            .values((
                login_throttle::key.eq(key),
                login_throttle::failures.eq(failures),
                login_throttle::last_failure_at.eq(now),
                login_throttle::locked_until.eq(locked_until),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clear(conn: &mut AnyConnection, key: &str) -> AppResult<()> {
    diesel::delete(login_throttle::table.find(key)).execute(conn)?;
    Ok(())
}
