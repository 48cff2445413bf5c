//! The pages of one-time links: the person's own (`/invite/<token>`: choose a password), and
//! the managers' letters (A4, one per person, the link as a QR code) for the street office to
//! hand out.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::access;
use crate::auth::token::TokenKeys;
use crate::auth::{UserId, WebUser};
use crate::config::Settings;
use crate::db::ids::EnterpriseId;
use crate::db::schema::users;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult};
use crate::limits::PasswordHashing;
use crate::message::msg;
use crate::users::invitation_routes::accept;
use crate::users::invitations::{self, Invitation};
use crate::users::service;
use crate::web::form::PageForm;
use crate::web::{form_errors, path_id, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/invite/{token}", web::get().to(open))
        .route("/invite/{token}", web::post().to(set_password))
        .route("/users/letters", web::get().to(letters))
        .route("/users/{id}/letter", web::get().to(letter));
}

/// The address people reach the platform at, for printed and shown links: `SA_PUBLIC_URL`, or
/// else the one the viewer's browser used (not the listening address, which may be 0.0.0.0).
pub(crate) fn site(req: &actix_web::HttpRequest, settings: &Settings) -> String {
    match settings.public_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => settings.site(),
        _ => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

/// The page saying a link no longer works (used, expired, withdrawn) or never did.
fn gone(pages: &Pages, ctx: &PageContext, err: AppError) -> PageResult {
    let (reason, status) = match &err {
        AppError::NotFound => ("invite_unknown", StatusCode::NOT_FOUND),
        AppError::Conflict { kind, .. } => (
            match *kind {
                "invitation-used" => "invite_used",
                "invitation-expired" => "invite_expired",
                "account-inactive" => "invite_inactive",
                _ => "invite_revoked",
            },
            StatusCode::CONFLICT,
        ),
        _ => return Err(err.into()),
    };
    let body = pages.render(
        ctx,
        "invite/gone",
        json!({"reason": pages.word(ctx.lang, reason)}),
    )?;
    Ok(ctx.html(status, body))
}

async fn render_open(
    pages: &Pages,
    db: &Db,
    keys: &TokenKeys,
    ctx: &PageContext,
    token: String,
    (errors, status): (Value, StatusCode),
) -> PageResult {
    let key = keys.links.clone();
    let shown_token = token.clone();
    let opened = db.run(move |c| invitations::open(c, &key, &token)).await;
    match opened {
        Ok((row, person)) => {
            let data = json!({"name": person.name, "email": person.email, "purpose": row.purpose,
                              "token": shown_token, "expires_at": crate::db::types::local(row.expires_at),
                              "errors": errors});
            let body = pages.render(ctx, "invite/accept", data)?;
            Ok(ctx.html(status, body))
        }
        Err(err) => gone(pages, ctx, err),
    }
}

async fn open(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    keys: web::Data<TokenKeys>,
    ctx: PageContext,
    token: web::Path<String>,
) -> PageResult {
    let shown = (json!({}), StatusCode::OK);
    render_open(&pages, &db, &keys, &ctx, token.into_inner(), shown).await
}

async fn set_password(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, hashing): (web::Data<TokenKeys>, web::Data<PasswordHashing>),
    ctx: PageContext,
    token: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let token = token.into_inner();
    let (chosen, again) = (
        form.text("password").to_string(),
        form.text("password_again"),
    );
    let result = if chosen != again {
        Err(AppError::field("password_again", msg::PASSWORDS_DIFFER))
    } else {
        accept(&db, &hashing, keys.links.clone(), token.clone(), chosen).await
    };
    match result {
        Ok(done) => {
            let body = pages.render(&ctx, "invite/done", json!({"email": done.email}))?;
            Ok(ctx.html(StatusCode::OK, body))
        }
        Err(err) => match form_errors(&pages, ctx.lang, &err) {
            Some(errors) => {
                let shown = (errors, StatusCode::UNPROCESSABLE_ENTITY);
                render_open(&pages, &db, &keys, &ctx, token, shown).await
            }
            None => gone(&pages, &ctx, err),
        },
    }
}

/// One letter's data: the person, the link (absolute, and as a QR code).
fn letter_of(
    conn: &mut AnyConnection,
    site: &str,
    invitation: &Invitation,
) -> AppResult<Option<Value>> {
    let Some(path) = &invitation.path else {
        return Ok(None);
    };
    let Some(person) = crate::auth::user::find(conn, invitation.user_id)? else {
        return Ok(None);
    };
    let enterprise = match person.enterprise_id {
        Some(e) => crate::org::store::enterprise_names(conn, &[e])?.remove(&e),
        None => None,
    };
    let url = format!("{site}{path}");
    let qr = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(AppError::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(Some(json!({
        "name": person.name, "email": person.email, "enterprise": enterprise,
        "url": url, "qr": qr, "purpose": invitation.purpose,
        "expires_at": invitation.expires_at,
    })))
}

/// The letters of the pending links of `accounts` the caller manages.
pub(crate) fn letters_of(
    conn: &mut AnyConnection,
    policy: &crate::access::Policy,
    key: &crate::auth::token::LinkKey,
    site: &str,
    accounts: &[UserId],
) -> AppResult<Vec<Value>> {
    let mut managed = Vec::new();
    for id in accounts {
        if let Some(row) = crate::auth::user::find(conn, *id)? {
            if row.active && row.id != policy.actor.id && service::may_manage(conn, policy, &row)? {
                managed.push(row.id);
            }
        }
    }
    let mut out = Vec::new();
    for invitation in invitations::pending_of(conn, key, &managed)? {
        out.extend(letter_of(conn, site, &invitation)?);
    }
    Ok(out)
}

pub(crate) fn render_letters(
    pages: &Pages,
    ctx: &PageContext,
    actor: &crate::auth::Actor,
    title: String,
    letters: Vec<Value>,
) -> PageResult {
    let data = json!({"title": title, "letters": letters});
    pages.page(ctx, actor, StatusCode::OK, "users/letters", data)
}

#[derive(Deserialize)]
struct LettersQuery {
    enterprise_id: Option<String>,
}

/// The letters of an enterprise's people whose links are pending.
async fn letters(
    req: actix_web::HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<LettersQuery>,
) -> PageResult {
    let enterprise = path_id::<EnterpriseId>(q.enterprise_id.as_deref().unwrap_or(""))?;
    let (key, site) = (keys.links.clone(), site(&req, &settings));
    let (title, letters) = access::read(&db, actor.clone(), move |c, p| {
        p.require_authority("print invitation letters")?;
        let (row, _) = crate::org::service::visible_enterprise(c, p, enterprise)?;
        use diesel::prelude::*;
        let accounts: Vec<UserId> = users::table
            .filter(users::enterprise_id.eq(enterprise))
            .order(users::id)
            .select(users::id)
            .load(c)?;
        Ok((row.name, letters_of(c, p, &key, &site, &accounts)?))
    })
    .await?;
    render_letters(&pages, &ctx, &actor, title, letters)
}

/// One person's letter (their pending link).
async fn letter(
    req: actix_web::HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<UserId>(&id)?;
    let (key, site) = (keys.links.clone(), site(&req, &settings));
    let (title, letters) = access::read(&db, actor.clone(), move |c, p| {
        let person = service::get(c, p, id)?;
        Ok((person.name, letters_of(c, p, &key, &site, &[id])?))
    })
    .await?;
    render_letters(&pages, &ctx, &actor, title, letters)
}
