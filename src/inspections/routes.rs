//! `/api/v1/checklists`, batches, pairings, inspections and their results, and the calendar.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::access;
use crate::api::{record_answer, PageQuery, Paginated};
use crate::auth::{Actor, ApiUser};
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::findings::service::idempotency_key;
use crate::inspections::model::*;
use crate::inspections::results::{self, Recorded};
use crate::inspections::{calendar, checklists, inspection, service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_checklists)
        .service(create_checklist)
        .service(get_checklist)
        .service(edit_checklist)
        .service(list_batches)
        .service(create_batch)
        .service(get_batch)
        .service(update_batch)
        .service(generate_pairings)
        .service(batch_inspections)
        .service(get_inspection)
        .service(update_inspection)
        .service(record_results)
        .service(calendar_ics)
        .service(create_calendar_feed)
        .service(revoke_calendar_feed)
        .service(calendar_feed);
}

/// Checklist templates the caller may use: district-wide ones and those of its alliances.
#[utoipa::path(get, path = "/api/v1/checklists", tag = "inspections", params(ChecklistQuery),
    responses((status = 200, body = Paginated<ChecklistSummary>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/checklists")]
pub(crate) async fn list_checklists(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<ChecklistQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| checklists::list(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn checklist_answer(
    db: &Db,
    actor: Actor,
    id: ChecklistId,
    created: bool,
) -> AppResult<HttpResponse> {
    let checklist = access::read(db, actor, move |c, p| checklists::get(c, p, id)).await?;
    let location = format!("/api/v1/checklists/{id}");
    Ok(record_answer(created, &location, &checklist))
}

/// Creates a checklist template: district-wide (regulators) or an alliance's own (its lead).
#[utoipa::path(post, path = "/api/v1/checklists", tag = "inspections", request_body = NewChecklist,
    responses((status = 201, body = Checklist), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/checklists")]
pub(crate) async fn create_checklist(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewChecklist>,
) -> AppResult<HttpResponse> {
    let writer = actor.clone();
    let id = access::write(&db, writer, move |c, p| checklists::create(c, p, body.0)).await?;
    checklist_answer(&db, actor, id, true).await
}

/// One checklist template version with its items.
#[utoipa::path(get, path = "/api/v1/checklists/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "Checklist version id")),
    responses((status = 200, body = Checklist), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/checklists/{id}")]
pub(crate) async fn get_checklist(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<ChecklistId>,
) -> AppResult<HttpResponse> {
    checklist_answer(&db, actor, id.into_inner(), false).await
}

/// Edits a template's current version: in place while no batch uses it (200), else as a new
/// version (201, `Location` names it) so that every inspection keeps the items it used.
#[utoipa::path(put, path = "/api/v1/checklists/{id}", tag = "inspections", request_body = NewChecklist,
    params(("id" = i64, Path, description = "Checklist version id")),
    responses((status = 200, body = Checklist), (status = 201, description = "A new version", body = Checklist),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::put("/checklists/{id}")]
pub(crate) async fn edit_checklist(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<ChecklistId>,
    body: JsonBody<NewChecklist>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    let (edited, new_version) =
        access::write(&db, writer, move |c, p| checklists::edit(c, p, id, body.0)).await?;
    checklist_answer(&db, actor, edited, new_version).await
}

/// The alliance's mutual-inspection batches, newest first.
#[utoipa::path(get, path = "/api/v1/alliances/{id}/batches", tag = "inspections",
    params(("id" = i64, Path, description = "Alliance id"), PageQuery),
    responses((status = 200, body = Paginated<Batch>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances/{id}/batches")]
pub(crate) async fn list_batches(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let page = q.0.request()?;
    let list = access::read(&db, actor, move |c, p| service::list(c, p, id, page)).await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn batch_answer(
    db: &Db,
    actor: Actor,
    id: BatchId,
    created: bool,
) -> AppResult<HttpResponse> {
    let detail = access::read(db, actor, move |c, p| service::detail(c, p, id)).await?;
    let location = format!("/api/v1/batches/{id}");
    Ok(record_answer(created, &location, &detail))
}

/// Opens a batch (a draft) and generates its pairings; the answer says which pairing rules were
/// relaxed for which pair.
#[utoipa::path(post, path = "/api/v1/alliances/{id}/batches", tag = "inspections", request_body = NewBatch,
    params(("id" = i64, Path, description = "Alliance id")),
    responses((status = 201, body = BatchDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/alliances/{id}/batches")]
pub(crate) async fn create_batch(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    body: JsonBody<NewBatch>,
) -> AppResult<HttpResponse> {
    let alliance = id.into_inner();
    let writer = actor.clone();
    let id = access::write(&db, writer, move |c, p| {
        service::create(c, p, alliance, body.0)
    })
    .await?;
    batch_answer(&db, actor, id, true).await
}

/// A batch with its rules, what its pairing relaxed, and its progress.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchDetail), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/batches/{id}")]
pub(crate) async fn get_batch(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<BatchId>,
) -> AppResult<HttpResponse> {
    batch_answer(&db, actor, id.into_inner(), false).await
}

/// Changes a batch; `state` publishes it (`scheduled`) or closes it (`closed`).
#[utoipa::path(patch, path = "/api/v1/batches/{id}", tag = "inspections", request_body = BatchPatch,
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/batches/{id}")]
pub(crate) async fn update_batch(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<BatchId>,
    body: JsonBody<BatchPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| service::update(c, p, id, body.0)).await?;
    batch_answer(&db, actor, id, false).await
}

/// Generates a draft batch's pairings again (a new random seed, or the one given).
#[utoipa::path(post, path = "/api/v1/batches/{id}/pairings", tag = "inspections", request_body = PairingRequest,
    params(("id" = i64, Path, description = "Batch id")),
    responses((status = 200, body = BatchDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/batches/{id}/pairings")]
pub(crate) async fn generate_pairings(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<BatchId>,
    body: JsonBody<PairingRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| {
        service::pair_again(c, p, id, body.0)
    })
    .await?;
    batch_answer(&db, actor, id, false).await
}

/// The batch's inspections (its pairings), by date.
#[utoipa::path(get, path = "/api/v1/batches/{id}/inspections", tag = "inspections",
    params(("id" = i64, Path, description = "Batch id"), PageQuery),
    responses((status = 200, body = Paginated<Inspection>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/batches/{id}/inspections")]
pub(crate) async fn batch_inspections(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<BatchId>,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let page = q.0.request()?;
    let list = access::read(&db, actor, move |c, p| {
        inspection::inspections(c, p, id, page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn inspection_answer(
    db: &Db,
    actor: Actor,
    id: InspectionId,
    created: bool,
) -> AppResult<HttpResponse> {
    let detail = access::read(db, actor, move |c, p| results::detail(c, p, id)).await?;
    let location = format!("/api/v1/inspections/{id}");
    Ok(record_answer(created, &location, &detail))
}

/// One inspection with its checklist and results.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections",
    params(("id" = i64, Path, description = "Inspection id")),
    responses((status = 200, body = InspectionDetail), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/inspections/{id}")]
pub(crate) async fn get_inspection(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<InspectionId>,
) -> AppResult<HttpResponse> {
    inspection_answer(&db, actor, id.into_inner(), false).await
}

/// Dates an inspection within its batch's window, names its inspectors, or (draft batches)
/// swaps its target with another inspection's.
#[utoipa::path(patch, path = "/api/v1/inspections/{id}", tag = "inspections", request_body = InspectionPatch,
    params(("id" = i64, Path, description = "Inspection id")),
    responses((status = 200, body = InspectionDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/inspections/{id}")]
pub(crate) async fn update_inspection(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<InspectionId>,
    body: JsonBody<InspectionPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| {
        inspection::update_inspection(c, p, id, body.0)
    })
    .await?;
    inspection_answer(&db, actor, id, false).await
}

/// Records results: a draft (`draft: true`, 200), or the submission (201), after which each
/// failed item is a finding. Send an `Idempotency-Key` so that a retry returns the first result.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/results", tag = "inspections", request_body = ResultsRequest,
    params(("id" = i64, Path, description = "Inspection id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a replay returns the submitted inspection")),
    responses((status = 201, description = "Submitted", body = InspectionDetail), (status = 200, description = "A draft saved, or a replay", body = InspectionDetail),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/inspections/{id}/results")]
pub(crate) async fn record_results(
    req: HttpRequest,
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<InspectionId>,
    body: JsonBody<ResultsRequest>,
) -> AppResult<HttpResponse> {
    let key = idempotency_key(
        req.headers()
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap_or("\u{0}")),
    )?;
    let id = id.into_inner();
    let writer = actor.clone();
    let recorded = access::write(&db, writer, move |c, p| {
        results::record(c, p, id, body.0, key)
    })
    .await?;
    inspection_answer(&db, actor, id, recorded == Recorded::Submitted).await
}

fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body)
}

/// The caller's inspections as an iCalendar feed.
#[utoipa::path(get, path = "/api/v1/calendar.ics", tag = "inspections",
    responses((status = 200, description = "An iCalendar (RFC 5545) feed", content_type = "text/calendar"),
        (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/calendar.ics")]
pub(crate) async fn calendar_ics(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let body = access::read(&db, actor, calendar::ics).await?;
    Ok(ics(body))
}

/// Makes the caller a personal feed address for calendar apps (shown once; the previous one
/// stops working).
#[utoipa::path(post, path = "/api/v1/calendar/feed", tag = "inspections",
    responses((status = 201, body = CalendarFeed), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/calendar/feed")]
pub(crate) async fn create_calendar_feed(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let feed = access::write(&db, actor, calendar::create_feed).await?;
    Ok(HttpResponse::Created().json(feed))
}

/// Revokes the caller's personal feed address.
#[utoipa::path(delete, path = "/api/v1/calendar/feed", tag = "inspections",
    responses((status = 204, description = "Revoked (or there was none)"), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::delete("/calendar/feed")]
pub(crate) async fn revoke_calendar_feed(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    access::write(&db, actor, calendar::revoke_feed).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A personal feed: the secret token in the address stands in for a login.
#[utoipa::path(get, path = "/api/v1/calendar/{feed_token}.ics", tag = "inspections",
    params(("feed_token" = String, Path, description = "The secret of a personal feed address")),
    responses((status = 200, description = "An iCalendar (RFC 5545) feed", content_type = "text/calendar"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[actix_web::get("/calendar/{feed_token}.ics")]
pub(crate) async fn calendar_feed(
    db: web::Data<Db>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let body = db
        .run(move |conn| {
            let user = calendar::feed_user(conn, &token)?;
            let policy = access::Policy::load(conn, &Actor::without_session(user))?;
            calendar::ics(conn, &policy)
        })
        .await?;
    Ok(ics(body))
}
