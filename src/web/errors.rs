//! Errors of pages: handlers answer with a problem document, and [`page_errors`] shows it as an
//! app page in the viewer's language, with the header and a request id.

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::error::AppError;
use crate::web::{user_json, PageContext, Pages};

/// Errors of page handlers: shown as an app page (see [`page_errors`]), never as JSON.
#[derive(Debug)]
pub enum PageError {
    App(AppError),
    Csrf,
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::App(e) => e.fmt(f),
            Self::Csrf => f.write_str("CSRF token missing or wrong"),
        }
    }
}

/// Which error page a response should become (set by [`PageError`]; otherwise the status).
#[derive(Debug, Clone, Copy)]
pub struct PageErrorKind(pub &'static str);

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::App(e) => e.status_code(),
            Self::Csrf => StatusCode::FORBIDDEN,
        }
    }

    /// The problem document; [`page_errors`] shows it as a page in the viewer's language.
    fn error_response(&self) -> HttpResponse {
        match self {
            Self::App(e) => e.error_response(),
            Self::Csrf => {
                let mut res = AppError::Forbidden("The form expired.".into()).error_response();
                res.extensions_mut().insert(PageErrorKind("csrf"));
                res
            }
        }
    }
}

/// Every error page there is (its title and text are looked up by these names).
pub const ERROR_KINDS: &[&str] = &[
    "400", "403", "404", "405", "408", "413", "415", "422", "429", "500", "503", "csrf",
];

/// The error page for a status (its title and text are looked up by this name).
fn error_kind(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "400",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        503 => "503",
        s if s >= 500 => "500",
        _ => "400",
    }
}

/// Shows the errors of pages — everything but the API, its docs, static files and the health
/// probes — as an app page in the viewer's language, with the header and navigation (a
/// mistyped link, `/favicon.ico`, a 403 or a 500 alike). The API keeps problem+json.
pub async fn page_errors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let path = req.path();
    let is_page = !["/api/", "/static/", "/healthz", "/readyz"]
        .iter()
        .any(|p| path.starts_with(p));
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_page || status.as_u16() < 400 || !is_problem {
        return Ok(res);
    }
    let kind = res
        .response()
        .extensions()
        .get::<PageErrorKind>()
        .map_or_else(|| error_kind(status), |k| k.0);
    let (http, original) = res.into_parts();
    let Some(pages) = http.app_data::<web::Data<Pages>>().cloned() else {
        return Ok(actix_web::dev::ServiceResponse::new(http, original));
    };
    let ctx = PageContext::extract(&http).await?;
    let viewer = crate::auth::WebUser::extract(&http).await.ok();
    let mut data = json!({
        "kind": kind,
        "request_id": crate::error::current_request_id(),
    });
    if let Some(crate::auth::WebUser(actor)) = &viewer {
        data["user"] = user_json(actor);
    }
    let page = match pages.render(&ctx, "error", data) {
        Ok(body) => {
            let mut page = ctx.html(status, body);
            for name in [header::RETRY_AFTER, header::ALLOW] {
                if let Some(v) = original.headers().get(&name) {
                    page.headers_mut().insert(name, v.clone());
                }
            }
            page
        }
        Err(_) => original,
    };
    Ok(actix_web::dev::ServiceResponse::new(http, page))
}
