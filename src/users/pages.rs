//! Pages for user accounts: list, create (with a generated password shown once), deactivate and
//! reset a password.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Role, UserId, WebUser};
use crate::db::ids::{AllianceId, EnterpriseId, IndustryId, RegionId};
use crate::db::Db;
use crate::error::AppError;
use crate::org::store as org;
use crate::users::service::{self, NewUser, UserPatch, UserQuery};
use crate::web::{
    form_errors, form_failure, pager, query_string, see_other, user_json, PageContext, PageResult,
    Pages,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(form))
        .route("/users/new", web::post().to(create))
        .route("/users/{id}", web::get().to(detail))
        .route("/users/{id}", web::post().to(update));
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<String>,
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let user = user_json(&actor);
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .filter(|p: &i64| *p >= 1)
        .unwrap_or(1);
    let query = UserQuery {
        q: q.q.clone(),
        role: q.role.as_deref().and_then(|r| r.parse().ok()),
        page: Some(page),
        per_page: Some(50),
        ..Default::default()
    };
    let filter_q = q.q.clone().unwrap_or_default();
    let filter_role = query.role.map(|r| r.as_str());
    let base = format!("/users?{}", query_string(&[("q", &q.q), ("role", &q.role)]));
    let mut data = access::read(&db, actor, move |conn, policy| {
        let list = service::list(conn, policy, &query)?;
        let ids: Vec<EnterpriseId> = list.items.iter().filter_map(|u| u.enterprise_id).collect();
        let names = org::enterprise_names(conn, &ids)?;
        let items: Vec<Value> = list
            .items
            .iter()
            .map(|u| {
                json!({"id": u.id, "name": u.name, "email": u.email, "role": u.role.as_str(), "active": u.active,
                       "enterprise": u.enterprise_id.and_then(|e| names.get(&e).cloned())})
            })
            .collect();
        Ok(json!({
            "items": items,
            "pager": pager(list.page, list.per_page, list.total, &base),
            "may_create": policy.is_authority(),
        }))
    })
    .await?;
    data["user"] = user;
    data["filter"] = json!({"q": filter_q, "role": filter_role});
    Ok(ctx.html(StatusCode::OK, pages.render(&ctx, "users/list", data)?))
}

#[derive(Deserialize, Default)]
struct NewQuery {
    enterprise_id: Option<String>,
}

async fn render_form(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    values: Value,
    errors: Value,
    status: StatusCode,
) -> PageResult {
    let user = user_json(&actor);
    let is_admin = actor.role == Role::Admin;
    let mut data = access::read(db, actor, |conn, policy| {
        if !policy.is_authority() {
            return Err(AppError::Forbidden(
                "Only admins and regulators manage users.".into(),
            ));
        }
        Ok(json!({"regions": org::regions(conn)?, "industries": org::industries(conn)?}))
    })
    .await?;
    data["user"] = user;
    data["values"] = values;
    data["errors"] = errors;
    data["is_admin"] = json!(is_admin);
    Ok(ctx.html(status, pages.render(ctx, "users/new", data)?))
}

async fn form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<NewQuery>,
) -> PageResult {
    let values = json!({"email": "", "name": "", "phone": "", "role": "enterprise", "region_id": "", "industry_id": "",
                        "enterprise_id": q.enterprise_id.clone().unwrap_or_default(), "alliance_ids": ""});
    render_form(&pages, &db, &ctx, actor, values, json!({}), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserForm {
    csrf: String,
    email: String,
    name: String,
    #[serde(default)]
    phone: String,
    role: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    industry_id: String,
    #[serde(default)]
    enterprise_id: String,
    #[serde(default)]
    alliance_ids: String,
}

fn id_list(text: &str) -> Result<Vec<AllianceId>, AppError> {
    text.split([',', ' ', '，'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map(AllianceId)
                .map_err(|_| AppError::field("alliance_ids", "ids separated by commas"))
        })
        .collect()
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: web::Form<UserForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let f = form.into_inner();
    let values = json!({"email": f.email, "name": f.name, "phone": f.phone, "role": f.role, "region_id": f.region_id,
                        "industry_id": f.industry_id, "enterprise_id": f.enterprise_id, "alliance_ids": f.alliance_ids});
    let parsed = (|| -> Result<NewUser, AppError> {
        let role: Role = f
            .role
            .parse()
            .map_err(|m: String| AppError::field("role", m))?;
        let num = |field: &str, v: &str| -> Result<Option<i64>, AppError> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                v.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| AppError::field(field, "not a number"))
            }
        };
        Ok(NewUser {
            email: f.email.clone(),
            name: f.name.clone(),
            phone: f.phone.clone(),
            role,
            region_id: num("region_id", &f.region_id)?.map(RegionId),
            industry_id: num("industry_id", &f.industry_id)?.map(IndustryId),
            enterprise_id: num("enterprise_id", &f.enterprise_id)?.map(EnterpriseId),
            alliance_ids: id_list(&f.alliance_ids)?,
            password: None,
        })
    })();
    let result = match parsed {
        Ok(new) => match service::prepare_password(None).await {
            Ok(prepared) => {
                access::write(&db, actor.clone(), move |c, p| {
                    service::create(c, Some(p), new, prepared)
                })
                .await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => {
            let user = user_json(&actor);
            let body = pages.render(
                &ctx,
                "users/created",
                json!({"user": user, "created": created.user, "password": created.generated_password}),
            )?;
            Ok(ctx.html(StatusCode::CREATED, body))
        }
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("email", "duplicate_email"))?;
            render_form(&pages, &db, &ctx, actor, values, errors, status).await
        }
    }
}

async fn render_detail(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    id: UserId,
    flash: Option<String>,
    errors: Value,
) -> PageResult {
    let me = user_json(&actor);
    let mut data = access::read(db, actor, move |conn, policy| {
        let shown = service::get(conn, policy, id)?;
        let row = crate::auth::user::find(conn, id)?.ok_or(AppError::NotFound)?;
        let may_manage = policy.may_manage_user(conn, &row)? && row.id != policy.actor.id;
        let enterprise = match shown.enterprise_id {
            Some(e) => org::enterprise_names(conn, &[e])?.remove(&e),
            None => None,
        };
        Ok(json!({"shown": shown, "enterprise": enterprise, "may_manage": may_manage}))
    })
    .await?;
    data["user"] = me;
    data["flash"] = json!(flash);
    data["errors"] = errors;
    Ok(ctx.html(StatusCode::OK, pages.render(ctx, "users/detail", data)?))
}

fn user_id(id: &str) -> Result<UserId, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = user_id(&id)?;
    render_detail(&pages, &db, &ctx, actor, id, None, json!({})).await
}

#[derive(Deserialize)]
struct UpdateForm {
    csrf: String,
    /// `deactivate`, `activate` or `reset_password`.
    action: String,
    #[serde(default)]
    password: String,
}

async fn update(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: web::Form<UpdateForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let id = user_id(&id)?;
    let patch = match form.action.as_str() {
        "deactivate" => UserPatch {
            active: Some(false),
            ..Default::default()
        },
        "activate" => UserPatch {
            active: Some(true),
            ..Default::default()
        },
        "reset_password" => UserPatch {
            password: Some(form.password.clone()),
            ..Default::default()
        },
        _ => return Err(AppError::field("action", "unknown action").into()),
    };
    let done_key = match form.action.as_str() {
        "reset_password" => "password_was_reset",
        _ => "saved",
    };
    let reset = match patch.password.clone() {
        Some(pw) => Some(service::prepare_password(Some(pw)).await?),
        None => None,
    };
    match access::write(&db, actor.clone(), move |c, p| {
        service::update(c, p, id, patch, reset)
    })
    .await
    {
        Ok(_) if done_key == "saved" => Ok(see_other(&format!("/users/{id}"))),
        Ok(_) => {
            let flash = pages.word(ctx.lang, done_key);
            render_detail(&pages, &db, &ctx, actor, id, Some(flash), json!({})).await
        }
        Err(err) => match form_errors(&err) {
            Some(errors) => render_detail(&pages, &db, &ctx, actor, id, None, errors).await,
            None => Err(err.into()),
        },
    }
}
