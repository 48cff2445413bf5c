//! Hazard findings: reporting, the closed loop, idempotency, attachments, sharing, scopes.

use serde_json::{json, Value};

use crate::common::{jpeg, Client, TestApp};

pub(crate) fn days_from_today(days: i64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&safety_alliance::db::types::shanghai())
        .date_naive();
    (today + chrono::Duration::days(days)).to_string()
}

pub(crate) fn photo(client: &Client, tag: &str) -> i64 {
    let r = client.upload(&jpeg(tag), &format!("{tag}.jpg"), "image/jpeg");
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

pub(crate) fn report(client: &Client, extra: Value) -> Value {
    let mut body = json!({
        "title": "后厨燃气软管老化", "description": "灶台燃气软管表面龟裂，长度超过2米", "cause": "未定期更换",
        "category": "equipment", "grade": "general", "treatment": "deadline", "deadline": days_from_today(7),
        "location": "后厨灶台", "measures": "更换为金属波纹管并加装熄火保护", "cost": 350.5, "responsible_person": "王芳"
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = client.post("/api/v1/findings", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

pub(crate) fn act(client: &Client, id: i64, body: Value) -> crate::common::Response {
    client.post(&format!("/api/v1/findings/{id}/transitions"), &body)
}

#[test]
fn a_member_reports_and_the_lead_closes_after_a_rejection() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let before = photo(&member, "before");
    let f = report(&member, json!({"attachment_ids": [before]}));
    let id = f["id"].as_i64().unwrap();
    assert_eq!(f["state"], "reported");
    assert_eq!(f["source"], "self_check");
    assert_eq!(f["overdue"], false);
    assert_eq!(f["cost"], 350.5);
    assert_eq!(f["timeline"][0]["action"], "report");
    assert_eq!(f["timeline"][0]["attachment_ids"], json!([before]));
    assert_eq!(
        f["actions"],
        json!([
            "start_rectification",
            "submit_rectification",
            "request_extension",
            "share"
        ])
    );
    let alliance = lead.get("/api/v1/alliances").body["items"][0]["id"].clone();
    assert_eq!(
        f["alliance_id"], alliance,
        "reviewed in the member's street alliance"
    );

    // The member may not review its own finding.
    assert_eq!(act(&member, id, json!({"action": "accept"})).status, 403);
    assert_eq!(
        act(&member, id, json!({"action": "start_rectification"})).status,
        200
    );
    let r = act(
        &member,
        id,
        json!({"action": "submit_rectification", "note": "已更换"}),
    );
    assert_eq!(r.status, 422, "evidence is required");
    assert_eq!(r.error_fields(), vec!["attachment_ids"]);
    let after = photo(&member, "after-1");
    let r = act(
        &member,
        id,
        json!({"action": "submit_rectification", "note": "已更换金属波纹管", "attachment_ids": [after]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "awaiting_review");

    // The lead reviews: a rejection needs a reason and sends it back.
    let queue = lead.get("/api/v1/findings?reviewable=true");
    assert_eq!(queue.body["total"], 1);
    assert_eq!(queue.body["items"][0]["id"], id);
    let r = act(&lead, id, json!({"action": "reject"}));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["note"]);
    let r = act(
        &lead,
        id,
        json!({"action": "reject", "note": "未加装熄火保护装置"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "rectifying");
    let after2 = photo(&member, "after-2");
    assert_eq!(
        act(
            &member,
            id,
            json!({"action": "submit_rectification", "note": "已加装", "attachment_ids": [after2]})
        )
        .status,
        200
    );
    let r = act(&lead, id, json!({"action": "accept", "note": "复查合格"}));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "closed");
    assert!(r.body["closed_at"].is_string());
    let actions: Vec<&str> = r.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "report",
            "start_rectification",
            "submit_rectification",
            "reject",
            "submit_rectification",
            "accept"
        ]
    );
    assert_eq!(r.body["timeline"][3]["note"], "未加装熄火保护装置");
    assert_eq!(r.body["timeline"][3]["actor_name"], "刘强");

    // Nothing moves a closed finding.
    for action in ["accept", "reject", "submit_rectification", "void"] {
        let who = if action == "submit_rectification" {
            &member
        } else {
            &lead
        };
        let r = act(
            who,
            id,
            json!({"action": action, "note": "x", "attachment_ids": [after2]}),
        );
        assert_eq!(r.status, 409, "{action}: {}", r.body);
    }
    // Every transition is in the audit log.
    let mut conn = app.platform.db.conn().unwrap();
    let trail = safety_alliance::audit::trail(&mut conn, "finding", id).unwrap();
    assert_eq!(trail.len(), 6);
}

#[test]
fn a_major_hazard_is_seen_by_regulators_at_once_and_closed_only_by_one() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let f = report(
        &member,
        json!({"grade": "major", "title": "液化气钢瓶存放于地下室"}),
    );
    let id = f["id"].as_i64().unwrap();
    for label in ["street-regulator", "district-regulator", "admin"] {
        let r = app.login(label).get("/api/v1/findings?grade=major");
        assert!(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id),
            "{label} sees it"
        );
    }
    // An industry regulator of another industry does not.
    assert_eq!(
        app.login("industry-regulator")
            .get(&format!("/api/v1/findings/{id}"))
            .status,
        404
    );

    let evidence = photo(&member, "moved");
    act(
        &member,
        id,
        json!({"action": "submit_rectification", "attachment_ids": [evidence]}),
    );
    let lead = app.login("lead");
    let r = act(&lead, id, json!({"action": "accept"}));
    assert_eq!(r.status, 403, "a lead cannot close a major hazard");
    assert!(r.body["detail"].as_str().unwrap().contains("regulator"));
    assert_eq!(
        lead.get("/api/v1/findings?reviewable=true").body["total"],
        0
    );
    let street = app.login("street-regulator");
    assert_eq!(
        street.get("/api/v1/findings?reviewable=true").body["total"],
        1
    );
    let r = act(
        &street,
        id,
        json!({"action": "accept", "note": "现场复查，已移至室外专用间"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "closed");
}

#[test]
fn a_replayed_idempotency_key_creates_exactly_one_finding() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let body = json!({"title": "灭火器过期", "category": "fire", "grade": "general", "treatment": "on_the_spot"});
    let key = [("Idempotency-Key", "8c1f1a4e-2f3b-4c55-9d2e-5a7c2f0b9e11")];
    let first = member.post_with("/api/v1/findings", &key, &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = member.post_with("/api/v1/findings", &key, &body);
    assert_eq!(again.status, 200);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(member.get("/api/v1/findings").body["total"], 1);
    // The same key with another report is refused; another user's same key is independent.
    let other = json!({"title": "疏散指示灯不亮", "category": "fire", "grade": "general", "treatment": "on_the_spot"});
    assert_eq!(
        member.post_with("/api/v1/findings", &key, &other).status,
        409
    );
    let lead = app.login("lead");
    assert_eq!(lead.post_with("/api/v1/findings", &key, &other).status, 201);
    assert_eq!(member.get("/api/v1/findings").body["total"], 1);
    // Concurrent retries of one request: still one.
    let key2 = [("Idempotency-Key", "retry-storm-1")];
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (m, b) = (member.clone(), body.clone());
            std::thread::spawn(move || m.post_with("/api/v1/findings", &key2, &b).status)
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}"
    );
    assert_eq!(member.get("/api/v1/findings").body["total"], 2);
}

#[test]
fn bad_reports_name_the_field_and_change_nothing() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let base = json!({"title": "x", "category": "fire", "grade": "general", "treatment": "deadline", "deadline": days_from_today(3)});
    let cases = [
        (json!({"deadline": days_from_today(-1)}), "deadline"),
        (json!({"deadline": null}), "deadline"),
        (json!({"category": "weather"}), "category"),
        (json!({"title": "   "}), "title"),
        (json!({"description": "长".repeat(4001)}), "description"),
        (json!({"cost": -3}), "cost"),
        (json!({"grade": "catastrophic"}), "grade"),
        (json!({"source": "regulator"}), "source"),
        (json!({"attachment_ids": [99999]}), "attachment_ids"),
        (json!({"treatment": "on_the_spot"}), "deadline"),
    ];
    for (change, field) in cases {
        let mut body = base.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = member.post("/api/v1/findings", &body);
        assert_eq!(r.status, 422, "{change}: {}", r.body);
        assert!(
            r.error_fields().contains(&field.to_string()),
            "{change}: {:?}",
            r.error_fields()
        );
    }
    // Another enterprise's id: not in scope.
    let r = member.post("/api/v1/findings", &{
        let mut b = base.clone();
        b["enterprise_id"] = json!(1);
        b
    });
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["enterprise_id"]);
    assert_eq!(member.get("/api/v1/findings").body["total"], 0);
}

#[test]
fn findings_and_their_photos_stay_within_scope() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let before = photo(&member, "private-photo");
    let f = report(&member, json!({"attachment_ids": [before]}));
    let id = f["id"].as_i64().unwrap();
    // An enterprise outside the alliance, and a regulator of another street.
    let hekou = app.enterprise_id("河口鲜鱼馆");
    let regions = app.login("admin").get("/api/v1/regions").body;
    let xihu = regions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "西湖街道")
        .unwrap()["id"]
        .clone();
    let outsiders = [
        json!({"email": "hk@qingchuan.example", "name": "河口", "role": "enterprise", "enterprise_id": hekou, "password": "hekou user passphrase"}),
        json!({"email": "xihu.reg@qingchuan.example", "name": "西湖监管", "role": "regulator", "region_id": xihu, "password": "xihu regulator passphrase"}),
    ];
    for user in outsiders {
        let email = user["email"].as_str().unwrap().to_string();
        let outsider = app.new_user(user);
        assert_eq!(
            outsider.get(&format!("/api/v1/findings/{id}")).status,
            404,
            "{email}"
        );
        assert_eq!(outsider.get("/api/v1/findings").body["total"], 0, "{email}");
        assert_eq!(
            outsider
                .get_bytes(&format!("/api/v1/attachments/{before}"))
                .0,
            404,
            "{email}"
        );
        assert_eq!(
            act(&outsider, id, json!({"action": "void", "note": "x"})).status,
            404,
            "{email}"
        );
    }
    // Inside: the owner, the lead, the street regulator and the assigned expert.
    for label in ["member", "lead", "street-regulator", "expert"] {
        let c = app.login(label);
        assert_eq!(
            c.get(&format!("/api/v1/findings/{id}")).status,
            200,
            "{label}"
        );
        let (status, bytes, headers) = c.get_bytes(&format!("/api/v1/attachments/{before}"));
        assert_eq!(status, 200, "{label}");
        assert_eq!(bytes, jpeg("private-photo"));
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers["content-disposition"]
            .starts_with("inline; filename*=UTF-8''private-photo.jpg"));
    }
    // An expert sees but does not review; the lead voids with a reason.
    assert_eq!(
        act(
            &app.login("expert"),
            id,
            json!({"action": "void", "note": "x"})
        )
        .status,
        403
    );
    let r = act(
        &app.login("lead"),
        id,
        json!({"action": "void", "note": "重复上报"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "voided");
}

#[test]
fn uploads_are_checked_by_content_and_size() {
    let app = TestApp::spawn_with(|s| s.max_upload_bytes = 64 * 1024);
    let member = app.login("member");
    let r = member.upload(
        b"<html><script>alert(1)</script></html>",
        "photo.jpg",
        "image/jpeg",
    );
    assert_eq!(r.status, 415, "a page pretending to be a photo");
    let r = member.upload(
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
        "整改报告.pdf",
        "text/plain",
    );
    assert_eq!(r.status, 201, "a PDF declared as text is still a PDF");
    assert_eq!(r.body["content_type"], "application/pdf");
    let mut big = jpeg("big");
    big.extend(std::iter::repeat_n(0u8, 70 * 1024));
    assert_eq!(member.upload(&big, "big.jpg", "image/jpeg").status, 413);
    // Same content twice: two attachments, one stored file.
    let a = member.upload(&jpeg("same"), "a.jpg", "image/jpeg");
    let b = member.upload(&jpeg("same"), "b.jpg", "image/jpeg");
    assert_eq!(a.body["sha256"], b.body["sha256"]);
    assert_ne!(a.body["id"], b.body["id"]);
    let sha = a.body["sha256"].as_str().unwrap();
    assert!(app
        .data_dir
        .path()
        .join("files")
        .join(&sha[..2])
        .join(sha)
        .exists());
    // Someone else's unattached upload cannot be used or read.
    let lead = app.login("lead");
    assert_eq!(
        lead.get_bytes(&format!("/api/v1/attachments/{}", a.body["id"]))
            .0,
        404
    );
    let r = lead.post("/api/v1/findings", &json!({"title": "x", "category": "fire", "grade": "general", "treatment": "on_the_spot", "attachment_ids": [a.body["id"]]}));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["attachment_ids"]);
}

#[test]
fn extensions_are_requested_and_granted_or_refused() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let f = report(&member, json!({}));
    let id = f["id"].as_i64().unwrap();
    let deadline = f["deadline"].as_str().unwrap().to_string();
    assert_eq!(
        act(&lead, id, json!({"action": "grant_extension"})).status,
        409,
        "nothing requested"
    );
    let r = act(
        &member,
        id,
        json!({"action": "request_extension", "deadline": days_from_today(3), "note": "配件未到"}),
    );
    assert_eq!(r.status, 422, "earlier than the current deadline");
    let r = act(
        &member,
        id,
        json!({"action": "request_extension", "deadline": days_from_today(20), "note": "配件未到"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["extension_requested_until"], days_from_today(20));
    assert_eq!(r.body["deadline"], deadline, "unchanged until granted");
    assert_eq!(
        act(
            &member,
            id,
            json!({"action": "request_extension", "deadline": days_from_today(30), "note": "x"})
        )
        .status,
        409
    );
    assert_eq!(
        act(&member, id, json!({"action": "grant_extension"})).status,
        403
    );
    let r = act(
        &lead,
        id,
        json!({"action": "grant_extension", "note": "同意"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["deadline"], days_from_today(20));
    assert!(r.body["extension_requested_until"].is_null());
    act(
        &member,
        id,
        json!({"action": "request_extension", "deadline": days_from_today(40), "note": "再延"}),
    );
    let r = act(
        &lead,
        id,
        json!({"action": "refuse_extension", "note": "不同意"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["deadline"], days_from_today(20));
    let actions: Vec<&str> = r.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "report",
            "request_extension",
            "grant_extension",
            "request_extension",
            "refuse_extension"
        ]
    );
    assert!(r.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["from_state"] == e["to_state"]));
}

#[test]
fn overdue_is_derived_from_the_deadline_and_the_state() {
    use diesel::prelude::*;
    let app = TestApp::spawn();
    let member = app.login("member");
    let late = report(&member, json!({"title": "逾期隐患"}))["id"]
        .as_i64()
        .unwrap();
    let on_time = report(&member, json!({"title": "按期隐患"}))["id"]
        .as_i64()
        .unwrap();
    let done = report(&member, json!({"title": "已提交隐患"}))["id"]
        .as_i64()
        .unwrap();
    let evidence = photo(&member, "done");
    act(
        &member,
        done,
        json!({"action": "submit_rectification", "attachment_ids": [evidence]}),
    );
    {
        use safety_alliance::db::schema::findings;
        let yesterday =
            chrono::NaiveDate::parse_from_str(&days_from_today(-1), "%Y-%m-%d").unwrap();
        let mut conn = app.platform.db.conn().unwrap();
        diesel::update(findings::table.filter(findings::id.eq_any([late, done])))
            .set(findings::deadline.eq(yesterday))
            .execute(&mut conn)
            .unwrap();
    }
    let r = member.get("/api/v1/findings?overdue=true");
    let ids: Vec<i64> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![late], "submitted rectifications are not overdue");
    assert_eq!(
        member.get(&format!("/api/v1/findings/{late}")).body["overdue"],
        true
    );
    assert_eq!(
        member.get(&format!("/api/v1/findings/{on_time}")).body["overdue"],
        false
    );
    let r = member.get("/api/v1/findings?overdue=false");
    assert_eq!(r.body["total"], 2);
    // Filters combine and are validated.
    assert_eq!(
        member
            .get("/api/v1/findings?state=awaiting_review&grade=general")
            .body["total"],
        1
    );
    assert_eq!(member.get("/api/v1/findings?state=lost").status, 422);
    let r = member.get(&format!(
        "/api/v1/findings?from={}&to={}",
        days_from_today(1),
        days_from_today(0)
    ));
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), vec!["from"]);
    assert_eq!(
        member
            .get(&format!("/api/v1/findings?from={}", days_from_today(0)))
            .body["total"],
        3
    );
    assert_eq!(
        member
            .get(&format!("/api/v1/findings?from={}", days_from_today(1)))
            .body["total"],
        0
    );
}

#[test]
fn a_shared_finding_is_an_anonymous_lesson_for_the_other_members() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    let mine = member.get(&format!("/api/v1/enterprises/{own}")).body;
    let name = mine["name"].as_str().unwrap().to_string();
    let f = report(
        &member,
        json!({"description": format!("{name}后厨燃气软管龟裂，由王芳发现"), "responsible_person": "王芳"}),
    );
    let id = f["id"].as_i64().unwrap();
    let alliance = f["alliance_id"].as_i64().unwrap();
    let path = format!("/api/v1/alliances/{alliance}/shared-findings");
    assert_eq!(member.get(&path).body["total"], 0, "not shared yet");
    let r = act(&member, id, json!({"action": "share"}));
    assert_eq!(r.status, 200);
    assert_eq!(r.body["shared"], true);
    assert_eq!(act(&member, id, json!({"action": "share"})).status, 409);

    // A fellow member reads the lesson without the enterprise, its address or its people.
    let fellow = app.enterprise_id("东城味道火锅店");
    let hotpot = app.new_user(json!({"email": "hotpot@qingchuan.example", "name": "火锅店", "role": "enterprise", "enterprise_id": fellow, "password": "hotpot user passphrase"}));
    let lessons = hotpot.get(&path);
    assert_eq!(lessons.status, 200);
    assert_eq!(lessons.body["total"], 1);
    let lesson = lessons.body["items"][0].clone();
    let text = lesson.to_string();
    for secret in [
        name.as_str(),
        mine["credit_code"].as_str().unwrap(),
        mine["address"].as_str().unwrap(),
        "王芳",
        "enterprise_id",
        "responsible_person",
        "location",
    ] {
        assert!(
            !text.contains(secret),
            "the lesson reveals {secret}: {text}"
        );
    }
    assert!(lesson["description"]
        .as_str()
        .unwrap()
        .contains("后厨燃气软管龟裂"));
    // The finding itself stays private to the fellow member.
    assert_eq!(hotpot.get(&format!("/api/v1/findings/{id}")).status, 404);
    // Outside the alliance, even the lessons are not there.
    let industry = app.login("industry-regulator");
    assert_eq!(industry.get(&path).status, 404);
}

#[test]
fn only_a_regulator_voids_a_major_hazard() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let f = report(&member, json!({"grade": "major"}));
    let id = f["id"].as_i64().unwrap();
    let r = act(
        &app.login("lead"),
        id,
        json!({"action": "void", "note": "不是隐患"}),
    );
    assert_eq!(
        r.status, 403,
        "a lead cannot take a major hazard out of the loop"
    );
    let r = act(
        &app.login("street-regulator"),
        id,
        json!({"action": "void", "note": "重复上报"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.body["state"], "voided");
}

#[test]
fn an_expert_reports_within_its_alliance_and_keeps_seeing_the_finding() {
    let app = TestApp::spawn();
    let expert = app.login("expert");
    let admin = app.login("admin");
    let huatai = app.enterprise_id("青川华泰化工有限公司");
    let r = expert.post(
        "/api/v1/findings",
        &json!({"enterprise_id": huatai, "title": "储罐区静电接地不良", "category": "electrical", "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["source"], "expert");
    let hazchem_alliance = admin.get("/api/v1/alliances?per_page=100").body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "青川区危险化学品行业安全联盟")
        .unwrap()["id"]
        .clone();
    assert_eq!(
        r.body["alliance_id"], hazchem_alliance,
        "the expert's alliance, not the zone's"
    );
}

#[test]
fn lessons_hide_names_inside_names_and_codes_in_any_case() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let own = member.get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    let mine = member.get(&format!("/api/v1/enterprises/{own}")).body;
    let name = mine["name"].as_str().unwrap().to_string(); // 老王家常菜馆
    let code = mine["credit_code"].as_str().unwrap().to_lowercase();
    let f = report(
        &member,
        json!({"responsible_person": "老王", "description": format!("{name}（代码{code}）后厨，由刘强复查"), "cause": "老王疏忽"}),
    );
    let id = f["id"].as_i64().unwrap();
    act(&member, id, json!({"action": "share"}));
    let lead = app.login("lead");
    let lessons = lead.get(&format!(
        "/api/v1/alliances/{}/shared-findings",
        f["alliance_id"]
    ));
    let text = lessons.body["items"][0].to_string();
    for secret in [name.as_str(), "家常菜馆", &code, "老王", "王芳"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[test]
fn an_enterprise_that_moves_takes_its_findings_to_the_new_street() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let id = report(&member, json!({}))["id"].as_i64().unwrap();
    let own = member.get("/api/v1/me").body["enterprise_id"]
        .as_i64()
        .unwrap();
    let street = app.login("street-regulator");
    assert_eq!(street.get(&format!("/api/v1/findings/{id}")).status, 200);
    let admin = app.login("admin");
    let regions = admin.get("/api/v1/regions").body;
    let xihu = regions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "西湖街道")
        .unwrap()["id"]
        .clone();
    assert_eq!(
        admin
            .patch(
                &format!("/api/v1/enterprises/{own}"),
                &json!({"region_id": xihu})
            )
            .status,
        200
    );
    assert_eq!(
        street.get(&format!("/api/v1/findings/{id}")).status,
        404,
        "no longer in 东城"
    );
    assert_eq!(street.get("/api/v1/findings").body["total"], 0);
    let r = admin.get(&format!("/api/v1/findings?region_id={xihu}"));
    assert_eq!(r.body["items"][0]["id"], id);
}

/// The ids in a caller's review queue.
fn queue(client: &Client) -> Vec<i64> {
    let r = client.get("/api/v1/findings?reviewable=true&per_page=100");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn an_item_waits_in_the_queue_of_the_one_reviewer_expected_to_act() {
    let app = TestApp::spawn();
    let member = app.login("member");
    let lead = app.login("lead");
    let street = app.login("street-regulator");
    let district = app.login("district-regulator");
    // A general hazard of an alliance member: the lead's to review.
    let general = report(&member, json!({}))["id"].as_i64().unwrap();
    let proof = photo(&member, "proof");
    let r = act(
        &member,
        general,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(queue(&lead).contains(&general));
    for regulator in [&street, &district] {
        assert!(
            !queue(regulator).contains(&general),
            "not the regulators' queue"
        );
        let seen = regulator.get(&format!("/api/v1/findings/{general}"));
        assert_eq!(seen.status, 200, "still seen");
    }
    // A major hazard: the regulators', not the lead's.
    let major = report(&member, json!({"grade": "major"}))["id"]
        .as_i64()
        .unwrap();
    let proof = photo(&member, "proof-major");
    let r = act(
        &member,
        major,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(queue(&street).contains(&major) && queue(&district).contains(&major));
    assert!(!queue(&lead).contains(&major));
    // An extension request waits for the lead's decision, in its queue.
    let asked = report(&member, json!({}))["id"].as_i64().unwrap();
    assert!(!queue(&lead).contains(&asked));
    let r = act(
        &member,
        asked,
        json!({"action": "request_extension", "deadline": days_from_today(30), "note": "配件未到"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        queue(&lead).contains(&asked),
        "the extension reaches the lead"
    );
    let home = lead.get("/api/v1/findings?reviewable=true&per_page=1");
    assert_eq!(
        home.body["total"].as_i64().unwrap(),
        queue(&lead).len() as i64
    );
}

#[test]
fn a_lead_enterprises_own_hazard_waits_for_the_regulators() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let street = app.login("street-regulator");
    let own = report(&lead, json!({}))["id"].as_i64().unwrap();
    let proof = photo(&lead, "lead-proof");
    let r = act(
        &lead,
        own,
        json!({"action": "submit_rectification", "attachment_ids": [proof]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!queue(&lead).contains(&own), "nobody reviews their own");
    assert!(queue(&street).contains(&own), "so the regulators do");
}
