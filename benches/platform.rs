//! The platform benchmark: a synthetic district (10,000 enterprises, many findings) served by the
//! real server, measured against limits measured in the same run on the same machine:
//!
//! - the raw SQLite commit rate (one row per transaction, same durability setting),
//! - the bare actix-web rate (a JSON endpoint that does nothing).
//!
//! `cargo bench --bench platform -- [--findings N] [--seconds S] [--clients C] [--runs R]`
//! (defaults: 200,000 findings, 3 s per measurement, 16 clients, 3 runs; medians are reported).

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use safety_alliance::config::Settings;
use safety_alliance::db::schema::{enterprises, findings};
use safety_alliance::db::types::now;
use safety_alliance::{seed, Platform};
use serde_json::json;

struct Args {
    findings: usize,
    seconds: u64,
    clients: usize,
    runs: usize,
}

fn args() -> Args {
    let mut a = Args {
        findings: 200_000,
        seconds: 3,
        clients: 16,
        runs: 3,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let value = argv.get(i + 1).and_then(|v| v.parse::<usize>().ok());
        match (argv[i].as_str(), value) {
            ("--findings", Some(v)) => a.findings = v,
            ("--seconds", Some(v)) => a.seconds = v as u64,
            ("--clients", Some(v)) => a.clients = v.max(1),
            ("--runs", Some(v)) => a.runs = v.max(1),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// One measurement: requests per second and latency percentiles.
#[derive(Clone, Copy)]
struct Rate {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn median(mut runs: Vec<Rate>) -> Rate {
    runs.sort_by(|a, b| a.per_sec.total_cmp(&b.per_sec));
    runs[runs.len() / 2]
}

/// Runs `clients` threads calling `call` for `seconds`; `call` returns whether it succeeded.
fn load<F>(clients: usize, seconds: u64, make: impl Fn(usize) -> F) -> Rate
where
    F: FnMut() -> bool + Send + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let mut call = make(i);
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    assert!(call(), "a benchmark request failed");
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                latencies
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    Rate {
        per_sec: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build()
}

/// The raw SQLite limit: one-row commits from one thread, at the platform's durability setting.
fn raw_sqlite_commits(dir: &std::path::Path, seconds: u64) -> Rate {
    let path = dir.join("raw.db");
    let mut conn = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);")
        .unwrap();
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = Instant::now();
        conn.batch_execute("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('hazard'); COMMIT;")
            .unwrap();
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let n = latencies.len();
    latencies.sort_by(f64::total_cmp);
    Rate {
        per_sec: n as f64 / started.elapsed().as_secs_f64(),
        p50_ms: latencies[n / 2],
        p99_ms: latencies[(n * 99 / 100).min(n - 1)],
    }
}

/// The bare framework limit: an actix-web JSON endpoint that does nothing, same worker count.
fn bare_actix() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(|| {
                actix_web::App::new().route(
                    "/",
                    actix_web::web::get()
                        .to(|| async { actix_web::HttpResponse::Ok().json(json!({"ok": true})) }),
                )
            })
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    format!("http://{addr}/")
}

/// Adds the synthetic district: 10,000 enterprises and `n` findings spread over them.
fn synthetic_district(platform: &Platform, n: usize) {
    let mut conn = platform.db.conn().unwrap();
    let reporter: i64 = 1;
    let alphabet = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    safety_alliance::db::write_tx(&mut conn, |conn| {
        let now = now();
        for i in 0..10_000usize {
            let mut body = String::from("91370115");
            let mut x = i + 1_000_000;
            for _ in 0..9 {
                body.push(alphabet[x % 31] as char);
                x /= 31;
            }
            let code = format!(
                "{body}{}",
                safety_alliance::org::credit_code::check_char(&body).unwrap()
            );
            diesel::insert_into(enterprises::table)
                .values((
                    enterprises::name.eq(format!("合成企业{i:05}")),
                    enterprises::credit_code.eq(code),
                    enterprises::region_id.eq(2 + (i % 7) as i64),
                    enterprises::industry_id.eq(1 + (i % 9) as i64),
                    enterprises::scale.eq(if i % 5 == 0 {
                        "above_scale"
                    } else {
                        "small_micro"
                    }),
                    enterprises::address.eq(""),
                    enterprises::contact_name.eq(""),
                    enterprises::contact_phone.eq(""),
                    enterprises::created_at.eq(now),
                    enterprises::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
    let first: i64 = enterprises::table
        .select(diesel::dsl::min(enterprises::id))
        .first::<Option<i64>>(&mut conn)
        .unwrap()
        .unwrap();
    let states = [
        "reported",
        "rectifying",
        "awaiting_review",
        "closed",
        "closed",
        "closed",
    ];
    for chunk in (0..n).collect::<Vec<_>>().chunks(20_000) {
        safety_alliance::db::write_tx(&mut conn, |conn| {
            let now = now();
            for &i in chunk {
                diesel::insert_into(findings::table)
                    .values((
                        findings::enterprise_id.eq(first + (i % 10_061) as i64),
                        findings::source.eq("self_check"),
                        findings::title.eq("合成隐患"),
                        findings::description.eq(""),
                        findings::cause.eq(""),
                        findings::category.eq("fire"),
                        findings::grade.eq(if i % 50 == 0 { "major" } else { "general" }),
                        findings::treatment.eq("on_the_spot"),
                        findings::location.eq(""),
                        findings::measures.eq(""),
                        findings::responsible_person.eq(""),
                        findings::state.eq(states[i % states.len()]),
                        findings::shared.eq(false),
                        findings::reported_by.eq(reporter),
                        findings::reported_at.eq(now - chrono::Duration::minutes((n - i) as i64)),
                        findings::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .unwrap();
    }
    // Loaded around the service: oversight's counters are counted afresh.
    safety_alliance::db::write_tx(&mut conn, safety_alliance::oversight::figures::rebuild).unwrap();
}

/// The dashboard's hazard figures counted from the findings themselves (what the counters spare
/// every request): found and rectified per region, industry, category and month of this year,
/// and the open ones now. Milliseconds for one count.
fn naive_summary_ms(platform: &Platform) -> f64 {
    #[derive(diesel::QueryableByName)]
    #[allow(dead_code)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = platform.db.conn().unwrap();
    let year_start = format!(
        "{}-01-01 00:00:00",
        chrono::Datelike::year(&chrono::Utc::now())
    );
    let t = Instant::now();
    let grouped: Vec<Row> = diesel::sql_query(format!(
        "SELECT COUNT(*) + SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END) AS n FROM findings \
         WHERE reported_at >= '{year_start}' AND state <> 'voided' \
         GROUP BY region_id, industry_id, COALESCE(alliance_id, 0), category, \
                  strftime('%Y-%m', reported_at, '+8 hours')"
    ))
    .load(&mut *conn)
    .unwrap();
    let open: Vec<Row> = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM findings WHERE state IN ('reported', 'rectifying', 'awaiting_review') \
         GROUP BY region_id, industry_id, COALESCE(alliance_id, 0), category, grade, state, deadline",
    )
    .load(&mut *conn)
    .unwrap();
    assert!(!grouped.is_empty() || open.is_empty());
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    // SA_BENCH_DIR keeps the district for inspection afterwards.
    let kept = std::env::var("SA_BENCH_DIR")
        .ok()
        .map(std::path::PathBuf::from);
    let data_dir = kept.clone().unwrap_or_else(|| dir.path().to_path_buf());
    let mut settings = Settings::for_data_dir(&data_dir);
    settings.workers = Some(2);
    let (platform, prepared) = Platform::prepare(settings).expect("platform");
    let logins: std::collections::HashMap<String, (String, String)> = prepared
        .demo_logins
        .into_iter()
        .chain(
            if platform.db.backend() == safety_alliance::db::Backend::Sqlite {
                vec![]
            } else {
                seed::load_demo(&mut platform.db.conn().unwrap()).unwrap()
            },
        )
        .map(|l| (l.label, (l.email, l.password)))
        .collect();
    let t = Instant::now();
    synthetic_district(&platform, a.findings);
    println!(
        "synthetic district: 10,000 enterprises, {} findings, loaded in {:.1} s",
        a.findings,
        t.elapsed().as_secs_f64()
    );

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server_platform = platform.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new()
            .block_on(async move { server_platform.server(listener).unwrap().await })
    });
    std::thread::sleep(Duration::from_millis(300));
    let token = |label: &str| -> String {
        let (email, password) = &logins[label];
        let r: serde_json::Value = agent()
            .post(&format!("{base}/api/v1/auth/login"))
            .send_json(json!({"email": email, "password": password}))
            .unwrap()
            .into_json()
            .unwrap();
        format!("Bearer {}", r["access_token"].as_str().unwrap())
    };
    let member = token("member");
    let regulator = token("district-regulator");

    let bare = bare_actix();
    std::thread::sleep(Duration::from_millis(200));
    let (mut raw, mut framework, mut report, mut list, mut read) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut dashboard, mut naive) = (vec![], vec![]);
    let mut sample_id = 0i64;
    for run in 0..a.runs {
        raw.push(raw_sqlite_commits(dir.path(), a.seconds));
        std::fs::remove_file(dir.path().join("raw.db")).ok();
        let url = bare.clone();
        framework.push(load(a.clients, a.seconds, move |_| {
            let (agent, url) = (agent(), url.clone());
            move || agent.get(&url).call().is_ok()
        }));
        let (b, m) = (base.clone(), member.clone());
        report.push(load(a.clients, a.seconds, move |client| {
            let (agent, b, m) = (agent(), b.clone(), m.clone());
            let mut k = 0u64;
            move || {
                k += 1;
                agent
                    .post(&format!("{b}/api/v1/findings"))
                    .set("Authorization", &m)
                    .set("Idempotency-Key", &format!("bench-{run}-{client}-{k}"))
                    .send_json(json!({"title": "压测隐患", "category": "fire", "grade": "general", "treatment": "on_the_spot"}))
                    .map(|r| r.status() == 201)
                    .unwrap_or(false)
            }
        }));
        let (b, r) = (base.clone(), regulator.clone());
        list.push(load(a.clients, a.seconds, move |_| {
            let (agent, b, r) = (agent(), b.clone(), r.clone());
            move || {
                agent
                    .get(&format!("{b}/api/v1/findings?per_page=20"))
                    .set("Authorization", &r)
                    .call()
                    .is_ok()
            }
        }));
        if sample_id == 0 {
            let v: serde_json::Value = agent()
                .get(&format!("{base}/api/v1/findings?per_page=1"))
                .set("Authorization", &member)
                .call()
                .unwrap()
                .into_json()
                .unwrap();
            sample_id = v["items"][0]["id"].as_i64().unwrap();
        }
        let (b, m) = (base.clone(), member.clone());
        read.push(load(a.clients, a.seconds, move |_| {
            let (agent, b, m) = (agent(), b.clone(), m.clone());
            move || {
                agent
                    .get(&format!("{b}/api/v1/findings/{sample_id}"))
                    .set("Authorization", &m)
                    .call()
                    .is_ok()
            }
        }));
    }
    for _ in 0..a.runs {
        let (b, r) = (base.clone(), regulator.clone());
        dashboard.push(load(a.clients, a.seconds, move |_| {
            let (agent, b, r) = (agent(), b.clone(), r.clone());
            move || {
                agent
                    .get(&format!("{b}/api/v1/oversight/summary"))
                    .set("Authorization", &r)
                    .call()
                    .is_ok()
            }
        }));
        naive.push(naive_summary_ms(&platform));
    }
    // One request alone (no queue): what a regulator waits for.
    let single: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            agent()
                .get(&format!("{base}/api/v1/oversight/summary"))
                .set("Authorization", &regulator)
                .call()
                .unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (raw, framework) = (median(raw), median(framework));
    println!(
        "\nmedians of {} runs, {} s each, {} clients, 2 server workers, SQLite synchronous=FULL\n",
        a.runs, a.seconds, a.clients
    );
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>8}",
        "measurement", "req/s", "p50 ms", "p99 ms", "ratio"
    );
    let line = |name: &str, r: Rate, limit: Option<Rate>| {
        let ratio = limit
            .map(|l| format!("{:.2}", r.per_sec / l.per_sec))
            .unwrap_or_else(|| "limit".into());
        println!(
            "{name:<44} {:>10.0} {:>9.2} {:>9.2} {:>8}",
            r.per_sec, r.p50_ms, r.p99_ms, ratio
        );
    };
    line("raw SQLite one-row commits (1 thread)", raw, None);
    line("bare actix-web JSON endpoint", framework, None);
    line(
        "POST /findings (member, idempotent) vs raw",
        median(report),
        Some(raw),
    );
    line(
        "GET /findings?per_page=20 (district) vs bare",
        median(list),
        Some(framework),
    );
    line(
        "GET /findings/{id} (member) vs bare",
        median(read),
        Some(framework),
    );
    line(
        "GET /oversight/summary (district) vs bare",
        median(dashboard),
        Some(framework),
    );
    let mid = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    println!(
        "\nGET /oversight/summary alone: median {:.1} ms; the same hazard figures counted from the \
         findings table (naive): median {:.1} ms",
        mid(single),
        mid(naive)
    );
}
