//! The hazard lists: everything the viewer sees (open ones first, with filters) and the review
//! queue. A table at a desk, cards on a phone; a rejected hazard reads 已退回 with its reason.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::api::PageRequest;
use crate::auth::{Actor, WebUser};
use crate::db::{AnyConnection, Db};
use crate::findings::model::*;
use crate::findings::{events, policy, service};
use crate::org::service as org_service;
use crate::org::store as org;
use crate::web::{format_date, list_url, page_number, page_size, pager};
use crate::web::{Lang, PageContext, PageResult, Pages};

/// The filters of the list page, as typed (blank ones are absent).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `open` (the default), `all`, or one state.
    state: Option<String>,
    grade: Option<String>,
    category: Option<String>,
    source: Option<String>,
    enterprise_id: Option<String>,
    alliance_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    q: Option<String>,
    overdue: Option<String>,
    /// Oversight's drill-downs: a region (with its sub-regions), an industry, voided or not.
    region_id: Option<String>,
    industry_id: Option<String>,
    voided: Option<String>,
    closed_since: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

const PER_PAGE: i64 = 20;

/// The sorts a list's column headers offer.
const SORTS: [&str; 4] = ["-created_at", "created_at", "deadline", "-deadline"];

fn finding_row(
    f: &Finding,
    names: &HashMap<EnterpriseId, String>,
    returned: &HashMap<FindingId, String>,
    lang: Lang,
) -> Value {
    let sent_back = returned
        .get(&f.id)
        .filter(|_| matches!(f.state, FindingState::Reported | FindingState::Rectifying));
    json!({
        "id": f.id, "title": f.title, "state": f.state.as_str(), "grade": f.grade.as_str(),
        "category": f.category.as_str(), "source": f.source.as_str(),
        "overdue": f.overdue, "major": f.grade == Grade::Major,
        "returned": sent_back.is_some(), "returned_reason": sent_back,
        "extension": f.extension_requested_until.map(|d| format_date(lang, d)),
        "deadline": f.deadline.map(|d| format_date(lang, d)),
        "reported": format_date(lang, f.created_at.date_naive()),
        "enterprise_id": f.enterprise_id,
        "enterprise": names.get(&f.enterprise_id).cloned().unwrap_or_default(),
    })
}

/// The alliances the viewer may filter by: those it sees.
fn alliance_choices(conn: &mut AnyConnection, policy: &Policy) -> crate::error::AppResult<Value> {
    let query = crate::org::model::AllianceQuery {
        per_page: Some(100),
        ..Default::default()
    };
    let list = org_service::list_alliances(conn, policy, &query)?;
    Ok(list
        .items
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name}))
        .collect())
}

async fn render_list(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    (query, review): (FindingQuery, bool),
    (base, filter): (String, Value),
) -> PageResult {
    let lang = ctx.lang;
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        let list = service::list(conn, policy, &query, review)?;
        let ids: Vec<EnterpriseId> = list.items.iter().map(|f| f.enterprise_id).collect();
        let names = org::enterprise_names(conn, &ids)?;
        let finding_ids: Vec<FindingId> = list.items.iter().map(|f| f.id).collect();
        let returned = events::returned(conn, &finding_ids)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|f| finding_row(f, &names, &returned, lang))
            .collect();
        let queue = if review && !list.total_capped {
            list.total
        } else {
            policy::review_count(conn, policy)?
        };
        // The enterprise filtered by, named only if the viewer sees it.
        let chosen = match query.enterprise_id {
            Some(e) => match org_service::visible_enterprise(conn, policy, e) {
                Ok((row, _)) => Some(row.name),
                Err(crate::error::AppError::NotFound) => None,
                Err(other) => return Err(other),
            },
            None => None,
        };
        Ok(json!({
            "items": items,
            "pager": crate::web::pager_counted(
                list.page,
                list.per_page,
                list.total,
                list.total_capped,
                list.items.len() as i64,
                &base,
            ),
            "review_count": queue,
            "may_report": policy::may_report(policy),
            "alliances": if review { json!([]) } else { alliance_choices(conn, policy)? },
            "chosen_enterprise": chosen,
        }))
    })
    .await?;
    data["filter"] = filter;
    data["review"] = json!(review);
    pages.page(ctx, &actor, StatusCode::OK, "findings/list", data)
}

fn parsed<T: std::str::FromStr>(raw: &Option<String>) -> Option<T> {
    raw.as_deref().and_then(|s| s.trim().parse().ok())
}

pub async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let state = q.state.clone().unwrap_or_else(|| "open".into());
    let sort = q
        .sort
        .clone()
        .filter(|s| SORTS.contains(&s.as_str()))
        .unwrap_or_else(|| "-created_at".into());
    let date = |raw: &Option<String>| {
        parsed::<chrono::NaiveDate>(raw).filter(|d| d.format("%Y").to_string().len() == 4)
    };
    // A page shows the list whatever was typed: dates given the wrong way round are swapped,
    // and invisible characters pasted into the search are dropped.
    let (from, to) = match (date(&q.from), date(&q.to)) {
        (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
        dates => dates,
    };
    let keyword = q.q.as_deref().map(|t| {
        t.chars()
            .filter(|c| !c.is_control() && !crate::error::is_format(*c))
            .take(100)
            .collect::<String>()
    });
    let query = FindingQuery {
        state: parsed(&Some(state.clone())),
        open: (state == "open").then_some(true),
        grade: parsed(&q.grade),
        category: parsed(&q.category),
        source: parsed(&q.source),
        enterprise_id: parsed(&q.enterprise_id),
        alliance_id: parsed(&q.alliance_id),
        from,
        to,
        q: keyword.filter(|t| !t.trim().is_empty()),
        overdue: parsed(&q.overdue),
        region_id: parsed(&q.region_id),
        industry_id: parsed(&q.industry_id),
        voided: parsed(&q.voided),
        closed_since: date(&q.closed_since),
        sort: Some(sort.clone()),
        page: Some(page_number(&q.page)),
        per_page: Some(page_size(&q.per_page, PER_PAGE)),
        ..Default::default()
    };
    let state_param = Some(state.clone());
    let sort_param = q.sort.clone();
    let filters = [
        ("state", &state_param),
        ("grade", &q.grade),
        ("category", &q.category),
        ("source", &q.source),
        ("enterprise_id", &q.enterprise_id),
        ("alliance_id", &q.alliance_id),
        ("from", &q.from),
        ("to", &q.to),
        ("q", &q.q),
        ("overdue", &q.overdue),
        ("region_id", &q.region_id),
        ("industry_id", &q.industry_id),
        ("voided", &q.voided),
        ("closed_since", &q.closed_since),
    ];
    let mut with_sort = filters.to_vec();
    with_sort.push(("sort", &sort_param));
    with_sort.push(("per_page", &q.per_page));
    let base = list_url("/findings", &with_sort);
    // Each sortable column links to the list sorted by it (again: the other way round).
    let mut without_sort = filters.to_vec();
    without_sort.push(("per_page", &q.per_page));
    let unsorted = list_url("/findings", &without_sort);
    let sep = if unsorted.contains('?') { '&' } else { '?' };
    let flip = |column: &str| {
        let next = if sort == column {
            format!("-{column}")
        } else {
            column.to_string()
        };
        format!("{unsorted}{sep}sort={next}")
    };
    let filter = json!({
        "state": state, "grade": q.grade, "category": q.category, "source": q.source,
        "enterprise_id": query.enterprise_id, "alliance_id": q.alliance_id,
        "from": query.from.map(|d| d.to_string()), "to": query.to.map(|d| d.to_string()),
        "q": query.q, "overdue": query.overdue, "sort": sort,
        "advanced": query.category.is_some() || query.source.is_some() || query.alliance_id.is_some()
            || query.from.is_some() || query.to.is_some() || query.overdue.is_some(),
        "sort_reported": flip("created_at"), "sort_deadline": flip("deadline"),
        "without_enterprise": list_url("/findings", &[("state", &state_param)]),
    });
    let shown = (query, false);
    render_list(&pages, &db, &ctx, actor, shown, (base, filter)).await
}

pub async fn review(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let query = FindingQuery {
        sort: Some("review".into()),
        page: Some(page_number(&q.page)),
        per_page: Some(page_size(&q.per_page, PER_PAGE)),
        ..Default::default()
    };
    let base = list_url("/review", &[("per_page", &q.per_page)]);
    let filter = json!({"sort": "review"});
    render_list(&pages, &db, &ctx, actor, (query, true), (base, filter)).await
}

#[derive(serde::Deserialize)]
pub struct LessonsQuery {
    month: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// An alliance's shared lessons, by month.
pub async fn lessons(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    q: web::Query<LessonsQuery>,
) -> PageResult {
    let alliance: AllianceId = crate::web::path_id(&id)?;
    let lang = ctx.lang;
    let page = PageRequest::new(Some(page_number(&q.page)), Some(page_size(&q.per_page, 20)))?;
    let per_page = q.per_page.clone();
    // `month` as a month picker sends it: 2026-11.
    let month = q
        .month
        .as_deref()
        .and_then(|m| {
            chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok()
        })
        .filter(|d| (2000..=2100).contains(&chrono::Datelike::year(d)));
    let month_param = month.map(|m| m.format("%Y-%m").to_string());
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let row = crate::org::service::visible_alliance(conn, policy, alliance)?;
        let place = crate::org::service::alliance_place(conn, &row)?;
        // Those who organize the alliance's events may turn a lesson into a warning education.
        let organizes = policy.organizes_events(alliance, &place);
        let name = row.name;
        let list = crate::findings::lessons::shared_lessons(conn, policy, alliance, page, month)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|l| {
                json!({"id": l.id, "title": l.title, "description": l.description, "cause": l.cause, "measures": l.measures,
                       "category": l.category.as_str(), "grade": l.grade.as_str(), "major": l.grade == Grade::Major,
                       "reported": format_date(lang, l.created_at.date_naive()), "photo_ids": l.photo_ids})
            })
            .collect();
        let base = list_url(
            &format!("/alliances/{alliance}/lessons"),
            &[("month", &month_param), ("per_page", &per_page)],
        );
        Ok(json!({"alliance": {"id": alliance, "name": name}, "items": items, "total": list.total,
                  "month": month_param, "organizes": organizes,
                  "pager": pager(list.page, list.per_page, list.total, &base)}))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "findings/lessons", data)
}
