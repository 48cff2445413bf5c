//! Pages for hazards: report (phone-first, with the camera), my findings, a finding's timeline
//! with the actions the viewer may take, the reviewer's queue, and an alliance's shared lessons.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::api::PageRequest;
use crate::auth::{Actor, WebUser};
use crate::config::Settings;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::findings::model::*;
use crate::findings::{attachments, lessons, policy, service};
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, format_date, list_url, page_number, pager};
use crate::web::{Lang, PageContext, PageParam, PageResult, Pages};

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

/// The findings part of the home page: what the viewer may do with hazards.
pub fn home_section(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let review_count = policy::review_count(conn, policy)?;
    Ok(json!({
        "may_report": policy::may_report(policy),
        // Only those who review see the review queue: regulators, leads, and an inspecting
        // enterprise while something of its inspections waits for it.
        "may_review": policy.is_authority() || !policy.led_alliances().is_empty() || review_count > 0,
        "review_count": review_count,
    }))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    grade: Option<String>,
    overdue: Option<String>,
    page: Option<String>,
}

const PER_PAGE: i64 = 30;

fn finding_row(
    f: &Finding,
    names: &std::collections::HashMap<EnterpriseId, String>,
    lang: Lang,
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
    actor: Actor,
    query: FindingQuery,
    review: bool,
    base: String,
) -> PageResult {
    let lang = ctx.lang;
    let filter = json!({
        "state": query.state.map(|s| s.as_str()), "grade": query.grade.map(|g| g.as_str()),
        "overdue": query.overdue,
    });
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
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
            policy::review_count(conn, policy)?
        };
        Ok(json!({
            "items": items,
            "pager": pager(list.page, list.per_page, list.total, &base),
            "review_count": queue,
            "may_report": policy::may_report(policy),
        }))
    })
    .await?;
    data["filter"] = filter;
    data["review"] = json!(review);
    pages.page(ctx, &actor, StatusCode::OK, "findings/list", data)
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let query = FindingQuery {
        state: q.state.as_deref().and_then(|s| s.parse().ok()),
        grade: q.grade.as_deref().and_then(|s| s.parse().ok()),
        overdue: q.overdue.as_deref().and_then(|s| s.parse().ok()),
        page: Some(page_number(&q.page)),
        per_page: Some(PER_PAGE),
        ..Default::default()
    };
    let base = list_url(
        "/findings",
        &[
            ("state", &q.state),
            ("grade", &q.grade),
            ("overdue", &q.overdue),
        ],
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
    let query = FindingQuery {
        sort: Some("review".into()),
        page: Some(page_number(&q.page)),
        per_page: Some(PER_PAGE),
        ..Default::default()
    };
    render_list(&pages, &db, &ctx, actor, query, true, "/review".into()).await
}

/// The report form, empty.
fn blank_report() -> Value {
    json!({"title": "", "description": "", "cause": "", "category": "", "grade": "general", "treatment": "on_the_spot",
           "deadline": "", "location": "", "measures": "", "cost": "", "responsible_person": "", "enterprise_id": "",
           "kept": []})
}

fn render_form(
    pages: &Pages,
    ctx: &PageContext,
    (actor, settings): (&Actor, &Settings),
    values: Value,
    errors: Value,
    status: StatusCode,
) -> PageResult {
    let max_mb = settings.max_upload_bytes / (1024 * 1024);
    let photo_limit = pages
        .word(ctx.lang, "photo_limit")
        .replace("{max_mb}", &max_mb.to_string());
    let data = json!({
        "photo_limit": photo_limit,
        "values": values, "errors": errors,
        "idempotency_key": crate::secret::random_token(16),
        "needs_enterprise": actor.enterprise_id.is_none(),
        "today": crate::db::types::today().to_string(),
    });
    pages.page(ctx, actor, status, "findings/new", data)
}

async fn new_form(
    pages: web::Data<Pages>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    render_form(
        &pages,
        &ctx,
        (&actor, &settings),
        blank_report(),
        json!({}),
        StatusCode::OK,
    )
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
    let key = service::idempotency_key(form.take("idempotency_key").as_deref())?;
    // A form sent twice (a reload, a retry on a weak network) finds the first report before any
    // photo is stored again.
    if let Some(key) = key.clone() {
        let user = actor.id;
        let earlier = db
            .run(move |conn| crate::findings::store::idempotent(conn, user, &key))
            .await?;
        if let Some((id, _)) = earlier {
            return Ok(ctx.done(&format!("/findings/{id}"), "flash_reported"));
        }
    }
    let uploads = form.take_files("photo");
    // Photos kept from an earlier try of this form (their rows are the viewer's uploads).
    let mut kept: Vec<AttachmentId> = form
        .take_all("kept_photo")
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let too_large = form.too_large_error("photo", settings.max_upload_bytes);
    let (photos, refused) = match attachments::store_photos(&settings, uploads).await {
        Ok(photos) => (photos, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let checked = match (form.parse::<NewFinding>(), refused, too_large) {
        (Ok(new), None, None) => Ok(new),
        (parsed, refused, too_large) => {
            let errors = [parsed.err(), refused, too_large];
            Err(errors
                .into_iter()
                .flatten()
                .reduce(AppError::merge)
                .expect("one failed"))
        }
    };
    let result = match checked {
        Ok(mut new) => {
            new.attachment_ids.extend(kept.iter().copied());
            service::report(&db, &actor, new, key, photos.clone()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((id, _)) => Ok(ctx.done(&format!("/findings/{id}"), "flash_reported")),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                // The photos that arrived are kept, so the next try need not send them again.
                if !photos.is_empty() {
                    let user = actor.id;
                    let saved = db
                        .write(move |conn| attachments::record(conn, user, &photos))
                        .await?;
                    kept.extend(saved.iter().map(|a| a.id));
                }
                let mut values = form.echo(blank_report());
                values["kept"] = json!(kept);
                render_form(
                    &pages,
                    &ctx,
                    (&actor, &settings),
                    values,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            None => Err(err.into()),
        },
    }
}

/// The action forms of a finding, empty.
fn blank_action() -> Value {
    json!({"action": "", "note": "", "deadline": ""})
}

fn finding_id(id: &str) -> Result<FindingId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn render_detail(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: FindingId,
    (values, errors, status): (Value, Value, StatusCode),
) -> PageResult {
    let lang = ctx.lang;
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
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
            "can": d.actions.iter().map(|a| (a.to_string(), json!(true))).collect::<serde_json::Map<_, _>>(),
            "has_actions": !d.actions.is_empty(),
        }))
    })
    .await?;
    data["values"] = values;
    data["errors"] = errors;
    data["today"] = json!(crate::db::types::today().to_string());
    pages.page(ctx, &actor, status, "findings/detail", data)
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = finding_id(&id)?;
    let shown = (blank_action(), json!({}), StatusCode::OK);
    render_detail(&pages, &db, &ctx, actor, id, shown).await
}

async fn act(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = finding_id(&id)?;
    let confirmed = form.confirmed();
    let req: Result<TransitionRequest, _> = form.parse();
    // Sharing shows the hazard to the whole alliance: asked once more.
    if let Ok(TransitionRequest {
        action: Action::Share,
        ..
    }) = &req
    {
        if !confirmed {
            let (title, may) = access::read(&db, actor.clone(), move |conn, policy| {
                let d = service::detail(conn, policy, id)?;
                Ok((d.finding.title, d.actions.contains(&Action::Share)))
            })
            .await?;
            // Someone who may not share is told so by the action itself.
            if may {
                let (here, back) = (format!("/findings/{id}/act"), format!("/findings/{id}"));
                let question = ("confirm_share", title.as_str());
                return pages.confirm(&ctx, &actor, &form, question, &here, &back);
            }
        }
    }
    let action = req.as_ref().map(|r| r.action).ok();
    let uploads = form.take_files("photo");
    let too_large = form.too_large_error("photo", settings.max_upload_bytes);
    let result = async {
        let req = match (req, too_large) {
            (Ok(req), None) => req,
            (Ok(_), Some(e)) => return Err(e),
            (Err(e), Some(t)) => return Err(t.merge(e)),
            (Err(e), None) => return Err(e),
        };
        // The photos' files are content-addressed; their rows are written with the transition,
        // in one transaction, so a refused action records none.
        let photos = attachments::store_photos(&settings, uploads).await?;
        access::write(&db, actor.clone(), move |c, p| {
            service::transition(c, p, id, req, &photos)
        })
        .await
    }
    .await;
    match result {
        Ok(_) => {
            let flash = format!("flash_{}", action.map_or("", |a| a.as_str()));
            Ok(ctx.done(&format!("/findings/{id}"), &flash))
        }
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                // What was typed comes back in the form it was typed in.
                let values = form.echo(blank_action());
                let shown = (values, errors, StatusCode::UNPROCESSABLE_ENTITY);
                render_detail(&pages, &db, &ctx, actor, id, shown).await
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
    q: web::Query<PageParam>,
) -> PageResult {
    let alliance: AllianceId = id.parse().map_err(|_| AppError::NotFound)?;
    let lang = ctx.lang;
    let page = PageRequest::new(Some(page_number(&q.page)), Some(PER_PAGE))?;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let name = crate::org::service::visible_alliance(conn, policy, alliance)?.name;
        let list = lessons::shared_lessons(conn, policy, alliance, page)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|l| {
                json!({"title": l.title, "description": l.description, "cause": l.cause, "measures": l.measures,
                       "category": l.category.as_str(), "grade": l.grade.as_str(), "major": l.grade == Grade::Major,
                       "reported": format_date(lang, l.created_at.date_naive())})
            })
            .collect();
        let base = format!("/alliances/{alliance}/lessons");
        Ok(json!({"alliance": {"id": alliance, "name": name}, "items": items, "total": list.total,
                  "pager": pager(list.page, list.per_page, list.total, &base)}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "findings/lessons", data)
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
