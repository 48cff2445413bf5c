use serde_json::json;

use crate::common::TestApp;

#[test]
fn login_returns_tokens_and_me_describes_the_user() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let me = member.get("/api/v1/me");
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], app.email("member"));
    assert_eq!(me.body["role"], "enterprise");
    assert!(me.body["enterprise_id"].as_i64().is_some());
    let street = app.login("street-regulator").get("/api/v1/me");
    assert_eq!(street.body["role"], "regulator");
    assert!(street.body["region_id"].as_i64().is_some());
}

#[test]
fn wrong_password_and_unknown_email_answer_the_same_401() {
    let app = TestApp::spawn();
    let anon = app.anon();
    let wrong = anon.post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": "not-the-password"}),
    );
    let unknown = anon.post(
        "/api/v1/auth/login",
        &json!({"email": "nobody@qingchuan.example", "password": "not-the-password"}),
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    assert_eq!(wrong.headers["content-type"], "application/problem+json");
    // Email matching ignores case and surrounding spaces.
    let upper = anon.post(
        "/api/v1/auth/login",
        &json!({"email": format!("  {}", app.email("member").to_uppercase()), "password": app.password("member")}),
    );
    assert_eq!(upper.status, 200);
}

#[test]
fn missing_login_fields_are_named() {
    let app = TestApp::spawn();
    let r = app
        .anon()
        .post("/api/v1/auth/login", &json!({"email": "a@b.cn"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["password"]);
    let r = app
        .anon()
        .post_raw("/api/v1/auth/login", "application/json", "{not json");
    assert_eq!(r.status, 422);
    let r = app.anon().post_raw("/api/v1/auth/login", "text/plain", "x");
    assert_eq!(r.status, 400);
}

#[test]
fn refresh_rotates_and_a_replayed_refresh_token_ends_the_session() {
    // Without the window for racing twins, a replay at once is theft.
    let app = TestApp::spawn_with(|s| s.refresh_reuse_window = 0);
    let client = app.login("lead");
    let first = client.refresh.clone().unwrap();
    let r = app
        .anon()
        .post("/api/v1/auth/refresh", &json!({"refresh_token": first}));
    assert_eq!(r.status, 200, "{}", r.body);
    let second = r.body["refresh_token"].as_str().unwrap().to_string();
    let access = r.body["access_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    assert_eq!(client.with_token(&access).get("/api/v1/me").status, 200);
    // The used token is refused, and presenting it again revokes the whole session.
    let replay = app
        .anon()
        .post("/api/v1/auth/refresh", &json!({"refresh_token": first}));
    assert_eq!(replay.status, 401);
    let after = app
        .anon()
        .post("/api/v1/auth/refresh", &json!({"refresh_token": second}));
    assert_eq!(after.status, 401);
    assert_eq!(client.with_token(&access).get("/api/v1/me").status, 401);
}

#[test]
fn logout_ends_the_session_for_access_and_refresh_tokens() {
    let app = TestApp::spawn();
    let client = app.login("member");
    assert_eq!(client.post("/api/v1/auth/logout", &json!({})).status, 204);
    assert_eq!(client.get("/api/v1/me").status, 401);
    let r = app.anon().post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": client.refresh.clone().unwrap()}),
    );
    assert_eq!(r.status, 401);
    // Logging out with only the refresh token works too.
    let other = app.login("member");
    let r = app.anon().post(
        "/api/v1/auth/logout",
        &json!({"refresh_token": other.refresh.clone().unwrap()}),
    );
    assert_eq!(r.status, 204);
    assert_eq!(other.get("/api/v1/me").status, 401);
}

fn forge(claims: serde_json::Value, header: &str, secret: &[u8]) -> String {
    use base64::Engine;
    use hmac_sha256::sign;
    let enc = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let head = enc(header.as_bytes());
    let body = enc(claims.to_string().as_bytes());
    let signing_input = format!("{head}.{body}");
    let sig = enc(&sign(secret, signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

mod hmac_sha256 {
    use sha2::{Digest, Sha256};
    /// HMAC-SHA256 (RFC 2104), for forging test tokens.
    pub fn sign(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::new()
            .chain_update(&ipad)
            .chain_update(msg)
            .finalize();
        Sha256::new()
            .chain_update(&opad)
            .chain_update(inner)
            .finalize()
            .to_vec()
    }
}

#[test]
fn tampered_expired_and_unsigned_tokens_are_refused() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let token = member.token.clone().unwrap();
    let secret = std::fs::read_to_string(app.data_dir.path().join("token-secret")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let parts: Vec<&str> = token.split('.').collect();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    let sid = claims["sid"].clone();
    let sub = claims["sub"].clone();

    // A correctly signed token is accepted (the forging helper is right) ...
    let good = forge(
        json!({"sub": sub, "sid": sid, "iss": "safety-alliance/api", "iat": now, "exp": now + 60, "jti": "x"}),
        r#"{"alg":"HS256","typ":"JWT"}"#,
        secret.trim().as_bytes(),
    );
    assert_eq!(member.with_token(&good).get("/api/v1/me").status, 200);
    // ... but not once expired, nor with another user's id under a wrong signature,
    // nor unsigned, nor issued for the web cookie.
    let expired = forge(
        json!({"sub": sub, "sid": sid, "iss": "safety-alliance/api", "iat": now - 120, "exp": now - 60, "jti": "x"}),
        r#"{"alg":"HS256","typ":"JWT"}"#,
        secret.trim().as_bytes(),
    );
    let tampered = {
        let admin_claims = json!({"sub": "1", "sid": sid, "iss": "safety-alliance/api", "iat": now, "exp": now + 60, "jti": "x"});
        let body =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(admin_claims.to_string());
        format!("{}.{}.{}", parts[0], body, parts[2])
    };
    let unsigned = {
        let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"alg":"none","typ":"JWT"}"#);
        format!("{head}.{}.", parts[1])
    };
    let web = forge(
        json!({"sub": sub, "sid": sid, "iss": "safety-alliance/web", "iat": now, "exp": now + 60, "jti": "x"}),
        r#"{"alg":"HS256","typ":"JWT"}"#,
        secret.trim().as_bytes(),
    );
    for (what, t) in [
        ("expired", &expired),
        ("tampered", &tampered),
        ("alg none", &unsigned),
        ("web", &web),
    ] {
        let r = member.with_token(t).get("/api/v1/me");
        assert_eq!(r.status, 401, "{what} token accepted");
        assert_eq!(r.headers["content-type"], "application/problem+json");
    }
    // Malformed headers.
    for header in ["Bearer", "Basic abc", "Bearer a b", "Bearer <script>"] {
        let r = ureq::get(&app.url("/api/v1/me"))
            .set("Authorization", header)
            .call();
        match r {
            Err(ureq::Error::Status(code, _)) => assert_eq!(code, 401, "{header}"),
            other => panic!("{header}: {other:?}"),
        }
    }
    assert_eq!(app.anon().get("/api/v1/me").status, 401);
}

#[test]
fn a_deactivated_user_loses_access_at_once() {
    let app = TestApp::spawn();
    let member = app.login("member");
    assert_eq!(member.get("/api/v1/me").status, 200);
    let id = app.user_id("member");
    let admin = app.login("admin");
    let r = admin.patch(&format!("/api/v1/users/{id}"), &json!({"active": false}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member.get("/api/v1/me").status, 401);
    let r = app.anon().post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": member.refresh.clone().unwrap()}),
    );
    assert_eq!(r.status, 401);
    let r = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": app.password("member")}),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn repeated_failures_lock_the_account_with_back_off() {
    let app = TestApp::spawn();
    let anon = app.anon();
    let wrong = json!({"email": app.email("lead"), "password": "definitely wrong"});
    for attempt in 1..=5 {
        assert_eq!(
            anon.post("/api/v1/auth/login", &wrong).status,
            401,
            "attempt {attempt}"
        );
    }
    // The sixth failure locks the account for a short while ...
    assert_eq!(anon.post("/api/v1/auth/login", &wrong).status, 401);
    let right = json!({"email": app.email("lead"), "password": app.password("lead")});
    let locked = anon.post("/api/v1/auth/login", &right);
    assert_eq!(locked.status, 429, "even the right password waits");
    let retry: u64 = locked.headers["retry-after"].parse().unwrap();
    assert!((1..=2).contains(&retry), "retry after {retry}");
    assert_eq!(locked.headers["content-type"], "application/problem+json");
    // ... other accounts are not affected ...
    assert_eq!(
        anon.post(
            "/api/v1/auth/login",
            &json!({"email": app.email("member"), "password": app.password("member")})
        )
        .status,
        200
    );
    // ... and after the wait the right password works and clears the count.
    std::thread::sleep(std::time::Duration::from_millis(retry * 1000 + 200));
    assert_eq!(anon.post("/api/v1/auth/login", &right).status, 200);
    assert_eq!(anon.post("/api/v1/auth/login", &wrong).status, 401);
}

#[test]
fn many_failures_from_one_address_lock_that_address() {
    let app = TestApp::spawn();
    let anon = app.anon();
    for i in 0..=20 {
        let r = anon.post(
            "/api/v1/auth/login",
            &json!({"email": format!("guess{i}@qingchuan.example"), "password": "guess"}),
        );
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let r = anon.post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": app.password("member")}),
    );
    assert_eq!(r.status, 429);
    assert!(r.headers.contains_key("retry-after"));
}

#[test]
fn users_change_their_own_password_and_other_sessions_end() {
    let app = TestApp::spawn();
    let phone = app.login("member");
    let laptop = app.login("member");
    let weak = laptop.post(
        "/api/v1/me/password",
        &json!({"current_password": app.password("member"), "new_password": "password123"}),
    );
    assert_eq!(weak.status, 422);
    assert_eq!(weak.error_fields(), vec!["new_password"]);
    let wrong = laptop.post(
        "/api/v1/me/password",
        &json!({"current_password": "not my password", "new_password": "a fresh long passphrase"}),
    );
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.error_fields(), vec!["current_password"]);
    let ok = laptop.post(
        "/api/v1/me/password",
        &json!({"current_password": app.password("member"), "new_password": "a fresh long passphrase"}),
    );
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(
        laptop.get("/api/v1/me").status,
        200,
        "the session that changed it stays"
    );
    assert_eq!(phone.get("/api/v1/me").status, 401, "other sessions end");
    let old = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": app.password("member")}),
    );
    assert_eq!(old.status, 401);
    let new = app.anon().post(
        "/api/v1/auth/login",
        &json!({"email": app.email("member"), "password": "a fresh long passphrase"}),
    );
    assert_eq!(new.status, 200);
}

#[test]
fn bodies_must_be_json_objects() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let own = admin.get("/api/v1/enterprises").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    for body in ["[null, null]", "\"x\"", "42", ""] {
        let r = admin.post_raw(
            &format!("/api/v1/alliances/{own}/members"),
            "application/json",
            body,
        );
        assert_eq!(r.status, 422, "{body:?}");
        assert_eq!(r.error_fields(), vec!["body"], "{body:?}");
    }
}

#[test]
fn sessions_that_ended_long_ago_are_forgotten_at_the_next_login() {
    use diesel::prelude::*;
    use safety_alliance::db::schema::sessions;
    let app = TestApp::spawn();
    let first = app.login("member");
    assert_eq!(first.post("/api/v1/auth/logout", &json!({})).status, 204);
    let user = app.user_id("member");
    let mut conn = app.platform.db.conn().unwrap();
    let count = |conn: &mut safety_alliance::db::AnyConnection| -> i64 {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .count()
            .get_result(conn)
            .unwrap()
    };
    let before = count(&mut conn);
    // Make the logged-out session old.
    let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_not_null()),
    )
    .set(sessions::revoked_at.eq(long_ago))
    .execute(&mut conn)
    .unwrap();
    let again = app.login("member");
    assert_eq!(again.get("/api/v1/me").status, 200);
    assert_eq!(
        count(&mut conn),
        before,
        "one old session gone, one new session added"
    );
}

#[test]
fn racing_refreshes_with_one_token_yield_at_most_one_new_pair() {
    let app = TestApp::spawn();
    let client = app.login("member");
    let token = client.refresh.clone().unwrap();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (anon, token) = (app.anon(), token.clone());
            std::thread::spawn(move || {
                anon.post("/api/v1/auth/refresh", &json!({"refresh_token": token}))
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

/// Ten refreshes of one token at once (a flaky network retrying): one wins, and the winner's new
/// tokens work; the losers do not end the session.
#[test]
fn racing_refreshes_leave_the_winner_logged_in() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let refresh = member.refresh.clone().unwrap();
    let barrier = std::sync::Barrier::new(10);
    let results: Vec<crate::common::Response> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let (barrier, app, refresh) = (&barrier, &app, &refresh);
                s.spawn(move || {
                    barrier.wait();
                    app.anon()
                        .post("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let won = winners[0];
    let me = app
        .anon()
        .with_token(won.body["access_token"].as_str().unwrap())
        .get("/api/v1/me");
    assert_eq!(me.status, 200, "the winner's access token works");
    let again = app.anon().post(
        "/api/v1/auth/refresh",
        &json!({"refresh_token": won.body["refresh_token"]}),
    );
    assert_eq!(again.status, 200, "the winner's refresh token works");
}

#[test]
fn logging_out_with_an_ended_session_answers_401() {
    let app = TestApp::spawn();
    let member = app.login("member");
    assert_eq!(member.post("/api/v1/auth/logout", &json!({})).status, 204);
    let again = member.post("/api/v1/auth/logout", &json!({}));
    assert_eq!(again.status, 401, "{}", again.body);
}

/// Sends `n` logins at once, each from `address(i)` (through `X-Forwarded-For`, which the test
/// server trusts), and counts the answers by status.
fn parallel_logins(
    app: &TestApp,
    n: usize,
    body: impl Fn(usize) -> serde_json::Value + Sync,
    address: impl Fn(usize) -> String + Sync,
) -> std::collections::HashMap<u16, usize> {
    let barrier = std::sync::Barrier::new(n);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (barrier, body, address) = (&barrier, &body, &address);
                s.spawn(move || {
                    barrier.wait();
                    app.anon()
                        .post_with(
                            "/api/v1/auth/login",
                            &[("X-Forwarded-For", &address(i))],
                            &body(i),
                        )
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut counts = std::collections::HashMap::new();
    for s in statuses {
        *counts.entry(s).or_insert(0) += 1;
    }
    counts
}

/// Parallel guesses are counted before their passwords are checked: of 60 at one account from
/// one address, 6 are checked (5 free and the one that locks); of 60 at different accounts from
/// one address, 21.
#[test]
fn parallel_guesses_cannot_slip_past_the_throttle() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true);
    let email = app.email("lead");
    let one_account = parallel_logins(
        &app,
        60,
        |_| json!({"email": email, "password": "wrong password"}),
        |_| "10.9.0.1".into(),
    );
    assert_eq!(one_account.get(&401), Some(&6), "{one_account:?}");
    assert_eq!(one_account.get(&429), Some(&54), "{one_account:?}");
    let many_accounts = parallel_logins(
        &app,
        60,
        |i| json!({"email": format!("guess{i}@qingchuan.example"), "password": "guess"}),
        |_| "10.9.0.2".into(),
    );
    assert_eq!(many_accounts.get(&401), Some(&21), "{many_accounts:?}");
}

/// Someone guessing an account from many places locks it for new places, but the owner keeps
/// logging in from an address it used before.
#[test]
fn guessing_cannot_lock_the_owner_out_of_a_known_address() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true);
    let email = app.email("member");
    let right = json!({"email": email, "password": app.password("member")});
    let office = [("X-Forwarded-For", "10.8.0.1")];
    assert_eq!(
        app.anon()
            .post_with("/api/v1/auth/login", &office, &right)
            .status,
        200
    );
    let guesses = parallel_logins(
        &app,
        80,
        |_| json!({"email": email, "password": "wrong password"}),
        |i| format!("10.7.{}.{}", i / 4, i % 4),
    );
    assert!(
        guesses.get(&429).copied().unwrap_or(0) > 0,
        "the account counter locked: {guesses:?}"
    );
    let elsewhere = [("X-Forwarded-For", "10.6.0.1")];
    assert_eq!(
        app.anon()
            .post_with("/api/v1/auth/login", &elsewhere, &right)
            .status,
        429,
        "a new address waits while the account is under attack"
    );
    for _ in 0..3 {
        let r = app.anon().post_with("/api/v1/auth/login", &office, &right);
        assert_eq!(
            r.status, 200,
            "the owner's usual address is not locked out: {}",
            r.body
        );
    }
}

/// Attempts refused by a lock are counted nowhere: hammering one account's lock does not raise
/// the address's counter. And the address is the hop the proxy added, not one the client wrote.
#[test]
fn refused_attempts_count_nowhere_and_the_client_cannot_choose_its_address() {
    let app = TestApp::spawn_with(|s| s.trust_proxy = true);
    let wrong = json!({"email": app.email("lead"), "password": "wrong password"});
    let mut statuses = Vec::new();
    for i in 0..40 {
        // A different first hop each time: the proxy's own hop (the last) is what counts.
        let hops = format!("198.51.100.{i}, 10.5.0.1");
        let r = app
            .anon()
            .post_with("/api/v1/auth/login", &[("X-Forwarded-For", &hops)], &wrong);
        statuses.push(r.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        6,
        "{statuses:?}"
    );
    let right = json!({"email": app.email("member"), "password": app.password("member")});
    let r = app.anon().post_with(
        "/api/v1/auth/login",
        &[("X-Forwarded-For", "198.51.100.99, 10.5.0.1")],
        &right,
    );
    assert_eq!(
        r.status, 200,
        "34 refused attempts did not lock the address: {}",
        r.body
    );
}
