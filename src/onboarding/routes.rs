//! The import API: upload a file (its preview), read it again, commit it; the templates.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::access;
use crate::api::{file, record_answer, XLSX};
use crate::auth::token::TokenKeys;
use crate::auth::{Actor, ApiUser};
use crate::config::Settings;
use crate::db::Db;
use crate::error::{AppError, AppResult, Problem};
use crate::extract::{JsonBody, QueryParams};
use crate::limits::Exports;
use crate::message::msg;
use crate::onboarding::model::*;
use crate::onboarding::{self as onboarding, sheet, template};
use crate::users::invitations::Links;
use crate::web::form::{read_multipart, Upload};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_template)
        .service(upload)
        .service(get_import)
        .service(commit_import);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// `xlsx` (the default) or `csv`.
    pub format: Option<String>,
}

/// The template file of an import: its columns, and (XLSX) the streets and industries it may
/// name.
#[utoipa::path(get, path = "/api/v1/imports/{kind}/template", tag = "onboarding",
    params(("kind" = ImportKind, Path, description = "What the file brings in"), TemplateQuery),
    responses((status = 200, description = "XLSX or CSV"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/imports/{kind}/template")]
pub(crate) async fn get_template(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    kind: web::Path<ImportKind>,
    q: QueryParams<TemplateQuery>,
) -> AppResult<HttpResponse> {
    let kind = kind.into_inner();
    match q.0.format.as_deref() {
        None | Some("xlsx") => {
            let bytes = access::read(&db, actor, move |c, p| {
                onboarding::require_importer(p)?;
                template::xlsx(c, kind)
            })
            .await?;
            Ok(file(bytes, XLSX, &format!("{kind}-template.xlsx")))
        }
        Some("csv") => {
            access::read(&db, actor, |_, p| onboarding::require_importer(p)).await?;
            Ok(file(
                template::csv(kind),
                "text/csv; charset=utf-8",
                &format!("{kind}-template.csv"),
            ))
        }
        Some(_) => Err(AppError::field(
            "format",
            msg::ONE_OF.with("choices", "xlsx, csv"),
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// What the file brings in.
    pub kind: ImportKind,
}

/// The upload form: one file.
#[derive(ToSchema, Deserialize)]
#[allow(dead_code)] // describes the multipart body for the API document
#[serde(deny_unknown_fields)]
pub struct ImportForm {
    /// An XLSX, XLS or CSV file (UTF-8, UTF-16 or GBK), its columns named by Chinese or English
    /// headers.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Reads an uploaded file (checked by content: a workbook, or text in an encoding it can read).
pub(crate) async fn read_upload(
    exports: &Exports,
    kind: ImportKind,
    file: Upload,
) -> AppResult<sheet::Table> {
    exports
        .run(move || sheet::read(&file.bytes, onboarding::columns(kind)))
        .await?
}

/// Keeps a read file and answers its preview.
pub(crate) async fn keep_and_preview(
    db: &Db,
    actor: Actor,
    kind: ImportKind,
    file_name: String,
    table: sheet::Table,
) -> AppResult<Import> {
    let id = access::write(db, actor.clone(), move |c, p| {
        onboarding::require_importer(p)?;
        onboarding::keep(c, p.actor.id, kind, &file_name, &table)
    })
    .await?;
    access::read(db, actor, move |c, p| onboarding::show(c, p, id)).await
}

/// Uploads a file to import (multipart field `file`): nothing is written to the registry yet;
/// the answer is the preview (rows new, changed or unchanged; errors by row and column) and the
/// import's id to commit.
#[utoipa::path(post, path = "/api/v1/imports", tag = "onboarding",
    params(UploadQuery),
    request_body(content = ImportForm, content_type = "multipart/form-data", description = "Field `file`: XLSX, XLS or CSV"),
    responses((status = 201, body = Import), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/imports")]
pub(crate) async fn upload(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    exports: web::Data<Exports>,
    ApiUser(actor): ApiUser,
    q: QueryParams<UploadQuery>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let kind = q.0.kind;
    access::read(&db, actor.clone(), |_, p| onboarding::require_importer(p)).await?;
    let (fields, files, _) = read_multipart(payload, settings.max_upload_bytes, false).await?;
    let unknown = fields
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(files.iter().map(|f| f.field.as_str()))
        .find(|name| *name != "file");
    if let Some(name) = unknown {
        return Err(AppError::field(name, msg::UPLOAD_ONLY_FILE));
    }
    let Some(upload) = files.into_iter().next() else {
        return Err(AppError::field("file", msg::UPLOAD_FILE_REQUIRED));
    };
    let file_name = upload.file_name.clone();
    let table = read_upload(&exports, kind, upload).await?;
    let import = keep_and_preview(&db, actor, kind, file_name, table).await?;
    Ok(record_answer(
        true,
        &format!("/api/v1/imports/{}", import.id),
        &import,
    ))
}

/// An import of the caller's, with its preview against the registry as it is now.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "onboarding",
    params(("id" = i64, Path, description = "Import id")),
    responses((status = 200, body = Import), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/imports/{id}")]
pub(crate) async fn get_import(
    db: web::Data<Db>,
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let import = access::read(&db, actor, move |c, p| onboarding::show(c, p, id)).await?;
    Ok(HttpResponse::Ok().json(import))
}

/// Commits an import: every valid row in one transaction with its audit entries (users: each
/// new account with its invitation link). A file with
/// any error is refused whole (422 naming `valid_rows_only`) unless `valid_rows_only` is true.
#[utoipa::path(post, path = "/api/v1/imports/{id}/commit", tag = "onboarding",
    params(("id" = i64, Path, description = "Import id")),
    request_body = CommitImport,
    responses((status = 200, body = Import), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/imports/{id}/commit")]
pub(crate) async fn commit_import(
    db: web::Data<Db>,
    (keys, settings): (web::Data<TokenKeys>, web::Data<Settings>),
    ApiUser(actor): ApiUser,
    id: web::Path<i64>,
    body: JsonBody<CommitImport>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let choice = body.0;
    let (key, days) = (keys.links.clone(), settings.invitation_days);
    let import = access::write(&db, actor, move |c, p| {
        onboarding::commit_kept(c, p, Links { key: &key, days }, id, &choice)
    })
    .await?;
    Ok(HttpResponse::Ok().json(import))
}
