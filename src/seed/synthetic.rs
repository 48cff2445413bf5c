//! A synthetic district for load benchmarks (`seed --synthetic`): streets, industries and
//! enterprises; alliances of realistic sizes (some enterprises in a street and an industry
//! alliance both); a year of mutual-inspection batches and events with their attendance; and any
//! number of findings across every state, grade and category, with their timelines.
//!
//! The same `--rng-seed` and `--as-of` give the same rows: every timestamp derives from `as_of`
//! (the start of that day in Beijing is "now"), never from the clock. Only the password hash
//! (salted) and the audit entry's time differ between runs. Rows go in as multi-row inserts, a
//! few large transactions in all, so that a million findings load in well under a minute on
//! SQLite.

/// Inserts the rows `$row` makes of each of `$items`, `$per` rows a statement (stay under the
/// backends' bind-parameter limits: SQLite 32766, PostgreSQL 65535), on the connection's own
/// backend: multi-row inserts do not go through the multi-backend connection.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $items:expr, $per:expr, $row:expr) => {{
        let mut done: Result<(), String> = Ok(());
        for chunk in $items.chunks($per) {
            let rows: Vec<_> = chunk.iter().map($row).collect();
            let result = match &mut *$conn {
                // SQLite: one prepared (cached) statement a row beats parsing a statement of a
                // thousand rows each time, in process.
                $crate::db::AnyConnection::Sqlite(c) => rows
                    .into_iter()
                    .try_for_each(|row| {
                        diesel::insert_into($table)
                            .values(row)
                            .execute(c)
                            .map(|_| ())
                    })
                    .map(|()| 0),
                $crate::db::AnyConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(&rows).execute(c)
                }
            };
            if let Err(e) = result {
                done = Err(format!("cannot insert into {}: {e}", stringify!($table)));
                break;
            }
        }
        done
    }};
}

mod activity;
mod activity_rows;
mod alliance_events;
mod district;
mod hazards;
mod names;
mod org_rows;
mod timeline;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::DemoLogin;
use crate::db::types::start_of_local_day;
use crate::db::AnyConnection;
use crate::error::AppError;

/// The fewest and most enterprises, and the most findings, a synthetic district has.
pub const MIN_ENTERPRISES: usize = 20;
pub const MAX_ENTERPRISES: usize = 1_000_000;
pub const MAX_FINDINGS: usize = 20_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Enterprises (`--enterprises`), 20 to 1,000,000.
    pub enterprises: usize,
    /// Findings (`--findings`), 0 to 20,000,000, mutual-inspection ones included.
    pub findings: usize,
    /// The seed of every random choice (`--rng-seed`).
    pub rng_seed: u64,
    /// The day the district is generated as of (`--as-of`, Beijing): its activity is the year
    /// before it, and every timestamp is before its start.
    pub as_of: NaiveDate,
    /// Shows a progress bar (with rate and ETA) on the terminal.
    pub progress: bool,
}

impl Options {
    /// Checks the arguments; the message names the flag that is wrong.
    pub fn check(&self) -> Result<(), String> {
        if !(MIN_ENTERPRISES..=MAX_ENTERPRISES).contains(&self.enterprises) {
            return Err(format!(
                "--enterprises must be between {MIN_ENTERPRISES} and {MAX_ENTERPRISES} (got {})",
                self.enterprises
            ));
        }
        if self.findings > MAX_FINDINGS {
            return Err(format!(
                "--findings must be between 0 and {MAX_FINDINGS} (got {})",
                self.findings
            ));
        }
        let first = NaiveDate::from_ymd_opt(2005, 1, 1).unwrap_or_default();
        let last = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or_default();
        if !(first..=last).contains(&self.as_of) {
            return Err(format!(
                "--as-of must be a date between {first} and {last} (got {})",
                self.as_of
            ));
        }
        Ok(())
    }
}

/// What was generated: the logins (one password for every synthetic user) and the row counts.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub logins: Vec<DemoLogin>,
    pub streets: usize,
    pub enterprises: usize,
    pub users: usize,
    pub alliances: usize,
    pub memberships: usize,
    pub batches: usize,
    pub inspections: usize,
    pub events: usize,
    pub registrations: usize,
    pub attendances: usize,
    pub findings: usize,
    pub finding_events: usize,
}

/// Generates the synthetic district into a database without organizations.
///
/// Organizations and activity are written in one transaction each, findings in transactions of
/// 50,000: if it fails half-way, the database keeps what was written (start again on a new one).
pub fn generate(conn: &mut AnyConnection, options: &Options) -> Result<Generated, String> {
    options.check()?;
    let empty = super::is_empty(conn).map_err(|e| format!("cannot read the database: {e}"))?;
    if !empty {
        return Err(
            "the database already holds organizations: the synthetic district goes \
                    into an empty database only (migrate a new one)"
                .into(),
        );
    }
    let password = crate::auth::password::generate();
    let hash = crate::auth::password::hash(&password)
        .map_err(|e| format!("cannot hash the password: {e}"))?;
    let bar = progress_bar(options);
    // A larger page cache while a million rows go in. A new database being filled: if this stops half-way it is started again anyway, so the
    // load skips the log and its syncs where it can (only a connection alone on the file may
    // leave WAL), and the file is back in WAL mode at the end (the caller syncs it: see
    // `seed --synthetic`).
    sqlite_pragma(
        conn,
        "PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA synchronous = OFF;",
    )?;
    let unlogged = sqlite_pragma(conn, "PRAGMA journal_mode = OFF").is_ok();
    let result = run(conn, options, &hash, &bar);
    bar.finish();
    if unlogged {
        sqlite_pragma(conn, "PRAGMA journal_mode = WAL")?;
    }
    sqlite_pragma(
        conn,
        "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA synchronous = FULL;",
    )?;
    let mut generated = result?;
    generated.logins = generated
        .logins
        .into_iter()
        .map(|l| DemoLogin {
            password: password.clone(),
            ..l
        })
        .collect();
    Ok(generated)
}

fn run(
    conn: &mut AnyConnection,
    options: &Options,
    hash: &str,
    bar: &ProgressBar,
) -> Result<Generated, String> {
    let clock = Clock::new(options.as_of);
    let started = std::time::Instant::now();
    let phase = |name: &str| {
        tracing::info!(
            phase = name,
            seconds = started.elapsed().as_secs_f64(),
            "synthetic district"
        );
    };
    let ids = Ids::read(conn)?;
    let mut rng = StdRng::seed_from_u64(options.rng_seed);
    bar.set_message("district");
    let district = district::build(conn, &mut rng, options.enterprises, &clock, &ids)?;
    tx(conn, |c| {
        org_rows::insert(c, &mut rng, &district, &clock, hash)
    })?;
    phase("organizations");
    bar.set_message("activity");
    let activity = activity::build(&mut rng, &district, &clock, &ids, options.findings)?;
    tx(conn, |c| activity_rows::insert(c, &district, &activity))?;
    phase("activity");
    bar.set_message("findings");
    let plan = hazards::Plan {
        district: &district,
        activity: &activity,
        clock: &clock,
        first_id: ids.finding,
        total: options.findings,
    };
    // Indexes are built once at the end rather than kept up row by row (several times faster).
    let bulk = ["findings", "finding_events", "inspection_results"];
    let written = without_indexes(conn, &bulk, |conn| {
        let written = hazards::write(conn, &mut rng, &plan, bar)?;
        phase("findings");
        bar.set_message("results");
        activity_rows::insert_results(conn, &activity, &written.found_ids)?;
        phase("results");
        bar.set_message("indexes");
        Ok(written)
    })?;
    phase("indexes");
    bar.set_message("figures");
    tx(conn, |c| {
        crate::oversight::figures::rebuild(c)
            .map_err(|e| format!("cannot count the oversight figures: {e}"))?;
        fix_sequences(c)?;
        crate::audit::record(
            c,
            None,
            "seed",
            "synthetic",
            None,
            serde_json::json!({
                "enterprises": options.enterprises, "findings": written.findings,
                "rng_seed": options.rng_seed, "as_of": options.as_of,
            }),
        )
        .map_err(|e| format!("cannot write the audit entry: {e}"))
    })?;
    phase("figures");
    Ok(Generated {
        logins: district.logins(),
        streets: district.streets.len(),
        enterprises: district.enterprises.len(),
        users: district.user_count(),
        alliances: district.alliances.len(),
        memberships: district.alliances.iter().map(|a| a.members.len()).sum(),
        batches: activity.batches.len(),
        inspections: activity.inspections.len(),
        events: activity.events.len(),
        registrations: activity.registrations.len(),
        attendances: activity.attendances.len(),
        findings: written.findings,
        finding_events: written.events,
    })
}

/// "Now" for the synthetic district: the start of `as_of` in Beijing (UTC, as stored).
struct Clock {
    as_of: NaiveDate,
    now: NaiveDateTime,
}

impl Clock {
    fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            now: start_of_local_day(as_of),
        }
    }

    /// The day `days` before `as_of` (after it, for negative `days`).
    fn day(&self, days: i64) -> NaiveDate {
        self.as_of - Duration::days(days)
    }

    /// `minutes` after the start of `date` in Beijing, as stored (UTC).
    fn at(date: NaiveDate, minutes: i64) -> NaiveDateTime {
        start_of_local_day(date) + Duration::minutes(minutes)
    }
}

/// The first id each table's new rows take (explicit ids, so that rows can refer to each other
/// without reading ids back).
struct Ids {
    region: i64,
    industry: i64,
    enterprise: i64,
    alliance: i64,
    user: i64,
    checklist: i64,
    item: i64,
    batch: i64,
    inspection: i64,
    event: i64,
    finding: i64,
}

/// The tables given explicit ids (PostgreSQL's identity sequences are moved past them).
const ID_TABLES: [&str; 11] = [
    "regions",
    "industries",
    "enterprises",
    "alliances",
    "users",
    "checklists",
    "checklist_items",
    "inspection_batches",
    "inspections",
    "events",
    "findings",
];

impl Ids {
    fn read(conn: &mut AnyConnection) -> Result<Self, String> {
        let mut next = [0i64; 11];
        for (n, table) in next.iter_mut().zip(ID_TABLES) {
            *n = next_id(conn, table)?;
        }
        let [region, industry, enterprise, alliance, user, checklist, item, batch, inspection, event, finding] =
            next;
        Ok(Self {
            region,
            industry,
            enterprise,
            alliance,
            user,
            checklist,
            item,
            batch,
            inspection,
            event,
            finding,
        })
    }
}

#[derive(diesel::QueryableByName)]
struct MaxId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn next_id(conn: &mut AnyConnection, table: &str) -> Result<i64, String> {
    let row: MaxId = diesel::sql_query(format!("SELECT COALESCE(MAX(id), 0) AS n FROM {table}"))
        .get_result(conn)
        .map_err(|e| format!("cannot read the largest id of {table}: {e}"))?;
    Ok(row.n + 1)
}

/// On PostgreSQL, moves each identity sequence past the explicit ids written.
fn fix_sequences(conn: &mut AnyConnection) -> Result<(), String> {
    if let AnyConnection::Postgresql(pg) = conn {
        for table in ID_TABLES {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .execute(pg)
            .map_err(|e| format!("cannot move the id sequence of {table}: {e}"))?;
        }
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    sql: String,
}

/// Runs `f` with the secondary indexes of `tables` dropped, and builds them again afterwards
/// (whether `f` succeeded or not). Indexes that back a constraint (primary keys, uniques) stay.
fn without_indexes<T>(
    conn: &mut AnyConnection,
    tables: &[&str],
    f: impl FnOnce(&mut AnyConnection) -> Result<T, String>,
) -> Result<T, String> {
    let list = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name = $1"
        }
        AnyConnection::Postgresql(_) => {
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes i \
             WHERE tablename = $1 AND schemaname = current_schema() AND NOT EXISTS \
             (SELECT 1 FROM pg_constraint c WHERE c.conindid = \
              (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
        }
    };
    let mut dropped = Vec::new();
    for table in tables {
        let defs: Vec<IndexDef> = diesel::sql_query(list)
            .bind::<diesel::sql_types::Text, _>(*table)
            .load(conn)
            .map_err(|e| format!("cannot list the indexes of {table}: {e}"))?;
        for def in defs {
            diesel::sql_query(format!("DROP INDEX {}", def.name))
                .execute(conn)
                .map_err(|e| format!("cannot drop the index {}: {e}", def.name))?;
            dropped.push(def);
        }
    }
    let result = f(conn);
    for def in dropped {
        diesel::sql_query(&def.sql)
            .execute(conn)
            .map_err(|e| format!("cannot build the index {} again: {e}", def.name))?;
    }
    result
}

fn sqlite_pragma(conn: &mut AnyConnection, pragma: &str) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    if let AnyConnection::Sqlite(c) = conn {
        c.batch_execute(pragma)
            .map_err(|e| format!("cannot set {pragma}: {e}"))?;
    }
    Ok(())
}

/// Runs `f` in one write transaction, with errors as text.
fn tx<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, String>,
) -> Result<T, String> {
    crate::db::write_tx(conn, |c| f(c).map_err(AppError::Internal)).map_err(|e| match e {
        AppError::Internal(message) => message,
        other => format!("database error: {other}"),
    })
}

fn progress_bar(options: &Options) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(options.findings as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>10} [{bar:40}] {pos}/{len} findings, {per_sec}, ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
