//! `/api/v1/findings`, transitions, attachments and the alliances' shared lessons.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::access;
use crate::api::{record_answer, PageQuery, Paginated};
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::findings::attachments;
use crate::findings::model::*;
use crate::findings::{lessons, service};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_findings)
        .service(report_finding)
        .service(get_finding)
        .service(transition_finding)
        .service(shared_findings)
        .service(attachments::upload)
        .service(attachments::download);
}

/// Findings the caller may see, filtered. `reviewable=true` gives the caller's review queue.
#[utoipa::path(get, path = "/api/v1/findings", tag = "findings", params(FindingQuery),
    responses((status = 200, body = Paginated<Finding>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/findings")]
pub(crate) async fn list_findings(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<FindingQuery>,
) -> AppResult<HttpResponse> {
    let reviewable = q.0.reviewable.unwrap_or(false);
    let list = access::read(&db, actor, move |c, p| {
        service::list(c, p, &q.0, reviewable)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Reports a hazard. Send an `Idempotency-Key` header so that a retry on a bad network returns
/// the first result instead of creating a duplicate.
#[utoipa::path(post, path = "/api/v1/findings", tag = "findings", request_body = NewFinding,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: a replay returns the original finding")),
    responses((status = 201, body = FindingDetail), (status = 200, description = "A replay of an earlier request with the same Idempotency-Key", body = FindingDetail),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/findings")]
pub(crate) async fn report_finding(
    req: HttpRequest,
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewFinding>,
) -> AppResult<HttpResponse> {
    let key = service::idempotency_key(
        req.headers()
            .get("idempotency-key")
            .map(|v| v.to_str().unwrap_or("\u{0}")),
    )?;
    let (id, created) = service::report(&db, &actor, body.0, key, Vec::new()).await?;
    let finding = access::read(&db, actor, move |c, p| service::detail(c, p, id)).await?;
    let location = format!("/api/v1/findings/{}", finding.finding.id);
    Ok(record_answer(created, &location, &finding))
}

/// One finding with its timeline and the actions the caller may take.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = i64, Path, description = "Finding id")),
    responses((status = 200, body = FindingDetail), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/findings/{id}")]
pub(crate) async fn get_finding(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<FindingId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let detail = access::read(&db, actor, move |c, p| service::detail(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Moves a finding through its closed loop (see the README for who may do what).
#[utoipa::path(post, path = "/api/v1/findings/{id}/transitions", tag = "findings", request_body = TransitionRequest,
    params(("id" = i64, Path, description = "Finding id")),
    responses((status = 200, body = FindingDetail), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/findings/{id}/transitions")]
pub(crate) async fn transition_finding(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<FindingId>,
    body: JsonBody<TransitionRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let writer = actor.clone();
    access::write(&db, writer, move |c, p| {
        service::transition(c, p, id, body.0, &[])
    })
    .await?;
    let detail = access::read(&db, actor, move |c, p| service::detail(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// The alliance's shared findings, anonymized: lessons for its members (举一反三).
#[utoipa::path(get, path = "/api/v1/alliances/{id}/shared-findings", tag = "findings",
    params(("id" = i64, Path, description = "Alliance id"), PageQuery),
    responses((status = 200, body = Paginated<SharedLesson>), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances/{id}/shared-findings")]
pub(crate) async fn shared_findings(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let page = q.0.request()?;
    let list = access::read(&db, actor, move |c, p| {
        lessons::shared_lessons(c, p, id, page, None)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
