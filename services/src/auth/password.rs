//! argon2id password hashes in PHC string form (algorithm, parameters and salt travel with it).
//!
//! Each hash or check takes about 19 MiB and tens of milliseconds of one core, so they run off
//! the async runtime, one per core at a time (`bounded`): a burst of thousands of sign-ins then
//! costs a queue, not thousands of threads and gigabytes. Past `MAX_WAITING` queued, more are
//! refused at once, as too many attempts.
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// Checks waiting for a core, beyond which an attempt is refused rather than queued.
const MAX_WAITING: usize = 256;
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map(usize::from).unwrap_or(1)));
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Runs `work` (a hash or a check) on a blocking thread once a core is free.
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, crate::Error> {
    struct Waiting;
    impl Drop for Waiting {
        fn drop(&mut self) {
            WAITING.fetch_sub(1, Ordering::Relaxed);
        }
    }
    if WAITING.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::Relaxed);
        return Err(crate::Error::Throttled { retry_after_secs: 1 });
    }
    let waiting = Waiting;
    let _core = HASHING.acquire().await.map_err(|_| crate::Error::Internal("password hashing has stopped".into()))?;
    drop(waiting);
    tokio::task::spawn_blocking(work).await.map_err(|e| crate::Error::Internal(format!("password check failed: {e}")))
}

/// `verify_password`, bounded as above.
pub async fn verify_bounded(hash: String, password: String) -> Result<bool, crate::Error> {
    bounded(move || verify_password(&hash, &password)).await
}

/// `hash_password`, bounded as above.
pub async fn hash_bounded(password: String) -> Result<String, crate::Error> {
    bounded(move || hash_password(&password)).await?
}

pub fn hash_password(password: &str) -> Result<String, crate::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default() // argon2id, v19, OWASP's minimum parameters
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| crate::Error::Internal(format!("could not hash the password: {e}")))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of nothing anybody knows, verified when the email is unknown so that a wrong email
/// and a wrong password take the same time.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "wrong horse"));
        assert!(!verify_password("not a hash", "correct horse"));
    }
}
