//! Changing a planned event: its kind, who must attend, what a warning education carries and
//! its files, with combinations that make no sense refused and nothing changed; the organizer's
//! edit page; the lead's own staff registering on the page; who was absent, counted against the
//! members of the day; and a person checked in twice at once (on both databases) counted once.

use std::sync::Barrier;

use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::events::{at, person, plan};
use crate::inspections::alliance_id;

const DONGCHENG: &str = "东城街道餐饮燃气安全联盟";

fn event(client: &Client, id: i64) -> Value {
    let r = client.get(&format!("/api/v1/events/{id}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// A refused change names `field` and leaves the event as it was.
fn refused(lead: &Client, id: i64, patch: Value, field: &str) {
    let before = event(lead, id);
    let r = lead.patch(&format!("/api/v1/events/{id}"), &patch);
    assert_eq!(r.status, 422, "{patch}: {}", r.body);
    assert!(
        r.error_fields().contains(&field.to_string()),
        "{patch}: {}",
        r.body
    );
    assert_eq!(event(lead, id), before, "{patch}");
}

#[test]
fn loose_combinations_are_refused_when_planning() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let url = format!("/api/v1/alliances/{alliance}/events");
    let before = lead.get(&url).body["total"].clone();
    for (extra, field) in [
        (json!({"required_all": false}), "requirements"),
        (json!({"case_study": "某厂爆炸事故"}), "case_study"),
        (json!({"hazard_categories": ["fire"]}), "hazard_categories"),
        (
            json!({"kind": "warning_education", "hazard_categories": ["fire", "fire"]}),
            "hazard_categories",
        ),
    ] {
        let mut body = json!({"kind": "training", "title": "培训", "starts_at": at(7, 0),
            "ends_at": at(7, 2), "capacity": 30});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = lead.post(&url, &body);
        assert_eq!(r.status, 422, "{extra}: {}", r.body);
        assert!(r.error_fields().contains(&field.to_string()), "{}", r.body);
    }
    assert_eq!(lead.get(&url).body["total"], before);
}

#[test]
fn organizers_change_the_kind_who_must_attend_and_the_files_and_nothing_loose_is_kept() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let wang = app.enterprise_id("老王家常菜馆");
    let hotpot = app.enterprise_id("东城味道火锅店");
    let e = plan(&lead, alliance, json!({"quota": 2}));
    let id = e["id"].as_i64().unwrap();
    let url = format!("/api/v1/events/{id}");

    // A training becomes a warning education with its case and categories.
    let r = lead.patch(
        &url,
        &json!({"kind": "warning_education", "case_study": "某餐馆燃气泄漏爆炸",
                "hazard_categories": ["fire", "equipment"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["kind"], "warning_education");
    assert_eq!(r.body["hazard_categories"], json!(["fire", "equipment"]));
    // Back to a training only without them.
    refused(&lead, id, json!({"kind": "training"}), "case_study");
    refused(
        &lead,
        id,
        json!({"kind": "training", "case_study": ""}),
        "hazard_categories",
    );

    // Who must attend: "these" needs a list; a list replaces the choice of every member.
    refused(&lead, id, json!({"required_all": false}), "requirements");
    refused(
        &lead,
        id,
        json!({"required_all": true, "requirements": [{"enterprise_id": wang, "people": 1}]}),
        "requirements",
    );
    refused(
        &lead,
        id,
        json!({"requirements": [{"enterprise_id": app.enterprise_id("西湖鱼馆"), "people": 1}]}),
        "requirements[0]",
    );
    let r = lead.patch(
        &url,
        &json!({"requirements": [{"enterprise_id": wang, "people": 2}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["required_all"], false);
    assert_eq!(
        r.body["requirements"],
        json!([{"enterprise_id": wang, "people": 2}])
    );

    // Nobody registered is left over their enterprise's new number.
    let (_, a) = person(&app, hotpot, "hp-a");
    let (_, b) = person(&app, hotpot, "hp-b");
    let (_, c) = person(&app, wang, "w-c");
    let (_, d) = person(&app, wang, "w-d");
    for (ent, users) in [(hotpot, [a, b]), (wang, [c, d])] {
        let r = lead.post(
            &format!("{url}/registrations"),
            &json!({"enterprise_id": ent, "user_ids": users}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    refused(&lead, id, json!({"quota": 1}), "quota");
    refused(
        &lead,
        id,
        json!({"quota": 1, "requirements": [{"enterprise_id": wang, "people": 1}]}),
        "requirements[0]",
    );
    let r = lead.patch(&url, &json!({"required_all": true}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["required_all"], true);
    assert_eq!(r.body["requirements"], json!([]));

    // Files: added, taken off, and only the event's own taken off.
    let jpeg = crate::common::jpeg("material");
    let file = lead.upload(&jpeg, "讲义.jpg", "image/jpeg").body["id"]
        .as_i64()
        .unwrap();
    let r = lead.patch(&url, &json!({"material_ids": [file]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["material_ids"], json!([file]));
    refused(
        &lead,
        id,
        json!({"remove_file_ids": [file + 1000]}),
        "remove_file_ids",
    );
    let r = lead.patch(&url, &json!({"remove_file_ids": [file]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["material_ids"], json!([]));
}

#[test]
fn an_event_made_from_a_shared_lesson_stays_a_warning_education() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member = app.login("member");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "软管老化", "category": "equipment", "grade": "general", "treatment": "on_the_spot"}),
    );
    let finding = r.body["id"].as_i64().unwrap();
    let r = member.post(
        &format!("/api/v1/findings/{finding}/transitions"),
        &json!({"action": "share"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // A lesson is for a warning education only.
    let r = lead.post(
        &format!("/api/v1/alliances/{alliance}/events"),
        &json!({"kind": "training", "title": "x", "starts_at": at(7, 0), "ends_at": at(7, 1),
                "capacity": 10, "lesson_id": finding}),
    );
    assert_eq!(r.error_fields(), ["lesson_id"], "{}", r.body);
    let e = plan(
        &lead,
        alliance,
        json!({"kind": "warning_education", "lesson_id": finding, "case_study": "软管老化"}),
    );
    let id = e["id"].as_i64().unwrap();
    refused(
        &lead,
        id,
        json!({"kind": "experience_exchange", "case_study": ""}),
        "kind",
    );
}

#[test]
fn the_organizer_edits_an_event_on_its_page_and_members_do_not() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let wang = app.enterprise_id("老王家常菜馆").to_string();
    let e = plan(&lead, alliance, json!({}));
    let id = e["id"].as_i64().unwrap();
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let csrf = page.csrf();
    assert!(page
        .get(&format!("/events/{id}"))
        .body
        .contains("id=\"edit-event\""));
    let form = page.get(&format!("/events/{id}/edit"));
    assert_eq!(form.status, 200);
    assert!(form.body.contains("燃气安全培训"), "{}", form.body);
    assert!(form.body.contains("联盟会议室"));
    let start = chrono::DateTime::parse_from_rfc3339(e["starts_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&safety_alliance::db::types::shanghai());
    let starts = start.format("%Y-%m-%dT%H:%M").to_string();
    let ends = (start + chrono::Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "warning_education"),
        ("title", "燃气事故警示教育"),
        ("starts_at", starts.as_str()),
        ("ends_at", ends.as_str()),
        ("place", "街道会议中心"),
        ("capacity", "25"),
        ("quota", "3"),
        ("required_all", "no"),
        ("required", wang.as_str()),
        ("case_study", "某饭店液化气瓶爆炸"),
        ("hazard_category", "fire"),
    ];
    let r = page.post_multipart(&format!("/events/{id}/edit"), &fields, &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = event(&lead, id);
    assert_eq!(after["title"], "燃气事故警示教育");
    assert_eq!(after["kind"], "warning_education");
    assert_eq!(after["place"], "街道会议中心");
    assert_eq!(after["capacity"], 25);
    assert_eq!(
        after["requirements"],
        json!([{"enterprise_id": wang.parse::<i64>().unwrap(), "people": 3}])
    );
    assert_eq!(after["hazard_categories"], json!(["fire"]));
    // The form shows what it holds now, and a refused change keeps what was typed.
    let form = page.get(&format!("/events/{id}/edit"));
    assert!(form.body.contains(&format!("value=\"{wang}\" checked")));
    assert!(form.body.contains("value=\"fire\" checked"));
    let mut bad = fields.to_vec();
    bad[1] = ("kind", "training");
    bad[2] = ("title", "改成培训");
    let r = page.post_multipart(&format!("/events/{id}/edit"), &bad, &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("改成培训"));
    assert_eq!(event(&lead, id)["title"], "燃气事故警示教育");
    // A member neither opens nor sends the form.
    let mut member = crate::pages::PageClient::new(&app);
    member.log_in(&app, "member", "/");
    let csrf = member.csrf();
    assert_eq!(member.get(&format!("/events/{id}/edit")).status, 403);
    let mut theirs = fields.to_vec();
    theirs[0] = ("csrf", csrf.as_str());
    let r = member.post_multipart(&format!("/events/{id}/edit"), &theirs, &[]);
    assert_eq!(r.status, 403);
    assert!(!member
        .get(&format!("/events/{id}"))
        .body
        .contains("edit-event"));
}

#[test]
fn the_leads_own_staff_register_on_the_event_page() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let e = plan(&lead, alliance, json!({}));
    let id = e["id"].as_i64().unwrap();
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let csrf = page.csrf();
    assert!(page
        .get(&format!("/events/{id}"))
        .body
        .contains("id=\"register\""));
    let r = page.post(
        &format!("/events/{id}/act"),
        &[("csrf", &csrf), ("action", "register")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let me = lead.get("/api/v1/me").body["id"].clone();
    assert_eq!(event(&lead, id)["registrations"][0]["user_id"], me);
    // A regulator organizes but belongs to no member enterprise: no form to register.
    let mut street = crate::pages::PageClient::new(&app);
    street.log_in(&app, "street-regulator", "/");
    assert!(!street
        .get(&format!("/events/{id}"))
        .body
        .contains("id=\"register\""));
}

#[test]
fn the_absent_are_counted_against_the_members_of_the_events_day() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let district = app.login("district-regulator");
    let alliance = alliance_id(&lead, DONGCHENG);
    let hotpot = app.enterprise_id("东城味道火锅店");
    // An event held two days ago that every member had to attend.
    let e = plan(
        &lead,
        alliance,
        json!({"starts_at": at(-2, 0), "ends_at": at(-2, 2)}),
    );
    let id = e["id"].as_i64().unwrap();
    // Since then one member left and another enterprise joined.
    let r = district.delete(&format!("/api/v1/alliances/{alliance}/members/{hotpot}"));
    assert_eq!(r.status, 204, "{}", r.body);
    let newcomer = app.enterprise_id("西湖鱼馆");
    let r = district.post(
        &format!("/api/v1/alliances/{alliance}/members"),
        &json!({"enterprise_id": newcomer}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let a = lead.get(&format!("/api/v1/events/{id}/attendance"));
    assert_eq!(a.status, 200, "{}", a.body);
    let absent: Vec<i64> = a.body["absent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert!(absent.contains(&hotpot), "{}", a.body);
    assert!(!absent.contains(&newcomer), "{}", a.body);
}

#[test]
fn one_person_checked_in_twice_at_once_counts_once() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let wang = app.enterprise_id("老王家常菜馆");
    let (attendee, who) = person(&app, wang, "twice");
    for round in 0..4 {
        let e = plan(
            &lead,
            alliance,
            json!({"starts_at": at(0, -1), "ends_at": at(0, 1), "title": format!("第{round}场")}),
        );
        let id = e["id"].as_i64().unwrap();
        let r = attendee.post(&format!("/api/v1/events/{id}/registrations"), &json!({}));
        assert_eq!(r.status, 201, "{}", r.body);
        let token = lead.get(&format!("/api/v1/events/{id}/check-in-code")).body["token"].clone();
        // The attendee scans while the organizer ticks them off by hand.
        let barrier = Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let scan = s.spawn(|| {
                barrier.wait();
                attendee
                    .post(
                        &format!("/api/v1/events/{id}/check-in"),
                        &json!({"token": token}),
                    )
                    .status
            });
            let by_hand = s.spawn(|| {
                barrier.wait();
                lead.post(
                    &format!("/api/v1/events/{id}/attendance"),
                    &json!({"user_id": who}),
                )
                .status
            });
            vec![scan.join().unwrap(), by_hand.join().unwrap()]
        });
        assert!(
            statuses.iter().all(|s| (200..300).contains(s)),
            "round {round}: {statuses:?}"
        );
        let a = lead.get(&format!("/api/v1/events/{id}/attendance"));
        assert_eq!(a.body["items"].as_array().unwrap().len(), 1, "{}", a.body);
    }
}

#[test]
fn what_was_decided_stays_coherent_once_people_left_or_the_event_is_over() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let district = app.login("district-regulator");
    let alliance = alliance_id(&lead, DONGCHENG);
    let wang = app.enterprise_id("老王家常菜馆");
    let hotpot = app.enterprise_id("东城味道火锅店");
    let url = format!("/api/v1/alliances/{alliance}/events");
    // The people named must fit in the seats.
    let r = lead.post(
        &url,
        &json!({"kind": "training", "title": "培训", "starts_at": at(7, 0), "ends_at": at(7, 2),
                "capacity": 4, "quota": 1, "required_all": false,
                "requirements": [{"enterprise_id": wang, "people": 3},
                                 {"enterprise_id": hotpot, "people": 2}]}),
    );
    assert_eq!(r.error_fields(), ["requirements"], "{}", r.body);
    // An enterprise that must send one may still register up to the quota.
    let e = plan(
        &lead,
        alliance,
        json!({"quota": 2, "required_all": false,
               "requirements": [{"enterprise_id": wang, "people": 1},
                                {"enterprise_id": hotpot, "people": 1}]}),
    );
    let id = e["id"].as_i64().unwrap();
    let (_, a) = person(&app, wang, "q-a");
    let (_, b) = person(&app, wang, "q-b");
    let r = lead.post(
        &format!("/api/v1/events/{id}/registrations"),
        &json!({"enterprise_id": wang, "user_ids": [a, b]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // A file is on an event once.
    let jpeg = crate::common::jpeg("once");
    let file = lead.upload(&jpeg, "讲义.jpg", "image/jpeg").body["id"].clone();
    let r = lead.patch(
        &format!("/api/v1/events/{id}"),
        &json!({"material_ids": [file]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    refused(&lead, id, json!({"photo_ids": [file]}), "photo_ids");
    // The hot-pot restaurant leaves: the list still says it had to come, and the event can
    // still be changed.
    let r = district.delete(&format!("/api/v1/alliances/{alliance}/members/{hotpot}"));
    assert_eq!(r.status, 204, "{}", r.body);
    let r = lead.patch(
        &format!("/api/v1/events/{id}"),
        &json!({"summary": "改期说明"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["enterprise_id"] == hotpot));
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let form = page.get(&format!("/events/{id}/edit"));
    assert!(form.body.contains(&format!("value=\"{hotpot}\" checked")));

    // Once an event is over its registrations are its record: nobody cancels them.
    let past = plan(
        &lead,
        alliance,
        json!({"starts_at": at(-1, 0), "ends_at": at(0, -1)}),
    );
    let past_id = past["id"].as_i64().unwrap();
    let (_, c) = person(&app, wang, "q-c");
    let mut conn = app.platform.db.conn().unwrap();
    safety_alliance::db::write_tx(&mut conn, |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO registrations (event_id, enterprise_id, user_id, registered_by, registered_at) \
             VALUES ({past_id}, {wang}, {c}, {c}, CURRENT_TIMESTAMP)"
        ))
        .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let r = lead.delete(&format!("/api/v1/events/{past_id}/registrations/{c}"));
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(event(&lead, past_id)["registered"], 1);
}

#[test]
fn a_warning_education_made_from_a_lesson_takes_its_category_and_case() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member = app.login("member");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "配电箱无防护", "description": "后厨配电箱门缺失", "category": "electrical",
                "grade": "general", "treatment": "on_the_spot"}),
    );
    let finding = r.body["id"].as_i64().unwrap();
    let r = member.post(
        &format!("/api/v1/findings/{finding}/transitions"),
        &json!({"action": "share"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let e = plan(
        &lead,
        alliance,
        json!({"kind": "warning_education", "lesson_id": finding}),
    );
    assert_eq!(e["hazard_categories"], json!(["electrical"]));
    assert!(e["case_study"]
        .as_str()
        .unwrap()
        .contains("后厨配电箱门缺失"));
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let form = page.get(&format!(
        "/alliances/{alliance}/events/new?lesson_id={finding}"
    ));
    assert!(
        form.body.contains("value=\"electrical\" checked"),
        "{}",
        form.body
    );
}
