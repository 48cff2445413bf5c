//! `seed --synthetic`: a district of any size, the same for the same seed, that the platform
//! serves like any other.

use diesel::prelude::*;
use safety_alliance::db::schema::{alliances, events, findings, inspections, memberships};
use safety_alliance::seed::synthetic::{generate, Options};

use crate::common::{fresh_pg, test_database_url};
use crate::durability::{command, free_port, login, start};

fn options(seed: u64) -> Options {
    Options {
        enterprises: 120,
        findings: 4_000,
        rng_seed: seed,
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
        progress: false,
    }
}

/// A fresh database (SQLite in `dir`, or PostgreSQL), migrated.
fn fresh(
    dir: &std::path::Path,
    name: &str,
) -> (safety_alliance::db::Db, Option<crate::common::PgDatabase>) {
    let (url, pg) = match test_database_url() {
        Some(admin) => {
            let (url, db) = fresh_pg(&admin);
            (url, Some(db))
        }
        None => (format!("sqlite://{}", dir.join(name).display()), None),
    };
    let db = safety_alliance::db::Db::connect(&url, 2, safety_alliance::config::SqliteSync::Normal)
        .unwrap();
    db.run_migrations().unwrap();
    (db, pg)
}

/// What a district holds, row by row (for comparing two of them).
fn digest(conn: &mut safety_alliance::db::AnyConnection) -> Vec<String> {
    let mut out: Vec<String> = findings::table
        .order(findings::id)
        .select((
            findings::id,
            findings::enterprise_id,
            findings::title,
            findings::state,
            findings::grade,
            findings::category,
            findings::reported_at,
            findings::deadline,
            findings::closed_at,
        ))
        .load::<(
            i64,
            i64,
            String,
            String,
            String,
            String,
            chrono::NaiveDateTime,
            Option<chrono::NaiveDate>,
            Option<chrono::NaiveDateTime>,
        )>(conn)
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}"))
        .collect();
    out.extend(
        memberships::table
            .order(memberships::id)
            .select((
                memberships::alliance_id,
                memberships::enterprise_id,
                memberships::role,
            ))
            .load::<(i64, i64, String)>(conn)
            .unwrap()
            .into_iter()
            .map(|r| format!("{r:?}")),
    );
    out
}

#[test]
fn the_same_seed_gives_the_same_district_with_every_state_grade_and_category() {
    let dir = tempfile::tempdir().unwrap();
    let (one, _pg1) = fresh(dir.path(), "one.db");
    let (two, _pg2) = fresh(dir.path(), "two.db");
    let (other, _pg3) = fresh(dir.path(), "three.db");
    let made = generate(&mut one.conn().unwrap(), &options(7)).unwrap();
    generate(&mut two.conn().unwrap(), &options(7)).unwrap();
    generate(&mut other.conn().unwrap(), &options(8)).unwrap();
    assert_eq!(made.findings, 4_000);
    assert_eq!(made.enterprises, 120);
    let (a, b, c) = (
        digest(&mut one.conn().unwrap()),
        digest(&mut two.conn().unwrap()),
        digest(&mut other.conn().unwrap()),
    );
    assert_eq!(a, b, "same seed, same district");
    assert_ne!(a, c, "another seed, another district");

    let mut conn = one.conn().unwrap();
    let conn = &mut conn;
    let distinct = |column: &str, conn: &mut safety_alliance::db::AnyConnection| -> usize {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!(
            "SELECT COUNT(DISTINCT {column}) AS n FROM findings"
        ))
        .get_result::<N>(conn)
        .unwrap()
        .n as usize
    };
    assert_eq!(distinct("state", conn), 5, "every state");
    assert_eq!(distinct("grade", conn), 2, "both grades");
    assert_eq!(distinct("category", conn), 8, "every category");
    assert_eq!(distinct("source", conn), 4, "every source");
    let as_of = options(7).as_of;
    let overdue: i64 = findings::table
        .filter(findings::state.eq_any(["reported", "rectifying"]))
        .filter(findings::deadline.lt(as_of))
        .count()
        .get_result(conn)
        .unwrap();
    assert!(overdue > 0, "some are overdue");
    // Dual memberships: some enterprise belongs to two alliances.
    let dual: i64 = memberships::table
        .group_by(memberships::enterprise_id)
        .having(diesel::dsl::count_star().gt(1))
        .select(memberships::enterprise_id)
        .load::<i64>(conn)
        .unwrap()
        .len() as i64;
    assert!(dual > 0, "some enterprises are in two alliances");
    assert!(alliances::table.count().get_result::<i64>(conn).unwrap() >= 2);
    assert!(inspections::table.count().get_result::<i64>(conn).unwrap() > 0);
    assert!(events::table.count().get_result::<i64>(conn).unwrap() > 0);

    // Into a database that holds organizations: refused, nothing added.
    let err = generate(conn, &options(7)).unwrap_err();
    assert!(err.contains("already holds organizations"), "{err}");
    // Bad arguments name the flag.
    let mut bad = options(7);
    bad.enterprises = 3;
    assert!(bad.check().unwrap_err().contains("--enterprises"));
}

/// The command line seeds a district the server then serves: regulators list, count and
/// summarize it.
#[test]
fn the_platform_serves_a_synthetic_district() {
    let dir = tempfile::tempdir().unwrap();
    let pg = test_database_url().map(|admin| fresh_pg(&admin));
    let url = pg.as_ref().map(|(u, _)| u.clone());
    let out = command(dir.path(), url.as_deref(), 0)
        .args([
            "seed",
            "--synthetic",
            "--enterprises",
            "5",
            "--findings",
            "10",
        ])
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--enterprises"));
    let status = command(dir.path(), url.as_deref(), 0)
        .args([
            "seed",
            "--synthetic",
            "--enterprises",
            "200",
            "--findings",
            "3000",
            "--rng-seed",
            "3",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let mut server = start(dir.path(), url.as_deref(), port);
    let token = login(port, dir.path(), "district-regulator");
    let get = |path: &str| -> serde_json::Value {
        ureq::get(&format!("http://127.0.0.1:{port}{path}"))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap()
    };
    assert_eq!(get("/api/v1/findings?per_page=1")["total"], 3000);
    let summary = get("/api/v1/oversight/summary");
    // The counters were rebuilt after the load: the year's hazards are counted.
    assert!(summary["found"].as_i64().unwrap_or(0) > 0, "{summary}");
    let member = login(port, dir.path(), "member");
    let mine: serde_json::Value = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/findings"))
        .set("Authorization", &format!("Bearer {member}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert!(
        mine["total"].as_i64().unwrap() < 3000,
        "a member sees its own"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    drop(pg);
}
