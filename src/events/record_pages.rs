//! Pages for what events leave behind: the attendance downloads, the A4 sign-in sheet (签到表),
//! and the training records of an enterprise and of the viewer.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::access;
use crate::api::{file, XLSX};
use crate::auth::WebUser;
use crate::db::Db;
use crate::events::model::*;
use crate::events::{records, service};
use crate::web::{path_id, PageContext, PageError, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/{id}/attendance.csv", web::get().to(csv))
        .route("/events/{id}/attendance.xlsx", web::get().to(xlsx))
        .route("/events/{id}/sign-in-sheet", web::get().to(sign_in_sheet))
        .route(
            "/enterprises/{id}/training",
            web::get().to(enterprise_training),
        )
        .route("/training", web::get().to(my_training));
}

/// Blank lines a sign-in sheet offers for people who come unannounced.
const BLANK_LINES: usize = 10;

async fn csv(
    db: web::Data<Db>,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id::<EventId>(&id)?;
    let bytes = access::read(&db, actor, move |c, p| records::csv(c, p, id)).await?;
    Ok(file(
        bytes,
        "text/csv; charset=utf-8",
        &format!("attendance-{id}.csv"),
    ))
}

async fn xlsx(
    db: web::Data<Db>,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path_id::<EventId>(&id)?;
    let bytes = access::read(&db, actor, move |c, p| records::xlsx(c, p, id)).await?;
    Ok(file(bytes, XLSX, &format!("attendance-{id}.xlsx")))
}

async fn sign_in_sheet(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let d = service::detail(conn, policy, id)?;
        if !d.organizer {
            return Err(crate::error::AppError::Forbidden(
                "Only the event's organizers print its sign-in sheet.".into(),
            ));
        }
        let mut lines: Vec<serde_json::Value> = d
            .registrations
            .iter()
            .map(|r| json!({"name": r.user_name, "enterprise": r.enterprise_name}))
            .collect();
        lines.extend((0..BLANK_LINES).map(|_| json!({"name": "", "enterprise": ""})));
        let lines: Vec<serde_json::Value> = lines
            .into_iter()
            .enumerate()
            .map(|(n, mut l)| {
                l["n"] = json!(n + 1);
                l
            })
            .collect();
        Ok(json!({"e": d, "lines": lines}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "events/sign_in", data)
}

#[derive(serde::Deserialize)]
struct YearQuery {
    year: Option<i32>,
}

async fn enterprise_training(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    q: web::Query<YearQuery>,
) -> PageResult {
    let id = path_id::<EnterpriseId>(&id)?;
    let year = q.into_inner().year;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let record = records::enterprise_record(conn, policy, id, year)?;
        let name = crate::org::store::enterprise(conn, id)?.map(|e| e.name);
        Ok(json!({"record": record, "whose": name, "year": year}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "events/training", data)
}

async fn my_training(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<YearQuery>,
) -> PageResult {
    let year = q.into_inner().year;
    let whose = actor.name.clone();
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let record = records::my_record(conn, policy, year)?;
        Ok(json!({"record": record, "whose": whose, "year": year}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "events/training", data)
}
