use diesel_migrations::MigrationHarness;
use safety_alliance::db;

use crate::common::{backend_name, TestApp};

#[test]
fn every_migration_applies_and_reverts() {
    let app = TestApp::spawn();
    let mut conn = app.platform.db.conn().unwrap();
    let migrations = db::migrations_for(&conn);
    let reverted = conn
        .revert_all_migrations(migrations)
        .expect("revert all")
        .len();
    assert!(reverted > 0, "{}: migrations were applied", backend_name());
    assert!(conn.applied_migrations().unwrap().is_empty());
    let applied = db::run_migrations(&mut conn).expect("apply again");
    assert_eq!(applied.len(), reverted);
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
