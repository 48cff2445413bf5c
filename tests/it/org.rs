use serde_json::{json, Value};

use crate::common::{credit_code, new_credit_code, Client, TestApp};

fn region_id(client: &Client, name: &str) -> i64 {
    let r = client.get("/api/v1/regions?per_page=100");
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("region {name}"))["id"]
        .as_i64()
        .unwrap()
}

fn industry_id(client: &Client, name: &str) -> i64 {
    let r = client.get("/api/v1/industries?per_page=100");
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("industry {name}"))["id"]
        .as_i64()
        .unwrap()
}

fn enterprise(client: &Client, name: &str) -> Value {
    let r = client.get(&format!("/api/v1/enterprises?q={}", urlencode(name)));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"][0].clone()
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn all_enterprises(client: &Client) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let r = client.get(&format!("/api/v1/enterprises?per_page=100&page={page}"));
        assert_eq!(r.status, 200);
        let items = r.body["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        out.extend(items);
    }
    out
}

#[test]
fn a_street_regulator_sees_only_its_street() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let dongcheng = region_id(&admin, "东城街道");
    let mine = all_enterprises(&street);
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|e| e["region_id"] == dongcheng),
        "only 东城街道 enterprises"
    );
    let total = street.get("/api/v1/enterprises").body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(total as usize, mine.len());
    // Another street's enterprise: missing from the list and 404 on read.
    let elsewhere = enterprise(&admin, "西湖鱼馆");
    let id = elsewhere["id"].as_i64().unwrap();
    assert!(!mine.iter().any(|e| e["id"] == id));
    let r = street.get(&format!("/api/v1/enterprises/{id}"));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        street
            .get("/api/v1/enterprises/999999")
            .body
            .clone()
            .with_request_id(&r.body)
    );
    // Alliances: the street's own, not the district's industry alliances.
    let alliances = street.get("/api/v1/alliances");
    let names: Vec<&str> = alliances.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["东城街道餐饮燃气安全联盟"]);
}

trait WithRequestId {
    fn with_request_id(self, other: &Value) -> Value;
}

impl WithRequestId for Value {
    /// The same problem with the other response's request id, to compare bodies.
    fn with_request_id(mut self, other: &Value) -> Value {
        self["request_id"] = other["request_id"].clone();
        self
    }
}

#[test]
fn a_member_sees_its_own_enterprise_and_fellow_members_without_contact_details() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let member = app.login("member");
    let me = member.get("/api/v1/me").body;
    let own_id = me["enterprise_id"].as_i64().unwrap();
    let own = member.get(&format!("/api/v1/enterprises/{own_id}"));
    assert_eq!(own.status, 200);
    assert!(
        own.body["contact_phone"].is_string(),
        "own contact details shown"
    );

    let fellow = enterprise(&admin, "东城味道火锅店");
    let r = member.get(&format!("/api/v1/enterprises/{}", fellow["id"]));
    assert_eq!(r.status, 200);
    assert!(
        r.body["contact_phone"].is_null()
            && r.body["address"].is_null()
            && r.body["contact_name"].is_null()
    );

    // Enterprises outside its alliances do not exist for it.
    for name in ["西湖鱼馆", "青川华泰化工有限公司"] {
        let other = enterprise(&admin, name);
        assert_eq!(
            member
                .get(&format!("/api/v1/enterprises/{}", other["id"]))
                .status,
            404,
            "{name}"
        );
    }
    let visible = all_enterprises(&member);
    let alliance = member.get("/api/v1/alliances").body["items"][0].clone();
    assert_eq!(
        visible.len() as i64,
        alliance["member_count"].as_i64().unwrap()
    );

    // The lead of the shared alliance sees its members' contact details.
    let lead = app.login("lead");
    let r = lead.get(&format!("/api/v1/enterprises/{own_id}"));
    assert!(r.body["contact_phone"].is_string());

    // A member may not register enterprises or found alliances.
    let r = member.post(
        "/api/v1/enterprises",
        &json!({"name": "x", "credit_code": new_credit_code(), "region_id": 1, "industry_id": 1, "scale": "small_micro"}),
    );
    assert_eq!(r.status, 403);
    // But may keep its own contact details up to date, and not its registration data.
    let r = member.patch(
        &format!("/api/v1/enterprises/{own_id}"),
        &json!({"contact_phone": "0531-88886666"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["contact_phone"], "0531-88886666");
    let r = member.patch(
        &format!("/api/v1/enterprises/{own_id}"),
        &json!({"name": "改名"}),
    );
    assert_eq!(r.status, 403);
}

#[test]
fn an_industry_regulator_sees_its_industry_across_the_district() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let industry = app.login("industry-regulator");
    let hazchem = industry_id(&admin, "危险化学品");
    let seen = all_enterprises(&industry);
    assert_eq!(seen.len(), 8);
    assert!(seen.iter().all(|e| e["industry_id"] == hazchem));
    let restaurant = enterprise(&admin, "老王家常菜馆");
    assert_eq!(
        industry
            .get(&format!("/api/v1/enterprises/{}", restaurant["id"]))
            .status,
        404
    );
}

#[test]
fn credit_codes_are_checked_and_unique() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let street = region_id(&district, "东城街道");
    let catering = industry_id(&district, "餐饮(燃气)");
    let good = credit_code("91370115MA3C4D5E6");
    let mut wrong = good.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let body = |code: &str| {
        json!({"name": "东城新开小吃店", "credit_code": code, "region_id": street, "industry_id": catering,
               "scale": "small_micro", "address": "东城街道建设路8号", "contact_name": "李娜", "contact_phone": "13800000000"})
    };
    let r = district.post("/api/v1/enterprises", &body(&wrong));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["credit_code"]);
    assert!(r.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("check character"));
    assert_eq!(r.headers["content-type"], "application/problem+json");

    let before = district.get("/api/v1/enterprises").body["total"]
        .as_i64()
        .unwrap();
    let r = district.post("/api/v1/enterprises", &body(&good.to_lowercase()));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["credit_code"], good, "normalized to upper case");
    let after = district.get("/api/v1/enterprises").body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 1);

    let r = district.post("/api/v1/enterprises", &body(&good));
    assert_eq!(r.status, 409);
    assert_eq!(
        district.get("/api/v1/enterprises").body["total"]
            .as_i64()
            .unwrap(),
        after
    );
}

#[test]
fn validation_names_every_bad_field_and_changes_nothing() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let before = district.get("/api/v1/enterprises").body["total"]
        .as_i64()
        .unwrap();
    let r = district.post(
        "/api/v1/enterprises",
        &json!({"name": "  ", "credit_code": "123", "region_id": 99999, "industry_id": 99999,
                "scale": "small_micro", "contact_phone": "call me"}),
    );
    assert_eq!(r.status, 422);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "contact_phone",
            "credit_code",
            "industry_id",
            "name",
            "region_id"
        ]
    );
    let r = district.post("/api/v1/enterprises", &json!({"name": "x"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["credit_code"]);
    let r = district.post("/api/v1/enterprises", &json!({"name": "x", "credit_code": new_credit_code(), "region_id": "one", "industry_id": 1, "scale": "small_micro"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["region_id"]);
    let r = district.get("/api/v1/enterprises?per_page=101");
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["per_page"]);
    let r = district.get("/api/v1/enterprises?scale=giant");
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["scale"]);
    assert_eq!(
        district.get("/api/v1/enterprises").body["total"]
            .as_i64()
            .unwrap(),
        before
    );
    assert_eq!(district.get("/api/v1/enterprises/abc").status, 404);
}

#[test]
fn a_regulator_builds_an_alliance_and_an_enterprise_joins_two_alliances() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let admin = app.login("admin");
    let xihu = region_id(&district, "西湖街道");
    let catering = industry_id(&district, "餐饮(燃气)");
    let restaurant = enterprise(&admin, "西湖鱼馆")["id"].as_i64().unwrap();
    let noodles = enterprise(&admin, "阿香米线店")["id"].as_i64().unwrap();

    let r = district.post(
        "/api/v1/alliances",
        &json!({"name": "西湖街道餐饮燃气安全联盟", "level": "street", "region_id": xihu,
                "industry_id": catering, "lead_enterprise_id": restaurant, "founded_on": "2026-11-01"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let alliance = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["member_count"], 1);

    let r = district.post(
        &format!("/api/v1/alliances/{alliance}/members"),
        &json!({"enterprise_id": noodles}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["role"], "member");
    let r = district.post(
        &format!("/api/v1/alliances/{alliance}/members"),
        &json!({"enterprise_id": noodles}),
    );
    assert_eq!(r.status, 409);

    // 阿香米线店 is now in the street's small-business alliance and the new one.
    let r = district.get(&format!("/api/v1/alliances?enterprise_id={noodles}"));
    assert_eq!(r.body["total"], 2);

    // Appoint the new member as lead; the former lead stays as a member.
    let r = district.patch(
        &format!("/api/v1/alliances/{alliance}"),
        &json!({"lead_enterprise_id": noodles}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["lead_enterprise_id"], noodles);
    let members = district.get(&format!("/api/v1/alliances/{alliance}/members"));
    let roles: Vec<(i64, String)> = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["enterprise_id"].as_i64().unwrap(),
                m["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(roles.contains(&(noodles, "lead".into())));
    assert!(roles.contains(&(restaurant, "member".into())));

    // The lead cannot be removed; a member can, and its history is kept.
    assert_eq!(
        district
            .delete(&format!("/api/v1/alliances/{alliance}/members/{noodles}"))
            .status,
        409
    );
    assert_eq!(
        district
            .delete(&format!(
                "/api/v1/alliances/{alliance}/members/{restaurant}"
            ))
            .status,
        204
    );
    assert_eq!(
        district
            .delete(&format!(
                "/api/v1/alliances/{alliance}/members/{restaurant}"
            ))
            .status,
        404
    );
    assert_eq!(
        district.get(&format!("/api/v1/alliances/{alliance}")).body["member_count"],
        1
    );

    // A street regulator of another street can neither see nor manage it.
    let street = app.login("street-regulator");
    assert_eq!(
        street.get(&format!("/api/v1/alliances/{alliance}")).status,
        404
    );
    assert_eq!(
        street
            .post(
                &format!("/api/v1/alliances/{alliance}/members"),
                &json!({"enterprise_id": restaurant})
            )
            .status,
        404
    );

    // Every change is in the audit log, whose chain is intact.
    let mut conn = app.platform.db.conn().unwrap();
    let trail = safety_alliance::audit::trail(&mut conn, "alliance", alliance).unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["create", "add_member", "update", "remove_member"]
    );
    assert!(matches!(
        safety_alliance::audit::verify(&mut conn).unwrap(),
        safety_alliance::audit::ChainCheck::Intact { .. }
    ));
}

#[test]
fn a_street_regulator_cannot_place_things_outside_its_street() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let admin = app.login("admin");
    let xihu = region_id(&admin, "西湖街道");
    let dongcheng = region_id(&admin, "东城街道");
    let catering = industry_id(&admin, "餐饮(燃气)");
    let body = |region: i64| {
        json!({"name": "新店", "credit_code": new_credit_code(), "region_id": region,
               "industry_id": catering, "scale": "small_micro"})
    };
    assert_eq!(street.post("/api/v1/enterprises", &body(xihu)).status, 403);
    let r = street.post("/api/v1/enterprises", &body(dongcheng));
    assert_eq!(r.status, 201, "{}", r.body);
    // Nor move one of its enterprises to another street.
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(
        street
            .patch(
                &format!("/api/v1/enterprises/{id}"),
                &json!({"region_id": xihu})
            )
            .status,
        403
    );
}
