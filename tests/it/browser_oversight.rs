//! Oversight in a real browser: the district regulator opens the dashboard, changes the
//! period, follows a figure to its records, downloads the workbook, publishes last month's
//! evaluation and reads its bulletin and the year's report.

use serde_json::json;

use crate::browser::Browser;
use crate::common::TestApp;

#[test]
fn a_regulator_reads_the_dashboard_changes_the_period_follows_a_figure_and_downloads_it() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    let member = app.login("member");
    for (title, category) in [("燃气软管老化", "equipment"), ("灭火器过期", "fire")] {
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": title, "category": category, "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    browser.log_in(&app, "district-regulator");
    browser.goto(&app.url("/"));
    browser.find("#home-figures-0");
    browser.shoot("oversight-home");
    browser.click("#nav-oversight");
    browser.wait_text("#fig-found", "2");
    browser.find("#trend-chart svg");
    browser.shoot("oversight-dashboard");

    // Last year holds nothing of this.
    let year = chrono::Utc::now()
        .with_timezone(&safety_alliance::db::types::shanghai())
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap();
    browser.set_value("#period-from", &format!("{}-01", year - 1));
    browser.set_value("#period-to", &format!("{}-12", year - 1));
    browser.click("#period-apply");
    browser.wait_text("#period-shown", &format!("{}-01-01", year - 1));
    browser.wait_text("#fig-found", "0");
    // Back to this year, and into the hazards found.
    browser.set_value("#period-from", &format!("{year}-01"));
    browser.set_value("#period-to", &format!("{year}-12"));
    browser.click("#period-apply");
    browser.wait_text("#fig-found", "2");
    let bytes = browser.download("#export-xlsx");
    let strings = crate::events::xlsx_strings(&bytes);
    assert!(
        strings.contains("按联盟") || strings.contains("发现隐患（项）"),
        "{strings}"
    );
    assert!(strings.contains("东城街道餐饮燃气安全联盟"), "{strings}");
    browser.click("#link-found");
    browser.wait_text("#pager-total", "2");
    browser.shoot("oversight-found");

    // The monthly evaluation: last month is published (after confirming), then its bulletin.
    browser.goto(&app.url("/oversight"));
    browser.click("#evaluations-link");
    browser.find("#evaluation-alliances");
    browser.click("#publish-evaluation");
    browser.click("#confirm-yes");
    browser.wait_text("#evaluation-status", "已发布");
    browser.shoot("oversight-evaluation");
    browser.click("#bulletin-link");
    browser.find("#bulletin");
    browser.shoot("oversight-bulletin");
    browser.goto(&app.url("/oversight/report"));
    browser.wait_text("#report-text", "安全联盟累计开展培训讲座");
    browser.shoot("oversight-report");

    // A member compares itself with its alliances.
    browser.log_in(&app, "member");
    browser.goto(&app.url("/"));
    browser.click("#home-comparison");
    browser.wait_text("h1", "企业对标");
    browser.shoot("comparison");
}
