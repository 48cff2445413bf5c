//! Importing enterprise users (invited, never given a password; their letters printed per
//! import) and alliance rosters (lead or member, dual membership kept).

use serde_json::{json, Value};

use crate::common::{new_credit_code, Client, TestApp};
use crate::imports::CSV;

fn upload(client: &Client, kind: &str, csv: &str) -> Value {
    let r = client.upload_to(
        &format!("/api/v1/imports?kind={kind}"),
        csv.as_bytes(),
        "名单.csv",
        CSV,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn errors(preview: &Value) -> Vec<(u64, String)> {
    preview["preview"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn code_of(admin: &Client, enterprise: i64) -> String {
    admin.get(&format!("/api/v1/enterprises/{enterprise}")).body["credit_code"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn enterprise_users_come_in_with_invitations_and_their_letters() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let admin = app.login("admin");
    let dongcheng = code_of(&admin, app.enterprise_id("老王家常菜馆"));
    let xihu = code_of(&admin, app.enterprise_id("西湖鱼馆"));
    let unknown = new_credit_code();
    let taken = app.email("lead");
    let csv = format!(
        "姓名,邮箱,手机,统一社会信用代码\n\
         张厨师,zhang.chef@qingchuan.example,13800000001,{dongcheng}\n\
         李会计,ＬＩ.ACC@qingchuan.example,１３８０００００００２,{dongcheng}\n\
         王五,wangwu@qingchuan.example,,{unknown}\n\
         重复,zhang.chef@qingchuan.example,,{dongcheng}\n\
         邮箱不对,not-an-email,,{dongcheng}\n\
         别人的,{taken},,{dongcheng}\n\
         西湖的人,xihu.person@qingchuan.example,,{xihu}\n"
    );
    let r = upload(&street, "users", &csv);
    assert_eq!(
        errors(&r),
        vec![
            (4, "credit_code".into()),
            (5, "email".into()),
            (6, "email".into()),
            (7, "email".into()),
            (8, "credit_code".into()),
        ],
        "{}",
        r["preview"]
    );
    assert_eq!(
        r["preview"]["rows"][1]["key"], "li.acc@qingchuan.example",
        "full width, lower case"
    );
    let id = r["id"].as_i64().unwrap();
    let done = street.post(
        &format!("/api/v1/imports/{id}/commit"),
        &json!({"valid_rows_only": true}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["result"]["new"], 2);
    // Each new account waits for its invitation: no password anyone knows.
    let accounts = admin.get("/api/v1/users?q=zhang.chef").body;
    let zhang = accounts["items"][0].clone();
    assert_eq!(zhang["role"], "enterprise");
    assert_eq!(zhang["phone"], "13800000001");
    let links = street.get(&format!("/api/v1/users/{}/invitations", zhang["id"]));
    assert_eq!(links.body[0]["state"], "pending", "{}", links.body);
    let token = links.body[0]["token"].as_str().unwrap();
    let accepted = app.anon().post(
        "/api/v1/invitations/accept",
        &json!({"token": token, "password": "zhang's own passphrase"}),
    );
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    // The import's letters: the one still waiting (李会计), not the one who accepted.
    let (mut page, _) = crate::flows::signed_in(&app, "street-regulator");
    let letters = page.get(&format!("/imports/{id}/letters"));
    assert_eq!(letters.status, 200, "{}", letters.body);
    assert!(letters.body.contains("李会计") && !letters.body.contains("张厨师"));
    // The same rows again: unchanged; a new phone: changed.
    let again = upload(&street, "users", &format!("姓名,邮箱,手机,统一社会信用代码\n张厨师,zhang.chef@qingchuan.example,13900000009,{dongcheng}\n李会计,li.acc@qingchuan.example,13800000002,{dongcheng}\n"));
    let outcomes: Vec<&str> = again["preview"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        vec!["changed", "unchanged"],
        "{}",
        again["preview"]
    );
    assert_eq!(
        again["preview"]["rows"][0]["changes"],
        json!([{"field": "phone", "from": "13800000001", "to": "13900000009"}])
    );
}

#[test]
fn rosters_put_enterprises_in_alliances_as_lead_or_member_keeping_dual_membership() {
    let app = TestApp::spawn();
    let district = app.login("district-regulator");
    let admin = app.login("admin");
    let alliances = admin.get("/api/v1/alliances?per_page=100").body["items"].clone();
    let named = |name: &str| {
        alliances
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let dongcheng = named("东城街道餐饮燃气安全联盟");
    let hazchem = named("青川区危险化学品行业安全联盟");
    let members = admin
        .get(&format!(
            "/api/v1/alliances/{}/members?per_page=100",
            dongcheng["id"]
        ))
        .body["items"]
        .clone();
    let lead = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "lead")
        .unwrap()["enterprise_id"]
        .as_i64()
        .unwrap();
    let member = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "member")
        .unwrap()["enterprise_id"]
        .as_i64()
        .unwrap();
    let huatai = code_of(&admin, app.enterprise_id("青川华泰化工有限公司"));
    let hekou = code_of(&admin, app.enterprise_id("河口鲜鱼馆"));
    let (lead_code, member_code) = (code_of(&admin, lead), code_of(&admin, member));
    let (dc, hz) = (
        dongcheng["name"].as_str().unwrap(),
        hazchem["name"].as_str().unwrap(),
    );
    let csv = format!(
        "联盟名称,统一社会信用代码,角色,企业名称\n\
         {dc},{hekou},成员,河口鲜鱼馆\n\
         {hz},{hekou},成员,河口鲜鱼馆\n\
         {dc},{member_code},成员,\n\
         月亮联盟,{hekou},成员,\n\
         {dc},{huatai},会长,\n\
         {dc},{lead_code},成员,\n"
    );
    let r = upload(&district, "rosters", &csv);
    assert_eq!(
        errors(&r),
        vec![
            (5, "alliance".into()),
            (6, "role".into()),
            (7, "role".into())
        ],
        "{}",
        r["preview"]
    );
    let outcomes: Vec<&str> = r["preview"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes[..3], ["new", "new", "unchanged"]);
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        district
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .status,
        422
    );
    let done = district.post(
        &format!("/api/v1/imports/{id}/commit"),
        &json!({"valid_rows_only": true}),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let hekou_id = app.enterprise_id("河口鲜鱼馆");
    for alliance in [&dongcheng, &hazchem] {
        let m = admin
            .get(&format!(
                "/api/v1/alliances/{}/members?per_page=100",
                alliance["id"]
            ))
            .body;
        assert!(
            m.to_string()
                .contains(&format!("\"enterprise_id\":{hekou_id}")),
            "dual membership: {m}"
        );
    }
    // A new lead: the former lead steps down to member in the same file.
    let csv =
        format!("联盟名称,统一社会信用代码,角色\n{dc},{member_code},牵头\n{dc},{lead_code},成员\n");
    let r = upload(&district, "rosters", &csv);
    assert_eq!(r["preview"]["summary"]["changed"], 2, "{}", r["preview"]);
    let id = r["id"].as_i64().unwrap();
    assert_eq!(
        district
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .status,
        200
    );
    let a = admin
        .get(&format!("/api/v1/alliances/{}", dongcheng["id"]))
        .body;
    assert_eq!(a["lead_enterprise_id"], member, "{a}");
    // A street regulator imports only its street's alliances.
    let street = app.login("street-regulator");
    let r = upload(
        &street,
        "rosters",
        &format!("联盟名称,统一社会信用代码,角色\n{hz},{hekou},成员\n"),
    );
    assert_eq!(
        errors(&r),
        vec![(2, "alliance".into()), (2, "credit_code".into())]
    );
    // Nor another street's enterprise into its own alliance (an alliance shows its members).
    let xihu = code_of(&admin, app.enterprise_id("西湖鱼馆"));
    let r = upload(
        &street,
        "rosters",
        &format!("联盟名称,统一社会信用代码,角色\n{dc},{xihu},成员\n"),
    );
    assert_eq!(errors(&r), vec![(2, "credit_code".into())]);
}
