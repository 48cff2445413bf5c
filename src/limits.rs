//! Bounded concurrency for expensive work, so that a flood of requests to one endpoint queues
//! briefly and is then refused (429) instead of exhausting CPU and memory.
//!
//! Password hashing is the expensive operation today (argon2id: ~19 MiB and tens of
//! milliseconds each); exports and generated reports will share the same mechanism.

use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

pub struct Limiter {
    permits: Semaphore,
    wait: Duration,
}

impl Limiter {
    pub fn new(concurrent: usize, wait: Duration) -> Self {
        Self {
            permits: Semaphore::new(concurrent),
            wait,
        }
    }

    /// Runs `f` on the blocking pool once a permit is free; 429 if none frees up in time.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| AppError::TooManyRequests {
                retry_after_secs: 1,
            })?
            .map_err(AppError::internal)?;
        let result = actix_web::web::block(f).await;
        drop(permit);
        Ok(result?)
    }
}

/// Exports and generated reports: two at once, waiting at most 10 seconds (a spreadsheet of a
/// district's figures is built in memory).
pub struct Exports(Limiter);

impl Default for Exports {
    fn default() -> Self {
        Self(Limiter::new(2, Duration::from_secs(10)))
    }
}

impl std::ops::Deref for Exports {
    type Target = Limiter;
    fn deref(&self) -> &Limiter {
        &self.0
    }
}

/// The oversight summary: as many at once as the machine has cores, waiting at most 30 seconds.
/// Each one reads and tallies every counter row of its scope (about 130,000 at 1,000,000
/// findings, some 30 MB while it runs); past the cores, more at once only adds memory, not
/// answers.
pub struct Summaries(Limiter);

impl Default for Summaries {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(Limiter::new(cores.max(2), Duration::from_secs(30)))
    }
}

impl std::ops::Deref for Summaries {
    type Target = Limiter;
    fn deref(&self) -> &Limiter {
        &self.0
    }
}

impl Limiter {
    /// Runs `work` once a permit is free (429 if none frees up in time): for work that is
    /// already asynchronous, such as a report counted on the database's own threads.
    pub async fn hold<T, F>(&self, work: F) -> AppResult<T>
    where
        F: std::future::Future<Output = AppResult<T>>,
    {
        let _permit = tokio::time::timeout(self.wait, self.permits.acquire())
            .await
            .map_err(|_| AppError::TooManyRequests {
                retry_after_secs: 1,
            })?
            .map_err(AppError::internal)?;
        work.await
    }
}

/// Password hashing and verification: `SA_PASSWORD_HASHING` at once (4 by default), waiting at
/// most 5 seconds. Shared by the app's workers as app data.
pub struct PasswordHashing(Limiter);

impl PasswordHashing {
    pub fn new(concurrent: usize) -> Self {
        Self(Limiter::new(concurrent.max(1), Duration::from_secs(5)))
    }
}

impl std::ops::Deref for PasswordHashing {
    type Target = Limiter;
    fn deref(&self) -> &Limiter {
        &self.0
    }
}

/// Bounds on each client's requests: how long one may take, and how many one address may have in
/// progress at once (slow-body clients would otherwise hold connections until the server runs
/// out of file descriptors).
pub struct RequestLimits {
    pub timeout: Duration,
    per_address: usize,
    in_flight: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

impl RequestLimits {
    pub fn new(timeout: Duration, per_address: usize) -> Self {
        Self {
            timeout,
            per_address: per_address.max(1),
            in_flight: Default::default(),
        }
    }

    /// A place for one more request from `address`, or `None` when it has too many in progress.
    /// The place is given back when the slot is dropped (the request ended or was abandoned).
    pub fn enter(self: &std::sync::Arc<Self>, address: String) -> Option<Slot> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let n = in_flight.entry(address.clone()).or_insert(0);
        if *n >= self.per_address {
            return None;
        }
        *n += 1;
        Some(Slot {
            limits: self.clone(),
            address,
        })
    }
}

/// A request body as actix streams it.
pub type BoxedBody = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
            Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
        >,
    >,
>;

/// A request body that fails with `TimedOut` once its deadline passes: a body trickled one byte
/// at a time cannot hold the request open.
pub struct Deadline<S> {
    inner: S,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl<S> Deadline<S> {
    pub fn new(inner: S, limit: Duration) -> Self {
        Self {
            inner,
            sleep: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl<S> futures_util::Stream for Deadline<S>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    type Item = S::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        if self.sleep.as_mut().poll(cx).is_ready() {
            let late =
                std::io::Error::new(std::io::ErrorKind::TimedOut, "the body came too slowly");
            return std::task::Poll::Ready(Some(Err(actix_web::error::PayloadError::Io(late))));
        }
        std::pin::Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Whether a body could not be read because it came too slowly (see [`Deadline`]).
pub fn too_slow(err: &actix_web::Error) -> bool {
    matches!(
        err.as_error::<actix_web::error::PayloadError>(),
        Some(actix_web::error::PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut
    )
}

/// One request in progress (see [`RequestLimits::enter`]).
pub struct Slot {
    limits: std::sync::Arc<RequestLimits>,
    address: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut in_flight = self
            .limits
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = in_flight.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn refuses_when_saturated() {
        let limiter = Limiter::new(1, Duration::from_millis(50));
        let held = limiter.permits.acquire().await.unwrap();
        let refused = limiter.run(|| 1).await;
        assert!(matches!(refused, Err(AppError::TooManyRequests { .. })));
        drop(held);
        assert_eq!(limiter.run(|| 2).await.unwrap(), 2);
    }

    #[test]
    fn an_address_gets_its_places_back() {
        let limits = std::sync::Arc::new(RequestLimits::new(Duration::from_secs(1), 2));
        let a = limits.enter("a".into()).unwrap();
        let _b = limits.enter("a".into()).unwrap();
        assert!(limits.enter("a".into()).is_none());
        assert!(
            limits.enter("b".into()).is_some(),
            "another address is not affected"
        );
        drop(a);
        assert!(limits.enter("a".into()).is_some());
    }
}
