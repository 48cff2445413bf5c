//! The API of notification settings: a person's mail preferences, the deadline ladder, group
//! robots, the outbox (administrators), and the settable clock (trials and acceptance tests).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, Policy};
use crate::api::Paginated;
use crate::auth::ApiUser;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::notify::ladder::{self, LadderInput, Rungs};
use crate::notify::outbox::{self, OutboxCounts, OutboxEntry, OutboxQuery};
use crate::notify::prefs::{self, Prefs, PrefsInput};
use crate::notify::webhooks::{self, NewWebhook, Webhook};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_preferences)
        .service(put_preferences)
        .service(get_ladder)
        .service(put_ladder)
        .service(list_webhooks)
        .service(create_webhook)
        .service(delete_webhook)
        .service(list_outbox)
        .service(resend)
        .service(get_clock)
        .service(put_clock);
}

/// The caller's mail preferences.
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications",
    responses((status = 200, body = Prefs), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/notifications/preferences")]
async fn get_preferences(db: web::Data<Db>, ApiUser(actor): ApiUser) -> AppResult<HttpResponse> {
    let prefs = db.run(move |c| prefs::get(c, actor.id)).await?;
    Ok(HttpResponse::Ok().json(prefs))
}

/// Sets the caller's mail preferences: language, daily digest, kinds not mailed (overdue and
/// major-hazard messages cannot be muted: 422).
#[utoipa::path(put, path = "/api/v1/notifications/preferences", tag = "notifications", request_body = PrefsInput,
    responses((status = 200, body = Prefs), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::put("/notifications/preferences")]
async fn put_preferences(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<PrefsInput>,
) -> AppResult<HttpResponse> {
    let wanted = prefs::check(&body.0)?;
    let prefs = db.write(move |c| prefs::set(c, actor.id, &wanted)).await?;
    Ok(HttpResponse::Ok().json(prefs))
}

/// The deadline ladder of both grades.
#[utoipa::path(get, path = "/api/v1/deadline-ladder", tag = "notifications",
    responses((status = 200, body = Vec<Rungs>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/deadline-ladder")]
async fn get_ladder(db: web::Data<Db>, ApiUser(_actor): ApiUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(db.run(ladder::get).await?))
}

/// Sets the deadline ladder (a district regulator or an administrator).
#[utoipa::path(put, path = "/api/v1/deadline-ladder", tag = "notifications", request_body = LadderInput,
    responses((status = 200, body = Vec<Rungs>), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::put("/deadline-ladder")]
async fn put_ladder(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    body: JsonBody<LadderInput>,
) -> AppResult<HttpResponse> {
    ladder::check(&body.0)?;
    let ladder = access::write(&db, actor, move |c, p| ladder::set(c, p, &body.0)).await?;
    Ok(HttpResponse::Ok().json(ladder))
}

/// The group robots the caller may manage.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "notifications",
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/webhooks")]
async fn list_webhooks(db: web::Data<Db>, ApiUser(actor): ApiUser) -> AppResult<HttpResponse> {
    let list = access::read(&db, actor, webhooks::list).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Attaches a group robot to an alliance (its lead, or a regulator over it) or a region (its
/// regulators): overdue and major-hazard messages there are posted to it.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "notifications", request_body = NewWebhook,
    responses((status = 201, body = Webhook), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/webhooks")]
async fn create_webhook(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    body: JsonBody<NewWebhook>,
) -> AppResult<HttpResponse> {
    webhooks::check(&body.0, &settings.webhook_hosts)?;
    let hook = access::write(&db, actor, move |c, p| webhooks::create(c, p, &body.0)).await?;
    Ok(HttpResponse::Created().json(hook))
}

/// Detaches a group robot.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "Webhook id")),
    responses((status = 204), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::delete("/webhooks/{id}")]
async fn delete_webhook(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    access::write(&db, actor, move |c, p| webhooks::remove(c, p, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The outbox and its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxView {
    pub counts: OutboxCounts,
    #[serde(flatten)]
    pub list: Paginated<OutboxEntry>,
}

fn require_admin(p: &Policy) -> AppResult<()> {
    if p.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only administrators see the outbox.".into(),
        ))
    }
}

/// The outbox, newest first: what is pending, sent, or failed and why (administrators).
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "notifications", params(OutboxQuery),
    responses((status = 200, body = OutboxView), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/admin/outbox")]
async fn list_outbox(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    q: QueryParams<OutboxQuery>,
) -> AppResult<HttpResponse> {
    let view = access::read(&db, actor, move |c, p| {
        require_admin(p)?;
        Ok(OutboxView {
            counts: outbox::counts(c)?,
            list: outbox::list(c, &q.0)?,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sends an outbox row again (a failed one, or a sent one asked for again) at once.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/resend", tag = "notifications",
    params(("id" = i64, Path, description = "Outbox row id")),
    responses((status = 200, body = OutboxEntry), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/admin/outbox/{id}/resend")]
async fn resend(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let entry = access::write(&db, actor, move |c, p| {
        require_admin(p)?;
        outbox::resend(c, p.actor.id, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(entry))
}

/// The platform's calendar day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    /// The day the platform reckons deadlines, overdue and reminders by (Beijing).
    #[schema(value_type = String, format = Date)]
    #[serde(deserialize_with = "crate::db::types::sane_date_required")]
    pub today: chrono::NaiveDate,
}

fn settable(settings: &Settings) -> AppResult<()> {
    if settings.settable_clock {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The platform's calendar day (only when started with `SA_SETTABLE_CLOCK=true`; else 404).
#[utoipa::path(get, path = "/api/v1/admin/clock", tag = "notifications",
    responses((status = 200, body = Clock), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/admin/clock")]
async fn get_clock(
    settings: web::Data<Settings>,
    ApiUser(_actor): ApiUser,
) -> AppResult<HttpResponse> {
    settable(&settings)?;
    Ok(HttpResponse::Ok().json(Clock {
        today: crate::db::types::today(),
    }))
}

/// Moves the platform's calendar day (administrators; only with `SA_SETTABLE_CLOCK=true`), and
/// runs the scheduler at once: for trials and acceptance tests of the deadline ladder.
#[utoipa::path(put, path = "/api/v1/admin/clock", tag = "notifications", request_body = Clock,
    responses((status = 200, body = Clock), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::put("/admin/clock")]
async fn put_clock(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    wake: web::Data<crate::notify::Wake>,
    ApiUser(actor): ApiUser,
    body: JsonBody<Clock>,
) -> AppResult<HttpResponse> {
    settable(&settings)?;
    let day = body.0.today;
    let days = (day - crate::db::types::real_today()).num_days();
    access::write(&db, actor, move |c, p| {
        if !p.is_admin() {
            return Err(AppError::Forbidden(
                "Only administrators move the clock.".into(),
            ));
        }
        crate::notify::schedule::store_days(c, days)?;
        crate::audit::record(
            c,
            Some(p.actor.id),
            "clock.set",
            "clock",
            None,
            serde_json::json!({"today": day}),
        )
    })
    .await?;
    crate::db::types::set_days_moved(days);
    wake.0.notify_one();
    Ok(HttpResponse::Ok().json(Clock {
        today: crate::db::types::today(),
    }))
}
