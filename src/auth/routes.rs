//! `/api/v1/auth/*` and `/api/v1/me`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::service::{authenticate, change_own_password, client_address, PasswordChange};
use crate::auth::token::{Purpose, TokenKeys};
use crate::auth::{password, session, user, ApiUser, Role, UserId};
use crate::db::ids::{EnterpriseId, IndustryId, RegionId};
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{JsonBody, AUTH_LIMIT};
use crate::limits::PasswordHashing;

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
    hashing: web::Data<PasswordHashing>,
    body: JsonBody<LoginRequest, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    let LoginRequest { email, password } = body.0;
    if email.len() > 254 || password.len() > password::MAX_LENGTH {
        return Err(AppError::Unauthorized("Wrong email or password."));
    }
    let address = client_address(&req);
    let (user, sid, refresh_token) =
        authenticate(&db, &hashing, email, password, keys.refresh_ttl, address).await?;
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
    settings: web::Data<crate::config::Settings>,
    body: JsonBody<RefreshRequest, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    let token = body.0.refresh_token;
    let window = std::time::Duration::from_secs(settings.refresh_reuse_window);
    let rotated = db
        .write(move |conn| {
            let rotation = session::rotate(conn, &token, window)?;
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
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body(content = Option<LogoutRequest>, description = "Optional: without an access token, the refresh token of the session to end"),
    responses((status = 204, description = "Logged out"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
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
            // An access token of a session already ended is no credential: 401.
            (Some(sid), _) => session::revoke(conn, sid),
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

/// Changes the caller's password (the current one is required).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204, description = "Changed; other sessions ended"), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/me/password")]
async fn change_password(
    db: web::Data<Db>,
    hashing: web::Data<PasswordHashing>,
    ApiUser(actor): ApiUser,
    body: JsonBody<PasswordChange, AUTH_LIMIT>,
) -> AppResult<HttpResponse> {
    change_own_password(&db, &hashing, &actor, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
