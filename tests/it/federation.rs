//! Federation, district → city, in process: a district publishes what its preview showed, the
//! outbox delivers it, the city's figures are the district's exactly; a correction replaces the
//! scope and is marked; the same bundle again changes nothing; nothing that names an enterprise
//! is on the wire.

use chrono::Datelike;
use safety_alliance::federation::figures;
use safety_alliance::federation::keys::{self, payload_bytes};
use safety_alliance::federation::model::{CodeList, Counts};
use safety_alliance::notify::mail::Transport;
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::findings::report;
use crate::mail::drain;

pub(crate) const CITY: &str = "city:3701";

pub(crate) fn city() -> TestApp {
    TestApp::spawn_with(|s| s.federation_audience = Some(CITY.into()))
}

/// A district publishing to `city` (by push when `push`, else kept to be pulled).
pub(crate) fn district(city: &TestApp, push: bool) -> TestApp {
    let url = city.base.clone();
    TestApp::spawn_with(move |s| {
        s.federation_city = CITY.into();
        s.federation_city_url = push.then_some(url);
        s.federation_pull_token = Some(safety_alliance::secret::Secret::new(String::from(
            "pull-token-for-tests-0123456789",
        )));
    })
}

pub(crate) fn keygen(app: &TestApp) -> keys::Generated {
    keys::keygen(&app.platform.settings.federation_key_path(), false).expect("keygen")
}

pub(crate) fn code_list(app: &TestApp) -> CodeList {
    let mut conn = app.platform.db.conn().unwrap();
    figures::code_list(&mut conn).unwrap()
}

/// Enrols `district`'s key at `city` (a new key pair unless one exists).
pub(crate) fn enrol(city: &TestApp, district: &TestApp) -> Value {
    let path = district.platform.settings.federation_key_path();
    let pem = if path.exists() {
        std::fs::read_to_string(keys::public_path(&path)).unwrap()
    } else {
        keygen(district).public_pem
    };
    let r = city.login("admin").post(
        "/api/v1/federation/keys",
        &json!({"code_list": code_list(district), "public_key": pem}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// Delivers what the district's outbox holds.
pub(crate) fn deliver(app: &TestApp) -> usize {
    let worker = app.platform.worker(Transport::memory().0).unwrap();
    drain(&worker)
}

pub(crate) fn this_year() -> String {
    chrono::Utc::now().year().to_string()
}

/// The sum of the cells a preview sends with counts.
pub(crate) fn preview_sum(preview: &Value) -> Counts {
    let mut sum = Counts::default();
    for c in preview["cells"].as_array().unwrap() {
        if !c["counts"].is_null() {
            sum.add(&serde_json::from_value(c["counts"].clone()).unwrap());
        }
    }
    sum
}

pub(crate) fn assert_figures_are(figures: &Value, sum: &Counts, what: &str) {
    for (field, n) in [
        ("found", sum.found),
        ("rectified", sum.rectified),
        ("on_time", sum.on_time),
        ("overdue", sum.overdue),
        ("major_open", sum.major_open),
        ("inspection_batches", sum.inspection_batches),
        ("enterprises_inspected", sum.enterprises_inspected),
        ("inspections_planned", sum.inspections_planned),
        ("trainings", sum.trainings),
        ("warning_educations", sum.warning_educations),
        ("exchanges", sum.exchanges),
        ("attendances", sum.attendances),
    ] {
        assert_eq!(figures[field], json!(n), "{what}: {field}");
    }
}

#[test]
fn a_district_publishes_and_the_city_holds_exactly_its_figures() {
    let city = city();
    let district = district(&city, true);
    let made = keygen(&district);
    // The private key is its owner's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&made.private_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    enrol(&city, &district);
    let regulator = district.login("district-regulator");
    let year = this_year();
    let (member, lead) = (district.login("member"), district.login("lead"));
    for client in [&member, &member, &lead] {
        report(client, json!({}));
    }
    report(
        &lead,
        json!({"grade": "major", "title": "液化气瓶与明火同室"}),
    );

    // What would leave, before anything does.
    let preview = regulator.get(&format!("/api/v1/federation/preview?period={year}"));
    assert_eq!(preview.status, 200, "{}", preview.body);
    let preview = preview.body;
    assert_eq!(preview["revision"], 1);
    let cells = preview["cells"].as_array().unwrap();
    assert!(
        cells.iter().any(|c| c["suppressed"] == true),
        "a small cell is suppressed"
    );
    for c in cells {
        if c["suppressed"] == true {
            assert!(c["counts"].is_null());
        } else {
            assert!(c["counts"]["enterprises"].as_i64().unwrap() >= 3, "{c}");
        }
    }
    let sum = preview_sum(&preview);
    assert!(sum.found > 0, "the demo district found hazards this year");
    assert_figures_are(&preview["totals"], &sum, "preview totals");

    // Street regulators may not publish the district's figures; enterprises see nothing.
    assert_eq!(
        district
            .login("street-regulator")
            .post("/api/v1/federation/publications", &json!({"period": year}))
            .status,
        403
    );
    assert_eq!(
        district
            .login("member")
            .get("/api/v1/federation/preview")
            .status,
        404
    );

    // What was shown is what is sent: a hazard reported since the preview was read refuses
    // the publication made with the preview's hash.
    let admin = district.login("admin");
    let shown = cells_hash_changed_by_a_report(&district, &preview);
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": year, "preview_hash": shown}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/figures-changed");
    let preview = regulator
        .get(&format!("/api/v1/federation/preview?period={year}"))
        .body;
    let sum = preview_sum(&preview);
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": year, "preview_hash": preview["cells_hash"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["delivery"], "pending");
    deliver(&district);
    let sent = regulator.get("/api/v1/federation/publications").body;
    assert_eq!(sent[0]["delivery"], "delivered", "{sent}");

    // Nothing on the wire names an enterprise, a person or an address.
    let pulled = district
        .anon()
        .with_token("pull-token-for-tests-0123456789")
        .get("/api/v1/federation/bundles?since=0");
    assert_eq!(pulled.status, 200, "{}", pulled.body);
    let jws = pulled.body["items"][0]["bundle"]
        .as_str()
        .unwrap()
        .to_string();
    let payload = String::from_utf8(payload_bytes(&jws).unwrap()).unwrap();
    let enterprises = admin.get("/api/v1/enterprises?per_page=100").body;
    for e in enterprises["items"].as_array().unwrap() {
        for field in [
            "name",
            "credit_code",
            "address",
            "contact_name",
            "contact_phone",
        ] {
            let text = e[field].as_str().unwrap_or_default();
            if text.chars().count() >= 3 {
                assert!(!payload.contains(text), "{field} {text} is on the wire");
            }
        }
    }
    for text in ["后厨燃气软管老化", "液化气瓶与明火同室", "王芳", "后厨灶台"]
    {
        assert!(!payload.contains(text), "{text} is on the wire");
    }
    for (_, (email, _)) in district.logins.iter() {
        assert!(!payload.contains(email.as_str()));
    }

    // The city's figures are the district's, exactly, cell by cell summed.
    let city_admin = city.login("admin");
    let summary = city_admin.get(&format!("/api/v1/federation/summary?period={year}"));
    assert_eq!(summary.status, 200, "{}", summary.body);
    let summary = summary.body;
    assert_figures_are(&summary["figures"], &sum, "city total");
    let line = &summary["districts"][0];
    assert_eq!(line["status"], "received");
    assert_eq!(line["revision"], 1);
    assert_eq!(line["revised"], false);
    assert_figures_are(&line["figures"], &sum, "the district's line");
    assert_eq!(summary["suppressed"], preview["suppressed"]);

    // The same bundle again is a no-op.
    let again = city
        .anon()
        .post("/api/v1/federation/bundles", &json!({"bundle": jws}));
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["outcome"], "unchanged");

    // A correction needs its reason, then replaces the scope and is marked revised.
    let r = regulator.post("/api/v1/federation/publications", &json!({"period": year}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), vec!["reason"]);
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": year, "reason": "两家企业的隐患重复录入，已核销"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["revision"], 2);
    deliver(&district);
    let summary = city_admin
        .get(&format!("/api/v1/federation/summary?period={year}"))
        .body;
    assert_eq!(summary["districts"][0]["revision"], 2);
    assert_eq!(summary["districts"][0]["revised"], true);

    // The first revision again is stale: refused, nothing changed.
    let stale = city
        .anon()
        .post("/api/v1/federation/bundles", &json!({"bundle": jws}));
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert_eq!(stale.body["type"], "/problems/stale-revision");
    let after = city_admin
        .get(&format!("/api/v1/federation/summary?period={year}"))
        .body;
    assert_eq!(after["districts"][0]["revision"], 2);

    // Approval locks the period; the reconciliation finds the city in step with the district.
    let code = code_list(&district).district.code;
    // Approving what one did not read (revision 1, while 2 is held) is refused.
    let r = city_admin.post(
        "/api/v1/federation/approvals",
        &json!({"district": code, "period": year, "revision": 1}),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.body["type"], "/problems/revision-changed");
    let r = city_admin.post(
        "/api/v1/federation/approvals",
        &json!({"district": code, "period": year, "revision": 2}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["state"], "approved");
    let recon = city_admin.get("/api/v1/federation/reconciliation").body;
    let row = recon
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period"] == json!(year))
        .unwrap();
    assert_eq!(row["status"], "match", "{recon}");
    assert_eq!(row["city_revision"], 2);
    assert_eq!(row["missing_revisions"], json!([]));

    // A month's bundle feeds the city's monthly trend.
    let month = chrono::Utc::now()
        .with_timezone(&safety_alliance::db::types::shanghai())
        .format("%Y-%m")
        .to_string();
    let mp = regulator
        .get(&format!("/api/v1/federation/preview?period={month}"))
        .body;
    let r = regulator.post(
        "/api/v1/federation/publications",
        &json!({"period": month, "preview_hash": mp["cells_hash"]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    deliver(&district);
    let summary = city_admin
        .get(&format!("/api/v1/federation/summary?period={month}"))
        .body;
    let months = summary["by_month"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[11]["key"], json!(month));
    assert_figures_are(&months[11], &preview_sum(&mp), "this month in the trend");
}

/// Reports a hazard at an enterprise of a cell the preview sends with counts; the preview's
/// `cells_hash` (now stale).
fn cells_hash_changed_by_a_report(district: &TestApp, preview: &Value) -> Value {
    let admin = district.login("admin");
    let codes = |list: &str| -> std::collections::HashMap<i64, String> {
        admin.get(&format!("/api/v1/{list}?per_page=100")).body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (regions, industries) = (codes("regions"), codes("industries"));
    let sent: Vec<(String, String)> = preview["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["suppressed"] == false)
        .map(|c| {
            (
                c["street"].as_str().unwrap().into(),
                c["industry"].as_str().unwrap().into(),
            )
        })
        .collect();
    let enterprises = admin.get("/api/v1/enterprises?per_page=100").body;
    let target = enterprises["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            let street = &regions[&e["region_id"].as_i64().unwrap()];
            let industry = &industries[&e["industry_id"].as_i64().unwrap()];
            sent.contains(&(street.clone(), industry.clone()))
        })
        .expect("an enterprise of a cell sent with counts");
    let r = admin.post(
        "/api/v1/findings",
        &json!({"enterprise_id": target["id"], "title": "预览之后上报", "category": "fire",
                "grade": "general", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    preview["cells_hash"].clone()
}

/// A cell counts the enterprises its figures come from, nothing wider: one enterprise registered
/// at the district itself makes the district's own cell of its industry a cell of one (sent
/// suppressed), however many of that industry the streets hold.
#[test]
fn a_cell_counts_only_the_enterprises_its_figures_come_from() {
    let city = city();
    let district = district(&city, false);
    let admin = district.login("admin");
    let regions = admin.get("/api/v1/regions?per_page=100").body;
    let root = regions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["parent_id"].is_null())
        .unwrap()
        .clone();
    let industries = admin.get("/api/v1/industries?per_page=100").body;
    let catering = industries["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "catering_gas")
        .unwrap()
        .clone();
    let r = admin.post(
        "/api/v1/enterprises",
        &json!({"name": "区直属燃气餐饮企业", "credit_code": crate::common::new_credit_code(),
                "region_id": root["id"], "industry_id": catering["id"], "scale": "small_micro"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin.post(
        "/api/v1/findings",
        &json!({"enterprise_id": r.body["id"], "title": "区直属企业隐患", "category": "fire",
                "grade": "major", "treatment": "on_the_spot"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let preview = district
        .login("district-regulator")
        .get(&format!(
            "/api/v1/federation/preview?period={}",
            this_year()
        ))
        .body;
    let cell = preview["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["street"] == root["code"] && c["industry"] == "catering_gas")
        .unwrap_or_else(|| panic!("the district's own cell: {preview}"));
    assert_eq!(cell["suppressed"], true, "{cell}");
    assert!(cell["counts"].is_null());
}
