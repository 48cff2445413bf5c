//! End to end, as deployed: two district instances and a city instance run as real processes
//! on local ports (each on its own database). The districts hold different synthetic data, make
//! their keys and code lists with the command line, the city enrols them with the command line,
//! each district publishes through its outbox, and the city's figures are exactly the sum of
//! the districts' unsuppressed cells. Then a district corrects a period and the city follows.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use safety_alliance::federation::keys::payload_bytes;
use safety_alliance::federation::model::{Bundle, Counts};
use serde_json::{json, Value};

use crate::common::{fresh_pg, test_database_url, PgDatabase};
use crate::durability::{command, free_port, login};
use crate::federation::{assert_figures_are, CITY};

const PULL_TOKEN: &str = "e2e-pull-token-0123456789abcdef";

struct Instance {
    dir: tempfile::TempDir,
    port: u16,
    url: Option<String>,
    child: Option<Child>,
    _pg: Option<PgDatabase>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Instance {
    fn new() -> Instance {
        let pg = test_database_url().map(|admin| fresh_pg(&admin));
        Instance {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            url: pg.as_ref().map(|(u, _)| u.clone()),
            child: None,
            _pg: pg.map(|(_, db)| db),
        }
    }

    fn cli(&self, env: &[(&str, String)], args: &[&str]) -> String {
        let out = command(self.dir.path(), self.url.as_deref(), 0)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn start(&mut self, env: &[(&str, String)]) {
        let child = command(self.dir.path(), self.url.as_deref(), self.port)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&format!("http://127.0.0.1:{}/readyz", self.port))
            .call()
            .is_err()
        {
            assert!(Instant::now() < deadline, "instance did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn token(&self, label: &str) -> String {
        login(self.port, self.dir.path(), label)
    }

    fn call(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let req = ureq::request(method, &format!("http://127.0.0.1:{}{path}", self.port))
            .set("Authorization", &format!("Bearer {token}"));
        let answer = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match answer {
            Ok(r) => (r.status(), r.into_json().unwrap_or(Value::Null)),
            Err(ureq::Error::Status(s, r)) => (s, r.into_json().unwrap_or(Value::Null)),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }
}

/// A district with synthetic data of its own, publishing to the city at `city_port`.
fn district(rng_seed: &str, city_port: u16) -> Instance {
    let mut d = Instance::new();
    d.cli(
        &[],
        &[
            "seed",
            "--synthetic",
            "--enterprises",
            "150",
            "--findings",
            "1500",
            "--rng-seed",
            rng_seed,
        ],
    );
    d.start(&[
        ("SA_FEDERATION_CITY", CITY.to_string()),
        (
            "SA_FEDERATION_CITY_URL",
            format!("http://127.0.0.1:{city_port}"),
        ),
        ("SA_OUTBOX_POLL_MS", "200".to_string()),
        ("SA_FEDERATION_PULL_TOKEN", PULL_TOKEN.to_string()),
    ]);
    d
}

/// The district's registry codes moved from one district code to another (a second district).
fn recode(d: &Instance, from: &str, to: &str) {
    let admin = d.token("admin");
    let (_, regions) = d.call(&admin, "GET", "/api/v1/regions?per_page=100", None);
    for r in regions["items"].as_array().unwrap() {
        let code = r["code"].as_str().unwrap();
        if let Some(rest) = code.strip_prefix(from) {
            let (status, body) = d.call(
                &admin,
                "PATCH",
                &format!("/api/v1/regions/{}", r["id"]),
                Some(json!({"code": format!("{to}{rest}"), "name": format!("{}（乙）", r["name"].as_str().unwrap())})),
            );
            assert_eq!(status, 200, "{body}");
        }
    }
}

/// Publishes `period`, waits until the outbox delivered it, and answers the bundle as sent.
fn publish(d: &Instance, period: &str, reason: &str) -> Bundle {
    let token = d.token("district-regulator");
    let (status, body) = d.call(
        &token,
        "POST",
        "/api/v1/federation/publications",
        Some(json!({"period": period, "reason": reason})),
    );
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, list) = d.call(&token, "GET", "/api/v1/federation/publications", None);
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == json!(id))
            .unwrap()
            .clone();
        if mine["delivery"] == "delivered" {
            break;
        }
        assert_ne!(mine["delivery"], "refused", "{mine}");
        assert!(Instant::now() < deadline, "not delivered: {mine}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, pulled) = d.call(
        &token,
        "GET",
        &format!("/api/v1/federation/bundles?since={}", id - 1),
        None,
    );
    let jws = pulled["items"][0]["bundle"].as_str().unwrap();
    serde_json::from_slice(&payload_bytes(jws).unwrap()).unwrap()
}

fn sums(b: &Bundle) -> (Counts, std::collections::BTreeMap<String, Counts>) {
    let mut total = Counts::default();
    let mut by_street = std::collections::BTreeMap::new();
    for c in &b.cells {
        if let Some(n) = &c.counts {
            total.add(n);
            by_street
                .entry(format!("{}/{}", b.iss, c.street))
                .or_insert_with(Counts::default)
                .add(n);
        }
    }
    (total, by_street)
}

fn enrol(city: &Instance, d: &Instance, name: &str) {
    d.cli(&[], &["federation", "keygen"]);
    let codes = d.cli(&[], &["federation", "codes"]);
    let codes_file = city.dir.path().join(format!("{name}-codes.json"));
    std::fs::write(&codes_file, codes).unwrap();
    let key = d.dir.path().join("federation/signing-key.pub.pem");
    let key_file = city.dir.path().join(format!("{name}.pub.pem"));
    std::fs::copy(&key, &key_file).unwrap();
    let out = city.cli(
        &[],
        &[
            "federation",
            "enrol",
            "--codes",
            path(&codes_file),
            "--key",
            path(&key_file),
        ],
    );
    assert!(out.contains("enrolled key"), "{out}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn two_districts_publish_and_the_city_sums_them_exactly() {
    let mut city = Instance::new();
    if city.url.is_some() {
        city.cli(&[], &["seed", "--demo"]);
    }
    city.start(&[("SA_FEDERATION_AUDIENCE", CITY.to_string())]);
    let d1 = district("11", city.port);
    let d2 = district("12", city.port);
    recode(&d2, "370115", "370116");
    enrol(&city, &d1, "d1");
    enrol(&city, &d2, "d2");
    let year = chrono::Utc::now()
        .with_timezone(&safety_alliance::db::types::shanghai())
        .format("%Y")
        .to_string();

    let b1 = publish(&d1, &year, "");
    let b2 = publish(&d2, &year, "");
    assert_ne!(b1.iss, b2.iss);
    let (t1, s1) = sums(&b1);
    let (t2, s2) = sums(&b2);
    assert!(t1.found > 0 && t2.found > 0);
    assert_ne!(t1, t2, "the districts hold different data");

    let admin = city.token("admin");
    let check =
        |t1: &Counts, t2: &Counts, streets: &[&std::collections::BTreeMap<String, Counts>]| {
            let (status, summary) = city.call(
                &admin,
                "GET",
                &format!("/api/v1/federation/summary?period={year}"),
                None,
            );
            assert_eq!(status, 200, "{summary}");
            let mut total = *t1;
            total.add(t2);
            assert_figures_are(&summary["figures"], &total, "city total");
            for (b, t) in [(&b1, t1), (&b2, t2)] {
                let line = summary["districts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["code"] == json!(b.iss))
                    .unwrap();
                assert_figures_are(&line["figures"], t, &b.iss);
            }
            let mut expected = std::collections::BTreeMap::new();
            for s in streets {
                for (k, v) in s.iter() {
                    expected.insert(k.clone(), *v);
                }
            }
            let rows = summary["by_street"].as_array().unwrap();
            assert_eq!(rows.len(), expected.len());
            for row in rows {
                let key = row["key"].as_str().unwrap();
                assert_figures_are(row, &expected[key], key);
            }
            summary
        };
    check(&t1, &t2, &[&s1, &s2]);

    // District 1 corrects the period: a hazard was missed.
    let d1_admin = d1.token("admin");
    let (_, enterprises) = d1.call(&d1_admin, "GET", "/api/v1/enterprises?per_page=1", None);
    let (status, body) = d1.call(
        &d1_admin,
        "POST",
        "/api/v1/findings",
        Some(
            json!({"enterprise_id": enterprises["items"][0]["id"], "title": "补录隐患",
                    "category": "fire", "grade": "general", "treatment": "on_the_spot"}),
        ),
    );
    assert_eq!(status, 201, "{body}");
    let c1 = publish(&d1, &year, "补录一条漏报隐患");
    assert_eq!(c1.revision, 2);
    let (ct1, cs1) = sums(&c1);
    let summary = check(&ct1, &t2, &[&cs1, &s2]);
    let line = summary["districts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == json!(c1.iss))
        .unwrap();
    assert_eq!(line["revision"], 2);
    assert_eq!(line["revised"], true);
    let (_, recon) = city.call(&admin, "GET", "/api/v1/federation/reconciliation", None);
    for row in recon.as_array().unwrap() {
        assert_eq!(row["status"], "match", "{row}");
    }
    // The city may also pull: what it holds already changes nothing.
    let out = city.cli(
        &[("SA_FEDERATION_AUDIENCE", CITY.to_string())],
        &[
            "federation",
            "pull",
            "--from",
            &format!("http://127.0.0.1:{}", d1.port),
            "--token",
            PULL_TOKEN,
        ],
    );
    assert_eq!(out.matches(": unchanged").count(), 1, "{out}");
    assert_eq!(out.matches("stale-revision").count(), 1, "{out}");
    // Every archived bundle re-verifies with its key.
    let out = city.cli(&[], &["federation", "verify"]);
    assert!(out.contains("3 archived bundle(s) verified"), "{out}");
}
