//! Pages for hazards: report (phone-first, with the camera), my findings, a finding's timeline
//! with the actions the viewer may take, the reviewer's queue, and an alliance's shared lessons.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::auth::{Actor, WebUser};
use crate::config::Settings;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::findings::model::*;
use crate::findings::{attachments, events, list_pages, policy, service};
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, format_date, format_datetime};
use crate::web::{path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/findings", web::get().to(list_pages::list))
        .route("/findings/new", web::get().to(new_form))
        .route("/findings/new", web::post().to(create))
        .route("/findings/{id}", web::get().to(detail))
        .route("/findings/{id}/act", web::post().to(act))
        .route("/review", web::get().to(list_pages::review))
        .route(
            "/alliances/{id}/lessons",
            web::get().to(list_pages::lessons),
        )
        .route("/files/{id}", web::get().to(file));
}

/// The findings part of the home page: what the viewer may do with hazards.
pub fn home_section(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let review_count = policy::review_count(conn, policy)?;
    let count = |conn: &mut AnyConnection, query: FindingQuery| -> AppResult<i64> {
        service::count(conn, policy, &query)
    };
    // An enterprise user counts its own enterprise's hazards (a lead sees its alliance's too);
    // a regulator's figures of their scope are oversight's section, from its counters.
    let own = policy.own_enterprise();
    if policy.is_authority() {
        return Ok(json!({
            "authority": true, "open_count": 0, "overdue_count": 0, "own": false, "own_id": null,
            "may_report": policy::may_report(policy), "may_review": true,
            "review_count": review_count,
        }));
    }
    let open = count(
        conn,
        FindingQuery {
            open: Some(true),
            enterprise_id: own,
            ..Default::default()
        },
    )?;
    let overdue = count(
        conn,
        FindingQuery {
            overdue: Some(true),
            enterprise_id: own,
            ..Default::default()
        },
    )?;
    Ok(json!({
        "authority": false,
        "open_count": open,
        "overdue_count": overdue,
        "own": own.is_some(),
        "own_id": own,
        "may_report": policy::may_report(policy),
        // Only those who review see the review queue: regulators, leads, and an inspecting
        // enterprise while something of its inspections waits for it.
        "may_review": policy.is_authority() || !policy.led_alliances().is_empty() || review_count > 0,
        "review_count": review_count,
    }))
}

/// The report form, empty.
fn blank_report() -> Value {
    json!({"title": "", "description": "", "cause": "", "category": "", "grade": "general", "treatment": "on_the_spot",
           "deadline": "", "location": "", "measures": "", "cost": "", "responsible_person": "", "enterprise_id": "", "enterprise": "",
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
    let mut kept = kept_photos(&mut form);
    let too_large = form.too_large_error("photo", settings.max_upload_bytes);
    // Regulators and experts name the enterprise (a chosen suggestion's id, or the name or
    // credit code as typed).
    // What was typed decides; the id a suggestion filled in only stands when nothing was typed.
    let named = form.take("enterprise").filter(|t| !t.trim().is_empty());
    let unknown = match named.clone() {
        Some(text) => {
            let found = access::read(&db, actor.clone(), move |conn, policy| {
                crate::org::service::find_enterprise(conn, policy, "enterprise", &text)
            })
            .await;
            match found {
                Ok(id) => {
                    form.set("enterprise_id", &id.to_string());
                    None
                }
                Err(e) => Some(e),
            }
        }
        None => None,
    };
    let (photos, refused) = match attachments::store_photos(&settings, uploads).await {
        Ok(photos) => (photos, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let checked = match (form.parse::<NewFinding>(), refused, too_large, unknown) {
        (Ok(new), None, None, None) => Ok(new),
        (parsed, refused, too_large, unknown) => {
            let errors = [unknown, parsed.err(), refused, too_large];
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
                kept.extend(keep_uploads(&db, &actor, photos).await?);
                let mut values = form.echo(blank_report());
                values["kept"] = json!(kept);
                // The typed name is looked up again (an id kept from it could outlive an edit).
                if let Some(named) = named {
                    values["enterprise"] = json!(named);
                    values["enterprise_id"] = json!("");
                }
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
    json!({"action": "", "note": "", "deadline": "", "kept": []})
}

/// The photos a form kept from an earlier try, less those ticked for removal.
fn kept_photos(form: &mut PageForm) -> Vec<AttachmentId> {
    let dropped = form.take_all("drop_photo");
    form.take_all("kept_photo")
        .into_iter()
        .filter(|id| !dropped.contains(id))
        .filter_map(|id| id.parse().ok())
        .collect()
}

/// Records photos of a form refused for its input as the viewer's uploads, to send again by id.
async fn keep_uploads(
    db: &Db,
    actor: &Actor,
    photos: Vec<attachments::Stored>,
) -> AppResult<Vec<AttachmentId>> {
    if photos.is_empty() {
        return Ok(Vec::new());
    }
    let user = actor.id;
    let saved = db
        .write(move |conn| attachments::record(conn, user, &photos))
        .await?;
    Ok(saved.iter().map(|a| a.id).collect())
}

/// Who reviews a finding's rectification, as the dictionary key of the sentence saying so
/// (`lead`: its alliance's lead enterprise), as the review queues have it.
fn reviewer_step(f: &Finding, lead: Option<EnterpriseId>) -> &'static str {
    if f.grade == Grade::Major {
        "next_review_regulator"
    } else if f.source == Source::MutualInspection && f.inspector_enterprise_id.is_some() {
        "next_review_inspector"
    } else if lead.is_some_and(|l| l != f.enterprise_id) {
        "next_review_lead"
    } else {
        "next_review_regulator"
    }
}

/// What happens next to a finding, as a dictionary key: who acts now.
fn next_step(f: &Finding, lead: Option<EnterpriseId>, returned: bool) -> &'static str {
    match f.state {
        FindingState::Closed => "next_closed",
        FindingState::Voided => "next_voided",
        FindingState::AwaitingReview => reviewer_step(f, lead),
        _ if f.extension_requested_until.is_some() => "next_extension_pending",
        _ if returned => "next_returned",
        _ => "next_rectify",
    }
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
        let f = &d.finding;
        let enterprise = org::enterprise(conn, f.enterprise_id)?.ok_or(AppError::NotFound)?;
        let alliance = match f.alliance_id {
            Some(a) => org::alliance(conn, a)?,
            None => None,
        };
        let lead = alliance.as_ref().map(|a| a.lead_enterprise_id);
        let alliance = alliance.map(|a| json!({"id": a.id, "name": a.name}));
        let returned = events::returned(conn, &[f.id])?.remove(&f.id).filter(|_| {
            matches!(f.state, FindingState::Reported | FindingState::Rectifying)
        });
        let mut timeline: Vec<(chrono::DateTime<chrono::FixedOffset>, Value)> = d
            .timeline
            .iter()
            .map(|e| {
                // An extension is asked for until it is granted: the deadline moves only then.
                let label = match e.action {
                    Action::RequestExtension => "extension_requested",
                    _ => "new_deadline_set",
                };
                (e.at, json!({"rung": null, "action": e.action.as_str(), "actor": e.actor_name, "note": e.note,
                       "at": format_datetime(lang, e.at), "deadline_label": label,
                       "deadline": e.deadline.map(|d| format_date(lang, d)),
                       "attachment_ids": e.attachment_ids}))
            })
            .collect();
        // The deadline ladder's reminders and escalations, among the steps, as they were sent.
        timeline.extend(d.reminders.iter().map(|r| {
            (r.at, json!({"rung": r.rung.as_str(), "told": r.told, "day": format_date(lang, r.day),
                          "at": format_datetime(lang, r.at)}))
        }));
        timeline.sort_by_key(|(at, _)| *at);
        let timeline: Vec<Value> = timeline.into_iter().map(|(_, v)| v).collect();
        // The photos of the report, and of the latest rectification, side by side.
        let photos_of = |action: Action| {
            d.timeline.iter().rev().find(|e| e.action == action).map(|e| e.attachment_ids.clone())
        };
        let reporter = d.timeline.first().map(|e| e.actor_name.clone());
        Ok(json!({
            "f": f,
            "labels": {"state": f.state.as_str(), "grade": f.grade.as_str(), "category": f.category.as_str(),
                       "treatment": f.treatment.as_str(), "source": f.source.as_str()},
            "deadline": f.deadline.map(|d| format_date(lang, d)),
            "requested": f.extension_requested_until.map(|d| format_date(lang, d)),
            "reported_at": format_datetime(lang, f.created_at),
            "closed_at": f.closed_at.map(|t| format_datetime(lang, t)),
            "reporter": reporter,
            "major": f.grade == Grade::Major,
            "enterprise": {"id": enterprise.id, "name": enterprise.name},
            // Regulators call the enterprise; others see its name.
            "contact": policy.oversees(&crate::org::service::enterprise_place(conn, &enterprise)?).then(|| {
                json!({"name": enterprise.contact_name, "phone": enterprise.contact_phone})
            }),
            "alliance": alliance,
            "returned": returned.is_some(), "returned_reason": returned,
            "next": next_step(f, lead, returned.is_some()),
            "reviewer_step": reviewer_step(f, lead),
            "before": photos_of(Action::Report).unwrap_or_default(),
            "after": photos_of(Action::SubmitRectification).unwrap_or_default(),
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
    let id = path_id::<FindingId>(&id)?;
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
    let id = path_id::<FindingId>(&id)?;
    let confirmed = form.confirmed();
    // Photos kept from an earlier try (less those ticked for removal) go with the action.
    let mut kept = kept_photos(&mut form);
    let req = form.parse::<TransitionRequest>().map(|mut r| {
        r.attachment_ids.extend(kept.iter().copied());
        r
    });
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
    // The photos' files are content-addressed; their rows are written with the transition, in
    // one transaction, so a refused action records none (unless refused for its input: below).
    let (photos, refused) = match attachments::store_photos(&settings, uploads).await {
        Ok(photos) => (photos, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let result = match (req, too_large, refused) {
        (Ok(req), None, None) => {
            let photos = photos.clone();
            access::write(&db, actor.clone(), move |c, p| {
                service::transition(c, p, id, req, &photos)
            })
            .await
        }
        (req, too_large, refused) => {
            let errors = [req.err(), too_large, refused];
            Err(errors
                .into_iter()
                .flatten()
                .reduce(AppError::merge)
                .expect("one failed"))
        }
    };
    match result {
        Ok(_) => {
            let flash = format!("flash_{}", action.map_or("", |a| a.as_str()));
            Ok(ctx.done(&format!("/findings/{id}"), &flash))
        }
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                // What was typed comes back in the form it was typed in, with the photos that
                // arrived kept as the actor's uploads for the next try.
                kept.extend(keep_uploads(&db, &actor, photos).await?);
                let mut values = form.echo(blank_action());
                values["kept"] = json!(kept);
                let shown = (values, errors, StatusCode::UNPROCESSABLE_ENTITY);
                render_detail(&pages, &db, &ctx, actor, id, shown).await
            }
            None => Err(err.into()),
        },
    }
}

async fn file(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    viewers: web::Data<attachments::Viewers>,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> Result<HttpResponse, crate::web::PageError> {
    let id: AttachmentId = path_id(&id)?;
    Ok(attachments::fetch(&db, (&settings, &viewers), actor, id).await?)
}
