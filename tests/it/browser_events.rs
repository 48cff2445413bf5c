//! Events in a real browser: a lead plans a training and edits it; a member registers, opens the check-in
//! link (as a scanned QR would) on a phone, and appears in the organizer's attendance list.

use crate::browser::Browser;
use crate::common::TestApp;
use crate::inspections::alliance_id;

#[test]
fn a_lead_plans_a_training_a_member_registers_checks_in_and_is_on_the_attendance_list() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    let lead_api = app.login("lead");
    let alliance = alliance_id(&lead_api, "东城街道餐饮燃气安全联盟");
    let beijing = chrono::Utc::now().with_timezone(&safety_alliance::db::types::shanghai());
    let stamp = |t: chrono::DateTime<chrono::FixedOffset>| t.format("%Y-%m-%dT%H:%M").to_string();

    // 刘强 plans a training that is under way.
    browser.log_in(&app, "lead");
    browser.goto(&app.url(&format!("/alliances/{alliance}")));
    browser.click("#events-link");
    browser.click("#new-event");
    browser.type_into("#event-title", "燃气报警器安装培训");
    browser.set_value(
        "#event-starts",
        &stamp(beijing - chrono::Duration::minutes(5)),
    );
    browser.set_value("#event-ends", &stamp(beijing + chrono::Duration::hours(2)));
    browser.type_into("#event-place", "福记餐饮三楼会议室");
    browser.shoot("event-new");
    browser.click("#create-event");
    browser.wait_text("#event-title", "燃气报警器安装培训");
    let event = browser.current_url();
    let id: i64 = event.rsplit('/').next().unwrap().parse().unwrap();
    browser.find("#check-in-code img");
    browser.shoot("event-organizer");
    // The room changes: he edits the event.
    browser.click("#edit-event");
    browser.set_value("#event-place", "东城街道办事处二楼会议室");
    browser.shoot("event-edit");
    browser.click("#create-event");
    browser.wait_text("#flash", "活动已修改");
    let place = lead_api.get(&format!("/api/v1/events/{id}")).body["place"].clone();
    assert_eq!(place, "东城街道办事处二楼会议室");

    // 王芳 registers, then opens the check-in link on her phone.
    browser.log_in(&app, "member");
    browser.goto(&event);
    browser.click("#register");
    browser.wait_text("#flash", "已报名");
    let code = lead_api.get(&format!("/api/v1/events/{id}/check-in-code"));
    let link = code.body["url"].as_str().unwrap().to_string();
    browser.resize(390, 844);
    browser.goto(&app.url(&link));
    browser.shoot("event-check-in");
    browser.click("#check-in-button");
    browser.wait_text("#flash", "签到成功");

    // She is on the organizer's attendance list.
    browser.resize(1366, 900);
    browser.log_in(&app, "lead");
    browser.goto(&event);
    browser.wait_text("#attendance", "王芳");
    browser.shoot("event-attendance");
    let list = lead_api.get(&format!("/api/v1/events/{id}/attendance"));
    assert_eq!(list.body["items"][0]["method"], "code", "{}", list.body);
    // The page offers the exports and the sign-in sheet; the XLSX opens and holds her.
    browser.find("#export-xlsx");
    let (status, bytes, _) = lead_api.get_bytes(&format!("/api/v1/events/{id}/attendance.xlsx"));
    assert_eq!(status, 200);
    assert!(crate::events::xlsx_strings(&bytes).contains("王芳"));
    browser.click("#sign-in-sheet-link");
    browser.wait_text("#sign-in-sheet", "王芳");
    browser.shoot("event-sign-in-sheet");
    browser.goto(&app.url("/training"));
    browser.shoot("training-record");
}
