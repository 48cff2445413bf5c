//! The authorization matrix's rows for onboarding: admins and regulators import (each within
//! its area, which shows as row errors, not as a refusal); enterprises and experts may not; an
//! import is its uploader's alone.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::{Client, Op, Role, Target};
use crate::common::{new_credit_code, TestApp};

const IMPORTERS: [Role; 4] = [Role::Admin, Role::District, Role::Street, Role::Industry];

/// Statuses for admins and regulators (others 403, the anonymous 401).
const fn importers(ok: (u16, u16)) -> [(u16, u16); 9] {
    [
        ok,
        ok,
        ok,
        ok,
        (403, 403),
        (403, 403),
        (403, 403),
        (403, 403),
        (401, 401),
    ]
}

/// A file of one new enterprise where `like` is (its street and industry, by name).
fn file_like(admin: &Client, like: &Value) -> String {
    let name_of = |list: &str, id: &Value| -> String {
        let all = admin.get(&format!("/api/v1/{list}?per_page=100")).body;
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == *id)
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    format!(
        "企业名称,统一社会信用代码,所属街道,行业,规模\n矩阵导入企业,{},{},{},小微\n",
        new_credit_code(),
        name_of("regions", &like["region_id"]),
        name_of("industries", &like["industry_id"]),
    )
}

/// An import of each importer's own, of a row inside its area.
pub(super) fn fixtures(
    app: &TestApp,
    clients: &HashMap<Role, Client>,
    enterprise: &HashMap<&'static str, Value>,
) -> HashMap<Role, i64> {
    let admin = app.login("admin");
    let mut out = HashMap::new();
    for role in IMPORTERS {
        let like = &enterprise[super::Fixture::enterprise_key(role, Target::In)];
        let csv = file_like(&admin, like);
        let r = clients[&role].upload_to(
            "/api/v1/imports?kind=enterprises",
            csv.as_bytes(),
            "m.csv",
            "text/csv",
        );
        assert_eq!(r.status, 201, "{role:?}: {}", r.body);
        assert_eq!(
            r.body["preview"]["summary"]["new"], 1,
            "{role:?}: {}",
            r.body
        );
        out.insert(role, r.body["id"].as_i64().unwrap());
    }
    out
}

/// The caller's own import (In), or another's (Out); the admin's for those who have none.
fn import_of(f: &super::Fixture, role: Role, target: Target) -> i64 {
    match (role, target) {
        (Role::Admin, Target::Out) => f.import[&Role::District],
        (_, Target::Out) => f.import[&Role::Admin],
        (r, Target::In) => *f.import.get(&r).unwrap_or(&f.import[&Role::Admin]),
    }
}

/// Statuses for an account's links: its managers (In), nobody for their own account (403) or
/// for one they do not manage (404).
const LINKS: [(u16, u16); 9] = [
    (200, 403),
    (200, 404),
    (200, 404),
    (200, 404),
    (403, 404),
    (403, 404),
    (404, 404),
    (403, 404),
    (401, 401),
];

const fn created(statuses: [(u16, u16); 9]) -> [(u16, u16); 9] {
    let mut out = statuses;
    let mut i = 0;
    while i < 9 {
        if out[i].0 == 200 {
            out[i].0 = 201;
        }
        i += 1;
    }
    out
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

/// Closing or reopening a fresh enterprise where the role's In/Out one is: those who manage it.
const CLOSING: [(u16, u16); 9] = [
    (200, 200),
    (200, 200),
    (200, 404),
    (200, 404),
    (404, 404),
    (404, 404),
    (404, 404),
    (404, 404),
    (401, 401),
];

fn unique() -> String {
    crate::common::new_credit_code()[8..].to_string()
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            method: "post",
            path: "/api/v1/regions",
            expect: admin_only(201),
            build: |_, _, _| {
                let u = unique();
                (
                    "/api/v1/regions".into(),
                    Some(json!({"name": format!("矩阵街道{u}"), "code": u, "level": "street"})),
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/regions/{id}",
            expect: admin_only(200),
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/regions/{}",
                        f.enterprise_of(role, target)["region_id"]
                    ),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/industries",
            expect: admin_only(201),
            build: |_, _, _| {
                let u = unique();
                (
                    "/api/v1/industries".into(),
                    Some(
                        json!({"name": format!("矩阵行业{u}"), "code": u, "department": "区应急管理局"}),
                    ),
                )
            },
        },
        Op {
            method: "patch",
            path: "/api/v1/industries/{id}",
            expect: admin_only(200),
            build: |f, role, target| {
                (
                    format!(
                        "/api/v1/industries/{}",
                        f.enterprise_of(role, target)["industry_id"]
                    ),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/enterprises/{id}/deactivate",
            expect: CLOSING,
            build: |f, role, target| {
                let id = f.fresh_enterprise(f.enterprise_of(role, target));
                (
                    format!("/api/v1/enterprises/{id}/deactivate"),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/enterprises/{id}/reactivate",
            expect: CLOSING,
            build: |f, role, target| {
                let id = f.fresh_enterprise(f.enterprise_of(role, target));
                let r = f
                    .admin
                    .post(&format!("/api/v1/enterprises/{id}/deactivate"), &json!({}));
                assert_eq!(r.status, 200, "{}", r.body);
                (
                    format!("/api/v1/enterprises/{id}/reactivate"),
                    Some(json!({})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/exports/{list}",
            expect: importers((200, 200)),
            build: |_, _, _| ("/api/v1/exports/enterprises?format=csv".into(), None),
        },
        Op {
            method: "get",
            path: "/api/v1/users/{id}/invitations",
            expect: LINKS,
            build: |f, role, target| {
                (
                    format!("/api/v1/users/{}/invitations", f.user_of(role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/users/{id}/invitations",
            expect: created(LINKS),
            build: |f, role, target| {
                (
                    format!("/api/v1/users/{}/invitations", f.user_of(role, target)),
                    Some(json!({"purpose": "invite"})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/invitations/{id}/revoke",
            // A fresh link of the role's account In/Out (the admin's own: none, so a missing id).
            expect: [
                (200, 404),
                (200, 404),
                (200, 404),
                (200, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (404, 404),
                (401, 401),
            ],
            build: |f, role, target| {
                let user = f.user_of(role, target);
                let id = if user == f.user["admin"] {
                    999_999
                } else {
                    let r = f.admin.post(
                        &format!("/api/v1/users/{user}/invitations"),
                        &json!({"purpose": "reset"}),
                    );
                    assert_eq!(r.status, 201, "{}", r.body);
                    r.body["id"].as_i64().unwrap()
                };
                (format!("/api/v1/invitations/{id}/revoke"), Some(json!({})))
            },
        },
        Op {
            method: "post",
            path: "/api/v1/invitations/accept",
            // The token is the proof: whoever holds it, signed in or not.
            expect: super::all(200),
            build: |f, _, _| {
                let email = format!(
                    "matrix.{}@qingchuan.example",
                    crate::common::new_credit_code().to_lowercase()
                );
                let r = f.admin.post(
                    "/api/v1/users",
                    &json!({"email": email, "name": "矩阵受邀", "role": "enterprise",
                            "enterprise_id": f.enterprise["dongcheng"]["id"]}),
                );
                assert_eq!(r.status, 201, "{}", r.body);
                let token = r.body["invitation"]["token"].clone();
                (
                    "/api/v1/invitations/accept".into(),
                    Some(json!({"token": token, "password": "a matrix passphrase"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/imports/{kind}/template",
            expect: importers((200, 200)),
            build: |_, _, _| ("/api/v1/imports/enterprises/template".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/imports",
            // A row outside the caller's area is an error in the preview, not a refusal.
            expect: importers((201, 201)),
            build: |f, role, target| {
                let like = f.enterprise_of(role, target);
                let csv = file_like(&f.admin, like);
                (
                    "/api/v1/imports?kind=enterprises".into(),
                    Some(json!({"csv": csv})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/imports/{id}",
            expect: importers((200, 404)),
            build: |f, role, target| {
                (
                    format!("/api/v1/imports/{}", import_of(f, role, target)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/imports/{id}/commit",
            expect: importers((200, 404)),
            build: |f, role, target| {
                (
                    format!("/api/v1/imports/{}/commit", import_of(f, role, target)),
                    Some(json!({})),
                )
            },
        },
    ]
}
