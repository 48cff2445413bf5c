//! The monthly evaluation: what it measures agrees with the records, scores and ranks follow the
//! weights, a published month stays frozen until it is recomputed on purpose (audited), each
//! caller sees their part, and two publications racing store the month once.

use std::sync::Barrier;

use chrono::Datelike;
use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::inspections::alliance_id;

const DONGCHENG: &str = "东城街道餐饮燃气安全联盟";

fn month(offset: i32) -> String {
    let today = safety_alliance::db::types::today().with_day(1).unwrap();
    let m = if offset < 0 {
        today
            .checked_sub_months(chrono::Months::new((-offset) as u32))
            .unwrap()
    } else {
        today
    };
    m.format("%Y-%m").to_string()
}

fn evaluation(client: &Client, month: &str) -> Value {
    let r = client.get(&format!("/api/v1/oversight/evaluations?month={month}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn row<'a>(e: &'a Value, list: &str, name: &str) -> &'a Value {
    e[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {e}"))
}

/// Dates the findings matching `filter` in the middle of `month` (and recounts the counters,
/// as a finding reported then would have counted).
fn date_findings(app: &TestApp, month: &str, filter: &str) {
    let mut conn = app.platform.db.conn().unwrap();
    safety_alliance::db::write_tx(&mut conn, |conn| {
        diesel::sql_query(format!(
            "UPDATE findings SET reported_at = '{month}-15 04:00:00' WHERE {filter}"
        ))
        .execute(conn)?;
        safety_alliance::oversight::figures::rebuild(conn)
    })
    .unwrap();
}

fn report(client: &Client, title: &str) -> i64 {
    let r = client.post(
        "/api/v1/findings",
        &json!({"title": title, "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

#[test]
fn the_evaluation_measures_what_happened_and_scores_by_the_weights() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let district = app.login("district-regulator");
    let alliance = alliance_id(&lead, DONGCHENG);
    let fixed = report(&member, "软管老化");
    report(&member, "报警器失效");
    for (who, body) in [
        (&member, json!({"action": "start_rectification"})),
        (
            &member,
            crate::oversight::action_body(&member, "submit_rectification", 3),
        ),
        (&lead, json!({"action": "accept"})),
    ] {
        let r = who.post(&format!("/api/v1/findings/{fixed}/transitions"), &body);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // A training held this month: two registered, one came.
    // (Within this Beijing month even in its first hours.)
    let now = chrono::Utc::now();
    let month_start = safety_alliance::db::types::today()
        .with_day(1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let start = (now - chrono::Duration::hours(3)).max(month_start);
    let e = crate::events::plan(
        &lead,
        alliance,
        json!({"starts_at": start.to_rfc3339(),
               "ends_at": (start + (now - start) / 2).to_rfc3339()}),
    );
    let wang = app.enterprise_id("老王家常菜馆");
    let (_, a) = crate::events::person(&app, wang, "eva-a");
    let (_, b) = crate::events::person(&app, wang, "eva-b");
    let mut conn = app.platform.db.conn().unwrap();
    safety_alliance::db::write_tx(&mut conn, |conn| {
        for u in [a, b] {
            diesel::sql_query(format!(
                "INSERT INTO registrations (event_id, enterprise_id, user_id, registered_by, registered_at) \
                 VALUES ({}, {wang}, {u}, {u}, CURRENT_TIMESTAMP)",
                e["id"]
            ))
            .execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
    drop(conn);
    let r = lead.post(
        &format!("/api/v1/events/{}/attendance", e["id"]),
        &json!({"user_id": a}),
    );
    assert!(r.status < 300, "{}", r.body);

    let this = month(0);
    let ev = evaluation(&district, &this);
    assert_eq!(ev["published"], false);
    let dongcheng = row(&ev, "alliances", DONGCHENG);
    let m = &dongcheng["metrics"];
    assert_eq!(m["found"], 2, "{m}");
    assert_eq!(m["rectified"], 1);
    assert_eq!(m["rectification_rate"], 0.5);
    assert_eq!(m["on_time"], 1);
    assert_eq!(m["events_held"], 1);
    assert_eq!(m["registered"], 2);
    assert_eq!(m["attended"], 1);
    assert_eq!(m["attendance_rate"], 0.5);
    assert!(m["members"].as_i64().unwrap() >= 3);
    let street = row(&ev, "streets", "东城街道");
    assert_eq!(street["metrics"]["found"], 2);
    assert_eq!(street["metrics"]["events_held"], 1);
    // Scores and ranks are the rule's, applied to every alliance of the district.
    let all: Vec<safety_alliance::oversight::evaluation::Metrics> = ev["alliances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_value(r["metrics"].clone()).unwrap())
        .collect();
    let weights = safety_alliance::oversight::evaluation::Weights::default();
    let scores = safety_alliance::oversight::evaluation::scores(&all, &weights);
    let ranks = safety_alliance::oversight::evaluation::ranks(&scores);
    for (i, r) in ev["alliances"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["score"].as_f64().unwrap(), scores[i], "{r}");
        assert_eq!(r["rank"].as_i64().unwrap(), ranks[i] as i64, "{r}");
    }
    assert_eq!(dongcheng["rank"], 1, "the only active alliance leads: {ev}");
    // Alliances under the threshold get a warning notice.
    assert!(ev["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["score"].as_f64().unwrap() < 60.0));

    // Other weights, other scores: only the events count now.
    let only_events = json!({"weights": {"inspections": 0, "found": 0, "rectification": 0,
        "on_time": 0, "overdue": 0, "events": 1, "attendance": 0}, "warn_below": 50});
    for (body, field) in [
        (
            json!({"weights": {"inspections": 0, "found": 0, "rectification": 0, "on_time": 0,
                "overdue": 0, "events": 0, "attendance": 0}, "warn_below": 50}),
            "weights",
        ),
        (
            json!({"weights": {"inspections": -1, "found": 0, "rectification": 0, "on_time": 0,
                "overdue": 0, "events": 1, "attendance": 0}, "warn_below": 50}),
            "weights.inspections",
        ),
        (json!({"weights": weights, "warn_below": 150}), "warn_below"),
        // The next number above 100 is above 100 (read exactly, not rounded to 100).
        (
            json!({"weights": weights, "warn_below": 100.00000000000001}),
            "warn_below",
        ),
    ] {
        let r = district.put("/api/v1/oversight/evaluation-settings", &body);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.error_fields().contains(&field.to_string()), "{}", r.body);
    }
    assert_eq!(
        app.login("street-regulator")
            .put("/api/v1/oversight/evaluation-settings", &only_events)
            .status,
        403
    );
    assert_eq!(
        member
            .put("/api/v1/oversight/evaluation-settings", &only_events)
            .status,
        404
    );
    let r = district.put("/api/v1/oversight/evaluation-settings", &only_events);
    assert_eq!(r.status, 200, "{}", r.body);
    let ev = evaluation(&district, &this);
    assert_eq!(row(&ev, "alliances", DONGCHENG)["score"], 100.0);
    assert_eq!(ev["warn_below"], 50.0);

    // Who sees what: a street's regulator its street's alliances; a lead its own; a member none.
    let street_view = evaluation(&app.login("street-regulator"), &this);
    assert!(street_view["alliances"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["name"].as_str().unwrap().contains("东城")));
    assert_eq!(street_view["streets"].as_array().unwrap().len(), 1);
    assert_eq!(
        evaluation(&app.login("industry-regulator"), &this)["streets"],
        json!([])
    );
    let own = evaluation(&lead, &this);
    assert_eq!(own["alliances"].as_array().unwrap().len(), 1);
    assert_eq!(own["alliances"][0]["name"], DONGCHENG);
    assert_eq!(member.get("/api/v1/oversight/evaluations").status, 404);
    let r = district.get("/api/v1/oversight/evaluations?month=2999-01");
    assert_eq!(r.error_fields(), ["month"]);
    // The month exports: a workbook of alliances, streets and notices; the alliances as CSV.
    let (status, bytes, _) =
        district.get_bytes(&format!("/api/v1/oversight/evaluations.xlsx?month={this}"));
    assert_eq!(status, 200);
    let strings = crate::events::xlsx_strings(&bytes);
    for text in ["互查完成率", DONGCHENG, "东城街道"] {
        assert!(strings.contains(text), "{text} in {strings}");
    }
    let (status, bytes, _) =
        district.get_bytes(&format!("/api/v1/oversight/evaluations.csv?month={this}"));
    assert_eq!(status, 200);
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.starts_with("\u{feff}排名,名称,得分"), "{csv}");
    assert!(csv.contains(&format!("1,{DONGCHENG},100.0")), "{csv}");
}

#[test]
fn a_published_month_stays_as_published_until_recomputed_on_purpose() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let district = app.login("district-regulator");
    let last = month(-1);
    report(&member, "上月隐患一");
    date_findings(&app, &last, "1 = 1");
    // Not before the month is over; not by a street's regulator.
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{}/publish", month(0)),
        &json!({}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let r = app.login("street-regulator").post(
        &format!("/api/v1/oversight/evaluations/{last}/publish"),
        &json!({}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{last}/recompute"),
        &json!({}),
    );
    assert_eq!(r.status, 409, "nothing published to recompute: {}", r.body);

    // Published: frozen. Which month a finding belongs to is its report date; one reported
    // "last month" afterwards does not change the published figures.
    let before = evaluation(&district, &last);
    let counted = row(&before, "alliances", DONGCHENG)["metrics"]["found"].clone();
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{last}/publish"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["published"], true);
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{last}/publish"),
        &json!({}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    report(&member, "上月隐患二");
    date_findings(&app, &last, "title = '上月隐患二'");
    let frozen = evaluation(&district, &last);
    assert_eq!(frozen["published"], true);
    assert_eq!(
        row(&frozen, "alliances", DONGCHENG)["metrics"]["found"],
        counted
    );
    // Recomputed on purpose: the new figures, and the act in the audit log.
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{last}/recompute"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        row(&r.body, "alliances", DONGCHENG)["metrics"]["found"],
        counted.as_i64().unwrap() + 1
    );
    let mut conn = app.platform.db.conn().unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('evaluation_publish', 'evaluation_recompute')",
    )
    .get_result(&mut *conn)
    .unwrap();
    assert_eq!(n.n, 2);
    // This month compares with the one before.
    let now = evaluation(&district, &month(0));
    assert!(row(&now, "alliances", DONGCHENG)["previous_rank"].is_i64());
}

#[test]
fn two_publications_of_a_month_racing_store_it_once() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let admin = app.login("admin");
    let last = month(-1);
    let url = format!("/api/v1/oversight/evaluations/{last}/publish");
    let barrier = Barrier::new(2);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = [&district, &admin]
            .into_iter()
            .map(|client| {
                let (barrier, url) = (&barrier, &url);
                s.spawn(move || {
                    barrier.wait();
                    client.post(url, &json!({})).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, [200, 409], "{statuses:?}");
    let ev = evaluation(&district, &last);
    assert_eq!(ev["published"], true);
    let mut ids: Vec<i64> = ev["alliances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject_id"].as_i64().unwrap())
        .collect();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn the_evaluation_pages_publish_after_asking_and_print_the_bulletin() {
    let app = TestApp::spawn();
    let member = app.login("member");
    report(&member, "上月隐患");
    let last = month(-1);
    date_findings(&app, &last, "1 = 1");
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "district-regulator", "/");
    let csrf = page.csrf();
    let shown = page.get(&format!("/oversight/evaluations?month={last}"));
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("id=\"publish-evaluation\""));
    assert!(shown.body.contains(DONGCHENG));
    let fields = [
        ("csrf", csrf.as_str()),
        ("month", last.as_str()),
        ("action", "publish"),
    ];
    let asked = page.post("/oversight/evaluations", &fields);
    assert_eq!(asked.status, 200, "a confirmation first: {}", asked.body);
    assert!(asked.body.contains("confirmed"));
    assert_eq!(
        evaluation(&app.login("district-regulator"), &last)["published"],
        false
    );
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirmed", "yes"));
    let r = page.post("/oversight/evaluations", &confirmed);
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = page.get(&format!("/oversight/evaluations?month={last}"));
    assert!(shown.body.contains("id=\"recompute-evaluation\""));
    assert!(!shown.body.contains("id=\"publish-evaluation\""));
    // Publishing again is refused on the page, saying why.
    let r = page.post("/oversight/evaluations", &confirmed);
    assert_eq!(r.status, 409, "{}", r.body);
    // The bulletin: best and worst, and the warning notices of those under the threshold.
    let b = page.get(&format!("/oversight/bulletin?month={last}"));
    assert_eq!(b.status, 200);
    assert!(b.body.contains("id=\"warning-notices\""));
    assert!(b.body.contains("请于下月内组织整改"), "{}", b.body);
    // The weights: refused with the reason, then saved.
    let bad = [
        ("csrf", csrf.as_str()),
        ("month", last.as_str()),
        ("inspections", "-5"),
        ("found", "10"),
        ("rectification", "25"),
        ("on_time", "15"),
        ("overdue", "10"),
        ("events", "10"),
        ("attendance", "5"),
        ("warn_below", "60"),
    ];
    let r = page.post("/oversight/evaluation-settings", &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("field-error"));
    let mut good = bad.to_vec();
    good[2] = ("inspections", "30");
    let r = page.post("/oversight/evaluation-settings", &good);
    assert_eq!(r.status, 303, "{}", r.body);
    let s = app
        .login("district-regulator")
        .get("/api/v1/oversight/evaluation-settings");
    assert_eq!(s.body["weights"]["inspections"], 30.0);
    // A lead reads its alliance's evaluation; a member none.
    let mut lead = crate::pages::PageClient::new(&app);
    lead.log_in(&app, "lead", "/");
    let own = lead.get(&format!("/oversight/evaluations?month={last}"));
    assert_eq!(own.status, 200);
    assert!(own.body.contains(DONGCHENG));
    assert!(!own.body.contains("weights-form"));
    let mut m = crate::pages::PageClient::new(&app);
    m.log_in(&app, "member", "/");
    assert_eq!(m.get("/oversight/evaluations").status, 404);
    assert_eq!(m.get("/oversight/bulletin").status, 404);
}
