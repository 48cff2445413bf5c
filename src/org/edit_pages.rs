//! Edit pages for enterprises and alliances (the API's PATCH, as forms). Regulators edit what
//! they manage; an enterprise's own users keep its contact details up to date.

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access::{self, Sight};
use crate::auth::{Actor, WebUser};
use crate::db::Db;
use crate::error::AppError;
use crate::org::model::*;
use crate::org::pages::reference;
use crate::org::service;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/enterprises/{id}/edit", web::get().to(enterprise_form))
        .route("/enterprises/{id}/edit", web::post().to(enterprise_save))
        .route("/alliances/{id}/edit", web::get().to(alliance_form))
        .route("/alliances/{id}/edit", web::post().to(alliance_save));
}

/// The enterprise form, filled with `values` (the record's, or what was sent): all fields for
/// those who manage the enterprise, the contact details only for its own users.
async fn render_enterprise(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: EnterpriseId,
    (values, errors, status): (Option<Value>, Value, StatusCode),
) -> PageResult {
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        let (row, sight) = service::visible_enterprise(conn, policy, id)?;
        let manage = policy.may_manage_enterprise(row.region_id, row.industry_id);
        if sight != Sight::Full {
            return Err(AppError::NotFound);
        }
        policy.require_edit_contact(id, row.region_id, row.industry_id)?;
        let mut data = reference(conn, policy)?;
        data["enterprise"] = json!({"id": row.id, "name": row.name, "credit_code": row.credit_code});
        data["values"] = values.unwrap_or_else(|| {
            json!({"name": row.name, "credit_code": row.credit_code, "region_id": row.region_id.0.to_string(),
                   "industry_id": row.industry_id.0.to_string(), "scale": row.scale.as_str(),
                   "address": row.address, "contact_name": row.contact_name, "contact_phone": row.contact_phone})
        });
        data["contact_only"] = json!(!manage);
        Ok(data)
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, status, "enterprises/edit", data)
}

async fn enterprise_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<EnterpriseId>(&id)?;
    let shown = (None, json!({}), StatusCode::OK);
    render_enterprise(&pages, &db, &ctx, actor, id, shown).await
}

/// The blank form's fields (what an edit form sends back).
fn blank_enterprise() -> Value {
    json!({"name": "", "credit_code": "", "region_id": "", "industry_id": "", "scale": "",
           "address": "", "contact_name": "", "contact_phone": ""})
}

async fn enterprise_save(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<EnterpriseId>(&id)?;
    let result = match form.parse::<EnterprisePatch>() {
        Ok(mut patch) => {
            // Contact fields left blank are cleared, not kept.
            patch.address = Some(form.text("address").trim().to_string());
            patch.contact_name = Some(form.text("contact_name").trim().to_string());
            patch.contact_phone = Some(form.text("contact_phone").trim().to_string());
            access::write(&db, actor.clone(), move |c, p| {
                service::update_enterprise(c, p, id, patch)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(ctx.done(&format!("/enterprises/{id}"), "flash_enterprise_updated")),
        Err(err) => {
            let conflict = ("credit_code", "duplicate_credit_code");
            let (errors, status) = form_failure(&pages, ctx.lang, err, conflict)?;
            let shown = (Some(form.echo(blank_enterprise())), errors, status);
            render_enterprise(&pages, &db, &ctx, actor, id, shown).await
        }
    }
}

async fn render_alliance(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: AllianceId,
    (values, errors, status): (Option<Value>, Value, StatusCode),
) -> PageResult {
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        let row = service::visible_alliance(conn, policy, id)?;
        policy.require_manage_alliance(row.region_id, row.industry_id)?;
        Ok(json!({
            "alliance": {"id": row.id, "name": row.name},
            "values": values.unwrap_or_else(|| json!({"name": row.name, "founded_on": row.founded_on.to_string()})),
        }))
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, status, "alliances/edit", data)
}

async fn alliance_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let shown = (None, json!({}), StatusCode::OK);
    render_alliance(&pages, &db, &ctx, actor, id, shown).await
}

async fn alliance_save(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let result = match form.parse::<AlliancePatch>() {
        Ok(patch) => {
            access::write(&db, actor.clone(), move |c, p| {
                service::update_alliance(c, p, id, patch)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(ctx.done(&format!("/alliances/{id}"), "flash_alliance_updated")),
        Err(err) => {
            let (errors, status) = form_failure(&pages, ctx.lang, err, ("name", "duplicate_name"))?;
            let shown = (
                Some(form.echo(json!({"name": "", "founded_on": ""}))),
                errors,
                status,
            );
            render_alliance(&pages, &db, &ctx, actor, id, shown).await
        }
    }
}
