//! Pages for enterprises (alliances in [`alliance_pages`]): lists with filters in the URL,
//! details, and the form regulators use to register enterprises.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy, Sight};
use crate::api::PageRequest;
use crate::auth::{Actor, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::AppResult;
use crate::org::model::*;
use crate::org::{alliance_pages, service, store};
use crate::web::form::PageForm;
use crate::web::{form_failure, format_date, list_url, page_number, page_size, pager};
use crate::web::{Lang, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/enterprises", web::get().to(enterprise_list))
        .route("/enterprises/new", web::get().to(enterprise_form))
        .route("/enterprises/new", web::post().to(enterprise_create))
        .route("/enterprises/search", web::get().to(enterprise_search))
        .route("/enterprises/{id}", web::get().to(enterprise_detail))
        .configure(alliance_pages::configure)
        .configure(super::edit_pages::configure);
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// The enterprise picker's suggestions: up to 8 enterprises the viewer sees whose name or
/// credit code contains what was typed (JSON, for `static/picker.js`).
async fn enterprise_search(
    db: web::Data<Db>,
    WebUser(actor): WebUser,
    q: web::Query<SearchQuery>,
) -> PageResult {
    let text: String = q.q.clone().unwrap_or_default().chars().take(100).collect();
    let found = access::read(&db, actor, move |conn, policy| {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let query = EnterpriseQuery {
            q: Some(text),
            per_page: Some(8),
            sort: Some("name".into()),
            ..Default::default()
        };
        Ok(service::list_enterprises(conn, policy, &query)?
            .items
            .into_iter()
            .map(|e| json!({"id": e.id, "name": e.name, "credit_code": e.credit_code}))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(actix_web::HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(found))
}

/// The organization part of the home page: the viewer's enterprise, its alliances, and for
/// regulators the counts of their area.
pub fn home_section(conn: &mut AnyConnection, policy: &Policy, lang: Lang) -> AppResult<Value> {
    let query = AllianceQuery {
        per_page: Some(100),
        ..Default::default()
    };
    let alliances = service::list_alliances(conn, policy, &query)?;
    let rows = alliance_rows(conn, &alliances.items, policy.led_alliances(), lang)?;
    let enterprises = service::list_enterprises(
        conn,
        policy,
        &EnterpriseQuery {
            per_page: Some(10),
            sort: Some("name".into()),
            ..Default::default()
        },
    )?;
    let own = match policy.own_enterprise() {
        Some(own) => Some(service::get_enterprise(conn, policy, own)?),
        None => None,
    };
    let led_members = match policy.led_alliances().first() {
        Some(alliance) => {
            let first = PageRequest::new(Some(1), Some(100))?;
            service::list_members(conn, policy, *alliance, first)?.items
        }
        None => Vec::new(),
    };
    Ok(json!({
        "alliances": rows,
        "alliance_total": alliances.total,
        "enterprises": enterprises.items,
        "enterprise_total": enterprises.total,
        "own": own,
        "led_members": led_members,
        "is_enterprise": policy.own_enterprise().is_some(),
        "is_authority": policy.is_authority(),
        // An industry regulator oversees its industry, not a territory.
        "scope_word": match policy.regulator_area() {
            Some(area) if area.regions.is_none() && area.industry.is_some() => "enterprises_in_industry",
            _ => "enterprises_in_scope",
        },
    }))
}

/// Names what an organization's audit trail points at: regions, industries, enterprises.
pub(super) fn trail_names(
    conn: &mut AnyConnection,
    field: &str,
    id: i64,
) -> AppResult<Option<String>> {
    Ok(match field {
        "region_id" => store::region(conn, RegionId(id))?.map(|r| r.name),
        "industry_id" => store::industry(conn, IndustryId(id))?.map(|i| i.name),
        "enterprise_id" | "lead_enterprise_id" => {
            store::enterprise_names(conn, &[EnterpriseId(id)])?.remove(&EnterpriseId(id))
        }
        _ => None,
    })
}

/// Alliances as list rows, with their leads' names (one query for all).
pub(super) fn alliance_rows(
    conn: &mut AnyConnection,
    alliances: &[Alliance],
    led: &[AllianceId],
    lang: Lang,
) -> AppResult<Vec<Value>> {
    let leads: Vec<_> = alliances.iter().map(|a| a.lead_enterprise_id).collect();
    let names = store::enterprise_names(conn, &leads)?;
    Ok(alliances
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "level": a.level.as_str(), "member_count": a.member_count,
                "lead_name": names.get(&a.lead_enterprise_id).cloned().unwrap_or_default(),
                "is_led": led.contains(&a.id),
                "founded_on": format_date(lang, a.founded_on),
            })
        })
        .collect())
}

/// Regions and industries for filters and forms.
/// Regions and industries for filters and forms: a regulator is offered only its own area.
pub(super) fn reference(conn: &mut AnyConnection, policy: &Policy) -> AppResult<Value> {
    let mut regions = store::regions(conn)?;
    let mut industries = store::industries(conn)?;
    if let Some(area) = policy.regulator_area() {
        if let Some(own) = &area.regions {
            regions.retain(|r| own.contains(&r.id));
        }
        if let Some(own) = area.industry {
            industries.retain(|i| i.id == own);
        }
    }
    Ok(json!({"regions": regions, "industries": industries}))
}

/// Blank or unparsable filter values count as "no filter" on pages.
pub(super) fn opt<T: std::str::FromStr>(v: &Option<String>) -> Option<T> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
}

#[derive(Deserialize, Default)]
struct EnterpriseFilterForm {
    q: Option<String>,
    region_id: Option<String>,
    industry_id: Option<String>,
    scale: Option<String>,
    /// Oversight's drill-down: members of an alliance (of any, or of one).
    in_alliance: Option<String>,
    alliance_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn enterprise_list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<EnterpriseFilterForm>,
) -> PageResult {
    let f = q.into_inner();
    let query = EnterpriseQuery {
        q: f.q.clone(),
        region_id: opt(&f.region_id),
        industry_id: opt(&f.industry_id),
        scale: opt(&f.scale),
        page: Some(page_number(&f.page)),
        per_page: Some(page_size(&f.per_page, 50)),
        sort: Some("name".into()),
        alliance_id: opt(&f.alliance_id),
        in_alliance: opt(&f.in_alliance),
    };
    let base = list_url(
        "/enterprises",
        &[
            ("q", &f.q),
            ("region_id", &f.region_id),
            ("industry_id", &f.industry_id),
            ("scale", &f.scale),
            ("in_alliance", &f.in_alliance),
            ("alliance_id", &f.alliance_id),
            ("per_page", &f.per_page),
        ],
    );
    let export = crate::web::list::export_query(&base);
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let list = service::list_enterprises(conn, policy, &query)?;
        let mut data = reference(conn, policy)?;
        data["items"] = json!(list.items);
        data["pager"] = pager(list.page, list.per_page, list.total, &base);
        data["filter"] = json!({
            "q": query.q.unwrap_or_default(),
            "region_id": query.region_id, "industry_id": query.industry_id,
            "scale": query.scale.map(|s| s.as_str()),
        });
        data["may_create"] = json!(policy.is_authority());
        data["export_query"] = json!(export);
        Ok(data)
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "enterprises/list", data)
}

/// Renders one of the regulators' forms (`enterprises/new`, `alliances/new`) with the values and
/// errors of a failed submission (or empty).
pub(super) async fn render_regulator_form(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    template: &str,
    (values, errors, status): (Value, Value, StatusCode),
) -> PageResult {
    let mut data = access::read(db, actor.clone(), |conn, policy| {
        policy.require_authority("register organizations")?;
        reference(conn, policy)
    })
    .await?;
    data["values"] = values;
    data["errors"] = errors;
    pages.page(ctx, &actor, status, template, data)
}

fn blank_enterprise() -> Value {
    json!({"name": "", "credit_code": "", "region_id": "", "industry_id": "", "scale": "small_micro",
           "address": "", "contact_name": "", "contact_phone": ""})
}

async fn enterprise_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let form = (blank_enterprise(), json!({}), StatusCode::OK);
    render_regulator_form(&pages, &db, &ctx, actor, "enterprises/new", form).await
}

async fn enterprise_create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let result = match form.parse::<NewEnterprise>() {
        Ok(new) => {
            access::write(&db, actor.clone(), move |c, p| {
                service::create_enterprise(c, p, new)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(e) => Ok(ctx.done(
            &format!("/enterprises/{}", e.id),
            "flash_enterprise_created",
        )),
        Err(err) => {
            let conflict = ("credit_code", "duplicate_credit_code");
            let (errors, status) = form_failure(&pages, ctx.lang, err, conflict)?;
            let shown = (form.echo(blank_enterprise()), errors, status);
            render_regulator_form(&pages, &db, &ctx, actor, "enterprises/new", shown).await
        }
    }
}

async fn enterprise_detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id: EnterpriseId = crate::web::path_id(&id)?;
    let lang = ctx.lang;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let (row, sight) = service::visible_enterprise(conn, policy, id)?;
        let region = store::region(conn, row.region_id)?;
        let industry = store::industry(conn, row.industry_id)?;
        // Its alliances the viewer may see, in one query, with its role in each.
        let theirs = AllianceQuery {
            enterprise_id: Some(id),
            per_page: Some(100),
            ..Default::default()
        };
        let visible = service::list_alliances(conn, policy, &theirs)?.items;
        let roles = store::memberships_of(conn, id)?;
        let alliances: Vec<Value> = visible
            .iter()
            .map(|a| {
                let role = roles
                    .iter()
                    .find(|(x, _)| *x == a.id)
                    .map(|(_, r)| r.as_str());
                json!({"id": a.id, "name": a.name, "role": role})
            })
            .collect();
        let may_manage = policy.may_manage_enterprise(row.region_id, row.industry_id);
        let (row_region, row_industry) = (row.region_id, row.industry_id);
        let created = format_date(lang, row.created_at.date());
        // The trail shows contact details, so only viewers who see them in full get it.
        let trail = if sight == Sight::Full {
            Some(crate::web::trail::lines(
                conn,
                lang,
                ("enterprise", id.0),
                &mut trail_names,
            )?)
        } else {
            None
        };
        Ok(json!({
            "enterprise": Enterprise::from_row(row, sight == Sight::Full),
            "region": region.map(|r| r.name),
            "industry": industry.map(|i| i.name),
            "alliances": alliances,
            "may_manage": may_manage,
            "may_edit": sight == Sight::Full
                && policy.require_edit_contact(id, row_region, row_industry).is_ok(),
            "created": created,
            "trail": trail,
        }))
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "enterprises/detail", data)
}
