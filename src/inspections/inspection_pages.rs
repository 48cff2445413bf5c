//! The pages of one inspection: the inspector's checklist on a phone (drafts kept on the
//! server), what the target sees, the lead's date, and the printable record (互查记录表).

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::auth::WebUser;
use crate::config::Settings;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::findings::attachments;
use crate::inspections::model::*;
use crate::inspections::pages::finish;
use crate::inspections::{inspection, results};
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/inspections/{id}", web::get().to(inspection_page))
        .route("/inspections/{id}/date", web::post().to(set_date))
        .route("/inspections/{id}/results", web::post().to(record))
        .route("/inspections/{id}/record", web::get().to(printable));
}

async fn set_date(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<InspectionId>(&id)?;
    #[derive(serde::Deserialize)]
    struct DateForm {
        #[serde(default, deserialize_with = "crate::db::types::sane_date")]
        scheduled_on: Option<chrono::NaiveDate>,
    }
    let parsed = form.parse::<DateForm>();
    let writer = actor.clone();
    let batch = access::read(&db, actor.clone(), move |c, p| {
        Ok(inspection::visible_inspection(c, p, id, false)?.0.batch_id)
    })
    .await?;
    let result = match parsed {
        Ok(d) => {
            let patch = InspectionPatch {
                scheduled_on: Some(d.scheduled_on),
                ..Default::default()
            };
            access::write(&db, writer, move |c, p| {
                inspection::update_inspection(c, p, id, patch)
            })
            .await
        }
        Err(e) => Err(e),
    };
    finish(&pages, &ctx, &actor, &db, batch, result, "flash_dated").await
}

async fn inspection_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<InspectionId>(&id)?;
    let data = access::read(&db, actor.clone(), move |c, p| inspection_data(c, p, id)).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/inspection", data)
}

/// An inspection with its checklist items joined to their results, for the page and the record.
fn inspection_data(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: InspectionId,
) -> AppResult<Value> {
    let d = results::detail(conn, policy, id)?;
    let items: Vec<Value> = d
        .checklist
        .items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let r = d.results.iter().find(|r| r.item_id == item.id);
            let blank = json!({"result": "", "note": "", "grade": "", "finding_id": null});
            let photos = r.map_or(0, |r| r.attachment_ids.len());
            json!({"n": n + 1, "item": item, "result": r.map_or(blank, |r| json!(r)),
                   "photos": photos})
        })
        .collect();
    let failed = d
        .results
        .iter()
        .filter(|r| r.result == Outcome::Fail)
        .count();
    Ok(
        json!({"d": d, "items": items, "failed": failed, "errors": {},
              "submitted": d.inspection.state == InspectionState::Submitted,
              "idempotency_key": crate::secret::random_token(16),
              "today": crate::db::types::today().to_string()}),
    )
}

async fn printable(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<InspectionId>(&id)?;
    let data = access::read(&db, actor.clone(), move |c, p| inspection_data(c, p, id)).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "inspections/record", data)
}

async fn record(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<InspectionId>(&id)?;
    let key = crate::findings::service::idempotency_key(form.take("idempotency_key").as_deref())?;
    let draft = form.take("draft").is_some();
    let (items, recordable) = access::read(&db, actor.clone(), move |c, p| {
        let d = results::detail(c, p, id)?;
        Ok((d.checklist.items, d.recordable))
    })
    .await?;
    let too_large = form.too_large_error("photo", settings.max_upload_bytes);
    let mut sent = Vec::new();
    let mut stored = Vec::new();
    let mut refused: Option<AppError> = None;
    for item in &items {
        let outcome = form.text(&format!("result_{}", item.id)).to_string();
        let Ok(result) = outcome.parse::<Outcome>() else {
            continue;
        };
        // Photos are kept for failed items only, and only from those who may record (the
        // others hear why from the recording itself).
        let uploads = form.take_files(&format!("photo_{}", item.id));
        if recordable && result == Outcome::Fail && !uploads.is_empty() {
            match attachments::store_photos(&settings, uploads).await {
                Ok(photos) => stored.push((item.id, photos)),
                Err(e) => {
                    refused = Some(match refused {
                        Some(prev) => prev.merge(e),
                        None => e,
                    })
                }
            }
        }
        sent.push(ItemResult {
            item_id: item.id,
            result,
            note: form.text(&format!("note_{}", item.id)).trim().to_string(),
            attachment_ids: Vec::new(),
            // A grade chosen before the item was marked otherwise is not the inspector's meaning.
            grade: match result {
                Outcome::Fail => form.text(&format!("grade_{}", item.id)).parse().ok(),
                _ => None,
            },
            deadline: None,
        });
    }
    let inspectors = form.take("inspectors");
    // What was marked, to show again if the form is refused (photos must be taken again).
    let echo: Vec<Value> = sent
        .iter()
        .map(
            |r| json!({"item_id": r.item_id, "result": r.result, "note": r.note, "grade": r.grade}),
        )
        .collect();
    let typed_inspectors = inspectors.clone().unwrap_or_default();
    let writer = actor.clone();
    let result = match too_large.or(refused) {
        Some(e) => Err(e),
        None => {
            access::write(&db, writer, move |conn, policy| {
                // The photos of failed items (the findings' before-photos); an item sent without
                // new ones keeps its draft's.
                for (item, photos) in stored {
                    if let Some(r) = sent.iter_mut().find(|r| r.item_id == item) {
                        let saved = attachments::record(conn, policy.actor.id, &photos)?;
                        r.attachment_ids = saved.iter().map(|a| a.id).collect();
                    }
                }
                let req = ResultsRequest {
                    items: sent,
                    inspectors,
                    draft,
                };
                results::record(conn, policy, id, req, key)
            })
            .await
        }
    };
    match result {
        Ok(results::Recorded::Draft) => {
            Ok(ctx.done(&format!("/inspections/{id}"), "flash_draft_saved"))
        }
        Ok(_) => Ok(ctx.done(&format!("/inspections/{id}"), "flash_results_submitted")),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("results", "results_changed"))?;
            let mut data =
                access::read(&db, actor.clone(), move |c, p| inspection_data(c, p, id)).await?;
            data["errors"] = errors;
            data["d"]["inspectors"] = json!(typed_inspectors);
            if let Some(items) = data["items"].as_array_mut() {
                for item in items {
                    let id = item["item"]["id"].clone();
                    if let Some(r) = echo.iter().find(|r| r["item_id"] == id) {
                        item["result"]["result"] = r["result"].clone();
                        item["result"]["note"] = r["note"].clone();
                        item["result"]["grade"] = r["grade"].clone();
                    }
                }
            }
            pages.page(&ctx, &actor, status, "inspections/inspection", data)
        }
    }
}
