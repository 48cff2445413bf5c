//! Pages for user accounts: list, create (with a generated password shown once), deactivate and
//! reset a password.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::auth::{Role, UserId, WebUser};
use crate::db::ids::{AllianceId, EnterpriseId};
use crate::db::Db;
use crate::error::AppError;
use crate::limits::PasswordHashing;
use crate::message::msg;
use crate::org::store as org;
use crate::users::service::{self, NewUser, UserPatch, UserQuery};
use crate::web::form::PageForm;
use crate::web::reveal::Reveals;
use crate::web::{form_errors, form_failure, list_url, page_number, page_size, pager};
use crate::web::{path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(form))
        .route("/users/new", web::post().to(create))
        .route("/users/{id}", web::get().to(detail))
        .route("/users/{id}", web::post().to(update))
        .route("/users/{id}/password", web::get().to(password_once))
        .configure(super::edit_pages::configure);
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    enterprise_id: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let page = page_number(&q.page);
    let query = UserQuery {
        q: q.q.clone(),
        role: q.role.as_deref().and_then(|r| r.parse().ok()),
        enterprise_id: q.enterprise_id.as_deref().and_then(|e| e.parse().ok()),
        page: Some(page),
        per_page: Some(page_size(&q.per_page, 50)),
        ..Default::default()
    };
    let filter_q = q.q.clone().unwrap_or_default();
    let filter_role = query.role.map(|r| r.as_str());
    let base = list_url(
        "/users",
        &[
            ("q", &q.q),
            ("role", &q.role),
            ("enterprise_id", &q.enterprise_id),
            ("per_page", &q.per_page),
        ],
    );
    let mut data = access::read(&db, actor.clone(), move |conn, policy| {
        // The accounts page is for those who manage accounts; everyone has their own at /account.
        policy.require_authority("and admins manage users")?;
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
    data["filter"] = json!({"q": filter_q, "role": filter_role, "enterprise_id": q.enterprise_id});
    pages.page(&ctx, &actor, StatusCode::OK, "users/list", data)
}

/// The alliances an admin may tick for an expert (the first 100; saving keeps assignments to
/// those not shown), with the `chosen` ones ticked.
pub(super) fn alliance_boxes(
    conn: &mut crate::db::AnyConnection,
    policy: &access::Policy,
    chosen: &[i64],
) -> crate::error::AppResult<Vec<Value>> {
    let query = crate::org::model::AllianceQuery {
        per_page: Some(100),
        ..Default::default()
    };
    Ok(crate::org::service::list_alliances(conn, policy, &query)?
        .items
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name, "checked": chosen.contains(&a.id.0)}))
        .collect())
}

/// The alliance ids a form's `values` hold ticked.
pub(super) fn ticked(values: &Value) -> Vec<i64> {
    values["alliance_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
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
    let is_admin = actor.role == Role::Admin;
    let chosen = ticked(&values);
    let named = values["enterprise_id"]
        .as_str()
        .and_then(|id| id.parse().ok());
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        policy.require_authority("and admins manage users")?;
        // An enterprise chosen beforehand (from its page) shows by name.
        let enterprise = match named {
            Some(id) => {
                Some(crate::org::service::get_enterprise(conn, policy, EnterpriseId(id))?.name)
            }
            None => None,
        };
        let alliances = if policy.is_admin() {
            alliance_boxes(conn, policy, &chosen)?
        } else {
            Vec::new()
        };
        Ok(
            json!({"regions": org::regions(conn)?, "industries": org::industries(conn)?,
                  "alliances": alliances, "enterprise": enterprise}),
        )
    })
    .await?;
    let mut values = values;
    if let Some(name) = data["enterprise"]
        .as_str()
        .filter(|_| values["enterprise"] == "")
    {
        values["enterprise"] = json!(name);
    }
    data["values"] = values;
    data["errors"] = errors;
    data["is_admin"] = json!(is_admin);
    pages.page(ctx, &actor, status, "users/new", data)
}

async fn form(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<NewQuery>,
) -> PageResult {
    let mut values = blank_user();
    values["enterprise_id"] = json!(q.enterprise_id.clone().unwrap_or_default());
    render_form(&pages, &db, &ctx, actor, values, json!({}), StatusCode::OK).await
}

fn blank_user() -> Value {
    json!({"email": "", "name": "", "phone": "", "role": "enterprise", "region_id": "", "industry_id": "",
           "enterprise_id": "", "enterprise": "", "alliance_ids": []})
}

fn id_list(ticked: &[String]) -> Result<Vec<AllianceId>, AppError> {
    ticked
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map(AllianceId)
                .map_err(|_| AppError::field("alliance_ids", msg::IDS_COMMAS))
        })
        .collect()
}

async fn create(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    hashing: web::Data<PasswordHashing>,
    reveals: web::Data<Reveals>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
    let viewer = actor.id;
    let mut values = form.echo(blank_user());
    // The form ticks an expert's alliances; the API takes an array.
    let alliances = id_list(&form.take_all("alliance_id"));
    values["alliance_ids"] = json!(alliances
        .as_ref()
        .map(|a| a.iter().map(|id| id.0).collect::<Vec<_>>())
        .unwrap_or_default());
    // An enterprise user's enterprise, named by a chosen suggestion's id or as typed.
    // What was typed decides (an id filled in beforehand could outlive an edit).
    let named = form.take("enterprise").filter(|t| !t.trim().is_empty());
    if let Some(text) = named.clone() {
        let found = access::read(&db, actor.clone(), move |conn, policy| {
            crate::org::service::find_enterprise(conn, policy, "enterprise", &text)
        })
        .await;
        match found {
            Ok(id) => form.set("enterprise_id", &id.to_string()),
            Err(err) => {
                let (errors, status) =
                    form_failure(&pages, ctx.lang, err, ("email", "duplicate_email"))?;
                values["enterprise_id"] = json!("");
                return render_form(&pages, &db, &ctx, actor, values, errors, status).await;
            }
        }
    }
    if named.is_some() {
        values["enterprise_id"] = json!("");
    }
    let result = async {
        let mut new: NewUser = form.parse()?;
        new.alliance_ids = alliances?;
        // The password is generated and shown once.
        new.password = None;
        let prepared = service::prepare_password(&hashing, None).await?;
        access::write(&db, actor.clone(), move |c, p| {
            service::create(c, Some(p), new, prepared)
        })
        .await
    }
    .await;
    match result {
        Ok(created) => Ok(show_password_once(
            &ctx,
            (&reveals, viewer),
            created.user.id,
            created.generated_password.as_deref(),
            "flash_user_created",
        )),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("email", "duplicate_email"))?;
            render_form(&pages, &db, &ctx, actor, values, errors, status).await
        }
    }
}

/// The cookie holding the token of a password waiting to be shown ([`Reveals`]).
const ONCE_COOKIE: &str = "sa_once";

/// Redirects to the page that shows a new account's (or a reset) password once.
fn show_password_once(
    ctx: &PageContext,
    (reveals, viewer): (&Reveals, UserId),
    id: UserId,
    password: Option<&str>,
    flash: &str,
) -> actix_web::HttpResponse {
    let place = format!("/users/{id}/password");
    let mut res = ctx.done(&place, flash);
    if let Some(pw) = password {
        let token = reveals.put(viewer, id.0, pw.to_string());
        let mut c = ctx.cookie(ONCE_COOKIE, token, true);
        c.set_path(place);
        c.set_max_age(actix_web::cookie::time::Duration::minutes(10));
        let _ = res.add_cookie(&c);
    }
    res
}

/// Shows a generated password once (see [`show_password_once`]).
async fn password_once(
    req: actix_web::HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    reveals: web::Data<Reveals>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    let shown = access::read(&db, actor.clone(), move |conn, policy| {
        service::get(conn, policy, id)
    })
    .await?;
    let password = req
        .cookie(ONCE_COOKIE)
        .and_then(|c| reveals.take(c.value(), actor.id, id.0));
    let had_cookie = req.cookie(ONCE_COOKIE).is_some();
    let data = json!({"created": shown, "password": password});
    let mut res = pages.page(&ctx, &actor, StatusCode::OK, "users/created", data)?;
    if had_cookie {
        let mut gone = ctx.cookie(ONCE_COOKIE, String::new(), true);
        gone.set_path(format!("/users/{id}/password"));
        gone.make_removal();
        let _ = res.add_cookie(&gone);
    }
    Ok(res)
}

async fn render_detail(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: crate::auth::Actor,
    id: UserId,
    errors: Value,
) -> PageResult {
    let mut data = access::read(db, actor.clone(), move |conn, policy| {
        let shown = service::get(conn, policy, id)?;
        let row = crate::auth::user::find(conn, id)?.ok_or(AppError::NotFound)?;
        let may_manage = service::may_manage(conn, policy, &row)? && row.id != policy.actor.id;
        let enterprise = match shown.enterprise_id {
            Some(e) => org::enterprise_names(conn, &[e])?.remove(&e),
            None => None,
        };
        Ok(json!({"shown": shown, "enterprise": enterprise, "may_manage": may_manage}))
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, StatusCode::OK, "users/detail", data)
}

async fn detail(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    render_detail(&pages, &db, &ctx, actor, id, json!({})).await
}

async fn update(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (hashing, reveals): (web::Data<PasswordHashing>, web::Data<Reveals>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let viewer = actor.id;
    let id = path_id::<UserId>(&id)?;
    // `deactivate`, `activate` or `reset_password` (a new password is generated and shown once,
    // as at creation).
    let action = form.take("action").unwrap_or_default();
    let mut patch = UserPatch::default();
    let flash = match action.as_str() {
        "deactivate" => {
            if !form.confirmed() {
                let subject = access::read(&db, actor.clone(), move |conn, policy| {
                    service::get(conn, policy, id)
                })
                .await?;
                form.set("action", "deactivate");
                let question = ("confirm_deactivate", subject.name.as_str());
                let (here, back) = (format!("/users/{id}"), format!("/users/{id}"));
                return pages.confirm(&ctx, &actor, &form, question, &here, &back);
            }
            patch.active = Some(false);
            "flash_deactivated"
        }
        "activate" => {
            patch.active = Some(true);
            "flash_activated"
        }
        "reset_password" => "flash_password_reset",
        _ => return Err(AppError::field("action", msg::UNKNOWN_ACTION).into()),
    };
    let reset = if action == "reset_password" {
        let prepared = service::prepare_password(&hashing, None).await?;
        patch.password = prepared.generated().map(str::to_string);
        Some(prepared)
    } else {
        None
    };
    let generated = patch.password.clone();
    let result = access::write(&db, actor.clone(), move |c, p| {
        service::update(c, p, id, patch, reset)
    })
    .await;
    match result {
        Ok(_) if generated.is_some() => Ok(show_password_once(
            &ctx,
            (&reveals, viewer),
            id,
            generated.as_deref(),
            flash,
        )),
        Ok(_) => Ok(ctx.done(&format!("/users/{id}"), flash)),
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => render_detail(&pages, &db, &ctx, actor, id, errors).await,
            None => Err(err.into()),
        },
    }
}
