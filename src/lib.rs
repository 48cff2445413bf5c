//! The safety-alliance platform: builds the application that `main` serves and tests spawn.

pub mod access;
pub mod api;
pub mod audit;
pub mod audit_checkpoint;
pub mod auth;
pub mod backup;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod federation;
pub mod findings;
pub mod health;
pub mod home;
pub mod inspections;
pub mod limits;
pub mod message;
pub mod notify;
pub mod observability;
pub mod onboarding;
pub mod openapi;
pub mod org;
pub mod oversight;
pub mod secret;
pub mod seed;
pub mod users;
pub mod web;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web as aweb, App, HttpServer, ResponseError};
use utoipa::OpenApi;

use crate::auth::token::TokenKeys;
use crate::config::Settings;
use crate::db::{Backend, Db};
use crate::error::AppError;

/// The log filter for a user's `SA_LOG` setting. Template rendering is never logged below
/// `warn`: at debug level handlebars would write the page data (names, emails) to the log.
pub fn log_filter(spec: &str) -> tracing_subscriber::EnvFilter {
    let base = tracing_subscriber::EnvFilter::try_new(spec)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    base.add_directive("handlebars=warn".parse().expect("valid directive"))
}

/// The logging of the binary and of the tests: the filter of [`log_filter`], lines without
/// targets, written by `writer`.
pub fn logging<W>(spec: &str, writer: W, ansi: bool) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(spec))
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        .finish()
}

/// Everything the server needs, prepared: database connected and migrated, secrets loaded.
#[derive(Clone)]
pub struct Platform {
    pub settings: Settings,
    pub db: Db,
    pub keys: std::sync::Arc<TokenKeys>,
    /// Wakes this instance's scheduler.
    pub wake: notify::Wake,
}

/// What preparing the platform did that the operator should know.
#[derive(Debug, Default)]
pub struct Prepared {
    pub migrations_applied: Vec<String>,
    /// Demo logins when the demo district was loaded into a new embedded database.
    pub demo_logins: Vec<seed::DemoLogin>,
    pub demo_logins_file: Option<PathBuf>,
}

impl Platform {
    /// Connects, migrates, loads or creates the token secret, and on a new embedded (SQLite)
    /// database loads the demo district.
    pub fn prepare(settings: Settings) -> Result<(Self, Prepared), String> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                settings.data_dir.display()
            )
        })?;
        let db = Db::connect(
            &settings.database_url(),
            settings.db_pool_size,
            settings.sqlite_synchronous,
        )?;
        let mut prepared = Prepared {
            migrations_applied: db.run_migrations()?,
            ..Default::default()
        };
        let secret = settings.load_token_secret()?;
        let grouped = settings
            .group_commit
            .unwrap_or(db.backend() == Backend::Sqlite);
        let db = db
            .seal_audit_with(settings.load_audit_key()?)
            .group_commit(grouped);
        let keys = TokenKeys::new(
            &secret,
            settings.access_ttl(),
            settings.refresh_ttl(),
            settings.web_ttl(),
        );
        {
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            let swept = findings::attachments::sweep(
                &mut conn,
                &settings.data_dir,
                Duration::from_secs(3600),
            )
            .map_err(|e| e.to_string())?;
            if swept != Default::default() {
                tracing::info!(
                    temp_files = swept.temp_files,
                    orphans = swept.orphans,
                    "upload debris removed"
                );
            }
        }
        if db.backend() == Backend::Sqlite {
            let mut conn = db.conn().map_err(|e| e.to_string())?;
            if seed::is_empty(&mut conn).map_err(|e| e.to_string())? {
                let logins = db::with_sealing_key(db.sealing_key(), || seed::load_demo(&mut conn))
                    .map_err(|e| format!("loading demo data: {e}"))?;
                let path = settings.data_dir.join("demo-logins.txt");
                seed::write_logins(&path, &logins)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                prepared.demo_logins = logins;
                prepared.demo_logins_file = Some(path);
            }
        }
        Ok((
            Self {
                settings,
                db,
                keys: std::sync::Arc::new(keys),
                wake: notify::Wake::default(),
            },
            prepared,
        ))
    }

    /// Appends a signed checkpoint of the audit chain's head to `<data dir>/audit-checkpoints.log`
    /// (and to the log) if the head moved since the last one. Returns the new checkpoint.
    pub fn checkpoint_audit(&self) -> Result<Option<audit_checkpoint::Checkpoint>, String> {
        let path = audit_checkpoint::file(&self.settings.data_dir);
        let mut conn = self.db.conn().map_err(|e| e.to_string())?;
        let Some((entry_id, head)) = audit::head(&mut conn).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let last = audit_checkpoint::last(&path)?;
        if last
            .as_ref()
            .is_some_and(|c| c.entry_id == entry_id && c.head == head)
        {
            return Ok(None);
        }
        let key = self.settings.load_audit_key()?;
        let checkpoint = audit_checkpoint::Checkpoint::new(&key, db::types::now(), entry_id, head);
        audit_checkpoint::append(&path, &checkpoint)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        tracing::info!(
            entry = checkpoint.entry_id,
            head = %checkpoint.head,
            "audit checkpoint"
        );
        Ok(Some(checkpoint))
    }

    /// The outbox worker of this instance, delivering through `transport`.
    pub fn worker(
        &self,
        transport: notify::mail::Transport,
    ) -> Result<notify::worker::Worker, String> {
        let from = self
            .settings
            .mail_from
            .parse()
            .map_err(|e| format!("SA_MAIL_FROM: {e}"))?;
        let mut worker =
            notify::worker::Worker::new(self.db.clone(), transport, from, &self.settings.site())?;
        worker.courier = Some(federation::delivery::deliver);
        Ok(worker)
    }

    /// Starts the outbox worker (mail through `SMTP_URL`, else files in `<data dir>/outbox/`) and
    /// the scheduler, as the settings ask, on the current runtime.
    pub fn start_background(&self) -> Result<(), String> {
        if self.settings.settable_clock {
            // A calendar moved before this instance started (or by another) holds here too.
            let mut conn = self.db.conn().map_err(|e| e.to_string())?;
            let days = notify::schedule::stored_days(&mut conn).map_err(|e| e.to_string())?;
            db::types::set_days_moved(days);
        }
        if self.settings.outbox_poll_ms > 0 {
            let smtp = self
                .settings
                .smtp_url
                .as_ref()
                .map(|u| u.expose().to_string());
            let transport =
                notify::mail::Transport::configured(smtp.as_deref(), &self.settings.outbox_dir())?;
            tracing::info!(transport = transport.name(), "outbox worker started");
            let worker = self.worker(transport)?;
            let poll = Duration::from_millis(self.settings.outbox_poll_ms);
            actix_web::rt::spawn(worker.run(poll));
        }
        if self.settings.schedule_secs > 0 {
            let every = Duration::from_secs(self.settings.schedule_secs);
            actix_web::rt::spawn(notify::schedule::run(
                self.db.clone(),
                every,
                self.wake.0.clone(),
                self.settings.settable_clock,
            ));
        }
        Ok(())
    }

    /// Builds the HTTP server on a bound listener.
    pub fn server(&self, listener: TcpListener) -> std::io::Result<Server> {
        let db = aweb::Data::new(self.db.clone());
        let keys = aweb::Data::from(self.keys.clone());
        let settings = aweb::Data::new(self.settings.clone());
        let hashing = aweb::Data::new(limits::PasswordHashing::new(self.settings.password_hashing));
        let request_limits = aweb::Data::new(limits::RequestLimits::new(
            Duration::from_secs(self.settings.request_timeout.max(1)),
            self.settings.max_requests_per_address,
        ));
        let pages = aweb::Data::new(
            crate::web::Pages::new()
                .map_err(|e| std::io::Error::other(format!("templates: {e}")))?,
        );
        let callers = aweb::Data::new(auth::callers::Callers::default());
        let wake = aweb::Data::new(self.wake.clone());
        let exports = aweb::Data::new(limits::Exports::default());
        let summaries = aweb::Data::new(limits::Summaries::default());
        // Files attached by features other than findings, and who may download them.
        let viewers = aweb::Data::new(findings::attachments::Viewers(vec![
            events::records::may_see_material,
        ]));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(db.clone())
                .app_data(exports.clone())
                .app_data(summaries.clone())
                .app_data(viewers.clone())
                .app_data(keys.clone())
                .app_data(callers.clone())
                .app_data(wake.clone())
                .app_data(settings.clone())
                .app_data(pages.clone())
                .app_data(hashing.clone())
                .app_data(request_limits.clone())
                .app_data(aweb::PathConfig::default().error_handler(error::path_error_handler))
                .app_data(
                    aweb::FormConfig::default()
                        .limit(64 * 1024)
                        .error_handler(error::form_error_handler),
                )
                .app_data(aweb::JsonConfig::default().error_handler(error::json_error_handler))
                .app_data(aweb::QueryConfig::default().error_handler(error::query_error_handler))
                .app_data(aweb::PayloadConfig::new(extract::JSON_LIMIT))
                .wrap(from_fn(crate::web::page_errors))
                .wrap(from_fn(bounded))
                .wrap(from_fn(request_context))
                .wrap(from_fn(crate::observability::record))
                .configure(configure)
                .default_service(aweb::to(unmatched))
        })
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(5))
        .keep_alive(Duration::from_secs(30))
        .shutdown_timeout(10);
        if let Some(workers) = self.settings.workers {
            server = server.workers(workers.max(1));
        }
        Ok(server.listen(listener)?.run())
    }
}

/// Every route of the application.
pub fn configure(cfg: &mut aweb::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(crate::observability::configure)
        .route(
            "/api/docs",
            aweb::get().to(|| async { crate::web::see_other("/api/docs/") }),
        )
        .service(
            // The docs page and the document it reads, both served by the binary (no CDN).
            utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
                .url("/api/openapi.json", openapi::ApiDoc::openapi()),
        )
        .service(
            aweb::scope("/api/v1")
                .configure(auth::routes::configure)
                .configure(users::routes::configure)
                .configure(users::invitation_routes::configure)
                .configure(org::registry_routes::configure)
                .configure(org::exports::configure_api)
                .configure(org::routes::configure)
                .configure(findings::routes::configure)
                .configure(inspections::routes::configure)
                .configure(events::routes::configure)
                .configure(oversight::routes::configure)
                .configure(notify::routes::configure)
                .configure(notify::admin::configure)
                .configure(onboarding::routes::configure)
                .configure(federation::routes::configure)
                .default_service(aweb::to(unmatched)),
        )
        .configure(crate::web::configure)
        .configure(home::configure)
        .configure(org::pages::configure)
        .configure(org::registry_pages::configure)
        .configure(org::exports::configure_pages)
        .configure(findings::pages::configure)
        .configure(inspections::pages::configure)
        .configure(events::pages::configure)
        .configure(oversight::pages::configure)
        .configure(users::invite_pages::configure)
        .configure(users::pages::configure)
        .configure(notify::pages::configure)
        .configure(notify::settings_pages::configure)
        .configure(onboarding::pages::configure)
        .configure(federation::pages::configure);
}

/// The methods the API document lists for each path template, split into segments.
fn documented_methods() -> &'static Vec<(Vec<String>, Vec<String>)> {
    static PATHS: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        let doc = serde_json::to_value(openapi::ApiDoc::openapi()).unwrap_or_default();
        doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path.split('/').map(str::to_string).collect();
                        let methods = item
                            .as_object()
                            .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                            .unwrap_or_default();
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Requests no route matched: 405 with `Allow` when the path exists with other methods, else 404.
async fn unmatched(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let segments: Vec<&str> = req.path().split('/').collect();
    let allowed = documented_methods().iter().find(|(template, _)| {
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    });
    match allowed {
        Some((_, methods)) => {
            let problem = error::Problem {
                kind: "/problems/method-not-allowed".into(),
                title: "Method not allowed".into(),
                status: 405,
                detail: format!("Use one of: {}.", methods.join(", ")),
                errors: Vec::new(),
                request_id: error::current_request_id(),
            };
            actix_web::HttpResponse::MethodNotAllowed()
                .insert_header((actix_web::http::header::ALLOW, methods.join(", ")))
                .content_type("application/problem+json")
                .json(problem)
        }
        None => AppError::NotFound.error_response(),
    }
}

/// Gives each request an id (kept from a well-formed `X-Request-Id`), logs one line per request
/// (method, path without query, status, time), and sets the browser-side security headers.
/// Bounds each client address in requests in progress (429 beyond) and every request body in
/// time (408 when it has not arrived within the limit), so that slow clients cannot exhaust the
/// server. The head is bounded by the server's client request timeout.
async fn bounded(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let Some(limits) = req.app_data::<aweb::Data<limits::RequestLimits>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let address = auth::service::client_address(req.request());
    let Some(slot) = limits.clone().into_inner().enter(address) else {
        let refused = error::AppError::TooManyRequests {
            retry_after_secs: 1,
        };
        return Ok(req.error_response(refused));
    };
    let body = limits::Deadline::new(req.take_payload(), limits.timeout);
    req.set_payload(actix_web::dev::Payload::from(
        Box::pin(body) as limits::BoxedBody
    ));
    let res = next.call(req).await?;
    drop(slot);
    Ok(res.map_into_boxed_body())
}

async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| secret::random_token(9));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let started = Instant::now();
    let mut res = error::REQUEST_ID.scope(id.clone(), next.call(req)).await?;
    let status = res.status().as_u16();
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    let csp = if path.starts_with("/api/docs") {
        // Swagger UI (served locally) needs inline styles and data: images.
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    } else {
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    };
    // A handler may set a stricter policy of its own (attachments are sandboxed).
    if !headers.contains_key("content-security-policy") {
        headers.insert(
            HeaderName::from_static("content-security-policy"),
            HeaderValue::from_static(csp),
        );
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    // A personal calendar address is a secret: its token stays out of the log.
    // So is a one-time link to set a password.
    let path = match path.strip_prefix("/api/v1/calendar/") {
        Some(rest) if rest.ends_with(".ics") => "/api/v1/calendar/{feed_token}.ics".to_string(),
        _ if path.starts_with("/invite/") => "/invite/{token}".to_string(),
        _ => path,
    };
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status,
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    Ok(res)
}
