//! Pages for alliances: the list, the founding form, an alliance with its members, and the
//! forms regulators use to manage members and appoint the lead.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy};
use crate::api::PageRequest;
use crate::auth::{Actor, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::message::msg;
use crate::org::model::*;
use crate::org::pages::{alliance_rows, opt, reference, render_regulator_form, trail_names};
use crate::org::{service, store};
use crate::web::form::PageForm;
use crate::web::{form_failure, format_date, list_url, page_number, page_size, pager};
use crate::web::{path_id, Lang, PageContext, PageParam, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/alliances", web::get().to(alliance_list))
        .route("/alliances/new", web::get().to(alliance_form))
        .route("/alliances/new", web::post().to(alliance_create))
        .route("/alliances/{id}", web::get().to(alliance_detail))
        .route("/alliances/{id}/members", web::post().to(member_add))
        .route(
            "/alliances/{id}/members/{enterprise_id}/remove",
            web::post().to(member_remove),
        )
        .route("/alliances/{id}/lead", web::post().to(lead_appoint));
}

#[derive(Deserialize, Default)]
struct AllianceFilterForm {
    q: Option<String>,
    level: Option<String>,
    region_id: Option<String>,
    industry_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn alliance_list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<AllianceFilterForm>,
) -> PageResult {
    let f = q.into_inner();
    let query = AllianceQuery {
        q: f.q.clone(),
        level: opt(&f.level),
        region_id: opt(&f.region_id),
        industry_id: opt(&f.industry_id),
        page: Some(page_number(&f.page)),
        per_page: Some(page_size(&f.per_page, 50)),
        ..Default::default()
    };
    let base = list_url(
        "/alliances",
        &[
            ("q", &f.q),
            ("level", &f.level),
            ("region_id", &f.region_id),
            ("industry_id", &f.industry_id),
            ("per_page", &f.per_page),
        ],
    );
    let export = crate::web::list::export_query(&base);
    let lang = ctx.lang;
    let data = access::read(&db, actor.clone(), move |conn, policy| {
        let list = service::list_alliances(conn, policy, &query)?;
        let mut data = reference(conn, policy)?;
        data["items"] = json!(alliance_rows(conn, &list.items, &[], lang)?);
        data["pager"] = pager(list.page, list.per_page, list.total, &base);
        data["filter"] = json!({"q": query.q.unwrap_or_default(), "level": query.level.map(|l| l.as_str()), "region_id": query.region_id});
        data["may_create"] = json!(policy.is_authority());
        data["export_query"] = json!(export);
        Ok(data)
    })
    .await?;
    pages.page(&ctx, &actor, StatusCode::OK, "alliances/list", data)
}

fn blank_alliance() -> Value {
    json!({"name": "", "level": "street", "region_id": "", "industry_id": "", "lead_credit_code": "",
           "founded_on": crate::db::types::today().to_string()})
}

async fn alliance_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let form = (blank_alliance(), json!({}), StatusCode::OK);
    render_regulator_form(&pages, &db, &ctx, actor, "alliances/new", form).await
}

async fn alliance_create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
    let values = form.echo(blank_alliance());
    // The form names the lead by credit code; the API by id.
    let lead_code = form.take("lead_credit_code").unwrap_or_default();
    let result = access::write(&db, actor.clone(), move |conn, policy| {
        let field = "lead_credit_code";
        let lead = service::find_enterprise(conn, policy, field, &lead_code);
        let lead_id = lead.as_ref().map(|id| id.to_string()).unwrap_or_default();
        form.set("lead_enterprise_id", &lead_id);
        match (lead, form.parse::<NewAlliance>()) {
            (Ok(_), Ok(new)) => service::create_alliance(conn, policy, new),
            (Err(e), Ok(_)) => Err(e),
            (Ok(_), Err(e)) => Err(e),
            (Err(e), Err(other)) => Err(e.merge(other.without("lead_enterprise_id"))),
        }
    })
    .await;
    match result {
        Ok(a) => Ok(ctx.done(&format!("/alliances/{}", a.id), "flash_alliance_created")),
        Err(err) => {
            let (errors, status) = form_failure(&pages, ctx.lang, err, ("name", "duplicate_name"))?;
            let shown = (values, errors, status);
            render_regulator_form(&pages, &db, &ctx, actor, "alliances/new", shown).await
        }
    }
}

const MEMBERS_PER_PAGE: i64 = 100;

/// An alliance's page, with its member list's page size when not the default.
fn members_url(id: AllianceId, per_page: i64) -> String {
    let size = (per_page != MEMBERS_PER_PAGE).then(|| per_page.to_string());
    list_url(&format!("/alliances/{id}"), &[("per_page", &size)])
}

fn alliance_page_data(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    (page, per_page): (i64, i64),
    lang: Lang,
) -> AppResult<Value> {
    let row = service::visible_alliance(conn, policy, id)?;
    let may_manage = policy.may_manage_alliance(row.region_id, row.industry_id);
    let region = store::region(conn, row.region_id)?.map(|r| r.name);
    let industry = match row.industry_id {
        Some(i) => store::industry(conn, i)?.map(|i| i.name),
        None => None,
    };
    let listed = service::list_members(
        conn,
        policy,
        id,
        PageRequest::new(Some(page), Some(per_page))?,
    )?;
    let names = store::enterprise_names(conn, &[row.lead_enterprise_id])?;
    let members: Vec<Value> = listed
        .items
        .iter()
        .map(|m| {
            json!({"enterprise_id": m.enterprise_id, "enterprise_name": m.enterprise_name, "role": m.role.as_str(),
                   "is_lead": m.role == MemberRole::Lead, "joined_on": format_date(lang, m.joined_on)})
        })
        .collect();
    Ok(json!({
        "alliance": {"id": row.id, "name": row.name, "level": row.level.as_str(),
                     "founded_on": format_date(lang, row.founded_on)},
        "lead_name": names.get(&row.lead_enterprise_id).cloned().unwrap_or_default(),
        "region": region, "industry": industry,
        "members": members, "member_total": listed.total,
        "pager": pager(listed.page, listed.per_page, listed.total, &members_url(id, per_page)),
        "may_manage": may_manage,
        // The trail names the regulators' staff and former members: for those who manage it.
        "trail": if may_manage {
            crate::web::trail::lines(conn, lang, ("alliance", id.0), &mut trail_names)?
        } else {
            Vec::new()
        },
    }))
}

/// The alliance page, with a form's error (`form_error`, `credit_code`) or a flash.
async fn render_alliance(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    (id, page): (AllianceId, (i64, i64)),
    extra: Value,
    status: StatusCode,
) -> PageResult {
    let lang = ctx.lang;
    let mut data = access::read(db, actor.clone(), move |c, p| {
        alliance_page_data(c, p, id, page, lang)
    })
    .await?;
    data["form_error"] = extra["form_error"].clone();
    data["credit_code"] = json!(extra["credit_code"].as_str().unwrap_or(""));
    pages.page(ctx, &actor, status, "alliances/detail", data)
}

async fn alliance_detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    q: web::Query<PageParam>,
) -> PageResult {
    let size = page_size(&q.per_page, MEMBERS_PER_PAGE);
    let at = (path_id::<AllianceId>(&id)?, (page_number(&q.page), size));
    render_alliance(&pages, &db, &ctx, actor, at, json!({}), StatusCode::OK).await
}

async fn member_add(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let code = form.text("credit_code").to_string();
    let given = code.clone();
    let result = access::write(&db, actor.clone(), move |c, p| {
        service::add_member_by_credit_code(c, p, id, &given)
    })
    .await;
    match result {
        Ok(_) => Ok(ctx.done(&format!("/alliances/{id}"), "flash_member_added")),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("credit_code", "already_member"))?;
            let message = errors["credit_code"].clone();
            let extra = json!({"form_error": message, "credit_code": code});
            render_alliance(
                &pages,
                &db,
                &ctx,
                actor,
                (id, (1, MEMBERS_PER_PAGE)),
                extra,
                status,
            )
            .await
        }
    }
}

/// The question before changing an alliance's membership (`question` about enterprise `id`,
/// posting the same form to `here` once confirmed): only asked of those who manage the alliance
/// (others are refused as the change itself would be).
async fn ask_about_member(
    (pages, db, ctx): (&Pages, &Db, &PageContext),
    actor: &Actor,
    form: &PageForm,
    (alliance, id): (AllianceId, EnterpriseId),
    (question, here): (&str, &str),
) -> PageResult {
    let name = access::read(db, actor.clone(), move |conn, policy| {
        let row = service::visible_alliance(conn, policy, alliance)?;
        policy.require_manage_alliance(row.region_id, row.industry_id)?;
        Ok(service::get_enterprise(conn, policy, id)?.name)
    })
    .await?;
    let back = format!("/alliances/{alliance}");
    pages.confirm(ctx, actor, form, (question, name.as_str()), here, &back)
}

async fn member_remove(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    path: web::Path<(String, String)>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&path.0)?;
    let enterprise: EnterpriseId = path_id(&path.1)?;
    if !form.confirmed() {
        let here = format!("/alliances/{id}/members/{enterprise}/remove");
        let shell = (pages.get_ref(), db.get_ref(), &ctx);
        let asked = ("confirm_remove_member", here.as_str());
        return ask_about_member(shell, &actor, &form, (id, enterprise), asked).await;
    }
    access::write(&db, actor, move |c, p| {
        service::remove_member(c, p, id, enterprise)
    })
    .await?;
    Ok(ctx.done(&format!("/alliances/{id}"), "flash_member_removed"))
}

async fn lead_appoint(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<AllianceId>(&id)?;
    let confirmed = form.confirmed();
    let patch: AlliancePatch = form.parse()?;
    if !confirmed {
        let lead = patch
            .lead_enterprise_id
            .ok_or_else(|| AppError::field("lead_enterprise_id", msg::REQUIRED))?;
        let here = format!("/alliances/{id}/lead");
        let shell = (pages.get_ref(), db.get_ref(), &ctx);
        let asked = ("confirm_appoint_lead", here.as_str());
        return ask_about_member(shell, &actor, &form, (id, lead), asked).await;
    }
    access::write(&db, actor, move |c, p| {
        service::update_alliance(c, p, id, patch)
    })
    .await?;
    Ok(ctx.done(&format!("/alliances/{id}"), "flash_lead_appointed"))
}
