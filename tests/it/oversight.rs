//! Oversight: the hazard counters stay exactly the records' counts through any sequence of
//! reports and actions (several people acting at once, on both databases).

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::common::{jpeg, Client, TestApp};

fn day(offset: i64) -> String {
    (safety_alliance::db::types::today() + chrono::Duration::days(offset)).to_string()
}

const ACTIONS: [&str; 9] = [
    "start_rectification",
    "submit_rectification",
    "accept",
    "reject",
    "void",
    "request_extension",
    "grant_extension",
    "refuse_extension",
    "share",
];

fn action_body(owner: &Client, action: &str, n: u64) -> Value {
    match action {
        "reject" | "void" | "refuse_extension" => json!({"action": action, "note": "原因"}),
        "request_extension" => {
            json!({"action": action, "note": "需要更多时间", "deadline": day(20 + (n % 9) as i64)})
        }
        "submit_rectification" => {
            let photo = owner.upload(&jpeg(&format!("fig-{n}")), "after.jpg", "image/jpeg");
            json!({"action": action, "note": "已整改", "attachment_ids": [photo.body["id"]]})
        }
        _ => json!({"action": action}),
    }
}

fn counters_agree(app: &TestApp, label: &str) {
    let mut conn = app.platform.db.conn().unwrap();
    let stored = safety_alliance::oversight::figures::stored(&mut conn).unwrap();
    let recount = safety_alliance::oversight::figures::recount(&mut conn).unwrap();
    assert_eq!(stored, recount, "{label}");
}

#[test]
fn hazard_counters_equal_a_full_recount_after_random_operations() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let owners = [member.clone(), app.login("lead")];
    let reviewers = [app.login("lead"), app.login("district-regulator")];
    counters_agree(&app, "seeded");
    // Four people at once, each reporting and acting on findings at random.
    std::thread::scope(|s| {
        for worker in 0..4u64 {
            let (owners, reviewers) = (&owners, &reviewers);
            s.spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(worker);
                let mut mine: Vec<(i64, usize)> = Vec::new();
                for n in 0..25u64 {
                    let owner_ix = (worker as usize) % owners.len();
                    if mine.is_empty() || rng.gen_bool(0.3) {
                        let deadline = rng.gen_bool(0.5);
                        let grade = if rng.gen_bool(0.2) {
                            "major"
                        } else {
                            "general"
                        };
                        let category = ["fire", "electrical", "equipment"][rng.gen_range(0..3)];
                        let body = if deadline {
                            json!({"title": "随机隐患", "category": category, "grade": grade,
                                   "treatment": "deadline", "deadline": day(rng.gen_range(-3..10))})
                        } else {
                            json!({"title": "随机隐患", "category": category, "grade": grade,
                                   "treatment": "on_the_spot"})
                        };
                        let r = owners[owner_ix].post("/api/v1/findings", &body);
                        // A deadline in the past is refused; anything else is a report.
                        assert!(r.status == 201 || r.status == 422, "{}", r.body);
                        if r.status == 201 {
                            mine.push((r.body["id"].as_i64().unwrap(), owner_ix));
                        }
                        continue;
                    }
                    let (id, owner_ix) = mine[rng.gen_range(0..mine.len())];
                    let action = ACTIONS[rng.gen_range(0..ACTIONS.len())];
                    let actor = match action {
                        "accept" | "reject" | "void" | "grant_extension" | "refuse_extension" => {
                            &reviewers[rng.gen_range(0..reviewers.len())]
                        }
                        _ => &owners[owner_ix],
                    };
                    let body = action_body(&owners[owner_ix], action, worker * 100 + n);
                    let r = actor.post(&format!("/api/v1/findings/{id}/transitions"), &body);
                    assert!(r.status < 500, "{action}: {}", r.body);
                }
            });
        }
    });
    counters_agree(&app, "after the random operations");
    let mut conn = app.platform.db.conn().unwrap();
    let counted = safety_alliance::oversight::figures::recount(&mut conn).unwrap();
    assert!(
        counted.found.len() > 1 && !counted.open.is_empty(),
        "{counted:?}"
    );
    // The migration that brought the counters in counts the findings already there alike.
    use diesel_migrations::MigrationHarness;
    let sqlite = matches!(*conn, safety_alliance::db::AnyConnection::Sqlite(_));
    let migrations = || {
        if sqlite {
            safety_alliance::db::SQLITE_MIGRATIONS
        } else {
            safety_alliance::db::POSTGRES_MIGRATIONS
        }
    };
    loop {
        let version = conn
            .revert_last_migration(migrations())
            .unwrap()
            .to_string();
        if version.ends_with("000010") {
            break;
        }
    }
    conn.run_pending_migrations(migrations()).unwrap();
    drop(conn);
    counters_agree(&app, "after the migration counted them");
}
