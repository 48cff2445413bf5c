//! Resolved callers are kept between requests (see `auth::callers`), and every change to what
//! they were resolved from takes effect on the next request: through the API, or written to the
//! database by someone else (the command line, another server).

use diesel::prelude::*;
use serde_json::json;

use crate::common::TestApp;

fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.platform.db.conn().expect("connection");
    diesel::sql_query(statement).execute(&mut conn).unwrap();
}

/// The alliances the caller sees in its list.
fn alliances_seen(client: &crate::common::Client) -> Vec<i64> {
    let r = client.get("/api/v1/alliances?per_page=100");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_user_deactivated_by_another_process_loses_access_on_the_next_request() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for _ in 0..3 {
        assert_eq!(member.get("/api/v1/me").status, 200);
    }
    let id = app.user_id("member");
    sql(
        &app,
        &format!("UPDATE users SET active = false WHERE id = {id}"),
    );
    assert_eq!(member.get("/api/v1/me").status, 401);
    sql(
        &app,
        &format!("UPDATE users SET active = true WHERE id = {id}"),
    );
    assert_eq!(member.get("/api/v1/me").status, 200);
}

#[test]
fn a_session_ended_by_another_process_ends_on_the_next_request() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let other = app.login("member");
    assert_eq!(member.get("/api/v1/me").status, 200);
    assert_eq!(other.get("/api/v1/me").status, 200);
    let id = app.user_id("member");
    // Both sessions are kept; ending one leaves the other.
    sql(
        &app,
        &format!(
            "UPDATE sessions SET revoked_at = created_at WHERE user_id = {id} \
             AND id = (SELECT MIN(id) FROM sessions WHERE user_id = {id})"
        ),
    );
    assert_eq!(member.get("/api/v1/me").status, 401);
    assert_eq!(other.get("/api/v1/me").status, 200);
    // A session whose time ran out (moved back by hand) ends too.
    sql(
        &app,
        &format!("UPDATE sessions SET expires_at = created_at WHERE user_id = {id}"),
    );
    assert_eq!(other.get("/api/v1/me").status, 401);
}

#[test]
fn a_changed_membership_changes_what_the_member_sees_on_the_next_request() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let district = app.login("district-regulator");
    let me = member.get("/api/v1/me").body;
    let own = me["enterprise_id"].as_i64().unwrap();
    let seen = alliances_seen(&member);
    let alliance = *seen
        .iter()
        .find(|a| {
            let r = member.get(&format!("/api/v1/alliances/{a}"));
            r.body["lead_enterprise_id"].as_i64() != Some(own)
        })
        .expect("the member belongs to an alliance it does not lead");
    assert_eq!(
        member.get(&format!("/api/v1/alliances/{alliance}")).status,
        200
    );
    let r = district.delete(&format!("/api/v1/alliances/{alliance}/members/{own}"));
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(!alliances_seen(&member).contains(&alliance));
    assert_eq!(
        member.get(&format!("/api/v1/alliances/{alliance}")).status,
        404
    );
    let r = district.post(
        &format!("/api/v1/alliances/{alliance}/members"),
        &json!({"enterprise_id": own}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(alliances_seen(&member).contains(&alliance));
    // The same change made outside the server is seen as soon.
    sql(
        &app,
        &format!(
            "DELETE FROM memberships WHERE alliance_id = {alliance} AND enterprise_id = {own}"
        ),
    );
    assert_eq!(
        member.get(&format!("/api/v1/alliances/{alliance}")).status,
        404
    );
}

#[test]
fn a_new_region_below_a_regulators_street_is_in_its_area_on_the_next_request() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let me = street.get("/api/v1/me").body;
    let region = me["region_id"].as_i64().unwrap();
    let r = street.get("/api/v1/enterprises?per_page=1");
    assert_eq!(r.status, 200, "{}", r.body);
    let before = r.body["total"].as_i64().unwrap();
    // A zone is added under the street (outside the server) and an enterprise moved there
    // from elsewhere in the district.
    let outside: i64 = {
        let admin = app.login("admin");
        let all = admin.get("/api/v1/enterprises?per_page=100").body;
        let mine = street.get("/api/v1/enterprises?per_page=100").body;
        let mine: Vec<i64> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .find(|id| !mine.contains(id))
            .expect("an enterprise outside the street")
    };
    sql(
        &app,
        &format!(
            "INSERT INTO regions (id, name, level, parent_id, code) \
             VALUES (990001, '新功能区', 'zone', {region}, '990001')"
        ),
    );
    assert_eq!(
        street.get(&format!("/api/v1/enterprises/{outside}")).status,
        404
    );
    sql(
        &app,
        &format!("UPDATE enterprises SET region_id = 990001 WHERE id = {outside}"),
    );
    assert_eq!(
        street.get(&format!("/api/v1/enterprises/{outside}")).status,
        200
    );
    let r = street.get("/api/v1/enterprises?per_page=1");
    assert_eq!(r.body["total"].as_i64().unwrap(), before + 1);
}
