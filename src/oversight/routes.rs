//! `/api/v1/oversight/…`: the summary of a regulator's scope and the records behind its figures.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::Paginated;
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::QueryParams;
use crate::oversight::model::*;
use crate::oversight::records::{self, CountedBatch, HeldEvent, InspectedEnterprise, RecordsQuery};
use crate::oversight::summary;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_summary)
        .service(list_held_events)
        .service(list_counted_batches)
        .service(list_inspected);
}

/// The figures of the caller's scope (regulators and admins) for a period of whole months, with
/// their breakdowns by alliance, street, industry, hazard category and month.
#[utoipa::path(get, path = "/api/v1/oversight/summary", tag = "oversight",
    params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/summary")]
pub(crate) async fn get_summary(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<SummaryQuery>,
) -> AppResult<HttpResponse> {
    let s = access::read(&db, actor, move |c, p| summary::summary(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The events held behind the summary's event figures (same filters; `total` is the figure).
#[utoipa::path(get, path = "/api/v1/oversight/events", tag = "oversight",
    params(RecordsQuery),
    responses((status = 200, body = Paginated<HeldEvent>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/events")]
pub(crate) async fn list_held_events(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<RecordsQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| records::held_events(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The mutual-inspection batches behind `inspection_batches` (same filters).
#[utoipa::path(get, path = "/api/v1/oversight/batches", tag = "oversight",
    params(RecordsQuery),
    responses((status = 200, body = Paginated<CountedBatch>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/batches")]
pub(crate) async fn list_counted_batches(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<RecordsQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| records::batches(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The submitted inspections behind `enterprises_inspected` (same filters).
#[utoipa::path(get, path = "/api/v1/oversight/inspections", tag = "oversight",
    params(RecordsQuery),
    responses((status = 200, body = Paginated<InspectedEnterprise>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/inspections")]
pub(crate) async fn list_inspected(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<RecordsQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| records::inspected(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}
