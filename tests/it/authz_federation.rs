//! The authorization matrix's rows for federation. The matrix's app is its own city: its key is
//! enrolled at itself, one bundle published and received. The district's figures are published
//! and read by whoever oversees the whole instance (administrators, district-wide regulators);
//! a regulator of a part is refused (403), the rest do not see it (404). Keys are enrolled by
//! administrators only. The receiver takes no login: the signature is the credential.

use serde_json::{json, Value};

use super::Op;
use crate::common::TestApp;
use crate::federation::{code_list, this_year};

/// What the matrix's rows act on: the district enrolled, the period published, its bundle.
pub(super) struct Federation {
    pub codes: Value,
    pub district: String,
    pub period: String,
    pub bundle: String,
}

pub(super) fn fixtures(app: &TestApp) -> Federation {
    let made = safety_alliance::federation::keys::keygen(
        &app.platform.settings.federation_key_path(),
        false,
    )
    .unwrap();
    let admin = app.login("admin");
    let list = code_list(app);
    let codes = serde_json::to_value(&list).unwrap();
    let r = admin.post(
        "/api/v1/federation/keys",
        &json!({"code_list": codes, "public_key": made.public_pem}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let period = this_year();
    let r = admin.post(
        "/api/v1/federation/publications",
        &json!({"period": period}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let pulled = admin.get("/api/v1/federation/bundles?since=0").body;
    let bundle = pulled["items"][0]["bundle"].as_str().unwrap().to_string();
    let r = app
        .anon()
        .post("/api/v1/federation/bundles", &json!({"bundle": bundle}));
    assert_eq!(r.status, 200, "{}", r.body);
    Federation {
        codes,
        district: list.district.code,
        period,
        bundle,
    }
}

/// Those who oversee the whole instance get `ok`; a part's regulators 403; others 404.
const fn whole(ok: (u16, u16)) -> [(u16, u16); 9] {
    [
        ok,
        ok,
        (403, 403),
        (403, 403),
        (404, 404),
        (404, 404),
        (404, 404),
        (404, 404),
        (401, 401),
    ]
}

/// Administrators only (regulators 403, others 404).
const fn admins(ok: (u16, u16)) -> [(u16, u16); 9] {
    [
        ok,
        (403, 403),
        (403, 403),
        (403, 403),
        (404, 404),
        (404, 404),
        (404, 404),
        (404, 404),
        (401, 401),
    ]
}

/// A fresh key of the matrix's district, enrolled; its id.
/// A new key pair's public key (the private one is thrown away with its folder).
fn fresh_pem() -> String {
    let dir = tempfile::tempdir().unwrap();
    safety_alliance::federation::keys::keygen(&dir.path().join("k.pem"), false)
        .unwrap()
        .public_pem
}

fn fresh_key(f: &super::Fixture) -> i64 {
    let r = f.admin.post(
        "/api/v1/federation/keys",
        &json!({"code_list": f.federation.codes, "public_key": fresh_pem()}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op {
            method: "get",
            path: "/api/v1/federation/preview",
            expect: whole((200, 200)),
            build: |f, _, _| {
                (
                    format!("/api/v1/federation/preview?period={}", f.federation.period),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/federation/publications",
            expect: whole((200, 200)),
            build: |_, _, _| ("/api/v1/federation/publications".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/federation/publications",
            expect: whole((201, 201)),
            build: |f, _, _| {
                (
                    "/api/v1/federation/publications".into(),
                    Some(json!({"period": f.federation.period, "reason": "矩阵更正"})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/federation/bundles",
            expect: whole((200, 200)),
            build: |_, _, _| ("/api/v1/federation/bundles?since=0&limit=5".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/federation/bundles",
            // No login: the bundle's signature is what is checked (it is held: unchanged).
            expect: [(200, 200); 9],
            build: |f, _, _| {
                (
                    "/api/v1/federation/bundles".into(),
                    Some(json!({"bundle": f.federation.bundle})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/federation/districts",
            expect: whole((200, 200)),
            build: |_, _, _| ("/api/v1/federation/districts".into(), None),
        },
        Op {
            method: "post",
            path: "/api/v1/federation/keys",
            expect: admins((201, 201)),
            build: |f, _, _| {
                (
                    "/api/v1/federation/keys".into(),
                    Some(json!({"code_list": f.federation.codes, "public_key": fresh_pem()})),
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/federation/keys/{id}/retire",
            expect: admins((200, 200)),
            build: |f, _, _| {
                (
                    format!("/api/v1/federation/keys/{}/retire", fresh_key(f)),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/federation/keys/{id}/revoke",
            expect: admins((200, 200)),
            build: |f, _, _| {
                (
                    format!("/api/v1/federation/keys/{}/revoke", fresh_key(f)),
                    None,
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/federation/summary",
            expect: whole((200, 200)),
            build: |f, _, _| {
                (
                    format!("/api/v1/federation/summary?period={}", f.federation.period),
                    None,
                )
            },
        },
        Op {
            method: "post",
            path: "/api/v1/federation/approvals",
            // The administrator approves first; after that it is approved already (409).
            expect: {
                let mut e = whole((409, 409));
                e[0] = (200, 409);
                e
            },
            build: |f, _, _| {
                (
                    "/api/v1/federation/approvals".into(),
                    Some(json!({"district": f.federation.district, "period": f.federation.period})),
                )
            },
        },
        Op {
            method: "get",
            path: "/api/v1/federation/reconciliation",
            expect: whole((200, 200)),
            build: |_, _, _| ("/api/v1/federation/reconciliation".into(), None),
        },
    ]
}
