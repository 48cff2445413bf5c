//! The pages that judge and report: the monthly evaluation (scores and ranks, with publishing,
//! recomputing and the weights for the district's regulators), the bulletin (通报) that prints on
//! A4 with the top and bottom alliances and the warning notices (警示告知书), the year's report,
//! and an enterprise against its alliances.

use actix_web::http::StatusCode;
use actix_web::web;
use serde_json::{json, Value};

use crate::access;
use crate::auth::WebUser;
use crate::db::Db;
use crate::error::AppError;
use crate::oversight::evaluation::Weights;
use crate::oversight::evaluations::{self, Evaluation, EvaluationQuery, EvaluationSettings};
use crate::web::form::PageForm;
use crate::web::{form_failure, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oversight/evaluations", web::get().to(page))
        .route("/oversight/evaluations", web::post().to(act))
        .route("/oversight/bulletin", web::get().to(bulletin))
        .route(
            "/oversight/evaluation-settings",
            web::post().to(save_settings),
        )
        .route("/oversight/evaluations.xlsx", web::get().to(xlsx))
        .route("/oversight/evaluations.csv", web::get().to(csv))
        .route("/comparison", web::get().to(comparison))
        .route("/oversight/report", web::get().to(report_page));
}

#[derive(Debug, Default, serde::Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

fn percent(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// A row as the tables show it: the rates as percentages, the change as an arrow.
fn row(e: &Evaluation, words: &dyn Fn(&str) -> String) -> Value {
    let m = &e.metrics;
    let change = match e.rank_change {
        Some(c) if c > 0 => format!("↑{c}"),
        Some(c) if c < 0 => format!("↓{}", -c),
        Some(_) => "—".into(),
        None => String::new(),
    };
    let weak: Vec<String> = e
        .weaknesses
        .iter()
        .map(|w| words(&format!("measure_{w}")))
        .collect();
    json!({
        "id": e.subject_id, "name": e.name, "score": format!("{:.1}", e.score), "rank": e.rank,
        "change": change,
        "score_change": e.score_change.map(|c| format!("{c:+.1}")).unwrap_or_default(),
        "inspection_rate": percent(m.inspection_rate), "found": m.found,
        "rectification_rate": percent(m.rectification_rate), "on_time_rate": percent(m.on_time_rate),
        "overdue": m.overdue, "events_held": m.events_held,
        "attendance_rate": percent(m.attendance_rate), "weaknesses": weak.join("、"),
    })
}

async fn data(
    pages: &web::Data<Pages>,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    month: Option<String>,
) -> Result<Value, AppError> {
    let lang = ctx.lang;
    let words = pages.clone();
    // A page takes a blank month as "last month" (a cleared field), and spaces as typed.
    let month = month
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    access::read(db, actor, move |conn, policy| {
        let q = EvaluationQuery { month };
        let e = evaluations::list(conn, policy, &q)?;
        let word = |k: &str| words.word(lang, k);
        let settings = match e.may_publish {
            true => Some(evaluations::settings(conn)?),
            false => None,
        };
        let over = e.month < crate::db::types::today().format("%Y-%m").to_string();
        let alliances: Vec<Value> = e.alliances.iter().map(|x| row(x, &word)).collect();
        // The best five and the last five (fewer when there are not ten to tell apart).
        let top: Vec<Value> = alliances.iter().take(5).cloned().collect();
        let rest = alliances.len().saturating_sub(top.len()).min(5);
        let bottom: Vec<Value> = alliances[alliances.len() - rest..].to_vec();
        Ok(json!({
            "e": {"month": e.month, "published": e.published, "published_at": e.published_at,
                  "warn_below": e.warn_below, "may_publish": e.may_publish},
            "alliances": alliances,
            "streets": e.streets.iter().map(|x| row(x, &word)).collect::<Vec<_>>(),
            "warnings": e.warnings.iter().map(|x| row(x, &word)).collect::<Vec<_>>(),
            "top": top, "bottom": bottom,
            "can_publish": e.may_publish && !e.published && over,
            "can_recompute": e.may_publish && e.published,
            "settings": settings.map(|s| json!({"weights": s.weights.named().iter()
                .map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
                "warn_below": s.warn_below})),
            "errors": {},
        }))
    })
    .await
}

async fn page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<MonthQuery>,
) -> PageResult {
    let d = data(&pages, &db, &ctx, actor.clone(), q.into_inner().month).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "oversight/evaluations", d)
}

async fn bulletin(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<MonthQuery>,
) -> PageResult {
    let d = data(&pages, &db, &ctx, actor.clone(), q.into_inner().month).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "oversight/bulletin", d)
}

/// Publish or recompute the month (asked to confirm first).
async fn act(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
    let month = form.text("month").to_string();
    let action = form.text("action").to_string();
    let back = format!("/oversight/evaluations?month={month}");
    if !form.confirmed() {
        let question = match action.as_str() {
            "recompute" => "confirm_recompute_evaluation",
            _ => "confirm_publish_evaluation",
        };
        return pages.confirm(
            &ctx,
            &actor,
            &form,
            (question, &month),
            "/oversight/evaluations",
            &back,
        );
    }
    let m = month.clone();
    let result = access::write(&db, actor.clone(), move |c, p| match action.as_str() {
        "publish" => evaluations::publish(c, p, &m),
        "recompute" => evaluations::recompute(c, p, &m),
        _ => Err(AppError::field(
            "action",
            crate::message::msg::UNKNOWN_ACTION,
        )),
    })
    .await;
    match result {
        Ok(()) => Ok(ctx.done(&back, "flash_evaluation_saved")),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("evaluation", "evaluation_refused"))?;
            let mut d = data(&pages, &db, &ctx, actor.clone(), Some(month)).await?;
            d["errors"] = errors;
            pages.page(&ctx, &actor, status, "oversight/evaluations", d)
        }
    }
}

/// The weights and threshold, from the page's form.
async fn save_settings(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let number = |k: &str| form.text(k).trim().parse::<f64>().unwrap_or(f64::NAN);
    let new = EvaluationSettings {
        weights: Weights {
            inspections: number("inspections"),
            found: number("found"),
            rectification: number("rectification"),
            on_time: number("on_time"),
            overdue: number("overdue"),
            events: number("events"),
            attendance: number("attendance"),
        },
        warn_below: number("warn_below"),
    };
    let month = form.text("month").to_string();
    let result = access::write(&db, actor.clone(), move |c, p| {
        evaluations::update_settings(c, p, new)
    })
    .await;
    match result {
        Ok(_) => Ok(ctx.done(
            &format!("/oversight/evaluations?month={month}"),
            "flash_weights_saved",
        )),
        Err(err) => {
            let (mut errors, status) =
                form_failure(&pages, ctx.lang, err, ("evaluation", "evaluation_refused"))?;
            // The form has one place for what is wrong with the weights.
            if let Some(map) = errors.as_object_mut() {
                let named: Vec<String> = map
                    .keys()
                    .filter(|k| k.starts_with("weights."))
                    .cloned()
                    .collect();
                for key in named {
                    if let Some(text) = map.remove(&key) {
                        map.entry("weights").or_insert(text);
                    }
                }
            }
            let mut d = data(&pages, &db, &ctx, actor.clone(), Some(month)).await?;
            d["errors"] = errors;
            pages.page(&ctx, &actor, status, "oversight/evaluations", d)
        }
    }
}

/// A month's evaluation as a file (a cleared month field: last month).
async fn evaluation_file(
    db: &Db,
    exports: &crate::limits::Exports,
    actor: crate::auth::Actor,
    month: Option<String>,
    xlsx: bool,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    let q = crate::oversight::routes::EvaluationExportQuery {
        month: month
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty()),
        streets: None,
    };
    Ok(crate::oversight::routes::evaluation_file(db, exports, actor, q, xlsx).await?)
}

async fn xlsx(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    WebUser(actor): WebUser,
    q: web::Query<MonthQuery>,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    evaluation_file(&db, &exports, actor, q.into_inner().month, true).await
}

async fn csv(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    WebUser(actor): WebUser,
    q: web::Query<MonthQuery>,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    evaluation_file(&db, &exports, actor, q.into_inner().month, false).await
}

#[derive(Debug, Default, serde::Deserialize)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The enterprise against its alliances' medians, for a period of months (this year by default).
async fn comparison(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PeriodQuery>,
) -> PageResult {
    let month = |raw: &Option<String>| {
        raw.as_deref().and_then(|m| {
            chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok()
        })
    };
    let query = crate::oversight::model::SummaryQuery {
        from: month(&q.from),
        to: month(&q.to),
        ..Default::default()
    };
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let c = crate::oversight::comparison::compare(conn, policy, &query)?;
        let fmt = |v: f64| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        };
        let line = |o: &crate::oversight::comparison::Own| {
            json!([
                fmt(o.found),
                fmt(o.rectified),
                percent(o.rectification_rate),
                percent(o.on_time_rate),
                fmt(o.overdue),
                fmt(o.inspections_done),
                fmt(o.inspections_received),
                fmt(o.attendances)
            ])
        };
        let alliances: Vec<Value> = c
            .alliances
            .iter()
            .map(|a| {
                json!({"name": a.alliance_name, "members": a.members,
                            "median": a.median.as_ref().map(line)})
            })
            .collect();
        Ok(
            json!({"c": {"from": c.from, "to": c.to}, "own": line(&c.own), "alliances": alliances,
                  "period": {"from": c.from.format("%Y-%m").to_string(),
                             "to": c.to.format("%Y-%m").to_string()},
                  "fewest": crate::oversight::comparison::FEWEST}),
        )
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "oversight/comparison", data)
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportPageQuery {
    year: Option<String>,
    region_id: Option<String>,
    industry_id: Option<String>,
}

/// The year's report, to read, follow and print.
async fn report_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ReportPageQuery>,
) -> PageResult {
    let this_year = chrono::Datelike::year(&crate::db::types::today());
    let query = crate::oversight::report::ReportQuery {
        year: q
            .year
            .as_deref()
            .and_then(|y| y.trim().parse::<i32>().ok())
            .filter(|y| (2000..=2100).contains(y)),
        region_id: q.region_id.as_deref().and_then(|v| v.trim().parse().ok()),
        industry_id: q.industry_id.as_deref().and_then(|v| v.trim().parse().ok()),
    };
    let data = exports
        .hold(access::read(&db, actor.clone(), move |conn, policy| {
            let r = crate::oversight::report::report(conn, policy, &query)?;
            let years: Vec<i32> = (this_year - 4..=this_year).rev().collect();
            Ok(json!({"r": r, "years": years, "year": r.year}))
        }))
        .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "oversight/report", data)
}
