//! Sessions: one row per login. API clients hold a rotating refresh token for it; the web holds a
//! cookie. Revoking the session (logout, deactivation, password reset) ends both at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::token::digest;
use crate::db::ids::UserId;
use crate::db::schema::sessions;
use crate::db::types::now;
use crate::db::AnyConnection;
use crate::error::AppResult;
use crate::secret::random_token;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: UserId,
    pub refresh_hash: String,
    pub previous_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub rotated_at: Option<NaiveDateTime>,
}

/// Forgets a user's sessions that ended (expired or revoked) more than a week ago, so that the
/// table does not grow with every login. Called when the user logs in again.
pub fn forget_ended(conn: &mut AnyConnection, user: UserId) -> AppResult<usize> {
    let horizon = now() - chrono::Duration::days(7);
    Ok(diesel::delete(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(
            sessions::expires_at
                .lt(horizon)
                .or(sessions::revoked_at.lt(horizon).assume_not_null()),
        )
        .execute(conn)?)
}

/// Starts a session; returns its id and the refresh token (shown once, stored hashed).
pub fn start(
    conn: &mut AnyConnection,
    user: UserId,
    ttl: std::time::Duration,
) -> AppResult<(i64, String)> {
    let refresh = random_token(32);
    let now = now();
    let expires = now + chrono::Duration::seconds(ttl.as_secs() as i64);
    let id = diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user),
            sessions::refresh_hash.eq(digest(&refresh)),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires),
        ))
        .returning(sessions::id)
        .get_result(conn)?;
    Ok((id, refresh))
}

/// Until when the session is live, if it is (not revoked, not expired) and belongs to `user`.
pub fn live_until(
    conn: &mut AnyConnection,
    id: i64,
    user: UserId,
) -> AppResult<Option<NaiveDateTime>> {
    Ok(sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now()))
        .select(sessions::expires_at)
        .first(conn)
        .optional()?)
}

/// The outcome of presenting a refresh token.
pub enum Rotation {
    /// Valid: the session, its user, and the new refresh token.
    Rotated {
        session: i64,
        user: UserId,
        refresh: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
}

/// Exchanges a refresh token for a new one. A token that was already rotated away (a replay,
/// e.g. by a thief) revokes the whole session.
///
/// Within `reuse_window` of a rotation, the token it replaced reads as a request that lost a race
/// with its twin (or a retry): refused, with the session kept.
pub fn rotate(
    conn: &mut AnyConnection,
    refresh: &str,
    reuse_window: std::time::Duration,
) -> AppResult<Rotation> {
    let hash = digest(refresh);
    let now = now();
    let current: Option<SessionRow> = sessions::table
        .filter(sessions::refresh_hash.eq(&hash))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?;
    let Some(session) = current else {
        // The token was rotated away. Just after the rotation that is a request that lost a race
        // with its twin: refused, and the winner's new tokens stay good. Later it is a replay
        // (a thief's, or the owner's after a thief's): the whole session ends.
        let race_horizon = now - chrono::Duration::seconds(reuse_window.as_secs() as i64);
        let replayed = diesel::update(sessions::table)
            .filter(sessions::previous_hash.eq(&hash))
            .filter(sessions::revoked_at.is_null())
            .filter(
                sessions::rotated_at
                    .is_null()
                    .or(sessions::rotated_at.le(race_horizon).assume_not_null()),
            )
            .set(sessions::revoked_at.eq(now))
            .execute(conn)?;
        if replayed > 0 {
            tracing::warn!("a rotated refresh token was presented again; session revoked");
        }
        return Ok(Rotation::Invalid);
    };
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let next = random_token(32);
    // Only if the token is still the current one: of two refreshes racing with the same token,
    // one wins and the other is refused.
    let rotated = diesel::update(sessions::table.find(session.id))
        .filter(sessions::refresh_hash.eq(&hash))
        .filter(sessions::revoked_at.is_null())
        .set((
            sessions::refresh_hash.eq(digest(&next)),
            sessions::previous_hash.eq(&hash),
            sessions::rotated_at.eq(now),
        ))
        .execute(conn)?;
    if rotated != 1 {
        return Ok(Rotation::Invalid);
    }
    Ok(Rotation::Rotated {
        session: session.id,
        user: session.user_id,
        refresh: next,
    })
}

/// Ends a session; true if it was live (not revoked, not expired).
pub fn revoke(conn: &mut AnyConnection, id: i64) -> AppResult<bool> {
    let now = now();
    let n = diesel::update(sessions::table.find(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n > 0)
}

/// Revokes the session a refresh token belongs to; true if there was one.
pub fn revoke_by_refresh(conn: &mut AnyConnection, refresh: &str) -> AppResult<bool> {
    let now = now();
    let n = diesel::update(sessions::table)
        .filter(sessions::refresh_hash.eq(digest(refresh)))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)?;
    Ok(n > 0)
}

/// Ends every session of a user (deactivation, password change or reset).
pub fn revoke_all(conn: &mut AnyConnection, user: UserId) -> AppResult<usize> {
    Ok(diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(now()))
        .execute(conn)?)
}

/// Ends every session of a user but one (a password change keeps the session that made it).
pub fn revoke_others(conn: &mut AnyConnection, user: UserId, keep: i64) -> AppResult<usize> {
    Ok(diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(sessions::id.ne(keep))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(now()))
        .execute(conn)?)
}
