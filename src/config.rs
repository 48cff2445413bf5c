//! Settings: environment variables with the `SA_` prefix, plus `DATABASE_URL`.
//!
//! Every setting has an embedded default so that `cargo run --release` needs nothing. The table in
//! README.md ("Configuration") lists the same settings; keep the two in step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

pub use crate::secret::Secret;

/// Settings shared by every subcommand. Read by clap from flags or environment variables.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "SA_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// Directory for the embedded database, the token secret, attachments and the mail outbox.
    #[arg(long, env = "SA_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Database: `postgres://…` / `postgresql://…` for PostgreSQL, `sqlite://PATH` for SQLite.
    /// Default: `sqlite://<data dir>/safety-alliance.db`.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<Secret>,

    /// Secret that signs access tokens, at least 32 bytes. Default: generated once into
    /// `<data dir>/token-secret`.
    #[arg(long, env = "SA_TOKEN_SECRET", global = true, hide_env_values = true)]
    pub token_secret: Option<Secret>,

    /// Key that seals audit entries and signs audit checkpoints, at least 32 bytes. Default:
    /// generated once into `<data dir>/audit-key` (kept in backups). Set the same value on every
    /// instance.
    #[arg(long, env = "SA_AUDIT_KEY", global = true, hide_env_values = true)]
    pub audit_key: Option<Secret>,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `safety_alliance=debug`.
    #[arg(long, env = "SA_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Largest number of pooled database connections.
    #[arg(long, env = "SA_DB_POOL_SIZE", default_value_t = 8, global = true)]
    pub db_pool_size: u32,

    /// SQLite `synchronous` setting: FULL (default; survives power loss) or NORMAL.
    #[arg(
        long,
        env = "SA_SQLITE_SYNCHRONOUS",
        default_value = "FULL",
        global = true
    )]
    pub sqlite_synchronous: SqliteSync,

    /// Group commit: concurrent write transactions are run by one writer, each in a savepoint of
    /// one transaction that commits once for all of them (see README, Performance). Default: on
    /// for SQLite, off for PostgreSQL (measured: there one writer's round trips cost more than the
    /// commits it saves).
    #[arg(long, env = "SA_GROUP_COMMIT", action = clap::ArgAction::Set, global = true)]
    pub group_commit: Option<bool>,

    /// Lifetime of an API access token, in seconds.
    #[arg(
        long,
        env = "SA_ACCESS_TOKEN_TTL",
        default_value_t = 900,
        global = true
    )]
    pub access_token_ttl: u64,

    /// Lifetime of a refresh token and of a web session, in seconds.
    #[arg(long, env = "SA_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600, global = true)]
    pub refresh_token_ttl: u64,

    /// Seconds after a refresh during which the refresh token it replaced reads as a lost race
    /// (two refreshes sent at once, a retry) and is refused without ending the session; later,
    /// presenting it is taken for theft and ends the session.
    #[arg(
        long,
        env = "SA_REFRESH_REUSE_WINDOW",
        default_value_t = 10,
        global = true
    )]
    pub refresh_reuse_window: u64,

    /// Lifetime of a web session (the login cookie), in seconds; at most the refresh lifetime.
    #[arg(long, env = "SA_WEB_SESSION_TTL", default_value_t = 12 * 3600, global = true)]
    pub web_session_ttl: u64,

    /// How many password hashes (argon2id, ~19 MiB each) run at once; more wait up to 5 s, then
    /// get 429.
    #[arg(long, env = "SA_PASSWORD_HASHING", default_value_t = 4, global = true)]
    pub password_hashing: usize,

    /// Set cookies with the `Secure` flag (enable when served over TLS).
    #[arg(
        long,
        env = "SA_SECURE_COOKIES",
        default_value_t = false,
        global = true
    )]
    pub secure_cookies: bool,

    /// Largest accepted upload (photo or PDF), in bytes.
    #[arg(long, env = "SA_MAX_UPLOAD_BYTES", default_value_t = 10 * 1024 * 1024, global = true)]
    pub max_upload_bytes: usize,

    /// Take the client address for login throttling from `X-Forwarded-For` (set only behind a
    /// proxy that overwrites that header).
    #[arg(long, env = "SA_TRUST_PROXY", default_value_t = false, global = true)]
    pub trust_proxy: bool,

    /// The longest a request may take, head, body and answer together, in seconds (408 beyond):
    /// a client trickling its body cannot hold a connection for longer.
    #[arg(long, env = "SA_REQUEST_TIMEOUT", default_value_t = 120, global = true)]
    pub request_timeout: u64,

    /// Requests one client address may have in progress at once (429 beyond).
    #[arg(
        long,
        env = "SA_MAX_REQUESTS_PER_ADDRESS",
        default_value_t = 64,
        global = true
    )]
    pub max_requests_per_address: usize,

    /// How often (seconds) the server appends a signed checkpoint of the audit chain's head to
    /// `<data dir>/audit-checkpoints.log` when the chain grew; 0 turns it off.
    #[arg(
        long,
        env = "SA_AUDIT_CHECKPOINT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub audit_checkpoint_secs: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SA_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// The client addresses `/metrics` answers (comma-separated; others get 404).
    #[arg(
        long,
        env = "SA_METRICS_FROM",
        value_delimiter = ',',
        default_value = "127.0.0.1,::1",
        global = true
    )]
    pub metrics_from: Vec<std::net::IpAddr>,

    /// Mail server: `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS). Unset: mail is written as files into
    /// `<data dir>/outbox/`.
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// The sender of the platform's mail.
    #[arg(
        long,
        env = "SA_MAIL_FROM",
        default_value = "安全联盟 <noreply@safety-alliance.localhost>",
        global = true
    )]
    pub mail_from: String,

    /// The platform's address as its users reach it, for links in mail and robot posts.
    /// Default: `http://<bind>`.
    #[arg(long, env = "SA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// How many days an invitation or password-reset link works (1 to 90).
    #[arg(long, env = "SA_INVITATION_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(i64).range(1..=90), global = true)]
    pub invitation_days: i64,

    /// How often (milliseconds) the outbox worker looks for mail and posts to deliver; 0 turns
    /// the worker off on this instance.
    #[arg(long, env = "SA_OUTBOX_POLL_MS", default_value_t = 1000, global = true)]
    pub outbox_poll_ms: u64,

    /// How often (seconds) the scheduler walks deadlines, event reminders and digests; 0 turns
    /// it off on this instance.
    #[arg(long, env = "SA_SCHEDULE_SECS", default_value_t = 60, global = true)]
    pub schedule_secs: u64,

    /// Let an administrator move the platform's calendar day (`PUT /api/v1/admin/clock`), for
    /// trials and acceptance tests of reminders. Never on in production.
    #[arg(
        long,
        env = "SA_SETTABLE_CLOCK",
        default_value_t = false,
        global = true
    )]
    pub settable_clock: bool,

    /// The hosts group-robot webhooks may post to (comma-separated); a robot's URL must be
    /// `https://` one of them.
    #[arg(
        long,
        env = "SA_WEBHOOK_HOSTS",
        value_delimiter = ',',
        default_value = "qyapi.weixin.qq.com,oapi.dingtalk.com",
        global = true
    )]
    pub webhook_hosts: Vec<String>,

    /// This instance's name as a receiver of federation bundles (a city: `city:3701`). Unset,
    /// the instance receives none.
    #[arg(long, env = "SA_FEDERATION_AUDIENCE", global = true)]
    pub federation_audience: Option<String>,

    /// The city this district publishes to: bundles are posted to
    /// `<url>/api/v1/federation/bundles`. Unset, they wait to be pulled.
    #[arg(long, env = "SA_FEDERATION_CITY_URL", global = true)]
    pub federation_city_url: Option<String>,

    /// The city's name as a receiver (its `SA_FEDERATION_AUDIENCE`): the audience bundles name.
    #[arg(
        long,
        env = "SA_FEDERATION_CITY",
        default_value = "city",
        global = true
    )]
    pub federation_city: String,

    /// The district's signing key. Default: `<data dir>/federation/signing-key.pem`.
    #[arg(long, env = "SA_FEDERATION_KEY", global = true)]
    pub federation_key: Option<PathBuf>,

    /// A token with which the city may pull this district's bundles
    /// (`Authorization: Bearer …` on `GET /api/v1/federation/bundles`).
    #[arg(
        long,
        env = "SA_FEDERATION_PULL_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub federation_pull_token: Option<Secret>,

    /// Days after a period ends by which a city expects a district's figures of it.
    #[arg(long, env = "SA_FEDERATION_DUE_DAYS", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(0..=366), global = true)]
    pub federation_due_days: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    #[value(name = "FULL", alias = "full")]
    Full,
    #[value(name = "NORMAL", alias = "normal")]
    Normal,
}

impl Settings {
    /// Defaults for tests and embedding: everything under `data_dir`.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        Self {
            bind: "127.0.0.1:0".parse().expect("valid literal address"),
            data_dir: data_dir.to_path_buf(),
            database_url: None,
            token_secret: None,
            audit_key: None,
            log: "info".into(),
            db_pool_size: 8,
            sqlite_synchronous: SqliteSync::Full,
            group_commit: None,
            access_token_ttl: 900,
            refresh_token_ttl: 30 * 24 * 3600,
            web_session_ttl: 12 * 3600,
            refresh_reuse_window: 10,
            password_hashing: 4,
            secure_cookies: false,
            trust_proxy: false,
            max_upload_bytes: 10 * 1024 * 1024,
            request_timeout: 120,
            audit_checkpoint_secs: 60,
            max_requests_per_address: 64,
            workers: None,
            metrics_from: vec![
                std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
            smtp_url: None,
            mail_from: "安全联盟 <noreply@safety-alliance.localhost>".into(),
            public_url: None,
            invitation_days: 14,
            // Tests and embedders start the worker and the scheduler when they want them.
            outbox_poll_ms: 0,
            schedule_secs: 0,
            settable_clock: false,
            webhook_hosts: vec!["qyapi.weixin.qq.com".into(), "oapi.dingtalk.com".into()],
            federation_audience: None,
            federation_city_url: None,
            federation_city: "city".into(),
            federation_key: None,
            federation_pull_token: None,
            federation_due_days: 10,
        }
    }

    /// The platform's address for links in mail.
    pub fn site(&self) -> String {
        self.public_url
            .clone()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// Where mail is written when no SMTP server is set.
    /// The district's signing key file.
    pub fn federation_key_path(&self) -> PathBuf {
        self.federation_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("federation").join("signing-key.pem"))
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn database_url(&self) -> String {
        match self.database_url.as_ref().map(|u| u.expose().trim()) {
            Some(url) if !url.is_empty() => url.to_string(),
            _ => format!(
                "sqlite://{}",
                self.data_dir.join("safety-alliance.db").display()
            ),
        }
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl)
    }

    /// The web session's lifetime, never longer than a refresh token's.
    pub fn web_ttl(&self) -> Duration {
        Duration::from_secs(self.web_session_ttl.min(self.refresh_token_ttl))
    }

    /// Where uploaded files are kept: `<data dir>/files`, content-addressed.
    pub fn files_dir(&self) -> PathBuf {
        files_dir(&self.data_dir)
    }

    /// The token secret: from the setting, else from `<data dir>/token-secret`, generated with
    /// mode 0600 on first use.
    pub fn load_token_secret(&self) -> Result<Secret, String> {
        if let Some(secret) = &self.token_secret {
            // A short HMAC key is recovered offline from one token: refuse it at start.
            if secret.expose().len() < MIN_SECRET_BYTES {
                return Err(format!(
                    "SA_TOKEN_SECRET must be at least {MIN_SECRET_BYTES} bytes (got {}); leave it unset to generate one",
                    secret.expose().len()
                ));
            }
            return Ok(secret.clone());
        }
        self.stored_token_secret()
            .map_err(|e| format!("cannot read or create the token secret: {e}"))
    }

    /// The audit key: from the setting, else from `<data dir>/audit-key`, generated with mode
    /// 0600 on first use.
    pub fn load_audit_key(&self) -> Result<Secret, String> {
        if let Some(key) = self.existing_audit_key() {
            return Ok(key);
        }
        if self.audit_key.is_some() {
            return Err(format!(
                "SA_AUDIT_KEY must be at least {MIN_SECRET_BYTES} bytes"
            ));
        }
        let path = self.data_dir.join(AUDIT_KEY_FILE);
        let key = crate::secret::random_token(48);
        write_private_file(&path, key.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Secret::new(key))
    }

    /// The audit key if one is set or stored, without creating one (for checks that must not
    /// invent a key).
    pub fn existing_audit_key(&self) -> Option<Secret> {
        let stored = || {
            std::fs::read_to_string(self.data_dir.join(AUDIT_KEY_FILE))
                .ok()
                .map(|s| Secret::new(s.trim()))
        };
        self.audit_key
            .clone()
            .or_else(stored)
            .filter(|k| k.expose().len() >= MIN_SECRET_BYTES)
    }

    fn stored_token_secret(&self) -> std::io::Result<Secret> {
        let path = self.data_dir.join("token-secret");
        match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => return Ok(Secret::new(s.trim())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let secret = crate::secret::random_token(48);
        write_private_file(&path, secret.as_bytes())?;
        Ok(Secret::new(secret))
    }
}

/// The shortest token secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// The file of the audit key below a data directory (backups carry it).
pub const AUDIT_KEY_FILE: &str = "audit-key";

/// The folder of uploaded files below a data directory (attachments write it, backups copy it).
pub const FILES_DIR: &str = "files";

pub fn files_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(FILES_DIR)
}

/// Writes a file readable only by its owner (0600 on Unix).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}
