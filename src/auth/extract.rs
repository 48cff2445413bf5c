//! Who is calling: `ApiUser` (Bearer access token) for the JSON API, `WebUser` (session cookie)
//! for pages. Both check the user and the session on every request (through [`Callers`], which
//! rereads them whenever the access epoch moved), so a deactivated user or a revoked session loses
//! access at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::access::Scope;
use crate::auth::callers::Callers;
use crate::auth::token::{Purpose, TokenKeys};
use crate::auth::{Role, UserRow};
use crate::db::ids::{EnterpriseId, IndustryId, RegionId, UserId};
use crate::db::Db;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "sa_session";

/// The authenticated caller, as the access policy needs it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    pub enterprise_id: Option<EnterpriseId>,
    pub session_id: i64,
    /// The scope the access policy resolved for this caller when the request came in (absent
    /// when the caller was not resolved through [`Callers`]; the policy then reads it).
    pub(crate) scope: Option<Arc<Scope>>,
    /// The access epoch the caller was resolved at (with `scope`).
    pub(crate) epoch: i64,
    /// Unread messages, counted for a page's bell (pages only; `None` for the API).
    pub unread: Option<i64>,
}

impl Actor {
    /// A user acting without a session: a personal calendar feed, whose secret token stands in
    /// for a login (and reaches only that feed).
    pub fn without_session(row: UserRow) -> Self {
        Self::with_session(row, 0)
    }

    pub(crate) fn with_session(row: UserRow, session_id: i64) -> Self {
        Self {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role,
            region_id: row.region_id,
            industry_id: row.industry_id,
            enterprise_id: row.enterprise_id,
            session_id,
            scope: None,
            epoch: 0,
            unread: None,
        }
    }
}

/// Parses `Authorization: Bearer <token>` strictly: one scheme, one space, a token of JWT
/// characters.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let valid = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    valid.then_some(token)
}

/// Loads the actor behind a verified token: the user must be active and the session live. A
/// page's caller (`unread`) comes with its unread messages counted, for the bell.
pub async fn load_actor(
    db: &Db,
    callers: Arc<Callers>,
    (user_id, session_id): (UserId, i64),
    unread: bool,
) -> Result<Actor, AppError> {
    db.run(move |conn| {
        let mut actor =
            callers
                .resolve(conn, user_id, session_id)?
                .ok_or(AppError::Unauthorized(
                    "The session has ended; log in again.",
                ))?;
        if unread {
            actor.unread = Some(crate::notify::unread(conn, user_id)?);
        }
        Ok(actor)
    })
    .await
}

type Parts = (Db, web::Data<TokenKeys>, Arc<Callers>);

fn app_parts(req: &HttpRequest) -> Result<Parts, AppError> {
    let db = req
        .app_data::<web::Data<Db>>()
        .ok_or_else(|| AppError::internal("Db missing from app data"))?;
    let keys = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| AppError::internal("TokenKeys missing from app data"))?;
    let callers = req
        .app_data::<web::Data<Callers>>()
        .ok_or_else(|| AppError::internal("Callers missing from app data"))?;
    Ok((
        db.get_ref().clone(),
        keys.clone(),
        callers.clone().into_inner(),
    ))
}

/// The caller of a JSON API endpoint.
pub struct ApiUser(pub Actor);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let parts = app_parts(req);
        let token = bearer_token(req).map(str::to_owned);
        let has_header = req.headers().contains_key(header::AUTHORIZATION);
        Box::pin(async move {
            let (db, keys, callers) = parts?;
            let Some(token) = token else {
                return Err(AppError::Unauthorized(if has_header {
                    "Malformed Authorization header; expected `Bearer <token>`."
                } else {
                    "An access token is required (Authorization: Bearer <token>)."
                }));
            };
            let (user, session) =
                keys.verify(Purpose::Api, &token)
                    .ok_or(AppError::Unauthorized(
                        "The access token is invalid or expired.",
                    ))?;
            load_actor(&db, callers, (user, session), false)
                .await
                .map(ApiUser)
        })
    }
}

/// The signed-in user of a page. Without a valid session cookie the page redirects to the login
/// page, coming back afterwards.
pub struct WebUser(pub Actor);

#[derive(Debug)]
pub enum WebAuthError {
    Login { next: String },
    App(AppError),
}

impl std::fmt::Display for WebAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Login { .. } => f.write_str("login required"),
            Self::App(e) => e.fmt(f),
        }
    }
}

impl ResponseError for WebAuthError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Self::Login { .. } => actix_web::http::StatusCode::SEE_OTHER,
            Self::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Login { next } => {
                let target = format!(
                    "/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish()
            }
            Self::App(e) => e.error_response(),
        }
    }
}

impl FromRequest for WebUser {
    type Error = WebAuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, WebAuthError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let parts = app_parts(req);
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let next = match req.uri().path_and_query() {
            Some(pq) if req.method() == actix_web::http::Method::GET => pq.as_str().to_owned(),
            _ => "/".to_owned(),
        };
        Box::pin(async move {
            let (db, keys, callers) = parts.map_err(WebAuthError::App)?;
            let login = || WebAuthError::Login { next: next.clone() };
            let (user, session) = cookie
                .as_deref()
                .and_then(|c| keys.verify(Purpose::Web, c))
                .ok_or_else(login)?;
            match load_actor(&db, callers, (user, session), true).await {
                Ok(actor) => Ok(WebUser(actor)),
                Err(AppError::Unauthorized(_)) => Err(login()),
                Err(e) => Err(WebAuthError::App(e)),
            }
        })
    }
}
