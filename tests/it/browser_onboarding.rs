//! Onboarding in a real browser: a district regulator downloads the template, uploads a
//! workbook with one bad row, reads the preview (the error by row and column), chooses to import
//! only the valid rows, and finds the enterprises in the registry.

use crate::browser::Browser;
use crate::common::{new_credit_code, TestApp};
use crate::imports::{workbook, Cell};

#[test]
fn a_regulator_previews_a_workbook_and_commits_its_valid_rows() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    let (a, b) = (new_credit_code(), new_credit_code());
    use Cell::*;
    let rows = vec![
        vec![
            Text("企业名称"),
            Text("统一社会信用代码"),
            Text("所属街道"),
            Text("行业"),
            Text("规模"),
            Text("联系电话"),
        ],
        vec![
            Text("浏览器导入甲公司"),
            Text(&a),
            Text("东城街道"),
            Text("商贸"),
            Text("小微"),
            Number(13800138000.0),
        ],
        vec![
            Text("浏览器导入乙公司"),
            Text(&b),
            Text("南山街道"),
            Text("工贸"),
            Text("规上"),
            Blank,
        ],
        vec![
            Text("浏览器导入丙公司"),
            Text("91370115XXXXXXXXX1"),
            Text("月亮街道"),
            Text("工贸"),
            Text("规上"),
            Text("无"),
        ],
    ];
    let path = app.data_dir.path().join("青川区企业名录.xlsx");
    std::fs::write(&path, workbook(&rows, &[])).unwrap();

    browser.log_in(&app, "district-regulator");
    browser.goto(&app.url("/enterprises"));
    browser.click("#import-enterprises");
    browser.find("#template-xlsx");
    let template = browser.download("#template-xlsx");
    assert!(template.starts_with(b"PK"), "the template is a workbook");
    browser.shoot("import-start");
    browser.type_into("#import-file", path.to_str().unwrap());
    browser.click("#import-preview");
    browser.wait_text("#count-new", "2");
    browser.wait_text("#count-invalid", "1");
    browser.wait_text("#import-errors", "月亮街道");
    browser.wait_text("#import-errors", "统一社会信用代码");
    browser.shoot("import-preview");
    // Refused whole at first, then the valid rows only.
    browser.click("#import-commit-button");
    // The refusal's own message (the checkbox's label is there before it too).
    browser.wait_text("#import-commit-refused", "只导入无误的行");
    browser.click("#valid-rows-only");
    browser.click("#import-commit-button");
    browser.wait_text("#import-done", "导入");
    browser.wait_text("h1", "导入结果");
    browser.wait_text("#count-new", "2");
    browser.wait_text("#count-invalid", "1");
    browser.shoot("import-done");
    browser.goto(&app.url("/enterprises?q=浏览器导入"));
    browser.wait_text("#pager-total", "2");
}

#[test]
fn a_street_office_invites_a_person_who_sets_their_own_password() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    browser.log_in(&app, "street-regulator");
    browser.goto(&app.url("/users/new"));
    browser.type_into("input[name=email]", "new.cook@qingchuan.example");
    browser.type_into("input[name=name]", "新来的厨师");
    browser.type_into("#enterprise", "老王家常菜馆");
    browser.click("#user-form button[type=submit]");
    browser.wait_text("#flash", "邀请链接");
    browser.find("#pending-qr svg");
    browser.shoot("user-invited");
    let link = browser.text("#pending-link");
    assert!(link.contains("/invite/"), "{link}");
    let path = format!("/invite/{}", link.split("/invite/").nth(1).unwrap().trim());
    browser.click("#print-letter");
    browser.wait_text(".letter", "新来的厨师");
    browser.shoot("user-letter");

    // The person, on their own phone: not logged in.
    browser.clear_cookies();
    browser.goto(&app.url(&path));
    browser.wait_text("#invite-email", "new.cook@qingchuan.example");
    browser.shoot("invite-accept");
    browser.type_into("#invite-password", "新厨师自己的密码 2026");
    browser.type_into("#invite-password-again", "新厨师自己的密码 2026");
    browser.click("#invite-submit");
    browser.wait_text("#invite-done", "密码设置成功");
    browser.click("#invite-login");
    browser.type_into("#email", "new.cook@qingchuan.example");
    browser.type_into("#password", "新厨师自己的密码 2026");
    browser.click("#login-submit");
    browser.find("#home-title");
    // The link is spent.
    browser.goto(&app.url(&path));
    browser.wait_text("#invite-gone", "已经使用过了");
}

#[test]
fn an_admin_keeps_the_registry_and_a_regulator_records_a_closing() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    browser.log_in(&app, "admin");
    browser.click("#nav-registry");
    browser.find("#region-list");
    browser.type_into("#new-region-name", "新城街道");
    browser.type_into("#new-region-code", "370115005");
    browser.click("#add-region-submit");
    browser.wait_text("#flash", "已保存");
    browser.wait_text("#region-list", "");
    browser.shoot("registry");

    browser.log_in(&app, "street-regulator");
    let id = app.enterprise_id("老王家常菜馆");
    browser.goto(&app.url("/enterprises"));
    browser.find("#export-enterprises-xlsx");
    browser.shoot("enterprises-exports");
    browser.goto(&app.url(&format!("/enterprises/{id}")));
    browser.click("#deactivate-enterprise");
    browser.click("#confirm-yes");
    browser.wait_text("#enterprise-closed", "停业日期");
    browser.shoot("enterprise-closed");
}
