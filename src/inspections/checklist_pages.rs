//! Pages for checklist templates (list, read, create, edit — a used version is edited into a new
//! one) and for the viewer's calendar (download, subscribe with a personal address, revoke).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::auth::{Actor, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::inspections::calendar;
use crate::inspections::checklists;
use crate::inspections::model::*;
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/checklists", web::get().to(list))
        .route("/checklists/new", web::get().to(new_form))
        .route("/checklists/new", web::post().to(create))
        .route("/checklists/{id}", web::get().to(detail))
        .route("/checklists/{id}/edit", web::get().to(edit_form))
        .route("/checklists/{id}/edit", web::post().to(edit))
        .route("/calendar", web::get().to(calendar_page))
        .route("/calendar", web::post().to(calendar_act))
        .route("/calendar.ics", web::get().to(calendar_file));
}

/// Blank item rows a form offers beyond the template's own.
const SPARE_ROWS: usize = 5;

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let query = ChecklistQuery {
            per_page: Some(100),
            ..Default::default()
        };
        let list = checklists::list(conn, policy, &query)?;
        let alliances: Vec<AllianceId> = list.items.iter().filter_map(|c| c.alliance_id).collect();
        let names = alliance_names(conn, &alliances)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|c| {
                let owner = c.alliance_id.and_then(|a| names.get(&a).cloned());
                json!({"c": c, "owner": owner})
            })
            .collect();
        let may_create = policy.is_authority() || !policy.led_alliances().is_empty();
        Ok(json!({"items": items, "may_create": may_create}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/checklists", data)
}

fn alliance_names(
    conn: &mut AnyConnection,
    ids: &[AllianceId],
) -> AppResult<std::collections::HashMap<AllianceId, String>> {
    let mut out = std::collections::HashMap::new();
    for id in ids {
        if let Some(a) = org::alliance(conn, *id)? {
            out.insert(*id, a.name);
        }
    }
    Ok(out)
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<ChecklistId>(&id)?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let c = checklists::get(conn, policy, id)?;
        let industry = match c.summary.industry_id {
            Some(i) => org::industry(conn, i)?.map(|i| i.name),
            None => None,
        };
        Ok(json!({"c": c, "industry": industry}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/checklist", data)
}

/// The form's choices: industries, and the alliances whose templates the viewer keeps.
fn form_data(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let industries = org::industries(conn)?;
    // The alliances whose own templates the viewer keeps: those it leads, or oversees.
    let led = match policy.is_authority() {
        true => match org::visible_alliance_ids(conn, &policy.oversight())? {
            Some(ids) => ids,
            None => org::all_alliance_ids(conn)?,
        },
        false => policy.led_alliances().to_vec(),
    };
    let names = alliance_names(conn, &led)?;
    let owners: Vec<Value> = led
        .iter()
        .map(|a| json!({"id": a, "name": names.get(a).cloned().unwrap_or_default()}))
        .collect();
    Ok(json!({"industries": industries, "owners": owners,
              "district": policy.is_authority(), "errors": {}}))
}

/// A template as the form shows it: its fields and item rows (plus blank ones).
fn rows(name: &str, note: &str, industry: Option<IndustryId>, items: Vec<Value>) -> Value {
    let mut rows = items;
    for _ in 0..SPARE_ROWS {
        rows.push(json!({"text": "", "category": "other", "grade": "general", "clause": "", "caution": ""}));
    }
    let rows: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(n, mut r)| {
            r["n"] = json!(n);
            r["label"] = json!(n + 1);
            r
        })
        .collect();
    json!({"name": name, "note": note, "industry_id": industry, "rows": rows, "alliance_id": ""})
}

/// The template a form describes: its item rows, in order, blank rows left out.
fn read_form(form: &PageForm) -> Result<NewChecklist, AppError> {
    let mut items = Vec::new();
    let mut errors: Option<AppError> = None;
    for n in 0..(max::ITEMS + SPARE_ROWS) {
        let text = form.text(&format!("text_{n}")).trim().to_string();
        if text.is_empty() {
            continue;
        }
        let category = form.text(&format!("category_{n}")).parse::<Category>();
        let grade = form.text(&format!("grade_{n}")).parse::<Grade>();
        match (category, grade) {
            (Ok(category), Ok(grade)) => items.push(NewItem {
                text,
                category,
                clause: form.text(&format!("clause_{n}")).trim().to_string(),
                grade,
                caution: form.text(&format!("caution_{n}")).trim().to_string(),
            }),
            _ => {
                let e = AppError::field(
                    &format!("items[{}]", items.len()),
                    crate::message::msg::NOT_LISTED,
                );
                errors = Some(match errors {
                    Some(prev) => prev.merge(e),
                    None => e,
                });
            }
        }
    }
    if let Some(e) = errors {
        return Err(e);
    }
    Ok(NewChecklist {
        name: form.text("name").trim().to_string(),
        note: form.text("note").trim().to_string(),
        alliance_id: match form.text("alliance_id").trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                AppError::field("alliance_id", crate::message::msg::NO_SUCH_ALLIANCE)
            })?),
        },
        industry_id: form.text("industry_id").parse().ok(),
        items,
    })
}

/// The rows a refused form had, to show again.
fn echo(form: &PageForm) -> Value {
    let mut items = Vec::new();
    for n in 0..(max::ITEMS + SPARE_ROWS) {
        let text = form.text(&format!("text_{n}"));
        if text.trim().is_empty() {
            continue;
        }
        items.push(
            json!({"text": text, "category": form.text(&format!("category_{n}")),
            "grade": form.text(&format!("grade_{n}")), "clause": form.text(&format!("clause_{n}")),
            "caution": form.text(&format!("caution_{n}"))}),
        );
    }
    let mut values = rows(
        form.text("name"),
        form.text("note"),
        form.text("industry_id").parse().ok(),
        items,
    );
    values["alliance_id"] = json!(form.text("alliance_id"));
    values
}

async fn show_form(
    pages: &Pages,
    ctx: &PageContext,
    actor: &Actor,
    db: &Db,
    (values, errors, status): (Value, Value, StatusCode),
    action: String,
) -> PageResult {
    let mut data = access::read(db, actor.clone(), form_data).await?;
    data["values"] = values;
    data["errors"] = errors;
    data["action"] = json!(action);
    pages.page(ctx, actor, status, "inspections/checklist_form", data)
}

async fn new_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let values = rows("", "", None, Vec::new());
    let shown = (values, json!({}), StatusCode::OK);
    show_form(&pages, &ctx, &actor, &db, shown, "/checklists/new".into()).await
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let result = match read_form(&form) {
        Ok(new) => {
            access::write(&db, actor.clone(), move |c, p| {
                checklists::create(c, p, new)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(ctx.done(&format!("/checklists/{id}"), "flash_checklist_saved")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let shown = (echo(&form), errors, StatusCode::UNPROCESSABLE_ENTITY);
                show_form(&pages, &ctx, &actor, &db, shown, "/checklists/new".into()).await
            }
            None => Err(err.into()),
        },
    }
}

async fn edit_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<ChecklistId>(&id)?;
    let c = access::read(&db, actor.clone(), move |c, p| checklists::get(c, p, id)).await?;
    if !c.editable {
        return Err(
            AppError::Forbidden("You may read this checklist but not edit it.".into()).into(),
        );
    }
    let items: Vec<Value> = c.items.iter().map(|i| json!(i)).collect();
    let mut values = rows(
        &c.summary.name,
        &c.summary.note,
        c.summary.industry_id,
        items,
    );
    values["used"] = json!(c.used);
    let shown = (values, json!({}), StatusCode::OK);
    show_form(
        &pages,
        &ctx,
        &actor,
        &db,
        shown,
        format!("/checklists/{id}/edit"),
    )
    .await
}

async fn edit(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<ChecklistId>(&id)?;
    let result = match read_form(&form) {
        Ok(new) => {
            access::write(&db, actor.clone(), move |c, p| {
                checklists::edit(c, p, id, new)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((edited, _)) => Ok(ctx.done(&format!("/checklists/{edited}"), "flash_checklist_saved")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let shown = (echo(&form), errors, StatusCode::UNPROCESSABLE_ENTITY);
                let action = format!("/checklists/{id}/edit");
                show_form(&pages, &ctx, &actor, &db, shown, action).await
            }
            None => Err(err.into()),
        },
    }
}

async fn calendar_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let has = access::read(&db, actor.clone(), calendar::has_feed).await?;
    let data = json!({"has_feed": has, "feed_url": null});
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/calendar", data)
}

/// Makes (or revokes) the viewer's personal feed address; a new one is shown on this answer only.
async fn calendar_act(
    req: HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    if form.text("action") == "revoke" {
        access::write(&db, actor.clone(), calendar::revoke_feed).await?;
        return Ok(ctx.done("/calendar", "flash_calendar_revoked"));
    }
    let feed = access::write(&db, actor.clone(), calendar::create_feed).await?;
    let info = req.connection_info();
    let url = format!("{}://{}{}", info.scheme(), info.host(), feed.url);
    let data = json!({"has_feed": true, "feed_url": url});
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/calendar", data)
}

/// The viewer's calendar as a file, for a one-off import.
async fn calendar_file(db: web::Data<Db>, WebUser(actor): WebUser) -> AppResult<HttpResponse> {
    let body = access::read(&db, actor, calendar::ics).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"inspections.ics\"",
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body))
}
