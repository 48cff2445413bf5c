//! Mutual inspection in a real browser: a lead opens and publishes a batch; an inspector fills
//! a checklist on a phone-sized window, two items failed; the target enterprise finds the two
//! hazards in its list.

use serde_json::Value;

use crate::browser::Browser;
use crate::common::TestApp;
use crate::inspections::{alliance_id, inspections};

#[test]
fn a_lead_publishes_a_batch_an_inspector_submits_on_a_phone_the_target_sees_two_hazards() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    let lead_api = app.login("lead");
    let alliance = alliance_id(&lead_api, "东城街道餐饮燃气安全联盟");

    // 刘强 opens a batch for his alliance from its page, with the gas checklist.
    browser.log_in(&app, "lead");
    browser.goto(&app.url(&format!("/alliances/{alliance}")));
    browser.click("#batches-link");
    browser.click("#new-batch");
    browser.type_into("#batch-name", "2026年冬季燃气互查");
    let gas = lead_api.get("/api/v1/checklists?per_page=100").body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().contains("餐饮场所燃气"))
        .unwrap()["id"]
        .clone();
    browser.click(&format!("#checklist option[value='{gas}']"));
    browser.shoot("batch-wizard");
    browser.click("#create-batch");
    browser.wait_text("#batch-state", "草稿");
    browser.wait_text("#pairings", "老王家常菜馆");
    browser.shoot("batch-draft");
    let here = browser.current_url();
    browser.goto(&format!("{here}#pairings"));
    browser.shoot("batch-pairings");
    browser.goto(&here);
    browser.click("#publish-batch");
    browser.click("#confirm-yes");
    browser.wait_text("#batch-state", "已发布");
    let batch: i64 = browser
        .current_url()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    browser.shoot("batch-published");

    // 周敏, the alliance's expert, inspects 老王家常菜馆 on her phone: two items fail.
    let member_enterprise = app.enterprise_id("老王家常菜馆");
    let inspection = inspections(&lead_api, batch)
        .into_iter()
        .find(|i| i["target_enterprise_id"].as_i64() == Some(member_enterprise))
        .unwrap();
    let id = inspection["id"].as_i64().unwrap();
    let items: Vec<Value> = lead_api.get(&format!("/api/v1/inspections/{id}")).body["checklist"]
        ["items"]
        .as_array()
        .unwrap()
        .clone();
    browser.resize(390, 844);
    browser.log_in(&app, "expert");
    browser.goto(&app.url(&format!("/inspections/{id}")));
    browser.type_into("#inspectors", "周敏");
    for (n, item) in items.iter().enumerate() {
        let result = if n < 2 { "fail" } else { "pass" };
        browser.click(&format!(
            "input[name='result_{}'][value='{result}']",
            item["id"]
        ));
    }
    browser.type_into(
        &format!("textarea[name='note_{}']", items[0]["id"]),
        "未安装可燃气体报警器",
    );
    browser.shoot("inspection-checklist");
    browser.click("#submit-results");
    browser.wait_text("#inspection-state", "已提交");
    browser.shoot("inspection-submitted");

    // 王芳 at 老王家常菜馆 finds the two hazards in her list.
    browser.log_in(&app, "member");
    browser.goto(&app.url("/findings?source=mutual_inspection"));
    let first = items[0]["text"].as_str().unwrap();
    let second = items[1]["text"].as_str().unwrap();
    browser.wait_text("#finding-list", &first.chars().take(12).collect::<String>());
    browser.wait_text(
        "#finding-list",
        &second.chars().take(12).collect::<String>(),
    );
    browser.shoot("target-findings");
    browser.goto(&app.url(&format!("/inspections/{id}/record")));
    browser.wait_text("#inspection-record", "周敏");
    browser.shoot("inspection-record");
    browser.goto(&app.url("/"));
    browser.shoot("home-member-inspections");
    browser.click("#calendar-link");
    browser.click("#calendar-subscribe");
    browser.find("#feed-url");
    browser.shoot("calendar");
    browser.goto(&app.url(&format!("/checklists/{gas}")));
    browser.wait_text("#checklist-items", "可燃气体报警装置");
    browser.shoot("checklist");
    let found = app.login("member").get(&format!(
        "/api/v1/findings?enterprise_id={member_enterprise}&source=mutual_inspection"
    ));
    assert_eq!(found.body["total"], 2, "{}", found.body);
}
