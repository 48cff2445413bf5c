//! One way to read a page's form: [`PageForm`] takes an urlencoded or multipart body, checks its
//! CSRF token, keeps the files apart, and fills the same input types as the JSON API, with blank
//! fields read as absent and a failing field named (as [`crate::extract::JsonBody`] does).

use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::TryStreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::config::Settings;
use crate::error::AppError;
use crate::web::{PageContext, PageError};

/// Largest urlencoded form.
pub const FORM_LIMIT: usize = 64 * 1024;

/// A file sent with a form.
pub struct Upload {
    /// The form field it came in.
    pub field: String,
    pub bytes: Vec<u8>,
    /// The file name the browser gave, cleaned (no path, no control characters).
    pub file_name: String,
}

/// A submitted form whose CSRF token matched.
pub struct PageForm {
    fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
    /// Files over the upload limit, left out (their names): the page says which, and keeps the
    /// rest of the form.
    pub too_large: Vec<String>,
}

impl PageForm {
    /// A text field's value ("" when absent).
    pub fn text(&self, name: &str) -> &str {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Removes a field that is not part of the input type (e.g. an idempotency key) and returns
    /// its value, `None` when absent or blank.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let value = self.text(name).trim().to_string();
        self.fields.retain(|(k, _)| k != name);
        (!value.is_empty()).then_some(value)
    }

    /// The form's fields for showing it again after a failure: each key of `blank` (the empty
    /// form) with the value sent, or the blank value when none was.
    pub fn echo(&self, blank: Value) -> Value {
        let Value::Object(blank) = blank else {
            return blank;
        };
        let mut map = Map::new();
        for (k, default) in blank {
            let sent = self.fields.iter().rev().find(|(f, _)| *f == k);
            map.insert(k, sent.map_or(default, |(_, v)| Value::String(v.clone())));
        }
        Value::Object(map)
    }

    /// Fills `T` from the text fields: blank ones count as absent, numbers, dates and enums are
    /// parsed from their text, and a failure names the field (422).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.fields {
            if !v.trim().is_empty() {
                ser.append_pair(k, v.trim_end_matches(['\r', '\n']));
            }
        }
        crate::extract::parse_query(&ser.finish())
    }

    /// Sets a field the page fills in itself (e.g. an id it looked up).
    pub fn set(&mut self, name: &str, value: &str) {
        self.fields.retain(|(k, _)| k != name);
        self.fields.push((name.to_string(), value.to_string()));
    }

    /// Whether the person confirmed an irreversible action on the confirmation page
    /// ([`crate::web::Pages::confirm`]), which sends `confirmed=yes` with the same fields.
    pub fn confirmed(&mut self) -> bool {
        self.take("confirmed").as_deref() == Some("yes")
    }

    /// The text fields as `[{name, value}]`, to send again from a confirmation page.
    pub fn hidden_fields(&self) -> Value {
        self.fields
            .iter()
            .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
            .collect()
    }

    /// Takes every value of a repeated field (e.g. the photos kept from an earlier try).
    pub fn take_all(&mut self, name: &str) -> Vec<String> {
        let (taken, kept) = std::mem::take(&mut self.fields)
            .into_iter()
            .partition(|(k, _)| k == name);
        self.fields = kept;
        taken.into_iter().map(|(_, v)| v).collect()
    }

    /// A field error on `field` for each file left out for its size (none when all fit).
    pub fn too_large_error(&self, field: &str, limit: usize) -> Option<AppError> {
        let max_mb = limit / (1024 * 1024);
        let errors: Vec<_> = self
            .too_large
            .iter()
            .map(|name| {
                let text = crate::message::msg::FILE_TOO_LARGE
                    .with("name", name)
                    .with("max_mb", max_mb);
                crate::error::FieldError::new(field, text)
            })
            .collect();
        (!errors.is_empty()).then_some(AppError::Validation(errors))
    }

    /// Takes the files sent in `field`.
    pub fn take_files(&mut self, field: &str) -> Vec<Upload> {
        let (taken, kept) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|f| f.field == field);
        self.files = kept;
        taken
    }
}

/// A file name safe to show and to put in a header: no path, no control or format characters
/// (a `U+202E` would show `exe.gnp` as `png.exe`), ≤ 100 chars.
pub fn clean_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !crate::error::is_format(*c) && *c != '"')
        .take(100)
        .collect();
    if cleaned.trim().is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// A multipart body read into memory: text fields, files, and the names of files left out for
/// their size.
pub type MultipartBody = (Vec<(String, String)>, Vec<Upload>, Vec<String>);

/// Reads a multipart body into memory: its text fields and its files. A file larger than
/// `limit` answers 413, unless `skip_large` (page forms), which reads past it and names it; a
/// body larger than three such files always answers 413.
pub async fn read_multipart(
    mut payload: Multipart,
    limit: usize,
    skip_large: bool,
) -> Result<MultipartBody, AppError> {
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut too_large = Vec::new();
    let unreadable = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::Payload(p) if matches!(&p, actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut) => {
            AppError::Timeout
        }
        e => AppError::BadRequest(format!("Unreadable multipart body: {e}")),
    };
    let mut total = 0usize;
    while let Some(mut part) = payload.try_next().await.map_err(unreadable)? {
        let name = part.name().unwrap_or("").to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        let mut skipped = false;
        while let Some(chunk) = part.try_next().await.map_err(unreadable)? {
            total += chunk.len();
            let file_too_large = bytes.len() + chunk.len() > limit;
            if total > limit.saturating_mul(3) || (file_too_large && !skip_large) {
                return Err(AppError::PayloadTooLarge(format!(
                    "The file is larger than {limit} bytes."
                )));
            }
            if file_too_large || skipped {
                skipped = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if skipped {
            too_large.push(clean_name(file_name.as_deref()));
            continue;
        }
        match file_name {
            // A file input left empty arrives as a part without content.
            Some(_) if bytes.is_empty() => {}
            Some(file_name) => files.push(Upload {
                field: name,
                bytes,
                file_name: clean_name(Some(&file_name)),
            }),
            None => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| AppError::field(&name, crate::message::msg::NOT_UTF8))?;
                fields.push((name, text));
            }
        }
    }
    Ok((fields, files, too_large))
}

async fn read_urlencoded(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<Vec<(String, String)>, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > FORM_LIMIT) {
        return Err(AppError::PayloadTooLarge(format!(
            "The form is larger than {FORM_LIMIT} bytes."
        )));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.try_next().await.map_err(|e| match e {
        actix_web::error::PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            AppError::Timeout
        }
        e => AppError::BadRequest(format!("Unreadable form: {e}")),
    })? {
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(AppError::PayloadTooLarge(format!(
                "The form is larger than {FORM_LIMIT} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(form_urlencoded::parse(&body).into_owned().collect())
}

impl FromRequest for PageForm {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let ctx = PageContext::extract(&req)
                .await
                .map_err(|e| PageError::App(AppError::internal(e)))?;
            let essence = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            let (mut fields, files, too_large) = match essence.as_str() {
                "multipart/form-data" => {
                    let limit = req
                        .app_data::<web::Data<Settings>>()
                        .map_or(10 * 1024 * 1024, |s| s.max_upload_bytes);
                    read_multipart(Multipart::new(req.headers(), payload), limit, true).await?
                }
                "application/x-www-form-urlencoded" => (
                    read_urlencoded(&req, &mut payload).await?,
                    Vec::new(),
                    Vec::new(),
                ),
                _ => {
                    return Err(AppError::BadRequest("Expected a form.".into()).into());
                }
            };
            let csrf = fields
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            ctx.check_csrf(&csrf)?;
            fields.retain(|(k, _)| k != "csrf");
            // PostgreSQL refuses NUL in text; nobody types one.
            if let Some((k, _)) = fields
                .iter()
                .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            {
                let field = k.replace('\0', "");
                return Err(AppError::field(&field, crate::message::msg::NUL).into());
            }
            Ok(Self {
                fields,
                files,
                too_large,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        count: Option<i64>,
        #[serde(default)]
        note: String,
    }

    fn form(pairs: &[(&str, &str)]) -> PageForm {
        PageForm {
            fields: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            files: Vec::new(),
            too_large: Vec::new(),
        }
    }

    #[test]
    fn blank_fields_are_absent_and_failures_name_the_field() {
        let s: Sample = form(&[("name", "x"), ("count", ""), ("note", "")])
            .parse()
            .unwrap();
        assert_eq!((s.name.as_str(), s.count, s.note.as_str()), ("x", None, ""));
        let e = form(&[("name", "x"), ("count", "many")])
            .parse::<Sample>()
            .unwrap_err();
        assert!(
            matches!(&e, AppError::Validation(f) if f[0].field == "count"),
            "{e:?}"
        );
        let e = form(&[("count", "1")]).parse::<Sample>().unwrap_err();
        assert!(
            matches!(&e, AppError::Validation(f) if f[0].field == "name"),
            "{e:?}"
        );
        let mut f = form(&[("name", "x"), ("key", " k ")]);
        assert_eq!(f.take("key").as_deref(), Some("k"));
        assert!(f.parse::<Sample>().is_ok());
    }
}
