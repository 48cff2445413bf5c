//! The message centre: who is told what happens to a finding, reading and marking messages, the
//! bell on every page.

use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::findings::{act, days_from_today, photo, report};
use crate::pages::PageClient;

/// The caller's messages, newest first.
fn messages(client: &Client) -> Vec<Value> {
    let r = client.get("/api/v1/notifications?per_page=100");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

fn kinds(client: &Client) -> Vec<String> {
    messages(client)
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect()
}

fn unread(client: &Client) -> i64 {
    client.get("/api/v1/notifications/unread").body["unread"]
        .as_i64()
        .unwrap()
}

#[test]
fn the_enterprise_and_its_reviewer_are_told_each_step_of_the_closed_loop() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let street = app.login("street-regulator");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    // The street regulator reports a hazard at the member's enterprise: the member is told what,
    // by when, and where to go; the reporter is not told of its own report.
    let deadline = days_from_today(10);
    let f = report(
        &street,
        json!({"enterprise_id": own, "title": "配电箱<b>未接地</b>", "deadline": deadline}),
    );
    let id = f["id"].as_i64().unwrap();
    let m = &messages(&member)[0];
    assert_eq!(m["kind"], "finding_reported");
    assert_eq!(m["subject"], "配电箱<b>未接地</b>");
    assert_eq!(m["due_on"], deadline);
    assert_eq!(m["link"], format!("/findings/{id}"));
    assert_eq!(m["read_at"], Value::Null);
    assert!(kinds(&street).is_empty());
    assert!(kinds(&lead).is_empty(), "nothing for the lead yet");

    // The member submits its rectification: the lead, who reviews it, is told.
    let proof = photo(&member, "fixed");
    let r = act(
        &member,
        id,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kinds(&lead), vec!["finding_awaiting_review"]);
    assert_eq!(kinds(&member), vec!["finding_reported"]);

    // Sent back with a reason: the member is told, with the reason and the deadline.
    let r = act(
        &lead,
        id,
        json!({"action": "reject", "note": "未见接地线照片"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &messages(&member)[0];
    assert_eq!(m["kind"], "finding_rejected");
    assert_eq!(m["note"], "未见接地线照片");
    assert_eq!(m["due_on"], deadline);

    // Submitted again and accepted: the member and the reporter hear it is closed.
    let proof = photo(&member, "fixed-again");
    act(
        &member,
        id,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    let r = act(&lead, id, json!({"action": "accept"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kinds(&member)[0], "finding_closed");
    assert_eq!(kinds(&street), vec!["finding_closed"]);
    assert_eq!(
        kinds(&lead),
        vec!["finding_awaiting_review", "finding_awaiting_review"],
        "the lead is not told of what it did itself"
    );
    assert_eq!(unread(&member), 3);
}

#[test]
fn a_major_hazard_waits_for_the_regulators_over_its_place_and_they_are_told() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let f = report(
        &member,
        json!({"grade": "major", "title": "液化气钢瓶存放于地下室"}),
    );
    let id = f["id"].as_i64().unwrap();
    assert!(kinds(&member).is_empty(), "not told of its own report");
    let proof = photo(&member, "moved");
    let r = act(
        &member,
        id,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // They heard of it at once when it was reported, and now of its rectification to review.
    for label in ["street-regulator", "district-regulator"] {
        assert_eq!(
            kinds(&app.login(label)),
            vec!["finding_awaiting_review", "major_reported"],
            "{label}"
        );
    }
    for label in ["industry-regulator", "lead", "admin", "expert"] {
        assert!(kinds(&app.login(label)).is_empty(), "{label}");
    }
}

#[test]
fn an_extension_asked_is_told_to_the_reviewer_and_the_answer_to_the_enterprise() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let f = report(&member, json!({}));
    let id = f["id"].as_i64().unwrap();
    let until = days_from_today(30);
    let r = act(
        &member,
        id,
        json!({"action": "request_extension", "deadline": until, "note": "配件缺货"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &messages(&lead)[0];
    assert_eq!(m["kind"], "extension_requested");
    assert_eq!(m["due_on"], until);
    let r = act(&lead, id, json!({"action": "grant_extension"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &messages(&member)[0];
    assert_eq!(m["kind"], "extension_granted");
    assert_eq!(m["due_on"], until);
    let later = days_from_today(60);
    act(
        &member,
        id,
        json!({"action": "request_extension", "deadline": later, "note": "仍缺货"}),
    );
    let r = act(
        &lead,
        id,
        json!({"action": "refuse_extension", "note": "请先临时处置"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &messages(&member)[0];
    assert_eq!(m["kind"], "extension_refused");
    assert_eq!(m["due_on"], until, "the deadline stays");
}

#[test]
fn messages_are_marked_read_one_by_one_or_all_and_anothers_is_missing() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let street = app.login("street-regulator");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    for title in ["消防通道堵塞", "灭火器过期", "应急灯损坏"] {
        report(&street, json!({"enterprise_id": own, "title": title}));
    }
    let list = messages(&member);
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["subject"], "应急灯损坏", "newest first");
    assert_eq!(unread(&member), 3);
    let first = list[2]["id"].as_i64().unwrap();
    let r = member.post(&format!("/api/v1/notifications/{first}/read"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["read_at"].is_string());
    let at = r.body["read_at"].clone();
    // Reading again changes nothing.
    let again = member.post(&format!("/api/v1/notifications/{first}/read"), &json!({}));
    assert_eq!(again.body["read_at"], at);
    assert_eq!(unread(&member), 2);
    let r = member.get("/api/v1/notifications?unread=true");
    assert_eq!(r.body["total"], 2);
    // Another's message reads as missing, and stays unread.
    let r = street.post(
        &format!("/api/v1/notifications/{}/read", list[0]["id"]),
        &json!({}),
    );
    assert_eq!(r.status, 404);
    assert_eq!(unread(&member), 2);
    // Bad filters name the field.
    for (query, field) in [
        ("unread=maybe", "unread"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
    ] {
        let r = member.get(&format!("/api/v1/notifications?{query}"));
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert_eq!(r.error_fields(), vec![field], "{query}");
    }
    let r = member.post("/api/v1/notifications/read", &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(unread(&member), 0);
    assert_eq!(messages(&member).len(), 3, "read messages stay in the list");
}

#[test]
fn the_bell_counts_unread_messages_and_opening_one_goes_to_its_page() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let street = app.login("street-regulator");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let f = report(
        &street,
        json!({"enterprise_id": own, "title": "<script>alert(1)</script>仓库堆放"}),
    );
    let id = f["id"].as_i64().unwrap();
    let mut page = PageClient::new(&app);
    page.log_in(&app, "member", "/");
    let home = page.get("/");
    assert!(home.body.contains("id=\"bell-count\">1<"), "{}", home.body);
    let list = page.get("/notifications");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("贵企业被报告了一条隐患"),
        "{}",
        list.body
    );
    assert!(list
        .body
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;仓库堆放"));
    assert!(!list.body.contains("<script>alert(1)"));
    let message = messages(&member)[0]["id"].as_i64().unwrap();
    let csrf = page.csrf();
    let opened = page.post(
        &format!("/notifications/{message}/open"),
        &[("csrf", &csrf)],
    );
    assert_eq!(opened.status, 303);
    assert_eq!(
        opened.location.as_deref(),
        Some(format!("/findings/{id}").as_str())
    );
    assert_eq!(unread(&member), 0);
    assert!(!page.get("/").body.contains("id=\"bell-count\""));
    // Without the form's token nothing is marked.
    report(&street, json!({"enterprise_id": own, "title": "第二条"}));
    let second = messages(&member)[0]["id"].as_i64().unwrap();
    let r = page.post(
        &format!("/notifications/{second}/open"),
        &[("csrf", "forged")],
    );
    assert_ne!(r.status, 303);
    assert_eq!(unread(&member), 1);
    let r = page.post("/notifications/read", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(unread(&member), 0);
}

#[test]
fn a_published_batch_tells_each_inspector_and_each_target_the_day() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let member = app.login("member");
    assert!(kinds(&lead).is_empty());
    let (batch, _, _) = crate::inspections::published_trio(&app, &lead);
    // The member's enterprise (老王家常菜馆) inspects one member and is inspected by another.
    let wang = app.enterprise_id("老王家常菜馆");
    let pairs = crate::inspections::inspections(&lead, batch);
    let told = messages(&member);
    assert_eq!(told.len(), 2, "{told:?}");
    for (kind, side) in [
        ("inspection_assigned", "inspector_enterprise_id"),
        ("inspection_scheduled", "target_enterprise_id"),
    ] {
        let pairing = pairs
            .iter()
            .find(|p| p[side].as_i64() == Some(wang))
            .unwrap();
        let m = told.iter().find(|m| m["kind"] == kind).unwrap();
        assert_eq!(m["link"], format!("/inspections/{}", pairing["id"]));
        assert_eq!(m["due_on"], pairing["scheduled_on"]);
        assert!(m["subject"].as_str().unwrap().contains(" · "), "{m}");
    }
    // The lead published it: not told of what it did itself.
    assert!(kinds(&lead).is_empty());
}

#[test]
fn an_event_members_must_attend_tells_their_people_the_day_it_begins() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let member = app.login("member");
    let alliance = crate::inspections::alliance_id(&lead, "东城街道餐饮燃气安全联盟");
    let e = crate::events::plan(
        &lead,
        alliance,
        json!({"title": "燃气安全<培训>", "starts_at": crate::events::at(3, 0), "ends_at": crate::events::at(3, 2)}),
    );
    let id = e["id"].as_i64().unwrap();
    let m = &messages(&member)[0];
    assert_eq!(m["kind"], "event_required");
    assert_eq!(m["subject"], "燃气安全<培训>");
    assert_eq!(m["link"], format!("/events/{id}"));
    assert_eq!(m["due_on"], days_from_today(3));
    assert!(kinds(&lead).is_empty(), "the organizer is not told");
    // An event for named enterprises tells only them.
    let hotpot = app.enterprise_id("东城味道火锅店");
    crate::events::plan(
        &lead,
        alliance,
        json!({"title": "火锅店专场", "requirements": [{"enterprise_id": hotpot, "people": 1}]}),
    );
    assert_eq!(
        kinds(&member),
        vec!["event_required"],
        "not named: not told"
    );
    assert!(kinds(&app.login("street-regulator")).is_empty());
}

#[test]
fn the_bulletin_reaches_regulators_and_leads_and_a_changed_inspection_both_sides() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let lead = app.login("lead");
    let member = app.login("member");
    let last = (safety_alliance::db::types::today() - chrono::Duration::days(40))
        .format("%Y-%m")
        .to_string();
    let r = district.post(
        &format!("/api/v1/oversight/evaluations/{last}/publish"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for label in ["lead", "street-regulator", "industry-regulator"] {
        let m = &messages(&app.login(label))[0];
        assert_eq!(m["kind"], "bulletin_published", "{label}");
        assert_eq!(m["link"], format!("/oversight/bulletin?month={last}"));
    }
    assert!(
        kinds(&member).is_empty(),
        "a member that leads nothing is not told"
    );
    assert!(kinds(&district).is_empty(), "not of its own publishing");
    // A published batch's inspection is changed: the target's people hear, the lead (who
    // changed it) does not.
    let (_, own, target) = crate::inspections::published_trio(&app, &lead);
    let (someone, _) = crate::events::person(&app, target, "被查企业联系人");
    let inspection = own["id"].as_i64().unwrap();
    let r = lead.patch(
        &format!("/api/v1/inspections/{inspection}"),
        &json!({"inspectors": "刘强、王芳"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = &messages(&someone)[0];
    assert_eq!(m["kind"], "inspection_changed");
    assert_eq!(m["link"], format!("/inspections/{inspection}"));
    assert_eq!(m["due_on"], own["scheduled_on"]);
    assert!(!kinds(&lead).contains(&"inspection_changed".to_string()));
}

#[test]
fn marking_read_and_saving_preferences_at_once_neither_fail_nor_lose_anything() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    for i in 0..12 {
        report(
            &street,
            json!({"enterprise_id": own, "title": format!("并发{i}")}),
        );
    }
    let ids: Vec<i64> = messages(&member)
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    std::thread::scope(|s| {
        for (n, id) in ids.iter().enumerate() {
            let member = &member;
            s.spawn(move || {
                let r = if n % 3 == 0 {
                    member.post("/api/v1/notifications/read", &json!({}))
                } else {
                    member.post(&format!("/api/v1/notifications/{id}/read"), &json!({}))
                };
                assert_eq!(r.status, 200, "{}", r.body);
                let lang = if n % 2 == 0 { "en" } else { "zh-CN" };
                let r = member.put(
                    "/api/v1/notifications/preferences",
                    &json!({"language": lang, "digest": n % 2 == 0}),
                );
                assert_eq!(r.status, 200, "{}", r.body);
            });
        }
    });
    assert_eq!(unread(&member), 0);
    assert!(messages(&member).iter().all(|m| !m["read_at"].is_null()));
    assert_eq!(messages(&member).len(), 12);
    let p = member.get("/api/v1/notifications/preferences").body;
    assert!(p["language"] == "en" || p["language"] == "zh-CN");
}
