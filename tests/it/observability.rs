//! `/metrics`: the Prometheus text, with requests counted per route and the pool and writer
//! gauges, for the addresses allowed to scrape — and a 404 for any other.

use crate::common::TestApp;

#[test]
fn metrics_count_requests_by_route_for_the_allowed_addresses_only() {
    let app = TestApp::spawn_with(|s| s.group_commit = Some(true));
    let member = app.login("member");
    for _ in 0..3 {
        assert_eq!(member.get("/api/v1/findings?per_page=1").status, 200);
    }
    let (status, bytes, headers) = app.anon().get_bytes("/metrics");
    assert_eq!(status, 200);
    assert!(
        headers["content-type"].starts_with("text/plain"),
        "{headers:?}"
    );
    let text = String::from_utf8(bytes).unwrap();
    for needle in [
        "http_requests_total{",
        "route=\"/api/v1/findings\"",
        "http_request_duration_seconds_bucket{",
        "db_pool_connections",
        "db_pool_max_connections",
        "db_writers_waiting",
        "db_writer_turns_free",
        // The login was a write: group-committed, in a batch of its own or with others.
        "db_write_batch_size_bucket{le=\"128\"}",
        "db_write_batches ",
    ] {
        assert!(text.contains(needle), "{needle} in\n{text}");
    }
    // Routes by pattern: an id does not make a series of its own.
    assert!(!text.contains("route=\"/api/v1/findings/1\""));

    // Scraping from elsewhere than the addresses configured: nothing there.
    let closed = TestApp::spawn_with(|s| s.metrics_from = vec!["10.9.8.7".parse().unwrap()]);
    let (status, _, _) = closed.anon().get_bytes("/metrics");
    assert_eq!(status, 404);
}
