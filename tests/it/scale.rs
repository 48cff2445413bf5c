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
