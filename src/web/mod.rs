//! The page shell: templates (embedded, handlebars, strict), the two languages, static assets,
//! CSRF tokens and cookies. Features render their own pages through [`Pages`].

mod dates;
mod errors;
pub mod form;
pub(crate) mod list;
pub mod pages;
pub mod trail;

pub use dates::{format_date, format_datetime};
pub use errors::{page_errors, PageError, PageErrorKind, ERROR_KINDS};
pub use list::{list_url, page_number, page_size, pager, pager_counted, PageParam, PAGE_SIZES};

use std::collections::HashMap;
use std::future::{ready, Ready};

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::Actor;
use crate::config::Settings;
use crate::error::AppError;
use crate::secret::random_token;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

pub const LANG_COOKIE: &str = "sa_lang";
pub const CSRF_COOKIE: &str = "sa_csrf";
/// What the next page says about the action just done (a dictionary key, shown once).
pub const FLASH_COOKIE: &str = "sa_flash";

/// The two languages of the pages. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "zh-CN" | "zh" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// Compiled templates and the dictionaries of both languages. Built once at start.
pub struct Pages {
    registry: Handlebars<'static>,
    pub(crate) dictionaries: HashMap<&'static str, Value>,
}

impl Pages {
    pub fn new() -> Result<Self, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        handlebars::handlebars_helper!(concat: |a: Json, b: Json| format!("{}{}", plain(a), plain(b)));
        registry.register_helper("concat", Box::new(concat));
        // The message for one field of a form's errors, or nothing (strict mode forbids a plain
        // lookup of a missing key).
        handlebars::handlebars_helper!(field_error: |errors: Json, field: str| errors
            .get(field)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string());
        registry.register_helper("field_error", Box::new(field_error));
        handlebars::handlebars_helper!(split: |s: str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>());
        registry.register_helper("split", Box::new(split));
        // An RFC 3339 instant as Beijing wall-clock time ("2026-12-07 14:00").
        handlebars::handlebars_helper!(when: |s: str| chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&crate::db::types::shanghai()).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| s.to_string()));
        registry.register_helper("when", Box::new(when));
        let mut dictionaries = HashMap::new();
        for path in TemplateFiles::iter() {
            let file =
                TemplateFiles::get(&path).ok_or_else(|| format!("template {path} vanished"))?;
            let text = std::str::from_utf8(&file.data).map_err(|e| format!("{path}: {e}"))?;
            if let Some(name) = path.strip_suffix(".hbs") {
                registry
                    .register_template_string(name, text)
                    .map_err(|e| format!("template {path}: {e}"))?;
            } else if let Some(lang) = path
                .strip_prefix("i18n/")
                .and_then(|p| p.strip_suffix(".json"))
            {
                let value: Value =
                    serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?;
                let lang =
                    Lang::parse(lang).ok_or_else(|| format!("unknown language file {path}"))?;
                dictionaries.insert(lang.code(), value);
            }
        }
        for lang in [Lang::Zh, Lang::En] {
            if !dictionaries.contains_key(lang.code()) {
                return Err(format!(
                    "missing dictionary templates/i18n/{}.json",
                    lang.code()
                ));
            }
        }
        // Both dictionaries must have the same keys, so that no page misses a word in one language.
        let keys = |lang: Lang| -> Vec<String> {
            let mut k: Vec<String> = dictionaries[lang.code()]
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        if keys(Lang::Zh) != keys(Lang::En) {
            return Err("templates/i18n/zh-CN.json and en.json have different keys".into());
        }
        Ok(Self {
            registry,
            dictionaries,
        })
    }

    /// A translated word, for messages built in Rust.
    pub fn word(&self, lang: Lang, key: &str) -> String {
        self.dictionaries[lang.code()][key]
            .as_str()
            .unwrap_or(key)
            .to_string()
    }

    /// Renders mail template `templates/email/<lang>/<name>.hbs` with `data` and the dictionary `t`.
    pub fn render_mail(&self, lang: Lang, name: &str, data: &Value) -> Result<String, String> {
        let mut root = data.as_object().cloned().unwrap_or_default();
        root.insert("t".into(), self.dictionaries[lang.code()].clone());
        let name = format!("email/{}/{name}", lang.code());
        let rendered = self.registry.render(&name, &Value::Object(root));
        rendered.map_err(|e| format!("mail template {name}: {e}"))
    }

    /// Renders a page for a signed-in viewer (the layout's menu is the viewer's) as the response.
    pub fn page(
        &self,
        ctx: &PageContext,
        viewer: &Actor,
        status: StatusCode,
        template: &str,
        mut data: Value,
    ) -> PageResult {
        // A list asked for a page past its end shows its last page.
        if let Some(last) = data["pager"]["past_end"].as_str() {
            return Ok(see_other(last));
        }
        data["user"] = user_json(viewer);
        Ok(ctx.html(status, self.render(ctx, template, data)?))
    }

    /// Asks before an irreversible action: a page with `question` (a dictionary key) about
    /// `subject`, which posts the same form to `action` with `confirmed=yes`, or goes `back`.
    pub fn confirm(
        &self,
        ctx: &PageContext,
        viewer: &Actor,
        form: &form::PageForm,
        (question, subject): (&str, &str),
        action: &str,
        back: &str,
    ) -> PageResult {
        let data = json!({
            "question": self.word(ctx.lang, question), "subject": subject,
            "action": action, "back": back, "fields": form.hidden_fields(),
        });
        self.page(ctx, viewer, StatusCode::OK, "confirm", data)
    }

    /// Renders `template` with `data` merged into the common context (language, dictionary,
    /// user, CSRF token).
    pub fn render(
        &self,
        ctx: &PageContext,
        template: &str,
        data: Value,
    ) -> Result<String, AppError> {
        let mut root = Map::new();
        root.insert("t".into(), self.dictionaries[ctx.lang.code()].clone());
        root.insert("lang".into(), json!(ctx.lang.code()));
        root.insert(
            "other_lang".into(),
            json!(match ctx.lang {
                Lang::Zh => "en",
                Lang::En => "zh-CN",
            }),
        );
        root.insert("csrf".into(), json!(ctx.csrf));
        root.insert("path".into(), json!(ctx.path));
        root.insert("user".into(), Value::Null);
        let flash = ctx
            .flash
            .as_deref()
            .and_then(|key| self.dictionaries[ctx.lang.code()][key].as_str());
        root.insert("flash".into(), json!(flash));
        if let Value::Object(extra) = data {
            root.extend(extra);
        }
        let problems = self.problems(ctx.lang, root.get("errors"));
        root.insert("problems".into(), problems);
        self.registry
            .render(template, &Value::Object(root))
            .map_err(|e| AppError::internal(format!("render {template}: {e}")))
    }
}

impl Pages {
    /// A form's errors as the list above it: each message with the field's label, as the form
    /// names it (`null` when there are none).
    fn problems(&self, lang: Lang, errors: Option<&Value>) -> Value {
        let Some(Value::Object(errors)) = errors else {
            return Value::Null;
        };
        if errors.is_empty() {
            return Value::Null;
        }
        let dictionary = &self.dictionaries[lang.code()];
        errors
            .iter()
            .map(|(field, message)| {
                let label = crate::message::field_label(field)
                    .and_then(|k| dictionary[k].as_str())
                    .map(|l| l.split(['（', '(']).next().unwrap_or(l).trim().to_string());
                json!({"field": field, "label": label, "message": message})
            })
            .collect()
    }
}

/// A JSON value as text: strings without quotes, null as nothing.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What every page needs from the request: the language, the CSRF token (new if the browser has
/// none yet), the path.
pub struct PageContext {
    pub lang: Lang,
    pub csrf: String,
    new_csrf: bool,
    pub path: String,
    secure: bool,
    /// The flash message the previous action left (a dictionary key).
    flash: Option<String>,
}

impl FromRequest for PageContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let lang = req
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .unwrap_or(Lang::Zh);
        let existing = req
            .cookie(CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| {
                v.len() >= 32
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        let secure = req
            .app_data::<web::Data<Settings>>()
            .is_some_and(|s| s.secure_cookies);
        let (csrf, new_csrf) = match existing {
            Some(v) => (v, false),
            None => (random_token(32), true),
        };
        let flash = req
            .cookie(FLASH_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|k| {
                k.len() <= 64
                    && k.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            });
        ready(Ok(Self {
            lang,
            csrf,
            new_csrf,
            path: req.path().to_string(),
            secure,
            flash,
        }))
    }
}

impl PageContext {
    /// Checks a submitted form's token against the cookie (double submit, constant time).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        let a = self.csrf.as_bytes();
        let b = submitted.as_bytes();
        let same = !self.new_csrf
            && a.len() == b.len()
            && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    pub fn cookie<'c>(&self, name: &'c str, value: String, http_only: bool) -> Cookie<'c> {
        let mut c = Cookie::new(name, value);
        c.set_path("/");
        c.set_http_only(http_only);
        c.set_same_site(SameSite::Strict);
        c.set_secure(self.secure);
        c
    }

    /// A 200 HTML response with the CSRF cookie when the browser has none yet.
    pub fn html(&self, status: StatusCode, body: String) -> HttpResponse {
        let mut builder = HttpResponse::build(status);
        builder
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.new_csrf {
            let mut c = self.cookie(CSRF_COOKIE, self.csrf.clone(), true);
            c.set_max_age(CookieDuration::days(1));
            builder.cookie(c);
        }
        if self.flash.is_some() {
            let mut gone = self.cookie(FLASH_COOKIE, String::new(), true);
            gone.make_removal();
            builder.cookie(gone);
        }
        builder.body(body)
    }

    /// The answer to a form that did what it asked: a 303 to `location`, whose page then says
    /// `flash` (a dictionary key) once. Reloading that page posts nothing again.
    pub fn done(&self, location: &str, flash: &str) -> HttpResponse {
        let mut c = self.cookie(FLASH_COOKIE, flash.to_string(), true);
        c.set_max_age(CookieDuration::seconds(60));
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .cookie(c)
            .finish()
    }

    pub fn lang_cookie(&self, lang: Lang) -> Cookie<'static> {
        let mut c = Cookie::new(LANG_COOKIE, lang.code());
        c.set_path("/");
        c.set_same_site(SameSite::Lax);
        c.set_secure(self.secure);
        c.set_max_age(CookieDuration::days(365));
        c
    }
}

/// The per-field messages of a validation error in the page's language, for re-rendering a
/// form: `{field: message}`.
pub fn form_errors(pages: &Pages, lang: Lang, err: &AppError) -> Option<Value> {
    match err {
        AppError::Validation(errors) => {
            let dictionary = &pages.dictionaries[lang.code()];
            let mut map = Map::new();
            for e in errors {
                map.entry(e.field.clone())
                    .or_insert_with(|| Value::String(e.text.render(dictionary)));
            }
            Some(Value::Object(map))
        }
        _ => None,
    }
}

/// What a failed form submission shows again: the per-field errors (422), or for a conflict the
/// `conflict` field with the message `word` (409). Anything else becomes an error page.
pub fn form_failure(
    pages: &Pages,
    lang: Lang,
    err: AppError,
    conflict: (&str, &str),
) -> Result<(Value, StatusCode), PageError> {
    if let Some(errors) = form_errors(pages, lang, &err) {
        return Ok((errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    match err {
        AppError::Conflict { .. } | AppError::Duplicate(_) => {
            let mut errors = Map::new();
            errors.insert(
                conflict.0.to_string(),
                Value::String(pages.word(lang, conflict.1)),
            );
            Ok((Value::Object(errors), StatusCode::CONFLICT))
        }
        other => Err(other.into()),
    }
}

/// A record's id from a page's path: anything that is not one names no record (404).
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.trim().parse().map_err(|_| AppError::NotFound)
}

/// A 303 redirect (after a form post, or to log in).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Accepts only local paths as a redirect target (`/x`, never `//host` or `https://…`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

/// Serves an embedded static asset.
async fn static_file(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match StaticFiles::get(&path) {
        Some(file) => {
            let content_type = match path.rsplit('.').next() {
                Some("css") => "text/css; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("ico") => "image/x-icon",
                Some("woff2") => "font/woff2",
                _ => "application/octet-stream",
            };
            HttpResponse::Ok()
                .content_type(content_type)
                .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
                .insert_header((
                    header::ETAG,
                    format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..8])),
                ))
                .body(file.data.into_owned())
        }
        None => HttpResponse::NotFound().finish(),
    }
}

/// The user as the layout shows it.
pub(crate) fn user_json(actor: &Actor) -> Value {
    json!({
        "id": actor.id,
        "name": actor.name,
        "email": actor.email,
        "role": actor.role.as_str(),
        "is_admin": actor.role == crate::auth::Role::Admin,
        "is_authority": matches!(actor.role, crate::auth::Role::Admin | crate::auth::Role::Regulator),
        "unread": actor.unread.unwrap_or(0),
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{path:.*}", web::get().to(static_file))
        .configure(pages::configure);
}
