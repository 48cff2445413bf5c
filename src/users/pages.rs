//! Pages for user accounts: list, create (the person gets an invitation link and sets their own
//! password), deactivate, and issue, show, mail or withdraw links (a reset is a link too).

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::auth::token::TokenKeys;
use crate::auth::{Role, UserId, WebUser};
use crate::config::Settings;
use crate::db::ids::{AllianceId, EnterpriseId};
use crate::db::Db;
use crate::error::AppError;
use crate::limits::PasswordHashing;
use crate::message::msg;
use crate::org::store as org;
use crate::users::invitations::{self, Links, Purpose};
use crate::users::service::{self, NewUser, UserPatch, UserQuery};
use crate::web::form::PageForm;
use crate::web::{form_errors, form_failure, list_url, page_number, page_size, pager};
use crate::web::{path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/users", web::get().to(list))
        .route("/users/new", web::get().to(form))
        .route("/users/new", web::post().to(create))
        .route("/users/{id}", web::get().to(detail))
        .route("/users/{id}", web::post().to(update))
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
    let export = crate::web::list::export_query(&base);
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
    data["export_query"] = json!(export);
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
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    mut form: PageForm,
) -> PageResult {
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
        // The person sets their own password through the invitation link.
        new.password = None;
        let prepared = service::prepare_password(&hashing, None).await?;
        let (key, days) = (keys.links.clone(), settings.invitation_days);
        access::write(&db, actor.clone(), move |c, p| {
            service::create(c, Some(p), new, prepared, Links { key: &key, days })
        })
        .await
    }
    .await;
    match result {
        Ok(created) => Ok(ctx.done(&format!("/users/{}", created.user.id), "flash_user_invited")),
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
    (key, site): (crate::auth::token::LinkKey, String),
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
        let (pending, links) = if may_manage {
            let letters = super::invite_pages::letters_of(conn, policy, &key, &site, &[id])?;
            let mut links = invitations::list(conn, policy, &key, id)?;
            links.truncate(5);
            (letters.into_iter().next(), links)
        } else {
            (None, Vec::new())
        };
        Ok(
            json!({"shown": shown, "enterprise": enterprise, "may_manage": may_manage,
                  "pending": pending, "links": links}),
        )
    })
    .await?;
    data["errors"] = errors;
    pages.page(ctx, &actor, StatusCode::OK, "users/detail", data)
}

async fn detail(
    req: actix_web::HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    let links = (
        keys.links.clone(),
        super::invite_pages::site(&req, &settings),
    );
    render_detail(&pages, &db, &ctx, actor, links, id, json!({})).await
}

async fn update(
    req: actix_web::HttpRequest,
    (pages, db): (web::Data<Pages>, web::Data<Db>),
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    // `deactivate`, `activate`; `invite` or `reset_password` (a new link, withdrawing the
    // earlier ones), `mail` (the pending link), `revoke` (a link).
    let action = form.take("action").unwrap_or_default();
    let (key, days) = (keys.links.clone(), settings.invitation_days);
    let mut patch = UserPatch::default();
    let (flash, result) = match action.as_str() {
        "deactivate" | "activate" => {
            if action == "deactivate" && !form.confirmed() {
                let subject = access::read(&db, actor.clone(), move |conn, policy| {
                    service::get(conn, policy, id)
                })
                .await?;
                form.set("action", "deactivate");
                let question = ("confirm_deactivate", subject.name.as_str());
                let (here, back) = (format!("/users/{id}"), format!("/users/{id}"));
                return pages.confirm(&ctx, &actor, &form, question, &here, &back);
            }
            patch.active = Some(action == "activate");
            let done = access::write(&db, actor.clone(), move |c, p| {
                service::update(c, p, id, patch, None).map(|_| ())
            })
            .await;
            let flash = if action == "activate" {
                "flash_activated"
            } else {
                "flash_deactivated"
            };
            (flash, done)
        }
        "invite" | "reset_password" => {
            let purpose = if action == "invite" {
                Purpose::Invite
            } else {
                Purpose::Reset
            };
            let done = access::write(&db, actor.clone(), move |c, p| {
                invitations::issue_for(c, p, Links { key: &key, days }, id, purpose).map(|_| ())
            })
            .await;
            ("flash_link_issued", done)
        }
        "mail" => {
            let done = access::write(&db, actor.clone(), move |c, p| {
                let pending = invitations::list(c, p, &key, id)?
                    .into_iter()
                    .find(|i| i.path.is_some())
                    .ok_or_else(|| AppError::field("action", msg::NO_PENDING_LINK))?;
                match invitations::mail(c, &pending)? {
                    true => Ok(()),
                    false => Err(AppError::field("action", msg::NO_PENDING_LINK)),
                }
            })
            .await;
            ("flash_link_mailed", done)
        }
        "revoke" => {
            let link = form.text("invitation_id").parse::<i64>().unwrap_or(0);
            let done = access::write(&db, actor.clone(), move |c, p| {
                invitations::revoke(c, p, &key, link).map(|_| ())
            })
            .await;
            ("flash_link_revoked", done)
        }
        _ => return Err(AppError::field("action", msg::UNKNOWN_ACTION).into()),
    };
    match result {
        Ok(()) => Ok(ctx.done(&format!("/users/{id}"), flash)),
        Err(err) => {
            let shown = (
                keys.links.clone(),
                super::invite_pages::site(&req, &settings),
            );
            let errors = match form_errors(&pages, ctx.lang, &err) {
                Some(errors) => errors,
                None => match err {
                    AppError::Conflict { detail, .. } => json!({"action": detail}),
                    other => return Err(other.into()),
                },
            };
            render_detail(&pages, &db, &ctx, actor, shown, id, errors).await
        }
    }
}
