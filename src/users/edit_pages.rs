//! The edit page of an account: its name and phone, and (admins) an expert's alliances.

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Actor, Role, UserId, WebUser};
use crate::db::ids::AllianceId;
use crate::db::Db;
use crate::error::AppError;
use crate::message::msg;
use crate::users::service::{self, UserPatch};
use crate::web::form::PageForm;
use crate::web::{form_errors, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users/{id}/edit", web::get().to(form))
        .route("/users/{id}/edit", web::post().to(save));
}

async fn render(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: UserId,
    (values, errors, status): (Option<Value>, Value, StatusCode),
) -> PageResult {
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        let shown = service::get(conn, policy, id)?;
        let row = crate::auth::user::find(conn, id)?.ok_or(AppError::NotFound)?;
        if !service::may_manage(conn, policy, &row)? {
            return Err(AppError::Forbidden(
                "You may not change this account.".into(),
            ));
        }
        let values = values.unwrap_or_else(|| {
            json!({"name": shown.name, "phone": shown.phone, "alliance_ids": shown.alliance_ids})
        });
        // An expert's alliances are the admins' to assign.
        let alliances = if policy.is_admin() && shown.role == Role::Expert {
            super::pages::alliance_boxes(conn, policy, &super::pages::ticked(&values))?
        } else {
            Vec::new()
        };
        Ok(json!({"shown": shown, "values": values, "alliances": alliances}))
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, status, "users/edit", data)
}

async fn form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let shown = (None, json!({}), StatusCode::OK);
    render(&pages, &db, &ctx, actor, path_id::<UserId>(&id)?, shown).await
}

async fn save(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    // The alliance boxes are on the form only for an admin editing an expert; assignments to
    // alliances the form did not show stay as they are.
    let assigns = form.take("assigns_alliances").is_some();
    let shown: Vec<i64> = form
        .take_all("shown_alliance")
        .iter()
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let ticked: Result<Vec<AllianceId>, AppError> = form
        .take_all("alliance_id")
        .iter()
        .map(|s| {
            s.trim()
                .parse()
                .map(AllianceId)
                .map_err(|_| AppError::field("alliance_ids", msg::IDS_COMMAS))
        })
        .collect();
    let chosen: Vec<i64> = ticked
        .as_ref()
        .map(|t| t.iter().map(|a| a.0).collect())
        .unwrap_or_default();
    let patch = UserPatch {
        name: Some(form.text("name").trim().to_string()),
        phone: Some(form.text("phone").trim().to_string()),
        ..Default::default()
    };
    let result = match (ticked, assigns) {
        (Err(e), _) => Err(e),
        (Ok(ticked), assigns) => {
            access::write(&db, actor.clone(), move |c, p| {
                let alliance_ids = if assigns {
                    let current = service::get(c, p, id)?.alliance_ids;
                    let mut ids: Vec<AllianceId> = current
                        .into_iter()
                        .filter(|a| !shown.contains(&a.0))
                        .collect();
                    ids.extend(ticked.into_iter().filter(|a| shown.contains(&a.0)));
                    ids.sort();
                    ids.dedup();
                    Some(ids)
                } else {
                    None
                };
                service::update(
                    c,
                    p,
                    id,
                    UserPatch {
                        alliance_ids,
                        ..patch
                    },
                    None,
                )
            })
            .await
        }
    };
    match result {
        Ok(_) => Ok(ctx.done(&format!("/users/{id}"), "flash_user_updated")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let mut values = form.echo(json!({"name": "", "phone": ""}));
                values["alliance_ids"] = json!(chosen);
                let shown = (Some(values), errors, StatusCode::UNPROCESSABLE_ENTITY);
                render(&pages, &db, &ctx, actor, id, shown).await
            }
            None => Err(err.into()),
        },
    }
}
