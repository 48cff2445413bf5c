use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use safety_alliance::db::{self, AnyConnection};

use crate::common::{backend_name, TestApp};

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SchemaLine {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Everything that makes up the schema, one line per table column, index, constraint and
/// trigger (the migrations' own bookkeeping left out), sorted.
fn schema(conn: &mut AnyConnection) -> Vec<String> {
    let mut lines: Vec<SchemaLine> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') AS line FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel_schema_migrations%'",
        )
        .load(c)
        .unwrap(),
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
                    || ' ' || COALESCE(column_default, '') AS line \
               FROM information_schema.columns WHERE table_schema = 'public' \
                AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes \
              WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ': ' \
                    || pg_get_constraintdef(oid) FROM pg_constraint \
              WHERE connamespace = 'public'::regnamespace \
                AND conrelid::regclass::text <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'trigger ' || tgrelid::regclass::text || '.' || tgname || ': ' \
                    || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal \
             UNION ALL SELECT 'function ' || proname || ': ' || md5(prosrc) FROM pg_proc \
              WHERE pronamespace = 'public'::regnamespace",
        )
        .load(c)
        .unwrap(),
    };
    lines.sort();
    lines.into_iter().map(|l| l.line).collect()
}

/// Each migration's `down.sql` restores exactly the schema before it: apply one, revert it,
/// compare, apply it again and go on to the next.
#[test]
fn every_migration_reverts_to_the_schema_before_it() {
    let app = TestApp::spawn();
    let mut conn = app.platform.db.conn().unwrap();
    let sqlite = matches!(*conn, AnyConnection::Sqlite(_));
    let migrations = move || {
        if sqlite {
            db::SQLITE_MIGRATIONS
        } else {
            db::POSTGRES_MIGRATIONS
        }
    };
    let reverted = conn
        .revert_all_migrations(migrations())
        .expect("revert all")
        .len();
    assert!(reverted > 0, "{}: migrations were applied", backend_name());
    assert!(conn.applied_migrations().unwrap().is_empty());
    assert!(
        schema(&mut conn).is_empty(),
        "nothing is left after reverting all"
    );
    let mut steps = 0;
    while conn.has_pending_migration(migrations()).unwrap() {
        let before = schema(&mut conn);
        let version = conn.run_next_migration(migrations()).unwrap().to_string();
        let after = schema(&mut conn);
        assert_ne!(before, after, "{version} changes the schema");
        conn.revert_last_migration(migrations()).unwrap();
        let reverted = schema(&mut conn);
        let diff: Vec<_> = before
            .iter()
            .filter(|l| !reverted.contains(l))
            .chain(reverted.iter().filter(|l| !before.contains(l)))
            .collect();
        assert!(
            diff.is_empty(),
            "{}: reverting {version} does not restore the schema before it: {diff:#?}",
            backend_name()
        );
        conn.run_next_migration(migrations()).unwrap();
        steps += 1;
    }
    assert_eq!(steps, reverted);
    // The platform still works on the re-created schema.
    conn.batch_execute("SELECT 1").unwrap();
}

#[test]
fn unknown_database_urls_fail_with_a_clear_message() {
    for (url, expected) in [
        ("host=localhost port=5432", "must start with"),
        ("mysql://root@localhost/x", "must start with"),
        ("postgres://nobody@127.0.0.1:1/none", "cannot connect"),
    ] {
        let err = db::Db::connect(url, 1, safety_alliance::config::SqliteSync::Full)
            .err()
            .unwrap_or_default();
        assert!(err.contains(expected), "{url}: {err}");
        assert!(
            !std::path::Path::new(url).exists(),
            "no file created for {url}"
        );
    }
}
