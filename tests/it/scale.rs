//! A regulator whose area holds tens of thousands of enterprises: every list and page still
//! answers (no query puts the whole area into one `IN`, which SQLite refuses past 32,766 values).

use diesel::connection::SimpleConnection;
use serde_json::Value;

use crate::common::TestApp;

/// Adds `n` enterprises to the street of the demo street regulator, in one transaction.
fn add_enterprises(app: &TestApp, n: usize) -> i64 {
    let regulator = app.login("street-regulator").get("/api/v1/me");
    let region = regulator.body["region_id"].as_i64().unwrap();
    let industry = app.login("admin").get("/api/v1/industries").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let mut conn = app.platform.db.conn().unwrap();
    let mut sql = String::from("BEGIN;");
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        sql.push_str(
            "INSERT INTO enterprises (name, credit_code, region_id, industry_id, scale, address, \
             contact_name, contact_phone, created_at, updated_at) VALUES ",
        );
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('规模测试企业{i}', 'SCALE{i:013}', {region}, {industry}, 'small_micro', '', '', '', \
                     '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            })
            .collect();
        sql.push_str(&rows.join(","));
        sql.push(';');
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).unwrap();
    region
}

#[test]
fn a_regulator_with_tens_of_thousands_of_enterprises_in_scope() {
    let app = TestApp::spawn();
    let before = app
        .login("street-regulator")
        .get("/api/v1/enterprises?per_page=1");
    let n = 33_000;
    add_enterprises(&app, n);
    let regulator = app.login("street-regulator");
    let enterprises = regulator.get("/api/v1/enterprises?per_page=100");
    assert_eq!(enterprises.status, 200, "{}", enterprises.body);
    assert_eq!(
        enterprises.body["total"].as_i64().unwrap(),
        before.body["total"].as_i64().unwrap() + n as i64
    );
    assert_eq!(enterprises.body["items"].as_array().unwrap().len(), 100);
    for path in [
        "/api/v1/users?per_page=100",
        "/api/v1/alliances",
        "/api/v1/findings?per_page=100",
        "/api/v1/findings?reviewable=true",
        "/api/v1/enterprises?q=%E8%A7%84%E6%A8%A1%E6%B5%8B%E8%AF%95&per_page=5&page=3",
    ] {
        let r = regulator.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(r.body["items"].is_array(), "{path}");
    }
    // The users list sees the enterprise users of the street, not the others.
    let users: Value = regulator.get("/api/v1/users?per_page=100").body;
    assert!(users["total"].as_i64().unwrap() >= 1);
}

/// Adds `n` findings (reported a minute apart, every 7th major) to the enterprise `enterprise`,
/// in one transaction, with the counters recounted.
fn add_findings(app: &TestApp, enterprise: i64, n: usize) {
    let mut conn = app.platform.db.conn().unwrap();
    // (SQLite would read a CAST to TIMESTAMP as a number: it keeps the text as it is.)
    let at = match crate::common::backend_name() {
        "sqlite" => "v.at",
        _ => "CAST(v.at AS TIMESTAMP)",
    };
    let mut sql = String::from("BEGIN;");
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    + chrono::Duration::minutes((*i / 2) as i64);
                let grade = if i % 7 == 0 { "major" } else { "general" };
                format!(
                    "('批量隐患{i}', '{grade}', '{}')",
                    at.format("%Y-%m-%d %H:%M:%S")
                )
            })
            .collect();
        sql.push_str(&format!(
            "WITH v (t, g, at) AS (VALUES {}) \
             INSERT INTO findings (enterprise_id, region_id, industry_id, source, title, description, \
             cause, category, grade, treatment, location, measures, responsible_person, state, shared, \
             reported_by, reported_at, updated_at) SELECT id, region_id, industry_id, 'self_check', \
             v.t, '', '', 'fire', v.g, 'on_the_spot', '', '', '', 'reported', FALSE, 1, \
             {at}, {at} FROM enterprises, v WHERE enterprises.id = {enterprise};",
            rows.join(","),
        ));
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).unwrap();
    safety_alliance::db::write_tx(&mut conn, safety_alliance::oversight::figures::rebuild).unwrap();
}

/// Past 10,000 matches a list says "10,000+" instead of counting on; a smaller filtered list
/// counts exactly; keyset pages (`after`) walk the list in order, without gaps or repeats, even
/// where several findings share a time.
#[test]
fn huge_lists_cap_their_count_and_keyset_pages_walk_them_in_order() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let before = district.get("/api/v1/findings?per_page=1").body["total"]
        .as_i64()
        .unwrap();
    let enterprise = app.enterprise_id("老王家常菜馆");
    add_findings(&app, enterprise, 10_050);

    let all = district.get("/api/v1/findings?per_page=5");
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["total"], 10_000, "{}", all.body["total"]);
    assert_eq!(all.body["total_capped"], true);
    let major = district.get("/api/v1/findings?grade=major&per_page=5");
    let majors = major.body["total"].as_i64().unwrap();
    assert!(majors >= 10_050 / 7, "{majors}");
    assert!(majors < 10_000 + before);
    assert_eq!(major.body["total_capped"], false);
    let mut web = crate::pages::PageClient::new(&app);
    assert_eq!(web.log_in(&app, "district-regulator", "/").status, 303);
    let page = web.get("/findings");
    assert!(
        page.body.contains("共 10000+ 条"),
        "the page shows the capped count"
    );
    assert!(
        page.body.contains("rel=\"next\""),
        "and offers the next page"
    );

    // Walk the major ones of the enterprise by keyset pages, oldest first.
    let filter = format!("enterprise_id={enterprise}&grade=major&sort=created_at&per_page=100");
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => format!("/api/v1/findings?{filter}&after={a}"),
            None => format!("/api/v1/findings?{filter}"),
        };
        let r = district.get(&url);
        assert_eq!(r.status, 200, "{}", r.body);
        for item in r.body["items"].as_array().unwrap() {
            seen.push((
                item["created_at"].as_str().unwrap().to_string(),
                item["id"].as_i64().unwrap(),
            ));
        }
        match r.body["next_after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => break,
        }
    }
    let exact = district.get(&format!("/api/v1/findings?{filter}")).body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(seen.len() as i64, exact, "every one, once");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| {
        chrono::DateTime::parse_from_rfc3339(&a.0)
            .unwrap()
            .cmp(&chrono::DateTime::parse_from_rfc3339(&b.0).unwrap())
            .then(a.1.cmp(&b.1))
    });
    assert_eq!(seen, sorted, "in order");
    sorted.dedup_by_key(|s| s.1);
    assert_eq!(sorted.len(), seen.len(), "no repeats");

    // Cursors are checked, and only with the orders they walk.
    for (query, field) in [
        ("after=abc", "after"),
        ("after=-5_1", "after"),
        ("after=%2B5_1", "after"),
        ("after=9999999999999999999_1", "after"),
        ("after=1_2&sort=deadline", "after"),
        ("after=1_2&page=3", "page"),
    ] {
        let r = district.get(&format!("/api/v1/findings?{query}"));
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert_eq!(r.error_fields(), vec![field.to_string()], "{query}");
    }
}
