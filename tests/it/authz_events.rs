//! The authorization matrix's rows for alliance events and their registrations.

use std::collections::HashMap;

use serde_json::json;

use super::{Fixture, Op, Role, Target};
use crate::common::Client;

/// Seen by the alliance's members and the regulators in scope (not by experts).
const SEE: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 404),
    (200, 404),
    (200, 404),
    (200, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

/// Organized by the alliance's lead and the regulators in scope.
const fn organize(ok: u16) -> [(u16, u16); 9] {
    [
        (ok, ok),
        (ok, ok),
        (ok, 404),
        (ok, 404),
        (ok, 404),
        (403, 404),
        (404, 404),
        (404, 404),
        (401, 401),
    ]
}

/// A new event in an alliance, planned by the admin, a week from now.
pub(super) fn new_event(admin: &Client, alliance: i64) -> i64 {
    let start = chrono::Utc::now() + chrono::Duration::days(7);
    let r = admin.post(
        &format!("/api/v1/alliances/{alliance}/events"),
        &json!({"kind": "training", "title": "矩阵培训", "capacity": 100,
                "starts_at": start.to_rfc3339(),
                "ends_at": (start + chrono::Duration::hours(2)).to_rfc3339()}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// An event in each alliance of the fixture.
pub(super) fn fixtures(
    admin: &Client,
    alliance: &HashMap<&'static str, i64>,
) -> HashMap<&'static str, i64> {
    ["dongcheng", "xihu", "hazchem"]
        .into_iter()
        .map(|key| (key, new_event(admin, alliance[key])))
        .collect()
}

impl Fixture {
    fn event_of(&self, role: Role, target: Target) -> i64 {
        self.event[Self::alliance_key(role, target)]
    }

    /// A user of a member enterprise of the role's alliance, registered for a new event there;
    /// the event and the user.
    fn registered(&self, role: Role, target: Target) -> (i64, i64) {
        let key = Self::alliance_key(role, target);
        let event = new_event(&self.admin, self.alliance[key]);
        let (user, enterprise) = match key {
            "dongcheng" => ("member", "dongcheng"),
            other => (other, other),
        };
        let user = self.user[user];
        let r = self.admin.post(
            &format!("/api/v1/events/{event}/registrations"),
            &json!({"enterprise_id": self.enterprise[enterprise]["id"], "user_ids": [user]}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        (event, user)
    }
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            method: "get",
            path: "/api/v1/alliances/{id}/events",
            expect: SEE,
            build: |f, role, target| {
                (
                    format!("/api/v1/alliances/{}/events", f.alliance_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/alliances/{id}/events",
            expect: organize(201),
            build: |f, role, target| {
                let start = chrono::Utc::now() + chrono::Duration::days(3);
                (
                    format!("/api/v1/alliances/{}/events", f.alliance_of(role, target)),
                    Some(
                        json!({"kind": "warning_education", "title": "矩阵警示教育", "capacity": 30,
                        "starts_at": start.to_rfc3339(),
                        "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339()}),
                    ),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}",
            expect: SEE,
            build: |f, role, target| (format!("/api/v1/events/{}", f.event_of(role, target)), None),
        },
        Op {
            method: "patch",
            path: "/api/v1/events/{id}",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}", f.event_of(role, target)),
                    Some(json!({"place": "联盟会议室"})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/events/{id}/registrations",
            // The caller registers itself: enterprise users of members only (others have no
            // enterprise to register: 422).
            expect: [
                (422, 422),
                (422, 422),
                (422, 404),
                (422, 404),
                (201, 404),
                (201, 404),
                (404, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/registrations", f.event_of(role, target)),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "delete",
            path: "/api/v1/events/{id}/registrations/{user_id}",
            expect: organize(204).map(|(i, o)| (if i == 403 { 204 } else { i }, o)),
            build: |f, role, target| {
                let (event, user) = f.registered(role, target);
                (format!("/api/v1/events/{event}/registrations/{user}"), None)
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}/check-in-code",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/check-in-code", f.event_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}/check-in-code.svg",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/events/{}/check-in-code.svg",
                        f.event_of(role, target)
                    ),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/events/{id}/check-in",
            // A forged code: refused, naming the field, to those who see the event.
            expect: SEE.map(|(i, o)| {
                (
                    if i == 200 { 422 } else { i },
                    if o == 200 { 422 } else { o },
                )
            }),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/check-in", f.event_of(role, target)),
                    Some(json!({"token": "forged"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}/attendance",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/attendance", f.event_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/events/{id}/attendance",
            // The fixture's events begin next week: nobody is checked in before (409).
            expect: organize(409),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/attendance", f.event_of(role, target)),
                    Some(json!({"user_id": f.user["member"]})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}/attendance.csv",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!("/api/v1/events/{}/attendance.csv", f.event_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/events/{id}/attendance.xlsx",
            expect: organize(200),
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/events/{}/attendance.xlsx",
                        f.event_of(role, target)
                    ),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/enterprises/{id}/training-record",
            // Those who see the enterprise in full.
            expect: [
                (200, 200),
                (200, 200),
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
                    format!(
                        "/api/v1/enterprises/{}/training-record",
                        f.enterprise_of(role, target)["id"]
                    ),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/me/training-record",
            expect: super::logged_in(200),
            build: |_, _, _| ("/api/v1/me/training-record".into(), None),
        },
    ]
}
