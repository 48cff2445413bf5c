//! Mail and the outbox: templates in both languages (user input escaped in HTML), one mail per
//! message once through any number of workers, retries while the mail server is down, a real
//! SMTP server, group-robot posts, preferences and digests.

use std::future::Future;

use safety_alliance::notify::mail::{self, Item, Transport};
use safety_alliance::notify::worker::Worker;
use safety_alliance::notify::Kind;
use safety_alliance::web::{Lang, Pages};
use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::findings::{days_from_today, report};

pub(crate) fn block<T>(f: impl Future<Output = T>) -> T {
    actix_web::rt::System::new().block_on(f)
}

/// Runs `worker` until nothing is due; returns how many rows it handled.
pub(crate) fn drain(worker: &Worker) -> usize {
    block(async {
        let mut n = 0;
        loop {
            let k = worker.round().await.expect("outbox round");
            if k == 0 {
                return n;
            }
            n += k;
        }
    })
}

pub(crate) fn outbox(admin: &Client, state: &str) -> Value {
    let r = admin.get(&format!("/api/v1/admin/outbox?per_page=100&state={state}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn sample(subject: &str, note: &str) -> Item {
    Item {
        kind: Kind::FindingRejected,
        subject: subject.into(),
        link: "/findings/7".into(),
        due_on: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()),
        note: note.into(),
    }
}

#[test]
fn every_mail_template_renders_in_both_languages_and_escapes_user_input_in_html() {
    let pages = Pages::new().unwrap();
    let evil = "<script>alert(1)</script> & \"引号\"";
    for lang in [Lang::Zh, Lang::En] {
        let site = ("https://aq.example.cn", "王<b>芳</b>");
        let one = mail::notice(&pages, lang, site, &sample(evil, evil)).unwrap();
        let many = mail::digest(
            &pages,
            lang,
            site,
            &[sample(evil, ""), sample("第二条", "")],
        )
        .unwrap();
        for w in [&one, &many] {
            assert!(!w.html.contains("<script>"), "{}", w.html);
            assert!(w.html.contains("&lt;script&gt;"), "{}", w.html);
            assert!(
                !w.html.contains("<b>芳</b>"),
                "the reader's name is escaped too"
            );
            assert!(w.html.contains("https://aq.example.cn/findings/7"));
            assert!(w.text.contains("https://aq.example.cn/findings/7"));
            assert!(!w.subject.contains('\n'));
        }
        // The text part keeps what was typed, as typed.
        assert!(one.text.contains(evil), "{}", one.text);
        assert!(
            one.text.contains("2026-12-24"),
            "the deadline is named: {}",
            one.text
        );
        assert!(one.subject.contains(evil));
        assert!(many.text.contains("第二条"));
        let words = match lang {
            Lang::Zh => "整改被退回",
            Lang::En => "sent back",
        };
        assert!(
            one.text.contains(words) || one.subject.contains(words),
            "{lang:?}: {}",
            one.text
        );
    }
    // A subject typed with a line break cannot add a header.
    let w = mail::notice(
        &pages,
        Lang::Zh,
        ("http://x", "n"),
        &sample("a\r\nBcc: x@y", ""),
    )
    .unwrap();
    assert!(!w.subject.contains('\n') && !w.subject.contains('\r'));
}

#[test]
fn a_report_mails_the_enterprise_once_however_many_workers_run() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    for i in 0..12 {
        report(
            &street,
            json!({"enterprise_id": own, "title": format!("隐患{i}")}),
        );
    }
    let pending = outbox(&admin, "pending");
    let queued = pending["total"].as_i64().unwrap();
    assert!(queued >= 12, "a mail per report: {pending}");
    assert_eq!(pending["counts"]["pending"].as_i64(), Some(queued));
    // Three workers of this instance and of another on the same database take turns.
    let other = app.second_instance();
    let (t1, sent1) = Transport::memory();
    let (t2, sent2) = Transport::memory();
    let (t3, sent3) = Transport::memory();
    let workers = [
        app.platform.worker(t1).unwrap(),
        other.worker(t2).unwrap(),
        other.worker(t3).unwrap(),
    ];
    std::thread::scope(|s| {
        for w in &workers {
            s.spawn(|| drain(w));
        }
    });
    let mut all: Vec<mail::Sent> = Vec::new();
    for sent in [&sent1, &sent2, &sent3] {
        all.extend(sent.lock().unwrap().iter().cloned());
    }
    assert_eq!(
        all.len() as i64,
        queued,
        "each queued mail sent exactly once"
    );
    let member_mails = all.iter().filter(|m| m.to == app.email("member")).count();
    assert_eq!(member_mails, 12, "the member got one mail per report");
    let raw = &all
        .iter()
        .find(|m| m.to == app.email("member"))
        .unwrap()
        .raw;
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert!(raw.contains("text/html"), "{raw}");
    let after = outbox(&admin, "sent");
    assert_eq!(after["counts"]["sent"].as_i64(), Some(queued));
    assert_eq!(after["counts"]["pending"].as_i64(), Some(0));
    // Nothing is sent twice: the workers find nothing more.
    assert_eq!(drain(&workers[0]), 0);
}

#[test]
fn a_mail_server_that_is_down_delays_mail_and_loses_none() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    report(
        &street,
        json!({"enterprise_id": own, "title": "消防通道堵塞"}),
    );
    // Nobody listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = Transport::configured(
        Some(&format!("smtp://127.0.0.1:{port}")),
        app.data_dir.path(),
    )
    .unwrap();
    let worker = app.platform.worker(down).unwrap();
    assert!(drain(&worker) >= 1);
    let pending = outbox(&admin, "pending");
    let row = &pending["items"][0];
    assert_eq!(row["state"], "pending", "{pending}");
    assert_eq!(row["attempts"], 1);
    assert!(
        row["last_error"].as_str().unwrap().contains("smtp"),
        "{row}"
    );
    assert_eq!(drain(&worker), 0, "it waits before trying again");
    // The administrator sends it again at once, through a server that works now.
    let id = row["id"].as_i64().unwrap();
    let r = admin.post(&format!("/api/v1/admin/outbox/{id}/resend"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let (up, sent) = Transport::memory();
    let worker = app.platform.worker(up).unwrap();
    drain(&worker);
    assert!(sent
        .lock()
        .unwrap()
        .iter()
        .any(|m| m.raw.contains("Subject:")));
    let sent_rows = outbox(&admin, "sent");
    assert!(sent_rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id && r["attempts"] == 2));
    // Only administrators see the outbox.
    assert_eq!(street.get("/api/v1/admin/outbox").status, 403);
    assert_eq!(
        member
            .post(&format!("/api/v1/admin/outbox/{id}/resend"), &json!({}))
            .status,
        403
    );
    assert_eq!(admin.get("/api/v1/admin/outbox?state=lost").status, 422);
}

/// A real SMTP server (Debian's python3-aiosmtpd) writing what it receives into a maildir.
struct SmtpServer {
    child: std::process::Child,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(python: &str, port: u16, maildir: tempfile::TempDir) -> Option<Self> {
        let child = std::process::Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Self { child, maildir });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    }

    fn received(&self) -> Vec<String> {
        let dir = self.maildir.path().join("box").join("new");
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.maildir
    }
}

/// A Python that has aiosmtpd: the one on the path, or Debian's (python3-aiosmtpd installs into
/// the system Python, which a pyenv or venv on the path hides).
fn aiosmtpd_python() -> Option<&'static str> {
    let found = ["python3", "/usr/bin/python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        // CI installs it; a developer's machine may lack it.
        assert!(
            std::env::var("CI").is_err(),
            "CI must install python3-aiosmtpd"
        );
        eprintln!("skipped: python3-aiosmtpd is not installed");
    }
    found
}

#[test]
fn mail_goes_through_a_real_smtp_server_that_is_stopped_and_started_again() {
    let Some(python) = aiosmtpd_python() else {
        return;
    };
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("smtp://127.0.0.1:{port}");
    let transport = Transport::configured(Some(&url), app.data_dir.path()).unwrap();
    let worker = app.platform.worker(transport).unwrap();
    let server =
        SmtpServer::start(python, port, tempfile::tempdir().unwrap()).expect("aiosmtpd starts");
    report(
        &street,
        json!({"enterprise_id": own, "title": "仓库<灭火器>过期"}),
    );
    drain(&worker);
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains(&app.email("member")), "{}", got[0]);
    // The server goes down: the next report's mail waits, and is not lost.
    let maildir = server.stop();
    report(
        &street,
        json!({"enterprise_id": own, "title": "配电房漏水"}),
    );
    drain(&worker);
    let pending = outbox(&admin, "pending");
    assert_eq!(pending["counts"]["pending"], 1, "{pending}");
    // It comes back: the mail is delivered at its next attempt.
    let server = SmtpServer::start(python, port, maildir).expect("aiosmtpd starts again");
    let id = pending["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .post(&format!("/api/v1/admin/outbox/{id}/resend"), &json!({}))
            .status,
        200
    );
    drain(&worker);
    assert_eq!(server.received().len(), 2);
    assert_eq!(outbox(&admin, "sent")["counts"]["sent"], 2);
    server.stop();
}

#[test]
fn preferences_mute_what_may_be_muted_choose_the_language_and_gather_a_digest() {
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let r = member.get("/api/v1/notifications/preferences");
    assert_eq!(r.body["language"], "zh-CN");
    assert_eq!(r.body["digest"], false);
    assert!(r.body["mandatory"]
        .as_array()
        .unwrap()
        .contains(&json!("finding_overdue")));
    // Overdue and major messages cannot be turned off; unknown kinds and languages are refused.
    for (body, field) in [
        (
            json!({"language": "zh-CN", "muted": ["finding_overdue"]}),
            "muted",
        ),
        (json!({"language": "zh-CN", "muted": ["gossip"]}), "muted"),
        (json!({"language": "fr"}), "language"),
    ] {
        let r = member.put("/api/v1/notifications/preferences", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    assert_eq!(
        member.get("/api/v1/notifications/preferences").body["muted"],
        json!([])
    );
    // Muted: the report reaches the message centre, and no mail goes.
    let r = member.put(
        "/api/v1/notifications/preferences",
        &json!({"language": "en", "muted": ["finding_reported"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    report(
        &street,
        json!({"enterprise_id": own, "title": "静音的隐患"}),
    );
    let to_member = |state: &str| -> Vec<Value> {
        outbox(&admin, state)["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["recipient"] == app.email("member"))
            .cloned()
            .collect()
    };
    assert!(to_member("pending").is_empty());
    // A major hazard is mailed anyway, in English, at once.
    let lead = app.login("lead");
    let lead_own = lead.get("/api/v1/me").body["enterprise_id"].clone();
    let _ = lead_own;
    report(
        &street,
        json!({"enterprise_id": own, "title": "Major leak", "grade": "major"}),
    );
    let (t, sent) = Transport::memory();
    drain(&app.platform.worker(t).unwrap());
    let mails: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to == app.email("member"))
        .map(|m| m.raw.clone())
        .collect();
    assert_eq!(mails.len(), 1, "the major report only: {mails:?}");
    assert!(
        mails[0].contains("Major leak") && mails[0].contains("Dear"),
        "{}",
        mails[0]
    );
    // A digest: single mails stop; the day's digest gathers them once.
    let r = member.put(
        "/api/v1/notifications/preferences",
        &json!({"language": "zh-CN", "digest": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    report(&street, json!({"enterprise_id": own, "title": "汇总一"}));
    report(
        &street,
        json!({"enterprise_id": own, "title": "重大不等汇总", "grade": "major"}),
    );
    report(&street, json!({"enterprise_id": own, "title": "汇总二"}));
    assert_eq!(to_member("pending").len(), 1, "the major one at once");
    let today = safety_alliance::db::types::today();
    let morning =
        safety_alliance::db::types::start_of_local_day(today) + chrono::Duration::hours(8);
    let db = &app.platform.db;
    let t = block(safety_alliance::notify::schedule::tick(db, today, morning)).unwrap();
    assert_eq!(t.digests, 1, "{t:?}");
    let t = block(safety_alliance::notify::schedule::tick(db, today, morning)).unwrap();
    assert_eq!(t.digests, 0, "once a day");
    let (t, sent) = Transport::memory();
    drain(&app.platform.worker(t).unwrap());
    // (The ladder's reminders of the major hazards, due within their seven days, went at once
    // too: every message about a major hazard does.)
    let kinds: Vec<String> = to_member("sent")
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert!(kinds.contains(&"deadline_near".to_string()), "{kinds:?}");
    assert!(sent
        .lock()
        .unwrap()
        .iter()
        .any(|m| m.to == app.email("member")));
    assert_eq!(
        to_member("sent")
            .iter()
            .filter(|r| r["kind"] == "digest")
            .count(),
        1
    );
    // It gathers the two reports since the digest was turned on: not what went before, not the
    // major hazard that was mailed at once.
    #[derive(diesel::QueryableByName)]
    struct Items {
        #[diesel(sql_type = diesel::sql_types::Text)]
        items: String,
    }
    use diesel::RunQueryDsl;
    let mut conn = app.platform.db.conn().unwrap();
    let rows: Vec<Items> = diesel::sql_query("SELECT items FROM outbox WHERE kind = 'digest'")
        .load(&mut *conn)
        .unwrap();
    let all = member.get("/api/v1/notifications?per_page=100").body;
    let titles: Vec<String> = rows[0]
        .items
        .split(',')
        .map(|id| {
            let id: i64 = id.parse().unwrap();
            all["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == id)
                .unwrap()["subject"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(titles, ["汇总一", "汇总二"]);
}

/// What a robot was sent: (request target, body).
type Posts = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A local HTTP server that answers like a group robot and keeps what it was sent.
pub(crate) fn robot() -> (String, Posts) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/robot/send?access_token=t0k",
        listener.local_addr().unwrap()
    );
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap_or_default();
            let target = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            let mut length = 0;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap_or_default();
            keep.lock()
                .unwrap()
                .push((target, String::from_utf8_lossy(&body).into_owned()));
            let answer = r#"{"errcode":0,"errmsg":"ok"}"#;
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, got)
}

#[test]
fn group_robots_of_the_region_hear_of_a_major_hazard_signed_when_they_have_a_secret() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let region = street.get("/api/v1/me").body["region_id"].clone();
    let (url, got) = robot();
    // Bad input names its field and attaches nothing.
    for (body, field) in [
        (
            json!({"region_id": region, "kind": "dingtalk", "name": "街道群", "url": "ftp://x"}),
            "url",
        ),
        // Only the robots' own hosts: never the office network or a metadata service.
        (
            json!({"region_id": region, "kind": "dingtalk", "name": "街道群", "url": "https://169.254.169.254/latest"}),
            "url",
        ),
        (
            json!({"region_id": region, "kind": "dingtalk", "name": "街道群", "url": "https://oapi.dingtalk.com@10.0.0.1/x"}),
            "url",
        ),
        (
            json!({"region_id": 999_999, "kind": "dingtalk", "name": "街道群", "url": url}),
            "region_id",
        ),
        (
            json!({"kind": "dingtalk", "name": "街道群", "url": url}),
            "alliance_id",
        ),
    ] {
        let r = street.post("/api/v1/webhooks", &body);
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field);
    }
    // An enterprise may not attach one to a region.
    let r = member.post(
        "/api/v1/webhooks",
        &json!({"region_id": region, "kind": "wecom", "name": "x", "url": url}),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = street.post(
        "/api/v1/webhooks",
        &json!({"region_id": region, "kind": "dingtalk", "name": "东城街道安全群", "url": url, "secret": "SEC123"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["signed"], true);
    assert!(
        !r.body["url"].as_str().unwrap().contains("t0k"),
        "the key is not shown"
    );
    let hook = r.body["id"].as_i64().unwrap();
    assert_eq!(
        street
            .get("/api/v1/webhooks")
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(member
        .get("/api/v1/webhooks")
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // A general hazard is not posted; a major one is, at once.
    report(&street, json!({"enterprise_id": own, "title": "一般隐患"}));
    report(
        &street,
        json!({"enterprise_id": own, "title": "液氨储罐阀门泄漏", "grade": "major", "deadline": days_from_today(3)}),
    );
    let (t, _) = Transport::memory();
    drain(&app.platform.worker(t).unwrap());
    let posts = got.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:?}");
    let (target, body) = &posts[0];
    assert!(target.contains("access_token=t0k&timestamp="), "{target}");
    assert!(target.contains("&sign="), "{target}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["msgtype"], "text");
    assert!(
        body["text"]["content"]
            .as_str()
            .unwrap()
            .contains("液氨储罐阀门泄漏"),
        "{body}"
    );
    // The sign is DingTalk's: base64(HMAC-SHA256(secret, "timestamp\nsecret")).
    let millis: i64 = target
        .split("timestamp=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let expected = safety_alliance::notify::webhooks::signed_url("u", "SEC123", millis);
    assert!(
        target.ends_with(expected.split_once('?').unwrap().1),
        "{target} vs {expected}"
    );
    // Detached, it hears nothing more.
    assert_eq!(
        member.delete(&format!("/api/v1/webhooks/{hook}")).status,
        404
    );
    assert_eq!(
        street.delete(&format!("/api/v1/webhooks/{hook}")).status,
        204
    );
    report(
        &street,
        json!({"enterprise_id": own, "title": "又一重大隐患", "grade": "major", "deadline": days_from_today(3)}),
    );
    let (t, _) = Transport::memory();
    drain(&app.platform.worker(t).unwrap());
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[test]
fn the_settings_pages_save_preferences_the_ladder_and_robots_and_the_admin_resends() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    report(
        &street,
        json!({"enterprise_id": own, "title": "页面<测试>隐患"}),
    );
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "member", "/");
    let csrf = page.csrf();
    let p = page.get("/notifications/preferences");
    assert_eq!(p.status, 200);
    assert!(p.body.contains("id=\"on-finding_overdue\""), "{}", p.body);
    // Unticking a kind mutes it; the mandatory ones stay on whatever the form says.
    let r = page.post(
        "/notifications/preferences",
        &[
            ("csrf", &csrf),
            ("language", "en"),
            ("digest", "on"),
            ("on", "event_required"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let prefs = member.get("/api/v1/notifications/preferences").body;
    assert_eq!(prefs["language"], "en");
    assert_eq!(prefs["digest"], true);
    let muted = prefs["muted"].as_array().unwrap();
    assert!(muted.contains(&json!("finding_reported")));
    assert!(!muted.contains(&json!("event_required")));
    assert!(!muted.contains(&json!("finding_overdue")));
    let r = page.post(
        "/notifications/preferences",
        &[("csrf", &csrf), ("language", "xx")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("field-error"), "{}", r.body);
    // The ladder: readable by the member, not changeable.
    let l = page.get("/notifications/ladder");
    assert!(l.body.contains("id=\"ladder-readonly\""), "{}", l.body);
    let full = [
        ("csrf", csrf.as_str()),
        ("general.remind_days", "9"),
        ("general.escalate_days", "2"),
        ("major.remind_days", "10"),
        ("major.escalate_days", "1"),
    ];
    assert_eq!(page.post("/notifications/ladder", &full).status, 403);
    // The district regulator changes it; a bad number is named on the form.
    let mut district = crate::pages::PageClient::new(&app);
    district.log_in(&app, "district-regulator", "/");
    let dcsrf = district.csrf();
    let form = [
        ("csrf", dcsrf.as_str()),
        ("general.remind_days", "5"),
        ("general.escalate_days", "2"),
        ("major.remind_days", "10"),
        ("major.escalate_days", "1"),
    ];
    assert_eq!(district.post("/notifications/ladder", &form).status, 303);
    assert_eq!(
        member.get("/api/v1/deadline-ladder").body[0]["remind_days"],
        5
    );
    let mut bad = form;
    bad[4] = ("major.escalate_days", "61");
    let r = district.post("/notifications/ladder", &bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("field-error"), "{}", r.body);
    // The street regulator attaches a robot to its region and removes it.
    let mut s = crate::pages::PageClient::new(&app);
    s.log_in(&app, "street-regulator", "/");
    let region = street.get("/api/v1/me").body["region_id"].to_string();
    let scsrf = s.csrf();
    let r = s.post(
        "/notifications/robots",
        &[
            ("csrf", &scsrf),
            ("where", &format!("region:{region}")),
            ("kind", "wecom"),
            ("name", "东城群"),
            ("url", "ftp://nope"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = s.post(
        "/notifications/robots",
        &[
            ("csrf", &scsrf),
            ("where", &format!("region:{region}")),
            ("kind", "wecom"),
            ("name", "东城群"),
            (
                "url",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
            ),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let list = s.get("/notifications/robots");
    assert!(
        list.body.contains("东城群") && !list.body.contains("key=K"),
        "{}",
        list.body
    );
    let id = street.get("/api/v1/webhooks").body[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        s.post(
            &format!("/notifications/robots/{id}/remove"),
            &[("csrf", &scsrf)]
        )
        .status,
        303
    );
    assert!(street
        .get("/api/v1/webhooks")
        .body
        .as_array()
        .unwrap()
        .is_empty());
    // The outbox page is the administrator's; the admin sends a row again from it.
    assert_eq!(page.get("/admin/outbox").status, 404);
    let mut admin = crate::pages::PageClient::new(&app);
    admin.log_in(&app, "admin", "/");
    let acsrf = admin.csrf();
    let o = admin.get("/admin/outbox?state=pending");
    assert_eq!(o.status, 200);
    assert!(o.body.contains("页面&lt;测试&gt;隐患"), "{}", o.body);
    let row = outbox(&app.login("admin"), "pending")["items"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        admin
            .post(&format!("/admin/outbox/{row}/resend"), &[("csrf", &acsrf)])
            .status,
        303
    );
}

#[test]
fn a_worker_whose_lease_ran_out_does_not_send_what_another_took() {
    use safety_alliance::notify::outbox::{claim, renew};
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    report(&street, json!({"enterprise_id": own, "title": "租约测试"}));
    let mut conn = app.platform.db.conn().unwrap();
    let now = safety_alliance::db::types::now();
    // Worker A claimed it and stalled; its lease ran out, and B took the row.
    let a = claim(&mut conn, "A", now, 16).unwrap();
    assert!(!a.is_empty());
    use diesel::RunQueryDsl;
    diesel::sql_query("UPDATE outbox SET leased_until = $1 WHERE leased_by = 'A'")
        .bind::<diesel::sql_types::Timestamp, _>(now - chrono::Duration::seconds(1))
        .execute(&mut *conn)
        .unwrap();
    let b = claim(&mut conn, "B", now, 16).unwrap();
    assert_eq!(b.len(), a.len(), "B takes what A's lapsed lease held");
    assert_eq!(b[0].attempts, 2);
    // A wakes up: its renewal fails, so it does not send; B's succeeds.
    assert!(!renew(&mut conn, a[0].id, "A", now).unwrap());
    assert!(renew(&mut conn, b[0].id, "B", now).unwrap());
    // Nobody else may take it while B holds it.
    assert!(claim(&mut conn, "C", now, 16).unwrap().is_empty());
    // An administrator cannot send it again while B is delivering it.
    let admin = app.login("admin");
    let r = admin.post(
        &format!("/api/v1/admin/outbox/{}/resend", b[0].id),
        &json!({}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
}

#[test]
fn sent_rows_leave_the_outbox_after_ninety_days_and_failed_ones_stay() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn();
    let admin = app.login("admin");
    let street = app.login("street-regulator");
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    report(&street, json!({"enterprise_id": own, "title": "旧邮件"}));
    report(&street, json!({"enterprise_id": own, "title": "新邮件"}));
    let (t, _) = Transport::memory();
    drain(&app.platform.worker(t).unwrap());
    let now = safety_alliance::db::types::now();
    let mut conn = app.platform.db.conn().unwrap();
    // One was sent 91 days ago; one failed as long ago.
    diesel::sql_query("UPDATE outbox SET sent_at = $1 WHERE subject = '旧邮件'")
        .bind::<diesel::sql_types::Timestamp, _>(now - chrono::Duration::days(91))
        .execute(&mut *conn)
        .unwrap();
    diesel::sql_query("UPDATE outbox SET state = 'failed', sent_at = $1 WHERE subject = '新邮件'")
        .bind::<diesel::sql_types::Timestamp, _>(now - chrono::Duration::days(91))
        .execute(&mut *conn)
        .unwrap();
    let before = outbox(&admin, "sent")["counts"].clone();
    let today = safety_alliance::db::types::today();
    let t = block(safety_alliance::notify::schedule::tick(
        &app.platform.db,
        today,
        now,
    ))
    .unwrap();
    assert!(t.pruned >= 1, "{t:?}");
    let after = outbox(&admin, "sent")["counts"].clone();
    assert_eq!(
        after["sent"].as_i64().unwrap(),
        before["sent"].as_i64().unwrap() - t.pruned as i64
    );
    assert_eq!(
        after["failed"], before["failed"],
        "failed rows stay for the administrator"
    );
    let subjects: Vec<String> = outbox(&admin, "sent")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["subject"].as_str().unwrap().to_string())
        .collect();
    assert!(!subjects.contains(&"旧邮件".to_string()));
}
