//! The import pages: choose a file (with its template), see what it would do, commit it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use crate::access;
use crate::api::{file, XLSX};
use crate::auth::token::TokenKeys;
use crate::auth::{Actor, WebUser};
use crate::config::Settings;
use crate::db::Db;
use crate::error::AppError;
use crate::limits::Exports;
use crate::message::msg;
use crate::onboarding::model::*;
use crate::onboarding::routes::{keep_and_preview, read_upload};
use crate::onboarding::{self as onboarding, template};
use crate::users::invitations::Links;
use crate::web::form::PageForm;
use crate::web::{form_failure, path_id, PageContext, PageResult, Pages};

/// How many rows of each list a preview page shows (the API answers all of them).
const SHOWN: usize = 300;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/imports", web::get().to(start))
        .route("/imports/{kind}/template", web::get().to(template_file))
        .route("/imports/{kind}", web::post().to(upload))
        .route("/imports/{id}", web::get().to(preview))
        .route("/imports/{id}/commit", web::post().to(commit))
        .route("/imports/{id}/letters", web::get().to(letters));
}

fn kind_of(raw: &str) -> Result<ImportKind, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn render_start(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    (actor, kind): (Actor, ImportKind),
    errors: Value,
    status: StatusCode,
) -> PageResult {
    access::read(db, actor.clone(), |_, p| onboarding::require_importer(p)).await?;
    let data = json!({
        "kind": kind,
        "kinds": ImportKind::ALL,
        "columns": onboarding::columns(kind)
            .iter()
            .map(|c| json!({"header": c.headers[0], "required": c.required,
                            "also": c.headers[1..].join("、")}))
            .collect::<Vec<_>>(),
        "errors": errors,
    });
    pages.page(ctx, &actor, status, "imports/start", data)
}

async fn start(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> PageResult {
    let kind = match q.get("kind") {
        Some(k) => kind_of(k)?,
        None => ImportKind::Enterprises,
    };
    render_start(&pages, &db, &ctx, (actor, kind), json!({}), StatusCode::OK).await
}

async fn template_file(
    db: web::Data<Db>,
    WebUser(actor): WebUser,
    kind: web::Path<String>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, crate::web::PageError> {
    let kind = kind_of(&kind)?;
    if q.get("format").map(String::as_str) == Some("csv") {
        access::read(&db, actor, |_, p| onboarding::require_importer(p)).await?;
        return Ok(file(
            template::csv(kind),
            "text/csv; charset=utf-8",
            &format!("{kind}-template.csv"),
        ));
    }
    let bytes = access::read(&db, actor, move |c, p| {
        onboarding::require_importer(p)?;
        template::xlsx(c, kind)
    })
    .await?;
    Ok(file(bytes, XLSX, &format!("{kind}-template.xlsx")))
}

#[allow(clippy::too_many_arguments)]
async fn upload(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    exports: web::Data<Exports>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    kind: web::Path<String>,
    mut form: PageForm,
) -> PageResult {
    let kind = kind_of(&kind)?;
    access::read(&db, actor.clone(), |_, p| onboarding::require_importer(p)).await?;
    let result = async {
        if let Some(e) = form.too_large_error("file", settings.max_upload_bytes) {
            return Err(e);
        }
        let Some(upload) = form.take_files("file").into_iter().next() else {
            return Err(AppError::field("file", msg::UPLOAD_FILE_REQUIRED));
        };
        let file_name = upload.file_name.clone();
        let table = read_upload(&exports, kind, upload).await?;
        keep_and_preview(&db, actor.clone(), kind, file_name, table).await
    }
    .await;
    match result {
        Ok(import) => Ok(crate::web::see_other(&format!("/imports/{}", import.id))),
        Err(err) => {
            let (errors, status) =
                form_failure(&pages, ctx.lang, err, ("file", "import_try_again"))?;
            render_start(&pages, &db, &ctx, (actor, kind), errors, status).await
        }
    }
}

/// The preview (or, once committed, the result) of an import, as page data.
fn page_data(pages: &Pages, ctx: &PageContext, import: Import) -> Value {
    let errors: Vec<Value> = import
        .preview
        .errors
        .iter()
        .take(SHOWN)
        .map(|e| json!({"row": e.row, "column": e.column, "message": e.text.render(&pages.dictionaries[ctx.lang.code()])}))
        .collect();
    let of = |outcome: RowOutcome| -> Vec<&RowPlan> {
        import
            .preview
            .rows
            .iter()
            .filter(|r| r.outcome == outcome)
            .take(SHOWN)
            .collect()
    };
    // Scales and roles show as words, not as the API's codes.
    let word = |field: &str, v: &str| pages.word(ctx.lang, &format!("{field}_{v}"));
    let changed: Vec<Value> = of(RowOutcome::Changed)
        .into_iter()
        .map(|r| {
            let mut r = json!(r);
            for c in r["changes"].as_array_mut().into_iter().flatten() {
                let field = c["field"].as_str().unwrap_or("").to_string();
                if field == "scale" || field == "role" {
                    c["from"] = json!(word(&field, c["from"].as_str().unwrap_or("")));
                    c["to"] = json!(word(&field, c["to"].as_str().unwrap_or("")));
                }
            }
            r
        })
        .collect();
    let summary = &import.preview.summary;
    json!({
        "import": {"id": import.id, "kind": import.kind, "file_name": import.file_name,
                   "created_at": import.created_at, "committed_at": import.committed_at,
                   "result": import.result},
        "summary": summary,
        "errors": errors,
        "more_errors": import.preview.errors.len().saturating_sub(SHOWN),
        "changed": changed,
        "new": of(RowOutcome::New),
        "more_new": summary.new.saturating_sub(SHOWN),
        "more_changed": summary.changed.saturating_sub(SHOWN),
        "ignored": import.preview.ignored_columns,
        "may_commit": import.committed_at.is_none() && summary.new + summary.changed > 0,
        "has_letters": import.kind == ImportKind::Users && import.committed_at.is_some()
            && import.result.as_ref().is_some_and(|r| r.new > 0),
    })
}

async fn render_preview(
    pages: &Pages,
    db: &Db,
    ctx: &PageContext,
    actor: Actor,
    id: i64,
    (errors, status): (Value, StatusCode),
) -> PageResult {
    let import = access::read(db, actor.clone(), move |c, p| onboarding::show(c, p, id)).await?;
    let mut data = page_data(pages, ctx, import);
    data["form_errors"] = errors;
    pages.page(ctx, &actor, status, "imports/preview", data)
}

async fn preview(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    render_preview(&pages, &db, &ctx, actor, id, (json!({}), StatusCode::OK)).await
}

async fn commit(
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
    form: PageForm,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    let choice = CommitImport {
        valid_rows_only: form.text("valid_rows_only") == "on",
    };
    let (key, days) = (keys.links.clone(), settings.invitation_days);
    let result = access::write(&db, actor.clone(), move |c, p| {
        onboarding::commit_kept(c, p, Links { key: &key, days }, id, &choice)
    })
    .await;
    match result {
        Ok(_) => Ok(ctx.done(&format!("/imports/{id}"), "flash_import_committed")),
        Err(err) => {
            let shown = form_failure(
                &pages,
                ctx.lang,
                err,
                ("valid_rows_only", "import_committed_already"),
            )?;
            render_preview(&pages, &db, &ctx, actor, id, shown).await
        }
    }
}

/// The invitation letters of the accounts an import created (those still pending).
async fn letters(
    req: actix_web::HttpRequest,
    pages: web::Data<Pages>,
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ctx: PageContext,
    WebUser(actor): WebUser,
    id: web::Path<String>,
) -> PageResult {
    let id = path_id::<i64>(&id)?;
    let (key, site) = (
        keys.links.clone(),
        crate::users::invite_pages::site(&req, &settings),
    );
    let (title, letters) = access::read(&db, actor.clone(), move |c, p| {
        let accounts = onboarding::invited_by(c, p, id)?;
        let import = onboarding::show(c, p, id)?;
        let letters = crate::users::invite_pages::letters_of(c, p, &key, &site, &accounts)?;
        Ok((import.file_name, letters))
    })
    .await?;
    crate::users::invite_pages::render_letters(&pages, &ctx, &actor, title, letters)
}
