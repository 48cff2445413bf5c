//! Federation in a real browser: a district regulator reads what would leave the district,
//! publishes it, and corrects it with a reason; the city's administrator reads the city's
//! figures, approves the district's period, and looks at the district keys.

use serde_json::json;

use crate::browser::Browser;
use crate::federation::{city, deliver, district, enrol, this_year};
use crate::findings::report;

#[test]
fn a_district_publishes_and_the_city_approves_in_the_browser() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let city = city();
    let district = district(&city, true);
    enrol(&city, &district);
    let member = district.login("member");
    for _ in 0..3 {
        report(&member, json!({}));
    }
    let year = this_year();

    browser.log_in(&district, "district-regulator");
    browser.goto(&district.url("/"));
    browser.click("#nav-federation");
    browser.find("#federation-cells");
    // The period's own address (the form's "2026" would be found in last month's "2026-11").
    browser.find("#federation-period-form");
    browser.goto(&district.url(&format!("/federation?period={year}")));
    browser.wait_text("#federation-outgoing h2", &year);
    browser.wait_text("#federation-suppressed", "隐去");
    browser.shoot("federation-district");
    browser.click("#federation-publish-submit");
    browser.wait_text("#federation-history", "送达中");
    browser.find("#federation-reason");
    browser.type_into("#federation-reason", "一条隐患重复录入，已核销");
    browser.click("#federation-publish-submit");
    browser.wait_text("#federation-history", "一条隐患重复录入");
    browser.shoot("federation-published");
    deliver(&district);

    browser.clear_cookies();
    browser.log_in(&city, "admin");
    browser.goto(&city.url(&format!("/federation/city?period={year}")));
    browser.wait_text("#city-districts", "已更正");
    browser.shoot("federation-city");
    let code = crate::federation::code_list(&district).district.code;
    browser.click(&format!("#approve-{code}"));
    browser.wait_text("#city-districts", "已审核");
    browser.click("#federation-keys-link");
    browser.wait_text("h1", "区级签名公钥");
    browser.shoot("federation-keys");
}
