//! Identity use cases shared by the API and the pages: logging in (throttled, argon2 on the
//! bounded hashing pool, outside any transaction) and changing one's own password.

use actix_web::{web, HttpRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{password, session, throttle, user, UserId};
use crate::db::types::now;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::limits::PasswordHashing;
use crate::message::msg;

/// The client's address for throttling: the TCP peer, or the last `X-Forwarded-For` hop (the one
/// the proxy added) when the platform is configured to sit behind a trusted proxy.
pub fn client_address(req: &HttpRequest) -> String {
    let trust_proxy = req
        .app_data::<web::Data<crate::config::Settings>>()
        .is_some_and(|s| s.trust_proxy);
    let forwarded = trust_proxy
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        // The hop the trusted proxy added is the last one; earlier ones are the client's say.
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// Checks the throttle, verifies email and password on the blocking pool (argon2 outside any
/// transaction) and starts a session. Unknown email and wrong password answer the same error
/// after the same work; both count against the account and the address.
pub async fn authenticate(
    db: &Db,
    hashing: &PasswordHashing,
    email: String,
    password_text: String,
    ttl: std::time::Duration,
    address: String,
) -> AppResult<(UserId, i64, String)> {
    // The attempt is counted (and the counters locked while it is) before the password is
    // checked: parallel guesses cannot slip past the limits.
    let keys = throttle::Keys::new(&email, &address);
    let lookup = email.clone();
    let (admitted, found) = db
        .write(move |conn| {
            let admitted = throttle::admit(conn, &keys, now())?;
            let found = match admitted {
                Ok(()) => user::find_by_email(conn, &lookup)?,
                Err(_) => None,
            };
            Ok((admitted.map(|()| keys), found))
        })
        .await?;
    let keys = match admitted {
        Ok(keys) => keys,
        Err(retry_after_secs) => {
            tracing::warn!(email = %user::mask_email(&email), "login throttled");
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
    };
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let ok = hashing
        .run(move || password::verify(&password_text, stored.as_deref()))
        .await?;
    match found {
        Some(u) if ok && u.active => {
            let (sid, refresh_token) = db
                .write(move |conn| {
                    throttle::succeeded(conn, &keys, now())?;
                    session::forget_ended(conn, u.id)?;
                    session::start(conn, u.id, ttl)
                })
                .await?;
            tracing::info!(user = u.id.0, email = %user::mask_email(&email), "login");
            Ok((u.id, sid, refresh_token))
        }
        _ => {
            tracing::info!(email = %user::mask_email(&email), "login failed");
            Err(AppError::Unauthorized("Wrong email or password."))
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters, not a common password.
    pub new_password: String,
}

/// Changes the caller's own password after checking the current one. Every other session of the
/// user ends; this one stays.
pub async fn change_own_password(
    db: &Db,
    hashing: &PasswordHashing,
    actor: &crate::auth::Actor,
    change: PasswordChange,
) -> AppResult<()> {
    let mut v = crate::error::Validator::new();
    if let Err(message) = password::check_strength(&change.new_password) {
        v.add("new_password", message);
    }
    v.check(
        change.new_password != change.current_password,
        "new_password",
        msg::PASSWORD_SAME,
    );
    v.finish()?;
    let id = actor.id;
    let keep = actor.session_id;
    let stored = db
        .run(move |conn| {
            user::find(conn, id)?
                .map(|u| u.password_hash)
                .ok_or(AppError::NotFound)
        })
        .await?;
    let PasswordChange {
        current_password,
        new_password,
    } = change;
    let (ok, hash) = hashing
        .run(move || {
            let ok = password::verify(&current_password, Some(&stored));
            (ok, ok.then(|| password::hash(&new_password)))
        })
        .await?;
    let hash = match (ok, hash) {
        (true, Some(hash)) => hash?,
        _ => return Err(AppError::field("current_password", msg::PASSWORD_WRONG)),
    };
    db.write(move |conn| {
        user::set_password_hash(conn, id, &hash)?;
        session::revoke_others(conn, id, keep)?;
        // A reset letter lost before this change must not work after it.
        crate::users::invitations::withdraw_pending(conn, id)?;
        crate::audit::record(
            conn,
            Some(id),
            "change_password",
            "user",
            Some(id.0),
            serde_json::json!({}),
        )
    })
    .await
}
