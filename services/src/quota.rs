//! How many outbound calls one user may make through the console: Check connection and the Test
//! page each make a real connection from the server, so a signed-in user (or a stolen token)
//! could otherwise use Gatehouse to knock on backends, or on the gateway, as fast as it likes.
//! A sliding minute per user, in memory.
use crate::{Error, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calls per user per minute, Check connection and Test together.
pub const PER_MINUTE: usize = 30;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct OutboundQuota {
    calls: Mutex<HashMap<i32, VecDeque<Instant>>>,
}

impl OutboundQuota {
    /// Counts one call by `user`, or refuses it while the user has made `PER_MINUTE` in the
    /// last minute.
    pub fn take(&self, user: i32) -> Result<()> {
        self.take_at(user, Instant::now())
    }

    fn take_at(&self, user: i32, now: Instant) -> Result<()> {
        let mut calls = self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let recent = calls.entry(user).or_default();
        while recent.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            recent.pop_front();
        }
        if recent.len() >= PER_MINUTE {
            let oldest = recent.front().copied().unwrap_or(now);
            let retry_after_secs = (WINDOW.saturating_sub(now.duration_since(oldest))).as_secs().max(1);
            return Err(Error::Throttled { retry_after_secs });
        }
        recent.push_back(now);
        // Users with nothing in the window cost nothing.
        if calls.len() > 1_000 {
            calls.retain(|_, recent| recent.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_gets_so_many_calls_a_minute() {
        let quota = OutboundQuota::default();
        let start = Instant::now();
        for _ in 0..PER_MINUTE {
            quota.take_at(1, start).unwrap();
        }
        assert!(matches!(quota.take_at(1, start), Err(Error::Throttled { retry_after_secs: 60 })));
        assert!(quota.take_at(2, start).is_ok(), "another user is not held back");
        assert!(quota.take_at(1, start + WINDOW).is_ok(), "a minute later there is room again");
    }
}
