//! Group commit: writes queued together share one transaction and one commit, each in its own
//! savepoint, and are answered only after that commit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use safety_alliance::audit;
use safety_alliance::db::schema::audit_log;
use safety_alliance::error::AppError;
use serde_json::json;

use crate::common::TestApp;

const QUEUED: usize = 24;

/// Holds the writer in a batch of its own until `QUEUED` writes wait behind it, so that they
/// form the next batch together.
#[test]
fn queued_writes_share_one_commit_and_a_failing_one_rolls_back_alone() {
    // (On by default on SQLite; on PostgreSQL too when asked.)
    let app = TestApp::spawn_with(|s| s.group_commit = Some(true));
    let db = app.platform.db.clone();
    let before = db.write_batches().expect("writes are group-committed");
    let results = actix_web::rt::System::new().block_on(async move {
        let running = Arc::new(AtomicBool::new(false));
        let blocker = {
            let (db, waiter, running) = (db.clone(), db.clone(), running.clone());
            actix_web::rt::spawn(async move {
                db.write(move |_| {
                    running.store(true, Ordering::SeqCst);
                    let t = Instant::now();
                    while waiter.writers_waiting() < QUEUED {
                        assert!(
                            t.elapsed() < Duration::from_secs(20),
                            "writes did not queue"
                        );
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Ok(())
                })
                .await
            })
        };
        while !running.load(Ordering::SeqCst) {
            actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        }
        let writes: Vec<_> = (0..QUEUED)
            .map(|i| {
                let db = db.clone();
                actix_web::rt::spawn(async move {
                    db.write(move |conn| {
                        let entry = json!({ "n": i });
                        audit::record(conn, None, "group_test", "test", Some(i as i64), entry)?;
                        match i % 6 {
                            1 => Err(AppError::conflict("test", format!("refused {i}"))),
                            5 => panic!("a write that panics"),
                            _ => Ok(i),
                        }
                    })
                    .await
                })
            })
            .collect();
        blocker.await.unwrap().unwrap();
        let mut results = Vec::new();
        for w in writes {
            results.push(w.await.unwrap());
        }
        results
    });
    assert_eq!(
        app.platform.db.write_batches().unwrap() - before,
        2,
        "the blocker's batch, then one batch of all {QUEUED} queued writes"
    );
    for (i, result) in results.iter().enumerate() {
        match (i % 6, result) {
            (1, Err(AppError::Conflict { detail, .. })) => {
                assert_eq!(detail, &format!("refused {i}"))
            }
            (5, Err(AppError::Internal(_))) => {}
            (1 | 5, other) => panic!("write {i} should have failed: {other:?}"),
            (_, Ok(n)) => assert_eq!(*n, i),
            (_, Err(e)) => panic!("write {i} failed: {e}"),
        }
    }
    let mut conn = app.platform.db.conn().unwrap();
    let mut kept: Vec<i64> = audit_log::table
        .filter(audit_log::action.eq("group_test"))
        .select(audit_log::entity_id.assume_not_null())
        .load(&mut conn)
        .unwrap();
    kept.sort();
    let expected: Vec<i64> = (0..QUEUED as i64)
        .filter(|i| i % 6 != 1 && i % 6 != 5)
        .collect();
    assert_eq!(kept, expected, "only the failed writes rolled back");
    assert!(
        matches!(
            audit::verify(&mut conn).unwrap(),
            audit::ChainCheck::Intact { .. }
        ),
        "the audit chain holds across the savepoints"
    );
}
