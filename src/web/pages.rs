//! Login, logout, the language switch and the account page.

use actix_web::cookie::{time::Duration as CookieDuration, Cookie};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::extract::SESSION_COOKIE;
use crate::auth::service::{authenticate, change_own_password, client_address, PasswordChange};
use crate::auth::token::{Purpose, TokenKeys};
use crate::auth::{session, WebUser};
use crate::db::Db;
use crate::error::AppError;
use crate::limits::PasswordHashing;
use crate::web::form::PageForm;
use crate::web::{safe_next, see_other, Lang, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
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

async fn login(
    req: HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    hashing: web::Data<PasswordHashing>,
    ctx: PageContext,
    form: PageForm,
) -> PageResult {
    let (email, password) = (
        form.text("email").to_string(),
        form.text("password").to_string(),
    );
    let next = safe_next(Some(form.text("next")).filter(|n| !n.is_empty()));
    let too_long = email.len() > 254 || password.len() > crate::auth::password::MAX_LENGTH;
    let outcome = if too_long {
        Err(AppError::Unauthorized("Wrong email or password."))
    } else {
        authenticate(
            &db,
            &hashing,
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

async fn logout(
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    req: HttpRequest,
    _form: PageForm,
) -> PageResult {
    if let Some((_, sid)) = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| keys.verify(Purpose::Web, c.value()))
    {
        db.write(move |conn| session::revoke(conn, sid).map(|_| ()))
            .await?;
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

async fn account(pages: web::Data<Pages>, ctx: PageContext, WebUser(actor): WebUser) -> PageResult {
    pages.page(
        &ctx,
        &actor,
        StatusCode::OK,
        "account",
        json!({"errors": {}}),
    )
}

async fn account_password(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    hashing: web::Data<PasswordHashing>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    form: PageForm,
) -> PageResult {
    let result = match form.parse::<PasswordChange>() {
        Ok(change) => change_own_password(&db, &hashing, &actor, change).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(ctx.done("/account", "flash_password_changed")),
        Err(err) => match crate::web::form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let data = json!({"errors": errors});
                pages.page(
                    &ctx,
                    &actor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "account",
                    data,
                )
            }
            None => Err(err.into()),
        },
    }
}
