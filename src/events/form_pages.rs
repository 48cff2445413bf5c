//! The organizer's event form: planning a new event (empty, or made from a shared lesson) and
//! changing one already planned. One form, one reading of it, for both.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::{NaiveDateTime, TimeZone};
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Actor, WebUser};
use crate::config::Settings;
use crate::db::types::shanghai;
use crate::db::Db;
use crate::error::AppError;
use crate::events::model::*;
use crate::events::{plan, service};
use crate::findings::attachments;
use crate::message::msg;
use crate::org::store as org;
use crate::web::form::PageForm;
use crate::web::{form_errors, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alliances/{id}/events/new", web::get().to(new_form))
        .route("/alliances/{id}/events/new", web::post().to(create))
        .route("/events/{id}/edit", web::get().to(edit_form))
        .route("/events/{id}/edit", web::post().to(edit));
}

fn blank() -> Value {
    json!({"kind": "training", "title": "", "description": "", "starts_at": "", "ends_at": "",
           "place": "", "speaker": "", "capacity": "50", "quota": "2", "case_study": "", "links": "",
           "lesson_id": "", "required_all": "yes"})
}

/// Where the form is sent, and what it is for.
enum Target {
    New(AllianceId),
    Edit(EventId),
}

impl Target {
    fn action(&self) -> String {
        match self {
            Target::New(a) => format!("/alliances/{a}/events/new"),
            Target::Edit(e) => format!("/events/{e}/edit"),
        }
    }
}

/// What the form's template needs besides the values: the members to tick, the categories to
/// tick, the event's files (when editing).
struct Choices {
    alliance: AllianceId,
    chosen: Vec<EnterpriseId>,
    categories: Vec<Category>,
    files: Vec<AttachmentId>,
}

async fn form_page(
    pages: &Pages,
    (ctx, actor, db): (&PageContext, &Actor, &Db),
    target: Target,
    (values, errors, choices): (Value, Value, Choices),
    status: StatusCode,
) -> PageResult {
    let Choices {
        alliance,
        chosen,
        categories,
        files,
    } = choices;
    let members = access::read(db, actor.clone(), move |conn, _| {
        // The members, and any enterprise chosen before that has left since.
        let mut ids = org::alliance_members(conn, alliance)?;
        ids.extend(
            chosen
                .iter()
                .filter(|e| !ids.contains(e))
                .copied()
                .collect::<Vec<_>>(),
        );
        let names = org::enterprise_names(conn, &ids)?;
        Ok(ids
            .iter()
            .map(|e| {
                json!({"id": e, "name": names.get(e).cloned().unwrap_or_default(),
                       "ticked": chosen.contains(e)})
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let categories: Vec<Value> = Category::ALL
        .iter()
        .map(|c| json!({"code": c, "ticked": categories.contains(c)}))
        .collect();
    let editing = matches!(target, Target::Edit(_));
    let heading = if editing { "edit_event" } else { "new_event" };
    let data = json!({"action": target.action(), "editing": editing, "heading": heading, "alliance_id": alliance,
                      "values": values, "errors": errors, "members": members,
                      "categories": categories, "files": files});
    pages.page(ctx, actor, status, "events/new", data)
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
    let (values, categories) = access::read(&db, actor.clone(), move |conn, policy| {
        service::may_organize(conn, policy, id)?;
        let mut values = blank();
        let Some(lesson) = lesson else {
            return Ok((values, Vec::new()));
        };
        let mut categories = Vec::new();
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
            categories.push(f.category);
        }
        Ok((values, categories))
    })
    .await?;
    let choices = Choices {
        alliance: id,
        chosen: Vec::new(),
        categories,
        files: Vec::new(),
    };
    let page = (values, json!({}), choices);
    form_page(
        &pages,
        (&ctx, &actor, &db),
        Target::New(id),
        page,
        StatusCode::OK,
    )
    .await
}

/// The event as the form shows it.
fn values_of(d: &EventDetail) -> Value {
    let e = &d.event;
    let field = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M").to_string();
    json!({"kind": e.kind, "title": e.title, "description": e.description,
           "starts_at": field(e.starts_at), "ends_at": field(e.ends_at), "place": e.place,
           "speaker": e.speaker, "capacity": e.capacity.to_string(), "quota": e.quota.to_string(),
           "case_study": e.case_study, "links": e.links.join("\n"),
           "lesson_id": e.lesson_id.map(|l| l.to_string()).unwrap_or_default(),
           "required_all": if e.required_all { "yes" } else { "no" }})
}

/// The event, if the caller organizes it (else 403, or 404 when it is not the caller's to see).
async fn organized(db: &Db, actor: &Actor, id: EventId) -> Result<EventDetail, AppError> {
    let d = access::read(db, actor.clone(), move |c, p| service::detail(c, p, id)).await?;
    match d.organizer {
        true => Ok(d),
        false => Err(AppError::Forbidden(
            "Only the event's organizers edit it.".into(),
        )),
    }
}

async fn edit_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    let d = organized(&db, &actor, id).await?;
    let choices = Choices {
        alliance: d.event.alliance_id,
        chosen: d.requirements.iter().map(|r| r.enterprise_id).collect(),
        categories: d.event.hazard_categories.clone(),
        files: d.material_ids.iter().chain(&d.photo_ids).copied().collect(),
    };
    let page = (values_of(&d), json!({}), choices);
    form_page(
        &pages,
        (&ctx, &actor, &db),
        Target::Edit(id),
        page,
        StatusCode::OK,
    )
    .await
}

/// A `datetime-local` field, read as Beijing time.
fn local_time(field: &str, text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, AppError> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| shanghai().from_local_datetime(&t).single())
        .ok_or_else(|| AppError::field(field, msg::NOT_DATE))
}

/// The form as sent: the event it describes (or what is wrong with its times and kind), and the
/// choices to show again should it be refused.
struct Sent {
    all: bool,
    chosen: Vec<EnterpriseId>,
    categories: Vec<Category>,
}

fn read(form: &mut PageForm) -> (Result<NewEvent, AppError>, Sent) {
    let ids = |form: &mut PageForm, field: &str| -> Vec<String> { form.take_all(field) };
    let chosen: Vec<EnterpriseId> = ids(form, "required")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let categories: Vec<Category> = ids(form, "hazard_category")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let number = |field: &str| form.text(field).trim().parse::<i32>().ok();
    let all = form.text("required_all") != "no";
    let times = (
        local_time("starts_at", form.text("starts_at")),
        local_time("ends_at", form.text("ends_at")),
    );
    let kind = form.text("kind").parse::<EventKind>();
    let event = match (times, kind) {
        ((Ok(starts_at), Ok(ends_at)), Ok(kind)) => Ok(NewEvent {
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
            // Each chosen enterprise sends the quota's number of people.
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
            hazard_categories: categories.clone(),
            material_ids: Vec::new(),
            links: form
                .text("links")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            lesson_id: form.text("lesson_id").parse().ok(),
        }),
        ((a, b), kind) => Err([
            a.err(),
            b.err(),
            kind.err().map(|_| AppError::field("kind", msg::NOT_LISTED)),
        ]
        .into_iter()
        .flatten()
        .reduce(AppError::merge)
        .unwrap_or_else(|| AppError::internal("a failed form"))),
    };
    let sent = Sent {
        all,
        chosen,
        categories,
    };
    (event, sent)
}

/// Stores the form's uploaded materials (none is kept unless the change is made).
async fn uploads(
    settings: &Settings,
    form: &mut PageForm,
) -> Result<Vec<attachments::Stored>, AppError> {
    let files = form.take_files("material");
    match form.too_large_error("material_ids", settings.max_upload_bytes) {
        Some(e) => Err(e),
        None => attachments::store_photos(settings, files).await,
    }
}

/// The form again with what was wrong, or the error page when nothing in it was.
async fn refused(
    pages: &Pages,
    (ctx, actor, db): (&PageContext, &Actor, &Db),
    (target, alliance): (Target, AllianceId),
    (form, sent, files): (&PageForm, Sent, Vec<AttachmentId>),
    err: AppError,
) -> PageResult {
    let Some(mut errors) = form_errors(pages, ctx.lang, &err) else {
        return Err(err.into());
    };
    // The form has one place for what is wrong with the chosen enterprises.
    if let Some(map) = errors.as_object_mut() {
        let listed: Vec<String> = map
            .keys()
            .filter(|k| k.starts_with("requirements["))
            .cloned()
            .collect();
        for key in listed {
            if let Some(text) = map.remove(&key) {
                map.entry("requirements").or_insert(text);
            }
        }
    }
    let mut values = form.echo(blank());
    values["required_all"] = json!(if sent.all { "yes" } else { "no" });
    let choices = Choices {
        alliance,
        chosen: sent.chosen,
        categories: sent.categories,
        files,
    };
    let page = (values, errors, choices);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    form_page(pages, (ctx, actor, db), target, page, status).await
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    settings: web::Data<Settings>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    // Nobody stores files on an alliance it does not organize.
    access::read(&db, actor.clone(), move |c, p| {
        service::may_organize(c, p, id)
    })
    .await?;
    let (event, sent) = read(&mut form);
    let stored = uploads(&settings, &mut form).await;
    let result = match (event, stored) {
        (Ok(mut new), Ok(files)) => {
            access::write(&db, actor.clone(), move |c, p| {
                let saved = attachments::record(c, p.actor.id, &files)?;
                new.material_ids = saved.iter().map(|a| a.id).collect();
                plan::create(c, p, id, new)
            })
            .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(event) => Ok(ctx.done(&format!("/events/{event}"), "flash_event_planned")),
        Err(err) => {
            let target = (Target::New(id), id);
            let sent = (&form, sent, Vec::new());
            refused(&pages, (&ctx, &actor, &db), target, sent, err).await
        }
    }
}

async fn edit(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    settings: web::Data<Settings>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<EventId>(&id)?;
    // Nobody stores files on an event it does not organize.
    let d = organized(&db, &actor, id).await?;
    let removed: Vec<AttachmentId> = form
        .take_all("remove_file")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (event, sent) = read(&mut form);
    let stored = uploads(&settings, &mut form).await;
    let result = match (event, stored) {
        (Ok(new), Ok(files)) => {
            // Enterprises chosen before keep the number of people they were asked for.
            let before = d.requirements.clone();
            let requirements = new.requirements.iter().map(|r| {
                let kept = before.iter().find(|b| b.enterprise_id == r.enterprise_id);
                kept.copied().unwrap_or(*r)
            });
            let mut patch = EventPatch {
                kind: Some(new.kind),
                title: Some(new.title),
                description: Some(new.description),
                starts_at: Some(new.starts_at),
                ends_at: Some(new.ends_at),
                place: Some(new.place),
                speaker: Some(new.speaker),
                capacity: Some(new.capacity),
                quota: new.quota,
                required_all: new.required_all,
                requirements: Some(requirements.collect()),
                case_study: Some(new.case_study),
                hazard_categories: Some(new.hazard_categories),
                links: Some(new.links),
                remove_file_ids: Some(removed),
                ..Default::default()
            };
            access::write(&db, actor.clone(), move |c, p| {
                let saved = attachments::record(c, p.actor.id, &files)?;
                patch.material_ids = Some(saved.iter().map(|a| a.id).collect());
                plan::update(c, p, id, patch)
            })
            .await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(ctx.done(&format!("/events/{id}"), "flash_event_changed")),
        Err(err) => {
            let files = d.material_ids.iter().chain(&d.photo_ids).copied().collect();
            let target = (Target::Edit(id), d.event.alliance_id);
            let sent = (&form, sent, files);
            refused(&pages, (&ctx, &actor, &db), target, sent, err).await
        }
    }
}
