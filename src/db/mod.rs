//! The database: one connection enum over SQLite and PostgreSQL, an r2d2 pool whose manager picks
//! the backend from the URL scheme, embedded migrations per backend, and helpers to run diesel
//! (synchronous) off the async workers.

pub mod group;
pub mod ids;
pub mod schema;
pub mod schema_notify;
pub mod schema_onboard;
pub mod types;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{CustomizeConnection, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::SqliteSync;
use crate::error::{AppError, AppResult};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL, parsed by scheme. Anything else is refused: a mistyped PostgreSQL URL must
/// never turn into a new, empty SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    Sqlite(String),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "DATABASE_URL `sqlite://` needs a file path, e.g. sqlite://./data/sa.db".into(),
                );
            }
            Ok(Self::Sqlite(path.to_string()))
        } else {
            Err(format!(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got `{}`)",
                redact_url(url)
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Hides a password in a URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.chars().take(60).collect(),
    }
}

/// The r2d2 manager: connects to the backend the URL names, and reports that backend's own error.
pub struct Manager {
    url: DbUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.url {
            DbUrl::Postgres(url) => diesel::PgConnection::establish(url)
                .map(AnyConnection::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DbUrl::Sqlite(path) => diesel::SqliteConnection::establish(path)
                .map(AnyConnection::Sqlite)
                .map_err(diesel::r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// Per-connection SQLite settings: WAL, durability, foreign keys, busy timeout.
#[derive(Debug)]
struct SqlitePragmas {
    synchronous: SqliteSync,
}

impl CustomizeConnection<AnyConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut AnyConnection) -> Result<(), diesel::r2d2::Error> {
        if let AnyConnection::Sqlite(conn) = conn {
            let sync = match self.synchronous {
                SqliteSync::Full => "FULL",
                SqliteSync::Normal => "NORMAL",
            };
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// A boxed SQL condition on the table (or join) `QS`, for filters built at run time.
pub type Predicate<QS> = Box<
    dyn diesel::expression::BoxableExpression<QS, MultiBackend, SqlType = diesel::sql_types::Bool>,
>;

/// A condition no row meets.
pub fn never<QS>() -> Predicate<QS> {
    Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
}

/// A condition every row meets (the start of a conjunction).
pub fn always<QS>() -> Predicate<QS> {
    Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 1"))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
/// NUL characters are dropped (PostgreSQL refuses them, and no stored text holds one).
pub fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|c| *c != '\0') {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

thread_local! {
    /// The key audit entries written on this thread are sealed with, while a write transaction
    /// of a [`Db`] that has one runs (see [`with_sealing_key`]).
    static SEALING_KEY: std::cell::RefCell<Option<crate::secret::Secret>> =
        const { std::cell::RefCell::new(None) };
}

/// The key the audit entries of the running write transaction are sealed with, if any.
pub fn sealing_key() -> Option<crate::secret::Secret> {
    SEALING_KEY.with(|k| k.borrow().clone())
}

/// Runs `f` with audit entries sealed with `key` (restoring the previous key afterwards).
pub fn with_sealing_key<T>(key: Option<crate::secret::Secret>, f: impl FnOnce() -> T) -> T {
    let previous = SEALING_KEY.with(|k| k.replace(key));
    let out = f();
    SEALING_KEY.with(|k| k.replace(previous));
    out
}

/// The pool and the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// Seals the audit entries of every write transaction (the platform's secret).
    sealing_key: Option<crate::secret::Secret>,
    /// Turns to write. SQLite takes one writer at a time, so its writers queue here (instead of
    /// polling the file lock, whose busy handler sleeps in growing steps); PostgreSQL takes
    /// several, but never so many that readers find the pool empty. A writer waits for its turn
    /// holding neither a connection nor a thread.
    writers: std::sync::Arc<tokio::sync::Semaphore>,
    /// Writers waiting for a turn now (for `/metrics`).
    waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// On SQLite, the writer thread that commits concurrent writes together.
    group: Option<group::GroupCommit>,
}

/// How many writers may hold connections at once: one on SQLite; on PostgreSQL the pool less a
/// quarter (at least one connection) kept for readers.
pub fn writer_turns(backend: Backend, pool_size: u32) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => {
            let size = pool_size.max(1) as usize;
            size.saturating_sub((size / 4).max(1)).max(1)
        }
    }
}

impl Db {
    /// Connects (creating the SQLite file's directory if needed) and checks one connection out,
    /// so that a wrong URL or a server that is down fails here with its own message.
    pub fn connect(url: &str, max_size: u32, synchronous: SqliteSync) -> Result<Self, String> {
        let url = DbUrl::parse(url)?;
        if let DbUrl::Sqlite(path) = &url {
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
            }
            // WAL is a property of the file: switch it once, before the pool opens connections
            // in parallel (switching from several at once on a new file answers "locked").
            let mut first = diesel::SqliteConnection::establish(path)
                .map_err(|e| format!("cannot open the database sqlite://{path}: {e}"))?;
            first
                .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
                .map_err(|e| format!("cannot switch sqlite://{path} to WAL: {e}"))?;
        }
        let backend = url.backend();
        let shown = match &url {
            DbUrl::Postgres(u) => redact_url(u),
            DbUrl::Sqlite(p) => format!("sqlite://{p}"),
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(SqlitePragmas { synchronous }))
            .build_unchecked(Manager { url });
        pool.get()
            .map_err(|e| format!("cannot connect to the database {shown}: {e}"))?;
        let turns = writer_turns(backend, max_size);
        Ok(Self {
            pool,
            backend,
            sealing_key: None,
            writers: std::sync::Arc::new(tokio::sync::Semaphore::new(turns)),
            waiting: Default::default(),
            group: None,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Seals the audit entries of this pool's write transactions with `key`.
    pub fn seal_audit_with(mut self, key: crate::secret::Secret) -> Self {
        self.sealing_key = Some(key);
        self
    }

    /// Group-commits this pool's writes (see [`group`]), or gives each its own transaction.
    pub fn group_commit(mut self, on: bool) -> Self {
        self.group = on.then(|| group::GroupCommit::start(self.pool.clone()));
        self
    }

    pub fn sealing_key(&self) -> Option<crate::secret::Secret> {
        self.sealing_key.clone()
    }

    /// The pool's connections now, and how many of them are idle.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    pub fn pool_max(&self) -> u32 {
        self.pool.max_size()
    }

    /// Writers waiting for their turn (or queued for the next batch), and turns free.
    pub fn writers_waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::Relaxed)
            + self.group.as_ref().map_or(0, |g| g.queued())
    }

    /// The write batches committed (or tried) so far, when writes are group-committed.
    pub fn write_batches(&self) -> Option<usize> {
        self.group.as_ref().map(|g| g.batches())
    }

    pub fn writer_turns_free(&self) -> usize {
        self.writers.available_permits()
    }

    pub fn conn(&self) -> AppResult<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` inside one write transaction: with group commit a savepoint of the writer
    /// thread's next batch (see [`group`]), otherwise its own transaction (see [`write_tx`]) on
    /// the blocking thread pool. Either way it answers once its changes are durably committed.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(group) = &self.group {
            return group.write(self.sealing_key.clone(), f).await;
        }
        // A writer waits for its turn holding no connection (readers are never starved of the
        // pool while writes queue) and no blocking thread.
        use std::sync::atomic::Ordering;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let turn = self.writers.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let turn = turn.map_err(AppError::internal)?;
        let pool = self.pool.clone();
        let key = self.sealing_key.clone();
        actix_web::web::block(move || {
            let _turn = turn;
            let mut conn = pool.get()?;
            with_sealing_key(key, || write_tx(&mut conn, f))
        })
        .await?
    }

    pub fn run_migrations(&self) -> Result<Vec<String>, String> {
        let mut conn = self.pool.get().map_err(|e| e.to_string())?;
        run_migrations(&mut conn)
    }
}

pub fn migrations_for(conn: &AnyConnection) -> EmbeddedMigrations {
    match conn {
        AnyConnection::Postgresql(_) => POSTGRES_MIGRATIONS,
        AnyConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    }
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, String> {
    let migrations = migrations_for(conn);
    conn.run_pending_migrations(migrations)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| format!("migration failed: {e}"))
}

/// A write transaction. On SQLite it begins with `BEGIN IMMEDIATE`, taking the write lock up
/// front, so that concurrent writers queue on the busy timeout instead of failing with
/// SQLITE_BUSY when a read turns into a write. On PostgreSQL it is an ordinary transaction.
pub fn write_tx<T, F>(conn: &mut AnyConnection, f: F) -> AppResult<T>
where
    F: FnOnce(&mut AnyConnection) -> AppResult<T>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        AnyConnection::Postgresql(_) => conn.transaction(f),
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            let result = f(conn);
            let AnyConnection::Sqlite(inner) = conn else {
                unreachable!("the variant does not change inside a transaction")
            };
            match result {
                Ok(value) => {
                    AnsiTransactionManager::commit_transaction(inner)?;
                    Ok(value)
                }
                Err(err) => {
                    AnsiTransactionManager::rollback_transaction(inner)?;
                    Err(err)
                }
            }
        }
    }
}
