//! One error type for the whole application, answered as `application/problem+json` (RFC 9457).
//!
//! Which variant to use:
//! - [`AppError::NotFound`] for a missing record **and** for a record outside the caller's scope:
//!   the two must be indistinguishable, or ids leak what exists.
//! - [`AppError::Forbidden`] only when the caller may see the record but not do this to it.
//! - [`AppError::Validation`] for bad input, naming every bad field (422).
//! - [`AppError::Conflict`] when the input is fine but the current state forbids it (409).
//! - [`AppError::Internal`] for everything unexpected: the client gets a generic body with the
//!   request id, the log gets the detail.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::message::{from_serde, msg, Text};

tokio::task_local! {
    /// The id of the request being served, set by the request-id middleware.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as sent (JSON key or form field).
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
    /// The same message for pages, which show it in the viewer's language.
    #[serde(skip)]
    pub text: Text,
}

impl FieldError {
    pub fn new(field: &str, text: Text) -> Self {
        Self {
            field: field.to_string(),
            message: text.english(),
            text,
        }
    }
}

/// Collects field errors; `finish` turns them into a 422 if there are any.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error for `field` unless `ok` holds.
    pub fn check(&mut self, ok: bool, field: &str, text: Text) -> &mut Self {
        if !ok {
            self.add(field, text);
        }
        self
    }

    pub fn add(&mut self, field: &str, text: Text) -> &mut Self {
        self.errors.push(FieldError::new(field, text));
        self
    }

    /// Checks a required text field: some visible content (white space and invisible format
    /// characters do not count) and at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        if !value.chars().any(|c| !c.is_whitespace() && !is_format(c)) {
            self.add(field, msg::EMPTY)
        } else {
            self.max_len(field, value, max)
        }
    }

    /// Checks an optional one-line text field (a name, a title): its length, and no control or
    /// format characters (they corrupt pages, exports and logs, or hide and reorder text:
    /// zero-width spaces, bidirectional overrides).
    pub fn max_len(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        let len = value.chars().count();
        if len > max {
            return self.add(field, msg::TOO_LONG.with("max", max).with("got", len));
        }
        self.check(
            !value.chars().any(|c| c.is_control() || is_format(c)),
            field,
            msg::INVISIBLE,
        )
    }

    /// Checks an optional multi-line text field: its length, no control characters other than
    /// line breaks and tabs, and no bidirectional overrides (joiners, as in emoji, are fine).
    pub fn long_text(&mut self, field: &str, value: &str, max: usize) -> &mut Self {
        let len = value.chars().count();
        if len > max {
            return self.add(field, msg::TOO_LONG.with("max", max).with("got", len));
        }
        self.check(
            !value.chars().any(|c| {
                (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_bidi_control(c)
            }),
            field,
            msg::INVISIBLE,
        )
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.errors))
        }
    }
}

/// Unicode format characters (category Cf): invisible, yet they change how text reads —
/// zero-width spaces and joiners, bidirectional overrides and isolates, the BOM, tags.
/// `char::is_control` misses all of them.
pub fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}'
        | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// The characters that reorder text: bidirectional embeddings, overrides and isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A signed message refused for what it is (its key, signature or audience): 403 with its
    /// own problem type, so the sender's alert says which.
    #[error("refused: {detail}")]
    Refused { kind: &'static str, detail: String },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("conflict: {detail}")]
    Conflict { kind: &'static str, detail: String },
    /// A unique constraint refused the write (two racing requests, or a value taken meanwhile).
    /// The database's own message is the cause: it goes to the log, never to the client.
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// The request (head, body and answer) took longer than the server allows.
    #[error("request timeout")]
    Timeout,
    #[error("payload too large")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::Internal(err.to_string())
    }

    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
        }
    }

    pub fn field(field: &str, text: Text) -> Self {
        Self::Validation(vec![FieldError::new(field, text)])
    }

    /// Both errors' field messages, for a form checked in two steps; an error that is not a
    /// validation error wins.
    pub fn merge(self, other: AppError) -> AppError {
        match (self, other) {
            (Self::Validation(mut a), Self::Validation(b)) => {
                a.extend(b);
                Self::Validation(a)
            }
            (Self::Validation(_), other) => other,
            (first, _) => first,
        }
    }

    /// A validation error without the messages about `field` (one the caller fills in itself).
    pub fn without(self, field: &str) -> AppError {
        match self {
            Self::Validation(mut errors) => {
                errors.retain(|e| e.field != field);
                Self::Validation(errors)
            }
            other => other,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::NotFound => "not-found",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Refused { kind, .. } => kind,
            Self::Validation(_) => "validation",
            Self::Conflict { kind, .. } => kind,
            Self::Duplicate(_) => "duplicate",
            Self::BadRequest(_) => "bad-request",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Timeout => "request-timeout",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UnsupportedMedia(_) => "unsupported-media-type",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Unauthorized(_) => "Authentication required",
            Self::Forbidden(_) => "Not allowed",
            Self::Refused { .. } => "Refused",
            Self::Validation(_) => "Invalid input",
            Self::Conflict { .. } | Self::Duplicate(_) => "Conflict",
            Self::BadRequest(_) => "Bad request",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Timeout => "Request timeout",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::UnsupportedMedia(_) => "Unsupported media type",
            Self::Unavailable(_) => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::NotFound => "The record does not exist or is not visible to you.".into(),
            Self::Unauthorized(why) => (*why).into(),
            Self::Forbidden(why)
            | Self::BadRequest(why)
            | Self::PayloadTooLarge(why)
            | Self::UnsupportedMedia(why) => why.clone(),
            Self::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("Invalid fields: {}", fields.join(", "))
            }
            Self::Conflict { detail, .. } | Self::Refused { detail, .. } => detail.clone(),
            Self::Duplicate(_) => "A record with the same unique value exists.".into(),
            Self::TooManyRequests { retry_after_secs } => {
                format!("Too many attempts; retry after {retry_after_secs} seconds.")
            }
            Self::Timeout => "The request took too long to arrive or to answer.".into(),
            Self::Unavailable(_) => "The service is temporarily unavailable.".into(),
            Self::Internal(_) => "An unexpected error occurred. Quote the request id when \
                                  reporting it."
                .into(),
        }
    }
}

/// The problem document (RFC 9457) every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field errors (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } | Self::Duplicate(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout => StatusCode::REQUEST_TIMEOUT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let request_id = current_request_id();
        match self {
            Self::Internal(detail) | Self::Unavailable(detail) => {
                tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = %detail, "request failed");
            }
            Self::Duplicate(cause) => {
                tracing::info!(request_id = request_id.as_deref().unwrap_or("-"), cause = %cause, "unique constraint refused a write");
            }
            _ => {}
        }
        let status = self.status_code();
        let problem = Problem {
            kind: format!("/problems/{}", self.kind()),
            title: self.title().into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            request_id,
        };
        let mut builder = HttpResponse::build(status);
        builder.content_type("application/problem+json");
        match self {
            Self::Unauthorized(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests { retry_after_secs } => {
                builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        builder.json(problem)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Duplicate(info.message().to_string())
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::conflict(
                "reference",
                "The record refers to, or is referred to by, another record.",
            ),
            other => Self::internal(other),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        Self::Unavailable(format!("database pool: {err}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::internal(err)
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Turns actix's own extraction failures (forms, paths) into problem documents. JSON bodies and
/// query strings go through [`crate::extract`], which names the failing field.
pub fn path_error_handler(
    _err: actix_web::error::PathError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    // A malformed id names nothing that exists.
    AppError::NotFound.into()
}

pub fn form_error_handler(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest(format!("Unreadable form: {err}")).into()
}

pub fn json_error_handler(
    err: actix_web::error::JsonPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest(format!("Unreadable JSON body: {err}")).into()
}

pub fn query_error_handler(
    err: actix_web::error::QueryPayloadError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest(format!("Unreadable query string: {err}")).into()
}

/// Maps a serde error with its path to a field error: `grade: unknown variant…` names `grade`;
/// "missing field `email`" names `email` (under its parent's path, if any).
pub fn deserialize_problem(path: &str, message: &str) -> AppError {
    let clean = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string();
    let parent = if path == "." { "" } else { path };
    let field = match clean.strip_prefix("missing field `") {
        Some(rest) => {
            let name = rest.trim_end_matches('`');
            let full = if parent.is_empty() {
                name.to_string()
            } else {
                format!("{parent}.{name}")
            };
            return AppError::field(&full, msg::REQUIRED);
        }
        None if parent.is_empty() => "body".to_string(),
        None => parent.to_string(),
    };
    AppError::field(&field, from_serde(&clean))
}
