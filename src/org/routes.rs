//! JSON API for regions, industries, enterprises, alliances and members.

use actix_web::{web, HttpResponse};

use crate::access;
use crate::api::{PageQuery, PageRequest, Paginated};
use crate::auth::ApiUser;
use crate::db::Db;
use crate::error::{AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::org::model::*;
use crate::org::{service, store};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_regions)
        .service(list_industries)
        .service(list_enterprises)
        .service(create_enterprise)
        .service(get_enterprise)
        .service(update_enterprise)
        .service(list_alliances)
        .service(create_alliance)
        .service(get_alliance)
        .service(update_alliance)
        .service(list_members)
        .service(add_member)
        .service(remove_member);
}

fn page_of<T: Clone>(all: Vec<T>, page: PageRequest) -> Paginated<T> {
    let total = all.len() as i64;
    let items = all
        .into_iter()
        .skip(page.offset() as usize)
        .take(page.per_page as usize)
        .collect();
    page.wrap(items, total)
}

/// The district's regions (district, streets, functional zones).
#[utoipa::path(get, path = "/api/v1/regions", tag = "organizations", params(PageQuery),
    responses((status = 200, body = Paginated<Region>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/regions")]
pub(crate) async fn list_regions(
    db: web::Data<Db>,
    _user: ApiUser,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = PageRequest::new(q.0.page, q.0.per_page)?;
    let all = db.run(store::regions).await?;
    Ok(HttpResponse::Ok().json(page_of(all, page)))
}

/// Industries (行业领域) and their supervising departments.
#[utoipa::path(get, path = "/api/v1/industries", tag = "organizations", params(PageQuery),
    responses((status = 200, body = Paginated<Industry>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/industries")]
pub(crate) async fn list_industries(
    db: web::Data<Db>,
    _user: ApiUser,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let page = PageRequest::new(q.0.page, q.0.per_page)?;
    let all = db.run(store::industries).await?;
    Ok(HttpResponse::Ok().json(page_of(all, page)))
}

/// Enterprises in the caller's scope.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "organizations", params(EnterpriseQuery),
    responses((status = 200, body = Paginated<Enterprise>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/enterprises")]
pub(crate) async fn list_enterprises(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<EnterpriseQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| {
        service::list_enterprises(c, p, &q.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Registers an enterprise (regulators, within their scope).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "organizations", request_body = NewEnterprise,
    responses((status = 201, body = Enterprise), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/enterprises")]
pub(crate) async fn create_enterprise(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewEnterprise>,
) -> AppResult<HttpResponse> {
    let e = access::write(&db, actor, move |c, p| {
        service::create_enterprise(c, p, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(e))
}

/// One enterprise (404 when outside the caller's scope).
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", tag = "organizations",
    params(("id" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = Enterprise), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/enterprises/{id}")]
pub(crate) async fn get_enterprise(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EnterpriseId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let e = access::read(&db, actor, move |c, p| service::get_enterprise(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Updates an enterprise. Its own users may change the contact details only.
#[utoipa::path(patch, path = "/api/v1/enterprises/{id}", tag = "organizations", request_body = EnterprisePatch,
    params(("id" = i64, Path, description = "Enterprise id")),
    responses((status = 200, body = Enterprise), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/enterprises/{id}")]
pub(crate) async fn update_enterprise(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<EnterpriseId>,
    body: JsonBody<EnterprisePatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let e = access::write(&db, actor, move |c, p| {
        service::update_enterprise(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(e))
}

/// Alliances in the caller's scope.
#[utoipa::path(get, path = "/api/v1/alliances", tag = "organizations", params(AllianceQuery),
    responses((status = 200, body = Paginated<Alliance>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances")]
pub(crate) async fn list_alliances(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<AllianceQuery>,
) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, move |c, p| service::list_alliances(c, p, &q.0)).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Founds an alliance with its lead enterprise (regulators, within their scope).
#[utoipa::path(post, path = "/api/v1/alliances", tag = "organizations", request_body = NewAlliance,
    responses((status = 201, body = Alliance), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/alliances")]
pub(crate) async fn create_alliance(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewAlliance>,
) -> AppResult<HttpResponse> {
    let a = access::write(&db, actor, move |c, p| {
        service::create_alliance(c, p, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(a))
}

/// One alliance.
#[utoipa::path(get, path = "/api/v1/alliances/{id}", tag = "organizations",
    params(("id" = i64, Path, description = "Alliance id")),
    responses((status = 200, body = Alliance), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances/{id}")]
pub(crate) async fn get_alliance(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let a = access::read(&db, actor, move |c, p| service::get_alliance(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(a))
}

/// Renames an alliance or appoints its lead.
#[utoipa::path(patch, path = "/api/v1/alliances/{id}", tag = "organizations", request_body = AlliancePatch,
    params(("id" = i64, Path, description = "Alliance id")),
    responses((status = 200, body = Alliance), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::patch("/alliances/{id}")]
pub(crate) async fn update_alliance(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    body: JsonBody<AlliancePatch>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let a = access::write(&db, actor, move |c, p| {
        service::update_alliance(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(a))
}

/// Current members of an alliance, lead first.
#[utoipa::path(get, path = "/api/v1/alliances/{id}/members", tag = "organizations",
    params(("id" = i64, Path, description = "Alliance id"), PageQuery),
    responses((status = 200, body = Paginated<Member>), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/alliances/{id}/members")]
pub(crate) async fn list_members(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    q: QueryParams<PageQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let page = PageRequest::new(q.0.page, q.0.per_page)?;
    let list = access::read(&db, actor, move |c, p| {
        service::list_members(c, p, id, page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Adds an enterprise to an alliance.
#[utoipa::path(post, path = "/api/v1/alliances/{id}/members", tag = "organizations", request_body = NewMember,
    params(("id" = i64, Path, description = "Alliance id")),
    responses((status = 201, body = Member), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/alliances/{id}/members")]
pub(crate) async fn add_member(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<AllianceId>,
    body: JsonBody<NewMember>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let m = access::write(&db, actor, move |c, p| {
        service::add_member(c, p, id, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(m))
}

/// Removes a member (its membership is kept as history with an end date).
#[utoipa::path(delete, path = "/api/v1/alliances/{id}/members/{enterprise_id}", tag = "organizations",
    params(("id" = i64, Path, description = "Alliance id"), ("enterprise_id" = i64, Path, description = "Enterprise id")),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::delete("/alliances/{id}/members/{enterprise_id}")]
pub(crate) async fn remove_member(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    path: web::Path<(AllianceId, EnterpriseId)>,
) -> AppResult<HttpResponse> {
    let (id, enterprise) = path.into_inner();
    access::write(&db, actor, move |c, p| {
        service::remove_member(c, p, id, enterprise)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
