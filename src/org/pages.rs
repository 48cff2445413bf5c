//! Pages for enterprises and alliances: lists with filters in the URL, details, and the forms
//! regulators use to register enterprises, found alliances and manage members.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy, Sight};
use crate::api::PageRequest;
use crate::auth::WebUser;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::org::model::*;
use crate::org::{service, store};
use crate::web::{
    form_failure, format_date, pager, query_string, see_other, user_json, Lang, PageContext,
    PageResult, Pages,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/enterprises", web::get().to(enterprise_list))
        .route("/enterprises/new", web::get().to(enterprise_form))
        .route("/enterprises/new", web::post().to(enterprise_create))
        .route("/enterprises/{id}", web::get().to(enterprise_detail))
        .route("/alliances", web::get().to(alliance_list))
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

/// Regions and industries for filters and forms.
fn reference(conn: &mut AnyConnection) -> AppResult<Value> {
    Ok(json!({
        "regions": store::regions(conn)?,
        "industries": store::industries(conn)?,
    }))
}

/// Blank or unparsable filter values count as "no filter" on pages.
fn opt<T: std::str::FromStr>(v: &Option<String>) -> Option<T> {
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
    page: Option<String>,
}

async fn enterprise_list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<EnterpriseFilterForm>,
) -> PageResult {
    let user = user_json(&actor);
    let f = q.into_inner();
    let query = EnterpriseQuery {
        q: f.q.clone(),
        region_id: opt(&f.region_id),
        industry_id: opt(&f.industry_id),
        scale: opt(&f.scale),
        page: opt::<i64>(&f.page).filter(|p| *p >= 1).or(Some(1)),
        per_page: Some(50),
        sort: Some("name".into()),
        alliance_id: None,
    };
    let base = format!(
        "/enterprises?{}",
        query_string(&[
            ("q", &f.q),
            ("region_id", &f.region_id),
            ("industry_id", &f.industry_id),
            ("scale", &f.scale)
        ])
    );
    let data = access::read(&db, actor, move |conn, policy| {
        let list = service::list_enterprises(conn, policy, &query)?;
        let mut data = reference(conn)?;
        data["items"] = json!(list.items);
        data["pager"] = pager(list.page, list.per_page, list.total, &base);
        data["filter"] = json!({
            "q": query.q.unwrap_or_default(),
            "region_id": query.region_id, "industry_id": query.industry_id,
            "scale": query.scale.map(|s| s.as_str()),
        });
        data["may_create"] = json!(policy.is_authority());
        Ok(data)
    })
    .await?;
    let mut data = data;
    data["user"] = user;
    Ok(ctx.html(
        StatusCode::OK,
        pages.render(&ctx, "enterprises/list", data)?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EnterpriseForm {
    csrf: String,
    name: String,
    credit_code: String,
    region_id: String,
    industry_id: String,
    scale: String,
    address: String,
    contact_name: String,
    contact_phone: String,
}

/// What a form shows again after a failed submission (or first, empty).
struct FormState {
    values: Value,
    errors: Value,
    status: StatusCode,
}

/// Renders one of the regulators' forms (`enterprises/new`, `alliances/new`).
async fn render_regulator_form(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    template: &str,
    form: FormState,
) -> PageResult {
    let user = user_json(&actor);
    let mut data = access::read(db, actor, |conn, policy| {
        if !policy.is_authority() {
            return Err(AppError::Forbidden(
                "Only regulators register organizations.".into(),
            ));
        }
        reference(conn)
    })
    .await?;
    data["user"] = user;
    data["values"] = form.values;
    data["errors"] = form.errors;
    Ok(ctx.html(form.status, pages.render(ctx, template, data)?))
}

async fn enterprise_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let values = json!({"name": "", "credit_code": "", "region_id": "", "industry_id": "", "scale": "small_micro",
                        "address": "", "contact_name": "", "contact_phone": ""});
    let form = FormState {
        values,
        errors: json!({}),
        status: StatusCode::OK,
    };
    render_regulator_form(&pages, &db, &ctx, actor, "enterprises/new", form).await
}

async fn enterprise_create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: web::Form<EnterpriseForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    let values = json!({"name": f.name, "credit_code": f.credit_code, "region_id": f.region_id,
                        "industry_id": f.industry_id, "scale": f.scale, "address": f.address,
                        "contact_name": f.contact_name, "contact_phone": f.contact_phone});
    let mut pre = crate::error::Validator::new();
    let region = f.region_id.parse().ok().map(RegionId);
    let industry = f.industry_id.parse().ok().map(IndustryId);
    let scale: Option<Scale> = f.scale.parse().ok();
    pre.check(region.is_some(), "region_id", "required");
    pre.check(industry.is_some(), "industry_id", "required");
    pre.check(scale.is_some(), "scale", "required");
    let result = match (pre.finish(), region, industry, scale) {
        (Ok(()), Some(region_id), Some(industry_id), Some(scale)) => {
            let new = NewEnterprise {
                name: f.name,
                credit_code: f.credit_code,
                region_id,
                industry_id,
                scale,
                address: f.address,
                contact_name: f.contact_name,
                contact_phone: f.contact_phone,
            };
            access::write(&db, actor.clone(), move |c, p| {
                service::create_enterprise(c, p, new)
            })
            .await
        }
        (Err(e), ..) => Err(e),
        _ => Err(AppError::BadRequest("incomplete form".into())),
    };
    match result {
        Ok(e) => Ok(see_other(&format!("/enterprises/{}", e.id))),
        Err(err) => {
            let (errors, status) = form_failure(
                &pages,
                ctx.lang,
                err,
                ("credit_code", "duplicate_credit_code"),
            )?;
            let form = FormState {
                values,
                errors,
                status,
            };
            render_regulator_form(&pages, &db, &ctx, actor, "enterprises/new", form).await
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
    let id: EnterpriseId = id.parse().map_err(|_| AppError::NotFound)?;
    let user = user_json(&actor);
    let lang = ctx.lang;
    let mut data = access::read(&db, actor, move |conn, policy| {
        let (row, sight) = policy.visible_enterprise(conn, id)?;
        let region = store::region(conn, row.region_id)?;
        let industry = store::industry(conn, row.industry_id)?;
        let mut alliances = Vec::new();
        for (aid, role) in store::memberships_of(conn, id)? {
            if let Some(a) = store::alliance(conn, aid)? {
                if policy.may_see_alliance(conn, &a)? {
                    alliances.push(json!({"id": a.id, "name": a.name, "role": role.as_str()}));
                }
            }
        }
        let may_manage = policy.may_manage_enterprise(&row);
        let created = format_date(lang, row.created_at.date());
        // The trail shows contact details, so only viewers who see them in full get it.
        let trail = if sight == Sight::Full {
            Some(crate::audit::trail_lines(conn, "enterprise", id.0)?)
        } else {
            None
        };
        Ok(json!({
            "enterprise": Enterprise::from_row(row, sight == Sight::Full),
            "region": region.map(|r| r.name),
            "industry": industry.map(|i| i.name),
            "alliances": alliances,
            "may_manage": may_manage,
            "created": created,
            "trail": trail,
        }))
    })
    .await?;
    data["user"] = user;
    Ok(ctx.html(
        StatusCode::OK,
        pages.render(&ctx, "enterprises/detail", data)?,
    ))
}

#[derive(Deserialize, Default)]
struct AllianceFilterForm {
    q: Option<String>,
    level: Option<String>,
    region_id: Option<String>,
    page: Option<String>,
}

async fn alliance_list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<AllianceFilterForm>,
) -> PageResult {
    let user = user_json(&actor);
    let f = q.into_inner();
    let query = AllianceQuery {
        q: f.q.clone(),
        level: opt(&f.level),
        region_id: opt(&f.region_id),
        page: opt::<i64>(&f.page).filter(|p| *p >= 1).or(Some(1)),
        per_page: Some(50),
        ..Default::default()
    };
    let base = format!(
        "/alliances?{}",
        query_string(&[
            ("q", &f.q),
            ("level", &f.level),
            ("region_id", &f.region_id)
        ])
    );
    let lang = ctx.lang;
    let mut data = access::read(&db, actor, move |conn, policy| {
        let list = service::list_alliances(conn, policy, &query)?;
        let leads: Vec<_> = list.items.iter().map(|a| a.lead_enterprise_id).collect();
        let names = store::enterprise_names(conn, &leads)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|a| {
                json!({"id": a.id, "name": a.name, "level": a.level.as_str(), "member_count": a.member_count,
                       "lead_name": names.get(&a.lead_enterprise_id).cloned().unwrap_or_default(),
                       "founded_on": format_date(lang, a.founded_on)})
            })
            .collect();
        let mut data = reference(conn)?;
        data["items"] = json!(items);
        data["pager"] = pager(list.page, list.per_page, list.total, &base);
        data["filter"] = json!({"q": query.q.unwrap_or_default(), "level": query.level.map(|l| l.as_str()), "region_id": query.region_id});
        data["may_create"] = json!(policy.is_authority());
        Ok(data)
    })
    .await?;
    data["user"] = user;
    Ok(ctx.html(StatusCode::OK, pages.render(&ctx, "alliances/list", data)?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AllianceForm {
    csrf: String,
    name: String,
    level: String,
    region_id: String,
    industry_id: String,
    lead_credit_code: String,
    founded_on: String,
}

async fn alliance_form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let values = json!({"name": "", "level": "street", "region_id": "", "industry_id": "", "lead_credit_code": "",
                        "founded_on": crate::db::types::today().to_string()});
    let form = FormState {
        values,
        errors: json!({}),
        status: StatusCode::OK,
    };
    render_regulator_form(&pages, &db, &ctx, actor, "alliances/new", form).await
}

async fn alliance_create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: web::Form<AllianceForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    let values = json!({"name": f.name, "level": f.level, "region_id": f.region_id, "industry_id": f.industry_id,
                        "lead_credit_code": f.lead_credit_code, "founded_on": f.founded_on});
    let result = access::write(&db, actor.clone(), move |conn, policy| {
        let mut v = crate::error::Validator::new();
        let level: Option<AllianceLevel> = f.level.parse().ok();
        let region: Option<RegionId> = f.region_id.parse().ok().map(RegionId);
        let founded = if f.founded_on.trim().is_empty() {
            None
        } else {
            let d = chrono::NaiveDate::parse_from_str(f.founded_on.trim(), "%Y-%m-%d").ok();
            v.check(d.is_some(), "founded_on", "use the form YYYY-MM-DD");
            d
        };
        v.check(level.is_some(), "level", "required");
        v.check(region.is_some(), "region_id", "required");
        let lead = match service::enterprise_by_credit_code(
            conn,
            policy,
            "lead_credit_code",
            &f.lead_credit_code,
        ) {
            Ok(id) => Some(id),
            Err(AppError::Validation(e)) => {
                v.add(&e[0].field, e[0].message.clone());
                None
            }
            Err(e) => return Err(e),
        };
        v.finish()?;
        let (Some(level), Some(region_id), Some(lead_enterprise_id)) = (level, region, lead) else {
            return Err(AppError::BadRequest("incomplete form".into()));
        };
        service::create_alliance(
            conn,
            policy,
            NewAlliance {
                name: f.name,
                level,
                region_id,
                industry_id: f.industry_id.parse().ok().map(IndustryId),
                lead_enterprise_id,
                founded_on: founded,
            },
        )
    })
    .await;
    match result {
        Ok(a) => Ok(see_other(&format!("/alliances/{}", a.id))),
        Err(err) => {
            let (errors, status) = form_failure(&pages, ctx.lang, err, ("name", "duplicate_name"))?;
            let form = FormState {
                values,
                errors,
                status,
            };
            render_regulator_form(&pages, &db, &ctx, actor, "alliances/new", form).await
        }
    }
}

fn alliance_page_data(
    conn: &mut AnyConnection,
    policy: &Policy,
    id: AllianceId,
    lang: Lang,
) -> AppResult<Value> {
    let row = policy.visible_alliance(conn, id)?;
    let may_manage = policy.may_manage_alliance(&row);
    let region = store::region(conn, row.region_id)?.map(|r| r.name);
    let industry = match row.industry_id {
        Some(i) => store::industry(conn, i)?.map(|i| i.name),
        None => None,
    };
    let listed = service::list_members(
        conn,
        policy,
        id,
        PageRequest {
            page: 1,
            per_page: 1000,
        },
    )?;
    let (members, total) = (listed.items, listed.total);
    let names = store::enterprise_names(conn, &[row.lead_enterprise_id])?;
    let members: Vec<Value> = members
        .into_iter()
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
        "members": members, "member_total": total,
        "may_manage": may_manage,
        // The trail names the regulators' staff and former members: for those who manage it.
        "trail": if may_manage { crate::audit::trail_lines(conn, "alliance", id.0)? } else { Vec::new() },
    }))
}

async fn render_alliance(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    id: AllianceId,
    extra: Value,
    status: StatusCode,
) -> PageResult {
    let user = user_json(&actor);
    let lang = ctx.lang;
    let mut data = access::read(db, actor, move |c, p| alliance_page_data(c, p, id, lang)).await?;
    data["user"] = user;
    data["form_error"] = extra["form_error"].clone();
    data["credit_code"] = json!(extra["credit_code"].as_str().unwrap_or(""));
    data["flash"] = extra["flash"].clone();
    Ok(ctx.html(status, pages.render(ctx, "alliances/detail", data)?))
}

fn path_id(id: &str) -> Result<AllianceId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn alliance_detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id(&id)?;
    render_alliance(&pages, &db, &ctx, actor, id, json!({}), StatusCode::OK).await
}

#[derive(Deserialize)]
struct MemberForm {
    csrf: String,
    credit_code: String,
}

async fn member_add(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: web::Form<MemberForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let id = path_id(&id)?;
    let code = form.credit_code.clone();
    let result = access::write(&db, actor.clone(), move |c, p| {
        service::add_member_by_credit_code(c, p, id, &code)
    })
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/alliances/{id}"))),
        Err(err @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let message = match &err {
                AppError::Validation(e) => e[0].message.clone(),
                _ => pages.word(ctx.lang, "already_member"),
            };
            let extra = json!({"form_error": message, "credit_code": form.credit_code});
            render_alliance(
                &pages,
                &db,
                &ctx,
                actor,
                id,
                extra,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

async fn member_remove(
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let id = path_id(&path.0)?;
    let enterprise: EnterpriseId = path.1.parse().map_err(|_| AppError::NotFound)?;
    access::write(&db, actor, move |c, p| {
        service::remove_member(c, p, id, enterprise)
    })
    .await?;
    Ok(see_other(&format!("/alliances/{id}")))
}

#[derive(Deserialize)]
struct LeadForm {
    csrf: String,
    enterprise_id: String,
}

async fn lead_appoint(
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: web::Form<LeadForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let id = path_id(&id)?;
    let lead: EnterpriseId = form
        .enterprise_id
        .parse()
        .map_err(|_| AppError::field("enterprise_id", "not a number"))?;
    access::write(&db, actor, move |c, p| {
        service::update_alliance(
            c,
            p,
            id,
            AlliancePatch {
                lead_enterprise_id: Some(lead),
                ..Default::default()
            },
        )
    })
    .await?;
    Ok(see_other(&format!("/alliances/{id}")))
}
