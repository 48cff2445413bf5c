//! Login, logout, the language switch and the home page that fits the role.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access::{self, Policy, Scope};
use crate::api::PageRequest;
use crate::auth::extract::SESSION_COOKIE;
use crate::auth::routes::{authenticate, client_address};
use crate::auth::token::{Purpose, TokenKeys};
use crate::auth::{session, WebUser};
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::org::model::{AllianceQuery, EnterpriseQuery};
use crate::org::{service as org, store as org_store};
use crate::web::{safe_next, see_other, user_json, Lang, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/lang/{code}", web::get().to(switch_language))
        .route("/account", web::get().to(account))
        .route("/account/password", web::post().to(account_password));
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_form(
    pages: web::Data<Pages>,
    ctx: PageContext,
    q: web::Query<NextQuery>,
) -> PageResult {
    let body = pages.render(
        &ctx,
        "login",
        json!({"next": safe_next(q.next.as_deref()), "email": "", "error": null}),
    )?;
    Ok(ctx.html(StatusCode::OK, body))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login(
    req: HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ctx: PageContext,
    form: web::Form<LoginForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let LoginForm {
        email,
        password,
        next,
        ..
    } = form.into_inner();
    let next = safe_next(next.as_deref());
    let too_long = email.len() > 254 || password.len() > crate::auth::password::MAX_LENGTH;
    let outcome = if too_long {
        Err(AppError::Unauthorized("Wrong email or password."))
    } else {
        authenticate(
            &db,
            email.clone(),
            password,
            keys.web_ttl,
            client_address(&req),
        )
        .await
    };
    match outcome {
        Ok((user, sid, _refresh)) => {
            let token = keys.issue(Purpose::Web, user, sid);
            let mut cookie = ctx.cookie(SESSION_COOKIE, token, true);
            cookie.set_max_age(CookieDuration::seconds(keys.web_ttl.as_secs() as i64));
            Ok(HttpResponse::SeeOther()
                .insert_header(("Location", next))
                .cookie(cookie)
                .finish())
        }
        Err(AppError::Unauthorized(_)) => {
            let body = pages.render(
                &ctx,
                "login",
                json!({"next": next, "email": email, "error": pages.word(ctx.lang, "login_failed")}),
            )?;
            Ok(ctx.html(StatusCode::UNAUTHORIZED, body))
        }
        Err(AppError::TooManyRequests { retry_after_secs }) => {
            let message = pages
                .word(ctx.lang, "login_throttled")
                .replace("{seconds}", &retry_after_secs.to_string());
            let body = pages.render(
                &ctx,
                "login",
                json!({"next": next, "email": email, "error": message}),
            )?;
            let mut response = ctx.html(StatusCode::TOO_MANY_REQUESTS, body);
            if let Ok(v) =
                actix_web::http::header::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, v);
            }
            Ok(response)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ctx: PageContext,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    if let Some((_, sid)) = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| keys.verify(Purpose::Web, c.value()))
    {
        db.write(move |conn| session::revoke(conn, sid)).await?;
    }
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/login"))
        .cookie(gone)
        .finish())
}

#[derive(Deserialize)]
struct LangQuery {
    back: Option<String>,
}

/// Switches the language and remembers it for a year.
async fn switch_language(
    ctx: PageContext,
    code: web::Path<String>,
    q: web::Query<LangQuery>,
) -> HttpResponse {
    let back = safe_next(q.back.as_deref());
    match Lang::parse(&code) {
        Some(lang) => HttpResponse::SeeOther()
            .insert_header(("Location", back))
            .cookie(ctx.lang_cookie(lang))
            .finish(),
        None => see_other(&back),
    }
}

/// What the home page shows, by role.
fn home_data(conn: &mut AnyConnection, policy: &Policy, lang: Lang) -> AppResult<Value> {
    let alliances = org::list_alliances(
        conn,
        policy,
        &AllianceQuery {
            per_page: Some(100),
            ..Default::default()
        },
    )?;
    let leads: Vec<_> = alliances
        .items
        .iter()
        .map(|a| a.lead_enterprise_id)
        .collect();
    let names = org_store::enterprise_names(conn, &leads)?;
    let led = policy.led_alliances().to_vec();
    let alliance_rows: Vec<Value> = alliances
        .items
        .iter()
        .map(|a| {
            json!({
                "id": a.id, "name": a.name, "level": a.level.as_str(),
                "member_count": a.member_count,
                "lead_name": names.get(&a.lead_enterprise_id).cloned().unwrap_or_default(),
                "is_led": led.contains(&a.id),
                "founded_on": crate::web::format_date(lang, a.founded_on),
            })
        })
        .collect();
    let enterprises = org::list_enterprises(
        conn,
        policy,
        &EnterpriseQuery {
            per_page: Some(10),
            sort: Some("name".into()),
            ..Default::default()
        },
    )?;
    let own = match &policy.scope {
        Scope::Enterprise { own, .. } => Some(org::get_enterprise(conn, policy, *own)?),
        _ => None,
    };
    let led_members = match led.first() {
        Some(alliance) => {
            org::list_members(
                conn,
                policy,
                *alliance,
                PageRequest::new(Some(1), Some(100))?,
            )?
            .items
        }
        None => Vec::new(),
    };
    Ok(json!({
        "alliances": alliance_rows,
        "alliance_total": alliances.total,
        "enterprises": enterprises.items,
        "enterprise_total": enterprises.total,
        "own": own,
        "led_members": led_members,
        "is_enterprise": matches!(policy.scope, Scope::Enterprise { .. }),
        "is_expert": matches!(policy.scope, Scope::Expert { .. }),
        "is_authority": policy.is_authority(),
        // Only those who review see the review queue.
        "may_review": policy.is_authority() || !policy.led_alliances().is_empty(),
    }))
}

async fn home(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
) -> PageResult {
    let user = user_json(&actor);
    let lang = ctx.lang;
    let mut data = access::read(&db, actor, move |c, p| home_data(c, p, lang)).await?;
    data["user"] = user;
    let body = pages.render(&ctx, "home", data)?;
    Ok(ctx.html(StatusCode::OK, body))
}

async fn account(pages: web::Data<Pages>, ctx: PageContext, WebUser(actor): WebUser) -> PageResult {
    let body = pages.render(
        &ctx,
        "account",
        json!({"user": user_json(&actor), "errors": {}}),
    )?;
    Ok(ctx.html(StatusCode::OK, body))
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

async fn account_password(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: web::Form<PasswordForm>,
) -> PageResult {
    ctx.check_csrf(&form.csrf)?;
    let form = form.into_inner();
    let change = crate::auth::routes::PasswordChange {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    let user = user_json(&actor);
    match crate::auth::routes::change_own_password(&db, &actor, change).await {
        Ok(()) => {
            let flash = pages.word(ctx.lang, "password_changed");
            let body = pages.render(
                &ctx,
                "account",
                json!({"user": user, "errors": {}, "flash": flash}),
            )?;
            Ok(ctx.html(StatusCode::OK, body))
        }
        Err(err) => match crate::web::form_errors(&err) {
            Some(errors) => {
                let body =
                    pages.render(&ctx, "account", json!({"user": user, "errors": errors}))?;
                Ok(ctx.html(StatusCode::UNPROCESSABLE_ENTITY, body))
            }
            None => Err(err.into()),
        },
    }
}
