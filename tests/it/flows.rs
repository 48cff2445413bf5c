//! What pages say after an action, and what they ask before one: post/redirect/get with a flash
//! message shown once, a confirmation before what cannot be undone, a password shown once.

use serde_json::json;

use crate::common::TestApp;
use crate::pages::PageClient;

pub(crate) fn signed_in(app: &TestApp, label: &str) -> (PageClient, String) {
    let mut c = PageClient::new(app);
    assert_eq!(c.log_in(app, label, "/").status, 303);
    let csrf = c.csrf();
    (c, csrf)
}

#[test]
fn a_done_action_redirects_and_its_page_says_so_once() {
    let app = TestApp::spawn();
    let (mut c, csrf) = signed_in(&app, "member");
    let password = app.password("member");
    let r = c.post(
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current_password", &password),
            ("new_password", "Ein neues Passwort 2026"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/account"));
    let page = c.get("/account");
    assert!(page.body.contains("id=\"flash\""), "{}", page.body);
    assert!(page.body.contains("密码已修改"));
    let again = c.get("/account");
    assert!(!again.body.contains("id=\"flash\""), "shown once");
    // A refused form comes back with the message in Chinese, naming the field as labelled.
    let r = c.post(
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current_password", "wrong one!"),
            ("new_password", "short"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"problems\""));
    assert!(r.body.contains("至少 10 个字符"), "{}", r.body);
    assert!(!r.body.contains("must be"), "no English on a Chinese page");
}

#[test]
fn a_new_account_gets_an_invitation_link_and_a_reset_issues_another() {
    let app = TestApp::spawn();
    let (mut admin, csrf) = signed_in(&app, "admin");
    let r = admin.post(
        "/users/new",
        &[
            ("csrf", &csrf),
            ("email", "new.expert@example.cn"),
            ("name", "新专家"),
            ("role", "expert"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location.clone().unwrap();
    let user = location.as_str();
    let page = admin.get(user);
    assert!(page.body.contains("账号已创建"), "{}", page.body);
    assert!(page.body.contains("id=\"pending-qr\""));
    let link = page
        .body
        .split("id=\"pending-link\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    let path = link
        .split_once("/invite/")
        .map(|(_, t)| format!("/invite/{t}"))
        .unwrap();
    // The person opens the link and chooses a password (twice the same).
    let mut person = PageClient::new(&app);
    let opened = person.get(&path);
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(opened.body.contains("new.expert@example.cn"));
    let person_csrf = person.csrf();
    let differ = person.post(
        &path,
        &[
            ("csrf", &person_csrf),
            ("password", "my own passphrase"),
            ("password_again", "my own passphrase!"),
        ],
    );
    assert_eq!(differ.status, 422, "{}", differ.body);
    assert!(differ.body.contains("两次输入的密码不一致"));
    let done = person.post(
        &path,
        &[
            ("csrf", &person_csrf),
            ("password", "my own passphrase"),
            ("password_again", "my own passphrase"),
        ],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("id=\"invite-done\""));
    let login = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": "new.expert@example.cn", "password": "my own passphrase"}),
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let again = person.get(&path);
    assert_eq!(again.status, 409, "a link works once");
    assert!(again.body.contains("已经使用过了"));
    // A reset issues a new link; the old password works until the link is used.
    let r = admin.post(user, &[("csrf", &csrf), ("action", "reset_password")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get(r.location.as_deref().unwrap());
    assert!(page.body.contains("已生成新链接"));
    assert!(page.body.contains("id=\"pending-link\""));
    // Deactivating asks first; cancelling changes nothing.
    let ask = admin.post(user, &[("csrf", &csrf), ("action", "deactivate")]);
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("id=\"confirm\"") && ask.body.contains("新专家"));
    assert!(
        admin.get(user).body.contains("id=\"deactivate\""),
        "still active"
    );
    let done = admin.post(
        user,
        &[
            ("csrf", &csrf),
            ("action", "deactivate"),
            ("confirmed", "yes"),
        ],
    );
    assert_eq!(done.status, 303);
    let page = admin.get(user);
    assert!(page.body.contains("账号已停用"));
    assert!(page.body.contains("id=\"activate\""));
}

#[test]
fn removing_a_member_appointing_a_lead_and_sharing_ask_first() {
    let app = TestApp::spawn();
    // The lead's alliance, managed by the district's regulator.
    let (mut lead, csrf) = signed_in(&app, "district-regulator");
    let api = app.login("lead");
    let alliance = api.get("/api/v1/alliances?per_page=1").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let members = api.get(&format!("/api/v1/alliances/{alliance}/members"));
    // Not the enterprise of the demo member, who shares below.
    let own = app.login("member").get("/api/v1/me").body["enterprise_id"].clone();
    let other = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "member" && m["enterprise_id"] != own)
        .unwrap()["enterprise_id"]
        .as_i64()
        .unwrap();
    let remove = format!("/alliances/{alliance}/members/{other}/remove");
    let ask = lead.post(&remove, &[("csrf", &csrf)]);
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("将该企业移出联盟"), "{}", ask.body);
    let count = |api: &crate::common::Client| {
        api.get(&format!("/api/v1/alliances/{alliance}/members"))
            .body["total"]
            .as_i64()
            .unwrap()
    };
    let before = count(&api);
    let ask = lead.post(
        &format!("/alliances/{alliance}/lead"),
        &[("csrf", &csrf), ("lead_enterprise_id", &other.to_string())],
    );
    assert!(ask.body.contains("设为牵头企业？"), "{}", ask.body);
    assert_eq!(count(&api), before, "asking changes nothing");
    let done = lead.post(&remove, &[("csrf", &csrf), ("confirmed", "yes")]);
    assert_eq!(done.status, 303);
    assert!(lead
        .get(&format!("/alliances/{alliance}"))
        .body
        .contains("已移出成员"));
    assert_eq!(count(&api), before - 1);
    // Sharing a hazard with the alliance.
    let (mut member, member_csrf) = signed_in(&app, "member");
    let id = app.login("member").post(
        "/api/v1/findings",
        &json!({"title": "消防通道堵塞", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    ).body["id"]
        .as_i64()
        .unwrap();
    let act = format!("/findings/{id}/act");
    let ask = member.post(&act, &[("csrf", &member_csrf), ("action", "share")]);
    assert_eq!(ask.status, 200);
    assert!(ask.body.contains("消防通道堵塞") && ask.body.contains("id=\"confirm-yes\""));
    let done = member.post(
        &act,
        &[
            ("csrf", &member_csrf),
            ("action", "share"),
            ("confirmed", "yes"),
        ],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(member
        .get(&format!("/findings/{id}"))
        .body
        .contains("已匿名分享给联盟"));
}

/// The value of the hidden `name` input of a page.
fn hidden(body: &str, name: &str) -> Vec<String> {
    body.split(&format!("name=\"{name}\" value=\""))
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn a_refused_report_keeps_its_text_and_photos_and_names_a_photo_too_large() {
    let app = TestApp::spawn_with(|s| s.max_upload_bytes = 1024 * 1024);
    let (mut member, csrf) = signed_in(&app, "member");
    let photo = crate::common::jpeg("kept");
    let fields = |title: &'static str, key: &'static str| {
        vec![
            ("title", title),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "deadline"),
            ("description", "二楼东侧灭火器压力不足"),
            ("idempotency_key", key),
        ]
    };
    // 限期整改 without a deadline: refused, with the text and the photo kept.
    let mut first = fields("灭火器失效", "kept-1");
    first.push(("csrf", &csrf));
    let page = member.post_multipart("/findings/new", &first, &[("photo", "p1.jpg", &photo)]);
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("限期整改须填写整改期限"),
        "{}",
        page.body
    );
    assert!(page.body.contains("二楼东侧灭火器压力不足") && page.body.contains("灭火器失效"));
    let kept = hidden(&page.body, "kept_photo");
    assert_eq!(kept.len(), 1, "the photo is kept and shown");
    assert!(page
        .body
        .contains(&format!("<img src=\"/files/{}\"", kept[0])));
    assert_eq!(member.get(&format!("/files/{}", kept[0])).status, 200);
    // A photo over the limit: named, with the limit, and the rest kept.
    let big = vec![0xFFu8; 1024 * 1024 + 10];
    let page = member.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("title", "灭火器失效"),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
            ("kept_photo", &kept[0]),
        ],
        &[("photo", "IMG_2041.jpg", &big)],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("IMG_2041.jpg") && page.body.contains("1 MB"),
        "{}",
        page.body
    );
    assert!(page.body.contains("灭火器失效"));
    assert_eq!(hidden(&page.body, "kept_photo"), kept, "still kept");
    // The next try sends only the kept id, and the finding has the photo.
    let today = safety_alliance::db::types::today().to_string();
    let page = member.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("title", "灭火器失效"),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "deadline"),
            ("deadline", &today),
            ("kept_photo", &kept[0]),
        ],
        &[],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let detail = member.get(page.location.as_deref().unwrap());
    assert!(
        detail.body.contains(&format!("/files/{}", kept[0])),
        "{}",
        detail.body
    );
    assert!(detail.body.contains("隐患已上报"));
    // An action form keeps its note when refused.
    let id = page
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let page = member.post_multipart(
        &format!("/findings/{id}/act"),
        &[
            ("csrf", &csrf),
            ("action", "submit_rectification"),
            ("note", "已更换三个灭火器"),
        ],
        &[],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("value=\"已更换三个灭火器\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("请至少附一张整改后的照片"));
}

#[test]
fn lists_count_in_units_number_their_pages_and_filter_by_what_people_look_for() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for n in 0..25 {
        let title = if n == 7 {
            "配电柜积尘".to_string()
        } else {
            format!("灭火器过期 {n}")
        };
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": title, "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201);
    }
    let closed = member.post(
        "/api/v1/findings",
        &json!({"title": "已处理的隐患", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    let closed_id = closed.body["id"].as_i64().unwrap();
    let lead = app.login("lead");
    let proof = member
        .upload(&crate::common::jpeg("p"), "p.jpg", "image/jpeg")
        .body["id"]
        .clone();
    let r = member.post(
        &format!("/api/v1/findings/{closed_id}/transitions"),
        &json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = lead.post(
        &format!("/api/v1/findings/{closed_id}/transitions"),
        &json!({"action": "accept"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let (mut c, _) = signed_in(&app, "member");
    let page = c.get("/findings");
    assert!(page.body.contains("共 25 条"), "open ones by default");
    assert!(!page.body.contains("已处理的隐患"));
    assert!(page.body.contains(">2</a>"), "numbered pages");
    let all = c.get("/findings?state=all");
    assert!(all.body.contains("共 26 条"));
    let found = c.get("/findings?q=%E9%85%8D%E7%94%B5%E6%9F%9C");
    assert!(found.body.contains("共 1 条") && found.body.contains("配电柜积尘"));
    let by_enterprise = c.get("/findings?q=%E8%80%81%E7%8E%8B%E5%AE%B6");
    assert!(
        by_enterprise.body.contains("共 25 条"),
        "the keyword finds the enterprise's name"
    );
    let past = c.get("/findings?page=9");
    assert_eq!(past.status, 303);
    assert_eq!(
        past.location.as_deref(),
        Some("/findings?state=open&page=2")
    );
    let bigger = c.get("/findings?per_page=50");
    assert!(!bigger.body.contains("rel=\"next\""), "one page of 50");
    let en = c.get("/lang/en?back=/");
    assert_eq!(en.status, 303);
    assert!(c.get("/findings").body.contains("Total 25 items"));
}

#[test]
fn enterprises_are_named_by_name_or_credit_code_not_by_number() {
    let app = TestApp::spawn();
    let (mut expert, csrf) = signed_in(&app, "expert");
    let alliance = app.login("expert").get("/api/v1/alliances").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let members = app
        .login("expert")
        .get(&format!("/api/v1/alliances/{alliance}/members"));
    let member = &members.body["items"][0];
    let name = member["enterprise_name"].as_str().unwrap().to_string();
    // The suggestions: enterprises the expert sees, by part of the name.
    let part: String = name.chars().take(2).collect();
    let found = expert.get(&format!("/enterprises/search?q={}", urlencode(&part)));
    assert_eq!(found.status, 200);
    let items: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == name.as_str()),
        "{items}"
    );
    // Reporting by the whole name, as typed without the script.
    let page = expert.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("enterprise", &name),
            ("title", "疏散指示灯不亮"),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
        ],
        &[],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let detail = expert.get(page.location.as_deref().unwrap());
    assert!(detail.body.contains(&name));
    // A name nobody has: said so, with what was typed kept.
    let page = expert.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("enterprise", "不存在的企业"),
            ("title", "疏散指示灯不亮"),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
        ],
        &[],
    );
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("没有名称或统一社会信用代码为“不存在的企业”"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"不存在的企业\""));
    // An admin makes an account for an enterprise named by its credit code.
    let (mut admin, admin_csrf) = signed_in(&app, "admin");
    let code = app
        .login("admin")
        .get(&format!("/api/v1/enterprises/{}", member["enterprise_id"]))
        .body["credit_code"]
        .as_str()
        .unwrap()
        .to_string();
    let r = admin.post(
        "/users/new",
        &[
            ("csrf", &admin_csrf),
            ("email", "safety.officer@example.cn"),
            ("name", "安全员"),
            ("role", "enterprise"),
            ("enterprise", &code),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let users = app.login("admin").get("/api/v1/users?q=safety.officer");
    assert_eq!(
        users.body["items"][0]["enterprise_id"],
        member["enterprise_id"]
    );
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn enterprises_alliances_and_accounts_are_edited_on_their_pages() {
    let app = TestApp::spawn();
    let own = app.login("member").get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    // The enterprise's own user keeps its contact details up to date, nothing else.
    let (mut member, csrf) = signed_in(&app, "member");
    let page = member.get(&format!("/enterprises/{own}/edit"));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("name=\"credit_code\""),
        "contact details only"
    );
    let r = member.post(
        &format!("/enterprises/{own}/edit"),
        &[
            ("csrf", &csrf),
            ("address", ""),
            ("contact_name", "王芳"),
            ("contact_phone", "0531-1234 5678"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = member.get(&format!("/enterprises/{own}"));
    assert!(shown.body.contains("企业信息已保存") && shown.body.contains("0531-1234 5678"));
    let api = app
        .login("member")
        .get(&format!("/api/v1/enterprises/{own}"));
    assert_eq!(api.body["address"], "", "a blank field is cleared");
    let r = member.post(
        &format!("/enterprises/{own}/edit"),
        &[("csrf", &csrf), ("contact_phone", "电话")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("只能包含数字") && r.body.contains("value=\"电话\""));
    // The street regulator renames it.
    let (mut street, street_csrf) = signed_in(&app, "street-regulator");
    let form = street.get(&format!("/enterprises/{own}/edit"));
    assert!(form.body.contains("name=\"credit_code\""));
    let code = api.body["credit_code"].as_str().unwrap().to_string();
    let region = api.body["region_id"].to_string();
    let industry = api.body["industry_id"].to_string();
    let r = street.post(
        &format!("/enterprises/{own}/edit"),
        &[
            ("csrf", &street_csrf),
            ("name", "老王家常菜馆（东城店）"),
            ("credit_code", &code),
            ("region_id", &region),
            ("industry_id", &industry),
            ("scale", "small_micro"),
            ("contact_phone", "0531-1234 5678"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(street
        .get(&format!("/enterprises/{own}"))
        .body
        .contains("老王家常菜馆（东城店）"));
    // An alliance is renamed by those who manage it; a member may not.
    let alliance = app.login("member").get("/api/v1/alliances").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        member.get(&format!("/alliances/{alliance}/edit")).status,
        403
    );
    let (mut district, district_csrf) = signed_in(&app, "district-regulator");
    let r = district.post(
        &format!("/alliances/{alliance}/edit"),
        &[
            ("csrf", &district_csrf),
            ("name", "东城街道餐饮安全联盟"),
            ("founded_on", "2025-03-01"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(district
        .get(&format!("/alliances/{alliance}"))
        .body
        .contains("联盟信息已保存"));
    // An admin edits an account's name and an expert's alliances.
    let (mut admin, admin_csrf) = signed_in(&app, "admin");
    let expert = app.login("expert").get("/api/v1/me").body["id"]
        .as_i64()
        .unwrap();
    let page = admin.get(&format!("/users/{expert}/edit"));
    assert!(page.body.contains("id=\"expert-alliances\""));
    let a = alliance.to_string();
    // The boxes the page shows, sent back as shown; only `alliance` ticked.
    let shown = hidden(&page.body, "shown_alliance");
    assert!(shown.contains(&a));
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &admin_csrf),
        ("name", "赵专家"),
        ("phone", "13900000000"),
        ("assigns_alliances", "yes"),
        ("alliance_id", &a),
    ];
    fields.extend(shown.iter().map(|s| ("shown_alliance", s.as_str())));
    let r = admin.post(&format!("/users/{expert}/edit"), &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let me = app.login("admin").get(&format!("/api/v1/users/{expert}"));
    assert_eq!(me.body["name"], "赵专家");
    assert_eq!(me.body["alliance_ids"], json!([alliance]));
}

#[test]
fn shared_lessons_show_their_photos_under_a_neutral_name_and_filter_by_month() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let photo = member.upload(&structured_jpeg(), "老王家门头.jpg", "image/jpeg");
    let photo_id = photo.body["id"].as_i64().unwrap();
    let f = member.post(
        "/api/v1/findings",
        &json!({"title": "燃气报警器失灵", "category": "fire", "grade": "general",
                "treatment": "on_the_spot", "attachment_ids": [photo_id]}),
    );
    let id = f.body["id"].as_i64().unwrap();
    let alliance = f.body["alliance_id"].as_i64().unwrap();
    let shared = member.post(
        &format!("/api/v1/findings/{id}/transitions"),
        &json!({"action": "share"}),
    );
    assert_eq!(shared.status, 200, "{}", shared.body);
    // A fellow member (not the lead) of the alliance reads it with its photo.
    let (fellow, token) = fellow_member(&app, alliance, &own, "fellow@example.cn");
    assert_eq!(
        fellow.get(&format!("/api/v1/findings/{id}")).status,
        404,
        "not the finding"
    );
    let lessons = fellow.get(&format!("/api/v1/alliances/{alliance}/shared-findings"));
    assert_eq!(lessons.body["items"][0]["photo_ids"], json!([photo_id]));
    let (_, disposition) = download(&app, &token, photo_id);
    assert!(
        !disposition.contains("%E8%80%81"),
        "the file name could name the shop: {disposition}"
    );
    assert!(
        disposition.contains(&format!("lesson-{photo_id}")),
        "{disposition}"
    );
    // The page, by month.
    let (mut page, _) = signed_in(&app, "member");
    let this_month = safety_alliance::db::types::today()
        .format("%Y-%m")
        .to_string();
    let shown = page.get(&format!("/alliances/{alliance}/lessons?month={this_month}"));
    assert!(
        shown.body.contains("燃气报警器失灵") && shown.body.contains(&format!("/files/{photo_id}"))
    );
    let other_month = page.get(&format!("/alliances/{alliance}/lessons?month=2001-01"));
    assert!(!other_month.body.contains("燃气报警器失灵"));
    assert!(other_month.body.contains("共 0 条"));
}

#[test]
fn a_member_is_added_by_its_name_as_well_as_by_its_code() {
    let app = TestApp::spawn();
    let api = app.login("street-regulator");
    let alliance = app.login("lead").get("/api/v1/alliances?per_page=1").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let members = api.get(&format!(
        "/api/v1/alliances/{alliance}/members?per_page=100"
    ));
    let inside: Vec<i64> = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["enterprise_id"].as_i64().unwrap())
        .collect();
    let all = api.get("/api/v1/enterprises?per_page=100");
    let outsider = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| !inside.contains(&e["id"].as_i64().unwrap()))
        .unwrap()
        .clone();
    let name = outsider["name"].as_str().unwrap();
    let (mut street, csrf) = signed_in(&app, "street-regulator");
    let r = street.post(
        &format!("/alliances/{alliance}/members"),
        &[("csrf", &csrf), ("credit_code", name)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = street.get(&format!("/alliances/{alliance}"));
    assert!(page.body.contains("已添加成员") && page.body.contains(name));
}

#[test]
fn a_filter_by_enterprise_names_only_an_enterprise_the_viewer_sees() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let far = admin
        .get(&format!(
            "/api/v1/enterprises?q={}",
            urlencode("河口鲜鱼馆")
        ))
        .body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (mut member, _) = signed_in(&app, "member");
    let page = member.get(&format!("/findings?enterprise_id={far}"));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("河口鲜鱼馆"),
        "an enterprise out of sight stays unnamed"
    );
}

#[test]
fn a_lesson_photo_is_served_without_its_metadata() {
    let app = TestApp::spawn();
    let member = app.login("member");
    // A JPEG whose EXIF names the shop.
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10];
    photo.extend(b"Exif LaoWangJia");
    photo.truncate(6 + 14);
    photo.extend([0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]);
    let up = member.upload(&photo, "p.jpg", "image/jpeg");
    assert_eq!(up.status, 201, "{}", up.body);
    let photo_id = up.body["id"].as_i64().unwrap();
    let f = member.post(
        "/api/v1/findings",
        &json!({"title": "液化气钢瓶未固定", "category": "equipment", "grade": "general",
                "treatment": "on_the_spot", "attachment_ids": [photo_id]}),
    );
    let id = f.body["id"].as_i64().unwrap();
    member.post(
        &format!("/api/v1/findings/{id}/transitions"),
        &json!({"action": "share"}),
    );
    // A fellow member reads only the lesson, and gets the photo stripped.
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let alliance = f.body["alliance_id"].as_i64().unwrap();
    let (_, token) = fellow_member(&app, alliance, &own, "n@example.cn");
    let (bytes, _) = download(&app, &token, photo_id);
    assert!(!bytes.windows(7).any(|w| w == b"LaoWang"), "EXIF is gone");
    assert!(
        bytes.ends_with(&[0xFF, 0xDA, 0x00, 0x02, 1, 2, 3, 0xFF, 0xD9]),
        "the image stays"
    );
    // The uploader still gets the original.
    let (bytes, _) = download(&app, member.token.as_deref().unwrap(), photo_id);
    assert!(bytes.windows(7).any(|w| w == b"LaoWang"));
}

/// A small JPEG with its segments in order (what a camera writes), for photos served stripped.
fn structured_jpeg() -> Vec<u8> {
    let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F'];
    photo.extend([0xFF, 0xDA, 0x00, 0x02, 7, 7, 7, 0xFF, 0xD9]);
    photo
}

#[test]
fn an_action_refused_for_its_input_keeps_its_photos_and_a_kept_photo_can_be_removed() {
    let app = TestApp::spawn();
    let (mut member, csrf) = signed_in(&app, "member");
    let photo = crate::common::jpeg("after");
    let id = app.login("member").post(
        "/api/v1/findings",
        &json!({"title": "插座烧焦", "category": "electrical", "grade": "general", "treatment": "on_the_spot"}),
    ).body["id"]
        .as_i64()
        .unwrap();
    // A note with a control character: refused, the photo kept.
    let act = format!("/findings/{id}/act");
    let page = member.post_multipart(
        &act,
        &[
            ("csrf", &csrf),
            ("action", "submit_rectification"),
            ("note", "换新\u{7}"),
        ],
        &[("photo", "after.jpg", &photo)],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    let kept = hidden(&page.body, "kept_photo");
    assert_eq!(kept.len(), 1, "{}", page.body);
    // Sent again with the kept photo: the action goes through with it.
    let page = member.post_multipart(
        &act,
        &[
            ("csrf", &csrf),
            ("action", "submit_rectification"),
            ("note", "换新"),
            ("kept_photo", &kept[0]),
        ],
        &[],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let detail = app.login("member").get(&format!("/api/v1/findings/{id}"));
    let last = detail.body["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["attachment_ids"],
        json!([kept[0].parse::<i64>().unwrap()])
    );
    // On the report form, a kept photo ticked for removal is left out.
    let page = member.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("title", ""),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
        ],
        &[("photo", "a.jpg", &crate::common::jpeg("a"))],
    );
    let kept = hidden(&page.body, "kept_photo");
    assert_eq!(kept.len(), 1);
    let page = member.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("title", "配电箱无门"),
            ("category", "electrical"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
            ("kept_photo", &kept[0]),
            ("drop_photo", &kept[0]),
        ],
        &[],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let new_id = page
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let detail = app
        .login("member")
        .get(&format!("/api/v1/findings/{new_id}"));
    assert_eq!(
        detail.body["timeline"][0]["attachment_ids"],
        json!([]),
        "removed"
    );
}

/// An account at another member enterprise of `alliance` (not the lead, not `own`): one who
/// reads the alliance's lessons but not the findings. Returns its client and bearer token.
fn fellow_member(
    app: &TestApp,
    alliance: i64,
    own: &serde_json::Value,
    email: &str,
) -> (crate::common::Client, String) {
    let members = app
        .login("lead")
        .get(&format!("/api/v1/alliances/{alliance}/members"));
    let other = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "member" && m["enterprise_id"] != *own)
        .unwrap()["enterprise_id"]
        .clone();
    let created = app.login("admin").post(
        "/api/v1/users",
        &json!({"email": email, "name": "邻店店长", "role": "enterprise",
                "enterprise_id": other, "password": "Fellow member 2026"}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let login = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": email, "password": "Fellow member 2026"}),
    );
    let token = login.body["access_token"].as_str().unwrap().to_string();
    (app.anon().with_token(&token), token)
}

/// The bytes of an attachment as the holder of `token` downloads it, with its disposition.
fn download(app: &TestApp, token: &str, id: i64) -> (Vec<u8>, String) {
    let file = ureq::get(&app.url(&format!("/api/v1/attachments/{id}")))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let disposition = file.header("content-disposition").unwrap_or("").to_string();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file.into_reader(), &mut bytes).unwrap();
    (bytes, disposition)
}
