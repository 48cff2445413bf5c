//! Pages over plain HTTP: forms, CSRF, redirects, escaping, headers.

use std::collections::HashMap;

use serde_json::json;

use crate::common::{jpeg, new_credit_code, TestApp};

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct PageClient {
    base: String,
    cookies: HashMap<String, String>,
}

pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub headers: HashMap<String, String>,
}

#[allow(clippy::result_large_err)] // ureq's own error type, in the requests' closures
impl PageClient {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            cookies: HashMap::new(),
        }
    }

    pub fn send(&mut self, req: ureq::Request, form: Option<&[(&str, &str)]>) -> Page {
        self.send_with(req, |req| match form {
            Some(pairs) => req.send_form(pairs),
            None => req.call(),
        })
    }

    pub fn send_with(
        &mut self,
        req: ureq::Request,
        send: impl FnOnce(ureq::Request) -> Result<ureq::Response, ureq::Error>,
    ) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.set("Cookie", &cookie)
        };
        let resp = match send(req) {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        let set_cookies: Vec<String> = resp
            .all("set-cookie")
            .into_iter()
            .map(str::to_string)
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| resp.header(&n).map(|v| (n.to_lowercase(), v.to_string())))
            .collect();
        Page {
            status: resp.status(),
            location: resp.header("location").map(str::to_string),
            set_cookies,
            headers,
            body: resp.into_string().unwrap_or_default(),
        }
    }

    pub fn agent() -> ureq::Agent {
        ureq::AgentBuilder::new().redirects(0).build()
    }

    pub fn get(&mut self, path: &str) -> Page {
        let req = Self::agent().get(&format!("{}{}", self.base, path));
        self.send(req, None)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = Self::agent().post(&format!("{}{}", self.base, path));
        self.send(req, Some(form))
    }

    /// Posts a multipart form (as the report and action forms are) with files.
    pub fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----sa-test-boundary-7d4a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
        }
        for (name, file_name, bytes) in files {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
            body.extend_from_slice(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").bytes());
        let req = Self::agent().post(&format!("{}{}", self.base, path)).set(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        );
        self.send_with(req, |req| req.send_bytes(&body))
    }

    pub fn csrf(&mut self) -> String {
        if !self.cookies.contains_key("sa_csrf") {
            self.get("/login");
        }
        self.cookies["sa_csrf"].clone()
    }

    pub fn log_in(&mut self, app: &TestApp, label: &str, next: &str) -> Page {
        let csrf = self.csrf();
        self.post(
            "/login",
            &[
                ("email", &app.email(label)),
                ("password", &app.password(label)),
                ("csrf", &csrf),
                ("next", next),
            ],
        )
    }
}

#[test]
fn login_form_sets_a_strict_http_only_session_cookie_and_returns_to_the_page_asked_for() {
    let app = TestApp::spawn();
    let mut c = PageClient::new(&app);
    let r = c.get("/enterprises?scale=small_micro");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location.as_deref(),
        Some("/login?next=%2Fenterprises%3Fscale%3Dsmall_micro")
    );
    let r = c.log_in(&app, "street-regulator", "/enterprises?scale=small_micro");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location.as_deref(),
        Some("/enterprises?scale=small_micro")
    );
    let session = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("sa_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Strict")
            && session.contains("Path=/")
    );
    let page = c.get("/enterprises?scale=small_micro");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("东城便民超市"));
    assert!(
        !page.body.contains("西湖鱼馆"),
        "another street's enterprise"
    );
    // The page carries the browser-side defences.
    assert!(page.headers["content-security-policy"].contains("frame-ancestors 'none'"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert!(page.headers.contains_key("referrer-policy"));

    // An outside redirect target is ignored.
    let mut other = PageClient::new(&app);
    let r = other.log_in(&app, "member", "https://evil.example/");
    assert_eq!(r.location.as_deref(), Some("/"));
    let r = other.log_in(&app, "member", "//evil.example/");
    assert_eq!(r.location.as_deref(), Some("/"));
    // Browsers drop tabs and newlines in URLs: "/\t/evil" would become "//evil".
    let r = other.log_in(&app, "member", "/\t/evil.example/");
    assert_eq!(r.location.as_deref(), Some("/"));
    let r = other.get("/lang/en?back=/%09/evil.example/");
    assert_eq!(r.location.as_deref(), Some("/"));
}

#[test]
fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn();
    let mut c = PageClient::new(&app);
    let r = c.post(
        "/login",
        &[
            ("email", &app.email("member")),
            ("password", &app.password("member")),
            ("csrf", "x"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(r.set_cookies.iter().all(|c| !c.starts_with("sa_session=")));
    assert_eq!(c.log_in(&app, "district-regulator", "/").status, 303);
    let r = c.post("/enterprises/new", &[("csrf", "wrong"), ("name", "x")]);
    assert_eq!(r.status, 403);
    let r = c.post("/logout", &[("csrf", "wrong")]);
    assert_eq!(r.status, 403);
    assert_eq!(c.get("/").status, 200, "still logged in");
    let csrf = c.csrf();
    assert_eq!(c.post("/logout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(c.get("/").status, 303, "logged out");
}

#[test]
fn a_regulator_registers_an_enterprise_through_the_form() {
    let app = TestApp::spawn();
    let mut c = PageClient::new(&app);
    c.log_in(&app, "street-regulator", "/");
    let csrf = c.csrf();
    let api = app.login("street-regulator");
    let region = api.get("/api/v1/me").body["region_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let bad = c.post(
        "/enterprises/new",
        &[
            ("csrf", &csrf),
            ("name", "东城小吃"),
            ("credit_code", "91370115MA3C4D5E60"),
            ("region_id", &region),
            ("industry_id", "2"),
            ("scale", "small_micro"),
            ("address", ""),
            ("contact_name", ""),
            ("contact_phone", ""),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("校验码不符"),
        "the form names the credit-code problem"
    );
    assert!(bad.body.contains("东城小吃"), "typed values are kept");
    let code = new_credit_code();
    let good = c.post(
        "/enterprises/new",
        &[
            ("csrf", &csrf),
            ("name", "东城小吃"),
            ("credit_code", &code),
            ("region_id", &region),
            ("industry_id", "2"),
            ("scale", "small_micro"),
            ("address", "建设路1号"),
            ("contact_name", "李娜"),
            ("contact_phone", "13800000000"),
        ],
    );
    assert_eq!(good.status, 303, "{}", good.body);
    let detail = c.get(good.location.as_deref().unwrap());
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains(&code));
}

#[test]
fn text_from_users_is_escaped_on_every_page() {
    let app = TestApp::spawn();
    let api = app.login("admin");
    let evil = "<script>alert(1)</script>";
    let r = api.post(
        "/api/v1/enterprises",
        &serde_json::json!({"name": evil, "credit_code": new_credit_code(), "region_id": 2, "industry_id": 2,
                            "scale": "small_micro", "address": evil, "contact_name": evil, "contact_phone": ""}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let enterprise = r.body["id"].as_i64().unwrap();
    let r = api.post(
        "/api/v1/alliances",
        &serde_json::json!({"name": evil, "level": "street", "region_id": 2, "lead_enterprise_id": enterprise}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let alliance = r.body["id"].as_i64().unwrap();
    let r = api.post(
        "/api/v1/users",
        &serde_json::json!({"email": "xss@qingchuan.example", "name": evil, "phone": evil, "role": "enterprise",
                            "enterprise_id": enterprise, "password": "xss user passphrase"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let user = r.body["id"].as_i64().unwrap();
    let mut c = PageClient::new(&app);
    c.log_in(&app, "admin", "/");
    let pages = [
        "/".to_string(),
        "/enterprises".to_string(),
        format!("/enterprises/{enterprise}"),
        "/alliances".to_string(),
        format!("/alliances/{alliance}"),
        "/users".to_string(),
        format!("/users/{user}"),
    ];
    for path in &pages {
        let page = c.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(evil), "raw markup on {path}");
        assert!(
            page.body.contains("&lt;script&gt;"),
            "the text is shown, escaped, on {path}"
        );
    }
    // The user's own pages show its name escaped too.
    let mut own = PageClient::new(&app);
    let csrf = own.csrf();
    own.post(
        "/login",
        &[
            ("email", "xss@qingchuan.example"),
            ("password", "xss user passphrase"),
            ("csrf", &csrf),
            ("next", "/"),
        ],
    );
    for path in ["/", "/account"] {
        let page = own.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(evil), "raw markup on {path}");
    }
}

#[test]
fn the_audit_trail_is_shown_to_those_who_see_the_record_in_full() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    let r = member.patch(
        &format!("/api/v1/enterprises/{own}"),
        &serde_json::json!({"contact_phone": "0531-66668888"}),
    );
    assert_eq!(r.status, 200);
    // The street regulator and the alliance lead see who changed what.
    for label in ["street-regulator", "lead", "member"] {
        let mut c = PageClient::new(&app);
        c.log_in(&app, label, "/");
        let page = c.get(&format!("/enterprises/{own}"));
        assert_eq!(page.status, 200);
        assert!(page.body.contains("audit-trail"), "{label} sees the trail");
        assert!(
            page.body
                .contains("<dt>联系电话</dt><dd>0531-66668888</dd>"),
            "{label} sees the change, labelled as the form labels it"
        );
        assert!(page.body.contains("王芳"), "{label} sees who made it");
    }
    // A fellow member (who sees no contact details) gets no trail either.
    let admin = app.login("admin");
    let fellow = app.enterprise_id("东城味道火锅店");
    let r = admin.post(
        "/api/v1/users",
        &serde_json::json!({"email": "hotpot@qingchuan.example", "name": "火锅店", "role": "enterprise",
                            "enterprise_id": fellow, "password": "hotpot user passphrase"}),
    );
    assert_eq!(r.status, 201);
    let mut c = PageClient::new(&app);
    let csrf = c.csrf();
    c.post(
        "/login",
        &[
            ("email", "hotpot@qingchuan.example"),
            ("password", "hotpot user passphrase"),
            ("csrf", &csrf),
            ("next", "/"),
        ],
    );
    let page = c.get(&format!("/enterprises/{own}"));
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("audit-trail"));
    assert!(!page.body.contains("0531-66668888"));
}

#[test]
fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn();
    let big_name = "x".repeat(300 * 1024);
    let r = app.login("admin").post(
        "/api/v1/enterprises",
        &serde_json::json!({"name": big_name}),
    );
    assert_eq!(r.status, 413);
    let r = app.anon().post(
        "/api/v1/auth/login",
        &serde_json::json!({"email": "a@b.cn", "password": "x".repeat(10_000)}),
    );
    assert_eq!(r.status, 413, "login bodies are small");
}

#[test]
fn the_language_choice_is_remembered() {
    let app = TestApp::spawn();
    let mut c = PageClient::new(&app);
    assert!(c.get("/login").body.contains("登录安全联盟平台"));
    let r = c.get("/lang/en?back=/login");
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/login"));
    assert!(r
        .set_cookies
        .iter()
        .any(|c| c.starts_with("sa_lang=en") && c.contains("Max-Age=31536000")));
    assert!(c
        .get("/login")
        .body
        .contains("Log in to the Safety Alliance Platform"));
    c.get("/lang/zh-CN?back=https://evil.example/");
    assert!(c.get("/login").body.contains("登录安全联盟平台"));
}

#[test]
fn members_see_no_management_forms_and_cannot_post_them() {
    let app = TestApp::spawn();
    let mut c = PageClient::new(&app);
    c.log_in(&app, "member", "/");
    let alliance = app.login("member").get("/api/v1/alliances").body["items"][0]["id"]
        .as_i64()
        .unwrap();
    let page = c.get(&format!("/alliances/{alliance}"));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("add-member"),
        "no add-member form for a member"
    );
    assert!(
        !c.get("/").body.contains("home-review"),
        "a member reviews nothing"
    );
    let mut lead = PageClient::new(&app);
    lead.log_in(&app, "lead", "/");
    assert!(lead.get("/").body.contains("home-review"), "a lead does");
    let csrf = c.csrf();
    let r = c.post(
        &format!("/alliances/{alliance}/members"),
        &[("csrf", &csrf), ("credit_code", "91370115MA3C4D5E60")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(c.get("/enterprises/new").status, 403);
    assert_eq!(c.get("/users/new").status, 403);
    assert_eq!(
        c.get("/users").status,
        403,
        "the accounts page is for admins and regulators"
    );
}

#[test]
fn hazard_text_is_escaped_on_the_hazard_pages() {
    let app = TestApp::spawn();
    let evil = "<script>alert(1)</script>";
    let member = app.login("member");
    let photo = member.upload(
        &crate::common::jpeg("x"),
        &format!("{evil}.jpg"),
        "image/jpeg",
    );
    assert_eq!(photo.status, 201);
    let r = member.post(
        "/api/v1/findings",
        &serde_json::json!({"title": evil, "description": evil, "cause": evil, "location": evil, "measures": evil,
                            "responsible_person": "张三", "category": "fire", "grade": "general", "treatment": "on_the_spot",
                            "attachment_ids": [photo.body["id"]]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let alliance = r.body["alliance_id"].as_i64().unwrap();
    let evidence = member.upload(&crate::common::jpeg("y"), "y.jpg", "image/jpeg");
    let r = member.post(
        &format!("/api/v1/findings/{id}/transitions"),
        &serde_json::json!({"action": "submit_rectification", "note": evil, "attachment_ids": [evidence.body["id"]]}),
    );
    assert_eq!(r.status, 200);
    member.post(
        &format!("/api/v1/findings/{id}/transitions"),
        &serde_json::json!({"action": "share"}),
    );
    let mut c = PageClient::new(&app);
    c.log_in(&app, "lead", "/");
    for path in [
        "/findings".to_string(),
        "/review".to_string(),
        format!("/findings/{id}"),
        format!("/alliances/{alliance}/lessons"),
    ] {
        let page = c.get(&path);
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(evil), "raw markup on {path}");
        assert!(
            page.body.contains("&lt;script&gt;"),
            "the text is shown, escaped, on {path}"
        );
    }
    // The file name is never put raw into a header either.
    let (status, _, headers) = app
        .login("lead")
        .get_bytes(&format!("/api/v1/attachments/{}", photo.body["id"]));
    assert_eq!(status, 200);
    assert!(!headers["content-disposition"].contains('<'));
}

#[test]
fn pager_links_keep_the_list_filters() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    for i in 0..51 {
        let r = admin.post(
            "/api/v1/users",
            &serde_json::json!({"email": format!("pager{i}@qingchuan.example"), "name": format!("翻页{i}"),
                                "role": "admin", "password": "a long enough passphrase"}),
        );
        assert_eq!(r.status, 201);
    }
    let mut c = PageClient::new(&app);
    c.log_in(&app, "admin", "/");
    let page = c.get("/users?role=admin");
    assert!(
        page.body.contains("/users?role&#x3D;admin&amp;page&#x3D;2"),
        "the next link keeps role=admin (HTML-escaped)"
    );
    let page = c.get("/findings?state=closed&grade=major");
    assert!(
        !page.body.contains("rel=\"next\""),
        "no second page of nothing"
    );
}

/// How many attachment rows and audit entries there are (what a refused form must not add).
fn stored(app: &TestApp) -> (i64, i64) {
    use diesel::prelude::*;
    use safety_alliance::db::schema::{attachments, audit_log};
    let mut conn = app.platform.db.conn().unwrap();
    let files: i64 = attachments::table.count().get_result(&mut conn).unwrap();
    let audit: i64 = audit_log::table.count().get_result(&mut conn).unwrap();
    (files, audit)
}

#[test]
fn refused_page_actions_store_no_photo() {
    let app = TestApp::spawn();
    let mut member = PageClient::new(&app);
    assert_eq!(member.log_in(&app, "member", "/").status, 303);
    let csrf = member.csrf();
    let photo = jpeg("refused");
    let before = stored(&app);
    // 422: the title is missing.
    let page = member.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("title", ""),
            ("category", "fire"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
        ],
        &[("photo", "a.jpg", &photo)],
    );
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("name=\"category\""),
        "the form comes back"
    );
    // A 422 keeps the photo that arrived (as the viewer's upload) for the next try, and
    // reports nothing.
    let after = stored(&app);
    assert_eq!(
        (after.0, after.1),
        (before.0 + 1, before.1 + 1),
        "one upload, audited"
    );
    assert!(page.body.contains("name=\"kept_photo\""));
    // A finding to act on.
    let reported = app.login("member").post(
        "/api/v1/findings",
        &json!({"title": "灭火器过期", "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(reported.status, 201);
    let id = reported.body["id"].as_i64().unwrap();
    let before = stored(&app);
    // 403: the owner may not accept its own finding.
    let page = member.post_multipart(
        &format!("/findings/{id}/act"),
        &[("csrf", &csrf), ("action", "accept"), ("note", "ok")],
        &[("photo", "b.jpg", &photo)],
    );
    assert_eq!(page.status, 403);
    // 409: the lead reviews, but nothing has been submitted yet.
    let mut lead = PageClient::new(&app);
    assert_eq!(lead.log_in(&app, "lead", "/").status, 303);
    let lead_csrf = lead.csrf();
    let page = lead.post_multipart(
        &format!("/findings/{id}/act"),
        &[("csrf", &lead_csrf), ("action", "accept"), ("note", "ok")],
        &[("photo", "c.jpg", &photo)],
    );
    assert_eq!(page.status, 409);
    // 404: an outsider sees nothing, and stores nothing.
    let mut outsider = PageClient::new(&app);
    assert_eq!(outsider.log_in(&app, "expert", "/").status, 303);
    let outsider_csrf = outsider.csrf();
    let page = outsider.post_multipart(
        &format!("/findings/{id}/act"),
        &[("csrf", &outsider_csrf), ("action", "share"), ("note", "")],
        &[("photo", "d.jpg", &photo)],
    );
    assert!(matches!(page.status, 403 | 404), "{}", page.status);
    assert_eq!(
        stored(&app),
        before,
        "refused actions stored no attachment and no audit entry"
    );
    // An accepted action stores its photo with it.
    let page = member.post_multipart(
        &format!("/findings/{id}/act"),
        &[
            ("csrf", &csrf),
            ("action", "submit_rectification"),
            ("note", "换新"),
        ],
        &[("photo", "e.jpg", &photo)],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let after = stored(&app);
    assert_eq!(after.0, before.0 + 1);
}

#[test]
fn experts_report_from_the_pages() {
    let app = TestApp::spawn();
    let mut expert = PageClient::new(&app);
    assert_eq!(expert.log_in(&app, "expert", "/").status, 303);
    let home = expert.get("/");
    assert!(
        home.body.contains("id=\"home-report\""),
        "the home page offers the report form"
    );
    let list = expert.get("/findings");
    assert!(list.body.contains("id=\"report-finding\""));
    // An enterprise of an alliance the expert is assigned to.
    let alliances = app.login("expert").get("/api/v1/alliances");
    let alliance = alliances.body["items"][0]["id"].as_i64().unwrap();
    let members = app
        .login("expert")
        .get(&format!("/api/v1/alliances/{alliance}/members"));
    let enterprise = members.body["items"][0]["enterprise_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let csrf = expert.csrf();
    let page = expert.post_multipart(
        "/findings/new",
        &[
            ("csrf", &csrf),
            ("enterprise_id", &enterprise),
            ("title", "配电箱未上锁"),
            ("category", "electrical"),
            ("grade", "general"),
            ("treatment", "on_the_spot"),
            ("idempotency_key", "expert-page-1"),
        ],
        &[],
    );
    assert_eq!(page.status, 303, "{}", page.body);
    let shown = expert.get(page.location.as_deref().unwrap());
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("配电箱未上锁"));
}

#[test]
fn the_lessons_page_pages_through_every_lesson() {
    let app = TestApp::spawn();
    let member = app.login("member");
    for n in 0..31 {
        let r = member.post(
            "/api/v1/findings",
            &json!({"title": format!("教训 {n}"), "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        );
        assert_eq!(r.status, 201);
        let id = r.body["id"].as_i64().unwrap();
        let shared = member.post(
            &format!("/api/v1/findings/{id}/transitions"),
            &json!({"action": "share"}),
        );
        assert_eq!(shared.status, 200, "{}", shared.body);
    }
    let alliance = member.get("/api/v1/findings?per_page=1").body["items"][0]["alliance_id"]
        .as_i64()
        .unwrap();
    let mut page = PageClient::new(&app);
    assert_eq!(page.log_in(&app, "member", "/").status, 303);
    let first = page.get(&format!("/alliances/{alliance}/lessons"));
    assert_eq!(first.status, 200);
    assert!(first.body.contains("教训 30"), "newest first");
    let link = format!("/alliances/{alliance}/lessons?page&#x3D;2");
    assert!(first.body.contains(&link), "a link to the next page");
    let second = page.get(&format!("/alliances/{alliance}/lessons?page=2"));
    assert!(second.body.contains("教训 0<"), "the oldest is on page 2");
}

/// A mistyped link, `/favicon.ico`, a forbidden form or an expired form show an app page in the
/// viewer's language with the header; the API keeps problem+json.
#[test]
fn errors_of_pages_are_pages_in_the_viewers_language() {
    let app = TestApp::spawn();
    let mut anon = PageClient::new(&app);
    for path in ["/no-such-page", "/favicon.ico", "/findings/999999/nothing"] {
        let page = anon.get(path);
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.headers["content-type"].starts_with("text/html"),
            "{path}"
        );
        assert!(
            page.body.contains("id=\"error-page\"") && page.body.contains("未找到"),
            "{path}"
        );
    }
    let mut member = PageClient::new(&app);
    assert_eq!(member.log_in(&app, "member", "/").status, 303);
    let missing = member.get("/findings/999999");
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("id=\"who\""),
        "the header shows the viewer"
    );
    assert!(missing.body.contains("id=\"request-id\""));
    let forbidden = member.get("/enterprises/new");
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.body.contains("无权操作"));
    let expired = member.post(
        "/alliances/1/members",
        &[("csrf", "wrong"), ("credit_code", "x")],
    );
    assert_eq!(expired.status, 403);
    assert!(expired.body.contains("表单已过期"));
    // In English once chosen.
    member.get("/lang/en?back=/");
    let english = member.get("/no-such-page");
    assert!(english.body.contains("Not found"), "{}", english.body);
    // The API answers as before.
    let api = app.anon().get("/api/v1/no-such-thing");
    assert_eq!(api.status, 404);
    assert_eq!(api.headers["content-type"], "application/problem+json");
}

/// Two retries of one report racing on a weak network: both land on the one saved finding.
#[test]
fn racing_retries_of_a_report_form_land_on_one_finding() {
    let app = TestApp::spawn();
    let mut member = PageClient::new(&app);
    assert_eq!(member.log_in(&app, "member", "/").status, 303);
    let csrf = member.csrf();
    let before = app.login("member").get("/api/v1/findings").body["total"].clone();
    let barrier = std::sync::Barrier::new(4);
    let locations: Vec<Option<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (barrier, csrf) = (&barrier, &csrf);
                let mut client = PageClient {
                    base: member.base.clone(),
                    cookies: member.cookies.clone(),
                };
                s.spawn(move || {
                    barrier.wait();
                    let page = client.post_multipart(
                        "/findings/new",
                        &[
                            ("csrf", csrf),
                            ("title", "灶台旁堆放纸箱"),
                            ("category", "fire"),
                            ("grade", "general"),
                            ("treatment", "on_the_spot"),
                            ("idempotency_key", "weak-network-retry-1"),
                        ],
                        &[],
                    );
                    assert_eq!(page.status, 303, "{}", page.body);
                    page.location
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(locations.windows(2).all(|w| w[0] == w[1]), "{locations:?}");
    let after = app.login("member").get("/api/v1/findings").body["total"].clone();
    assert_eq!(after.as_i64().unwrap(), before.as_i64().unwrap() + 1);
}

/// A street regulator's filters and forms offer its own street, not every region.
#[test]
fn a_regulator_is_offered_only_its_own_area() {
    let app = TestApp::spawn();
    let regions = app.login("admin").get("/api/v1/regions?per_page=100").body["items"]
        .as_array()
        .unwrap()
        .clone();
    let street = app.login("street-regulator").get("/api/v1/me").body["region_id"].clone();
    let mut c = PageClient::new(&app);
    assert_eq!(c.log_in(&app, "street-regulator", "/").status, 303);
    for path in ["/enterprises", "/alliances", "/enterprises/new"] {
        let page = c.get(path);
        assert_eq!(page.status, 200, "{path}");
        // The options of the region select only (industries have ids too).
        let select = page.body.split("name=\"region_id\"").nth(1).unwrap();
        let select = select.split("</select>").next().unwrap();
        for r in &regions {
            let option = format!("<option value=\"{}\"", r["id"]);
            let own = r["id"] == street;
            assert_eq!(
                select.contains(&option),
                own,
                "{path}: region {} offered: {}",
                r["name"],
                !own
            );
        }
    }
}
