//! Federation's pages over HTTP: a district regulator previews and publishes (a correction asks
//! its reason), a city administrator reads the city's figures, approves, enrols and retires keys;
//! others are refused.

use serde_json::json;

use crate::federation::{city, code_list, deliver, district, enrol, this_year};
use crate::findings::report;
use crate::flows::signed_in;

#[test]
fn federation_pages_publish_show_approve_and_enrol() {
    let city = city();
    let district = district(&city, true);
    let made = enrol(&city, &district);
    report(&district.login("member"), json!({}));
    let year = this_year();

    let (mut regulator, csrf) = signed_in(&district, "district-regulator");
    let page = regulator.get(&format!("/federation?period={year}"));
    assert_eq!(page.status, 200, "{}", page.body);
    for id in [
        "federation-cells",
        "federation-publish-form",
        "federation-suppressed",
    ] {
        assert!(page.body.contains(id), "{id}");
    }
    assert_eq!(regulator.get("/federation?period=2026-13").status, 422);
    let done = regulator.post(
        "/federation/publish",
        &[("csrf", &csrf), ("period", &year), ("reason", "")],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    let page = regulator.get(&format!("/federation?period={year}"));
    assert!(page.body.contains("federation-history"));
    assert!(
        page.body.contains("federation-reason"),
        "a correction asks why"
    );
    // A correction without its reason shows the page again, saying so.
    let again = regulator.post(
        "/federation/publish",
        &[("csrf", &csrf), ("period", &year), ("reason", " ")],
    );
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.body.contains("field-error"));
    deliver(&district);

    let (mut admin, csrf) = signed_in(&city, "admin");
    let code = code_list(&district).district.code;
    let page = admin.get(&format!("/federation/city?period={year}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&format!("district-{code}")));
    assert!(page.body.contains(&format!("approve-{code}")));
    assert!(page.body.contains("city-reconciliation"));
    for id in [
        "city-trend",
        "city-ranking",
        "city-by-street",
        "city-by-industry",
    ] {
        assert!(page.body.contains(id), "{id}");
    }
    assert!(page.body.contains("<svg"), "the charts are drawn");
    let done = admin.post(
        "/federation/approve",
        &[("csrf", &csrf), ("district", &code), ("period", &year)],
    );
    assert_eq!(done.status, 303);
    let page = admin.get(&format!("/federation/city?period={year}"));
    assert!(!page.body.contains(&format!("approve-{code}")), "approved");

    let keys = admin.get("/federation/keys");
    assert_eq!(keys.status, 200, "{}", keys.body);
    let kid = made["kid"].as_str().unwrap();
    assert!(keys.body.contains(kid));
    let bad = admin.post(
        "/federation/keys",
        &[
            ("csrf", &csrf),
            ("code_list", "{not json"),
            ("public_key", "x"),
        ],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let id = made["id"].as_i64().unwrap().to_string();
    let done = admin.post(&format!("/federation/keys/{id}/retire"), &[("csrf", &csrf)]);
    assert_eq!(done.status, 303);
    assert!(admin.get("/federation/keys").body.contains("key-retired"));
    // Revoking is asked first, then done.
    let asked = admin.post(&format!("/federation/keys/{id}/revoke"), &[("csrf", &csrf)]);
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains(kid), "the question names the key");
    assert!(
        admin.get("/federation/keys").body.contains("key-retired"),
        "not yet"
    );
    let done = admin.post(
        &format!("/federation/keys/{id}/revoke"),
        &[("csrf", &csrf), ("confirmed", "yes")],
    );
    assert_eq!(done.status, 303);
    assert!(admin.get("/federation/keys").body.contains("key-revoked"));

    // A street's regulator may not; an enterprise's people do not see it.
    let (mut street, _) = signed_in(&district, "street-regulator");
    assert_eq!(street.get("/federation").status, 403);
    let (mut member, _) = signed_in(&district, "member");
    assert_eq!(member.get("/federation").status, 404);
}
