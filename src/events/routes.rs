//! `/api/v1/alliances/{id}/events`, `/api/v1/events/{id}` and its registrations.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::Paginated;
use crate::auth::{Actor, ApiUser};
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::events::model::*;
use crate::events::service;
use crate::extract::{JsonBody, QueryParams};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(register)
        .service(cancel_registration);
}

async fn answer(db: &Db, actor: Actor, id: EventId, created: bool) -> AppResult<HttpResponse> {
    let detail = access::read(db, actor, move |c, p| service::detail(c, p, id)).await?;
    let mut response = match created {
        true => HttpResponse::Created(),
        false => HttpResponse::Ok(),
    };
    Ok(response
        .insert_header(("Location", format!("/api/v1/events/{id}")))
        .json(detail))
}

/// The alliance's events, newest first.
#[utoipa::path(get, path = "/api/v1/alliances/{id}/events", tag = "events",
    params(("id" = i64, Path, description = "Alliance id"), EventQuery),
    responses((status = 200, body = Paginated<Event>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances/{id}/events")]
pub(crate) async fn list_events(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    q: QueryParams<EventQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let list = access::read(&db, actor, move |c, p| service::list(c, p, id, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Plans an event for the alliance (its lead, or a regulator in scope).
#[utoipa::path(post, path = "/api/v1/alliances/{id}/events", tag = "events", request_body = NewEvent,
    params(("id" = i64, Path, description = "Alliance id")),
    responses((status = 201, body = EventDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/alliances/{id}/events")]
pub(crate) async fn create_event(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    body: JsonBody<NewEvent>,
) -> AppResult<HttpResponse> {
    let alliance = id.into_inner();
    let writer = actor.clone();
    let id = access::write(&db, writer, move |c, p| {
        service::create(c, p, alliance, body.0)
    })
    .await?;
    answer(&db, actor, id, true).await
}

/// One event with its requirements, materials and the registrations the caller may see.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = EventDetail), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}")]
pub(crate) async fn get_event(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    answer(&db, actor, id.into_inner(), false).await
}

/// Edits an event (its organizers); `summary` records how it went.
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", request_body = EventPatch,
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = EventDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/events/{id}")]
pub(crate) async fn update_event(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
    body: JsonBody<EventPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| service::update(c, p, id, body.0)).await?;
    answer(&db, actor, id, false).await
}

/// Registers people of a member enterprise, within the capacity (409 `event-full`) and the
/// enterprise's quota (409 `quota-reached`).
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations", tag = "events", request_body = NewRegistration,
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 201, body = EventDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/events/{id}/registrations")]
pub(crate) async fn register(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
    body: JsonBody<NewRegistration>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| service::register(c, p, id, body.0)).await?;
    answer(&db, actor, id, true).await
}

/// Cancels a person's registration (the person's enterprise, or the organizers).
#[utoipa::path(delete, path = "/api/v1/events/{id}/registrations/{user_id}", tag = "events",
    params(("id" = i64, Path, description = "Event id"), ("user_id" = i64, Path, description = "The registered user")),
    responses((status = 204, description = "Cancelled"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::delete("/events/{id}/registrations/{user_id}")]
pub(crate) async fn cancel_registration(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    path: web::Path<(EventId, UserId)>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    access::write(&db, actor, move |c, p| service::cancel(c, p, id, user)).await?;
    Ok(HttpResponse::NoContent().finish())
}
