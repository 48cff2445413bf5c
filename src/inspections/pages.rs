//! Pages for mutual inspection: an alliance's batches, the lead's batch wizard, the pairing
//! review (dates, swaps, publish, close) with progress, the inspector's checklist on a phone,
//! what the target sees, and the printable inspection record (互查记录表).

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::auth::{Actor, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::inspections::model::*;
use crate::inspections::store::Involving;
use crate::inspections::{
    checklist_pages, checklists, inspection, inspection_pages, service, store,
};
use crate::org::service as org_service;
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alliances/{id}/batches", web::get().to(batch_list))
        .route("/alliances/{id}/batches/new", web::get().to(new_batch))
        .route("/alliances/{id}/batches/new", web::post().to(create_batch))
        .route("/batches/{id}", web::get().to(batch_page))
        .route("/batches/{id}/act", web::post().to(batch_act))
        .route("/batches/{id}/swap", web::post().to(swap))
        .configure(inspection_pages::configure)
        .configure(checklist_pages::configure);
}

/// The inspections part of the home page: the enterprise's coming and recent inspections.
pub fn home_section(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let Some(own) = policy.own_enterprise() else {
        return Ok(json!({"coming": [], "recent": [], "any": false}));
    };
    let since = crate::db::types::now() - chrono::Duration::days(30);
    let mut sections = Vec::new();
    for which in [Involving::Open, Involving::SubmittedSince(since)] {
        let limit = match which {
            Involving::Open => 6,
            Involving::SubmittedSince(_) => 3,
        };
        let mut items = Vec::new();
        for (row, batch) in store::inspections_involving(conn, own, which, limit)? {
            let view = inspection::inspection_views(conn, vec![row], &batch)?.remove(0);
            let inspecting = view.inspector_enterprise_id == own;
            items.push(json!({"inspection": view, "inspecting": inspecting, "batch": batch.name}));
        }
        sections.push(items);
    }
    let recent = sections.pop().unwrap_or_default();
    let coming = sections.pop().unwrap_or_default();
    let any = !coming.is_empty() || !recent.is_empty();
    Ok(json!({"coming": coming, "recent": recent, "any": any}))
}

async fn batch_list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let (alliance, manages) = service::batch_alliance(conn, policy, id)?;
        let page = crate::api::PageRequest::new(Some(1), Some(100))?;
        let list = service::list(conn, policy, id, page)?;
        Ok(
            json!({"alliance": {"id": alliance.id, "name": alliance.name}, "batches": list.items,
                  "manages": manages}),
        )
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/batches", data)
}

/// The wizard's choices: the alliance's members and the templates it may use.
fn wizard_data(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    ticked: Option<Vec<EnterpriseId>>,
) -> AppResult<Value> {
    let alliance = org_service::visible_alliance(conn, policy, id)?;
    let members = crate::org::store::alliance_members(conn, id)?;
    let names = org::enterprise_names(conn, &members)?;
    let mut members: Vec<Value> = members
        .iter()
        .map(|e| {
            let checked = ticked.as_ref().is_none_or(|t| t.contains(e));
            json!({"id": e, "name": names.get(e).cloned().unwrap_or_default(), "checked": checked})
        })
        .collect();
    members.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let query = ChecklistQuery {
        alliance_id: Some(id),
        per_page: Some(100),
        ..Default::default()
    };
    let templates = checklists::list(conn, policy, &query)?.items;
    Ok(
        json!({"alliance": {"id": alliance.id, "name": alliance.name}, "members": members,
              "checklists": templates, "errors": {}}),
    )
}

fn blank_batch() -> Value {
    let today = crate::db::types::today();
    json!({"name": "", "starts_on": today.to_string(),
           "ends_on": (today + chrono::Duration::days(30)).to_string(), "checklist_id": "",
           "per_target": "1", "recent_batches": "2", "conflicts": "", "seed": ""})
}

async fn new_batch(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let mut data = access::read(&db, actor.clone(), move |c, p| {
        service::may_open_batches(c, p, id)?;
        wizard_data(c, p, id, None)
    })
    .await?;
    data["values"] = blank_batch();
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/new_batch", data)
}

/// Conflicts typed one pair a line ("name or credit code / name or credit code").
fn conflicts(
    conn: &mut AnyConnection,
    policy: &Policy,
    text: &str,
) -> AppResult<Vec<[EnterpriseId; 2]>> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(['/', '／', '、', ',']).map(str::trim).collect();
        let [a, b] = parts[..] else {
            return Err(AppError::field(
                "conflicts",
                crate::message::msg::CONFLICT_LINE.with("line", line),
            ));
        };
        let a = org_service::find_enterprise(conn, policy, "conflicts", a)?;
        let b = org_service::find_enterprise(conn, policy, "conflicts", b)?;
        out.push([a, b]);
    }
    Ok(out)
}

async fn create_batch(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let ticked: Vec<EnterpriseId> = form
        .take_all("participant")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let conflict_text = form.take("conflicts").unwrap_or_default();
    let parsed = form.parse::<PageBatch>();
    let writer = actor.clone();
    let (text, ids) = (conflict_text.clone(), ticked.clone());
    let result = access::write(&db, writer, move |conn, policy| {
        let conflicts = conflicts(conn, policy, &text);
        let page = match (parsed, conflicts) {
            (Ok(page), Ok(conflicts)) => (page, conflicts),
            (Err(a), Err(b)) => return Err(a.merge(b)),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        let (page, conflicts) = page;
        let new = NewBatch {
            name: page.name.unwrap_or_default(),
            starts_on: page.starts_on,
            ends_on: page.ends_on,
            checklist_id: page.checklist_id,
            participant_ids: Some(ids),
            per_target: page.per_target,
            recent_batches: page.recent_batches,
            conflicts,
            seed: page.seed,
        };
        service::create(conn, policy, id, new)
    })
    .await;
    match result {
        Ok(batch) => Ok(ctx.done(&format!("/batches/{batch}"), "flash_batch_opened")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let again = ticked.clone();
                let mut data = access::read(&db, actor.clone(), move |c, p| {
                    wizard_data(c, p, id, Some(again))
                })
                .await?;
                let mut values = form.echo(blank_batch());
                values["conflicts"] = json!(conflict_text);
                data["values"] = values;
                data["errors"] = errors;
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                pages.page(&ctx, &actor, status, "inspections/new_batch", data)
            }
            None => Err(err.into()),
        },
    }
}

/// The wizard's text fields (participants and conflicts are read apart).
#[derive(serde::Deserialize)]
struct PageBatch {
    name: Option<String>,
    #[serde(deserialize_with = "crate::db::types::sane_date_required")]
    starts_on: chrono::NaiveDate,
    #[serde(deserialize_with = "crate::db::types::sane_date_required")]
    ends_on: chrono::NaiveDate,
    checklist_id: ChecklistId,
    per_target: Option<i32>,
    recent_batches: Option<i32>,
    seed: Option<i64>,
}

async fn batch_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<BatchId>(&id)?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        batch_data(conn, policy, id)
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/batch", data)
}

fn batch_data(conn: &mut AnyConnection, policy: &Policy, id: BatchId) -> AppResult<Value> {
    let detail = service::detail(conn, policy, id)?;
    let seen = service::visible_batch(conn, policy, id)?;
    let (rows, _) = store::inspections_of(conn, id, None)?;
    let list = inspection::inspection_views(conn, rows, &seen.batch)?;
    let mut ids: Vec<EnterpriseId> = detail.participant_ids.clone();
    ids.extend(detail.conflicts.iter().flatten());
    let names = org::enterprise_names(conn, &ids)?;
    let name = |id: i64| names.get(&EnterpriseId(id)).cloned().unwrap_or_default();
    let relaxed: Vec<Value> = detail
        .relaxed
        .iter()
        .map(|r| match r {
            Relaxed::RecentPair { inspector, target } => {
                json!({"rule": "recent_pair", "inspector": name(*inspector), "target": name(*target)})
            }
            Relaxed::OtherIndustry { inspector, target } => {
                json!({"rule": "other_industry", "inspector": name(*inspector), "target": name(*target)})
            }
            Relaxed::Uninspected { target, missing } => {
                json!({"rule": "uninspected", "target": name(*target), "missing": missing})
            }
        })
        .collect();
    let checklist = store::checklist(conn, detail.batch.checklist_id)?;
    let own = policy.own_enterprise();
    let mine: Vec<&Inspection> = list
        .iter()
        .filter(|i| Some(i.inspector_enterprise_id) == own || Some(i.target_enterprise_id) == own)
        .collect();
    let state = detail.batch.state;
    let numbered: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let mut v = json!(i);
            v["n"] = json!(n + 1);
            v
        })
        .collect();
    Ok(json!({
        "batch": detail, "inspections": numbered, "count": list.len(), "mine": mine,
        "relaxed": relaxed, "errors": {},
        "alliance": {"id": seen.alliance.id, "name": seen.alliance.name},
        "checklist": checklist.map(|c| json!({"id": c.id, "name": c.name, "version": c.version})),
        "draft": state == BatchState::Draft,
        "closable": detail.manageable && state != BatchState::Closed,
        "datable": detail.manageable && state != BatchState::Closed,
        "conflict_names": detail.conflicts.iter().map(|[a, b]| format!("{} / {}", name(a.0), name(b.0))).collect::<Vec<_>>(),
    }))
}

async fn batch_act(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<BatchId>(&id)?;
    let confirmed = form.confirmed();
    let action = form.text("action").to_string();
    if matches!(action.as_str(), "publish" | "close") && !confirmed {
        let name = access::read(&db, actor.clone(), move |c, p| {
            Ok(service::visible_batch(c, p, id)?.batch.name)
        })
        .await?;
        let question = match action.as_str() {
            "publish" => "confirm_publish_batch",
            _ => "confirm_close_batch",
        };
        let (here, back) = (format!("/batches/{id}/act"), format!("/batches/{id}"));
        return pages.confirm(&ctx, &actor, &form, (question, &name), &here, &back);
    }
    let writer = actor.clone();
    let (result, flash) = match action.as_str() {
        "publish" | "close" => {
            let state = match action.as_str() {
                "publish" => BatchState::Scheduled,
                _ => BatchState::Closed,
            };
            let patch = BatchPatch {
                state: Some(state),
                ..Default::default()
            };
            let r = access::write(&db, writer, move |c, p| service::update(c, p, id, patch));
            (r.await, format!("flash_batch_{action}"))
        }
        "pair" => {
            let req = PairingRequest::default();
            let r = access::write(&db, writer, move |c, p| service::pair_again(c, p, id, req));
            (r.await, "flash_batch_pair".to_string())
        }
        _ => (
            Err(AppError::field(
                "action",
                crate::message::msg::UNKNOWN_ACTION,
            )),
            String::new(),
        ),
    };
    finish(&pages, &ctx, &actor, &db, id, result, &flash).await
}

/// After a change on the batch page: back to it with a flash, or the page again with the
/// problem shown.
pub(super) async fn finish(
    pages: &Pages,
    ctx: &PageContext,
    actor: &Actor,
    db: &Db,
    id: BatchId,
    result: AppResult<()>,
    flash: &str,
) -> PageResult {
    match result {
        Ok(()) => Ok(ctx.done(&format!("/batches/{id}"), flash)),
        Err(err) => {
            let (errors, status) = form_failure(pages, ctx.lang, err, ("batch", "batch_changed"))?;
            let mut data =
                access::read(db, actor.clone(), move |c, p| batch_data(c, p, id)).await?;
            data["errors"] = errors;
            pages.page(ctx, actor, status, "inspections/batch", data)
        }
    }
}

async fn swap(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<BatchId>(&id)?;
    let (a, b) = (form.text("a").parse(), form.text("b").parse());
    let result = match (a, b) {
        (Ok(a), Ok(b)) => {
            let patch = InspectionPatch {
                swap_target_with: Some(b),
                ..Default::default()
            };
            access::write(&db, actor.clone(), move |c, p| {
                let (row, _, _) = inspection::visible_inspection(c, p, a, false)?;
                if row.batch_id != id {
                    return Err(AppError::field(
                        "swap_target_with",
                        crate::message::msg::NOT_IN_BATCH,
                    ));
                }
                inspection::update_inspection(c, p, a, patch)
            })
            .await
        }
        _ => Err(AppError::field(
            "swap_target_with",
            crate::message::msg::NOT_IN_BATCH,
        )),
    };
    finish(&pages, &ctx, &actor, &db, id, result, "flash_swapped").await
}
