//! Logs never carry tokens, passwords or full email addresses.

use serde_json::json;

use crate::common::{captured_logs, TestApp};

#[test]
fn logs_hold_no_tokens_passwords_or_full_emails() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let refreshed = app.anon().post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": member.refresh.clone().unwrap()}),
    );
    assert_eq!(refreshed.status, 200);
    let failed = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": app.email("lead"), "password": "wrong password"}),
    );
    assert_eq!(failed.status, 401);
    let admin = app.login("admin");
    let created = admin.post(
        "/api/v1/users",
        &json!({"email": "secret.person@qingchuan.example", "name": "x", "role": "admin", "password": "a very secret passphrase"}),
    );
    assert_eq!(created.status, 201);
    let change = member.with_token(refreshed.body["access_token"].as_str().unwrap()).post(
        "/api/v1/me/password",
        &json!({"current_password": app.password("member"), "new_password": "my new secret passphrase"}),
    );
    assert_eq!(change.status, 204, "{}", change.body);
    // A server error path: a malformed token in the header.
    app.anon().with_token("not.a.token").get("/api/v1/me");

    let logs = captured_logs();
    assert!(logs.contains("login"), "the flows above were logged");
    let mut secrets: Vec<String> = vec![
        member.token.clone().unwrap(),
        member.refresh.clone().unwrap(),
        refreshed.body["access_token"].as_str().unwrap().to_string(),
        refreshed.body["refresh_token"]
            .as_str()
            .unwrap()
            .to_string(),
        admin.token.clone().unwrap(),
        "a very secret passphrase".into(),
        "my new secret passphrase".into(),
        "wrong password".into(),
        "secret.person@qingchuan.example".into(),
    ];
    for label in ["admin", "member", "lead"] {
        secrets.push(app.password(label));
        secrets.push(app.email(label));
    }
    for secret in secrets {
        if let Some(line) = logs.lines().find(|l| l.contains(&secret)) {
            panic!(
                "the log contains a secret ({}…) in: {}",
                &secret[..secret.len().min(8)],
                line.replace(&secret, "<SECRET>")
            );
        }
    }
}
