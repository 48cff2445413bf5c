//! Delivery through the outbox: a city that refuses (4xx) is not asked again and whoever
//! published is told; a city that cannot be reached is tried again later, nothing lost.

use serde_json::json;

use crate::common::TestApp;
use crate::durability::free_port;
use crate::federation::{city, deliver, district, keygen, this_year, CITY};

#[test]
fn a_refusal_alerts_and_an_outage_retries() {
    // The city never enrolled this district: it answers 403 unknown-key.
    let city = city();
    let refused = district(&city, true);
    keygen(&refused);
    let regulator = refused.login("district-regulator");
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": this_year()}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    deliver(&refused);
    let sent = regulator.get("/api/v1/federation/publications").body;
    assert_eq!(sent[0]["delivery"], "refused", "{sent}");
    assert!(
        sent[0]["delivery_note"]
            .as_str()
            .unwrap()
            .contains("unknown-key"),
        "{sent}"
    );
    let told = regulator.get("/api/v1/notifications?per_page=50").body;
    assert!(
        told["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "federation_refused"),
        "{told}"
    );
    let admin = refused.login("admin");
    let failed = admin
        .get("/api/v1/admin/outbox?state=failed&per_page=100")
        .body;
    assert!(
        failed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["channel"] == "federation"),
        "not tried again: {failed}"
    );

    // Nobody listens at the city's address: the bundle waits, to be tried again.
    let port = free_port();
    let away = TestApp::spawn_with(move |s| {
        s.federation_city = CITY.into();
        s.federation_city_url = Some(format!("http://127.0.0.1:{port}"));
    });
    keygen(&away);
    let regulator = away.login("district-regulator");
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": this_year()}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    deliver(&away);
    let sent = regulator.get("/api/v1/federation/publications").body;
    assert_eq!(sent[0]["delivery"], "pending", "{sent}");
    assert!(
        sent[0]["delivery_note"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{sent}"
    );
    let pending = away
        .login("admin")
        .get("/api/v1/admin/outbox?state=pending&per_page=100")
        .body;
    let row = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["channel"] == "federation")
        .unwrap_or_else(|| panic!("still queued: {pending}"));
    assert_eq!(row["attempts"], 1);
    drop(city);
}
