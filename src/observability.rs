//! `/metrics` in the Prometheus text format (through the `metrics` crate and its Prometheus
//! exporter): requests and their latency per route, the database pool, and the writers waiting
//! for their turn. It answers only the addresses configured (`SA_METRICS_FROM`, default
//! loopback); anyone else gets 404, as for a page that does not exist.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::config::Settings;
use crate::db::Db;

/// Latency buckets, in seconds: from a cached read to a slow export.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Requests per group commit.
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// The process's recorder, installed once (every app of a process — tests spawn several —
/// records into it).
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("non-empty buckets")
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full("db_write_batch_size".into()),
                &BATCH_BUCKETS,
            )
            .expect("non-empty buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder installed first (an embedding program's) keeps its place; this
        // handle then renders what it has, which is nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts each request and times it, by method, route pattern and status (patterns, not
/// paths: `/api/v1/findings/{id}`, so that ids do not multiply the series).
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    handle();
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.call(req).await?;
    let status = res.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(seconds);
    Ok(res)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics_text));
}

/// The metrics, for the addresses allowed to scrape them.
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 404, description = "Not from an address allowed to scrape")))]
pub async fn metrics_text(
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let allowed = req
        .peer_addr()
        .is_some_and(|a| settings.metrics_from.contains(&a.ip()));
    if !allowed {
        return HttpResponse::NotFound().finish();
    }
    let (connections, idle) = db.pool_state();
    metrics::gauge!("db_pool_connections").set(f64::from(connections));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(idle));
    metrics::gauge!("db_pool_max_connections").set(f64::from(db.pool_max()));
    metrics::gauge!("db_writers_waiting").set(db.writers_waiting() as f64);
    metrics::gauge!("db_writer_turns_free").set(db.writer_turns_free() as f64);
    if let Some(batches) = db.write_batches() {
        metrics::gauge!("db_write_batches").set(batches as f64);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(handle().render())
}
