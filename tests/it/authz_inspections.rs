//! The authorization matrix's rows for mutual inspection: checklists, batches, pairings,
//! inspections, results and the calendar.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{logged_in, Fixture, Op, Role, Target};
use crate::common::Client;

const ALLIANCES: [&str; 3] = ["dongcheng", "xihu", "hazchem"];

/// A published batch and an alliance template in each alliance of the fixture.
pub(super) fn fixtures(
    admin: &Client,
    alliance: &HashMap<&'static str, i64>,
) -> (HashMap<&'static str, i64>, HashMap<&'static str, i64>) {
    let (mut batches, mut checklists) = (HashMap::new(), HashMap::new());
    for key in ALLIANCES {
        checklists.insert(key, new_checklist(admin, alliance[key]));
        let id = draft_batch(admin, alliance[key]);
        let r = admin.patch(
            &format!("/api/v1/batches/{id}"),
            &json!({"state": "scheduled"}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        batches.insert(key, id);
    }
    (batches, checklists)
}

fn new_checklist(admin: &Client, alliance: i64) -> i64 {
    let r = admin.post(
        "/api/v1/checklists",
        &json!({"name": "矩阵清单", "alliance_id": alliance,
                "items": [{"text": "矩阵项", "category": "fire", "grade": "general"}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn district_checklist(client: &Client) -> i64 {
    let r = client.get("/api/v1/checklists?per_page=100");
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["alliance_id"].is_null())
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

fn draft_batch(admin: &Client, alliance: i64) -> i64 {
    let today = safety_alliance::db::types::today();
    let r = admin.post(
        &format!("/api/v1/alliances/{alliance}/batches"),
        &json!({"name": "矩阵批次", "starts_on": today.to_string(),
                "ends_on": (today + chrono::Duration::days(10)).to_string(),
                "checklist_id": district_checklist(admin)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

impl Fixture {
    fn batch_of(&self, role: Role, target: Target) -> i64 {
        self.batch[Self::alliance_key(role, target)]
    }

    /// An inspection of the role's batch: for the lead one its enterprise inspects, for the
    /// member one its enterprise is inspected in, else the first.
    fn inspection_of(&self, role: Role, target: Target) -> i64 {
        let batch = self.batch_of(role, target);
        let list = self
            .admin
            .get(&format!("/api/v1/batches/{batch}/inspections?per_page=100"))
            .body["items"]
            .as_array()
            .unwrap()
            .clone();
        let member = self.enterprise["dongcheng"]["id"].as_i64();
        let pick = |i: &&Value| match (role, target) {
            (Role::Lead, Target::In) => {
                i["inspector_enterprise_id"].as_i64() == Some(self.lead_enterprise)
            }
            (Role::Member, Target::In) => i["target_enterprise_id"].as_i64() == member,
            _ => true,
        };
        list.iter().find(pick).unwrap()["id"].as_i64().unwrap()
    }
}

/// Alliance-scoped reads: those who see the alliance.
const SEE: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 404),
    (200, 404),
    (200, 404),
    (200, 404),
    (200, 404),
    (404, 404),
    (401, 401),
];

/// Work on a draft batch: only its managers see it at all.
const DRAFT: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 404),
    (200, 404),
    (200, 404),
    (404, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

/// Batch management: the lead and the regulators in scope.
const fn manage(ok: u16) -> [(u16, u16); 9] {
    [
        (ok, ok),
        (ok, ok),
        (ok, 404),
        (ok, 404),
        (ok, 404),
        (403, 404),
        (403, 404),
        (404, 404),
        (401, 401),
    ]
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            method: "get",
            path: "/api/v1/checklists",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/checklists".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/checklists",
            // An alliance the caller does not see is named as not found (422).
            expect: [
                (201, 201),
                (201, 201),
                (201, 422),
                (201, 422),
                (201, 422),
                (403, 422),
                (403, 422),
                (422, 422),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    "/api/v1/checklists".into(),
                    Some(
                        json!({"name": "矩阵新清单", "alliance_id": f.alliance_of(role, target),
                        "items": [{"text": "项", "category": "other", "grade": "general"}]}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/checklists/{id}",
            expect: SEE,
            build: |f, role, target| {
                let key = Fixture::alliance_key(role, target);
                (format!("/api/v1/checklists/{}", f.checklist[key]), None)
            },
        },
        Op {
            method: "put",
            path: "/api/v1/checklists/{id}",
            expect: manage(200),
            build: |f, role, target| {
                let id = new_checklist(&f.admin, f.alliance_of(role, target));
                (
                    format!("/api/v1/checklists/{id}"),
                    Some(
                        json!({"name": "矩阵改名", "items": [{"text": "项", "category": "other", "grade": "general"}]}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/alliances/{id}/batches",
            expect: SEE,
            build: |f, role, target| {
                (
                    format!("/api/v1/alliances/{}/batches", f.alliance_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/alliances/{id}/batches",
            expect: manage(201),
            build: |f, role, target| {
                let today = safety_alliance::db::types::today();
                (
                    format!("/api/v1/alliances/{}/batches", f.alliance_of(role, target)),
                    Some(
                        json!({"name": "矩阵", "starts_on": today.to_string(), "ends_on": today.to_string(),
                        "checklist_id": district_checklist(&f.admin)}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/batches/{id}",
            expect: SEE,
            build: |f, role, target| {
                (
                    format!("/api/v1/batches/{}", f.batch_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/batches/{id}",
            expect: DRAFT,
            build: |f, role, target| {
                let id = draft_batch(&f.admin, f.alliance_of(role, target));
                (
                    format!("/api/v1/batches/{id}"),
                    Some(json!({"name": "矩阵改名"})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/batches/{id}/pairings",
            expect: DRAFT,
            build: |f, role, target| {
                let id = draft_batch(&f.admin, f.alliance_of(role, target));
                (format!("/api/v1/batches/{id}/pairings"), Some(json!({})))
            },
        },
        Op {
            method: "get",
            path: "/api/v1/batches/{id}/inspections",
            expect: SEE,
            build: |f, role, target| {
                (
                    format!("/api/v1/batches/{}/inspections", f.batch_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/inspections/{id}",
            expect: SEE,
            build: |f, role, target| {
                (
                    format!("/api/v1/inspections/{}", f.inspection_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/inspections/{id}",
            expect: manage(200),
            build: |f, role, target| {
                (
                    format!("/api/v1/inspections/{}", f.inspection_of(role, target)),
                    Some(json!({"inspectors": "矩阵检查员"})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/inspections/{id}/results",
            // Only the inspecting enterprise (the lead's own inspection) and the alliance's expert.
            expect: [
                (403, 403),
                (403, 403),
                (403, 404),
                (403, 404),
                (200, 404),
                (403, 404),
                (200, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/inspections/{}/results",
                        f.inspection_of(role, target)
                    ),
                    Some(json!({"items": [], "draft": true})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/calendar.ics",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/calendar.ics".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/calendar/feed",
            expect: logged_in(201),
            build: |_, _, _| ("/api/v1/calendar/feed".into(), Some(json!({}))),
        },
        Op {
            method: "delete",
            path: "/api/v1/calendar/feed",
            expect: logged_in(204),
            build: |_, _, _| ("/api/v1/calendar/feed".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/calendar/{feed_token}.ics",
            expect: super::all(404),
            build: |_, _, _| ("/api/v1/calendar/forged-token.ics".into(), None),
        },
    ]
}
