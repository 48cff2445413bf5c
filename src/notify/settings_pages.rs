//! Pages of notification settings: a person's mail preferences, the deadline ladder (set by a
//! district regulator, read by all), and the group robots of alliances and regions.

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Actor, WebUser};
use crate::db::Db;
use crate::notify::ladder::{self, LadderInput, RungsInput};
use crate::notify::prefs::{self, PrefsInput};
use crate::notify::webhooks::{self, NewWebhook, RobotKind};
use crate::notify::Kind;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications/preferences", web::get().to(preferences))
        .route(
            "/notifications/preferences",
            web::post().to(save_preferences),
        )
        .route("/notifications/ladder", web::get().to(ladder_page))
        .route("/notifications/ladder", web::post().to(save_ladder))
        .route("/notifications/robots", web::get().to(robots))
        .route("/notifications/robots", web::post().to(add_robot))
        .route(
            "/notifications/robots/{id}/remove",
            web::post().to(remove_robot),
        );
}

async fn preferences_data(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: &Actor,
) -> Result<Value, crate::error::AppError> {
    let user = actor.id;
    let p = db.run(move |c| prefs::get(c, user)).await?;
    let kinds: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| {
            let (what, _) = k.words(true);
            json!({
                "kind": k.as_str(),
                "label": pages.word(ctx.lang, &what),
                "mandatory": k.mandatory(),
                "on": k.mandatory() || !p.muted.iter().any(|m| m == k.as_str()),
            })
        })
        .collect();
    Ok(json!({"p": p, "kinds": kinds, "errors": {}}))
}

async fn preferences(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let data = preferences_data(&pages, &db, &ctx, &actor).await?;
    pages.page(
        &ctx,
        &actor,
        StatusCode::OK,
        "notifications/preferences",
        data,
    )
}

/// The form lists the kinds that are on; the rest are muted.
async fn save_preferences(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
    let on = form.take_all("on");
    let input = PrefsInput {
        language: form.text("language").to_string(),
        digest: form.text("digest") == "on",
        muted: Kind::ALL
            .iter()
            .filter(|k| !k.mandatory() && !on.iter().any(|o| o == k.as_str()))
            .map(|k| k.as_str().to_string())
            .collect(),
    };
    let user = actor.id;
    let result = match prefs::check(&input) {
        Ok(wanted) => db.write(move |c| prefs::set(c, user, &wanted)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(ctx.done("/notifications/preferences", "flash_saved")),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("language", "notice_settings"))?;
            let mut data = preferences_data(&pages, &db, &ctx, &actor).await?;
            data["errors"] = errors;
            pages.page(&ctx, &actor, status, "notifications/preferences", data)
        }
    }
}

async fn ladder_data(db: &Db, actor: &Actor) -> Result<Value, crate::error::AppError> {
    let rungs = access::read(db, actor.clone(), |c, p| {
        Ok((ladder::get(c)?, ladder::may_set(c, p)?))
    })
    .await?;
    let (rungs, may_set) = rungs;
    Ok(json!({"rungs": rungs, "may_set": may_set, "errors": {}}))
}

async fn ladder_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let data = ladder_data(&db, &actor).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "notifications/ladder", data)
}

async fn save_ladder(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let number = |k: &str| form.text(k).trim().parse::<i32>().unwrap_or(-1);
    let input = LadderInput {
        general: RungsInput {
            remind_days: number("general.remind_days"),
            escalate_days: number("general.escalate_days"),
        },
        major: RungsInput {
            remind_days: number("major.remind_days"),
            escalate_days: number("major.escalate_days"),
        },
    };
    let result = match ladder::check(&input) {
        Ok(()) => {
            access::write(&db, actor.clone(), move |c, p| {
                ladder::set(c, p, &input).map(|_| ())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(ctx.done("/notifications/ladder", "flash_saved")),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("ladder", "deadline_ladder"))?;
            let mut data = ladder_data(&db, &actor).await?;
            data["errors"] = errors;
            pages.page(&ctx, &actor, status, "notifications/ladder", data)
        }
    }
}

/// The robots the viewer manages, and where it may attach one (its led or overseen alliances,
/// its region).
async fn robots_data(db: &Db, actor: &Actor) -> Result<Value, crate::error::AppError> {
    let region = actor.region_id;
    let (list, alliances) = access::read(db, actor.clone(), |c, p| {
        let list = webhooks::list(c, p)?;
        let list = named(c, list)?;
        let page = crate::api::PageRequest::new(Some(1), Some(100))?;
        let (visible, _) = crate::org::store::list_alliances(
            c,
            &p.alliances_visible(),
            &Default::default(),
            page,
        )?;
        let alliances: Vec<Value> = visible
            .into_iter()
            .filter(|a| {
                p.led_alliances().contains(&a.id)
                    || p.may_manage_alliance(a.region_id, a.industry_id)
            })
            .map(|a| json!({"id": a.id, "name": a.name}))
            .collect();
        Ok((list, alliances))
    })
    .await?;
    let may_region = actor.role == crate::auth::Role::Regulator && region.is_some();
    Ok(json!({
        "robots": list,
        "alliances": alliances,
        "region_id": region,
        "may_attach": may_region || !alliances.is_empty(),
        "may_region": may_region,
        "kinds": RobotKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "values": {"name": "", "url": "", "secret": ""},
        "errors": {},
    }))
}

/// The robots with the name of the alliance or region each is attached to (as `place`).
fn named(
    c: &mut crate::db::AnyConnection,
    list: Vec<webhooks::Webhook>,
) -> crate::error::AppResult<Vec<Value>> {
    use crate::db::schema::{alliances, regions};
    use diesel::prelude::*;
    let mut out = Vec::new();
    for hook in list {
        let place: Option<String> = match (hook.alliance_id, hook.region_id) {
            (Some(a), _) => alliances::table
                .find(a)
                .select(alliances::name)
                .first(c)
                .optional()?,
            (None, Some(r)) => regions::table
                .find(r)
                .select(regions::name)
                .first(c)
                .optional()?,
            (None, None) => None,
        };
        let mut v = serde_json::to_value(&hook).unwrap_or_default();
        v["place"] = json!(place.unwrap_or_default());
        out.push(v);
    }
    Ok(out)
}

async fn robots(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let data = robots_data(&db, &actor).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "notifications/robots", data)
}

async fn add_robot(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<crate::config::Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    // "where" is `alliance:<id>` or `region:<id>`.
    let place = form.text("where").to_string();
    let id = |prefix: &str| {
        place
            .strip_prefix(prefix)
            .and_then(|i| i.parse::<i64>().ok())
    };
    let kind = form.text("kind").parse::<RobotKind>().ok();
    let input = NewWebhook {
        alliance_id: id("alliance:"),
        region_id: id("region:"),
        kind: kind.unwrap_or(RobotKind::Wecom),
        name: form.text("name").to_string(),
        url: form.text("url").to_string(),
        secret: form.text("secret").trim().to_string(),
    };
    let checked = match (kind, webhooks::check(&input, &settings.webhook_hosts)) {
        (Some(_), checked) => checked,
        (None, Ok(())) => Err(crate::error::AppError::field(
            "kind",
            crate::message::msg::NOT_LISTED,
        )),
        (None, Err(e)) => Err(e.merge(crate::error::AppError::field(
            "kind",
            crate::message::msg::NOT_LISTED,
        ))),
    };
    let result = match checked {
        Ok(()) => {
            access::write(&db, actor.clone(), move |c, p| {
                webhooks::create(c, p, &input).map(|_| ())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(ctx.done("/notifications/robots", "flash_saved")),
        Err(err) => {
            let (errors, status) = form_failure(&pages, ctx.lang, err, ("url", "group_robots"))?;
            let mut data = robots_data(&db, &actor).await?;
            data["errors"] = errors;
            // The secret is not shown back.
            data["values"] = form.echo(json!({"name": "", "url": ""}));
            data["values"]["secret"] = json!("");
            pages.page(&ctx, &actor, status, "notifications/robots", data)
        }
    }
}

async fn remove_robot(
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    _form: PageForm,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    access::write(&db, actor, move |c, p| webhooks::remove(c, p, id)).await?;
    Ok(ctx.done("/notifications/robots", "flash_saved"))
}
