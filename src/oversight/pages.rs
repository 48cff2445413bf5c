//! Oversight's pages: the regulator's dashboard (figures, charts, breakdowns, a period chosen
//! by month) and the lists behind its activity figures. Every figure links to the records it
//! counts, with the same filters, so the list's total is the figure.

use actix_web::http::StatusCode;
use actix_web::web;
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::access;
use crate::auth::WebUser;
use crate::db::Db;
use crate::oversight::charts;
use crate::oversight::export::ExportQuery;
use crate::oversight::model::*;
use crate::oversight::records::{self, RecordsQuery};
use crate::oversight::summary;
use crate::web::{list_url, page_number, page_size, pager};
use crate::web::{PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oversight", web::get().to(dashboard))
        .route("/oversight/events", web::get().to(events))
        .route("/oversight/batches", web::get().to(batches))
        .route("/oversight/inspections", web::get().to(inspected))
        .route("/oversight/export.xlsx", web::get().to(export_xlsx))
        .route("/oversight/export.csv", web::get().to(export_csv))
        .configure(crate::oversight::evaluation_pages::configure);
}

/// The page's filters as typed: months (`YYYY-MM`) or dates, and ids; anything unreadable is
/// left out rather than refused (a page always shows something).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    to: Option<String>,
    region_id: Option<String>,
    industry_id: Option<String>,
    alliance_id: Option<String>,
    kind: Option<String>,
    table: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn day(raw: &Option<String>) -> Option<NaiveDate> {
    let raw = raw.as_deref()?.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d"))
        .ok()
        .filter(|d| crate::db::types::sane(*d))
}

fn id<T: std::str::FromStr>(raw: &Option<String>) -> Option<T> {
    raw.as_deref().and_then(|s| s.trim().parse().ok())
}

impl PageQuery {
    fn summary(&self) -> SummaryQuery {
        let (from, to) = match (day(&self.from), day(&self.to)) {
            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
            dates => dates,
        };
        SummaryQuery {
            from,
            to,
            region_id: id(&self.region_id),
            industry_id: id(&self.industry_id),
            alliance_id: id(&self.alliance_id),
        }
    }

    fn records(&self) -> RecordsQuery {
        let s = self.summary();
        RecordsQuery {
            from: s.from,
            to: s.to,
            region_id: s.region_id,
            industry_id: s.industry_id,
            alliance_id: s.alliance_id,
            kind: id(&self.kind),
            page: Some(page_number(&self.page)),
            per_page: Some(page_size(&self.per_page, 20)),
        }
    }
}

/// The query string every link of the dashboard carries: the period and the scope chosen.
fn carried(s: &Summary, q: &SummaryQuery) -> String {
    let mut out = format!("from={}&to={}", s.from, s.to);
    if let Some(r) = q.region_id {
        out.push_str(&format!("&region_id={r}"));
    }
    if let Some(i) = q.industry_id {
        out.push_str(&format!("&industry_id={i}"));
    }
    if let Some(a) = q.alliance_id {
        out.push_str(&format!("&alliance_id={a}"));
    }
    out
}

/// Where each figure's records are, for a query string that selects them.
fn links(query: &str) -> Value {
    json!({
        "found": format!("/findings?state=all&voided=false&{query}"),
        "rectified": format!("/findings?state=closed&{query}"),
        "overdue": format!("/findings?state=open&overdue=true&{}", scope_only(query)),
        "major_open": format!("/findings?state=open&grade=major&{}", scope_only(query)),
        "inspection_batches": format!("/oversight/batches?{query}"),
        "enterprises_inspected": format!("/oversight/inspections?{query}"),
        "trainings": format!("/oversight/events?kind=training&{query}"),
        "warning_educations": format!("/oversight/events?kind=warning_education&{query}"),
        "exchanges": format!("/oversight/events?kind=experience_exchange&{query}"),
        "attendances": format!("/oversight/events?{query}"),
        "enterprises": format!("/enterprises?in_alliance=true&{}", scope_only(query)),
        "alliances": format!("/alliances?{}", scope_only(query)),
    })
}

/// The figures of now (overdue, major open) are not bound to the period: its dates are dropped.
fn scope_only(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.starts_with("from=") && !p.starts_with("to="))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The activity figures (inspections, events): not broken down by hazard category.
const ACTIVITIES: [&str; 8] = [
    "enterprises",
    "alliances",
    "inspection_batches",
    "enterprises_inspected",
    "trainings",
    "warning_educations",
    "exchanges",
    "attendances",
];

/// A breakdown row with the link of each figure (`""`: none — a row whose records no filter
/// selects exactly, or a figure the row does not count).
fn row_json(b: &Breakdown, query: Option<String>, hazards_only: bool) -> Value {
    let mut v = serde_json::to_value(b).unwrap_or_default();
    v["rate_text"] = json!(percent(b.figures.rectification_rate));
    let mut l = match &query {
        Some(q) => links(q),
        None => links(""),
    };
    if let Some(map) = l.as_object_mut() {
        for (k, link) in map.iter_mut() {
            if query.is_none() || (hazards_only && ACTIVITIES.contains(&k.as_str())) {
                *link = json!("");
            }
        }
    }
    v["links"] = l;
    v
}

/// The query string of one month (the period's other filters kept).
fn month_query(base: &str, month: &str) -> Option<String> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())?;
    Some(
        format!("from={first}&to={last}&{}", scope_only(base))
            .trim_end_matches('&')
            .to_string(),
    )
}

async fn dashboard(
    pages: web::Data<Pages>,
    (db, summaries): (web::Data<Db>, web::Data<crate::limits::Summaries>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> PageResult {
    let q = q.into_inner().summary();
    let lang = ctx.lang;
    let words = pages.clone();
    let figures = access::read(&db, actor.clone(), move |conn, policy| {
        let s = summary::summary(conn, policy, &q)?;
        let base = carried(&s, &q);
        let word = |k: &str| words.word(lang, k);
        let trend: Vec<(String, i64, i64)> = s
            .by_month
            .iter()
            .map(|m| (m.key.clone(), m.figures.found, m.figures.rectified))
            .collect();
        let trend = charts::trend(&trend, (&word("found"), &word("rectified")))?;
        let mut ranked: Vec<&Breakdown> = s
            .by_alliance
            .iter()
            .filter(|b| b.key != "0" && b.figures.found > 0)
            .collect();
        ranked.sort_by(|a, b| {
            b.figures
                .rectification_rate
                .partial_cmp(&a.figures.rectification_rate)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.figures.found.cmp(&a.figures.found))
        });
        let ranking: Vec<(String, f64)> = ranked
            .iter()
            .take(10)
            .map(|b| {
                (
                    b.name.clone(),
                    b.figures.rectification_rate.unwrap_or(0.0) * 100.0,
                )
            })
            .collect();
        let streets: Vec<(String, f64)> = s
            .by_street
            .iter()
            .map(|b| (b.name.clone(), b.figures.found as f64))
            .collect();
        let none = word("no_alliance");
        // Rows no filter selects exactly have no links: no alliance, the district itself (its
        // own alliances and enterprises), across industries, and for an industry's regulator
        // the other industries.
        let names = crate::oversight::store::names(conn)?;
        let root = names
            .regions
            .iter()
            .find(|r| r.1 .1.is_none())
            .map(|r| r.0.to_string())
            .unwrap_or_default();
        let own_industry = match policy.oversight() {
            crate::access::Visibility::Only { area: Some(a), .. } => a.industry,
            _ => None,
        };
        let linked = |field: &str, key: &str| match field {
            _ if key == "0" => false,
            "region_id" => key != root,
            "industry_id" => own_industry.is_none_or(|i| i.to_string() == key),
            _ => true,
        };
        let rows = |list: &[Breakdown], field: &str| -> Vec<Value> {
            list.iter()
                .map(|b| {
                    let query = linked(field, &b.key).then(|| format!("{base}&{field}={}", b.key));
                    let mut v = row_json(b, query, false);
                    if b.key == "0" && field == "alliance_id" {
                        v["name"] = json!(none.clone());
                    }
                    if b.key == root && field == "region_id" {
                        v["name"] = json!(format!("{}{}", b.name, word("district_level")));
                    }
                    v
                })
                .collect()
        };
        let categories: Vec<Value> = s
            .by_category
            .iter()
            .map(|b| {
                let mut v = row_json(b, Some(format!("{base}&category={}", b.key)), true);
                v["name"] = json!(word(&format!("category_{}", b.key)));
                v
            })
            .collect();
        let months: Vec<Value> = s
            .by_month
            .iter()
            .map(|b| row_json(b, month_query(&base, &b.key), false))
            .collect();
        // The streets and industries to narrow to (those of the caller's scope).
        let streets_choice = streets_in_scope(conn, policy)?;
        let industries: Vec<Value> = crate::org::store::industries(conn)?
            .into_iter()
            .map(|i| json!({"id": i.id.to_string(), "name": i.name}))
            .collect();
        Ok(json!({
            "s": s,
            "rate_text": percent(s.figures.rectification_rate),
            "links": links(&base),
            "query": base.clone(),
            "period": {"from": s.from.format("%Y-%m").to_string(), "to": s.to.format("%Y-%m").to_string()},
            "chosen": {"region_id": q.region_id.map(|r| r.to_string()).unwrap_or_default(),
                       "industry_id": q.industry_id.map(|i| i.to_string()).unwrap_or_default()},
            "streets_choice": streets_choice, "industries": industries,
            "trend_svg": trend,
            "ranking_svg": charts::bars(&ranking, true)?,
            "streets_svg": charts::bars(&streets, false)?,
            "by_alliance": rows(&s.by_alliance, "alliance_id"),
            "by_street": rows(&s.by_street, "region_id"),
            "by_industry": rows(&s.by_industry, "industry_id"),
            "by_category": categories,
            "by_month": months,
        }))
    });
    let data = summaries.hold(figures).await?;
    pages.page(&ctx, &actor, StatusCode::OK, "oversight/dashboard", data)
}

/// The streets (regions just below the district) the caller oversees, to narrow the figures to.
fn streets_in_scope(
    conn: &mut crate::db::AnyConnection,
    policy: &crate::access::Policy,
) -> crate::error::AppResult<Vec<Value>> {
    let mine = match policy.oversight() {
        crate::access::Visibility::Only { area: Some(a), .. } => a.regions,
        _ => None,
    };
    let names = crate::oversight::store::names(conn)?;
    let root = names
        .regions
        .iter()
        .find(|r| r.1 .1.is_none())
        .map(|r| *r.0);
    let mut streets: Vec<(i64, String)> = names
        .regions
        .iter()
        .filter(|(id, (_, parent))| {
            parent.is_some()
                && *parent == root
                && mine.as_ref().is_none_or(|m| m.iter().any(|r| r.0 == **id))
        })
        .map(|(id, (name, _))| (*id, name.clone()))
        .collect();
    streets.sort();
    Ok(streets
        .into_iter()
        .map(|(id, name)| json!({"id": id.to_string(), "name": name}))
        .collect())
}

/// One of the lists behind the activity figures.
async fn records_page(
    (pages, db, ctx, actor): (&Pages, &Db, &PageContext, crate::auth::Actor),
    q: PageQuery,
    which: &'static str,
) -> PageResult {
    let query = q.records();
    let pairs = [
        ("from", &q.from),
        ("to", &q.to),
        ("region_id", &q.region_id),
        ("industry_id", &q.industry_id),
        ("alliance_id", &q.alliance_id),
        ("kind", &q.kind),
        ("per_page", &q.per_page),
    ];
    let base = list_url(&format!("/oversight/{which}"), &pairs);
    let data = access::read(db, actor.clone(), move |conn, policy| {
        let (items, page, per_page, total) = match which {
            "events" => {
                let l = records::held_events(conn, policy, &query)?;
                (json!(l.items), l.page, l.per_page, l.total)
            }
            "batches" => {
                let l = records::batches(conn, policy, &query)?;
                (json!(l.items), l.page, l.per_page, l.total)
            }
            _ => {
                let l = records::inspected(conn, policy, &query)?;
                (json!(l.items), l.page, l.per_page, l.total)
            }
        };
        let (from, to) = summary::period(&query.summary())?;
        // The events list also gives the people checked in at all of them (the attendance figure).
        let people = match which {
            "events" => Some(records::held_attendance(conn, policy, &query)?),
            _ => None,
        };
        Ok(
            json!({"which": which, "items": items, "pager": pager(page, per_page, total, &base),
                  "from": from, "to": to, "kind": query.kind, "people": people}),
        )
    })
    .await?;
    pages.page(ctx, &actor, StatusCode::OK, "oversight/records", data)
}

async fn events(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> PageResult {
    records_page((&pages, &db, &ctx, actor), q.into_inner(), "events").await
}

async fn batches(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> PageResult {
    records_page((&pages, &db, &ctx, actor), q.into_inner(), "batches").await
}

async fn inspected(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> PageResult {
    records_page((&pages, &db, &ctx, actor), q.into_inner(), "inspections").await
}

fn export_query(q: &PageQuery) -> ExportQuery {
    let s = q.summary();
    ExportQuery {
        from: s.from,
        to: s.to,
        region_id: s.region_id,
        industry_id: s.industry_id,
        alliance_id: s.alliance_id,
        table: q
            .table
            .as_deref()
            .and_then(|t| serde_json::from_value(json!(t)).ok()),
    }
}

async fn export_xlsx(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    let q = export_query(&q);
    Ok(crate::oversight::routes::exported(&db, &exports, actor, q, true).await?)
}

async fn export_csv(
    db: web::Data<Db>,
    exports: web::Data<crate::limits::Exports>,
    WebUser(actor): WebUser,
    q: web::Query<PageQuery>,
) -> Result<actix_web::HttpResponse, crate::web::PageError> {
    let q = export_query(&q);
    Ok(crate::oversight::routes::exported(&db, &exports, actor, q, false).await?)
}
