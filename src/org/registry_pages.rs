//! Pages that keep the registry current: streets, zones and industries (`/registry`, admins
//! edit), and an enterprise's closing (and reopening) from its page.

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Actor, WebUser};
use crate::db::Db;
use crate::error::AppError;
use crate::org::model::*;
use crate::org::registry::{
    self, Deactivation, IndustryPatch, NewIndustry, NewRegion, RegionPatch,
};
use crate::org::store;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/registry", web::get().to(show))
        .route("/registry/regions", web::post().to(add_region))
        .route("/registry/regions/{id}", web::post().to(edit_region))
        .route("/registry/industries", web::post().to(add_industry))
        .route("/registry/industries/{id}", web::post().to(edit_industry))
        .route("/enterprises/{id}/deactivate", web::post().to(deactivate))
        .route("/enterprises/{id}/reactivate", web::post().to(reactivate));
}

async fn render(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    (errors, status): (Value, StatusCode),
) -> PageResult {
    let mut data = access::read(db, actor.clone(), |conn, policy| {
        policy.require_authority("see the registry")?;
        let regions = store::regions(conn)?;
        let industries = store::industries(conn)?;
        Ok(json!({"regions": regions, "industries": industries, "is_admin": policy.is_admin()}))
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, status, "registry", data)
}

async fn show(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    render(&pages, &db, &ctx, actor, (json!({}), StatusCode::OK)).await
}

/// Answers a registry form: back to the page with a flash, or the page with the errors.
async fn answer<T>(
    (pages, db, ctx, actor): (&Pages, &Db, &PageContext, Actor),
    result: Result<T, AppError>,
    flash: &str,
) -> PageResult {
    match result {
        Ok(_) => Ok(ctx.done("/registry", flash)),
        Err(err) => {
            let shown = form_failure(pages, ctx.lang, err, ("code", "registry_taken"))?;
            render(pages, db, ctx, actor, shown).await
        }
    }
}

async fn add_region(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let result = match form.parse::<NewRegion>() {
        Ok(new) => {
            access::write(&db, actor.clone(), move |c, p| {
                registry::create_region(c, p, new)
            })
            .await
        }
        Err(e) => Err(e),
    };
    answer((&pages, &db, &ctx, actor), result, "flash_registry_saved").await
}

async fn edit_region(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<RegionId>(&id)?;
    let result = match form.parse::<RegionPatch>() {
        Ok(patch) => {
            access::write(&db, actor.clone(), move |c, p| {
                registry::update_region(c, p, id, patch)
            })
            .await
        }
        Err(e) => Err(e),
    };
    answer((&pages, &db, &ctx, actor), result, "flash_registry_saved").await
}

async fn add_industry(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let result = match form.parse::<NewIndustry>() {
        Ok(new) => {
            access::write(&db, actor.clone(), move |c, p| {
                registry::create_industry(c, p, new)
            })
            .await
        }
        Err(e) => Err(e),
    };
    answer((&pages, &db, &ctx, actor), result, "flash_registry_saved").await
}

async fn edit_industry(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<IndustryId>(&id)?;
    let result = match form.parse::<IndustryPatch>() {
        Ok(patch) => {
            access::write(&db, actor.clone(), move |c, p| {
                registry::update_industry(c, p, id, patch)
            })
            .await
        }
        Err(e) => Err(e),
    };
    answer((&pages, &db, &ctx, actor), result, "flash_registry_saved").await
}

/// Closing an enterprise, asked first (its people lose their logins).
async fn deactivate(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<EnterpriseId>(&id)?;
    let here = format!("/enterprises/{id}");
    if !form.confirmed() {
        let name = access::read(&db, actor.clone(), move |c, p| {
            Ok(crate::org::service::visible_enterprise(c, p, id)?.0.name)
        })
        .await?;
        let action = format!("/enterprises/{id}/deactivate");
        return pages.confirm(
            &ctx,
            &actor,
            &form,
            ("confirm_deactivate_enterprise", &name),
            &action,
            &here,
        );
    }
    let body = form.parse::<Deactivation>()?;
    let result = access::write(&db, actor.clone(), move |c, p| {
        registry::deactivate(c, p, id, body)
    })
    .await;
    match result {
        Ok(_) => Ok(ctx.done(&here, "flash_enterprise_closed")),
        Err(AppError::Conflict { kind, .. }) => {
            let flash = match kind {
                "lead-of-alliance" => "flash_enterprise_leads",
                _ => "flash_enterprise_closed_already",
            };
            Ok(ctx.done(&here, flash))
        }
        Err(e) => Err(e.into()),
    }
}

async fn reactivate(
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    _form: PageForm,
) -> PageResult {
    let id = path_id::<EnterpriseId>(&id)?;
    access::write(&db, actor, move |c, p| registry::reactivate(c, p, id)).await?;
    Ok(ctx.done(&format!("/enterprises/{id}"), "flash_enterprise_reopened"))
}
