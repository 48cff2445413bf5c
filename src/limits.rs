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
}
