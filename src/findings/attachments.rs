//! Attachments: photos (JPEG, PNG, WebP) and PDFs, checked by their content, stored on disk
//! content-addressed by SHA-256, and served only to those who may see a finding they belong to
//! (or to their uploader, before they are attached).

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use futures_util::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::access::{self, Policy};
use crate::auth::ApiUser;
use crate::backup::FILES_DIR;
use crate::config::Settings;
use crate::db::schema::attachments;
use crate::db::types::now;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult, Problem};
use crate::findings::model::{AttachmentId, UserId};
use crate::findings::{service, store};

/// What the server stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: AttachmentId,
    pub sha256: String,
    pub content_type: String,
    pub size: i64,
    pub file_name: String,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = attachments)]
struct AttachmentRow {
    id: AttachmentId,
    sha256: String,
    content_type: String,
    file_name: String,
    uploaded_by: UserId,
}

/// The type of a file, read from its first bytes; `None` for anything but the accepted kinds.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

fn path_of(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join(FILES_DIR).join(&sha256[..2]).join(sha256)
}

/// Writes the file durably (temp file, fsync, rename, fsync dir) unless it is already stored.
fn store_file(data_dir: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = path_of(data_dir, sha256);
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().expect("files/<xx>/<sha>");
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

/// A file name safe to show and to put in a header: no path, no control characters, ≤ 100 chars.
fn clean_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// A multipart form read into memory: its text fields and its files (field name, bytes, file
/// name). A file larger than `limit`, or a form larger than three such files, answers 413.
pub struct MultipartForm {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<(String, Vec<u8>, String)>,
}

pub async fn read_multipart(mut payload: Multipart, limit: usize) -> AppResult<MultipartForm> {
    let mut form = MultipartForm {
        fields: Default::default(),
        files: Vec::new(),
    };
    let unreadable = |e: actix_multipart::MultipartError| {
        AppError::BadRequest(format!("Unreadable multipart body: {e}"))
    };
    let mut total = 0usize;
    while let Some(mut field) = payload.try_next().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_string();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(unreadable)? {
            total += chunk.len();
            if bytes.len() + chunk.len() > limit || total > limit.saturating_mul(3) {
                return Err(AppError::PayloadTooLarge(format!(
                    "The file is larger than {limit} bytes."
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(file_name) => {
                // A file input left empty arrives as a part without content.
                if !bytes.is_empty() {
                    form.files.push((name, bytes, clean_name(Some(&file_name))));
                }
            }
            None => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| AppError::field(&name, "is not valid UTF-8 text"))?;
                form.fields.insert(name, text);
            }
        }
    }
    Ok(form)
}

/// Checks a file by content, stores it and records who uploaded it.
pub async fn save(
    db: &Db,
    settings: &Settings,
    user: UserId,
    bytes: Vec<u8>,
    file_name: String,
) -> AppResult<Attachment> {
    let Some(content_type) = sniff(&bytes) else {
        return Err(AppError::UnsupportedMedia(
            "Only JPEG, PNG, WebP photos and PDF documents are accepted (checked by content)."
                .into(),
        ));
    };
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    let data_dir = settings.data_dir.clone();
    let digest = sha256.clone();
    web::block(move || store_file(&data_dir, &digest, &bytes))
        .await?
        .map_err(|e| AppError::internal(format!("storing attachment: {e}")))?;
    let row = Attachment {
        id: AttachmentId(0),
        sha256,
        content_type: content_type.into(),
        size,
        file_name,
    };
    db.write(move |conn| {
        let id: AttachmentId = diesel::insert_into(attachments::table)
            .values((
                attachments::sha256.eq(&row.sha256),
                attachments::content_type.eq(&row.content_type),
                attachments::size.eq(row.size),
                attachments::file_name.eq(&row.file_name),
                attachments::uploaded_by.eq(user),
                attachments::uploaded_at.eq(now()),
            ))
            .returning(attachments::id)
            .get_result(conn)?;
        crate::audit::record(
            conn,
            Some(user),
            "upload",
            "attachment",
            Some(id.0),
            serde_json::json!({"sha256": row.sha256, "content_type": row.content_type, "size": row.size}),
        )?;
        Ok(Attachment { id, ..row })
    })
    .await
}

/// Uploads a photo or PDF (multipart field `file`); checked by content, not by declared type.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "findings",
    request_body(content_type = "multipart/form-data", description = "Field `file`: a JPEG, PNG, WebP or PDF"),
    responses((status = 201, body = Attachment), (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::post("/attachments")]
pub async fn upload(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let form = read_multipart(payload, settings.max_upload_bytes).await?;
    let Some((_, bytes, file_name)) = form.files.into_iter().find(|(name, _, _)| name == "file")
    else {
        return Err(AppError::field(
            "file",
            "is required (multipart field `file`)",
        ));
    };
    let saved = save(&db, &settings, actor.id, bytes, file_name).await?;
    Ok(HttpResponse::Created().json(saved))
}

/// May the caller download this attachment? Its uploader may; others only through a finding
/// they may see.
fn may_download(conn: &mut AnyConnection, policy: &Policy, row: &AttachmentRow) -> AppResult<bool> {
    if row.uploaded_by == policy.actor.id {
        return Ok(true);
    }
    for finding in store::findings_of_attachment(conn, row.id)? {
        if service::may_see(conn, policy, finding)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Loads an attachment the caller may see, with its bytes, or 404.
pub async fn fetch(
    db: &Db,
    settings: &Settings,
    actor: crate::auth::Actor,
    id: AttachmentId,
) -> AppResult<HttpResponse> {
    let row = access::read(db, actor, move |conn, policy| {
        let row: AttachmentRow = attachments::table
            .find(id)
            .select(AttachmentRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        if may_download(conn, policy, &row)? {
            Ok(row)
        } else {
            Err(AppError::NotFound)
        }
    })
    .await?;
    let path = path_of(&settings.data_dir, &row.sha256);
    let bytes = web::block(move || std::fs::read(path))
        .await?
        .map_err(|e| AppError::internal(format!("reading attachment {id}: {e}")))?;
    let disposition = if row.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let encoded: String = form_urlencoded::byte_serialize(row.file_name.as_bytes()).collect();
    Ok(HttpResponse::Ok()
        .content_type(row.content_type.as_str())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename*=UTF-8''{}",
                encoded.replace('+', "%20")
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .insert_header(("content-security-policy", "default-src 'none'; sandbox"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(bytes))
}

/// Downloads an attachment (404 unless the caller may see a finding it belongs to).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "findings",
    params(("id" = i64, Path, description = "Attachment id")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/attachments/{id}")]
pub async fn download(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    ApiUser(actor): ApiUser,
    id: web::Path<AttachmentId>,
) -> AppResult<HttpResponse> {
    fetch(&db, &settings, actor, id.into_inner()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn cleans_file_names() {
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("C:\\\\photos\\\\灭火器.jpg")), "灭火器.jpg");
        assert_eq!(clean_name(Some("a\"b\nc.png")), "abc.png");
        assert_eq!(clean_name(None), "file");
    }
}
