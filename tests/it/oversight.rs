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

pub fn action_body(owner: &Client, action: &str, n: u64) -> Value {
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
    // An enterprise moves to another street and industry: its hazards move with it.
    let district = app.login("district-regulator");
    let wang = app.enterprise_id("老王家常菜馆");
    let xihu = district.get(&format!(
        "/api/v1/enterprises/{}",
        app.enterprise_id("西湖鱼馆")
    ));
    let hazchem = district.get(&format!(
        "/api/v1/enterprises/{}",
        app.enterprise_id("青川华泰化工有限公司")
    ));
    let r = district.patch(
        &format!("/api/v1/enterprises/{wang}"),
        &json!({"region_id": xihu.body["region_id"], "industry_id": hazchem.body["industry_id"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    counters_agree(&app, "after an enterprise moved");
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

/// The summary of `client` for the period around today.
fn summary(client: &Client, extra: &str) -> Value {
    let from = day(-40);
    let to = day(40);
    let r = client.get(&format!(
        "/api/v1/oversight/summary?from={from}&to={to}{extra}"
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

const COUNTS: [&str; 12] = [
    "found",
    "rectified",
    "on_time",
    "overdue",
    "major_open",
    "inspection_batches",
    "inspections_planned",
    "enterprises_inspected",
    "trainings",
    "warning_educations",
    "exchanges",
    "attendances",
];

/// Every breakdown adds up to the total (hazard categories: the hazard figures; months: the
/// figures of the period), and every rate is the summed counts' quotient.
fn breakdowns_add_up(s: &Value) {
    for (breakdown, fields) in [
        ("by_alliance", &COUNTS[..]),
        ("by_street", &COUNTS[..]),
        ("by_industry", &COUNTS[..]),
        ("by_category", &COUNTS[..5]),
        (
            "by_month",
            &[
                "found",
                "rectified",
                "on_time",
                "inspection_batches",
                "trainings",
                "attendances",
            ][..],
        ),
    ] {
        for field in fields {
            let sum: i64 = s[breakdown]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r[*field].as_i64().unwrap())
                .sum();
            assert_eq!(sum, s[*field].as_i64().unwrap(), "{breakdown}.{field}: {s}");
        }
        for row in s[breakdown].as_array().unwrap() {
            let (f, r) = (
                row["found"].as_i64().unwrap(),
                row["rectified"].as_i64().unwrap(),
            );
            match f {
                0 => assert!(row["rectification_rate"].is_null()),
                _ => {
                    let rate = row["rectification_rate"].as_f64().unwrap();
                    assert!((rate - r as f64 / f as f64).abs() < 0.0001, "{row}");
                }
            }
        }
    }
}

fn delta(after: &Value, before: &Value, field: &str) -> i64 {
    after[field].as_i64().unwrap() - before[field].as_i64().unwrap()
}

#[test]
fn the_dashboard_figures_agree_with_the_records_in_every_scope() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let street = app.login("street-regulator");
    let industry = app.login("industry-regulator");
    let lead = app.login("lead");
    let member = app.login("member");
    let before = summary(&district, "");
    let street_before = summary(&street, "");
    let industry_before = summary(&industry, "");

    // Hazards: three at 老王家常菜馆 (东城), one at 西湖鱼馆 (西湖), one voided.
    let report = |client: &Client, body: Value| -> i64 {
        let r = client.post("/api/v1/findings", &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().unwrap()
    };
    let fixed = report(
        &member,
        json!({"title": "软管老化", "category": "equipment", "grade": "general", "treatment": "deadline", "deadline": day(10)}),
    );
    let major = report(
        &member,
        json!({"title": "燃气泄漏报警器失效", "category": "fire", "grade": "major", "treatment": "deadline", "deadline": day(5)}),
    );
    let late = report(
        &member,
        json!({"title": "灭火器过期", "category": "fire", "grade": "general", "treatment": "deadline", "deadline": day(3)}),
    );
    let voided = report(
        &member,
        json!({"title": "误报", "category": "other", "grade": "general", "treatment": "on_the_spot"}),
    );
    let xihu = app.enterprise_id("西湖鱼馆");
    let (xihu_user, _) = crate::events::person(&app, xihu, "xihu");
    report(
        &xihu_user,
        json!({"title": "后厨电线裸露", "category": "electrical", "grade": "general", "treatment": "on_the_spot"}),
    );
    let act = |client: &Client, id: i64, body: Value| {
        let r = client.post(&format!("/api/v1/findings/{id}/transitions"), &body);
        assert_eq!(r.status, 200, "{}", r.body);
    };
    act(&member, fixed, json!({"action": "start_rectification"}));
    act(
        &member,
        fixed,
        action_body(&member, "submit_rectification", 1),
    );
    act(&lead, fixed, json!({"action": "accept"}));
    act(
        &district,
        voided,
        json!({"action": "void", "note": "重复上报"}),
    );
    // Time passes for one of them: its deadline is yesterday (the counters keep deadlines, so
    // the figure follows the calendar without a change of the record).
    {
        use diesel::RunQueryDsl;
        let mut conn = app.platform.db.conn().unwrap();
        safety_alliance::db::write_tx(&mut conn, |conn| {
            diesel::sql_query(format!(
                "UPDATE findings SET deadline = '{}' WHERE id = {late}",
                day(-1)
            ))
            .execute(conn)?;
            safety_alliance::oversight::figures::rebuild(conn)
        })
        .unwrap();
    }

    // A batch of three, one inspection submitted with one failed item (a sixth hazard).
    let (batch, own, _) = crate::inspections::published_trio(&app, &lead);
    let detail = lead.get(&format!("/api/v1/inspections/{}", own["id"]));
    let r = lead.post(
        &format!("/api/v1/inspections/{}/results", own["id"]),
        &crate::inspections::results_body(&detail.body, 1, None),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    // A training held (two people checked in), and a warning education still to come.
    let alliance = crate::inspections::alliance_id(&lead, "东城街道餐饮燃气安全联盟");
    let held = crate::events::plan(
        &lead,
        alliance,
        json!({"starts_at": crate::events::at(-2, 0), "ends_at": crate::events::at(-2, 2)}),
    );
    for name in ["张三", "李四"] {
        let r = lead.post(
            &format!("/api/v1/events/{}/attendance", held["id"]),
            &json!({"enterprise_id": app.enterprise_id("老王家常菜馆"), "name": name}),
        );
        assert!(r.status < 300, "{}", r.body);
    }
    crate::events::plan(
        &lead,
        alliance,
        json!({"kind": "warning_education", "title": "警示教育"}),
    );

    let after = summary(&district, "");
    for (field, expected) in [
        ("found", 5),
        ("rectified", 1),
        ("on_time", 1),
        ("overdue", 1),
        ("major_open", 1),
        ("inspection_batches", 1),
        ("inspections_planned", 3),
        ("enterprises_inspected", 1),
        ("trainings", 1),
        ("warning_educations", 0),
        ("exchanges", 0),
        ("attendances", 2),
    ] {
        assert_eq!(delta(&after, &before, field), expected, "{field}: {after}");
    }
    breakdowns_add_up(&after);
    assert!(after["enterprises"].as_i64().unwrap() > 0);
    assert!(after["alliances"].as_i64().unwrap() > 0);

    // Each figure is the total of the list behind it.
    let period = format!(
        "from={}&to={}",
        after["from"].as_str().unwrap(),
        after["to"].as_str().unwrap()
    );
    for (path, field) in [
        (format!("/api/v1/findings?{period}&voided=false"), "found"),
        (
            format!("/api/v1/findings?{period}&state=closed"),
            "rectified",
        ),
        ("/api/v1/findings?overdue=true".to_string(), "overdue"),
        (
            "/api/v1/findings?open=true&grade=major".to_string(),
            "major_open",
        ),
        (
            format!("/api/v1/oversight/batches?{period}"),
            "inspection_batches",
        ),
        (
            format!("/api/v1/oversight/inspections?{period}"),
            "enterprises_inspected",
        ),
        (
            format!("/api/v1/oversight/events?{period}&kind=training"),
            "trainings",
        ),
    ] {
        let r = district.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["total"], after[field], "{path}");
    }
    let row = after["by_alliance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"].as_str() == Some(alliance.to_string().as_str()))
        .unwrap()
        .clone();
    let r = district.get(&format!(
        "/api/v1/findings?{period}&voided=false&alliance_id={alliance}"
    ));
    assert_eq!(r.body["total"], row["found"], "{row}");
    let r = district.get(&format!(
        "/api/v1/oversight/batches?{period}&alliance_id={alliance}"
    ));
    assert_eq!(r.body["total"], row["inspection_batches"], "{row}");
    assert_eq!(r.body["items"][0]["id"].as_i64(), Some(batch));

    // Every alliance in scope is listed with its figures, the idle ones too.
    let listed = district.get(&format!(
        "/api/v1/oversight/alliances?{period}&per_page=100"
    ));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let all = district.get("/api/v1/alliances?per_page=100").body["total"].clone();
    assert_eq!(listed.body["total"], all);
    let ours = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"].as_str() == Some(alliance.to_string().as_str()))
        .unwrap();
    assert_eq!(ours["found"], row["found"]);
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["found"] == 0 && r["trainings"] == 0));
    // A street regulator counts only the street's; an industry regulator only the industry's.
    let street_after = summary(&street, "");
    assert_eq!(
        delta(&street_after, &street_before, "found"),
        4,
        "{street_after}"
    );
    assert_eq!(street_after["by_street"].as_array().unwrap().len(), 1);
    breakdowns_add_up(&street_after);
    let industry_after = summary(&industry, "");
    assert_eq!(delta(&industry_after, &industry_before, "found"), 0);
    assert_eq!(delta(&industry_after, &industry_before, "trainings"), 0);
    // Narrowed to 西湖街道, the district sees that street's one hazard.
    let xihu_region =
        district.get(&format!("/api/v1/enterprises/{xihu}")).body["region_id"].clone();
    let narrowed = summary(&district, &format!("&region_id={xihu_region}"));
    let narrowed_before_found = before["by_street"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"].as_str() == Some(xihu_region.to_string().as_str()))
        .map_or(0, |r| r["found"].as_i64().unwrap());
    assert_eq!(
        narrowed["found"].as_i64().unwrap() - narrowed_before_found,
        1
    );

    // Enterprises do not open it; a bad period is refused naming the field.
    assert_eq!(member.get("/api/v1/oversight/summary").status, 404);
    assert_eq!(lead.get("/api/v1/oversight/events").status, 404);
    let r = district.get("/api/v1/oversight/summary?from=2026-05-01&to=2026-04-01");
    assert_eq!(r.error_fields(), ["to"]);
    let _ = major;
}
