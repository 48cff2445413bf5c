//! Every way a city refuses a bundle — tampered, signed by an unknown, expired, retired or
//! revoked key, meant for another city, naming streets or industries outside the district's
//! code list, malformed, a conflicting or stale revision — answers a problem+json of its own
//! type and changes nothing; archived bundles re-verify after their key is retired.

use base64::Engine;
use safety_alliance::federation::keys::{self, payload_bytes, Signer};
use safety_alliance::federation::model::{Bundle, Cell, CodeList, Counts};
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::federation::{city, code_list, district, enrol, CITY};

fn counts(found: i64) -> Counts {
    Counts {
        enterprises: 5,
        found,
        rectified: found / 2,
        on_time: found / 4,
        ..Default::default()
    }
}

pub(crate) fn bundle(list: &CodeList, revision: i32, found: i64) -> Bundle {
    Bundle {
        iss: list.district.code.clone(),
        aud: CITY.into(),
        iat: chrono::Utc::now().timestamp(),
        dataset: "oversight".into(),
        period: "2026-10".into(),
        revision,
        reason: if revision > 1 {
            "更正".into()
        } else {
            String::new()
        },
        code_list_version: list.version(),
        as_of: chrono::Utc::now().to_rfc3339(),
        cells: vec![
            Cell {
                street: list.streets[0].code.clone(),
                industry: list.industries[0].code.clone(),
                suppressed: false,
                counts: Some(counts(found)),
            },
            Cell {
                street: list.streets[1].code.clone(),
                industry: list.industries[0].code.clone(),
                suppressed: true,
                counts: None,
            },
        ],
        manifest: Vec::new(),
    }
}

pub(crate) fn post(city: &TestApp, jws: &str) -> crate::common::Response {
    city.anon()
        .post("/api/v1/federation/bundles", &json!({"bundle": jws}))
}

/// What the city holds: its figures of the period and its archive's reconciliation.
fn holding(admin: &crate::common::Client) -> Value {
    json!({
        "summary": admin.get("/api/v1/federation/summary?period=2026-10").body,
        "reconciliation": admin.get("/api/v1/federation/reconciliation").body,
    })
}

fn refused(city: &TestApp, jws: &str, status: u16, kind: &str) {
    let admin = city.login("admin");
    let before = holding(&admin);
    let r = post(city, jws);
    assert_eq!(r.status, status, "{kind}: {}", r.body);
    assert_eq!(
        r.body["type"],
        json!(format!("/problems/{kind}")),
        "{}",
        r.body
    );
    assert!(r.headers["content-type"].starts_with("application/problem+json"));
    assert_eq!(holding(&admin), before, "{kind} changed nothing");
}

fn enrol_window(city: &TestApp, list: &CodeList, pem: &str, from: &str, until: &str) -> Value {
    let r = city.login("admin").post(
        "/api/v1/federation/keys",
        &json!({"code_list": list, "public_key": pem, "not_before": from, "not_after": until}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

#[test]
fn refused_bundles_change_nothing_and_say_why() {
    let city = city();
    let district = district(&city, false);
    enrol(&city, &district);
    let list = code_list(&district);
    let signer = Signer::load(&district.platform.settings.federation_key_path()).unwrap();
    let first = signer.sign(&bundle(&list, 1, 8)).unwrap();
    let r = post(&city, &first);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["outcome"], "accepted");

    // Tampered: one count changed, the signature kept.
    let mut parts: Vec<String> = first.split('.').map(str::to_string).collect();
    let text = String::from_utf8(payload_bytes(&first).unwrap()).unwrap();
    let forged = text.replace("\"found\":8", "\"found\":2");
    assert_ne!(forged, text);
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    refused(&city, &parts.join("."), 403, "bad-signature");

    // A key the city never enrolled, even for an enrolled district's own code.
    let dir = tempfile::tempdir().unwrap();
    let stranger = keys::keygen(&dir.path().join("stranger.pem"), false).unwrap();
    let stranger_signer = Signer::load(&stranger.private_path).unwrap();
    refused(
        &city,
        &stranger_signer.sign(&bundle(&list, 2, 9)).unwrap(),
        403,
        "unknown-key",
    );
    // A district the city does not know.
    let mut other = bundle(&list, 1, 9);
    other.iss = "999999".into();
    refused(&city, &signer.sign(&other).unwrap(), 403, "unknown-key");

    // Expired, retired and revoked keys.
    let old = keys::keygen(&dir.path().join("old.pem"), false).unwrap();
    enrol_window(&city, &list, &old.public_pem, "2020-01-01", "2020-12-31");
    let old_signer = Signer::load(&old.private_path).unwrap();
    refused(
        &city,
        &old_signer.sign(&bundle(&list, 2, 9)).unwrap(),
        403,
        "key-expired",
    );
    let admin = city.login("admin");
    for (status, kind) in [("revoke", "key-revoked"), ("retire", "key-retired")] {
        let k = keys::keygen(&dir.path().join(format!("{status}.pem")), false).unwrap();
        let id = enrol_window(&city, &list, &k.public_pem, "2020-01-01", "2099-12-31")["id"]
            .as_i64()
            .unwrap();
        let r = admin.post(
            &format!("/api/v1/federation/keys/{id}/{status}"),
            &json!({}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let s = Signer::load(&k.private_path).unwrap();
        refused(&city, &s.sign(&bundle(&list, 2, 9)).unwrap(), 403, kind);
    }

    // Meant for another city.
    let mut elsewhere = bundle(&list, 2, 9);
    elsewhere.aud = "city:9999".into();
    refused(
        &city,
        &signer.sign(&elsewhere).unwrap(),
        403,
        "wrong-audience",
    );

    // Streets or industries outside the district's registered code list.
    let mut outside = bundle(&list, 2, 9);
    outside.cells[0].street = "000000999".into();
    outside.cells[1].industry = "no_such_industry".into();
    let jws = signer.sign(&outside).unwrap();
    refused(&city, &jws, 422, "validation");
    let fields = post(&city, &jws).error_fields();
    assert!(
        fields.contains(&"cells[0].street".to_string()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"cells[1].industry".to_string()),
        "{fields:?}"
    );
    // A small cell sent with its counts, or a count that cannot be.
    let mut small = bundle(&list, 2, 9);
    small.cells[0].counts.as_mut().unwrap().enterprises = 2;
    refused(&city, &signer.sign(&small).unwrap(), 422, "validation");
    let mut impossible = bundle(&list, 2, 9);
    impossible.cells[0].counts.as_mut().unwrap().rectified = 50;
    refused(&city, &signer.sign(&impossible).unwrap(), 422, "validation");
    // Not a bundle at all.
    refused(&city, "not.a-bundle", 422, "validation");

    // The same revision with other figures; then a newer one; then the first again (a replay).
    refused(
        &city,
        &signer.sign(&bundle(&list, 1, 10)).unwrap(),
        409,
        "revision-conflict",
    );
    let r = post(&city, &signer.sign(&bundle(&list, 2, 10)).unwrap());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["outcome"], "replaced");
    refused(&city, &first, 409, "stale-revision");
    let summary = admin.get("/api/v1/federation/summary?period=2026-10").body;
    assert_eq!(summary["figures"]["found"], 10);
    assert_eq!(summary["districts"][0]["revised"], true);
    assert_eq!(summary["suppressed"], 1);

    // Rotation with overlap: the next key is enrolled while the first still signs; both verify
    // until the first is retired; then only the next does, and the archive still re-verifies.
    let next = keys::keygen(&dir.path().join("next.pem"), false).unwrap();
    enrol_window(&city, &list, &next.public_pem, "2020-01-01", "2099-12-31");
    let next_signer = Signer::load(&next.private_path).unwrap();
    let r = post(&city, &next_signer.sign(&bundle(&list, 3, 11)).unwrap());
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(&city, &signer.sign(&bundle(&list, 4, 12)).unwrap());
    assert_eq!(r.status, 200, "{}", r.body);
    let first_key = admin.get("/api/v1/federation/districts").body[0]["keys"][0]["id"]
        .as_i64()
        .unwrap();
    let r = admin.post(
        &format!("/api/v1/federation/keys/{first_key}/retire"),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    refused(
        &city,
        &signer.sign(&bundle(&list, 5, 13)).unwrap(),
        403,
        "key-retired",
    );
    let r = post(&city, &next_signer.sign(&bundle(&list, 5, 13)).unwrap());
    assert_eq!(r.status, 200, "{}", r.body);
    let mut conn = city.platform.db.conn().unwrap();
    let (n, bad) = safety_alliance::federation::receive::reverify(&mut conn).unwrap();
    assert_eq!(n, 5);
    assert!(bad.is_empty(), "{bad:?}");
}
