//! The federation's pages: a district's `/federation` (what it is about to send, publishing,
//! what it sent and how the city answered); a city's `/federation/city` (the city's figures,
//! each district's standing, approvals, reconciliation) and `/federation/keys` (enrolment).

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Actor, WebUser};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::federation::city::{self, Approval};
use crate::federation::keys::Signer;
use crate::federation::model::Period;
use crate::federation::publish::{self, PublishInput};
use crate::federation::registry::{self, Enrolment};
use crate::federation::routes::destination;
use crate::message::msg;
use crate::oversight::charts;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/federation", web::get().to(district_page))
        .route("/federation/publish", web::post().to(publish_form))
        .route("/federation/city", web::get().to(city_page))
        .route("/federation/approve", web::post().to(approve_form))
        .route("/federation/keys", web::get().to(keys_page))
        .route("/federation/keys", web::post().to(enrol_form))
        .route("/federation/keys/{id}/retire", web::post().to(retire_form))
        .route("/federation/keys/{id}/revoke", web::post().to(revoke_form));
}

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

/// Beside every `rectification_rate` (0–1 or null), its text for people: `83.3%` or `—`.
fn rate_texts(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if let Some(rate) = map.get("rectification_rate") {
                let text = rate
                    .as_f64()
                    .map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0));
                map.insert("rate_text".into(), Value::String(text));
            }
            map.values_mut().for_each(rate_texts);
        }
        Value::Array(items) => items.iter_mut().for_each(rate_texts),
        _ => {}
    }
}

/// The period asked for (a bad one: 422 on the page), or last month.
fn asked(q: &PeriodQuery) -> Result<Period, AppError> {
    match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => publish::period(text),
        None => Ok(publish::default_period()),
    }
}

async fn render_district(
    (pages, db, settings): (&Pages, &Db, &Settings),
    ctx: &PageContext,
    actor: Actor,
    period: Period,
    (errors, status, reason): (Value, StatusCode, String),
) -> PageResult {
    let to = destination(settings);
    let is_city = settings.federation_audience.is_some();
    let data = access::read(db, actor.clone(), move |c, p| {
        publish::require_district(p)?;
        let preview = match publish::preview(c, p, &to, period) {
            Ok(preview) => serde_json::to_value(preview).map_err(AppError::internal)?,
            // A city's own instance may hold no district.
            Err(AppError::Conflict { .. }) if is_city => Value::Null,
            Err(e) => return Err(e),
        };
        let history = publish::history(c, p, 50)?;
        Ok(json!({"preview": preview, "history": history}))
    })
    .await?;
    if data["preview"].is_null() {
        return Ok(crate::web::see_other("/federation/city"));
    }
    let key_ready = Signer::load(&settings.federation_key_path()).is_ok();
    let mut data = json!({
        "preview": data["preview"], "history": data["history"], "period": period.to_string(),
        "key_ready": key_ready, "is_city": is_city, "reason": reason, "errors": errors,
        "city_url": settings.federation_city_url.clone().unwrap_or_default(),
    });
    rate_texts(&mut data);
    pages.page(ctx, &actor, status, "federation/district", data)
}

async fn district_page(
    (pages, db, settings): (web::Data<Pages>, web::Data<Db>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PeriodQuery>,
) -> PageResult {
    let (period, errors, status) = match asked(&q) {
        Ok(p) => (p, json!({}), StatusCode::OK),
        Err(e) => {
            let (errors, status) = form_failure(&pages, ctx.lang, e, ("period", "msg_period"))?;
            (publish::default_period(), errors, status)
        }
    };
    let shown = (errors, status, String::new());
    render_district((&pages, &db, &settings), &ctx, actor, period, shown).await
}

async fn publish_form(
    (pages, db, settings): (web::Data<Pages>, web::Data<Db>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let input = form.parse::<PublishInput>()?;
    let period = publish::period(&input.period).unwrap_or_else(|_| publish::default_period());
    access::read(&db, actor.clone(), |_, p| publish::require_district(p)).await?;
    let signer = crate::federation::routes::load_signer(&settings)?;
    let to = destination(&settings);
    let reason = input.reason.clone();
    let result = access::write(&db, actor.clone(), move |c, p| {
        publish::publish(c, p, (&signer, &to), &input)
    })
    .await;
    match result {
        Ok(_) => Ok(ctx.done(
            &format!("/federation?period={period}"),
            "flash_federation_published",
        )),
        Err(e) => {
            let conflict = ("preview_hash", "federation_figures_changed");
            let (errors, status) = form_failure(&pages, ctx.lang, e, conflict)?;
            let shown = (errors, status, reason);
            render_district((&pages, &db, &settings), &ctx, actor, period, shown).await
        }
    }
}

async fn render_city(
    (pages, db, settings): (&Pages, &Db, &Settings),
    ctx: &PageContext,
    actor: Actor,
    period: Period,
    (errors, status): (Value, StatusCode),
) -> PageResult {
    let due = settings.federation_due_days;
    let words = (
        pages.word(ctx.lang, "found"),
        pages.word(ctx.lang, "rectified"),
    );
    let mut data = access::read(db, actor.clone(), move |c, p| {
        let (summary, reconciliation) = city::snapshot(c, |c| {
            Ok((
                city::summary(c, p, period, due)?,
                crate::federation::reconcile::reconciliation(c, p)?,
            ))
        })?;
        let trend: Vec<(String, i64, i64)> = summary
            .by_month
            .iter()
            .map(|m| (m.key.clone(), m.figures.found, m.figures.rectified))
            .collect();
        // The districts by rectification rate, as the dashboard ranks alliances.
        let mut ranking: Vec<(String, f64)> = summary
            .districts
            .iter()
            .filter_map(|d| Some((d.name.clone(), d.figures.rectification_rate? * 100.0)))
            .collect();
        ranking.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(json!({"summary": summary, "reconciliation": reconciliation,
                  "is_admin": p.is_admin(),
                  "trend_svg": charts::trend(&trend, (&words.0, &words.1))?,
                  "ranking_svg": charts::bars(&ranking, true)?}))
    })
    .await?;
    data["period"] = json!(period.to_string());
    data["errors"] = errors;
    data["is_city"] = json!(settings.federation_audience.is_some());
    rate_texts(&mut data);
    pages.page(ctx, &actor, status, "federation/city", data)
}

async fn city_page(
    (pages, db, settings): (web::Data<Pages>, web::Data<Db>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PeriodQuery>,
) -> PageResult {
    let (period, shown) = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => (publish::default_period(), (json!({}), StatusCode::OK)),
        Some(text) => match Period::parse(text) {
            Some(p) => (p, (json!({}), StatusCode::OK)),
            None => {
                let e = AppError::field("period", msg::PERIOD);
                let shown = form_failure(&pages, ctx.lang, e, ("period", "msg_period"))?;
                (publish::default_period(), shown)
            }
        },
    };
    render_city((&pages, &db, &settings), &ctx, actor, period, shown).await
}

async fn approve_form(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let a = form.parse::<Approval>()?;
    let back = format!("/federation/city?period={}", a.period);
    let due = settings.federation_due_days;
    match access::write(&db, actor, move |c, p| city::approve(c, p, &a, due)).await {
        Ok(_) => Ok(ctx.done(&back, "flash_federation_approved")),
        Err(AppError::Conflict {
            kind: "already-approved",
            ..
        }) => Ok(ctx.done(&back, "flash_federation_approved")),
        Err(AppError::Conflict { .. }) => Ok(ctx.done(&back, "flash_federation_changed")),
        Err(e) => Err(e.into()),
    }
}

/// The enrolment form as typed (the code list pasted as JSON).
#[derive(Debug, Deserialize)]
struct EnrolForm {
    #[serde(default)]
    code_list: String,
    #[serde(default)]
    public_key: String,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    not_before: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::db::types::sane_date")]
    not_after: Option<NaiveDate>,
}

async fn render_keys(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    (errors, status, values): (Value, StatusCode, Value),
) -> PageResult {
    let districts = access::read(db, actor.clone(), |c, p| {
        registry::require_admin(p)?;
        registry::list(c)
    })
    .await?;
    let data = json!({"districts": districts, "errors": errors, "values": values});
    pages.page(ctx, &actor, status, "federation/keys", data)
}

async fn keys_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let blank = json!({"code_list": "", "public_key": "", "not_before": "", "not_after": ""});
    render_keys(&pages, &db, &ctx, actor, (json!({}), StatusCode::OK, blank)).await
}

async fn enrol_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let values =
        form.echo(json!({"code_list": "", "public_key": "", "not_before": "", "not_after": ""}));
    let result = match form.parse::<EnrolForm>() {
        Ok(f) => match serde_json::from_str(&f.code_list) {
            Ok(code_list) => {
                let e = Enrolment {
                    code_list,
                    public_key: f.public_key,
                    not_before: f.not_before,
                    not_after: f.not_after,
                };
                access::write(&db, actor.clone(), move |c, p| {
                    registry::require_admin(p)?;
                    registry::enrol(c, Some(p.actor.id), &e)
                })
                .await
            }
            Err(_) => Err(AppError::field("code_list", msg::CODE_LIST)),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(ctx.done("/federation/keys", "flash_federation_enrolled")),
        Err(e) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, e, ("public_key", "federation_key_taken"))?;
            render_keys(&pages, &db, &ctx, actor, (errors, status, values)).await
        }
    }
}

async fn status_form(
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: &str,
    status: &'static str,
) -> PageResult {
    let id = path_id::<i64>(id)?;
    let result = access::write(db, actor, move |c, p| {
        registry::require_admin(p)?;
        registry::set_status(c, Some(p.actor.id), id, status)
    })
    .await;
    match result {
        Ok(_) | Err(AppError::Conflict { .. }) => {
            Ok(ctx.done("/federation/keys", "flash_federation_key_status"))
        }
        Err(e) => Err(e.into()),
    }
}

async fn retire_form(
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    _form: PageForm,
) -> PageResult {
    status_form(&db, &ctx, actor, &id, "retired").await
}

/// Revoking cannot be undone: asked first.
async fn revoke_form(
    (pages, db): (web::Data<Pages>, web::Data<Db>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    if !form.confirmed() {
        let key = path_id::<i64>(&id)?;
        let kid = access::read(&db, actor.clone(), move |c, p| {
            registry::require_admin(p)?;
            registry::list(c)?
                .into_iter()
                .flat_map(|d| d.keys)
                .find(|k| k.id == key)
                .map(|k| format!("{} {}", k.district_code, k.kid))
                .ok_or(AppError::NotFound)
        })
        .await?;
        let action = format!("/federation/keys/{key}/revoke");
        return pages.confirm(
            &ctx,
            &actor,
            &form,
            ("confirm_revoke_key", &kid),
            &action,
            "/federation/keys",
        );
    }
    status_form(&db, &ctx, actor, &id, "revoked").await
}
