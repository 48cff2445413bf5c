//! Online backup under write load, restore into a fresh data directory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use safety_alliance::config::Settings;
use safety_alliance::{audit, backup, org, Platform};
use serde_json::json;

use crate::common::{new_credit_code, test_database_url, TestApp};

#[test]
fn a_backup_taken_under_load_restores_every_committed_record_and_file() {
    if test_database_url().is_some() {
        eprintln!(
            "backup test SKIPPED on PostgreSQL: PostgreSQL is backed up with pg_dump (README)"
        );
        return;
    }
    let app = TestApp::spawn();
    // A stored file, as attachments will be.
    let stored = app
        .data_dir
        .path()
        .join("files")
        .join("ab")
        .join("abcdef0123");
    std::fs::create_dir_all(stored.parent().unwrap()).unwrap();
    std::fs::write(&stored, b"evidence photo bytes").unwrap();

    let regulator = app.login("district-regulator");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let (acked, stop, client) = (acked.clone(), stop.clone(), regulator.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let code = new_credit_code();
                    let r = client.post(
                        "/api/v1/enterprises",
                        &json!({"name": format!("备份测试{code}"), "credit_code": code, "region_id": 2,
                                "industry_id": 2, "scale": "small_micro"}),
                    );
                    if r.status == 201 {
                        acked.lock().unwrap().push(code);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let committed_before = acked.lock().unwrap().clone();
    let file = app.data_dir.path().join("backup.tar");
    let summary = backup::backup(&app.platform.db, app.data_dir.path(), &file).expect("backup");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert!(committed_before.len() > 5, "load was running");
    assert_eq!(summary.files, 1);

    let restored = tempfile::tempdir().unwrap();
    backup::restore(&file, restored.path(), false).expect("restore");
    assert!(
        backup::restore(&file, restored.path(), false).is_err(),
        "never overwrites by accident"
    );
    assert_eq!(
        std::fs::read(restored.path().join("files/ab/abcdef0123")).unwrap(),
        b"evidence photo bytes"
    );
    let (platform, prepared) = Platform::prepare(Settings::for_data_dir(restored.path()))
        .expect("restored platform starts");
    assert!(
        prepared.demo_logins.is_empty(),
        "the restored database is used, not re-seeded"
    );
    let mut conn = platform.db.conn().unwrap();
    for code in &committed_before {
        assert!(
            org::store::enterprise_by_credit_code(&mut conn, code)
                .unwrap()
                .is_some(),
            "committed before the backup but missing: {code}"
        );
    }
    assert!(matches!(
        audit::verify(&mut conn).unwrap(),
        audit::ChainCheck::Intact { .. }
    ));
}

#[test]
fn tampering_with_the_audit_log_is_detected() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn();
    let regulator = app.login("district-regulator");
    for _ in 0..3 {
        let r = regulator.post(
            "/api/v1/enterprises",
            &json!({"name": "审计测试", "credit_code": new_credit_code(), "region_id": 2, "industry_id": 2, "scale": "small_micro"}),
        );
        assert_eq!(r.status, 201);
    }
    let mut conn = app.platform.db.conn().unwrap();
    let ids: Vec<i64> = {
        use diesel::prelude::*;
        use safety_alliance::db::schema::audit_log;
        audit_log::table
            .select(audit_log::id)
            .order(audit_log::id)
            .load(&mut conn)
            .unwrap()
    };
    assert!(matches!(
        audit::verify(&mut conn).unwrap(),
        audit::ChainCheck::Intact { .. }
    ));
    let victim = ids[ids.len() - 2];
    diesel::sql_query(format!(
        "UPDATE audit_log SET changes = '{{\"name\":\"forged\"}}' WHERE id = {victim}"
    ))
    .execute(&mut conn)
    .unwrap();
    match audit::verify(&mut conn).unwrap() {
        audit::ChainCheck::Broken { entry_id, .. } => assert_eq!(entry_id, victim),
        other => panic!("tampering not detected: {other:?}"),
    }
    // Removing an entry is noticed at the entry after it.
    let removed = ids[1];
    diesel::sql_query(format!("DELETE FROM audit_log WHERE id = {removed}"))
        .execute(&mut conn)
        .unwrap();
    match audit::verify(&mut conn).unwrap() {
        audit::ChainCheck::Broken { entry_id, .. } => assert_eq!(entry_id, ids[2]),
        other => panic!("removal not detected: {other:?}"),
    }
}

/// One change through the API, so that the audit log has entries written by the platform.
fn audited_change(app: &TestApp) {
    let regulator = app.login("district-regulator");
    let r = regulator.patch(
        &format!("/api/v1/enterprises/{}", app.enterprise_id("老王家常菜馆")),
        &json!({"contact_name": "王芳"}),
    );
    assert_eq!(r.status, 200);
}

/// Cutting entries off the end of the audit log, or emptying it, is caught against the signed
/// checkpoint kept outside the database; so is a forged checkpoint. Through the binary's own
/// `audit verify` too.
#[test]
fn a_cut_or_emptied_audit_log_fails_against_the_checkpoint() {
    use diesel::connection::SimpleConnection;
    use safety_alliance::audit::{self, ChainCheck, Expected};
    let app = TestApp::spawn();
    audited_change(&app);
    let cp = app
        .platform
        .checkpoint_audit()
        .unwrap()
        .expect("a checkpoint is written");
    assert!(
        app.platform.checkpoint_audit().unwrap().is_none(),
        "nothing new, no new line"
    );
    let expected = Expected {
        checkpoint: Some((cp.entry_id, cp.head.clone())),
        ..Default::default()
    };
    let mut conn = app.platform.db.conn().unwrap();
    assert!(matches!(
        audit::verify_against(&mut conn, &expected).unwrap(),
        ChainCheck::Intact { .. }
    ));
    let verify_cli = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_safety-alliance"));
        cmd.args(["audit", "verify"])
            .env("SA_DATA_DIR", app.data_dir.path())
            .env("SA_LOG", "error")
            .env_remove("DATABASE_URL");
        if test_database_url().is_some() {
            cmd.env("DATABASE_URL", app.platform.settings.database_url());
        }
        cmd.output().unwrap()
    };
    assert!(verify_cli().status.success(), "intact before the cut");
    // Cut the newest entry off.
    conn.batch_execute(&format!("DELETE FROM audit_log WHERE id = {}", cp.entry_id))
        .unwrap();
    let cut = audit::verify_against(&mut conn, &expected).unwrap();
    assert!(
        matches!(cut, ChainCheck::Broken { entry_id, .. } if entry_id == cp.entry_id),
        "{cut:?}"
    );
    let out = verify_cli();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cut off"),
        "{out:?}"
    );
    // Empty it: without a checkpoint too, an empty log is not an intact one.
    conn.batch_execute("DELETE FROM audit_log").unwrap();
    let empty = audit::verify_against(&mut conn, &Expected::default()).unwrap();
    assert!(matches!(empty, ChainCheck::Broken { .. }), "{empty:?}");
    // A checkpoint file edited by hand is refused.
    let path = safety_alliance::audit_checkpoint::file(app.data_dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace(&format!("entry={}", cp.entry_id), "entry=1"),
    )
    .unwrap();
    let out = verify_cli();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not signed"),
        "{out:?}"
    );
}

/// Someone with access to the database who knows the chain's algorithm appends an entry with a
/// correct hash: without the audit key it carries no (or a wrong) seal, and verify says so.
#[test]
fn an_entry_appended_straight_into_the_database_is_caught_by_its_seal() {
    use safety_alliance::audit::{self, ChainCheck, Expected};
    let app = TestApp::spawn();
    audited_change(&app);
    let key = app.platform.settings.existing_audit_key().unwrap();
    let expected = || Expected {
        key: Some(key.clone()),
        ..Default::default()
    };
    let mut conn = app.platform.db.conn().unwrap();
    assert!(matches!(
        audit::verify_against(&mut conn, &expected()).unwrap(),
        ChainCheck::Intact { .. }
    ));
    // A forged entry, chained correctly but written outside the platform.
    audit::record(
        &mut conn,
        None,
        "update",
        "enterprise",
        Some(1),
        json!({"name": "x"}),
    )
    .unwrap();
    assert!(
        matches!(audit::verify(&mut conn).unwrap(), ChainCheck::Intact { .. }),
        "the chain alone cannot tell"
    );
    let caught = audit::verify_against(&mut conn, &expected()).unwrap();
    assert!(
        matches!(&caught, ChainCheck::Broken { reason, .. } if reason.contains("no seal")),
        "{caught:?}"
    );
}

/// The audit key travels with the backup, so that a restored log still verifies with its seals.
#[test]
fn a_restored_audit_log_verifies_with_its_seals() {
    use safety_alliance::audit::{self, ChainCheck, Expected};
    if test_database_url().is_some() {
        return; // backups cover the embedded database (PostgreSQL: pg_dump)
    }
    let app = TestApp::spawn();
    audited_change(&app);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("b.tar");
    backup::backup(&app.platform.db, app.data_dir.path(), &file).unwrap();
    let restored = tempfile::tempdir().unwrap();
    backup::restore(&file, restored.path(), false).unwrap();
    let settings = Settings::for_data_dir(restored.path());
    let key = settings.existing_audit_key().expect("the key came along");
    assert_eq!(
        key.expose(),
        app.platform.settings.existing_audit_key().unwrap().expose()
    );
    let (platform, _) = Platform::prepare(settings).unwrap();
    let mut conn = platform.db.conn().unwrap();
    let expected = Expected {
        key: Some(key),
        ..Default::default()
    };
    assert!(matches!(
        audit::verify_against(&mut conn, &expected).unwrap(),
        ChainCheck::Intact { .. }
    ));
}
