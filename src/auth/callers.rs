//! Resolved callers, kept while nothing they were resolved from has changed.
//!
//! Resolving a caller reads the user, the session and the scope the access policy needs
//! (memberships, led alliances, expert assignments, the region subtree). Those change rarely, and
//! every change moves the access epoch (one row, kept by triggers in the same transaction as the
//! change, whoever makes it: this server, another one, the command line, an import). A request
//! reads the epoch and, while it stands where it stood when the caller was resolved, takes the
//! caller from memory; otherwise everything is forgotten and read again. So a deactivated user, an
//! ended session or a changed membership takes effect on the next request, as without the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Scope;
use crate::auth::{session, user, Actor};
use crate::db::ids::UserId;
use crate::db::schema::access_epoch;
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};

/// How many sessions are kept at most; past it the cache starts over (a bound on memory, not an
/// eviction policy: a district has far fewer callers active at once).
const CAPACITY: usize = 20_000;

/// The callers resolved at the current access epoch.
#[derive(Default)]
pub struct Callers {
    inner: Mutex<Known>,
}

#[derive(Default)]
struct Known {
    epoch: i64,
    sessions: HashMap<(UserId, i64), (Actor, NaiveDateTime)>,
}

/// The access epoch now.
pub fn epoch(conn: &mut AnyConnection) -> AppResult<i64> {
    Ok(access_epoch::table
        .find(1)
        .select(access_epoch::value)
        .first(conn)?)
}

/// The caller as of now, inside a write transaction: as resolved when the request came in while
/// the access epoch has not moved since, else read again (the user still active, the session
/// still live, the scope as it now is), so a write that waited its turn never runs on rights
/// that ended while it waited.
pub fn current(conn: &mut AnyConnection, actor: Actor) -> AppResult<Actor> {
    if actor.scope.is_none() || epoch(conn)? == actor.epoch {
        return Ok(actor);
    }
    let ended = || AppError::Unauthorized("The session has ended; log in again.");
    let row = user::find(conn, actor.id)?
        .filter(|u| u.active)
        .ok_or_else(ended)?;
    if actor.session_id != 0 && session::live_until(conn, actor.session_id, actor.id)?.is_none() {
        return Err(ended());
    }
    let mut fresh = Actor::with_session(row, actor.session_id);
    fresh.unread = actor.unread;
    Ok(fresh)
}

impl Callers {
    /// The active user behind a live session, with its scope resolved; `None` if the user is
    /// inactive or gone or the session ended.
    pub fn resolve(
        &self,
        conn: &mut AnyConnection,
        user_id: UserId,
        session_id: i64,
    ) -> AppResult<Option<Actor>> {
        // The epoch is read first: whatever is read after it is at least as new, so an entry
        // stored under it is never older than the epoch says.
        let epoch = epoch(conn)?;
        let now = now();
        if let Some(actor) = self.recall(epoch, user_id, session_id, now) {
            metrics::counter!("access_callers_total", "from" => "memory").increment(1);
            return Ok(Some(actor));
        }
        metrics::counter!("access_callers_total", "from" => "database").increment(1);
        let Some(row) = user::find(conn, user_id)?.filter(|u| u.active) else {
            return Ok(None);
        };
        let Some(expires_at) = session::live_until(conn, session_id, user_id)? else {
            return Ok(None);
        };
        let mut actor = Actor::with_session(row, session_id);
        actor.scope = Some(Arc::new(Scope::resolve(conn, &actor)?));
        actor.epoch = epoch;
        self.remember(epoch, actor.clone(), expires_at);
        Ok(Some(actor))
    }

    fn recall(
        &self,
        epoch: i64,
        user_id: UserId,
        session_id: i64,
        now: NaiveDateTime,
    ) -> Option<Actor> {
        let mut known = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if known.epoch != epoch {
            // Something moved: start over at this epoch. (An epoch older than the one kept comes
            // from a request whose read raced a change, or from a restored database; starting
            // over is the safe side either way, since whatever is read after an epoch is at
            // least as new as it.)
            known.epoch = epoch;
            known.sessions.clear();
            return None;
        }
        match known.sessions.get(&(user_id, session_id)) {
            Some((actor, expires_at)) if *expires_at > now => Some(actor.clone()),
            _ => None,
        }
    }

    fn remember(&self, epoch: i64, actor: Actor, expires_at: NaiveDateTime) {
        let mut known = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if known.epoch != epoch {
            // Resolved under an epoch that has since moved on: not kept.
            return;
        }
        if known.sessions.len() >= CAPACITY {
            known.sessions.clear();
        }
        known
            .sessions
            .insert((actor.id, actor.session_id), (actor, expires_at));
    }
}
