//! Attachments: photos (JPEG, PNG, WebP) and PDFs, checked by their content, stored on disk
//! content-addressed by SHA-256, and served only to those who may see a finding they belong to
//! (or to their uploader, before they are attached).

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::access::{self, Policy};
use crate::auth::ApiUser;
use crate::config::Settings;
use crate::db::schema::attachments;
use crate::db::types::now;
use crate::db::{AnyConnection, Db};
use crate::error::{AppError, AppResult, Problem};
use crate::findings::model::{AttachmentId, UserId};
use crate::findings::strip;
use crate::findings::{service, store};
use crate::message::msg;
#[cfg(test)]
use crate::web::form::clean_name;
use crate::web::form::{read_multipart, Upload};

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
    crate::config::files_dir(data_dir)
        .join(&sha256[..2])
        .join(sha256)
}

/// Writes the file durably (temp file, fsync, rename, fsync dir) unless it is already stored.
fn store_file(data_dir: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = path_of(data_dir, sha256);
    if path.exists() {
        // Reused: touch it, so that the debris sweep (which spares recent files) cannot take it
        // away before the row that names it commits.
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(std::time::SystemTime::now())?;
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

/// What a sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub temp_files: usize,
    pub orphans: usize,
}

/// Removes the upload debris a crash (kill -9) can leave: half-written temp files, and stored
/// files that no attachment row names. Only files older than `grace` go: a live request writes
/// its file and commits the row naming it within seconds, and touches a file it reuses.
pub fn sweep(
    conn: &mut AnyConnection,
    data_dir: &Path,
    grace: std::time::Duration,
) -> AppResult<Swept> {
    let known: std::collections::HashSet<String> = attachments::table
        .select(attachments::sha256)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let io = |e: std::io::Error| AppError::internal(format!("sweeping uploads: {e}"));
    let mut swept = Swept::default();
    let root = crate::config::files_dir(data_dir);
    let Ok(shards) = std::fs::read_dir(&root) else {
        return Ok(swept);
    };
    let cutoff = std::time::SystemTime::now() - grace;
    for shard in shards {
        let shard = shard.map_err(io)?.path();
        if !shard.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&shard).map_err(io)? {
            let entry = entry.map_err(io)?;
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            let name = entry.file_name().to_string_lossy().into_owned();
            if !old {
                continue;
            }
            if name.starts_with(".tmp") {
                std::fs::remove_file(entry.path()).map_err(io)?;
                swept.temp_files += 1;
            } else if !known.contains(&name) {
                std::fs::remove_file(entry.path()).map_err(io)?;
                swept.orphans += 1;
            }
        }
    }
    Ok(swept)
}

/// A file checked by content and written to disk, not yet recorded: its row is inserted by the
/// transaction that uses it ([`record`]), so a refused form leaves no attachment behind.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: String,
    pub content_type: &'static str,
    pub size: i64,
    pub file_name: String,
}

/// Checks an upload by content and stores the file durably (content-addressed, so storing the
/// same bytes twice keeps one file).
pub async fn store(settings: &Settings, file: Upload) -> AppResult<Stored> {
    let Upload {
        bytes, file_name, ..
    } = file;
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
    Ok(Stored {
        sha256,
        content_type,
        size,
        file_name,
    })
}

/// Records stored files as the user's attachments, with their audit entries, in the caller's
/// transaction.
pub fn record(
    conn: &mut AnyConnection,
    user: UserId,
    files: &[Stored],
) -> AppResult<Vec<Attachment>> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let id: AttachmentId = diesel::insert_into(attachments::table)
            .values((
                attachments::sha256.eq(&f.sha256),
                attachments::content_type.eq(f.content_type),
                attachments::size.eq(f.size),
                attachments::file_name.eq(&f.file_name),
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
            serde_json::json!({"sha256": f.sha256, "content_type": f.content_type, "size": f.size}),
        )?;
        out.push(Attachment {
            id,
            sha256: f.sha256.clone(),
            content_type: f.content_type.into(),
            size: f.size,
            file_name: f.file_name.clone(),
        });
    }
    Ok(out)
}

/// Stores every upload of a page form (field `photo`); a file of the wrong kind is a field
/// error on `photo`.
pub async fn store_photos(settings: &Settings, uploads: Vec<Upload>) -> AppResult<Vec<Stored>> {
    let mut out = Vec::with_capacity(uploads.len());
    for file in uploads {
        out.push(store(settings, file).await.map_err(|e| match e {
            AppError::UnsupportedMedia(_) => AppError::field("photo", msg::FILE_KIND),
            other => other,
        })?);
    }
    Ok(out)
}

/// The upload form: one file.
#[derive(ToSchema, serde::Deserialize)]
#[allow(dead_code)] // describes the multipart body for the API document
#[serde(deny_unknown_fields)]
pub struct UploadForm {
    /// A JPEG, PNG or WebP photo, or a PDF (checked by content).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads a photo or PDF (multipart field `file`); checked by content, not by declared type.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "findings",
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "Field `file`: a JPEG, PNG, WebP or PDF"),
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
    let (fields, files, _) = read_multipart(payload, settings.max_upload_bytes, false).await?;
    // Like a JSON body, the form takes only the fields it documents.
    let unknown = fields
        .iter()
        .map(|(name, _)| name.as_str())
        .chain(files.iter().map(|f| f.field.as_str()))
        .find(|name| *name != "file");
    if let Some(name) = unknown {
        return Err(AppError::field(name, msg::UPLOAD_ONLY_FILE));
    }
    let Some(file) = files.into_iter().next() else {
        return Err(AppError::field("file", msg::UPLOAD_FILE_REQUIRED));
    };
    let stored = store(&settings, file).await?;
    let user = actor.id;
    let mut saved = db
        .write(move |conn| record(conn, user, std::slice::from_ref(&stored)))
        .await?;
    Ok(HttpResponse::Created().json(saved.remove(0)))
}

/// Whether the caller may see a file some other feature attached to its records (an event's
/// materials): features that attach files answer through these, handed to the app by the crate
/// root, so that attachments need not know them.
pub type Viewer = fn(&mut AnyConnection, &Policy, AttachmentId) -> AppResult<bool>;

/// The [`Viewer`]s of the app (app data).
#[derive(Clone, Default)]
pub struct Viewers(pub Vec<Viewer>);

/// How the caller may download an attachment: in full (its uploader, or someone who sees a
/// finding it belongs to), as a shared lesson's photo (under a neutral file name, which could
/// otherwise name the enterprise), or not at all.
#[derive(PartialEq, Eq)]
enum Download {
    Full,
    Lesson,
    Refused,
}

fn may_download(
    conn: &mut AnyConnection,
    policy: &Policy,
    row: &AttachmentRow,
    viewers: &Viewers,
) -> AppResult<Download> {
    if row.uploaded_by == policy.actor.id {
        return Ok(Download::Full);
    }
    let findings = store::findings_of_attachment(conn, row.id)?;
    for finding in &findings {
        if service::may_see(conn, policy, *finding)? {
            return Ok(Download::Full);
        }
    }
    for viewer in &viewers.0 {
        if viewer(conn, policy, row.id)? {
            return Ok(Download::Full);
        }
    }
    for finding in findings {
        if crate::findings::lessons::may_read(conn, policy, finding)? {
            return Ok(Download::Lesson);
        }
    }
    Ok(Download::Refused)
}

/// Loads an attachment the caller may see, with its bytes, or 404.
pub async fn fetch(
    db: &Db,
    (settings, viewers): (&Settings, &Viewers),
    actor: crate::auth::Actor,
    id: AttachmentId,
) -> AppResult<HttpResponse> {
    let viewers = viewers.clone();
    let row = access::read(db, actor, move |conn, policy| {
        let row: AttachmentRow = attachments::table
            .find(id)
            .select(AttachmentRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        match may_download(conn, policy, &row, &viewers)? {
            Download::Refused => Err(AppError::NotFound),
            Download::Full => Ok((row, false)),
            Download::Lesson if strip::LESSON_TYPES.contains(&row.content_type.as_str()) => {
                let ext = row.content_type.rsplit('/').next().unwrap_or("bin");
                let file_name = format!("lesson-{}.{ext}", row.id);
                Ok((AttachmentRow { file_name, ..row }, true))
            }
            Download::Lesson => Err(AppError::NotFound),
        }
    })
    .await?;
    let (row, lesson) = row;
    let path = path_of(&settings.data_dir, &row.sha256);
    // A lesson's photo goes without what could name the enterprise (EXIF, comments): read and
    // stripped off the async workers.
    let content_type = row.content_type.clone();
    let bytes = web::block(move || -> AppResult<Vec<u8>> {
        let bytes = std::fs::read(path)
            .map_err(|e| AppError::internal(format!("reading attachment {id}: {e}")))?;
        match lesson {
            true => strip::strip(&content_type, &bytes).ok_or(AppError::NotFound),
            false => Ok(bytes),
        }
    })
    .await??;
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
    responses((status = 200, description = "The file, served as the type its content was checked to be",
            content(("image/jpeg"), ("image/png"), ("image/webp"), ("application/pdf"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
#[actix_web::get("/attachments/{id}")]
pub async fn download(
    db: web::Data<Db>,
    settings: web::Data<Settings>,
    viewers: web::Data<Viewers>,
    ApiUser(actor): ApiUser,
    id: web::Path<AttachmentId>,
) -> AppResult<HttpResponse> {
    fetch(&db, (&settings, &viewers), actor, id.into_inner()).await
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
