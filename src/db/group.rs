//! Group commit. SQLite takes one writer at a time (and the audit chain makes PostgreSQL's writers
//! take turns too), and a durable commit costs a sync of the log, so one commit per request caps
//! writes at the disk's sync rate. Here the write
//! transactions of concurrent requests go to one writer thread, which runs whatever has queued
//! in one transaction, each request in its own savepoint (a request that fails rolls back alone,
//! and the next one sees exactly what the earlier ones left), commits once, and only then answers
//! every request of the batch. Nothing is acknowledged before the commit that holds it is durable;
//! if that commit fails, every request of the batch gets an error and none of it was kept.
//!
//! Requests run one after another on the same connection, so whatever they read — the last audit
//! entry their entry chains to, an idempotency key an earlier request of the batch stored — is
//! what the earlier requests left, as with one transaction each.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::{with_sealing_key, AnyConnection, Pool};
use crate::error::{AppError, AppResult};

/// At most this many requests share a commit, so that the first of a long queue still answers
/// promptly.
pub const MAX_BATCH: usize = 128;

/// What a request leaves to do once its batch is committed: hand its result over.
type Settle = Box<dyn FnOnce() + Send>;

/// A request's write: runs inside its savepoint, tells whether it succeeded, and returns how to
/// hand its result over. Dropped unrun (the batch failed before it), it answers with an error.
type Job = Box<dyn FnOnce(&mut AnyConnection) -> (bool, Settle) + Send>;

/// The queue to the writer thread. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Job>,
    queued: Arc<AtomicUsize>,
    batches: Arc<AtomicUsize>,
}

impl GroupCommit {
    /// Starts the writer thread over `pool`.
    pub fn start(pool: Pool) -> Self {
        let (queue, jobs) = mpsc::channel::<Job>();
        let queued = Arc::new(AtomicUsize::new(0));
        let waiting = queued.clone();
        let batches = Arc::new(AtomicUsize::new(0));
        let counted = batches.clone();
        std::thread::Builder::new()
            .name("sa-writer".into())
            .spawn(move || {
                while let Ok(first) = jobs.recv() {
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match jobs.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    waiting.fetch_sub(batch.len(), Ordering::Relaxed);
                    counted.fetch_add(1, Ordering::Relaxed);
                    run_batch(&pool, batch);
                }
            })
            .expect("the writer thread starts");
        Self {
            queue,
            queued,
            batches,
        }
    }

    /// Requests queued for the writer now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Batches the writer has taken up so far.
    pub fn batches(&self) -> usize {
        self.batches.load(Ordering::Relaxed)
    }

    /// Runs `f` in the next batch (its audit entries sealed with `key`); answers once that batch
    /// is durably committed.
    pub async fn write<T, F>(&self, key: Option<crate::secret::Secret>, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<AppResult<T>>();
        let job: Job = Box::new(move |conn| {
            let result = catch_unwind(AssertUnwindSafe(|| with_sealing_key(key, || f(conn))))
                .unwrap_or_else(|_| Err(AppError::internal("the write panicked")));
            let ok = result.is_ok();
            let settle: Settle = Box::new(move || {
                // The request may have gone (its client hung up): nothing to tell then.
                let _ = answer.send(result);
            });
            (ok, settle)
        });
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.queue.send(job).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(AppError::Unavailable(
                "the database writer has stopped".into(),
            ));
        }
        answered.await.unwrap_or_else(|_| {
            Err(AppError::Unavailable(
                "the write could not be committed; nothing of it was kept".into(),
            ))
        })
    }
}

/// Runs one batch: one `BEGIN IMMEDIATE`, a savepoint per request, one `COMMIT`, then the answers.
fn run_batch(pool: &Pool, batch: Vec<Job>) {
    let size = batch.len();
    metrics::histogram!("db_write_batch_size").record(size as f64);
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(err) => {
            tracing::error!(error = %err, requests = size, "no connection for a write batch");
            return; // dropping the batch answers each request with an error
        }
    };
    match commit_batch(&mut conn, batch) {
        Ok(settles) => settles.into_iter().for_each(|settle| settle()),
        Err(err) => {
            tracing::error!(error = %err, requests = size, "a write batch was rolled back")
        }
    }
}

/// The connection's own transaction manager (it speaks to whichever backend the connection is).
type Manager = <AnyConnection as diesel::Connection>::TransactionManager;

/// The batch's transaction. Returns the answers to give once it is committed, or the error that
/// undid all of it (the answers are then dropped, which tells each request it failed).
fn commit_batch(conn: &mut AnyConnection, batch: Vec<Job>) -> Result<Vec<Settle>, String> {
    match conn {
        // Take the write lock up front, as every write transaction on SQLite does.
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgresql(_) => Manager::begin_transaction(conn),
    }
    .map_err(|e| format!("begin: {e}"))?;
    let mut settles = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(err) = run_in_savepoint(conn, job, &mut settles) {
            abandon(conn);
            return Err(err);
        }
    }
    match Manager::commit_transaction(conn) {
        Ok(()) => Ok(settles),
        Err(err) => {
            abandon(conn);
            Err(format!("commit: {err}"))
        }
    }
}

/// One request in its savepoint: released if it succeeded, rolled back to if not.
fn run_in_savepoint(
    conn: &mut AnyConnection,
    job: Job,
    settles: &mut Vec<Settle>,
) -> Result<(), String> {
    Manager::begin_transaction(conn).map_err(|e| format!("savepoint: {e}"))?;
    let level = depth(conn);
    let (mut ok, settle) = job(conn);
    // A request that panicked inside a nested transaction left it open: close it, and count the
    // request as failed.
    while depth(conn) > level {
        ok = false;
        if Manager::rollback_transaction(conn).is_err() {
            break;
        }
    }
    let ended = if ok {
        Manager::commit_transaction(conn)
    } else {
        Manager::rollback_transaction(conn)
    };
    // The answer is kept even when the savepoint cannot be ended: the batch then fails, and
    // dropping it with the others tells the request so.
    settles.push(settle);
    ended.map_err(|e| format!("ending a savepoint: {e}"))
}

/// How many transactions and savepoints are open.
fn depth(conn: &mut AnyConnection) -> u32 {
    Manager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, |d| d.get())
}

/// Rolls the whole batch back (whatever depth of savepoints is open).
fn abandon(conn: &mut AnyConnection) {
    while depth(conn) > 0 {
        if Manager::rollback_transaction(conn).is_err() {
            break;
        }
    }
}
