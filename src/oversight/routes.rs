//! `/api/v1/oversight/…`: the summary of a regulator's scope and the records behind its figures.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::Paginated;
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::JsonBody;
use crate::extract::QueryParams;
use crate::oversight::evaluations::{self, EvaluationQuery, EvaluationSettings, MonthlyEvaluation};
use crate::oversight::export::{self, ExportQuery};
use crate::oversight::model::*;
use crate::oversight::records::{self, CountedBatch, HeldEvent, InspectedEnterprise, RecordsQuery};
use crate::oversight::report::{self, Report, ReportQuery};
use crate::oversight::summary;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_summary)
        .service(list_alliance_figures)
        .service(list_held_events)
        .service(list_counted_batches)
        .service(list_inspected)
        .service(export_xlsx)
        .service(export_csv)
        .service(get_report)
        .service(list_evaluations)
        .service(publish_evaluations)
        .service(recompute_evaluations)
        .service(get_evaluation_settings)
        .service(put_evaluation_settings)
        .service(evaluations_xlsx)
        .service(evaluations_csv)
        .service(get_comparison);
}

/// The figures of the caller's scope (regulators and admins) for a period of whole months, with
/// their breakdowns by alliance, street, industry, hazard category and month.
#[utoipa::path(get, path = "/api/v1/oversight/summary", tag = "oversight",
    params(SummaryQuery),
    responses((status = 200, body = Summary), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many summaries at once; retry after the Retry-After seconds")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/summary")]
pub(crate) async fn get_summary(
    db: web::Data<Db>,
    summaries: web::Data<crate::limits::Summaries>,
    ApiUser(actor): ApiUser,
    q: QueryParams<SummaryQuery>,
) -> AppResult<HttpResponse> {
    let s = summaries
        .hold(access::read(&db, actor, move |c, p| {
            summary::summary(c, p, &q.0)
        }))
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Query of the alliances' figures: the summary's filters and a page.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AllianceFiguresQuery {
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub from: Option<chrono::NaiveDate>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    pub to: Option<chrono::NaiveDate>,
    pub region_id: Option<RegionId>,
    pub industry_id: Option<IndustryId>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<i64>,
}

/// Every alliance in the caller's scope with its figures for the period (those with none too),
/// by name: `key` is the alliance's id.
#[utoipa::path(get, path = "/api/v1/oversight/alliances", tag = "oversight",
    params(AllianceFiguresQuery),
    responses((status = 200, body = Paginated<Breakdown>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json", description = "Too many summaries at once; retry after the Retry-After seconds")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/alliances")]
pub(crate) async fn list_alliance_figures(
    db: web::Data<Db>,
    summaries: web::Data<crate::limits::Summaries>,
    ApiUser(actor): ApiUser,
    q: QueryParams<AllianceFiguresQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let figures = access::read(&db, actor, move |c, p| {
        let page = crate::api::PageRequest::new(q.page, q.per_page)?;
        let sq = SummaryQuery {
            from: q.from,
            to: q.to,
            region_id: q.region_id,
            industry_id: q.industry_id,
            alliance_id: None,
        };
        let mut rows: Vec<Breakdown> = summary::summary(c, p, &sq)?
            .by_alliance
            .into_iter()
            .filter(|b| b.key != "0")
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.key.cmp(&b.key)));
        let total = rows.len() as i64;
        let items = rows
            .into_iter()
            .skip(page.offset() as usize)
            .take(page.per_page as usize)
            .collect();
        Ok(page.wrap(items, total))
    });
    let list = summaries.hold(figures).await?;
    Ok(HttpResponse::Ok().json(list))
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
    let s = exports
        .hold(access::read(db, actor, move |c, p| {
            summary::summary(c, p, &sq)
        }))
        .await?;
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

/// The statistics paragraphs of the year's work report, in Chinese, from the records of the
/// caller's scope; each number comes with the link to its records.
#[utoipa::path(get, path = "/api/v1/oversight/report", tag = "oversight",
    params(ReportQuery),
    responses((status = 200, body = Report), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/report")]
pub(crate) async fn get_report(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<ReportQuery>,
) -> AppResult<HttpResponse> {
    let r = exports
        .hold(access::read(&db, actor, move |c, p| {
            report::report(c, p, &q.0)
        }))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The monthly evaluation (月度评估) of the alliances (and streets) in the caller's scope — a
/// lead sees its alliance's — with score, district rank and the change from the month before;
/// published months as frozen, others as of now.
#[utoipa::path(get, path = "/api/v1/oversight/evaluations", tag = "oversight",
    params(EvaluationQuery),
    responses((status = 200, body = MonthlyEvaluation), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/evaluations")]
pub(crate) async fn list_evaluations(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<EvaluationQuery>,
) -> AppResult<HttpResponse> {
    let e = access::read(&db, actor, move |c, p| evaluations::list(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(e))
}

async fn evaluation_answer(
    db: &Db,
    actor: crate::auth::Actor,
    month: String,
) -> AppResult<HttpResponse> {
    let q = EvaluationQuery { month: Some(month) };
    let e = access::read(db, actor, move |c, p| evaluations::list(c, p, &q)).await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Publishes a month that is over (the district's regulators): its evaluation is frozen.
#[utoipa::path(post, path = "/api/v1/oversight/evaluations/{month}/publish", tag = "oversight",
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthlyEvaluation), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/oversight/evaluations/{month}/publish")]
pub(crate) async fn publish_evaluations(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    month: web::Path<String>,
) -> AppResult<HttpResponse> {
    let month = month.into_inner();
    // A malformed month is refused at once, not after waiting for a turn to write.
    evaluations::parse_month(Some(&month))?;
    let m = month.clone();
    access::write(&db, actor.clone(), move |c, p| {
        evaluations::publish(c, p, &m)
    })
    .await?;
    evaluation_answer(&db, actor, month).await
}

/// Recomputes a published month from today's records and weights (audited).
#[utoipa::path(post, path = "/api/v1/oversight/evaluations/{month}/recompute", tag = "oversight",
    params(("month" = String, Path, description = "YYYY-MM")),
    responses((status = 200, body = MonthlyEvaluation), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/oversight/evaluations/{month}/recompute")]
pub(crate) async fn recompute_evaluations(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    month: web::Path<String>,
) -> AppResult<HttpResponse> {
    let month = month.into_inner();
    // A malformed month is refused at once, not after waiting for a turn to write.
    evaluations::parse_month(Some(&month))?;
    let m = month.clone();
    access::write(&db, actor.clone(), move |c, p| {
        evaluations::recompute(c, p, &m)
    })
    .await?;
    evaluation_answer(&db, actor, month).await
}

/// The evaluation's weights and warning threshold.
#[utoipa::path(get, path = "/api/v1/oversight/evaluation-settings", tag = "oversight",
    responses((status = 200, body = EvaluationSettings), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/evaluation-settings")]
pub(crate) async fn get_evaluation_settings(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
) -> AppResult<HttpResponse> {
    let s = access::read(&db, actor, evaluations::read_settings).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Sets the weights and the warning threshold (the district's regulators; audited).
#[utoipa::path(put, path = "/api/v1/oversight/evaluation-settings", tag = "oversight", request_body = EvaluationSettings,
    responses((status = 200, body = EvaluationSettings), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::put("/oversight/evaluation-settings")]
pub(crate) async fn put_evaluation_settings(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<EvaluationSettings>,
) -> AppResult<HttpResponse> {
    let s = access::write(&db, actor, move |c, p| {
        evaluations::update_settings(c, p, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Which table of a month's evaluation a CSV holds.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EvaluationExportQuery {
    /// `YYYY-MM` (default: last month).
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
    /// CSV only: the streets instead of the alliances.
    pub streets: Option<bool>,
}

pub(crate) async fn evaluation_file(
    db: &Db,
    exports: &crate::limits::Exports,
    actor: crate::auth::Actor,
    q: EvaluationExportQuery,
    xlsx: bool,
) -> AppResult<HttpResponse> {
    let eq = EvaluationQuery { month: q.month };
    let e = exports
        .hold(access::read(db, actor, move |c, p| {
            evaluations::list(c, p, &eq)
        }))
        .await?;
    let name = format!("evaluation-{}", e.month);
    let streets = q.streets.unwrap_or(false);
    Ok(match xlsx {
        true => {
            let bytes = exports.run(move || export::evaluation_xlsx(&e)).await??;
            crate::api::file(bytes, crate::api::XLSX, &format!("{name}.xlsx"))
        }
        false => {
            let bytes = exports
                .run(move || export::evaluation_csv(&e, streets))
                .await?;
            crate::api::file(bytes, "text/csv; charset=utf-8", &format!("{name}.csv"))
        }
    })
}

/// A month's evaluation as an XLSX workbook (alliances, streets, warning notices; Chinese
/// headers, header row frozen), as the caller may see it.
#[utoipa::path(get, path = "/api/v1/oversight/evaluations.xlsx", tag = "oversight",
    params(EvaluationExportQuery),
    responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/evaluations.xlsx")]
pub(crate) async fn evaluations_xlsx(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<EvaluationExportQuery>,
) -> AppResult<HttpResponse> {
    evaluation_file(&db, &exports, actor, q.0, true).await
}

/// A month's evaluation of the alliances (or `streets=true`) as CSV.
#[utoipa::path(get, path = "/api/v1/oversight/evaluations.csv", tag = "oversight",
    params(EvaluationExportQuery),
    responses((status = 200, description = "CSV", content_type = "text/csv"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/evaluations.csv")]
pub(crate) async fn evaluations_csv(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<EvaluationExportQuery>,
) -> AppResult<HttpResponse> {
    evaluation_file(&db, &exports, actor, q.0, false).await
}

/// The caller's enterprise against the median of each of its alliances' members for a period
/// (enterprise users; no median under three members, never another member's figures).
#[utoipa::path(get, path = "/api/v1/oversight/comparison", tag = "oversight",
    params(SummaryQuery),
    responses((status = 200, body = crate::oversight::comparison::Comparison), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/oversight/comparison")]
pub(crate) async fn get_comparison(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<SummaryQuery>,
) -> AppResult<HttpResponse> {
    let c = access::read(&db, actor, move |c, p| {
        crate::oversight::comparison::compare(c, p, &q.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(c))
}
