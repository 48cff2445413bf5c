//! Mutual inspection over the API: checklist templates and their versions, batches and their
//! pairing rules, publication, results recorded by the right enterprise only, failed items
//! followed into the hazard loop, idempotent and racing submissions, and the calendar feed.

use std::collections::{HashMap, HashSet};
use std::sync::Barrier;

use serde_json::{json, Value};

use crate::common::{jpeg, Client, TestApp};

const DONGCHENG: &str = "东城街道餐饮燃气安全联盟";

fn day(offset: i64) -> String {
    (safety_alliance::db::types::today() + chrono::Duration::days(offset)).to_string()
}

pub fn alliance_id(client: &Client, name: &str) -> i64 {
    let r = client.get("/api/v1/alliances?per_page=100");
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// The id of a district-wide demo checklist whose name contains `part`.
pub fn checklist_id(client: &Client, part: &str) -> i64 {
    let r = client.get("/api/v1/checklists?per_page=100");
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().contains(part))
        .unwrap_or_else(|| panic!("no checklist {part}"))["id"]
        .as_i64()
        .unwrap()
}

/// Opens a batch as `lead` and returns its detail.
pub fn open_batch(lead: &Client, alliance: i64, extra: Value) -> Value {
    let mut body = json!({"name": "2026年第四季度互查", "starts_on": day(1), "ends_on": day(20),
        "checklist_id": checklist_id(lead, "餐饮场所燃气")});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = lead.post(&format!("/api/v1/alliances/{alliance}/batches"), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

pub fn inspections(client: &Client, batch: i64) -> Vec<Value> {
    let r = client.get(&format!("/api/v1/batches/{batch}/inspections?per_page=100"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

/// The hard rules and the balance, checked on what the API answers.
fn assert_rules(pairs: &[(i64, i64)], participants: &[i64], per_target: usize) {
    let mut seen = HashSet::new();
    let mut inspects: HashMap<i64, usize> = HashMap::new();
    let mut inspected: HashMap<i64, usize> = HashMap::new();
    for &(a, b) in pairs {
        assert_ne!(a, b, "self-inspection");
        assert!(seen.insert((a, b)), "pair twice");
        assert!(!seen.contains(&(b, a)), "reciprocal pair");
        *inspects.entry(a).or_default() += 1;
        *inspected.entry(b).or_default() += 1;
    }
    for p in participants {
        assert_eq!(inspected.get(p).copied().unwrap_or(0), per_target, "{p}");
        assert_eq!(inspects.get(p).copied().unwrap_or(0), per_target, "{p}");
    }
}

fn pairs_of(list: &[Value]) -> Vec<(i64, i64)> {
    list.iter()
        .map(|i| {
            (
                i["inspector_enterprise_id"].as_i64().unwrap(),
                i["target_enterprise_id"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn demo_checklists_carry_clauses_and_cautions_and_versions_keep_what_was_used() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let r = lead.get("/api/v1/checklists?per_page=100");
    assert!(r.body["total"].as_i64().unwrap() >= 6, "{}", r.body);
    for part in [
        "餐饮场所燃气",
        "醇基燃料",
        "危险化学品",
        "有限空间",
        "电气",
        "消防",
    ] {
        let id = checklist_id(&lead, part);
        let c = lead.get(&format!("/api/v1/checklists/{id}"));
        assert!(c.body["items"].as_array().unwrap().len() >= 10, "{part}");
    }
    let fire = lead.get(&format!(
        "/api/v1/checklists/{}",
        checklist_id(&lead, "消防")
    ));
    let caution = fire.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["clause"].as_str().unwrap().contains("GB 35181-2017"))
        .unwrap();
    assert!(caution["caution"]
        .as_str()
        .unwrap()
        .contains("GB 35181-2025"));
    assert!(fire.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["grade"] == "major"));

    // A lead keeps its alliance's own templates; a plain member does not.
    let alliance = alliance_id(&lead, DONGCHENG);
    let new = json!({"name": "本联盟燃气自查表", "alliance_id": alliance, "items": [
        {"text": "报警器是否正常", "category": "instrument", "grade": "general", "clause": "安全生产法 第三十六条"},
        {"text": "软管是否老化", "category": "equipment", "grade": "general"}]});
    assert_eq!(
        app.login("member").post("/api/v1/checklists", &new).status,
        403
    );
    assert_eq!(
        lead.post(
            "/api/v1/checklists",
            &json!({"name": "区级", "items": new["items"]})
        )
        .status,
        403
    );
    let bad = lead.post(
        "/api/v1/checklists",
        &json!({"name": "空", "alliance_id": alliance, "items": []}),
    );
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), ["items"]);
    let created = lead.post("/api/v1/checklists", &new);
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    // Unused: edited in place.
    let mut edit = new.clone();
    edit["items"][1]["text"] = json!("连接软管是否老化、超长");
    let r = lead.put(&format!("/api/v1/checklists/{id}"), &edit);
    assert_eq!(
        (r.status, r.body["id"].as_i64()),
        (200, Some(id)),
        "{}",
        r.body
    );
    // Used by a batch: editing makes version 2; the batch keeps version 1.
    let batch = open_batch(&lead, alliance, json!({"checklist_id": id}));
    let old_items = lead.get(&format!("/api/v1/checklists/{id}")).body["items"].clone();
    edit["items"][0]["text"] = json!("可燃气体报警器是否安装并正常工作");
    let r = lead.put(&format!("/api/v1/checklists/{id}"), &edit);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["family_id"].as_i64(), Some(id));
    let old = lead.get(&format!("/api/v1/checklists/{id}"));
    assert_eq!(old.body["items"], old_items);
    assert_eq!(old.body["current"], false);
    assert_eq!(
        lead.put(&format!("/api/v1/checklists/{id}"), &edit).status,
        409
    );
    assert_eq!(batch["checklist_id"].as_i64(), Some(id));
    let again = lead.get(&format!("/api/v1/batches/{}", batch["id"]));
    assert_eq!(again.body["checklist_id"].as_i64(), Some(id));
}

#[test]
fn a_batch_pairs_every_member_under_the_rules_and_refuses_bad_input() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let members: Vec<i64> = lead
        .get(&format!(
            "/api/v1/alliances/{alliance}/members?per_page=100"
        ))
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["enterprise_id"].as_i64().unwrap())
        .collect();
    assert!(members.len() >= 10);
    let conflict = [members[0], members[1]];
    let batch = open_batch(
        &lead,
        alliance,
        json!({"per_target": 2, "conflicts": [conflict], "seed": 42}),
    );
    assert_eq!(batch["state"], "draft");
    assert_eq!(batch["seed"], 42);
    let id = batch["id"].as_i64().unwrap();
    let list = inspections(&lead, id);
    let pairs = pairs_of(&list);
    assert_rules(&pairs, &members, 2);
    assert!(!pairs.contains(&(conflict[0], conflict[1])));
    assert!(!pairs.contains(&(conflict[1], conflict[0])));
    for i in &list {
        let d = i["scheduled_on"].as_str().unwrap();
        assert!(d >= day(1).as_str() && d <= day(20).as_str());
    }
    // The same seed gives the same pairings.
    let r = lead.post(
        &format!("/api/v1/batches/{id}/pairings"),
        &json!({"seed": 42}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut again = pairs_of(&inspections(&lead, id));
    let mut first = pairs.clone();
    again.sort();
    first.sort();
    assert_eq!(again, first);

    // Bad input names the field and changes nothing.
    let count = |c: &Client| {
        c.get(&format!("/api/v1/alliances/{alliance}/batches")).body["total"]
            .as_i64()
            .unwrap()
    };
    let before = count(&lead);
    let url = format!("/api/v1/alliances/{alliance}/batches");
    let checklist = checklist_id(&lead, "餐饮场所燃气");
    let base =
        json!({"name": "坏", "starts_on": day(5), "ends_on": day(1), "checklist_id": checklist});
    let r = lead.post(&url, &base);
    assert_eq!(
        (r.status, r.error_fields()),
        (422, vec!["ends_on".to_string()])
    );
    let outsider = app.enterprise_id("西湖鱼馆");
    let mut b = base.clone();
    b["ends_on"] = json!(day(9));
    b["participant_ids"] = json!([members[0], outsider]);
    let r = lead.post(&url, &b);
    assert_eq!(r.status, 422);
    assert!(r.error_fields().contains(&"participant_ids".to_string()));
    assert!(r.body["errors"].to_string().contains(&outsider.to_string()));
    b["participant_ids"] = json!(null);
    b["checklist_id"] = json!(999_999);
    assert_eq!(lead.post(&url, &b).error_fields(), ["checklist_id"]);
    assert_eq!(count(&lead), before);

    // Only the lead and regulators in scope open batches; others do not even see the alliance's.
    b["checklist_id"] = json!(checklist);
    assert_eq!(app.login("member").post(&url, &b).status, 403);
    assert_eq!(app.login("expert").post(&url, &b).status, 403);
    assert_eq!(app.login("street-regulator").post(&url, &b).status, 201);
    let outsider_user = app.new_user(
        json!({"email": "xihu.batch@qingchuan.example", "name": "西湖",
        "role": "enterprise", "enterprise_id": outsider, "password": "xihu batch passphrase"}),
    );
    assert_eq!(outsider_user.post(&url, &b).status, 404);
    assert_eq!(
        outsider_user.get(&format!("/api/v1/batches/{id}")).status,
        404
    );
    // A draft is its managers' alone; published, the members see it (not its conflicts).
    let member = app.login("member");
    assert_eq!(member.get(&format!("/api/v1/batches/{id}")).status, 404);
    assert_eq!(
        member
            .get(&format!("/api/v1/batches/{id}/inspections"))
            .status,
        404
    );
    let listed = member.get(&format!("/api/v1/alliances/{alliance}/batches"));
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["id"].as_i64() != Some(id)));
    lead.patch(
        &format!("/api/v1/batches/{id}"),
        &json!({"state": "scheduled"}),
    );
    let seen = member.get(&format!("/api/v1/batches/{id}"));
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["conflicts"], json!([]));
    assert_eq!(
        lead.get(&format!("/api/v1/batches/{id}")).body["conflicts"],
        json!([conflict])
    );
}

#[test]
fn a_member_who_left_is_paired_no_more_and_a_draft_can_be_discarded() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let batch = open_batch(&lead, alliance, json!({}));
    let id = batch["id"].as_i64().unwrap();
    let leaving = app.enterprise_id("东城社区诊所");
    let r = app
        .login("admin")
        .delete(&format!("/api/v1/alliances/{alliance}/members/{leaving}"));
    assert!(r.status < 300, "{}", r.body);
    let r = lead.patch(
        &format!("/api/v1/batches/{id}"),
        &json!({"state": "scheduled"}),
    );
    assert_eq!(
        (r.status, r.error_fields()),
        (422, vec!["participant_ids".to_string()])
    );
    assert_eq!(
        lead.get(&format!("/api/v1/batches/{id}")).body["state"],
        "draft"
    );
    let r = lead.post(&format!("/api/v1/batches/{id}/pairings"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body["participant_ids"]
        .as_array()
        .unwrap()
        .contains(&json!(leaving)));
    let r = lead.patch(
        &format!("/api/v1/batches/{id}"),
        &json!({"state": "scheduled"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // A draft nobody saw can be discarded; it stays out of the members' sight.
    let other = open_batch(&lead, alliance, json!({}));
    let url = format!("/api/v1/batches/{}", other["id"]);
    assert_eq!(
        lead.patch(&url, &json!({"state": "closed"})).body["state"],
        "closed"
    );
    assert_eq!(app.login("member").get(&url).status, 404);
}

#[test]
fn recent_pairs_are_avoided_where_possible_and_reported_where_not() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let three: Vec<i64> = ["青川福记餐饮管理有限公司", "老王家常菜馆", "东城味道火锅店"]
        .iter()
        .map(|n| app.enterprise_id(n))
        .collect();
    let first = open_batch(&lead, alliance, json!({"participant_ids": three}));
    let r = lead.patch(
        &format!("/api/v1/batches/{}", first["id"]),
        &json!({"state": "scheduled"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Three enterprises have only three pairs: the next batch must repeat them, and says so.
    let second = open_batch(
        &lead,
        alliance,
        json!({"participant_ids": three, "recent_batches": 1}),
    );
    let relaxed = second["relaxed"].as_array().unwrap();
    assert_eq!(relaxed.len(), 3, "{}", second["relaxed"]);
    assert!(relaxed.iter().all(|r| r["rule"] == "recent_pair"));
    // With no memory of past batches, nothing is relaxed.
    let third = open_batch(
        &lead,
        alliance,
        json!({"participant_ids": three, "recent_batches": 0}),
    );
    assert_eq!(third["relaxed"], json!([]));
    // A larger alliance avoids the pairs of its last batch entirely.
    let big = open_batch(&lead, alliance, json!({"seed": 7}));
    lead.patch(
        &format!("/api/v1/batches/{}", big["id"]),
        &json!({"state": "scheduled"}),
    );
    let old: HashSet<(i64, i64)> = pairs_of(&inspections(&lead, big["id"].as_i64().unwrap()))
        .into_iter()
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect();
    let next = open_batch(&lead, alliance, json!({"seed": 8, "recent_batches": 1}));
    // (Members of other industries than the template's are reported as such, and only that.)
    assert!(
        next["relaxed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule"] == "other_industry"),
        "{}",
        next["relaxed"]
    );
    for (a, b) in pairs_of(&inspections(&lead, next["id"].as_i64().unwrap())) {
        assert!(!old.contains(&(a.min(b), a.max(b))));
    }
}

/// A published three-member batch; returns (batch id, the lead's own inspection, its target).
pub fn published_trio(app: &TestApp, lead: &Client) -> (i64, Value, i64) {
    let alliance = alliance_id(lead, DONGCHENG);
    let three: Vec<i64> = ["青川福记餐饮管理有限公司", "老王家常菜馆", "东城味道火锅店"]
        .iter()
        .map(|n| app.enterprise_id(n))
        .collect();
    let batch = open_batch(lead, alliance, json!({"participant_ids": three}));
    let id = batch["id"].as_i64().unwrap();
    let own = inspections(lead, id)
        .into_iter()
        .find(|i| i["inspector_enterprise_id"].as_i64() == Some(three[0]))
        .unwrap();
    // Not yet published: no results.
    let r = lead.post(
        &format!("/api/v1/inspections/{}/results", own["id"]),
        &json!({"items": [], "draft": true}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    let r = lead.patch(
        &format!("/api/v1/batches/{id}"),
        &json!({"state": "scheduled"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "scheduled");
    let target = own["target_enterprise_id"].as_i64().unwrap();
    (id, own, target)
}

pub fn results_body(detail: &Value, fails: usize, photo: Option<i64>) -> Value {
    let items: Vec<Value> = detail["checklist"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(n, item)| {
            if n < fails {
                let mut r = json!({"item_id": item["id"], "result": "fail", "note": format!("第{n}项不合格")});
                if let (0, Some(p)) = (n, photo) {
                    r["attachment_ids"] = json!([p]);
                }
                r
            } else {
                json!({"item_id": item["id"], "result": if n % 3 == 0 { "na" } else { "pass" }})
            }
        })
        .collect();
    json!({"items": items, "inspectors": "刘强、张伟"})
}

#[test]
fn the_inspecting_enterprise_records_results_and_failed_items_become_findings() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let (batch, own, target) = published_trio(&app, &lead);
    let url = format!("/api/v1/inspections/{}", own["id"]);
    let detail = lead.get(&url);
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_eq!(detail.body["recordable"], true);

    // The target enterprise sees what is coming but records nothing; an enterprise outside the
    // inspection does not see it.
    let member = app.login("member");
    let member_ent = app.enterprise_id("老王家常菜馆");
    let third = app.login("expert");
    if member_ent == target {
        assert_eq!(member.get(&url).status, 200);
        assert_eq!(member.get(&url).body["recordable"], false);
        assert_eq!(
            member
                .post(
                    &format!("{url}/results"),
                    &results_body(&detail.body, 0, None)
                )
                .status,
            403
        );
    } else {
        assert_eq!(member.get(&url).status, 404);
    }
    // An expert assigned to the alliance may record; a regulator may not.
    assert_eq!(third.get(&url).body["recordable"], true);
    assert_eq!(
        app.login("street-regulator")
            .post(
                &format!("{url}/results"),
                &results_body(&detail.body, 0, None)
            )
            .status,
        403
    );

    // Items of another template, a grade on a passed item, an incomplete submission.
    let other = lead.get(&format!(
        "/api/v1/checklists/{}",
        checklist_id(&lead, "消防")
    ));
    let mut bad = results_body(&detail.body, 2, None);
    bad["items"][3]["item_id"] = other.body["items"][0]["id"].clone();
    bad["items"][4]["grade"] = json!("major");
    let r = lead.post(&format!("{url}/results"), &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = r.error_fields();
    assert!(
        fields.contains(&"items[3].item_id".to_string()),
        "{fields:?}"
    );
    assert!(fields.contains(&"items[4].grade".to_string()), "{fields:?}");
    assert!(fields.contains(&"items".to_string()), "{fields:?}");
    assert_eq!(lead.get(&url).body["state"], "scheduled");

    // A draft survives, half filled, with a photo of the first failed item.
    let photo = lead.upload(&jpeg("inspection"), "gas.jpg", "image/jpeg");
    let mut half = results_body(&detail.body, 2, photo.body["id"].as_i64());
    half["items"].as_array_mut().unwrap().truncate(4);
    half["draft"] = json!(true);
    let r = lead.post(&format!("{url}/results"), &half);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "in_progress");
    assert_eq!(r.body["results"].as_array().unwrap().len(), 4);
    assert_eq!(r.body["results"][0]["finding_id"], Value::Null);

    // The submission: two failed items, one with a major grade; the first keeps the draft's photo.
    let mut body = results_body(&detail.body, 2, None);
    body["items"][1]["grade"] = json!("major");
    let key = [("Idempotency-Key", "inspection-submit-1")];
    let r = lead.post_with(&format!("{url}/results"), &key, &body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["state"], "submitted");
    assert_eq!(r.body["inspectors"], "刘强、张伟");
    let findings: Vec<i64> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["finding_id"].as_i64())
        .collect();
    assert_eq!(findings.len(), 2);
    // A retry with the same key gives the same answer; a second submission is refused.
    let replay = lead.post_with(&format!("{url}/results"), &key, &body);
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(replay.body["results"], r.body["results"]);
    let reused = lead.post_with(
        &format!("{url}/results"),
        &key,
        &results_body(&detail.body, 1, None),
    );
    assert_eq!(reused.status, 409);
    let again = lead.post(&format!("{url}/results"), &body);
    assert_eq!(again.status, 409);
    assert_eq!(
        lead.patch(&url, &json!({"scheduled_on": day(2)})).status,
        409
    );

    // The findings: at the target, from the mutual inspection, with the item's grade unless
    // changed, the photo attached; the lead (the inspecting enterprise) reviews them.
    let f0 = lead.get(&format!("/api/v1/findings/{}", findings[0]));
    assert_eq!(f0.body["source"], "mutual_inspection");
    assert_eq!(f0.body["enterprise_id"].as_i64(), Some(target));
    assert_eq!(f0.body["inspection_id"], own["id"]);
    assert_eq!(f0.body["treatment"], "deadline");
    assert_eq!(
        f0.body["timeline"][0]["attachment_ids"],
        json!([photo.body["id"]])
    );
    let f1 = lead.get(&format!("/api/v1/findings/{}", findings[1]));
    assert_eq!(f1.body["grade"], "major");
    assert_eq!(
        f1.body["title"],
        detail.body["checklist"]["items"][1]["text"]
    );
    let target_user = app.new_user(
        json!({"email": "target.inspection@qingchuan.example", "name": "被查",
        "role": "enterprise", "enterprise_id": target, "password": "target user passphrase"}),
    );
    let theirs = target_user.get("/api/v1/findings?source=mutual_inspection");
    let ids: Vec<i64> = theirs.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    for f in &findings {
        assert!(ids.contains(f), "{ids:?}");
    }
    assert_eq!(
        target_user.get(&url).body["results"]
            .as_array()
            .unwrap()
            .len(),
        15 + 5
    );

    // Progress and the batch's state.
    let b = lead.get(&format!("/api/v1/batches/{batch}"));
    assert_eq!(b.body["state"], "in_progress");
    assert_eq!(b.body["progress"]["submitted"], 1);
    assert_eq!(b.body["progress"]["inspections"], 3);
    assert_eq!(b.body["progress"]["findings"], 2);
    let r = lead.patch(
        &format!("/api/v1/batches/{batch}"),
        &json!({"state": "closed"}),
    );
    assert_eq!(r.body["state"], "closed");
    let other_inspection = inspections(&lead, batch)
        .into_iter()
        .find(|i| i["state"] != "submitted")
        .unwrap();
    assert_eq!(
        third
            .post(
                &format!("/api/v1/inspections/{}/results", other_inspection["id"]),
                &json!({"items": [], "draft": true})
            )
            .status,
        409
    );
}

#[test]
fn leads_date_and_swap_inspections_within_the_rules() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let batch = open_batch(&lead, alliance, json!({"seed": 3}));
    let id = batch["id"].as_i64().unwrap();
    let list = inspections(&lead, id);
    let (a, b) = (&list[0], &list[1]);
    let url = format!("/api/v1/inspections/{}", a["id"]);
    let r = lead.patch(&url, &json!({"scheduled_on": day(30)}));
    assert_eq!(
        (r.status, r.error_fields()),
        (422, vec!["scheduled_on".to_string()])
    );
    let r = lead.patch(&url, &json!({"scheduled_on": day(3)}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["scheduled_on"], day(3));
    // A swap keeps every count and the hard rules (or is refused naming the rule).
    let r = lead.patch(&url, &json!({"swap_target_with": b["id"]}));
    let members: Vec<i64> = batch["participant_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    if r.status == 200 {
        assert_eq!(r.body["target_enterprise_id"], b["target_enterprise_id"]);
    } else {
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.error_fields(), ["swap_target_with"]);
    }
    assert_rules(&pairs_of(&inspections(&lead, id)), &members, 1);
    // Self-inspection by swap is refused: give `a` the target that is its own inspector.
    let own = list
        .iter()
        .find(|i| i["target_enterprise_id"] == a["inspector_enterprise_id"] && i["id"] != a["id"]);
    if let Some(own) = own {
        let r = lead.patch(&url, &json!({"swap_target_with": own["id"]}));
        assert_eq!(r.status, 422, "{}", r.body);
    }
    // A draft's inspections are not the members' to see, let alone to date.
    assert_eq!(
        app.login("member")
            .patch(&url, &json!({"scheduled_on": day(3)}))
            .status,
        404
    );
    // Once published, pairings no longer change.
    lead.patch(
        &format!("/api/v1/batches/{id}"),
        &json!({"state": "scheduled"}),
    );
    assert_eq!(
        lead.patch(&url, &json!({"swap_target_with": b["id"]}))
            .status,
        409
    );
    assert_eq!(
        lead.post(&format!("/api/v1/batches/{id}/pairings"), &json!({}))
            .status,
        409
    );
    assert_eq!(
        lead.patch(&format!("/api/v1/batches/{id}"), &json!({"per_target": 2}))
            .status,
        409
    );
}

#[test]
fn two_inspectors_submitting_at_once_give_one_result_and_one_set_of_findings() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    for round in 0..3 {
        let (_, own, target) = published_trio(&app, &lead);
        let url = format!("/api/v1/inspections/{}", own["id"]);
        let detail = lead.get(&url).body;
        let expert = app.login("expert");
        let barrier = Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = [&lead, &expert]
                .into_iter()
                .map(|client| {
                    let (barrier, detail, url) = (&barrier, &detail, &url);
                    s.spawn(move || {
                        barrier.wait();
                        client
                            .post(&format!("{url}/results"), &results_body(detail, 2, None))
                            .status
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, [201, 409], "round {round}");
        let found = app.login("admin").get(&format!(
            "/api/v1/findings?enterprise_id={target}&source=mutual_inspection&per_page=100"
        ));
        let of_this: Vec<&Value> = found.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["inspection_id"] == own["id"])
            .collect();
        assert_eq!(of_this.len(), 2, "round {round}");
    }
}

#[test]
fn the_calendar_feed_lists_the_enterprises_inspections_and_its_address_can_be_revoked() {
    use icalendar::{Calendar, Component};
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let (_, own, _) = published_trio(&app, &lead);
    let (status, bytes, headers) = lead.get_bytes("/api/v1/calendar.ics");
    assert_eq!(status, 200);
    assert!(headers["content-type"].starts_with("text/calendar"));
    let text = String::from_utf8(bytes).unwrap();
    let calendar: Calendar = text.parse().expect("a valid iCalendar feed");
    let events: Vec<_> = calendar
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .collect();
    // The lead's enterprise inspects one and is inspected once in the trio.
    assert_eq!(events.len(), 2, "{text}");
    assert!(events
        .iter()
        .any(|e| e.get_uid() == Some(&format!("inspection-{}@safety-alliance", own["id"]))));
    assert_eq!(app.anon().get("/api/v1/calendar.ics").status, 401);

    let feed = lead.post("/api/v1/calendar/feed", &json!({}));
    assert_eq!(feed.status, 201, "{}", feed.body);
    let url = feed.body["url"].as_str().unwrap().to_string();
    let (status, bytes, _) = app.anon().get_bytes(&url);
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8(bytes)
            .unwrap()
            .matches("BEGIN:VEVENT")
            .count(),
        2
    );
    // A new address revokes the old; revoking leaves none.
    let newer = lead.post("/api/v1/calendar/feed", &json!({}));
    assert_eq!(app.anon().get_bytes(&url).0, 404);
    let newer_url = newer.body["url"].as_str().unwrap().to_string();
    assert_eq!(app.anon().get_bytes(&newer_url).0, 200);
    assert_eq!(lead.delete("/api/v1/calendar/feed").status, 204);
    assert_eq!(app.anon().get_bytes(&newer_url).0, 404);
    assert_eq!(
        app.anon().get_bytes("/api/v1/calendar/not-a-token.ics").0,
        404
    );
}

#[test]
fn a_refused_checklist_page_keeps_what_was_marked_and_a_draft_survives_a_reload() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let (_, own, _) = published_trio(&app, &lead);
    let id = own["id"].as_i64().unwrap();
    let detail = lead.get(&format!("/api/v1/inspections/{id}")).body;
    let first = detail["checklist"]["items"][0]["id"].to_string();
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "expert", "/");
    let csrf = page.csrf();
    let result = format!("result_{first}");
    let note = format!("note_{first}");
    let fields = [
        ("csrf", csrf.as_str()),
        ("inspectors", "周敏"),
        (result.as_str(), "fail"),
        (note.as_str(), "报警器缺失"),
    ];
    // Submitting with items left unanswered is refused; what was marked comes back.
    let refused = page.post_multipart(&format!("/inspections/{id}/results"), &fields, &[]);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("报警器缺失"));
    assert!(refused.body.contains("周敏"));
    // Saved as a draft, it is there after a reload.
    let mut draft = fields.to_vec();
    draft.push(("draft", "1"));
    let saved = page.post_multipart(&format!("/inspections/{id}/results"), &draft, &[]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let again = page.get(&format!("/inspections/{id}"));
    assert!(again.body.contains("报警器缺失"));
    assert!(again.body.contains("已存草稿"));
    let api = lead.get(&format!("/api/v1/inspections/{id}"));
    assert_eq!(api.body["state"], "in_progress");
    assert_eq!(api.body["results"][0]["result"], "fail");
}

#[test]
fn publishing_racing_pairing_swapping_and_closing_leaves_a_consistent_batch() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let regulator = app.login("street-regulator");
    let alliance = alliance_id(&lead, DONGCHENG);
    for round in 0..4 {
        let batch = open_batch(&lead, alliance, json!({"seed": round}));
        let id = batch["id"].as_i64().unwrap();
        let list = inspections(&lead, id);
        let (a, b) = (list[0]["id"].clone(), list[1]["id"].clone());
        let barrier = Barrier::new(5);
        let statuses: Vec<(&str, u16)> = std::thread::scope(|s| {
            let batch_url = format!("/api/v1/batches/{id}");
            let jobs: Vec<(&str, &Client, String, Value, bool)> = vec![
                (
                    "publish",
                    &lead,
                    batch_url.clone(),
                    json!({"state": "scheduled"}),
                    true,
                ),
                (
                    "publish",
                    &regulator,
                    batch_url.clone(),
                    json!({"state": "scheduled"}),
                    true,
                ),
                (
                    "pair",
                    &lead,
                    format!("{batch_url}/pairings"),
                    json!({}),
                    false,
                ),
                (
                    "swap",
                    &regulator,
                    format!("/api/v1/inspections/{a}"),
                    json!({"swap_target_with": b}),
                    true,
                ),
                (
                    "close",
                    &lead,
                    batch_url.clone(),
                    json!({"state": "closed"}),
                    true,
                ),
            ];
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|(name, client, url, body, patch)| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let r = match patch {
                            true => client.patch(&url, &body),
                            false => client.post(&url, &body),
                        };
                        (name, r.status)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // At most one publication; none only when the draft was discarded (closed) first.
        let published = statuses
            .iter()
            .filter(|(n, s)| *n == "publish" && *s == 200)
            .count();
        let discarded = lead.get(&format!("/api/v1/batches/{id}")).body["published_at"].is_null();
        assert_eq!(
            published,
            usize::from(!discarded),
            "round {round}: {statuses:?}"
        );
        for (name, status) in &statuses {
            // A re-pairing replaces a draft's inspections: a swap after it finds its one gone.
            let gone = *name == "swap" && *status == 404;
            assert!(
                [200, 409, 422].contains(status) || gone,
                "{name} answered {status}"
            );
        }
        let after = lead.get(&format!("/api/v1/batches/{id}"));
        let state = after.body["state"].as_str().unwrap().to_string();
        assert!(state == "scheduled" || state == "closed", "{state}");
        // Published, every inspection is scheduled (none left planned by a late re-pairing), and
        // the pairings still keep the rules.
        let list = inspections(&lead, id);
        let expected = if discarded { "planned" } else { "scheduled" };
        assert!(list.iter().all(|i| i["state"] == expected), "{list:?}");
        let members: Vec<i64> = after.body["participant_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_rules(&pairs_of(&list), &members, 1);
    }
}

#[test]
fn checklists_and_the_calendar_have_pages() {
    let app = TestApp::spawn();
    let lead = app.login("lead");
    let alliance = alliance_id(&lead, DONGCHENG);
    let mut page = crate::pages::PageClient::new(&app);
    page.log_in(&app, "lead", "/");
    let list = page.get("/checklists");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("消防安全检查表"));
    let fire = checklist_id(&lead, "消防");
    let read = page.get(&format!("/checklists/{fire}"));
    assert!(read.body.contains("GB 35181-2025"));
    // A lead keeps no district-wide template.
    assert_eq!(page.get(&format!("/checklists/{fire}/edit")).status, 403);

    // The lead writes its alliance's own template; a row without a category comes back refused
    // with what was typed.
    let csrf = page.csrf();
    let owner = alliance.to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("name", "联盟燃气自查表"),
        ("alliance_id", owner.as_str()),
        ("text_0", "报警器是否正常"),
        ("category_0", "instrument"),
        ("grade_0", "general"),
        ("clause_0", "安全生产法 第三十六条"),
        ("text_1", "软管是否老化"),
        ("category_1", "nonsense"),
        ("grade_1", "general"),
    ];
    let refused = page.post("/checklists/new", &fields);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("软管是否老化"));
    fields[8] = ("category_1", "equipment");
    let saved = page.post("/checklists/new", &fields);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let at = saved.location.unwrap();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let api = lead.get(&format!("/api/v1/checklists/{id}"));
    assert_eq!(api.body["alliance_id"].as_i64(), Some(alliance));
    assert_eq!(api.body["items"].as_array().unwrap().len(), 2);
    let edit = page.get(&format!("/checklists/{id}/edit"));
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("报警器是否正常"));

    // The calendar: a file to download, and a personal address shown once.
    published_trio(&app, &lead);
    let file = page.get("/calendar.ics");
    assert_eq!(file.status, 200);
    assert!(file.body.contains("BEGIN:VEVENT"));
    let shown = page.post("/calendar", &[("csrf", &csrf), ("action", "create")]);
    assert_eq!(shown.status, 200);
    let start = shown.body.find("/api/v1/calendar/").unwrap();
    let path: String = shown.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(app.anon().get_bytes(&path).0, 200);
    assert!(!page.get("/calendar").body.contains(&path));
    let revoked = page.post("/calendar", &[("csrf", &csrf), ("action", "revoke")]);
    assert_eq!(revoked.status, 303);
    assert_eq!(app.anon().get_bytes(&path).0, 404);
}
