//! Readers never starve: with a small pool and 64 reporters writing at once, reads still answer
//! promptly (writers wait for their turn holding no connection), on both databases.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::TestApp;

#[test]
fn reads_answer_promptly_while_64_reporters_write() {
    // A small pool; the per-address limit raised (every client here is one address).
    let app = TestApp::spawn_with(|s| {
        s.db_pool_size = 4;
        s.max_requests_per_address = 256;
    });
    let member = app.login("member");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "读取用", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let url = format!("/api/v1/findings/{}", r.body["id"]);
    let stop = AtomicBool::new(false);
    let written = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let slowest = std::thread::scope(|s| {
        for _ in 0..64 {
            let (member, stop, written, failed) = (&member, &stop, &written, &failed);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let r = member.post(
                        "/api/v1/findings",
                        &json!({"title": "并发上报", "category": "fire", "grade": "general",
                                "treatment": "on_the_spot"}),
                    );
                    match r.status {
                        201 => written.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        // (The reporters stop whatever the reads find, before anything is asserted.)
        let mut reads = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let r = member.get(&url);
            reads.push((r.status, t.elapsed()));
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        reads
    });
    let statuses: Vec<u16> = slowest.iter().map(|r| r.0).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let slowest = slowest.iter().map(|r| r.1).max().unwrap_or_default();
    assert!(written.load(Ordering::Relaxed) > 64, "the reporters wrote");
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no report failed");
    assert!(
        slowest < Duration::from_secs(2),
        "a read waited {slowest:?} while 64 reporters wrote"
    );
}

/// Slow writes queued beyond the pool's size still leave a reader a connection at once
/// (PostgreSQL keeps a quarter of the pool for readers; SQLite writes one at a time).
#[test]
fn slow_writes_queued_past_the_pool_leave_readers_a_connection() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn_with(|s| s.db_pool_size = 4);
    let db = app.platform.db.clone();
    let waited = actix_web::rt::System::new().block_on(async move {
        let writes: Vec<_> = (0..16)
            .map(|_| {
                let db = db.clone();
                actix_web::rt::spawn(async move {
                    db.write(|_| {
                        std::thread::sleep(Duration::from_millis(150));
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let t = Instant::now();
        db.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
        let waited = t.elapsed();
        for w in writes {
            w.await.unwrap().unwrap();
        }
        waited
    });
    assert!(
        waited < Duration::from_millis(100),
        "a reader waited {waited:?} behind queued writes"
    );
}
