//! The scheduler: the deadline ladder of findings per grade, rung by rung as the calendar moves,
//! each once (catching up after downtime, or two instances at once), recorded on the timeline;
//! the event reminder the day before; the settable clock of a running server.

use chrono::{Duration, NaiveDate};
use safety_alliance::notify::schedule::{tick, Tick};
use serde_json::{json, Value};

use crate::common::{Client, TestApp};
use crate::findings::{days_from_today, report};
use crate::mail::block;

fn kinds(client: &Client) -> Vec<String> {
    let r = client.get("/api/v1/notifications?per_page=100");
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_string())
        .collect()
}

fn count(client: &Client, kind: &str) -> usize {
    kinds(client).iter().filter(|k| *k == kind).count()
}

fn run(app: &TestApp, day: NaiveDate) -> Tick {
    let at = safety_alliance::db::types::start_of_local_day(day) + Duration::hours(3);
    block(tick(&app.platform.db, day, at)).expect("tick")
}

fn day(days: i64) -> NaiveDate {
    days_from_today(days).parse().unwrap()
}

fn rungs(client: &Client, id: i64) -> Vec<String> {
    let r = client.get(&format!("/api/v1/findings/{id}"));
    r.body["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rung"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_general_hazard_climbs_the_ladder_rung_by_rung_each_once() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let lead = app.login("lead");
    let district = app.login("district-regulator");
    // The district regulator sets the ladder; others may not; bad numbers name their field.
    let ladder = json!({"general": {"remind_days": 3, "escalate_days": 2}, "major": {"remind_days": 5, "escalate_days": 1}});
    assert_eq!(street.put("/api/v1/deadline-ladder", &ladder).status, 403);
    assert_eq!(member.put("/api/v1/deadline-ladder", &ladder).status, 403);
    let bad = json!({"general": {"remind_days": -1, "escalate_days": 2}, "major": {"remind_days": 5, "escalate_days": 99}});
    let r = district.put("/api/v1/deadline-ladder", &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "general.remind_days");
    assert_eq!(r.body["errors"][1]["field"], "major.escalate_days");
    let r = district.put("/api/v1/deadline-ladder", &ladder);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        member.get("/api/v1/deadline-ladder").body[0]["remind_days"],
        3
    );

    // A hazard in an alliance the lead leads, due in 10 days.
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let f = report(
        &street,
        json!({"enterprise_id": own, "title": "配电箱未接地", "deadline": days_from_today(10)}),
    );
    let id = f["id"].as_i64().unwrap();
    let in_alliance = !f["alliance_id"].is_null();
    assert_eq!(run(&app, day(0)).rungs, 0, "nothing yet");
    assert_eq!(run(&app, day(7)).rungs, 1, "three days before");
    assert_eq!(run(&app, day(7)).rungs, 0, "once");
    assert_eq!(run(&app, day(8)).rungs, 0, "the reminder is not repeated");
    assert_eq!(count(&member, "deadline_near"), 1);
    assert_eq!(run(&app, day(10)).rungs, 1, "the deadline day");
    assert_eq!(count(&member, "deadline_today"), 1);
    assert_eq!(run(&app, day(11)).rungs, 1, "overdue");
    assert_eq!(count(&member, "finding_overdue"), 1);
    if in_alliance {
        assert_eq!(
            count(&lead, "finding_overdue"),
            1,
            "the alliance's lead hears"
        );
    }
    assert_eq!(count(&street, "finding_escalated"), 0);
    assert_eq!(run(&app, day(12)).rungs, 0, "two days overdue: not yet");
    assert_eq!(
        run(&app, day(13)).rungs,
        1,
        "past two more days: the street regulators"
    );
    assert_eq!(count(&street, "finding_escalated"), 1);
    assert_eq!(
        count(&district, "finding_escalated"),
        0,
        "the street's, not the district's"
    );
    assert_eq!(
        run(&app, day(20)).rungs,
        0,
        "a general hazard is not told daily"
    );
    assert_eq!(
        rungs(&member, id),
        ["remind", "due_today", "overdue", "escalated"],
        "every rung on the timeline"
    );
    // The page shows them on the timeline.
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "member", "/");
    let html = page.get(&format!("/findings/{id}")).body;
    assert!(html.contains("升级：已上报街道监管部门"), "{html}");
    // Mandatory mail went out for the overdue rungs, even to those who muted reminders.
    let admin = app.login("admin");
    let mails = crate::mail::outbox(&admin, "pending");
    let kinds: Vec<&str> = mails["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"finding_escalated"), "{kinds:?}");
}

#[test]
fn catching_up_after_downtime_sends_what_still_matters_once_and_a_major_hazard_daily() {
    let app = TestApp::spawn();
    let street = app.login("street-regulator");
    let member = app.login("member");
    let district = app.login("district-regulator");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let general = report(
        &street,
        json!({"enterprise_id": own, "title": "一般", "deadline": days_from_today(2)}),
    );
    let major = report(
        &street,
        json!({"enterprise_id": own, "title": "重大", "grade": "major", "deadline": days_from_today(2)}),
    );
    // The regulators heard of the major hazard at once.
    assert_eq!(count(&district, "major_reported"), 1);
    assert_eq!(
        count(&street, "major_reported"),
        0,
        "not of their own report"
    );
    // Down for ten days: no stale reminder, no deadline-day message; overdue and escalated once,
    // and the daily supervision for today only.
    let t = run(&app, day(12));
    assert_eq!(t.rungs, 2 + 3, "{t:?}");
    assert_eq!(count(&member, "deadline_near"), 0);
    assert_eq!(count(&member, "deadline_today"), 0);
    assert_eq!(count(&member, "finding_overdue"), 2);
    assert_eq!(count(&district, "major_overdue"), 1);
    assert_eq!(run(&app, day(12)), Tick::default(), "nothing twice");
    // 挂牌督办: daily while it stays open.
    assert_eq!(run(&app, day(13)).rungs, 1);
    assert_eq!(run(&app, day(14)).rungs, 1);
    assert_eq!(count(&district, "major_overdue"), 3);
    let id = major["id"].as_i64().unwrap();
    assert_eq!(
        rungs(&district, id),
        [
            "overdue",
            "escalated",
            "supervised",
            "supervised",
            "supervised"
        ]
    );
    // Two instances ticking the same day at once send each rung once.
    let other = app.second_instance();
    let today = day(15);
    let at = safety_alliance::db::types::start_of_local_day(today) + Duration::hours(3);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| block(tick(&app.platform.db, today, at)).unwrap());
        let b = s.spawn(|| block(tick(&other.db, today, at)).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.rungs + b.rungs, 1, "{a:?} {b:?}");
    assert_eq!(count(&district, "major_overdue"), 4);
    // Long past the catch-up window (a district's old hazards, a long outage) a general hazard
    // sends nothing more; the major one is still supervised daily.
    let old = report(
        &street,
        json!({"enterprise_id": own, "title": "陈年隐患", "deadline": days_from_today(3)}),
    );
    let t = run(&app, day(3 + 45));
    assert_eq!(t.rungs, 1, "only the major hazard's daily rung: {t:?}");
    assert!(rungs(&member, old["id"].as_i64().unwrap()).is_empty());
    assert_eq!(
        rungs(&member, general["id"].as_i64().unwrap()),
        ["overdue", "escalated"]
    );
}

#[test]
fn those_who_must_attend_are_reminded_the_day_before_an_event_once() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let member = app.login("member");
    let alliance = crate::inspections::alliance_id(&lead, "东城街道餐饮燃气安全联盟");
    let e = crate::events::plan(
        &lead,
        alliance,
        // 09:00–11:00 (Beijing) the day after tomorrow, whatever the hour now.
        json!({"starts_at": format!("{}T09:00:00+08:00", days_from_today(2)),
               "ends_at": format!("{}T11:00:00+08:00", days_from_today(2))}),
    );
    assert!(e["id"].is_i64(), "{e}");
    assert_eq!(run(&app, day(0)).events, 0, "two days before: not yet");
    assert_eq!(run(&app, day(1)).events, 1, "the day before");
    assert_eq!(run(&app, day(1)).events, 0, "once");
    assert_eq!(count(&member, "event_reminder"), 1);
}

/// The binary, started on its own data directory with the settable clock.
fn serve(dir: &std::path::Path, port: u16) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_safety-alliance"))
        .env("SA_DATA_DIR", dir)
        .env("SA_BIND", format!("127.0.0.1:{port}"))
        .env("SA_SETTABLE_CLOCK", "true")
        .env("SA_OUTBOX_POLL_MS", "100")
        .env("SA_SCHEDULE_SECS", "3600")
        .env("SA_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts")
}

#[test]
fn moving_a_running_servers_clock_across_a_deadline_sends_the_overdue_mail() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = serve(dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..300 {
        if ureq::get(&format!("{base}/healthz")).call().is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "the server answers");
    let logins = std::fs::read_to_string(dir.path().join("demo-logins.txt")).unwrap();
    let login = |label: &str| -> Client {
        let line = logins
            .lines()
            .find(|l| l.starts_with(&format!("{label} ")))
            .unwrap();
        let parts: Vec<&str> = line.split_whitespace().collect();
        let r: Value = ureq::post(&format!("{base}/api/v1/auth/login"))
            .send_json(json!({"email": parts[1], "password": parts[2]}))
            .unwrap()
            .into_json()
            .unwrap();
        Client {
            base: base.clone(),
            token: r["access_token"].as_str().map(str::to_string),
            refresh: None,
        }
    };
    let admin = login("admin");
    let street = login("street-regulator");
    let member = login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"].clone();
    let f = report(
        &street,
        json!({"enterprise_id": own, "title": "时钟测试隐患", "deadline": days_from_today(3)}),
    );
    let id = f["id"].as_i64().unwrap();
    // Only an administrator moves it, to a sane day.
    assert_eq!(
        street
            .put("/api/v1/admin/clock", &json!({"today": days_from_today(5)}))
            .status,
        403
    );
    assert_eq!(
        admin
            .put("/api/v1/admin/clock", &json!({"today": "1900-01-01"}))
            .status,
        422
    );
    let r = admin.put("/api/v1/admin/clock", &json!({"today": days_from_today(5)}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        admin.get("/api/v1/admin/clock").body["today"],
        days_from_today(5)
    );
    // The scheduler wakes at once; the worker writes the mail into <data>/outbox/.
    let mut overdue = false;
    for _ in 0..100 {
        overdue = member.get(&format!("/api/v1/findings/{id}")).body["reminders"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["rung"] == "overdue"));
        if overdue {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(overdue, "the overdue rung was sent");
    assert_eq!(
        member.get(&format!("/api/v1/findings/{id}")).body["overdue"],
        true
    );
    let mut files = 0;
    for _ in 0..100 {
        files = std::fs::read_dir(dir.path().join("outbox"))
            .map(|d| d.count())
            .unwrap_or(0);
        let sent = admin.get("/api/v1/admin/outbox?state=pending").body["counts"]["pending"] == 0;
        if sent && files > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(files > 0, "mail written as files");
    // A second instance on the same database reckons the same day, from its start.
    let port2 = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut second = serve(dir.path(), port2);
    let base2 = format!("http://127.0.0.1:{port2}");
    let mut day = None;
    for _ in 0..300 {
        if let Ok(r) = ureq::get(&format!("{base2}/api/v1/admin/clock"))
            .set(
                "authorization",
                &format!("Bearer {}", admin.token.clone().unwrap()),
            )
            .call()
        {
            day = r.into_json::<Value>().ok().map(|v| v["today"].clone());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(day, Some(json!(days_from_today(5))));
    // Moved again on the first, the second follows within seconds.
    assert_eq!(
        admin
            .put("/api/v1/admin/clock", &json!({"today": days_from_today(9)}))
            .status,
        200
    );
    let mut followed = false;
    for _ in 0..60 {
        let r: Value = ureq::get(&format!("{base2}/api/v1/admin/clock"))
            .set(
                "authorization",
                &format!("Bearer {}", admin.token.clone().unwrap()),
            )
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        if r["today"] == json!(days_from_today(9)) {
            followed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(followed, "the second instance follows the moved calendar");
    for c in [&mut child, &mut second] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
