//! Pages for hazards: report (phone-first, with the camera), my findings, a finding's timeline
//! with the actions the viewer may take, the reviewer's queue, and an alliance's shared lessons.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::api::PageRequest;
use crate::auth::WebUser;
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::findings::attachments::{self, MultipartForm};
use crate::findings::model::*;
use crate::findings::service;
use crate::org::store as org;
use crate::web::{
    form_errors, format_date, pager, query_string, see_other, user_json, PageContext, PageResult,
    Pages,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/findings", web::get().to(list))
        .route("/findings/new", web::get().to(new_form))
        .route("/findings/new", web::post().to(create))
        .route("/findings/{id}", web::get().to(detail))
        .route("/findings/{id}/act", web::post().to(act))
        .route("/review", web::get().to(review))
        .route("/alliances/{id}/lessons", web::get().to(lessons))
        .route("/files/{id}", web::get().to(file));
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    grade: Option<String>,
    overdue: Option<String>,
    page: Option<String>,
}

fn finding_row(
    f: &Finding,
    names: &std::collections::HashMap<EnterpriseId, String>,
    lang: crate::web::Lang,
) -> Value {
    json!({
        "id": f.id, "title": f.title, "state": f.state.as_str(), "grade": f.grade.as_str(),
        "category": f.category.as_str(), "overdue": f.overdue, "major": f.grade == Grade::Major,
        "deadline": f.deadline.map(|d| format_date(lang, d)),
        "reported": format_date(lang, f.created_at.date_naive()),
        "enterprise": names.get(&f.enterprise_id).cloned().unwrap_or_default(),
    })
}

async fn render_list(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    query: FindingQuery,
    review: bool,
    base: String,
) -> PageResult {
    let user = user_json(&actor);
    let lang = ctx.lang;
    let filter = json!({
        "state": query.state.map(|s| s.as_str()), "grade": query.grade.map(|g| g.as_str()),
        "overdue": query.overdue,
    });
    let mut data = access::read(db, actor, move |conn, policy| {
        let list = service::list(conn, policy, &query, review)?;
        let ids: Vec<EnterpriseId> = list.items.iter().map(|f| f.enterprise_id).collect();
        let names = org::enterprise_names(conn, &ids)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|f| finding_row(f, &names, lang))
            .collect();
        let queue = if review {
            list.total
        } else {
            service::list(
                conn,
                policy,
                &FindingQuery {
                    per_page: Some(1),
                    ..Default::default()
                },
                true,
            )?
            .total
        };
        Ok(json!({
            "items": items,
            "pager": pager(list.page, list.per_page, list.total, &base),
            "review_count": queue,
            "may_report": policy.actor.enterprise_id.is_some() || policy.is_authority(),
        }))
    })
    .await?;
    data["user"] = user;
    data["filter"] = filter;
    data["review"] = json!(review);
    Ok(ctx.html(StatusCode::OK, pages.render(ctx, "findings/list", data)?))
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p: &i64| *p >= 1)
        .unwrap_or(1);
    let query = FindingQuery {
        state: q.state.as_deref().and_then(|s| s.parse().ok()),
        grade: q.grade.as_deref().and_then(|s| s.parse().ok()),
        overdue: q.overdue.as_deref().and_then(|s| s.parse().ok()),
        page: Some(page),
        per_page: Some(30),
        ..Default::default()
    };
    let base = format!(
        "/findings?{}",
        query_string(&[
            ("state", &q.state),
            ("grade", &q.grade),
            ("overdue", &q.overdue)
        ])
    );
    render_list(&pages, &db, &ctx, actor, query, false, base).await
}

async fn review(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p: &i64| *p >= 1)
        .unwrap_or(1);
    let query = FindingQuery {
        sort: Some("review".into()),
        page: Some(page),
        per_page: Some(30),
        ..Default::default()
    };
    render_list(&pages, &db, &ctx, actor, query, true, "/review".into()).await
}

fn empty_values() -> Value {
    json!({"title": "", "description": "", "cause": "", "category": "", "grade": "general", "treatment": "on_the_spot",
           "deadline": "", "location": "", "measures": "", "cost": "", "responsible_person": "", "enterprise_id": ""})
}

async fn render_form(
    pages: &Pages,
    ctx: &PageContext,
    actor: &crate::auth::Actor,
    values: Value,
    errors: Value,
    status: StatusCode,
) -> PageResult {
    let data = json!({
        "user": user_json(actor), "values": values, "errors": errors,
        "idempotency_key": crate::auth::token::random_token(16),
        "needs_enterprise": actor.enterprise_id.is_none(),
        "today": crate::db::types::today().to_string(),
    });
    Ok(ctx.html(status, pages.render(ctx, "findings/new", data)?))
}

async fn new_form(
    pages: web::Data<Pages>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    render_form(
        &pages,
        &ctx,
        &actor,
        empty_values(),
        json!({}),
        StatusCode::OK,
    )
    .await
}

fn field(form: &MultipartForm, name: &str) -> String {
    form.fields.get(name).cloned().unwrap_or_default()
}

/// Saves the form's photos (field `photo`) as the caller's attachments.
async fn save_photos(
    db: &Db,
    settings: &Settings,
    actor: &crate::auth::Actor,
    form: &mut MultipartForm,
) -> Result<Vec<AttachmentId>, AppError> {
    let mut ids = Vec::new();
    for (name, bytes, file_name) in std::mem::take(&mut form.files) {
        if name == "photo" {
            let saved = attachments::save(db, settings, actor.id, bytes, file_name)
                .await
                .map_err(|e| match e {
                    AppError::UnsupportedMedia(m) => AppError::field("photo", m),
                    other => other,
                })?;
            ids.push(saved.id);
        }
    }
    Ok(ids)
}

fn parse_new(
    form: &MultipartForm,
    attachment_ids: Vec<AttachmentId>,
) -> Result<NewFinding, AppError> {
    let mut v = crate::error::Validator::new();
    let parse = |name: &str| -> Option<String> {
        let text = field(form, name);
        (!text.trim().is_empty()).then(|| text.trim().to_string())
    };
    let category = parse("category").and_then(|c| c.parse().ok());
    let grade = parse("grade").and_then(|c| c.parse().ok());
    let treatment = parse("treatment").and_then(|c| c.parse().ok());
    v.check(category.is_some(), "category", "choose a category");
    v.check(grade.is_some(), "grade", "choose a grade");
    v.check(treatment.is_some(), "treatment", "choose how it is fixed");
    let deadline = match parse("deadline") {
        Some(d) => match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                v.add("deadline", "use the form YYYY-MM-DD");
                None
            }
        },
        None => None,
    };
    let cost = match parse("cost") {
        Some(c) => match c.parse::<f64>() {
            Ok(c) => Some(c),
            Err(_) => {
                v.add("cost", "a number of yuan");
                None
            }
        },
        None => None,
    };
    let enterprise_id = parse("enterprise_id")
        .and_then(|e| e.parse().ok())
        .map(EnterpriseId);
    v.finish()?;
    let (Some(category), Some(grade), Some(treatment)) = (category, grade, treatment) else {
        return Err(AppError::BadRequest("incomplete form".into()));
    };
    Ok(NewFinding {
        enterprise_id,
        alliance_id: None,
        source: None,
        title: field(form, "title"),
        description: field(form, "description"),
        cause: field(form, "cause"),
        category,
        grade,
        treatment,
        deadline,
        location: field(form, "location"),
        measures: field(form, "measures"),
        cost,
        responsible_person: field(form, "responsible_person"),
        attachment_ids,
    })
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    payload: Multipart,
) -> PageResult {
    let mut form = attachments::read_multipart(payload, settings.max_upload_bytes).await?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let values = {
        let mut v = empty_values();
        for (k, val) in v.as_object_mut().unwrap().iter_mut() {
            *val = json!(field(&form, k));
        }
        v
    };
    let key = service::idempotency_key(
        Some(&field(&form, "idempotency_key"))
            .filter(|k| !k.is_empty())
            .map(String::as_str),
    )?;
    // A form sent twice (a reload, a retry on a weak network) finds the first report before any
    // photo is stored again.
    if let Some(key) = key.clone() {
        let user = actor.id;
        let earlier = db
            .run(move |conn| crate::findings::store::idempotent(conn, user, &key))
            .await?;
        if let Some((id, _)) = earlier {
            return Ok(see_other(&format!("/findings/{id}")));
        }
    }
    let result = async {
        let photos = save_photos(&db, &settings, &actor, &mut form).await?;
        let new = parse_new(&form, photos)?;
        access::write(&db, actor.clone(), move |c, p| {
            service::report(c, p, new, key)
        })
        .await
    }
    .await;
    match result {
        Ok((detail, _)) => Ok(see_other(&format!("/findings/{}", detail.finding.id))),
        Err(err) => match form_errors(&err) {
            Some(errors) => {
                render_form(
                    &pages,
                    &ctx,
                    &actor,
                    values,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => Err(err.into()),
        },
    }
}

fn finding_id(id: &str) -> Result<FindingId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn render_detail(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    id: FindingId,
    errors: Value,
    status: StatusCode,
) -> PageResult {
    let user = user_json(&actor);
    let lang = ctx.lang;
    let mut data = access::read(db, actor, move |conn, policy| {
        let d = service::detail(conn, policy, id)?;
        let enterprise = org::enterprise_names(conn, &[d.finding.enterprise_id])?.remove(&d.finding.enterprise_id);
        let alliance = match d.finding.alliance_id {
            Some(a) => org::alliance(conn, a)?.map(|a| json!({"id": a.id, "name": a.name})),
            None => None,
        };
        let timeline: Vec<Value> = d
            .timeline
            .iter()
            .map(|e| {
                json!({"action": e.action.as_str(), "actor": e.actor_name, "note": e.note,
                       "at": e.at.format("%Y-%m-%d %H:%M").to_string(),
                       "deadline": e.deadline.map(|d| format_date(lang, d)),
                       "attachment_ids": e.attachment_ids})
            })
            .collect();
        let actions: Vec<&str> = d.actions.iter().map(|a| a.as_str()).collect();
        let f = &d.finding;
        Ok(json!({
            "f": f,
            "labels": {"state": f.state.as_str(), "grade": f.grade.as_str(), "category": f.category.as_str(),
                       "treatment": f.treatment.as_str(), "source": f.source.as_str()},
            "deadline": f.deadline.map(|d| format_date(lang, d)),
            "requested": f.extension_requested_until.map(|d| format_date(lang, d)),
            "major": f.grade == Grade::Major,
            "enterprise": enterprise, "alliance": alliance,
            "timeline": timeline,
            "can": actions.iter().map(|a| (a.to_string(), json!(true))).collect::<serde_json::Map<_, _>>(),
            "has_actions": !actions.is_empty(),
        }))
    })
    .await?;
    data["user"] = user;
    data["errors"] = errors;
    data["today"] = json!(crate::db::types::today().to_string());
    Ok(ctx.html(status, pages.render(ctx, "findings/detail", data)?))
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = finding_id(&id)?;
    render_detail(&pages, &db, &ctx, actor, id, json!({}), StatusCode::OK).await
}

async fn act(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    payload: Multipart,
) -> PageResult {
    let id = finding_id(&id)?;
    let mut form = attachments::read_multipart(payload, settings.max_upload_bytes).await?;
    ctx.check_csrf(&field(&form, "csrf"))?;
    let result = async {
        let action: Action = field(&form, "action")
            .parse()
            .map_err(|m: String| AppError::field("action", m))?;
        let deadline = match field(&form, "deadline").trim() {
            "" => None,
            d => Some(
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| AppError::field("deadline", "use the form YYYY-MM-DD"))?,
            ),
        };
        // Nothing is stored for a finding the caller may not see.
        access::read(&db, actor.clone(), move |c, p| {
            service::detail(c, p, id).map(|_| ())
        })
        .await?;
        let photos = save_photos(&db, &settings, &actor, &mut form).await?;
        let req = TransitionRequest {
            action,
            note: field(&form, "note"),
            deadline,
            attachment_ids: photos,
        };
        access::write(&db, actor.clone(), move |c, p| {
            service::transition(c, p, id, req)
        })
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/findings/{id}"))),
        Err(err) => match form_errors(&err) {
            Some(errors) => {
                render_detail(
                    &pages,
                    &db,
                    &ctx,
                    actor,
                    id,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => Err(err.into()),
        },
    }
}

async fn lessons(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let alliance: AllianceId = id.parse().map_err(|_| AppError::NotFound)?;
    let user = user_json(&actor);
    let lang = ctx.lang;
    let mut data = access::read(&db, actor, move |conn, policy| {
        let name = policy.visible_alliance(conn, alliance)?.name;
        let list = service::shared_lessons(conn, policy, alliance, PageRequest { page: 1, per_page: 100 })?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|l| {
                json!({"title": l.title, "description": l.description, "cause": l.cause, "measures": l.measures,
                       "category": l.category.as_str(), "grade": l.grade.as_str(), "major": l.grade == Grade::Major,
                       "reported": format_date(lang, l.created_at.date_naive())})
            })
            .collect();
        Ok(json!({"alliance": {"id": alliance, "name": name}, "items": items, "total": list.total}))
    })
    .await?;
    data["user"] = user;
    Ok(ctx.html(
        StatusCode::OK,
        pages.render(&ctx, "findings/lessons", data)?,
    ))
}

async fn file(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> Result<HttpResponse, crate::web::PageError> {
    let id: AttachmentId = id.parse().map_err(|_| AppError::NotFound)?;
    Ok(attachments::fetch(&db, &settings, actor, id).await?)
}
