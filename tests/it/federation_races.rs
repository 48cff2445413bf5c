//! Races (they matter on PostgreSQL, where receivers and publishers run side by side): the same
//! bundle posted at once is stored once; revisions posted at once leave the newest; publications
//! at once are numbered one after another, each once.

use std::collections::BTreeSet;

use safety_alliance::federation::keys::Signer;
use serde_json::json;

use crate::federation::{city, code_list, district, enrol};
use crate::federation_refusals::{bundle, post};

#[test]
fn racing_receipts_and_publications_store_and_number_each_once() {
    let city = city();
    let district = district(&city, false);
    enrol(&city, &district);
    let list = code_list(&district);
    let signer = Signer::load(&district.platform.settings.federation_key_path()).unwrap();

    let jws = signer.sign(&bundle(&list, 1, 8)).unwrap();
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| post(&city, &jws))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let outcomes: Vec<&str> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["outcome"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "accepted").count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == "unchanged").count(),
        3,
        "{outcomes:?}"
    );

    let newer: Vec<String> = (2..=5)
        .map(|rev| signer.sign(&bundle(&list, rev, 8 + rev as i64)).unwrap())
        .collect();
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = newer.iter().map(|j| s.spawn(|| post(&city, j))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &answers {
        assert!(
            r.status == 200 && r.body["outcome"] == "replaced"
                || r.status == 409 && r.body["type"] == "/problems/stale-revision",
            "{}",
            r.body
        );
    }
    let summary = city
        .login("admin")
        .get("/api/v1/federation/summary?period=2026-10")
        .body;
    assert_eq!(summary["districts"][0]["revision"], 5, "{summary}");
    assert_eq!(summary["figures"]["found"], 13);

    // Two approvals at once: one approves, the other is told it is approved already.
    let approvers = [city.login("admin"), city.login("district-regulator")];
    let body = json!({"district": list.district.code, "period": "2026-10", "revision": 5});
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = approvers
            .iter()
            .map(|c| s.spawn(|| c.post("/api/v1/federation/approvals", &body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![200, 409],
        "{:?}",
        answers.iter().map(|r| &r.body).collect::<Vec<_>>()
    );

    // Retiring and revoking one key at once: whichever comes second sees the first's status
    // (revoking a retired key is allowed; retiring a revoked one is not), and the key ends as
    // the last success left it.
    let admin = city.login("admin");
    let key = admin.get("/api/v1/federation/districts").body[0]["keys"][0]["id"]
        .as_i64()
        .unwrap();
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = ["retire", "revoke"]
            .iter()
            .map(|action| {
                let admin = admin.clone();
                s.spawn(move || {
                    (
                        *action,
                        admin.post(
                            &format!("/api/v1/federation/keys/{key}/{action}"),
                            &json!({}),
                        ),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let revoke = answers.iter().find(|(a, _)| *a == "revoke").unwrap();
    assert_eq!(
        revoke.1.status, 200,
        "revoking always succeeds: {}",
        revoke.1.body
    );
    let status = admin.get("/api/v1/federation/districts").body[0]["keys"][0]["status"].clone();
    assert_eq!(status, "revoked", "a revocation is never lost");

    let regulator = district.login("district-regulator");
    let year = crate::federation::this_year();
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    regulator.post(
                        "/api/v1/federation/publications",
                        &json!({"period": year, "reason": "并发更正"}),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let revisions: BTreeSet<i64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["revision"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(revisions, (1..=4).collect());
}
