//! `/api/v1/alliances/{id}/events`, `/api/v1/events/{id}` and its registrations.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::access;
use crate::api::{file, record_answer, Paginated, XLSX};
use crate::auth::token::TokenKeys;
use crate::auth::{Actor, ApiUser};
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::events::attendance::{self, Attendance, CheckInCode, CheckInRequest, ManualCheckIn};
use crate::events::model::*;
use crate::events::records::{self, RecordQuery, TrainingRecord};
use crate::events::service;
use crate::extract::{JsonBody, QueryParams};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_events)
        .service(create_event)
        .service(get_event)
        .service(update_event)
        .service(register)
        .service(cancel_registration)
        .service(check_in_code)
        .service(check_in_code_svg)
        .service(check_in)
        .service(get_attendance)
        .service(add_attendance)
        .service(attendance_csv)
        .service(attendance_xlsx)
        .service(enterprise_training)
        .service(my_training);
}

/// The attendance as CSV (UTF-8 with BOM, Chinese headers; the organizers).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance.csv", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}/attendance.csv")]
pub(crate) async fn attendance_csv(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let bytes = access::read(&db, actor, move |c, p| records::csv(c, p, id)).await?;
    Ok(file(
        bytes,
        "text/csv; charset=utf-8",
        &format!("attendance-{id}.csv"),
    ))
}

/// The attendance as an XLSX workbook (the organizers).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance.xlsx", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}/attendance.xlsx")]
pub(crate) async fn attendance_xlsx(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let bytes = access::read(&db, actor, move |c, p| records::xlsx(c, p, id)).await?;
    Ok(file(bytes, XLSX, &format!("attendance-{id}.xlsx")))
}

/// An enterprise's training record: events its people attended, per kind and year.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/training-record", tag = "events",
    params(("id" = i64, Path, description = "Enterprise id"), RecordQuery),
    responses((status = 200, body = TrainingRecord), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/enterprises/{id}/training-record")]
pub(crate) async fn enterprise_training(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EnterpriseId>,
    q: QueryParams<RecordQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let year = q.0.year;
    let record = access::read(&db, actor, move |c, p| {
        records::enterprise_record(c, p, id, year)
    })
    .await?;
    Ok(HttpResponse::Ok().json(record))
}

/// The caller's own training record.
#[utoipa::path(get, path = "/api/v1/me/training-record", tag = "events", params(RecordQuery),
    responses((status = 200, body = TrainingRecord), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/me/training-record")]
pub(crate) async fn my_training(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<RecordQuery>,
) -> AppResult<HttpResponse> {
    let year = q.0.year;
    let record = access::read(&db, actor, move |c, p| records::my_record(c, p, year)).await?;
    Ok(HttpResponse::Ok().json(record))
}

/// The signed check-in code of an event (its organizers): valid from half an hour before the
/// start to half an hour after the end, for this event only.
#[utoipa::path(get, path = "/api/v1/events/{id}/check-in-code", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = CheckInCode), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}/check-in-code")]
pub(crate) async fn check_in_code(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let code = access::read(&db, actor, move |c, p| attendance::code(c, p, &keys, id)).await?;
    Ok(HttpResponse::Ok().json(code))
}

/// The check-in code as a QR image (SVG) that opens the check-in page on a phone.
#[utoipa::path(get, path = "/api/v1/events/{id}/check-in-code.svg", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "A QR code", content_type = "image/svg+xml"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}/check-in-code.svg")]
pub(crate) async fn check_in_code_svg(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let code = access::read(&db, actor, move |c, p| attendance::code(c, p, &keys, id)).await?;
    svg_answer(&req, &code)
}

/// The QR of a check-in code, for the API and the organizer's page.
pub fn svg_answer(req: &HttpRequest, code: &attendance::CheckInCode) -> AppResult<HttpResponse> {
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(attendance::qr_svg(code, &base)?))
}

/// Checks the caller in with the code shown at the venue (registered people, during the event).
#[utoipa::path(post, path = "/api/v1/events/{id}/check-in", tag = "events", request_body = CheckInRequest,
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, description = "Checked in (or already)"), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/events/{id}/check-in")]
pub(crate) async fn check_in(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
    body: JsonBody<CheckInRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    access::write(&db, actor, move |c, p| {
        attendance::check_in(c, p, &keys, id, &body.0.token)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"checked_in": true})))
}

/// Who attended, and the required enterprises that did not (the organizers).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance", tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = Attendance), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/events/{id}/attendance")]
pub(crate) async fn get_attendance(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let list = access::read(&db, actor, move |c, p| attendance::attendance(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Checks someone in by hand (the organizers): a member enterprise's user, or a walk-in by name.
#[utoipa::path(post, path = "/api/v1/events/{id}/attendance", tag = "events", request_body = ManualCheckIn,
    params(("id" = i64, Path, description = "Event id")),
    responses((status = 200, body = Attendance), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/events/{id}/attendance")]
pub(crate) async fn add_attendance(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EventId>,
    body: JsonBody<ManualCheckIn>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| {
        attendance::check_in_by_organizer(c, p, id, body.0)
    })
    .await?;
    let list = access::read(&db, actor, move |c, p| attendance::attendance(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn answer(db: &Db, actor: Actor, id: EventId, created: bool) -> AppResult<HttpResponse> {
    let detail = access::read(db, actor, move |c, p| service::detail(c, p, id)).await?;
    let location = format!("/api/v1/events/{id}");
    Ok(record_answer(created, &location, &detail))
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
        crate::events::plan::create(c, p, alliance, body.0)
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
    access::write(&db, writer, move |c, p| {
        crate::events::plan::update(c, p, id, body.0)
    })
    .await?;
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
