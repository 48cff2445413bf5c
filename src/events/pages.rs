//! Pages for alliance events: the alliance's events, the organizer's form, an event's page
//! (registering for members; the QR code, attendance and hand check-in for organizers), and the
//! check-in page a scanned QR opens on a phone.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, TimeZone};
use serde_json::{json, Value};

use crate::access;
use crate::auth::token::TokenKeys;
use crate::auth::WebUser;
use crate::db::types::shanghai;
use crate::db::Db;
use crate::error::AppError;
use crate::events::attendance::{self, ManualCheckIn};
use crate::events::model::*;
use crate::events::service;
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alliances/{id}/events", web::get().to(list))
        .route("/alliances/{id}/events/new", web::get().to(new_form))
        .route("/alliances/{id}/events/new", web::post().to(create))
        .route("/events/{id}", web::get().to(detail))
        .route("/events/{id}/act", web::post().to(act))
        .route("/events/{id}/qr.svg", web::get().to(qr))
        .route("/events/{id}/check-in", web::get().to(check_in_page))
        .route("/events/{id}/check-in", web::post().to(check_in))
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

fn blank() -> Value {
    json!({"kind": "training", "title": "", "description": "", "starts_at": "", "ends_at": "",
           "place": "", "speaker": "", "capacity": "50", "quota": "2", "case_study": "", "links": "",
           "lesson_id": "", "required_all": "yes"})
}

#[derive(serde::Deserialize)]
struct FromLesson {
    lesson_id: Option<FindingId>,
}

/// The form, empty, or filled in as a warning education about a shared lesson (举一反三).
async fn new_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    q: web::Query<FromLesson>,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let lesson = q.into_inner().lesson_id;
    let lang = ctx.lang;
    let words = pages.clone();
    let values = access::read(&db, actor.clone(), move |conn, policy| {
        service::may_organize(conn, policy, id)?;
        let mut values = blank();
        let Some(lesson) = lesson else {
            return Ok(values);
        };
        // The lesson as members read it: anonymized.
        if let Some(f) = crate::findings::lessons::shared_lesson(conn, policy, id, lesson)? {
            let category = words.word(lang, &format!("category_{}", f.category));
            values["kind"] = json!("warning_education");
            values["title"] = json!(format!(
                "{}：{}",
                words.word(lang, "event_kind_warning_education"),
                f.title
            ));
            values["case_study"] = json!(format!("{}（{category}）\n{}", f.title, f.description));
            values["lesson_id"] = json!(lesson);
        }
        Ok(values)
    })
    .await?;
    let members = form_members(&db, &actor, id, None).await?;
    let data = json!({"alliance_id": id, "values": values, "errors": {}, "members": members});
    pages.page(&ctx, &actor, StatusCode::OK, "events/new", data)
}

/// The alliance's members for the form's "must attend" choice (ticked: those chosen before).
async fn form_members(
    db: &Db,
    actor: &crate::auth::Actor,
    id: AllianceId,
    chosen: Option<Vec<EnterpriseId>>,
) -> Result<Vec<Value>, AppError> {
    access::read(db, actor.clone(), move |conn, _| {
        let ids = org::alliance_members(conn, id)?;
        let names = org::enterprise_names(conn, &ids)?;
        Ok(ids
            .iter()
            .map(|e| {
                let ticked = chosen.as_ref().is_some_and(|c| c.contains(e));
                json!({"id": e, "name": names.get(e).cloned().unwrap_or_default(), "ticked": ticked})
            })
            .collect())
    })
    .await
}

/// A `datetime-local` field, read as Beijing time.
fn local_time(field: &str, text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, AppError> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| shanghai().from_local_datetime(&t).single())
        .ok_or_else(|| AppError::field(field, crate::message::msg::NOT_DATE))
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    settings: web::Data<crate::config::Settings>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    // Chosen enterprises (when not every member must come), each with the quota's number.
    let chosen: Vec<EnterpriseId> = form
        .take_all("required")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let categories: Vec<Category> = form
        .take_all("hazard_category")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    // Nobody stores files on an alliance it does not organize.
    access::read(&db, actor.clone(), move |c, p| {
        service::may_organize(c, p, id)
    })
    .await?;
    let uploads = form.take_files("material");
    let too_large = form.too_large_error("material_ids", settings.max_upload_bytes);
    let stored = match too_large {
        Some(e) => Err(e),
        None => crate::findings::attachments::store_photos(&settings, uploads).await,
    };
    let number = |field: &str| form.text(field).trim().parse::<i32>().ok();
    let all = form.text("required_all") != "no";
    let times = (
        local_time("starts_at", form.text("starts_at")),
        local_time("ends_at", form.text("ends_at")),
    );
    let kind = form.text("kind").parse::<EventKind>();
    let result = match (times, kind) {
        ((Ok(starts_at), Ok(ends_at)), Ok(kind)) => {
            let new = NewEvent {
                kind,
                title: form.text("title").to_string(),
                description: form.text("description").to_string(),
                starts_at,
                ends_at,
                place: form.text("place").to_string(),
                speaker: form.text("speaker").to_string(),
                capacity: number("capacity").unwrap_or(0),
                quota: number("quota"),
                required_all: Some(all),
                requirements: match all {
                    true => Vec::new(),
                    false => chosen
                        .iter()
                        .map(|e| Requirement {
                            enterprise_id: *e,
                            people: number("quota").unwrap_or(2),
                        })
                        .collect(),
                },
                case_study: form.text("case_study").to_string(),
                hazard_categories: categories,
                material_ids: Vec::new(),
                links: form
                    .text("links")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                lesson_id: form.text("lesson_id").parse().ok(),
            };
            match stored {
                Err(e) => Err(e),
                Ok(files) => {
                    let mut new = new;
                    access::write(&db, actor.clone(), move |c, p| {
                        let saved = crate::findings::attachments::record(c, p.actor.id, &files)?;
                        new.material_ids = saved.iter().map(|a| a.id).collect();
                        service::create(c, p, id, new)
                    })
                    .await
                }
            }
        }
        ((a, b), kind) => Err([
            a.err(),
            b.err(),
            kind.err()
                .map(|_| AppError::field("kind", crate::message::msg::NOT_LISTED)),
        ]
        .into_iter()
        .flatten()
        .reduce(AppError::merge)
        .unwrap_or_else(|| AppError::internal("a failed form"))),
    };
    match result {
        Ok(event) => Ok(ctx.done(&format!("/events/{event}"), "flash_event_planned")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let members = form_members(&db, &actor, id, Some(chosen)).await?;
                let mut values = form.echo(blank());
                values["required_all"] = json!(if all { "yes" } else { "no" });
                let data = json!({"alliance_id": id, "values": values, "errors": errors,
                                  "members": members});
                pages.page(
                    &ctx,
                    &actor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "events/new",
                    data,
                )
            }
            None => Err(err.into()),
        },
    }
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
        let members = match d.organizer {
            true => {
                let ids = org::alliance_members(conn, d.event.alliance_id)?;
                let names = org::enterprise_names(conn, &ids)?;
                ids.iter()
                    .map(|e| json!({"id": e, "name": names.get(e).cloned().unwrap_or_default()}))
                    .collect()
            }
            false => Vec::new(),
        };
        let over = d.event.ends_at < chrono::Utc::now();
        Ok(
            json!({"e": d, "attendance": attendance, "registered": registered, "me": me,
                   "colleagues": colleagues,
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
                        service::update(c, p, id, patch)
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
