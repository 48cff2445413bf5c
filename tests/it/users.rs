use serde_json::json;

use crate::common::TestApp;

#[test]
fn admins_create_users_of_any_role_who_set_their_password_through_the_invitation() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let r = admin.post(
        "/api/v1/users",
        &json!({"email": "New.Regulator@Qingchuan.example", "name": "新监管员", "role": "regulator", "region_id": 1}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["email"], "new.regulator@qingchuan.example");
    assert_eq!(r.body["generated_password"], serde_json::Value::Null);
    let token = r.body["invitation"]["token"].as_str().unwrap().to_string();
    assert_eq!(r.body["invitation"]["state"], "pending");
    let password = "regulator's own passphrase";
    let accepted = app.anon().post(
        "/api/v1/invitations/accept",
        &json!({"token": token, "password": password}),
    );
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let login = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": "new.regulator@qingchuan.example", "password": password}),
    );
    assert_eq!(login.status, 200);
    // Duplicate email, role without scope, short password.
    let dup = admin.post(
        "/api/v1/users",
        &json!({"email": "new.regulator@qingchuan.example", "name": "x", "role": "admin"}),
    );
    assert_eq!(dup.status, 409);
    let r = admin.post(
        "/api/v1/users",
        &json!({"email": "e@qingchuan.example", "name": "x", "role": "enterprise"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["enterprise_id"]);
    let r = admin.post(
        "/api/v1/users",
        &json!({"email": "bad", "name": "x", "role": "admin", "password": "short"}),
    );
    assert_eq!(r.status, 422);
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["email", "password"]);
}

#[test]
fn regulators_manage_only_the_users_of_enterprises_in_scope() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let own_street = app.enterprise_id("东城便民超市");
    let other_street = app.enterprise_id("西湖鱼馆");
    let r = street.post(
        "/api/v1/users",
        &json!({"email": "shop@qingchuan.example", "name": "店长", "role": "enterprise",
                "enterprise_id": own_street, "password": "a long enough password"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.body["id"].as_i64().unwrap();
    let r = street.post(
        "/api/v1/users",
        &json!({"email": "fish@qingchuan.example", "name": "鱼馆", "role": "enterprise", "enterprise_id": other_street}),
    );
    assert_eq!(r.status, 422, "another street's enterprise reads as none");
    assert_eq!(r.error_fields(), vec!["enterprise_id"]);
    let missing = street.post(
        "/api/v1/users",
        &json!({"email": "fish@qingchuan.example", "name": "鱼馆", "role": "enterprise", "enterprise_id": 999999}),
    );
    assert_eq!(
        missing.body["errors"], r.body["errors"],
        "same answer as a missing one"
    );
    let r = street.post(
        "/api/v1/users",
        &json!({"email": "boss@qingchuan.example", "name": "x", "role": "admin"}),
    );
    assert_eq!(r.status, 403);

    // Lists show the street's enterprise users (and the regulator itself), nobody else.
    let listed = street.get("/api/v1/users?per_page=100");
    let emails: Vec<String> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect();
    assert!(emails.contains(&"shop@qingchuan.example".to_string()));
    assert!(emails.contains(&app.email("member")));
    assert!(emails.contains(&app.email("street-regulator")));
    assert!(!emails.contains(&app.email("admin")));
    assert!(!emails.contains(&app.email("district-regulator")));
    let admin_id = app.user_id("admin");
    assert_eq!(street.get(&format!("/api/v1/users/{admin_id}")).status, 404);

    // Reset a password: the user's sessions end, the new password works.
    let shop = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": "shop@qingchuan.example", "password": "a long enough password"}),
    );
    assert_eq!(shop.status, 200);
    let shop_token = shop.body["access_token"].as_str().unwrap().to_string();
    let r = street.patch(
        &format!("/api/v1/users/{created}"),
        &json!({"password": "another long password"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.anon().with_token(&shop_token).get("/api/v1/me").status,
        401
    );
    let again = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": "shop@qingchuan.example", "password": "another long password"}),
    );
    assert_eq!(again.status, 200);

    // Members see only themselves.
    let member = app.login("member");
    assert_eq!(member.get("/api/v1/users").body["total"], 1);
    assert_eq!(
        member
            .post(
                "/api/v1/users",
                &json!({"email": "x@qingchuan.example", "name": "x", "role": "admin"})
            )
            .status,
        403
    );
}

#[test]
fn control_characters_in_names_are_refused() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let id = app.user_id("member");
    let r = admin.patch(
        &format!("/api/v1/users/{id}"),
        &json!({"name": "王\u{7}芳"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["name"]);
    let r = admin.post(
        "/api/v1/enterprises",
        &json!({"name": "新\nline", "credit_code": crate::common::new_credit_code(), "region_id": 2, "industry_id": 2, "scale": "small_micro"}),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["name"]);
}
