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
