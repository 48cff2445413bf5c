//! `/api/v1/notifications`: the caller's message centre.

use actix_web::{web, HttpResponse};

use crate::api::Paginated;
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::QueryParams;
use crate::notify::model::{Notification, NotificationQuery, Unread};
use crate::notify::store;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_notifications)
        .service(unread_count)
        .service(read_all)
        .service(read_one);
}

/// The caller's messages, newest first (`unread=true`: only the unread ones).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationQuery),
    responses((status = 200, body = Paginated<Notification>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/notifications")]
async fn list_notifications(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<NotificationQuery>,
) -> AppResult<HttpResponse> {
    let list = db.run(move |c| store::list(c, actor.id, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// How many of the caller's messages are unread (the bell's number).
#[utoipa::path(get, path = "/api/v1/notifications/unread", tag = "notifications",
    responses((status = 200, body = Unread), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/notifications/unread")]
async fn unread_count(db: web::Data<Db>, ApiUser(actor): ApiUser) -> AppResult<HttpResponse> {
    let unread = db.run(move |c| store::unread(c, actor.id)).await?;
    Ok(HttpResponse::Ok().json(Unread { unread }))
}

/// Marks one of the caller's messages read; answers it. Another's reads as missing.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path, description = "Notification id")),
    responses((status = 200, body = Notification), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/notifications/{id}/read")]
async fn read_one(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let row = db.write(move |c| store::mark_read(c, actor.id, id)).await?;
    Ok(HttpResponse::Ok().json(Notification::from(row)))
}

/// Marks all of the caller's messages read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, body = Unread, description = "How many are unread now (0)"), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/notifications/read")]
async fn read_all(db: web::Data<Db>, ApiUser(actor): ApiUser) -> AppResult<HttpResponse> {
    db.write(move |c| store::mark_all_read(c, actor.id)).await?;
    Ok(HttpResponse::Ok().json(Unread { unread: 0 }))
}
