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

/// The shipped binary, at `SA_LOG=debug`, logs no page data: its own logging setup is the one
/// under test, not a copy of it.
#[test]
fn the_binary_at_debug_level_logs_no_page_data() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_safety-alliance"))
        .env("SA_DATA_DIR", dir.path())
        .env("SA_BIND", format!("127.0.0.1:{port}"))
        .env("SA_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log as it comes, so that a full pipe never blocks the server.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        stderr.read_to_string(&mut log).unwrap();
        log
    });
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ureq::get(&format!("{base}/readyz")).call().is_err() {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let logins = std::fs::read_to_string(dir.path().join("demo-logins.txt")).unwrap();
    let admin: Vec<&str> = logins
        .lines()
        .find(|l| l.starts_with("admin "))
        .unwrap()
        .split_whitespace()
        .collect();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let form = agent.get(&format!("{base}/login")).call().unwrap();
    let csrf_cookie = form
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = csrf_cookie.split_once('=').unwrap().1.to_string();
    let logged_in = agent
        .post(&format!("{base}/login"))
        .set("Cookie", &csrf_cookie)
        .send_form(&[
            ("csrf", &csrf),
            ("email", admin[1]),
            ("password", admin[2]),
            ("next", "/"),
        ])
        .unwrap();
    assert_eq!(logged_in.status(), 303);
    let session = logged_in
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let cookies = format!("{csrf_cookie}; {session}");
    for page in ["/", "/users", "/enterprises"] {
        let r = agent
            .get(&format!("{base}{page}"))
            .set("Cookie", &cookies)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200, "{page}");
        let body = r.into_string().unwrap();
        assert!(
            page != "/users" || body.contains(admin[1]),
            "{page} shows emails"
        );
    }
    // A graceful stop logs at debug level too (a sign that the filter let debug through).
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    child.wait().unwrap();
    let log = reader.join().unwrap();
    assert!(log.contains("DEBUG"), "debug logging was on");
    for line in logins.lines() {
        let email = line.split_whitespace().nth(1).unwrap();
        assert!(!log.contains(email), "the log names {email}");
    }
}
