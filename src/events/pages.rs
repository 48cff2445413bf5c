//! Pages for alliance events: the alliance's events, the organizer's form, an event's page
//! (registering for members; the QR code, attendance and hand check-in for organizers), and the
//! check-in page a scanned QR opens on a phone.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::access;
use crate::auth::token::TokenKeys;
use crate::auth::WebUser;
use crate::db::Db;
use crate::error::AppError;
use crate::events::attendance::{self, ManualCheckIn};
use crate::events::model::*;
use crate::events::service;
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alliances/{id}/events", web::get().to(list))
        .route("/events/{id}", web::get().to(detail))
        .route("/events/{id}/act", web::post().to(act))
        .route("/events/{id}/qr.svg", web::get().to(qr))
        .route("/events/{id}/check-in", web::get().to(check_in_page))
        .route("/events/{id}/check-in", web::post().to(check_in))
        .configure(crate::events::form_pages::configure)
        .configure(crate::events::record_pages::configure);
}

/// The events part of the home page: the coming events of the viewer's alliances.
pub fn home_section(
    conn: &mut crate::db::AnyConnection,
    policy: &crate::access::Policy,
) -> crate::error::AppResult<Value> {
    let alliances = policy.member_alliances().to_vec();
    let rows =
        crate::events::store::events_of_alliances(conn, &alliances, crate::db::types::now(), 5)?;
    let items: Vec<Value> = rows
        .iter()
        .map(|e| {
            json!({"id": e.id, "title": e.title, "kind": e.kind,
                   "starts_at": crate::db::types::local(e.starts_at), "place": e.place})
        })
        .collect();
    Ok(json!({"items": items}))
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let alliance = org::alliance(conn, id)?.ok_or(AppError::NotFound)?;
        let q = EventQuery {
            per_page: Some(100),
            ..Default::default()
        };
        let events = service::list(conn, policy, id, &q)?;
        let place = crate::org::service::alliance_place(conn, &alliance)?;
        Ok(
            json!({"alliance": {"id": alliance.id, "name": alliance.name}, "events": events.items,
                  "organizes": policy.organizes_events(id, &place)}),
        )
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "events/list", data)
}

async fn detail_data(db: &Db, actor: crate::auth::Actor, id: EventId) -> Result<Value, AppError> {
    access::read(db, actor, move |conn, policy| {
        let d = service::detail(conn, policy, id)?;
        let attendance = match d.organizer {
            true => Some(attendance::attendance(conn, policy, id)?),
            false => None,
        };
        let me = policy.actor.id;
        let registered = d.registrations.iter().any(|r| r.user_id == me);
        // The colleagues a member may still register.
        let colleagues: Vec<Value> = match policy.own_enterprise() {
            Some(own) => crate::events::store::enterprise_users(conn, own)?
                .into_iter()
                .filter(|(u, _)| *u != me && !d.registrations.iter().any(|r| r.user_id == *u))
                .map(|(u, name)| json!({"id": u, "name": name}))
                .collect(),
            None => Vec::new(),
        };
        let members_now = org::alliance_members(conn, d.event.alliance_id)?;
        let members = match d.organizer {
            true => {
                let ids = members_now.clone();
                let names = org::enterprise_names(conn, &ids)?;
                ids.iter()
                    .map(|e| json!({"id": e, "name": names.get(e).cloned().unwrap_or_default()}))
                    .collect()
            }
            false => Vec::new(),
        };
        let over = d.event.ends_at < chrono::Utc::now();
        // Anyone of a member enterprise registers (the lead's own staff too).
        let member = policy
            .own_enterprise()
            .is_some_and(|e| members_now.contains(&e));
        let can_register = !over && member;
        Ok(
            json!({"e": d, "attendance": attendance, "registered": registered, "me": me,
                   "colleagues": colleagues, "can_register": can_register,
                  "members": members, "over": over, "errors": {}}),
        )
    })
    .await
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let data = detail_data(&db, actor.clone(), id).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "events/detail", data)
}

/// Register or cancel oneself; for organizers, check someone in by hand or write the summary.
async fn act(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<crate::config::Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let me = actor.id;
    let writer = actor.clone();
    let (result, flash) = match form.text("action") {
        "register" => {
            // Oneself, or the colleagues ticked.
            let ticked: Vec<UserId> = form
                .take_all("user_id")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect();
            let req = NewRegistration {
                enterprise_id: None,
                user_ids: (!ticked.is_empty()).then_some(ticked),
            };
            let r = access::write(&db, writer, move |c, p| service::register(c, p, id, req));
            (r.await, "flash_registered")
        }
        "cancel" => {
            let whom = form.text("user_id").parse().unwrap_or(me);
            let r = access::write(&db, writer, move |c, p| service::cancel(c, p, id, whom));
            (r.await, "flash_registration_cancelled")
        }
        "check_in_user" => {
            let req = ManualCheckIn {
                user_id: form.text("user_id").parse().ok(),
                enterprise_id: None,
                name: None,
            };
            let r = access::write(&db, writer, move |c, p| {
                attendance::check_in_by_organizer(c, p, id, req)
            });
            (r.await, "flash_checked_in")
        }
        "walk_in" => {
            let req = ManualCheckIn {
                user_id: None,
                enterprise_id: form.text("enterprise_id").parse().ok(),
                name: Some(form.text("name").to_string()),
            };
            let r = access::write(&db, writer, move |c, p| {
                attendance::check_in_by_organizer(c, p, id, req)
            });
            (r.await, "flash_checked_in")
        }
        "summary" => {
            // The summary, and photos of the event (kept only when the change is made).
            let uploads = form.take_files("photo");
            let stored = match form.too_large_error("photo_ids", settings.max_upload_bytes) {
                Some(e) => Err(e),
                None => crate::findings::attachments::store_photos(&settings, uploads).await,
            };
            let summary = form.text("summary").to_string();
            let r = match stored {
                Err(e) => Err(e),
                Ok(files) => {
                    access::write(&db, writer, move |c, p| {
                        let saved = crate::findings::attachments::record(c, p.actor.id, &files)?;
                        let patch = EventPatch {
                            summary: Some(summary),
                            photo_ids: Some(saved.iter().map(|a| a.id).collect()),
                            ..Default::default()
                        };
                        crate::events::plan::update(c, p, id, patch)
                    })
                    .await
                }
            };
            (r, "flash_summary_saved")
        }
        _ => (
            Err(AppError::field(
                "action",
                crate::message::msg::UNKNOWN_ACTION,
            )),
            "",
        ),
    };
    match result {
        Ok(()) => Ok(ctx.done(&format!("/events/{id}"), flash)),
        Err(err) => {
            let (errors, status) = form_failure(&pages, ctx.lang, err, ("event", "event_refused"))?;
            let mut data = detail_data(&db, actor.clone(), id).await?;
            data["errors"] = errors;
            pages.page(&ctx, &actor, status, "events/detail", data)
        }
    }
}

async fn qr(
    req: HttpRequest,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> Result<HttpResponse, crate::web::PageError> {
    let id = path_id::<EventId>(&id)?;
    let code = access::read(&db, actor, move |c, p| attendance::code(c, p, &keys, id)).await?;
    Ok(crate::events::routes::svg_answer(&req, &code)?)
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn check_in_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    q: web::Query<TokenQuery>,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let mut data = detail_data(&db, actor.clone(), id).await?;
    data["token"] = json!(q.into_inner().token);
    pages.page(&ctx, &actor, StatusCode::OK, "events/check_in", data)
}

async fn check_in(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let token = form.text("token").to_string();
    let again = token.clone();
    let result = access::write(&db, actor.clone(), move |c, p| {
        attendance::check_in(c, p, &keys, id, &token)
    })
    .await;
    match result {
        Ok(()) => Ok(ctx.done(&format!("/events/{id}"), "flash_checked_in_self")),
        Err(
            err @ (AppError::Forbidden(_) | AppError::Conflict { .. } | AppError::Validation(_)),
        ) => {
            let message = match &err {
                AppError::Forbidden(_) => pages.word(ctx.lang, "check_in_not_registered"),
                AppError::Conflict { .. } => pages.word(ctx.lang, "check_in_closed"),
                _ => pages.word(ctx.lang, "check_in_bad_code"),
            };
            let mut data = detail_data(&db, actor.clone(), id).await?;
            data["token"] = json!(again);
            data["errors"] = json!({"token": message});
            pages.page(
                &ctx,
                &actor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "events/check_in",
                data,
            )
        }
        Err(err) => Err(err.into()),
    }
}
