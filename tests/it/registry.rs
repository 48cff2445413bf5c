//! Keeping the registry current: admins add and rename streets, zones and industries (which an
//! import then finds by name or code); a closed enterprise's people lose their logins, its
//! memberships end and its history stays; every registry list exports and an enterprise export
//! imports back unchanged.

use serde_json::json;

use crate::common::{new_credit_code, TestApp};
use crate::imports::{upload, CSV, XLSX};

#[test]
fn admins_keep_streets_zones_and_industries_and_imports_find_them() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let r = admin.post(
        "/api/v1/regions",
        &json!({"name": "新城街道", "code": "370115005", "level": "street"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let street = r.body["id"].as_i64().unwrap();
    assert!(r.body["parent_id"].is_i64(), "under the district");
    let dup = admin.post(
        "/api/v1/regions",
        &json!({"name": "新城街道", "code": "370115099", "level": "street"}),
    );
    assert_eq!(dup.status, 409);
    let zone = admin.post(
        "/api/v1/regions",
        &json!({"name": "高新区", "code": "GX1", "level": "zone"}),
    );
    assert_eq!(zone.status, 201, "{}", zone.body);
    let same_code = admin.post(
        "/api/v1/regions",
        &json!({"name": "高新二区", "code": "gx1", "level": "zone"}),
    );
    assert_eq!(
        same_code.status, 409,
        "codes compare without case, as imports match them"
    );
    let bad = admin.post(
        "/api/v1/regions",
        &json!({"name": " ", "code": "a b", "level": "district"}),
    );
    assert_eq!(bad.status, 422);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["code", "level", "name"]);
    let r = admin.patch(
        &format!("/api/v1/regions/{street}"),
        &json!({"name": "新城街道办"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["code"], "370115005");
    let r = admin.post(
        "/api/v1/industries",
        &json!({"name": "物流仓储", "code": "logistics", "department": "区交通运输局"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let industry = r.body["id"].as_i64().unwrap();
    let r = admin.patch(
        &format!("/api/v1/industries/{industry}"),
        &json!({"department": "区商务局"}),
    );
    assert_eq!(r.body["department"], "区商务局");
    // Regulators may not; the district regulator reads the registry page.
    let district = app.login("district-regulator");
    assert_eq!(
        district
            .post(
                "/api/v1/industries",
                &json!({"name": "x", "code": "x", "department": "x"})
            )
            .status,
        403
    );
    // An import finds the new street by its code and the industry by its name.
    let code = new_credit_code();
    let csv = format!(
        "企业名称,统一社会信用代码,所属街道,行业,规模\n新城物流,{code},370115005,物流仓储,小微\n"
    );
    let r = upload(&district, csv.as_bytes(), "new.csv", CSV);
    assert_eq!(r.body["preview"]["summary"]["new"], 1, "{}", r.body);
    let (mut page, _) = crate::flows::signed_in(&app, "district-regulator");
    let shown = page.get("/registry");
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("新城街道办") && shown.body.contains("区商务局"));
    assert!(
        !shown.body.contains("add-region"),
        "no forms for a regulator"
    );
}

#[test]
fn a_closed_enterprise_loses_its_logins_and_memberships_and_keeps_its_history() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let me = member.get("/api/v1/me").body;
    let enterprise = me["enterprise_id"].as_i64().unwrap();
    let finding = member.post(
        "/api/v1/findings",
        &json!({"title": "停业前的隐患", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(finding.status, 201, "{}", finding.body);
    // The lead enterprise must hand its alliance over first.
    let lead = app.login("lead").get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    let refused = street.post(
        &format!("/api/v1/enterprises/{lead}/deactivate"),
        &json!({}),
    );
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["type"], "/problems/lead-of-alliance");
    let future = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    let r = street.post(
        &format!("/api/v1/enterprises/{enterprise}/deactivate"),
        &json!({"closed_on": future}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["closed_on"]);
    let r = street.post(
        &format!("/api/v1/enterprises/{enterprise}/deactivate"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["closed_on"].is_string());
    // Its people are out, at once and at the next login.
    assert_eq!(member.get("/api/v1/me").status, 401);
    let login = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": app.password("member")}),
    );
    assert_eq!(login.status, 401);
    // No alliance lists it; its hazard stays, visible to the regulator.
    let alliances = street.get(&format!("/api/v1/alliances?enterprise_id={enterprise}"));
    assert_eq!(alliances.body["total"], 0, "{}", alliances.body);
    let f = street.get(&format!("/api/v1/findings/{}", finding.body["id"]));
    assert_eq!(f.status, 200);
    assert_eq!(
        street
            .post(
                &format!("/api/v1/enterprises/{enterprise}/deactivate"),
                &json!({})
            )
            .status,
        409
    );
    // It may operate again (its people stay deactivated until someone reactivates them).
    let r = street.post(
        &format!("/api/v1/enterprises/{enterprise}/reactivate"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["closed_on"], serde_json::Value::Null);
    let mut conn = app.platform.db.conn().unwrap();
    let trail = safety_alliance::audit::trail(&mut conn, "enterprise", enterprise).unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.ends_with(&["deactivate", "reactivate"]),
        "{actions:?}"
    );
}

#[test]
fn every_registry_list_exports_and_an_enterprise_export_imports_back_unchanged() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    for list in ["enterprises", "alliances", "users", "regions", "industries"] {
        let (status, bytes, headers) = district.get_bytes(&format!("/api/v1/exports/{list}"));
        assert_eq!(status, 200, "{list}");
        assert_eq!(headers["content-type"], XLSX);
        assert!(bytes.starts_with(b"PK"), "{list}");
        let (status, bytes, _) = district.get_bytes(&format!("/api/v1/exports/{list}?format=csv"));
        assert_eq!(status, 200, "{list}");
        assert!(bytes.starts_with("\u{feff}".as_bytes()), "{list}");
    }
    assert_eq!(
        district
            .get("/api/v1/exports/enterprises?format=pdf")
            .status,
        422
    );
    assert_eq!(
        app.login("lead").get("/api/v1/exports/enterprises").status,
        403
    );
    // Filtered as the list: 东城街道 only.
    let regions = district.get("/api/v1/regions?per_page=100").body;
    let dongcheng = regions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "东城街道")
        .unwrap()["id"]
        .clone();
    let (_, csv, _) = district.get_bytes(&format!(
        "/api/v1/exports/enterprises?format=csv&region_id={dongcheng}"
    ));
    let text = String::from_utf8(csv.clone()).unwrap();
    let total = district
        .get(&format!("/api/v1/enterprises?region_id={dongcheng}"))
        .body["total"]
        .as_u64()
        .unwrap();
    assert_eq!(text.lines().count() as u64, total + 1, "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.contains("东城街道")),
        "{text}"
    );
    // The whole registry, exported and imported again: every row unchanged.
    let (_, xlsx, _) = district.get_bytes("/api/v1/exports/enterprises?format=xlsx");
    let r = upload(&district, &xlsx, "export.xlsx", XLSX);
    assert_eq!(r.status, 201, "{}", r.body);
    let s = &r.body["preview"]["summary"];
    assert_eq!(
        (
            s["invalid"].as_u64(),
            s["new"].as_u64(),
            s["changed"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{}",
        r.body["preview"]["errors"]
    );
    // An alliance's members, exported and imported again as a roster: unchanged.
    let alliance = district.get("/api/v1/alliances?per_page=1").body["items"][0].clone();
    assert_eq!(
        district.get("/api/v1/exports/members").status,
        422,
        "which alliance"
    );
    let (status, xlsx, _) = district.get_bytes(&format!(
        "/api/v1/exports/members?alliance_id={}",
        alliance["id"]
    ));
    assert_eq!(status, 200);
    let r = district.upload_to("/api/v1/imports?kind=rosters", &xlsx, "members.xlsx", XLSX);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["preview"]["summary"]["unchanged"], alliance["member_count"],
        "{}",
        r.body["preview"]
    );
    assert_eq!(r.body["preview"]["summary"]["invalid"], 0);
    // The pages link their exports with the list's filters.
    let (mut page, _) = crate::flows::signed_in(&app, "district-regulator");
    let list = page.get(&format!("/enterprises?region_id={dongcheng}"));
    assert!(list.body.contains("id=\"export-enterprises-xlsx\""));
    let link = format!("/exports/enterprises?format=csv&region_id={dongcheng}");
    let got = page.get(&link);
    assert_eq!(got.status, 200);
    assert_eq!(got.body.lines().count() as u64, total + 1);
}
