//! Crash durability: writes acknowledged with 201 survive a SIGKILL of the server, on SQLite (at
//! the shipped synchronous=FULL) and PostgreSQL.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{fresh_pg, new_credit_code, test_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_safety-alliance");

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn command(data_dir: &Path, database_url: Option<&str>, port: u16) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("SA_DATA_DIR", data_dir)
        .env("SA_BIND", format!("127.0.0.1:{port}"))
        .env("SA_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

pub fn start(data_dir: &Path, database_url: Option<&str>, port: u16) -> Child {
    let child = command(data_dir, database_url, port)
        .spawn()
        .expect("server starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("http://127.0.0.1:{port}/readyz"))
        .call()
        .is_err()
    {
        assert!(Instant::now() < deadline, "server did not become ready");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

pub fn login(port: u16, data_dir: &Path, label: &str) -> String {
    let logins = std::fs::read_to_string(data_dir.join("demo-logins.txt")).unwrap();
    let line = logins
        .lines()
        .find(|l| l.split_whitespace().next() == Some(label))
        .unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    let r: serde_json::Value = ureq::post(&format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .send_json(json!({"email": parts[1], "password": parts[2]}))
        .unwrap()
        .into_json()
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let pg = test_database_url().map(|admin| fresh_pg(&admin));
    let url = pg.as_ref().map(|(u, _)| u.clone());
    if let Some(url) = &url {
        let status = command(dir.path(), Some(url), 0)
            .args(["seed", "--demo"])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let port = free_port();
    let mut server = start(dir.path(), url.as_deref(), port);
    let token = login(port, dir.path(), "district-regulator");
    let q: String = form_urlencoded::byte_serialize("老王家常菜馆".as_bytes()).collect();
    let found: serde_json::Value =
        ureq::get(&format!("http://127.0.0.1:{port}/api/v1/enterprises?q={q}"))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
    let enterprise = found["items"][0]["id"].as_i64().unwrap();

    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..24)
        .map(|_| {
            let acked = acked.clone();
            let stop = stop.clone();
            let token = token.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(5)).build();
                while !stop.load(Ordering::Relaxed) {
                    // A hazard report, as a phone would send it.
                    let r = agent
                        .post(&format!("http://127.0.0.1:{port}/api/v1/findings"))
                        .set("Authorization", &format!("Bearer {token}"))
                        .set("Idempotency-Key", &new_credit_code())
                        .send_json(json!({"enterprise_id": enterprise, "title": "耐久测试隐患", "category": "fire",
                                          "grade": "general", "treatment": "on_the_spot"}));
                    match r {
                        Ok(resp) if resp.status() == 201 => {
                            let body: serde_json::Value = resp.into_json().unwrap();
                            acked.lock().unwrap().push(body["id"].as_i64().unwrap());
                        }
                        Ok(_) | Err(ureq::Error::Status(..)) => {}
                        Err(_) => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    server.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 10,
        "too few writes before the kill: {}",
        acked.len()
    );

    let port = free_port();
    let mut server = start(dir.path(), url.as_deref(), port);
    let token = login(port, dir.path(), "district-regulator");
    let mut missing = Vec::new();
    for id in &acked {
        let found = ureq::get(&format!("http://127.0.0.1:{port}/api/v1/findings/{id}"))
            .set("Authorization", &format!("Bearer {token}"))
            .call()
            .is_ok();
        if !found {
            missing.push(*id);
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    eprintln!(
        "durability ({}): {} acknowledged hazard reports before SIGKILL, {} missing after restart",
        if url.is_some() { "postgres" } else { "sqlite" },
        acked.len(),
        missing.len()
    );
    assert!(missing.is_empty(), "lost acknowledged writes: {missing:?}");
    // The audit chain of the group-committed reports holds across the kill.
    let verified = command(dir.path(), url.as_deref(), 0)
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    drop(pg);
}

/// What a kill -9 during uploads leaves (temp files, files whose row never committed) is swept,
/// but nothing recent (a live request may be writing it) and nothing an attachment names.
#[test]
fn upload_debris_is_swept_but_never_a_live_or_named_file() {
    use safety_alliance::findings::attachments::{sweep, Swept};
    let app = crate::common::TestApp::spawn();
    let member = app.login("member");
    let named = member.upload(&crate::common::jpeg("named"), "a.jpg", "image/jpeg");
    assert_eq!(named.status, 201);
    let sha = named.body["sha256"].as_str().unwrap().to_string();
    let files = app.data_dir.path().join("files");
    let named_path = files.join(&sha[..2]).join(&sha);
    let shard = files.join("ab");
    std::fs::create_dir_all(&shard).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(2 * 3600);
    let make = |name: &str, aged: bool| {
        let path = shard.join(name);
        std::fs::write(&path, b"x").unwrap();
        if aged {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        path
    };
    let old_tmp = make(".tmpA1b2C3", true);
    let old_orphan = make(&format!("ab{}", "0".repeat(62)), true);
    let fresh_tmp = make(".tmpZ9", false);
    let fresh_orphan = make(&format!("ab{}", "1".repeat(62)), false);
    std::fs::File::options()
        .write(true)
        .open(&named_path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let mut conn = app.platform.db.conn().unwrap();
    let swept = sweep(&mut conn, app.data_dir.path(), Duration::from_secs(3600)).unwrap();
    assert_eq!(
        swept,
        Swept {
            temp_files: 1,
            orphans: 1
        }
    );
    assert!(!old_tmp.exists() && !old_orphan.exists());
    assert!(
        fresh_tmp.exists() && fresh_orphan.exists(),
        "recent files are left alone"
    );
    assert!(named_path.exists(), "a file an attachment names stays");
}
