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
    vec![
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
    ]
}
