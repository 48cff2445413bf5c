//! The message centre's page: the caller's messages, newest first, each saying what happened,
//! what to do and by when, and leading to its page.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::Db;
use crate::notify::model::{NotificationQuery, NotificationRow};
use crate::notify::outbox::{self, OutboxQuery, OutboxState};
use crate::notify::store;
use crate::web::form::PageForm;
use crate::web::{list_url, page_number, pager, path_id, safe_next, see_other};
use crate::web::{Lang, PageContext, PageResult, Pages};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/read", web::post().to(read_all))
        .route("/notifications/{id}/open", web::post().to(open))
        .route("/admin/outbox", web::get().to(outbox_page))
        .route("/admin/outbox/{id}/resend", web::post().to(resend));
}

#[derive(Deserialize, Default)]
struct OutboxPageQuery {
    state: Option<String>,
    page: Option<String>,
}

/// The outbox, for administrators: what waits, what went, what failed and why; send again.
async fn outbox_page(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    crate::auth::WebUser(actor): crate::auth::WebUser,
    q: web::Query<OutboxPageQuery>,
) -> PageResult {
    let state = q
        .state
        .as_deref()
        .and_then(|s| s.parse::<OutboxState>().ok());
    let query = OutboxQuery {
        state,
        page: Some(page_number(&q.page)),
        per_page: Some(50),
    };
    let base = list_url("/admin/outbox", &[("state", &q.state)]);
    let (counts, list) = crate::access::read(&db, actor.clone(), move |c, p| {
        if !p.is_admin() {
            return Err(crate::error::AppError::NotFound);
        }
        Ok((outbox::counts(c)?, outbox::list(c, &query)?))
    })
    .await?;
    let rows: Vec<Value> = list
        .items
        .iter()
        .map(|r| {
            let what = match r.kind.parse::<crate::notify::Kind>() {
                Ok(kind) => pages.word(ctx.lang, &kind.words(true).0),
                Err(_) => pages.word(ctx.lang, "rung_digest"),
            };
            json!({
                "id": r.id, "channel": r.channel.as_str(), "recipient": r.recipient,
                "what": what, "subject": r.subject, "state": r.state.as_str(),
                "attempts": r.attempts, "error": r.last_error,
                "created": r.created_at.format("%Y-%m-%d %H:%M").to_string(),
                "sent": r.sent_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                "next": r.next_attempt_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            })
        })
        .collect();
    let data = json!({
        "counts": counts,
        "rows": rows,
        "state": state.map(|s| s.as_str()),
        "pager": pager(list.page, list.per_page, list.total, &base),
    });
    pages.page(&ctx, &actor, StatusCode::OK, "notifications/outbox", data)
}

async fn resend(
    db: web::Data<Db>,
    ctx: PageContext,
    crate::auth::WebUser(actor): crate::auth::WebUser,
    id: web::Path<String>,
    _form: PageForm,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    crate::access::write(&db, actor, move |c, p| {
        if !p.is_admin() {
            return Err(crate::error::AppError::NotFound);
        }
        outbox::resend(c, p.actor.id, id).map(|_| ())
    })
    .await?;
    Ok(ctx.done("/admin/outbox", "flash_resent"))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    unread: Option<String>,
    page: Option<String>,
}

/// A message in the reader's words.
fn shown(pages: &Pages, lang: Lang, n: &crate::notify::Notification) -> Value {
    let due = n
        .due_on
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let (what, todo) = n.kind.words(n.due_on.is_some());
    json!({
        "id": n.id,
        "what": pages.word(lang, &what),
        "todo": pages.word(lang, &todo).replace("{due}", &due),
        "subject": n.subject,
        "note": n.note,
        "link": n.link,
        "at": n.created_at.format("%Y-%m-%d %H:%M").to_string(),
        "unread": n.read_at.is_none(),
    })
}

async fn list(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    crate::auth::WebUser(actor): crate::auth::WebUser,
    q: web::Query<ListQuery>,
) -> PageResult {
    let only_unread = q.unread.as_deref() == Some("1");
    let query = NotificationQuery {
        unread: Some(only_unread),
        page: Some(page_number(&q.page)),
        per_page: Some(20),
    };
    let base = list_url("/notifications", &[("unread", &q.unread)]);
    let user = actor.id;
    let list = db.run(move |c| store::list(c, user, &query)).await?;
    let items: Vec<Value> = list
        .items
        .iter()
        .map(|n| shown(&pages, ctx.lang, n))
        .collect();
    let data = json!({
        "items": items,
        "only_unread": only_unread,
        "pager": pager(list.page, list.per_page, list.total, &base),
    });
    pages.page(&ctx, &actor, StatusCode::OK, "notifications/list", data)
}

/// Opens a message: marks it read and goes to its page.
async fn open(
    db: web::Data<Db>,
    crate::auth::WebUser(actor): crate::auth::WebUser,
    id: web::Path<String>,
    _form: PageForm,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    let user = actor.id;
    let row: NotificationRow = db.write(move |c| store::mark_read(c, user, id)).await?;
    // Links are written by the server itself, always a path here; anything else goes home.
    Ok(see_other(&safe_next(Some(&row.link))))
}

/// Marks every message read and shows the list again.
async fn read_all(
    db: web::Data<Db>,
    crate::auth::WebUser(actor): crate::auth::WebUser,
    _form: PageForm,
) -> PageResult {
    let user = actor.id;
    db.write(move |c| store::mark_all_read(c, user)).await?;
    Ok(see_other("/notifications"))
}
