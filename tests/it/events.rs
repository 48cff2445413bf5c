//! Alliance events over the API: planning with bad input refused, who sees and organizes them,
//! registrations within the capacity and the quotas (racing for the last seat on both
//! databases), cancelling, a warning education made from a shared lesson, and the calendar.

use std::sync::Barrier;

use chrono::Datelike;

use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::inspections::alliance_id;

const DONGCHENG: &str = "东城街道餐饮燃气安全联盟";

pub fn at(days: i64, hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(hours))
        .to_rfc3339()
}

pub fn plan(lead: &Client, alliance: i64, extra: Value) -> Value {
    let mut body = json!({"kind": "training", "title": "燃气安全培训", "starts_at": at(7, 0),
        "ends_at": at(7, 2), "place": "联盟会议室", "speaker": "周敏", "capacity": 30});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = lead.post(&format!("/api/v1/alliances/{alliance}/events"), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// A new enterprise user of `enterprise`, logged in; with its id.
pub fn person(app: &TestApp, enterprise: i64, n: &str) -> (Client, i64) {
    let email = format!("person.{n}@qingchuan.example");
    let client = app.new_user(
        json!({"email": email, "name": format!("员工{n}"), "role": "enterprise",
        "enterprise_id": enterprise, "password": "a person's passphrase"}),
    );
    let id = client.get("/api/v1/me").body["id"].as_i64().unwrap();
    (client, id)
}

#[test]
fn organizers_plan_events_members_see_them_and_bad_input_changes_nothing() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let url = format!("/api/v1/alliances/{alliance}/events");
    let count = || lead.get(&url).body["total"].as_i64().unwrap();
    let before = count();
    let member_ent = app.enterprise_id("老王家常菜馆");
    let outsider = app.enterprise_id("西湖鱼馆");
    for (body, field) in [
        (json!({"ends_at": at(6, 0)}), "ends_at"),
        (json!({"capacity": 0}), "capacity"),
        (json!({"quota": 40}), "quota"),
        (
            json!({"requirements": [{"enterprise_id": outsider, "people": 2}], "required_all": false}),
            "requirements[0]",
        ),
        (
            json!({"requirements": [{"enterprise_id": member_ent, "people": 50}], "required_all": false}),
            "requirements[0]",
        ),
        (json!({"links": ["javascript:alert(1)"]}), "links"),
        (json!({"title": " "}), "title"),
    ] {
        let mut full = json!({"kind": "training", "title": "培训", "starts_at": at(7, 0),
            "ends_at": at(7, 2), "capacity": 30});
        for (k, v) in body.as_object().unwrap() {
            full[k] = v.clone();
        }
        let r = lead.post(&url, &full);
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        assert!(
            r.error_fields().contains(&field.to_string()),
            "{field}: {}",
            r.body
        );
    }
    assert_eq!(count(), before);
    let e = plan(
        &lead,
        alliance,
        json!({"required_all": false, "requirements": [{"enterprise_id": member_ent, "people": 3}],
               "links": ["https://www.mem.gov.cn/"]}),
    );
    assert_eq!(
        e["requirements"],
        json!([{"enterprise_id": member_ent, "people": 3}])
    );
    assert_eq!(e["organizer"], true);
    let id = e["id"].as_i64().unwrap();
    // Members see it; they do not edit it; an expert and outsiders do not see it.
    let member = app.login("member");
    assert_eq!(member.get(&format!("/api/v1/events/{id}")).status, 200);
    assert_eq!(
        member.get(&format!("/api/v1/events/{id}")).body["organizer"],
        false
    );
    assert_eq!(
        member
            .patch(&format!("/api/v1/events/{id}"), &json!({"place": "别处"}))
            .status,
        403
    );
    assert_eq!(
        app.login("expert")
            .get(&format!("/api/v1/events/{id}"))
            .status,
        404
    );
    assert_eq!(
        app.login("street-regulator")
            .get(&format!("/api/v1/events/{id}"))
            .status,
        200
    );
    // The organizer edits and writes the summary afterwards.
    let r = lead.patch(
        &format!("/api/v1/events/{id}"),
        &json!({"summary": "到会 25 人，讲解报警器安装要求。", "capacity": 40}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["capacity"], 40);
}

#[test]
fn registrations_hold_capacity_and_quotas_and_can_be_cancelled() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member_ent = app.enterprise_id("老王家常菜馆");
    let e = plan(&lead, alliance, json!({"capacity": 3, "quota": 2}));
    let id = e["id"].as_i64().unwrap();
    let url = format!("/api/v1/events/{id}/registrations");
    let (a, a_id) = person(&app, member_ent, "a");
    let (_, b_id) = person(&app, member_ent, "b");
    let (_, c_id) = person(&app, member_ent, "c");
    // A member registers itself, then two colleagues: the quota of 2 stops the third.
    assert_eq!(a.post(&url, &json!({})).status, 201);
    let r = a.post(&url, &json!({"user_ids": [b_id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["registrations"].as_array().unwrap().len(), 2);
    let r = a.post(&url, &json!({"user_ids": [c_id]}));
    assert_eq!(
        (
            r.status,
            r.body["type"]
                .as_str()
                .unwrap_or("")
                .ends_with("quota-reached")
        ),
        (409, true),
        "{}",
        r.body
    );
    assert_eq!(a.post(&url, &json!({})).status, 422);
    // Someone else's people, or a user of another enterprise, are not the member's to register.
    let other = app.enterprise_id("东城味道火锅店");
    let (_, d_id) = person(&app, other, "d");
    assert_eq!(
        a.post(&url, &json!({"enterprise_id": other, "user_ids": [d_id]}))
            .status,
        403
    );
    assert_eq!(
        a.post(&url, &json!({"user_ids": [d_id]})).error_fields(),
        ["user_ids"]
    );
    // Capacity below the registrations is refused; the last seat goes, then the event is full.
    assert_eq!(
        lead.patch(&format!("/api/v1/events/{id}"), &json!({"capacity": 1}))
            .error_fields(),
        ["capacity"]
    );
    let r = lead.post(&url, &json!({"enterprise_id": other, "user_ids": [d_id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let (_, e_id) = person(&app, other, "e");
    let r = lead.post(&url, &json!({"enterprise_id": other, "user_ids": [e_id]}));
    assert_eq!(r.status, 409, "{}", r.body);
    // Cancelling frees the seat.
    assert_eq!(a.delete(&format!("{url}/{b_id}")).status, 204);
    // Another enterprise's registration reads as none.
    assert_eq!(a.delete(&format!("{url}/{d_id}")).status, 404);
    assert_eq!(lead.delete(&format!("{url}/{b_id}")).status, 404);
    let r = lead.post(&url, &json!({"enterprise_id": other, "user_ids": [e_id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["registered"], 3);
    let _ = a_id;
}

#[test]
fn two_registrations_racing_for_the_last_seat_never_both_succeed() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let enterprises = [
        app.enterprise_id("老王家常菜馆"),
        app.enterprise_id("东城味道火锅店"),
    ];
    let people: Vec<Client> = enterprises
        .iter()
        .enumerate()
        .map(|(n, e)| person(&app, *e, &format!("race{n}")).0)
        .collect();
    for round in 0..5 {
        let e = plan(
            &lead,
            alliance,
            json!({"capacity": 1, "title": format!("第{round}场")}),
        );
        let url = format!("/api/v1/events/{}/registrations", e["id"]);
        let barrier = Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = people
                .iter()
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
        assert_eq!(sorted, [201, 409], "round {round}");
        let detail = lead.get(&format!("/api/v1/events/{}", e["id"]));
        assert_eq!(detail.body["registered"], 1);
        assert_eq!(detail.body["registrations"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_shared_lesson_becomes_a_warning_education_and_events_are_in_the_calendar() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member = app.login("member");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "灶具无熄火保护", "category": "equipment", "grade": "general", "treatment": "on_the_spot"}),
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
        json!({"kind": "warning_education", "title": "熄火保护警示教育", "lesson_id": finding,
               "case_study": "某餐馆灶具熄火后燃气泄漏", "hazard_categories": ["equipment"]}),
    );
    assert_eq!(e["lesson_id"].as_i64(), Some(finding));
    assert_eq!(e["hazard_categories"], json!(["equipment"]));
    // A finding that is not a shared lesson of the alliance is refused.
    let private = member.post(
        "/api/v1/findings",
        &json!({"title": "未共享", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    let r = lead.post(
        &format!("/api/v1/alliances/{alliance}/events"),
        &json!({"kind": "warning_education", "title": "x", "starts_at": at(7, 0), "ends_at": at(7, 1),
                "capacity": 10, "lesson_id": private.body["id"]}),
    );
    assert_eq!(r.error_fields(), ["lesson_id"]);
    // The members' calendars hold the alliance's events.
    let (status, bytes, _) = member.get_bytes("/api/v1/calendar.ics");
    assert_eq!(status, 200);
    let text = String::from_utf8(bytes).unwrap();
    let calendar: icalendar::Calendar = text.parse().unwrap();
    assert!(
        calendar
            .components
            .iter()
            .filter_map(|c| c.as_event())
            .any(|ev| {
                use icalendar::Component;
                ev.get_uid() == Some(&format!("event-{}@safety-alliance", e["id"]))
            }),
        "{text}"
    );
}

#[test]
fn registered_people_check_in_with_the_code_during_the_event_and_the_organizer_sees_who_came() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member_ent = app.enterprise_id("老王家常菜馆");
    // An event under way (started ten minutes ago), and one next week.
    let now = chrono::Utc::now();
    let e = plan(
        &lead,
        alliance,
        json!({"starts_at": (now - chrono::Duration::minutes(10)).to_rfc3339(),
               "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339(),
               "required_all": false,
               "requirements": [{"enterprise_id": member_ent, "people": 2},
                                {"enterprise_id": app.enterprise_id("东城味道火锅店"), "people": 1}]}),
    );
    let id = e["id"].as_i64().unwrap();
    let later = plan(&lead, alliance, json!({}));
    let code = lead.get(&format!("/api/v1/events/{id}/check-in-code"));
    assert_eq!(code.status, 200, "{}", code.body);
    let token = code.body["token"].as_str().unwrap().to_string();
    assert!(code.body["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/events/{id}/check-in?token=")));
    let (status, svg, headers) = lead.get_bytes(&format!("/api/v1/events/{id}/check-in-code.svg"));
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    let member = app.login("member");
    assert_eq!(
        member
            .get(&format!("/api/v1/events/{id}/check-in-code"))
            .status,
        403
    );

    // Not registered: refused (walk-ins go through the organizer). Registered: in, once.
    let url = format!("/api/v1/events/{id}/check-in");
    assert_eq!(member.post(&url, &json!({"token": token})).status, 403);
    assert_eq!(
        member
            .post(&format!("/api/v1/events/{id}/registrations"), &json!({}))
            .status,
        201
    );
    assert_eq!(
        member
            .post(&url, &json!({"token": "forged.token.here"}))
            .error_fields(),
        ["token"]
    );
    // The code of another event, and a code whose window has not opened, are refused.
    let other = lead.get(&format!("/api/v1/events/{}/check-in-code", later["id"]));
    let other_token = other.body["token"].as_str().unwrap();
    assert_eq!(
        member
            .post(&url, &json!({"token": other_token}))
            .error_fields(),
        ["token"]
    );
    let later_url = format!("/api/v1/events/{}/check-in", later["id"]);
    member.post(
        &format!("/api/v1/events/{}/registrations", later["id"]),
        &json!({}),
    );
    assert_eq!(
        member
            .post(&later_url, &json!({"token": other_token}))
            .status,
        409
    );
    let r = member.post(&url, &json!({"token": token}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member.post(&url, &json!({"token": token})).status, 200);

    // The organizer checks in a walk-in by name and sees who came and who did not.
    let walk_in = json!({"enterprise_id": member_ent, "name": "临时参加的厨师"});
    let r = lead.post(&format!("/api/v1/events/{id}/attendance"), &walk_in);
    assert_eq!(r.status, 200, "{}", r.body);
    // Sent twice, the same walk-in counts once.
    let r = lead.post(&format!("/api/v1/events/{id}/attendance"), &walk_in);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2, "{}", r.body);
    assert_eq!(
        lead.post(
            &format!("/api/v1/events/{id}/attendance"),
            &json!({"name": "无企业"})
        )
        .status,
        422
    );
    let list = lead.get(&format!("/api/v1/events/{id}/attendance"));
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", list.body);
    assert_eq!(items[0]["method"], "code");
    assert_eq!(items[1]["name"], "临时参加的厨师");
    assert_eq!(
        list.body["absent"],
        json!([app.enterprise_id("东城味道火锅店")])
    );
    assert_eq!(
        member
            .get(&format!("/api/v1/events/{id}/attendance"))
            .status,
        403
    );
}

#[test]
fn attendance_exports_and_training_records_count_what_happened() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member_ent = app.enterprise_id("老王家常菜馆");
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for (kind, title) in [
        ("training", "报警器培训"),
        ("warning_education", "燃气爆炸警示教育"),
    ] {
        let e = plan(
            &lead,
            alliance,
            json!({"kind": kind, "title": title,
                   "starts_at": (now - chrono::Duration::minutes(5)).to_rfc3339(),
                   "ends_at": (now + chrono::Duration::hours(1)).to_rfc3339()}),
        );
        let id = e["id"].as_i64().unwrap();
        let r = lead.post(
            &format!("/api/v1/events/{id}/attendance"),
            &json!({"user_id": app.user_id("member")}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        lead.post(
            &format!("/api/v1/events/{id}/attendance"),
            &json!({"enterprise_id": member_ent, "name": "张=厨师"}),
        );
        ids.push(id);
    }
    // CSV: BOM, Chinese headers, a name that would start a formula is quoted.
    let (status, bytes, headers) =
        lead.get_bytes(&format!("/api/v1/events/{}/attendance.csv", ids[0]));
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/csv"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("\u{feff}序号,姓名,单位,签到时间,签到方式"));
    assert!(text.contains("王芳,老王家常菜馆"));
    // XLSX: a real workbook holding the attendee (its shared strings, unzipped).
    let (status, bytes, _) = lead.get_bytes(&format!("/api/v1/events/{}/attendance.xlsx", ids[0]));
    assert_eq!(status, 200);
    let strings = crate::events::xlsx_strings(&bytes);
    assert!(
        strings.contains("王芳") && strings.contains("签到时间"),
        "{strings}"
    );
    assert_eq!(
        app.login("member")
            .get_bytes(&format!("/api/v1/events/{}/attendance.xlsx", ids[0]))
            .0,
        403
    );
    // Training records: the enterprise's (two events, one of each kind), and the person's own.
    let r = lead.get(&format!("/api/v1/enterprises/{member_ent}/training-record"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["items"][0]["people"], 2);
    let totals = r.body["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 2);
    assert!(totals.iter().all(|t| t["events"] == 1));
    let mine = app.login("member").get("/api/v1/me/training-record");
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(mine.body["items"][0]["people"], 1);
    let last_year = chrono::Utc::now().year_ce().1 as i32 - 1;
    let none = app
        .login("member")
        .get(&format!("/api/v1/me/training-record?year={last_year}"));
    assert_eq!(none.body["items"], json!([]));
}

/// The shared strings of an XLSX workbook (where its text cells live).
pub fn xlsx_strings(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut file = archive
        .by_name("xl/sharedStrings.xml")
        .expect("a workbook with text has shared strings");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text).unwrap();
    text
}

#[test]
fn members_download_an_events_materials_and_others_do_not() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let file = lead.upload(&crate::common::jpeg("slides"), "课件.jpg", "image/jpeg");
    let material = file.body["id"].as_i64().unwrap();
    let e = plan(&lead, alliance, json!({"material_ids": [material]}));
    assert_eq!(e["material_ids"], json!([material]));
    let url = format!("/api/v1/attachments/{material}");
    assert_eq!(app.login("member").get_bytes(&url).0, 200);
    assert_eq!(app.login("street-regulator").get_bytes(&url).0, 200);
    assert_eq!(app.login("expert").get_bytes(&url).0, 404);
    // Afterwards the organizer adds a summary and photos of the event (page form), which the
    // members see too.
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let csrf = page.csrf();
    let jpeg = crate::common::jpeg("event photo");
    let r = page.post_multipart(
        &format!("/events/{}/act", e["id"]),
        &[
            ("csrf", &csrf),
            ("action", "summary"),
            ("summary", "到会 20 人"),
        ],
        &[("photo", "现场.jpg", &jpeg)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let d = lead.get(&format!("/api/v1/events/{}", e["id"]));
    assert_eq!(d.body["summary"], "到会 20 人");
    let photo = d.body["photo_ids"][0].as_i64().expect("a photo");
    assert_eq!(
        app.login("member")
            .get_bytes(&format!("/api/v1/attachments/{photo}"))
            .0,
        200
    );
    let r = lead.patch(
        &format!("/api/v1/events/{}", e["id"]),
        &json!({"photo_ids": [material + 100000]}),
    );
    assert_eq!(r.error_fields(), ["photo_ids"]);
    // Someone else's upload is not the organizer's to attach.
    let theirs = app
        .login("member")
        .upload(&crate::common::jpeg("other"), "x.jpg", "image/jpeg");
    let r = lead.post(
        &format!("/api/v1/alliances/{alliance}/events"),
        &json!({"kind": "training", "title": "x", "starts_at": at(7, 0), "ends_at": at(7, 1),
                "capacity": 10, "material_ids": [theirs.body["id"]]}),
    );
    assert_eq!(r.error_fields(), ["material_ids"]);
}

#[test]
fn a_lesson_page_turns_into_a_warning_education_form_and_home_shows_coming_events() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member = app.login("member");
    let r = member.post(
        "/api/v1/findings",
        &json!({"title": "燃气软管老化开裂", "category": "equipment", "grade": "general",
                "treatment": "on_the_spot", "description": "后厨软管使用超过两年"}),
    );
    let finding = r.body["id"].as_i64().unwrap();
    member.post(
        &format!("/api/v1/findings/{finding}/transitions"),
        &json!({"action": "share"}),
    );
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let lessons = page.get(&format!("/alliances/{alliance}/lessons"));
    let link = format!("/alliances/{alliance}/events/new?lesson_id={finding}");
    assert!(lessons.body.contains(&link.replace('&', "&amp;")) || lessons.body.contains(&link));
    let form = page.get(&link);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("警示教育：燃气软管老化开裂"));
    assert!(form.body.contains("后厨软管使用超过两年"));
    // A member gets neither the link nor the form (which would list the members).
    let mut member_page = crate::pages::PageClient::new(&app);
    member_page.log_in(&app, "member", "/");
    assert_eq!(member_page.get(&link).status, 403);
    let mut outsider = crate::pages::PageClient::new(&app);
    outsider.log_in(&app, "expert", "/");
    assert_eq!(outsider.get(&link).status, 404);
    assert!(!member_page
        .get(&format!("/alliances/{alliance}/lessons"))
        .body
        .contains("lesson_id="));
    // The coming event is on the members' home page.
    plan(&lead, alliance, json!({"title": "下周的消防培训"}));
    assert!(member_page.get("/").body.contains("下周的消防培训"));
}

#[test]
fn the_event_form_takes_chosen_members_and_materials() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member_ent = app.enterprise_id("老王家常菜馆").to_string();
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let csrf = page.csrf();
    let form = page.get(&format!("/alliances/{alliance}/events/new"));
    assert!(form.body.contains("老王家常菜馆"));
    let start = (chrono::Utc::now() + chrono::Duration::days(3))
        .with_timezone(&safety_alliance::db::types::shanghai());
    let starts = start.format("%Y-%m-%dT%H:%M").to_string();
    let ends = (start + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "warning_education"),
        ("title", "后厨燃气事故警示教育"),
        ("starts_at", starts.as_str()),
        ("ends_at", ends.as_str()),
        ("capacity", "20"),
        ("quota", "3"),
        ("required_all", "no"),
        ("required", member_ent.as_str()),
        ("hazard_category", "fire"),
        ("hazard_category", "equipment"),
    ];
    let jpeg = crate::common::jpeg("material");
    let r = page.post_multipart(
        &format!("/alliances/{alliance}/events/new"),
        &fields,
        &[("material", "经验材料.jpg", &jpeg)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let id = r.location.unwrap().rsplit('/').next().unwrap().to_string();
    let e = lead.get(&format!("/api/v1/events/{id}"));
    assert_eq!(e.body["required_all"], false);
    assert_eq!(
        e.body["requirements"],
        json!([{"enterprise_id": member_ent.parse::<i64>().unwrap(), "people": 3}])
    );
    assert_eq!(e.body["material_ids"].as_array().unwrap().len(), 1);
    assert_eq!(e.body["hazard_categories"], json!(["fire", "equipment"]));
    // A refused form keeps the choice (and says why).
    let mut bad = fields.to_vec();
    bad[4] = ("ends_at", starts.as_str());
    let r = page.post_multipart(&format!("/alliances/{alliance}/events/new"), &bad, &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("后厨燃气事故警示教育"));
    assert!(r.body.contains(&format!("value=\"{member_ent}\" checked")));
}

#[test]
fn a_member_registers_a_colleague_on_the_page_and_cancels_them() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let member_ent = app.enterprise_id("老王家常菜馆");
    let (_, colleague) = person(&app, member_ent, "colleague");
    let e = plan(&lead, alliance, json!({}));
    let id = e["id"].as_i64().unwrap();
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "member", "/");
    let csrf = page.csrf();
    let shown = page.get(&format!("/events/{id}"));
    assert!(shown.body.contains("员工colleague"));
    let who = colleague.to_string();
    let r = page.post(
        &format!("/events/{id}/act"),
        &[("csrf", &csrf), ("action", "register"), ("user_id", &who)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let d = lead.get(&format!("/api/v1/events/{id}"));
    assert_eq!(
        d.body["registrations"][0]["user_id"].as_i64(),
        Some(colleague)
    );
    let r = page.post(
        &format!("/events/{id}/act"),
        &[("csrf", &csrf), ("action", "cancel"), ("user_id", &who)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        lead.get(&format!("/api/v1/events/{id}")).body["registered"],
        0
    );
}
