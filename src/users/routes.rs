//! `/api/v1/users`.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::Paginated;
use crate::auth::token::TokenKeys;
use crate::auth::{ApiUser, UserId};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::limits::PasswordHashing;
use crate::users::invitations::Links;
use crate::users::service::{self, CreatedUser, NewUser, User, UserPatch, UserQuery};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user);
}

/// Users the caller may see: admins all; regulators the users of enterprises in scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, body = Paginated<User>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/users")]
async fn list_users(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<UserQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| service::list(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Creates a user. Without `password` (the pages never send one), the answer carries an
/// `invitation`: a one-time link with which the person sets their own.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = CreatedUser), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/users")]
async fn create_user(
    db: web::Data<Db>,
    hashing: web::Data<PasswordHashing>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ApiUser(actor): ApiUser,
    body: JsonBody<NewUser>,
) -> AppResult<HttpResponse> {
    // argon2 runs before the write transaction, on the bounded hashing pool.
    let prepared = service::prepare_password(&hashing, body.0.password.clone()).await?;
    let (key, days) = (keys.links.clone(), settings.invitation_days);
    let created = access::write(&db, actor, move |c, p| {
        let links = Links { key: &key, days };
        service::create(c, Some(p), body.0, prepared, links)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/users/{id}")]
async fn get_user(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let user = access::read(&db, actor, move |c, p| service::get(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Edits, deactivates (`active: false`) or resets the password of a user.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UserPatch,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/users/{id}")]
async fn update_user(
    db: web::Data<Db>,
    hashing: web::Data<PasswordHashing>,
    ApiUser(actor): ApiUser,
    id: web::Path<UserId>,
    body: JsonBody<UserPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let reset = match body.0.password.clone() {
        Some(pw) => Some(service::prepare_password(&hashing, Some(pw)).await?),
        None => None,
    };
    let user = access::write(&db, actor, move |c, p| {
        service::update(c, p, id, body.0, reset)
    })
    .await?;
    Ok(HttpResponse::Ok().json(user))
}
