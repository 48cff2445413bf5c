//! Invitation and reset links: the right person sets their password with one, once; a used,
//! expired or withdrawn link, or a forged one, does nothing; a new link withdraws the old;
//! each use is audited; links are mailed and printed as letters.

use serde_json::{json, Value};

use crate::common::{Client, TestApp};

/// An enterprise user of the demo member's enterprise, created without a password.
fn invited(app: &TestApp, admin: &Client, email: &str) -> Value {
    let enterprise = app.login("member").get("/api/v1/me").body["enterprise_id"].clone();
    let r = admin.post(
        "/api/v1/users",
        &json!({"email": email, "name": "受邀人员", "role": "enterprise", "enterprise_id": enterprise}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn accept(app: &TestApp, token: &str, password: &str) -> crate::common::Response {
    app.anon().post(
        "/api/v1/invitations/accept",
        &json!({"token": token, "password": password}),
    )
}

fn login(app: &TestApp, email: &str, password: &str) -> u16 {
    app.anon()
        .post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .status
}

#[test]
fn an_invitation_sets_the_password_once_and_each_use_is_audited() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let created = invited(&app, &admin, "invited@qingchuan.example");
    let token = created["invitation"]["token"].as_str().unwrap().to_string();
    assert_eq!(
        created["invitation"]["path"],
        json!(format!("/invite/{token}"))
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(created["invitation"]["expires_at"].as_str().unwrap())
            .unwrap();
    let days = (expires - chrono::Utc::now().fixed_offset()).num_days();
    assert!((13..=14).contains(&days), "default 14 days: {days}");
    // Before the link is used nobody can log in (there is no password to know).
    assert_eq!(login(&app, "invited@qingchuan.example", ""), 401);
    // A weak password is refused naming the field, and the link still works.
    let weak = accept(&app, &token, "short");
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert_eq!(weak.error_fields(), vec!["password"]);
    let ok = accept(&app, &token, "invited person's passphrase");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["email"], "invited@qingchuan.example");
    assert_eq!(
        login(
            &app,
            "invited@qingchuan.example",
            "invited person's passphrase"
        ),
        200
    );
    // A second use, even with another password, changes nothing.
    let again = accept(&app, &token, "somebody else's passphrase");
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.body["type"], "/problems/invitation-used");
    assert_eq!(
        login(
            &app,
            "invited@qingchuan.example",
            "invited person's passphrase"
        ),
        200
    );
    // Forged tokens: another signature, another id with this signature, garbage.
    let (id, signature) = token.split_once('.').unwrap();
    let mut forged = signature.to_string();
    forged.replace_range(0..1, if forged.starts_with('A') { "B" } else { "A" });
    assert_eq!(
        accept(&app, &format!("{id}.{forged}"), "a fine passphrase").status,
        404
    );
    let other_id: i64 = id.parse::<i64>().unwrap() + 1000;
    assert_eq!(
        accept(
            &app,
            &format!("{other_id}.{signature}"),
            "a fine passphrase"
        )
        .status,
        404
    );
    assert_eq!(accept(&app, "nonsense", "a fine passphrase").status, 404);
    // The trail: issued by the admin, used by the person.
    let mut conn = app.platform.db.conn().unwrap();
    let trail =
        safety_alliance::audit::trail(&mut conn, "invitation", id.parse().unwrap()).unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["issue", "redeem"]);
    assert_eq!(trail[1].actor_id, created["id"].as_i64());
}

#[test]
fn expired_and_withdrawn_links_do_nothing_and_a_new_link_withdraws_the_old() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let created = invited(&app, &admin, "late@qingchuan.example");
    let user = created["id"].as_i64().unwrap();
    let first = created["invitation"]["token"].as_str().unwrap().to_string();
    // A new link (asked by a regulator of the enterprise's street) withdraws the first.
    let street = app.login("street-regulator");
    let r = street.post(
        &format!("/api/v1/users/{user}/invitations"),
        &json!({"purpose": "invite"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let second = r.body["token"].as_str().unwrap().to_string();
    let refused = accept(&app, &first, "a perfectly fine passphrase");
    assert_eq!(
        refused.body["type"], "/problems/invitation-revoked",
        "{}",
        refused.body
    );
    // The second expires (its day moved into the past).
    let id: i64 = second.split_once('.').unwrap().0.parse().unwrap();
    let mut conn = app.platform.db.conn().unwrap();
    use diesel::prelude::*;
    diesel::sql_query("UPDATE invitations SET expires_at = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Timestamp, _>(
            chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        )
        .bind::<diesel::sql_types::BigInt, _>(id)
        .execute(&mut conn)
        .unwrap();
    let refused = accept(&app, &second, "a perfectly fine passphrase");
    assert_eq!(
        refused.body["type"], "/problems/invitation-expired",
        "{}",
        refused.body
    );
    // A third, withdrawn by hand.
    let third = street.post(
        &format!("/api/v1/users/{user}/invitations"),
        &json!({"purpose": "invite"}),
    );
    let third_id = third.body["id"].as_i64().unwrap();
    let list = street.get(&format!("/api/v1/users/{user}/invitations"));
    let states: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        vec!["pending", "expired", "revoked",],
        "{}",
        list.body
    );
    // Another street's regulator does not see the account's links.
    let other = app.new_user(
        json!({"email": "xihu.reg@qingchuan.example", "name": "西湖", "role": "regulator",
        "region_id": 3, "password": "another street regulator"}),
    );
    assert_eq!(
        other
            .post(
                &format!("/api/v1/invitations/{third_id}/revoke"),
                &json!({})
            )
            .status,
        404
    );
    assert_eq!(
        other
            .get(&format!("/api/v1/users/{user}/invitations"))
            .status,
        404
    );
    let r = street.post(
        &format!("/api/v1/invitations/{third_id}/revoke"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "revoked");
    assert_eq!(
        r.body["token"],
        Value::Null,
        "a withdrawn link is not shown again"
    );
    let token = third.body["token"].as_str().unwrap();
    assert_eq!(
        accept(&app, token, "a perfectly fine passphrase").status,
        409
    );
    assert_eq!(
        login(
            &app,
            "late@qingchuan.example",
            "a perfectly fine passphrase"
        ),
        401
    );
    // Deactivating the account withdraws its link, and it gets no new one.
    let fourth = admin.post(
        &format!("/api/v1/users/{user}/invitations"),
        &json!({"purpose": "invite"}),
    );
    assert_eq!(
        admin
            .patch(&format!("/api/v1/users/{user}"), &json!({"active": false}))
            .status,
        200
    );
    let refused = accept(
        &app,
        fourth.body["token"].as_str().unwrap(),
        "a perfectly fine passphrase",
    );
    let again = admin.post(
        &format!("/api/v1/users/{user}/invitations"),
        &json!({"purpose": "invite"}),
    );
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(
        refused.body["type"], "/problems/invitation-revoked",
        "{}",
        refused.body
    );
}

#[test]
fn a_reset_link_replaces_the_password_and_ends_the_sessions() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let member_id = app.user_id("member");
    let email = app.email("member");
    let old = app.password("member");
    let session = app.login("member");
    let r = admin.post(
        &format!("/api/v1/users/{member_id}/invitations"),
        &json!({"purpose": "reset"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["purpose"], "reset");
    assert_eq!(
        login(&app, &email, &old),
        200,
        "the old password works until the link is used"
    );
    let token = r.body["token"].as_str().unwrap();
    assert_eq!(
        accept(&app, token, "the member's new passphrase").status,
        200
    );
    assert_eq!(login(&app, &email, &old), 401);
    assert_eq!(login(&app, &email, "the member's new passphrase"), 200);
    assert_eq!(session.get("/api/v1/me").status, 401, "sessions ended");
    // A link lost before the person changes their password another way stops working.
    let r = admin.post(
        &format!("/api/v1/users/{member_id}/invitations"),
        &json!({"purpose": "reset"}),
    );
    let lost = r.body["token"].as_str().unwrap().to_string();
    let fresh = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": email, "password": "the member's new passphrase"}),
    );
    let member = app
        .anon()
        .with_token(fresh.body["access_token"].as_str().unwrap());
    let changed = member.post(
        "/api/v1/me/password",
        &json!({"current_password": "the member's new passphrase", "new_password": "yet another passphrase"}),
    );
    assert_eq!(changed.status, 204, "{}", changed.body);
    assert_eq!(accept(&app, &lost, "a thief's passphrase").status, 409);
    // A used link cannot be withdrawn afterwards.
    let used_id: i64 = token.split_once('.').unwrap().0.parse().unwrap();
    assert_eq!(
        admin
            .post(&format!("/api/v1/invitations/{used_id}/revoke"), &json!({}))
            .status,
        409
    );
    // Nobody issues a link for themselves, and an enterprise for nobody.
    assert_eq!(
        admin
            .post(
                &format!("/api/v1/users/{}/invitations", app.user_id("admin")),
                &json!({"purpose": "reset"})
            )
            .status,
        403
    );
    let lead = app.login("lead");
    assert_eq!(
        lead.post(
            &format!("/api/v1/users/{member_id}/invitations"),
            &json!({"purpose": "reset"})
        )
        .status,
        404
    );
}

#[test]
fn two_people_using_one_link_at_once_set_one_password() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let created = invited(&app, &admin, "race@qingchuan.example");
    let token = created["invitation"]["token"].as_str().unwrap().to_string();
    let barrier = std::sync::Barrier::new(2);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = ["first person's passphrase", "second person's passphrase"]
            .into_iter()
            .map(|pw| {
                let (app, token, barrier) = (&app, &token, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    accept(app, token, pw).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![200, 409], "{statuses:?}");
    let winners = ["first person's passphrase", "second person's passphrase"]
        .iter()
        .filter(|pw| login(&app, "race@qingchuan.example", pw) == 200)
        .count();
    assert_eq!(winners, 1);
}

#[test]
fn links_are_mailed_through_the_outbox_and_printed_as_letters() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let created = invited(&app, &admin, "letter@qingchuan.example");
    let user = created["id"].as_i64().unwrap();
    let r = admin.post(
        &format!("/api/v1/users/{user}/invitations"),
        &json!({"purpose": "invite", "send_mail": true}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    let queued = crate::mail::outbox(&admin, "pending");
    let mail = queued["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recipient"] == "letter@qingchuan.example")
        .unwrap_or_else(|| panic!("{queued:?}"));
    assert_eq!(mail["kind"], "invitation");
    use diesel::prelude::*;
    use safety_alliance::db::schema::outbox;
    let mut conn = app.platform.db.conn().unwrap();
    let link: String = outbox::table
        .filter(outbox::id.eq(mail["id"].as_i64().unwrap()))
        .select(outbox::link)
        .first(&mut conn)
        .unwrap();
    assert_eq!(link, format!("/invite/{token}"));
    // The letters of the member's enterprise: this person's, with the link as a QR code.
    let (mut page, _) = crate::flows::signed_in(&app, "street-regulator");
    let enterprise = created["enterprise_id"].as_i64().unwrap();
    let letters = page.get(&format!("/users/letters?enterprise_id={enterprise}"));
    assert_eq!(letters.status, 200, "{}", letters.body);
    assert!(letters.body.contains("受邀人员"));
    assert!(letters.body.contains(&format!("/invite/{token}")));
    assert!(letters.body.contains("<svg"));
    assert_eq!(
        letters.body.matches("class=\"letter\"").count(),
        1,
        "pending links only"
    );
    let one = page.get(&format!("/users/{user}/letter"));
    assert!(one.body.contains(&format!("/invite/{token}")));
    // A lead prints nothing.
    let (mut lead, _) = crate::flows::signed_in(&app, "lead");
    assert_eq!(
        lead.get(&format!("/users/letters?enterprise_id={enterprise}"))
            .status,
        403
    );
}
