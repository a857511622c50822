//! Slows down password guessing: after `FREE_ATTEMPTS` failures for one account within the
//! window, further attempts are refused for a lock-out that doubles with each failure (capped).
//! Kept in memory: a restart forgets it, which is acceptable for a single-process portal.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const FREE_ATTEMPTS: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const BASE_LOCKOUT: Duration = Duration::from_secs(30);
const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

impl LoginThrottle {
    /// `Err(seconds)` while the account is locked out.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        self.check_at(key, Instant::now())
    }

    pub fn record_failure(&self, key: &str) {
        self.record_failure_at(key, Instant::now())
    }

    pub fn record_success(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // A panic while holding this lock cannot leave the map inconsistent; keep going.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), u64> {
        match self.lock().get(key).and_then(|f| f.locked_until) {
            Some(until) if until > now => Err((until - now).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    fn record_failure_at(&self, key: &str, now: Instant) {
        let mut map = self.lock();
        let entry = map.entry(key.to_string()).or_insert(Failures { count: 0, first: now, locked_until: None });
        if now.duration_since(entry.first) > WINDOW {
            *entry = Failures { count: 0, first: now, locked_until: None };
        }
        entry.count += 1;
        if entry.count >= FREE_ATTEMPTS {
            let doublings = (entry.count - FREE_ATTEMPTS).min(10);
            let lockout = (BASE_LOCKOUT * 2u32.pow(doublings)).min(MAX_LOCKOUT);
            entry.locked_until = Some(now + lockout);
        }
        // Bound the memory an attacker can make us use with made-up emails.
        if map.len() > 10_000 {
            map.retain(|_, f| now.duration_since(f.first) <= WINDOW);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_repeated_failures_and_unlocks_later() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_ATTEMPTS - 1 {
            throttle.record_failure_at("a@example.test", start);
        }
        assert_eq!(throttle.check_at("a@example.test", start), Ok(()));
        throttle.record_failure_at("a@example.test", start);
        let wait = throttle.check_at("a@example.test", start).unwrap_err();
        assert_eq!(wait, BASE_LOCKOUT.as_secs());
        // Other accounts are unaffected.
        assert_eq!(throttle.check_at("b@example.test", start), Ok(()));
        assert_eq!(throttle.check_at("a@example.test", start + BASE_LOCKOUT + Duration::from_secs(1)), Ok(()));
        // The next failure doubles the lock-out.
        throttle.record_failure_at("a@example.test", start + BASE_LOCKOUT);
        let wait = throttle.check_at("a@example.test", start + BASE_LOCKOUT).unwrap_err();
        assert_eq!(wait, 2 * BASE_LOCKOUT.as_secs());
        throttle.record_success("a@example.test");
        assert_eq!(throttle.check_at("a@example.test", start + BASE_LOCKOUT), Ok(()));
    }
}
