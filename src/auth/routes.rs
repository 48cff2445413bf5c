//! `/api/v1/auth/*` and `/api/v1/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::token::{Purpose, TokenKeys};
use crate::auth::{password, session, throttle, user, ApiUser, Role, UserId};
use crate::db::ids::{EnterpriseId, IndustryId, RegionId};
use crate::db::types::now;
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{JsonBody, AUTH_LIMIT};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(change_password);
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LogoutRequest {
    /// Ends the session this refresh token belongs to (when no access token is sent).
    pub refresh_token: Option<String>,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub active: bool,
}

/// The client's address for throttling: the TCP peer, or the first `X-Forwarded-For` hop when
/// the platform is configured to sit behind a trusted proxy.
pub fn client_address(req: &HttpRequest) -> String {
    let trust_proxy = req
        .app_data::<web::Data<crate::config::Settings>>()
        .is_some_and(|s| s.trust_proxy);
    let forwarded = trust_proxy
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
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
    email: String,
    password_text: String,
    ttl: std::time::Duration,
    address: String,
) -> AppResult<(UserId, i64, String)> {
    let keys = vec![
        throttle::account_key(&email),
        throttle::address_key(&address),
    ];
    let check_keys = keys.clone();
    if let Some(retry_after_secs) = db
        .run(move |conn| throttle::locked_for(conn, &check_keys, now()))
        .await?
    {
        tracing::warn!(email = %user::mask_email(&email), "login throttled");
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let lookup = email.clone();
    let found = db
        .run(move |conn| user::find_by_email(conn, &lookup))
        .await?;
    let stored = found.as_ref().map(|u| u.password_hash.clone());
    let ok = crate::limits::PASSWORD_HASHING
        .run(move || password::verify(&password_text, stored.as_deref()))
        .await?;
    match found {
        Some(u) if ok && u.active => {
            let account = keys[0].clone();
            let (sid, refresh_token) = db
                .write(move |conn| {
                    throttle::clear(conn, &account)?;
                    session::forget_ended(conn, u.id)?;
                    session::start(conn, u.id, ttl)
                })
                .await?;
            tracing::info!(user = u.id.0, email = %user::mask_email(&email), "login");
            Ok((u.id, sid, refresh_token))
        }
        _ => {
            db.write(move |conn| {
                let at = now();
                throttle::record_failure(conn, &keys[0], throttle::ACCOUNT_FREE, at)?;
                throttle::record_failure(conn, &keys[1], throttle::ADDRESS_FREE, at)
            })
            .await?;
            tracing::info!(email = %user::mask_email(&email), "login failed");
            Err(AppError::Unauthorized("Wrong email or password."))
        }
    }
}

/// Logs in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")))]
#[actix_web::post("/auth/login")]
async fn login(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    body: JsonBody<LoginRequest, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    let LoginRequest { email, password } = body.0;
    if email.len() > 254 || password.len() > password::MAX_LENGTH {
        return Err(AppError::Unauthorized("Wrong email or password."));
    }
    let (user, sid, refresh_token) =
        authenticate(&db, email, password, keys.refresh_ttl, client_address(&req)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenPair {
            access_token: keys.issue(Purpose::Api, user, sid),
            refresh_token,
            token_type: "Bearer",
            expires_in: keys.access_ttl.as_secs(),
        }))
}

/// Exchanges a refresh token for a new pair. Each refresh token works once.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[actix_web::post("/auth/refresh")]
async fn refresh(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    body: JsonBody<RefreshRequest, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    let token = body.0.refresh_token;
    let rotated = db
        .write(move |conn| {
            let rotation = session::rotate(conn, &token)?;
            if let session::Rotation::Rotated { user: id, .. } = &rotation {
                if !user::find(conn, *id)?.is_some_and(|u| u.active) {
                    return Ok(session::Rotation::Invalid);
                }
            }
            Ok(rotation)
        })
        .await?;
    match rotated {
        session::Rotation::Rotated {
            session,
            user,
            refresh: refresh_token,
        } => Ok(HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(TokenPair {
                access_token: keys.issue(Purpose::Api, user, session),
                refresh_token,
                token_type: "Bearer",
                expires_in: keys.access_ttl.as_secs(),
            })),
        session::Rotation::Invalid => Err(AppError::Unauthorized(
            "The refresh token is invalid, expired or already used.",
        )),
    }
}

/// Ends the session of the access token sent (or of the refresh token in the body).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = LogoutRequest, description = "Optional"),
    responses((status = 204, description = "Logged out"), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ()))]
#[actix_web::post("/auth/logout")]
async fn logout(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let from_header = crate::auth::extract::bearer_token(&req)
        .and_then(|t| keys.verify(Purpose::Api, t))
        .map(|(_, sid)| sid);
    let body: LogoutRequest = if body.is_empty() {
        LogoutRequest::default()
    } else {
        crate::extract::parse_json(&body)?
    };
    let done = db
        .write(move |conn| match (from_header, body.refresh_token) {
            (Some(sid), _) => session::revoke(conn, sid).map(|_| true),
            (None, Some(token)) => session::revoke_by_refresh(conn, &token),
            (None, None) => Ok(false),
        })
        .await?;
    if done {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::Unauthorized(
            "No valid access or refresh token was sent.",
        ))
    }
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/me")]
async fn me(ApiUser(actor): ApiUser) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        id: actor.id,
        email: actor.email,
        name: actor.name,
        role: actor.role,
        region_id: actor.region_id,
        industry_id: actor.industry_id,
        enterprise_id: actor.enterprise_id,
        active: true,
    })
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
        "must differ from the current password",
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
    let (ok, hash) = crate::limits::PASSWORD_HASHING
        .run(move || {
            let ok = password::verify(&current_password, Some(&stored));
            (ok, ok.then(|| password::hash(&new_password)))
        })
        .await?;
    let hash = match (ok, hash) {
        (true, Some(hash)) => hash?,
        _ => {
            return Err(AppError::field(
                "current_password",
                "is not your current password",
            ))
        }
    };
    db.write(move |conn| {
        use crate::db::schema::users;
        use diesel::prelude::*;
        diesel::update(users::table.find(id))
            .set((users::password_hash.eq(hash), users::updated_at.eq(now())))
            .execute(conn)?;
        session::revoke_others(conn, id, keep)?;
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

/// Changes the caller's password (the current one is required).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions ended"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/me/password")]
async fn change_password(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<PasswordChange, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    change_own_password(&db, &actor, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
