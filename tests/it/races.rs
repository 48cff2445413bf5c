//! Every pair of closed-loop actions, sent at the same moment on one finding: whatever wins, the
//! finding's row must say what its timeline says (state, shared, deadline, pending extension)
//! and each action that answered 200 must appear exactly once. PostgreSQL's READ COMMITTED is
//! where this used to fail; SQLite runs it too.

use std::sync::Barrier;

use serde_json::{json, Value};

use crate::common::{jpeg, Client, TestApp};

const OWNER_ACTIONS: [&str; 4] = [
    "start_rectification",
    "submit_rectification",
    "request_extension",
    "share",
];
const LEAD_ACTIONS: [&str; 5] = [
    "accept",
    "reject",
    "void",
    "grant_extension",
    "refuse_extension",
];

fn day(offset: i64) -> String {
    (safety_alliance::db::types::today() + chrono::Duration::days(offset)).to_string()
}

/// The body of `action`, with what it needs (a reason, a new deadline, a photo).
fn body(owner: &Client, action: &str, n: i64) -> Value {
    match action {
        "reject" | "void" => json!({"action": action, "note": "原因"}),
        "request_extension" => {
            json!({"action": action, "note": "需要更多时间", "deadline": day(30 + n)})
        }
        "submit_rectification" => {
            let photo = owner.upload(&jpeg(&format!("race-{n}")), "after.jpg", "image/jpeg");
            json!({"action": action, "note": "已整改", "attachment_ids": [photo.body["id"]]})
        }
        _ => json!({"action": action}),
    }
}

/// A finding in one of the states the pairs start from.
fn setup(owner: &Client, start: &str) -> i64 {
    let r = owner.post(
        "/api/v1/findings",
        &json!({"title": "并发", "category": "fire", "grade": "general", "treatment": "deadline", "deadline": day(5)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let mut steps: Vec<&str> = match start {
        "reported" => vec!["request_extension"],
        "rectifying" => vec!["start_rectification", "request_extension"],
        _ => vec!["submit_rectification"],
    };
    for step in steps.drain(..) {
        let r = owner.post(
            &format!("/api/v1/findings/{id}/transitions"),
            &body(owner, step, 0),
        );
        assert_eq!(r.status, 200, "{step}: {}", r.body);
    }
    id
}

/// The row agrees with the replayed timeline, and every success is on it once.
fn check(lead: &Client, id: i64, successes: &[&str], label: &str) {
    let f = lead.get(&format!("/api/v1/findings/{id}")).body;
    let timeline = f["timeline"].as_array().unwrap();
    let mut state = "reported".to_string();
    let mut shared = false;
    let mut deadline = Value::String(day(5));
    let mut requested = Value::Null;
    for e in timeline {
        let action = e["action"].as_str().unwrap();
        state = e["to_state"].as_str().unwrap().to_string();
        match action {
            "share" => shared = true,
            "request_extension" => requested = e["deadline"].clone(),
            "grant_extension" => {
                deadline = e["deadline"].clone();
                requested = Value::Null;
            }
            "refuse_extension" | "accept" | "void" => requested = Value::Null,
            _ => {}
        }
    }
    assert_eq!(f["state"], json!(state), "{label}: state");
    assert_eq!(f["shared"], json!(shared), "{label}: shared");
    assert_eq!(f["deadline"], deadline, "{label}: deadline");
    assert_eq!(
        f["extension_requested_until"], requested,
        "{label}: pending extension"
    );
    for action in successes {
        let n = timeline
            .iter()
            .filter(|e| e["action"] == json!(action))
            .count();
        let expected = successes.iter().filter(|a| *a == action).count();
        assert!(
            n >= expected,
            "{label}: {action} answered 200 but is not on the timeline"
        );
    }
}

#[test]
fn every_pair_of_actions_racing_leaves_the_finding_as_its_timeline_says() {
    let app = TestApp::spawn();
    let owner = app.login("member");
    let lead = app.login("lead");
    let all: Vec<(&str, &Client)> = OWNER_ACTIONS
        .iter()
        .map(|a| (*a, &owner))
        .chain(LEAD_ACTIONS.iter().map(|a| (*a, &lead)))
        .collect();
    let mut rounds = 0;
    for (i, (a1, c1)) in all.iter().enumerate() {
        for (a2, c2) in all.iter().skip(i) {
            for start in ["reported", "rectifying", "awaiting_review"] {
                let id = setup(&owner, start);
                let bodies = [body(&owner, a1, 1), body(&owner, a2, 2)];
                let barrier = Barrier::new(2);
                let statuses: Vec<u16> = std::thread::scope(|s| {
                    let handles: Vec<_> = [(*c1, &bodies[0]), (*c2, &bodies[1])]
                        .into_iter()
                        .map(|(client, b)| {
                            let barrier = &barrier;
                            s.spawn(move || {
                                barrier.wait();
                                client
                                    .post(&format!("/api/v1/findings/{id}/transitions"), b)
                                    .status
                            })
                        })
                        .collect();
                    handles.into_iter().map(|h| h.join().unwrap()).collect()
                });
                let label = format!("{start}: {a1} ∥ {a2} → {statuses:?}");
                for status in &statuses {
                    assert!(matches!(status, 200 | 403 | 409 | 422), "{label}");
                }
                let won: Vec<&str> = [*a1, *a2]
                    .into_iter()
                    .zip(&statuses)
                    .filter(|(_, s)| **s == 200)
                    .map(|(a, _)| a)
                    .collect();
                if a1 == a2 {
                    // The same action twice happens once: the second finds it done.
                    assert!(won.len() <= 1, "{label}: done twice");
                }
                if matches!((*a1, *a2), ("grant_extension", "refuse_extension")) {
                    assert!(won.len() <= 1, "{label}: both decisions recorded");
                }
                check(&lead, id, &won, &label);
                rounds += 1;
            }
        }
    }
    assert_eq!(rounds, 45 * 3);
}

/// Eight owners' browsers sharing at once: one share, one timeline entry, one audit entry.
#[test]
fn eight_parallel_shares_share_once() {
    let app = TestApp::spawn();
    let owner = app.login("member");
    let lead = app.login("lead");
    let id = setup(&owner, "awaiting_review");
    let barrier = Barrier::new(8);
    let ok = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (barrier, owner) = (&barrier, &owner);
                s.spawn(move || {
                    barrier.wait();
                    owner
                        .post(
                            &format!("/api/v1/findings/{id}/transitions"),
                            &json!({"action": "share"}),
                        )
                        .status
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|s| *s == 200)
            .count()
    });
    assert_eq!(ok, 1);
    let f = lead.get(&format!("/api/v1/findings/{id}")).body;
    let shares = f["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "share")
        .count();
    assert_eq!(shares, 1);
}
