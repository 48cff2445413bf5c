//! `/api/v1/oversight/…`: the summary of a regulator's scope and the records behind its figures.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::Paginated;
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::QueryParams;
use crate::oversight::export::{self, ExportQuery};
use crate::oversight::model::*;
use crate::oversight::records::{self, CountedBatch, HeldEvent, InspectedEnterprise, RecordsQuery};
use crate::oversight::summary;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_summary)
        .service(list_held_events)
        .service(list_counted_batches)
        .service(list_inspected)
        .service(export_xlsx)
        .service(export_csv);
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

/// The summary, counted in the request, built into a file by the export limiter.
pub(crate) async fn exported(
    db: &Db,
    exports: &crate::limits::Exports,
    actor: crate::auth::Actor,
    q: ExportQuery,
    xlsx: bool,
) -> AppResult<HttpResponse> {
    let sq = q.summary();
    let s = access::read(db, actor, move |c, p| summary::summary(c, p, &sq)).await?;
    let table = q.table.unwrap_or_default();
    let (bytes, kind, ext) = match xlsx {
        true => {
            let built = exports
                .run(move || export::xlsx(&s).map(|b| (b, s)))
                .await??;
            (
                built.0,
                crate::api::XLSX,
                export::file_name(&built.1, "xlsx"),
            )
        }
        false => {
            let name = export::file_name(&s, "csv");
            let bytes = exports.run(move || export::csv(&s, table)).await?;
            (bytes, "text/csv; charset=utf-8", name)
        }
    };
    Ok(crate::api::file(bytes, kind, &ext))
}

/// The dashboard as an XLSX workbook: one sheet per table (overview, by alliance, street,
/// industry, hazard category, month), Chinese headers, the header row frozen.
#[utoipa::path(get, path = "/api/v1/oversight/export.xlsx", tag = "oversight",
    params(ExportQuery),
    responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/export.xlsx")]
pub(crate) async fn export_xlsx(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<ExportQuery>,
) -> AppResult<HttpResponse> {
    exported(&db, &exports, actor, q.0, true).await
}

/// One table of the dashboard as CSV (UTF-8 with BOM, Chinese headers; `table`, default
/// `by_alliance`).
#[utoipa::path(get, path = "/api/v1/oversight/export.csv", tag = "oversight",
    params(ExportQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/export.csv")]
pub(crate) async fn export_csv(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<ExportQuery>,
) -> AppResult<HttpResponse> {
    exported(&db, &exports, actor, q.0, false).await
}
