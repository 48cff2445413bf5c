//! `/healthz` (the process answers) and `/readyz` (the database answers).

use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::{AppResult, Problem};

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
#[actix_web::get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers a query.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Problem, content_type = "application/problem+json")))]
#[actix_web::get("/readyz")]
pub async fn readyz(db: web::Data<Db>) -> AppResult<HttpResponse> {
    db.run(|conn| {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1"))
            .get_result::<i32>(conn)
            .map_err(|e| crate::error::AppError::Unavailable(e.to_string()))
    })
    .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
