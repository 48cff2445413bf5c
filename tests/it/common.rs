//! Test harness: spawns the platform on a fresh database (SQLite in a temp dir, or a new
//! PostgreSQL database when TEST_DATABASE_URL is set), loads the demo district, and talks HTTP.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::mpsc;

use diesel::{Connection, RunQueryDsl};
use safety_alliance::config::Settings;
use safety_alliance::{seed, Platform};
use serde_json::Value;

/// Everything the platform logs during the test run (all tests), for the log-secrets test.
pub static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends the platform's logs (debug and up) to [`LOGS`].
pub fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::util::SubscriberInitExt;
        let _ = safety_alliance::logging("debug,ureq=off", || Capture, false).try_init();
    });
}

pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

pub struct TestApp {
    pub base: String,
    pub logins: HashMap<String, (String, String)>,
    pub platform: Platform,
    pub data_dir: tempfile::TempDir,
    pg: Option<PgDatabase>,
    server: Option<actix_web::dev::ServerHandle>,
}

/// A throwaway PostgreSQL database, dropped with the test.
pub struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// TEST_DATABASE_URL, when it names a PostgreSQL server to test against.
pub fn test_database_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub fn backend_name() -> &'static str {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Creates a fresh PostgreSQL database next to the one TEST_DATABASE_URL names.
pub fn fresh_pg(admin_url: &str) -> (String, PgDatabase) {
    let name = format!(
        "sa_test_{}",
        safety_alliance::secret::random_token(8)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let mut conn =
        diesel::PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL has a database path");
    let url = format!("{base}/{name}");
    (
        url,
        PgDatabase {
            admin_url: admin_url.to_string(),
            name,
        },
    )
}

impl TestApp {
    pub fn spawn() -> Self {
        Self::spawn_with(|_| {})
    }

    pub fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        capture_logs();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings::for_data_dir(data_dir.path());
        settings.db_pool_size = 4;
        settings.workers = Some(2);
        // Group robots of the tests listen on this machine.
        settings.webhook_hosts.push("127.0.0.1".into());
        let mut pg = None;
        if let Ok(admin) = std::env::var("TEST_DATABASE_URL") {
            if !admin.is_empty() {
                let (url, db) = fresh_pg(&admin);
                settings.database_url = Some(safety_alliance::secret::Secret::new(url));
                pg = Some(db);
            }
        }
        adjust(&mut settings);
        let (platform, prepared) = Platform::prepare(settings).expect("platform prepares");
        let logins = if prepared.demo_logins.is_empty() {
            let mut conn = platform.db.conn().expect("connection");
            seed::load_demo(&mut conn).expect("demo loads")
        } else {
            prepared.demo_logins
        };
        let logins = logins
            .into_iter()
            .map(|l| (l.label, (l.email, l.password)))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = mpsc::channel();
        let server_platform = platform.clone();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = server_platform.server(listener).expect("server builds");
                tx.send(server.handle()).unwrap();
                let _ = server.await;
            })
        });
        let handle = rx.recv().expect("server started");
        Self {
            base: format!("http://127.0.0.1:{port}"),
            logins,
            platform,
            data_dir,
            pg,
            server: Some(handle),
        }
    }

    /// Another instance of the platform on the same database (as a second server would be).
    pub fn second_instance(&self) -> Platform {
        Platform::prepare(self.platform.settings.clone())
            .expect("a second instance prepares")
            .0
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn email(&self, label: &str) -> String {
        self.logins[label].0.clone()
    }

    pub fn password(&self, label: &str) -> String {
        self.logins[label].1.clone()
    }

    /// Logs a demo user in through the API.
    pub fn login(&self, label: &str) -> Client {
        let (email, password) = &self.logins[label];
        let r = self.anon().post(
            "/api/v1/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        );
        assert_eq!(r.status, 200, "login as {label}: {}", r.body);
        Client {
            base: self.base.clone(),
            token: Some(r.body["access_token"].as_str().unwrap().to_string()),
            refresh: r.body["refresh_token"].as_str().map(str::to_string),
        }
    }

    pub fn anon(&self) -> Client {
        Client {
            base: self.base.clone(),
            token: None,
            refresh: None,
        }
    }

    /// The id of an enterprise, looked up by an admin by its name.
    pub fn enterprise_id(&self, name: &str) -> i64 {
        let q: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let r = self
            .login("admin")
            .get(&format!("/api/v1/enterprises?q={q}"));
        r.body["items"][0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no enterprise {name}"))
    }

    /// Creates a user as the admin (`user` carries `email` and `password`) and logs it in.
    pub fn new_user(&self, user: Value) -> Client {
        let r = self.login("admin").post("/api/v1/users", &user);
        assert_eq!(r.status, 201, "{}", r.body);
        let login = self.anon().post(
            "/api/v1/auth/login",
            &serde_json::json!({"email": user["email"], "password": user["password"]}),
        );
        assert_eq!(login.status, 200, "{}", login.body);
        self.anon()
            .with_token(login.body["access_token"].as_str().unwrap())
    }

    /// A user's id, looked up by an admin.
    pub fn user_id(&self, label: &str) -> i64 {
        let admin = self.login("admin");
        let email = self.email(label);
        let r = admin.get(&format!("/api/v1/users?q={email}"));
        r.body["items"][0]["id"].as_i64().expect("user found")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(handle) = self.server.take() {
            // The stop command is sent at once; its future only reports completion.
            drop(handle.stop(false));
        }
        let _ = &self.pg;
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Value,
    pub headers: HashMap<String, String>,
}

impl Response {
    /// The field names of a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    pub refresh: Option<String>,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

impl Client {
    pub fn with_token(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            token: Some(token.to_string()),
            refresh: None,
        }
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut req = agent().request(method, &format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        req
    }

    fn finish(result: Result<ureq::Response, ureq::Error>) -> Response {
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| resp.header(&n).map(|v| (n.to_lowercase(), v.to_string())))
            .collect();
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response {
            status,
            body,
            headers,
        }
    }

    pub fn get(&self, path: &str) -> Response {
        Self::finish(self.request("GET", path).call())
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        Self::finish(self.request("POST", path).send_json(body.clone()))
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Response {
        Self::finish(
            self.request("POST", path)
                .set("Content-Type", content_type)
                .send_string(body),
        )
    }

    /// POST with extra headers.
    pub fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
        let mut req = self.request("POST", path);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        Self::finish(req.send_json(body.clone()))
    }

    /// Uploads a file as multipart field `file`.
    pub fn upload(&self, bytes: &[u8], file_name: &str, content_type: &str) -> Response {
        self.upload_to("/api/v1/attachments", bytes, file_name, content_type)
    }

    /// POST of one file as the multipart field `file`.
    pub fn upload_to(
        &self,
        path: &str,
        bytes: &[u8],
        file_name: &str,
        content_type: &str,
    ) -> Response {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        self.post_multipart(path, &body)
    }

    /// POST of a multipart body built by the caller, parts separated by [`BOUNDARY`].
    pub fn post_multipart(&self, path: &str, body: &[u8]) -> Response {
        Self::finish(
            self.request("POST", path)
                .set(
                    "Content-Type",
                    &format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .send_bytes(body),
        )
    }

    /// GET returning the raw body bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>, HashMap<String, String>) {
        let resp = match self.request("GET", path).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| resp.header(&n).map(|v| (n.to_lowercase(), v.to_string())))
            .collect();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
        (status, bytes, headers)
    }

    pub fn patch(&self, path: &str, body: &Value) -> Response {
        Self::finish(self.request("PATCH", path).send_json(body.clone()))
    }

    pub fn put(&self, path: &str, body: &Value) -> Response {
        Self::finish(self.request("PUT", path).send_json(body.clone()))
    }

    pub fn delete(&self, path: &str) -> Response {
        Self::finish(self.request("DELETE", path).call())
    }
}

/// A valid credit code for tests: `prefix` (17 characters) plus its check character.
/// The boundary of the multipart bodies tests send.
pub const BOUNDARY: &str = "----sa-test-boundary-7d93";

/// Every Rust source file of the crate (for tests about the code's own shape).
pub fn source_files() -> Vec<std::path::PathBuf> {
    files_under("src", "rs")
}

/// Every file with extension `ext` under the crate's folder `dir`.
pub fn files_under(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    out
}

pub fn credit_code(first17: &str) -> String {
    let check = safety_alliance::org::credit_code::check_char(first17).expect("valid first 17");
    format!("{first17}{check}")
}

/// A fresh valid credit code (random body).
pub fn new_credit_code() -> String {
    let alphabet = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let random = safety_alliance::secret::random_token(16);
    let body: String = random
        .bytes()
        .take(9)
        .map(|b| alphabet[(b as usize) % alphabet.len()] as char)
        .collect();
    credit_code(&format!("91370115{body}"))
}

/// A tiny valid JPEG header (enough for the content check) followed by some bytes.
pub fn jpeg(tag: &str) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.extend_from_slice(tag.as_bytes());
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}
