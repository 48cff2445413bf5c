//! The authorization matrix's rows for the message centre: everyone signed in reads and marks
//! their own messages; another's message reads as missing, to everyone.

use std::collections::HashMap;

use safety_alliance::db::ids::UserId;
use safety_alliance::notify::{Kind, Notice};

use super::{logged_in, Client, Op, Role, Target};
use crate::common::TestApp;

/// One message for each signed-in role, written as a change elsewhere would write it.
pub(super) fn fixtures(app: &TestApp, clients: &HashMap<Role, Client>) -> HashMap<Role, i64> {
    let mut out = HashMap::new();
    for (role, client) in clients {
        if *role == Role::Anon {
            continue;
        }
        let me = client.get("/api/v1/me").body["id"].as_i64().unwrap();
        let mut conn = app.platform.db.conn().unwrap();
        let notice = Notice {
            kind: Kind::FindingClosed,
            subject: format!("矩阵消息 {role:?}"),
            link: "/findings".into(),
            due_on: None,
            note: String::new(),
        };
        safety_alliance::notify::tell(&mut conn, &[UserId(me)], &notice).unwrap();
        let r = client.get("/api/v1/notifications?per_page=1");
        assert_eq!(r.status, 200, "{}", r.body);
        out.insert(*role, r.body["items"][0]["id"].as_i64().unwrap());
    }
    out
}

/// The caller's own message, or another's (the admin's; the member's for the admin).
fn message_of(f: &super::Fixture, role: Role, target: Target) -> i64 {
    match (role, target) {
        (Role::Anon, _) => f.notification[&Role::Member],
        (_, Target::In) => f.notification[&role],
        (Role::Admin, Target::Out) => f.notification[&Role::Member],
        (_, Target::Out) => f.notification[&Role::Admin],
    }
}

pub(super) fn ops() -> Vec<Op> {
    let mut ops = vec![
        Op {
            method: "get",
            path: "/api/v1/notifications",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/notifications".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/notifications/unread",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/notifications/unread".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/notifications/{id}/read",
            expect: [
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/notifications/{}/read", message_of(f, role, target)),
                    Some(serde_json::json!({})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/notifications/read",
            expect: logged_in(200),
            build: |_, _, _| {
                (
                    "/api/v1/notifications/read".into(),
                    Some(serde_json::json!({})),
                )
            },
        },
    ];
    ops.extend(settings_ops());
    ops
}

/// Statuses for the administrator alone (others 403, the anonymous 401).
const fn admin_only(ok: u16) -> [(u16, u16); 9] {
    [
        (ok, ok),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ]
}

/// A street's region: the street regulator's own (In), or another street (Out).
fn street_region(f: &super::Fixture, target: Target) -> serde_json::Value {
    let key = match target {
        Target::In => "dongcheng",
        Target::Out => "xihu",
    };
    f.enterprise[key]["region_id"].clone()
}

/// Mail preferences (everyone their own), the deadline ladder (read by all, set by a district
/// regulator), group robots (attached by a region's regulators), the outbox (administrators),
/// the clock (settable only when the server was started so: 404 here).
fn settings_ops() -> Vec<Op> {
    let forbidden = (403, 403);
    vec![
        Op {
            method: "get",
            path: "/api/v1/notifications/preferences",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/notifications/preferences".into(), None),
        },
        Op {
            method: "put",
            path: "/api/v1/notifications/preferences",
            expect: logged_in(200),
            build: |_, _, _| {
                (
                    "/api/v1/notifications/preferences".into(),
                    Some(serde_json::json!({"language": "zh-CN"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/deadline-ladder",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/deadline-ladder".into(), None),
        },
        Op {
            method: "put",
            path: "/api/v1/deadline-ladder",
            expect: [
                (200, 200),
                (200, 200),
                forbidden,
                forbidden,
                forbidden,
                forbidden,
                forbidden,
                forbidden,
                (401, 401),
            ],
            build: |_, _, _| {
                (
                    "/api/v1/deadline-ladder".into(),
                    Some(
                        serde_json::json!({"general": {"remind_days": 3, "escalate_days": 3},
                        "major": {"remind_days": 7, "escalate_days": 1}}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/webhooks",
            expect: logged_in(200),
            build: |_, _, _| ("/api/v1/webhooks".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/webhooks",
            expect: [
                (201, 201),
                (201, 201),
                (201, 403),
                forbidden,
                forbidden,
                forbidden,
                forbidden,
                forbidden,
                (401, 401),
            ],
            build: |f, _, target| {
                (
                    "/api/v1/webhooks".into(),
                    Some(
                        serde_json::json!({"region_id": street_region(f, target), "kind": "wecom",
                        "name": "矩阵群", "url": "http://127.0.0.1:9/robot"}),
                    ),
                )
            },
        },
        Op {
            method: "delete",
            path: "/api/v1/webhooks/{id}",
            expect: [
                (204, 204),
                (204, 204),
                (204, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, _, target| {
                let r = f.admin.post(
                    "/api/v1/webhooks",
                    &serde_json::json!({"region_id": street_region(f, target), "kind": "dingtalk",
                        "name": "待移除", "url": "http://127.0.0.1:9/robot"}),
                );
                assert_eq!(r.status, 201, "{}", r.body);
                (format!("/api/v1/webhooks/{}", r.body["id"]), None)
            },
        },
        Op {
            method: "get",
            path: "/api/v1/admin/outbox",
            expect: admin_only(200),
            build: |_, _, _| ("/api/v1/admin/outbox".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/admin/outbox/{id}/resend",
            expect: admin_only(200),
            build: |f, _, _| {
                let r = f.admin.get("/api/v1/admin/outbox?per_page=1");
                let id = &r.body["items"][0]["id"];
                assert!(id.is_i64(), "the fixtures queued mail: {}", r.body);
                (
                    format!("/api/v1/admin/outbox/{id}/resend"),
                    Some(serde_json::json!({})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/admin/clock",
            expect: logged_in(404),
            build: |_, _, _| ("/api/v1/admin/clock".into(), None),
        },
        Op {
            method: "put",
            path: "/api/v1/admin/clock",
            expect: logged_in(404),
            build: |_, _, _| {
                (
                    "/api/v1/admin/clock".into(),
                    Some(serde_json::json!({"today": "2026-12-01"})),
                )
            },
        },
    ]
}
