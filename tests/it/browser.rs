//! Browser tests in headless Chromium, driven over the W3C WebDriver protocol (chromedriver).
//! They run when Chromium and chromedriver are installed and say plainly that they were skipped
//! when not; with SA_BROWSER_TESTS=required (CI) a missing browser is a failure.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::TestApp;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_binary(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session, or explains why not.
    pub fn start() -> Option<Browser> {
        let required = std::env::var("SA_BROWSER_TESTS").is_ok_and(|v| v == "required");
        let chromium = find_binary(&[
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ]);
        let driver = find_binary(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            assert!(
                !required,
                "SA_BROWSER_TESTS=required but chromium/chromedriver are not installed"
            );
            eprintln!("browser test SKIPPED: chromium and chromedriver not found (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1200,900",
                format!("--user-data-dir={}", profile.path().display())
            ]}
        }}});
        let resp: Value = ureq::post(&format!("{base}/session"))
            .send_json(caps)
            .expect("session starts")
            .into_json()
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        Some(Browser {
            driver: child,
            base,
            session,
            _profile: profile,
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let req = ureq::request(method, &url);
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("webdriver {method} {path}: {e}"),
        };
        let v: Value = resp.into_json().unwrap_or(Value::Null);
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    pub fn current_url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits up to 5 s for an element.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = self.call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            );
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            if Instant::now() >= deadline {
                let source = self.call("GET", "/source", None);
                let source: String = source
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(1500)
                    .collect();
                panic!("no element {css} on {} ({v}): {source}", self.current_url());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})));
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.call("GET", &format!("/element/{el}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the element's text contains `needle`.
    pub fn wait_text(&self, css: &str, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.text(css);
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} shows {text:?}, not {needle:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG screenshot (for looking at the page).
    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine;
        let data = self.call("GET", "/screenshot", None);
        if let Some(b64) = data.as_str() {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap();
            }
            std::fs::write(path, bytes).unwrap();
        }
    }

    /// Resizes the window (390 × 844 is a phone, 1366 × 900 a desk).
    pub fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// Whether an element is shown (not `display: none`).
    pub fn displayed(&self, css: &str) -> bool {
        let el = self.find(css);
        self.call("GET", &format!("/element/{el}/displayed"), None) == json!(true)
    }

    /// Screenshots of the current page at phone and desk width, kept when `SA_SCREENSHOTS`
    /// names a folder (CI keeps them under the target folder for reviewers).
    pub fn shoot(&self, name: &str) {
        let Ok(dir) = std::env::var("SA_SCREENSHOTS") else {
            return;
        };
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        // The whole page, as tall as it is (up to a limit), at each width.
        for (width, height) in [(390, 844), (1366, 900)] {
            self.resize(width, height);
            std::thread::sleep(Duration::from_millis(150));
            let tall = self.call(
                "POST",
                "/execute/sync",
                Some(
                    json!({"script": "return document.documentElement.scrollHeight;", "args": []}),
                ),
            );
            let tall = tall
                .as_u64()
                .unwrap_or(height as u64)
                .clamp(height as u64, 4000);
            self.resize(width, tall as u32);
            std::thread::sleep(Duration::from_millis(200));
            self.screenshot(&dir.join(format!("{name}-{width}.png")));
        }
        self.resize(1200, 900);
    }

    /// Sets a field's value directly (date and time pickers read typed keys by the locale).
    pub fn set_value(&self, css: &str, value: &str) {
        self.find(css);
        self.call(
            "POST",
            "/execute/sync",
            Some(
                json!({"script": "document.querySelector(arguments[0]).value = arguments[1];",
                        "args": [css, value]}),
            ),
        );
    }

    /// Downloads what the link `css` points at, as the browser (with its session) gets it.
    pub fn download(&self, css: &str) -> Vec<u8> {
        use base64::Engine;
        self.find(css);
        let script = "const done = arguments[arguments.length - 1]; \
            fetch(document.querySelector(arguments[0]).href, {credentials: 'same-origin'}) \
              .then(r => r.arrayBuffer()) \
              .then(b => { let s = ''; const a = new Uint8Array(b); \
                for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); done(btoa(s)); }) \
              .catch(e => done('error: ' + e));";
        let v = self.call(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": [css]})),
        );
        let text = v.as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|_| panic!("download of {css}: {text}"))
    }

    /// Writes a real JPEG photo (drawn by the browser itself) to `path`, for the upload fields.
    pub fn draw_photo(&self, path: &std::path::Path, label: &str) -> String {
        use base64::Engine;
        let script = "const c = document.createElement('canvas'); c.width = 800; c.height = 600; \
            const x = c.getContext('2d'); x.fillStyle = '#8a6d3b'; x.fillRect(0, 0, 800, 600); \
            x.fillStyle = '#fff'; x.font = '64px sans-serif'; x.fillText(arguments[0], 60, 320); \
            return c.toDataURL('image/jpeg', 0.9);";
        let url = self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": [label]})),
        );
        let b64 = url.as_str().unwrap().split_once(',').unwrap().1;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        std::fs::write(path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    }

    /// Forgets every cookie of the current site (another person on another phone).
    pub fn clear_cookies(&self) {
        self.call("DELETE", "/cookie", None);
    }

    pub fn log_in(&self, app: &TestApp, label: &str) {
        self.goto(&app.url("/login"));
        self.type_into("#email", &app.email(label));
        self.type_into("#password", &app.password(label));
        self.click("#login-submit");
        self.find("#home-title");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn log_in_see_the_home_page_switch_language_and_log_out() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();

    // A member: the home page shows its own enterprise and its alliance, in Chinese.
    browser.log_in(&app, "member");
    browser.wait_text("#home-title", "王芳");
    browser.wait_text("#own-enterprise", "老王家常菜馆");
    browser.wait_text("#alliances", "东城街道餐饮燃气安全联盟");
    browser.wait_text("#logout", "退出");
    if let Ok(dir) = std::env::var("SA_SCREENSHOTS") {
        browser.screenshot(&std::path::Path::new(&dir).join("home-member-zh.png"));
    }

    // Switch to English; the choice is remembered on the next page.
    browser.click("#lang-switch");
    browser.wait_text("#logout", "Log out");
    browser.goto(&app.url("/alliances"));
    browser.wait_text("#logout", "Log out");
    browser.wait_text("#alliance-list", "Street alliance");

    // Log out: back to the login page, and the home page asks to log in again.
    browser.click("#logout");
    browser.find("#login-submit");
    browser.goto(&app.url("/"));
    browser.find("#login-submit");
    assert!(browser.current_url().contains("/login"));

    // A wrong password shows an error and keeps the email.
    browser.type_into("#email", &app.email("member"));
    browser.type_into("#password", "wrong password");
    browser.click("#login-submit");
    browser.find("#login-error");

    // A street regulator sees the figures of its street.
    browser.click("#lang-switch");
    browser.log_in(&app, "street-regulator");
    browser.wait_text("#home-title", "陈静");
    let total: i64 = browser.text("#enterprise-total").trim().parse().unwrap();
    let api_total = app
        .login("street-regulator")
        .get("/api/v1/enterprises")
        .body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(total, api_total);
    if let Ok(dir) = std::env::var("SA_SCREENSHOTS") {
        browser.screenshot(&std::path::Path::new(&dir).join("home-street-zh.png"));
    }

    // The API docs page works with nothing but the binary's own assets.
    browser.goto(&app.url("/api/docs"));
    browser.wait_text(".information-container", "Safety-alliance platform API");
    browser.wait_text("#swagger-ui", "/api/v1/enterprises");
}

#[test]
fn a_member_reports_with_a_photo_the_lead_rejects_the_member_resubmits_the_lead_closes() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    browser.goto(&app.url("/login"));
    let photo = browser.draw_photo(&app.data_dir.path().join("kitchen.jpg"), "燃气软管");

    // 王芳 reports from her phone, with a photo.
    browser.log_in(&app, "member");
    browser.click("#home-report");
    browser.type_into("#title", "后厨燃气软管老化");
    browser.click("#category option[value=equipment]");
    browser.type_into("#photo", &photo);
    browser.click("#submit-finding");
    browser.wait_text("#finding-state", "已上报");
    browser.wait_text("#timeline", "上报");
    let finding = browser.current_url();
    assert!(browser.text("#timeline").contains("王芳"));

    // She fixes it the same day and submits an after-photo.
    browser.type_into("#after-photo", &photo);
    browser.type_into("#submit-note", "已更换软管");
    browser.click("#act-submit");
    browser.wait_text("#finding-state", "待复查");

    // 刘强, the lead, sends it back with a reason.
    browser.log_in(&app, "lead");
    browser.goto("about:blank");
    browser.goto(&app.url("/review"));
    browser.wait_text("#finding-list", "后厨燃气软管老化");
    browser.goto(&finding);
    browser.type_into("#reject-note", "未加装熄火保护");
    browser.click("#act-reject");
    browser.wait_text("#flash", "已退回整改");
    browser.wait_text("#finding-state", "已退回");

    // She sees it sent back: the bell counts the message, which leads to the finding; with
    // the reason at the top of the page and in her list.
    browser.log_in(&app, "member");
    browser.wait_text("#bell-count", "1");
    browser.click("#bell");
    browser.wait_text("#notifications", "您的整改被退回");
    browser.wait_text("#notifications", "未加装熄火保护");
    browser.shoot("notifications-member");
    // Her message settings: she stops mail about reports, keeps the rest.
    browser.click("#preferences-link");
    browser.wait_text("#preferences-form", "逾期");
    browser.click("#on-finding_reported");
    browser.click("#save-preferences");
    browser.wait_text("#flash", "已保存");
    browser.shoot("preferences-member");
    browser.goto(&app.url("/notifications"));
    browser.click("#notifications .notice-open");
    browser.wait_text("#finding-state", "已退回");
    assert_eq!(browser.current_url(), finding);
    browser.goto(&app.url("/findings"));
    browser.wait_text("#finding-list", "已退回");
    browser.wait_text("#finding-list", "未加装熄火保护");
    browser.shoot("findings-member-returned");
    browser.goto(&finding);
    browser.wait_text("#finding-state", "已退回");
    browser.wait_text("#returned-reason", "未加装熄火保护");
    browser.wait_text("#next-step", "重新整改");
    browser.shoot("finding-returned");

    // She resubmits; he closes it (销号).
    browser.type_into("#after-photo", &photo);
    browser.type_into("#submit-note", "已加装熄火保护");
    browser.click("#act-submit");
    browser.wait_text("#finding-state", "待复查");
    browser.log_in(&app, "lead");
    browser.goto(&finding);
    browser.click("#act-accept");
    browser.wait_text("#finding-state", "已销号");
    let timeline = browser.text("#timeline");
    for step in ["上报", "提交整改", "退回整改", "未加装熄火保护", "复查通过"]
    {
        assert!(timeline.contains(step), "timeline lacks {step}: {timeline}");
    }
    if let Ok(dir) = std::env::var("SA_SCREENSHOTS") {
        browser.screenshot(&std::path::Path::new(&dir).join("finding-closed.png"));
    }
    // The street regulator attaches its work group's robot; the district sets the ladder; the
    // administrator reads the outbox the loop filled.
    browser.log_in(&app, "street-regulator");
    browser.goto(&app.url("/notifications/robots"));
    browser.type_into("#robot-name", "东城街道安全群");
    browser.type_into(
        "#robot-url",
        "https://oapi.dingtalk.com/robot/send?access_token=demo",
    );
    browser.type_into("#robot-secret", "SECdemo");
    browser.click("#add-robot");
    browser.wait_text("#robot-list", "东城街道安全群");
    browser.shoot("robots-street");
    browser.log_in(&app, "district-regulator");
    browser.goto(&app.url("/notifications/ladder"));
    browser.wait_text("#ladder-form", "一般");
    browser.shoot("ladder-district");
    browser.log_in(&app, "admin");
    browser.goto(&app.url("/admin/outbox"));
    browser.wait_text("#outbox-list", "后厨燃气软管老化");
    browser.shoot("outbox-admin");
    // The photos on the timeline load (served only to those who may see the finding).
    let api = app.login("lead");
    let detail = api.get(&format!(
        "/api/v1/findings/{}",
        finding.rsplit('/').next().unwrap()
    ));
    assert_eq!(detail.body["state"], "closed");
    assert_eq!(
        detail.body["timeline"][0]["attachment_ids"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn pages_at_a_desk_and_on_a_phone() {
    let Some(browser) = Browser::start() else {
        return;
    };
    let app = TestApp::spawn();
    browser.goto(&app.url("/login"));
    let photo = browser.draw_photo(&app.data_dir.path().join("extinguisher.jpg"), "灭火器");
    browser.log_in(&app, "member");
    browser.shoot("home-member");

    // A mistyped link: the app's own page, in Chinese, with the navigation.
    browser.goto(&app.url("/findings/no-such-thing"));
    browser.wait_text("#error-page", "未找到");
    browser.find("#logout");
    browser.shoot("error-404");

    // A refused report comes back with what was typed and the photo already sent.
    browser.goto(&app.url("/findings/new"));
    browser.type_into("#title", "灭火器压力不足");
    browser.click("#category option[value=fire]");
    browser.type_into("#photo", &photo);
    browser.click("#treatment-deadline");
    browser.click("#submit-finding");
    browser.wait_text("#problems", "限期整改须填写整改期限");
    browser.find("#kept-photos img");
    let typed = browser.call(
        "GET",
        &format!("/element/{}/property/value", browser.find("#title")),
        None,
    );
    assert_eq!(typed, json!("灭火器压力不足"), "the title is kept");
    browser.shoot("report-refused");
    // Sent again with a date, the kept photo goes with it.
    browser.click("#treatment-deadline");
    let date = (safety_alliance::db::types::today() + chrono::Duration::days(7)).to_string();
    browser.call(
        "POST",
        "/execute/sync",
        Some(json!({"script": "document.querySelector('#deadline').value = arguments[0]", "args": [date]})),
    );
    browser.click("#submit-finding");
    browser.wait_text("#flash", "隐患已上报");
    browser.find("#photos img");
    let finding = browser.current_url();
    browser.type_into("#after-photo", &photo);
    browser.click("#act-submit");
    browser.wait_text("#next-step", "等待牵头企业复查");
    browser.shoot("finding-awaiting-review");
    // Sharing asks first; cancelling goes back.
    browser.click("#act-share");
    browser.find("#confirm-yes");
    browser.shoot("confirm-share");
    browser.click("#confirm-no");
    browser.find("#act-share");
    // The enterprise's own edit page (contact details only).
    let own = app.login("member").get("/api/v1/me").body["enterprise_id"].clone();
    browser.goto(&app.url(&format!("/enterprises/{own}/edit")));
    browser.find("#enterprise-edit");
    browser.shoot("enterprise-edit-member");

    // The lead's queue: a table at a desk, cards on a phone.
    browser.log_in(&app, "lead");
    browser.goto(&app.url("/review"));
    browser.resize(1366, 900);
    browser.wait_text("#finding-list", "灭火器压力不足");
    assert!(
        browser.displayed("#finding-list thead"),
        "a table with its header at a desk"
    );
    browser.resize(390, 844);
    assert!(
        !browser.displayed("#finding-list thead"),
        "cards on a phone"
    );
    browser.resize(1200, 900);
    browser.shoot("review-queue");
    browser.goto(&finding);
    browser.find("#act-accept");
    browser.shoot("finding-lead-review");
    browser.goto(&app.url("/findings"));
    browser.wait_text("#pager-total", "共");
    browser.shoot("findings-lead");
    browser.goto(&app.url("/alliances"));
    browser.shoot("alliances-lead");
    let alliance =
        app.login("lead").get("/api/v1/alliances?per_page=1").body["items"][0]["id"].clone();
    browser.goto(&app.url(&format!("/alliances/{alliance}/lessons")));
    browser.find("#lesson-filters");
    browser.shoot("lessons");
    // The regulator's view of an alliance: members and their management.
    browser.log_in(&app, "district-regulator");
    browser.goto(&app.url(&format!("/alliances/{alliance}")));
    browser.find("#add-member");
    browser.shoot("alliance-regulator");
}
