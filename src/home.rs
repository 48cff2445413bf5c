//! The home page: each feature offers the section it shows to the viewer, and home composes
//! them (features know nothing of each other's sections).

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::json;

use crate::access;
use crate::auth::WebUser;
use crate::db::Db;
use crate::web::{PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home));
}

async fn home(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let lang = ctx.lang;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        Ok(json!({
            "org": crate::org::pages::home_section(conn, policy, lang)?,
            "findings": crate::findings::pages::home_section(conn, policy)?,
            "inspections": crate::inspections::pages::home_section(conn, policy)?,
            "events": crate::events::pages::home_section(conn, policy)?,
            "oversight": crate::oversight::home::home_section(conn, policy)?,
        }))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "home", data)
}
