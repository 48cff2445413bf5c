//! `POST/PATCH /api/v1/regions`, `/api/v1/industries` (admins) and
//! `POST /api/v1/enterprises/{id}/deactivate|reactivate` (those who manage the enterprise).

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::record_answer;
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::JsonBody;
use crate::org::model::*;
use crate::org::registry::{
    self, Deactivation, IndustryPatch, NewIndustry, NewRegion, RegionPatch,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_region)
        .service(update_region)
        .service(create_industry)
        .service(update_industry)
        .service(deactivate_enterprise)
        .service(reactivate_enterprise);
}

/// Adds a street or a functional zone (admins).
#[utoipa::path(post, path = "/api/v1/regions", tag = "organizations", request_body = NewRegion,
    responses((status = 201, body = Region), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/regions")]
async fn create_region(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewRegion>,
) -> AppResult<HttpResponse> {
    let row = access::write(&db, actor, move |c, p| {
        registry::create_region(c, p, body.0)
    })
    .await?;
    Ok(record_answer(
        true,
        &format!("/api/v1/regions/{}", row.id),
        &row,
    ))
}

/// Renames a region or changes its code (admins).
#[utoipa::path(patch, path = "/api/v1/regions/{id}", tag = "organizations", request_body = RegionPatch,
    params(("id" = i64, Path, description = "Region id")),
    responses((status = 200, body = Region), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/regions/{id}")]
async fn update_region(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<RegionId>,
    body: JsonBody<RegionPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let row = access::write(&db, actor, move |c, p| {
        registry::update_region(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Adds an industry with its supervising department (admins).
#[utoipa::path(post, path = "/api/v1/industries", tag = "organizations", request_body = NewIndustry,
    responses((status = 201, body = Industry), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/industries")]
async fn create_industry(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewIndustry>,
) -> AppResult<HttpResponse> {
    let row = access::write(&db, actor, move |c, p| {
        registry::create_industry(c, p, body.0)
    })
    .await?;
    Ok(record_answer(
        true,
        &format!("/api/v1/industries/{}", row.id),
        &row,
    ))
}

/// Renames an industry, changes its code or its department (admins).
#[utoipa::path(patch, path = "/api/v1/industries/{id}", tag = "organizations", request_body = IndustryPatch,
    params(("id" = i64, Path, description = "Industry id")),
    responses((status = 200, body = Industry), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/industries/{id}")]
async fn update_industry(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<IndustryId>,
    body: JsonBody<IndustryPatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let row = access::write(&db, actor, move |c, p| {
        registry::update_industry(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Records that an enterprise closed (停业): its users can no longer log in, its memberships
/// end, its findings and history stay. A lead must hand its alliance over first (409).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/deactivate", tag = "organizations", request_body = Deactivation,
    params(("id" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = Enterprise), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/enterprises/{id}/deactivate")]
async fn deactivate_enterprise(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EnterpriseId>,
    body: JsonBody<Deactivation>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let row = access::write(&db, actor, move |c, p| {
        registry::deactivate(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(row))
}

/// Records that a closed enterprise operates again (its accounts and memberships stay as they
/// are until reactivated and added again).
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/reactivate", tag = "organizations",
    params(("id" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = Enterprise), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/enterprises/{id}/reactivate")]
async fn reactivate_enterprise(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EnterpriseId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let row = access::write(&db, actor, move |c, p| registry::reactivate(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(row))
}
