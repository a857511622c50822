//! Rate limits and quotas, counted per subscription. Each counter is one atomic word changed
//! with compare-and-swap: requests of different subscriptions never touch the same memory, and
//! those of one subscription never wait on a lock.
//!
//! Where the counts live is behind `Counters`: `Local` keeps them in this process; several
//! gateway nodes put them in a shared store instead, with the same two questions asked.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// N requests per S seconds, per subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: u32,
}

/// N requests per calendar day or month (UTC), per subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    pub requests: u64,
    pub period: QuotaPeriod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaPeriod {
    Day,
    Month,
}

/// The largest rate limit a window can count (24 bits of its word).
pub const MAX_RATE_REQUESTS: u32 = (1 << 24) - 1;
/// The largest quota a counter can count (40 bits of its word).
pub const MAX_QUOTA_REQUESTS: u64 = (1 << 40) - 1;

/// What a counter said to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Counted. `remaining` in this window or period.
    Allowed { remaining: u64 },
    /// Over the limit; the window or period ends in `reset`.
    Refused { limit: u64, reset: Duration },
}

/// One subscription's count against one limit.
pub trait Counter: Send + Sync {
    /// Counts one request, unless the limit is reached.
    fn take(&self) -> Decision;
}

/// Makes the counters of a credentials snapshot. A counter is asked for again at every swap;
/// `Local` hands back the one it made before (by subscription and limit), so counts survive a
/// change to another subscription.
pub trait Counters: Send + Sync {
    fn rate(&self, subscription_id: i32, limit: RateLimit) -> Arc<dyn Counter>;
    /// `used`: requests already counted in the current period (from the usage written before
    /// a restart), taken only when the counter is new.
    fn quota(&self, subscription_id: i32, quota: Quota, used: u64) -> Arc<dyn Counter>;
}

/// Counters in this process's memory.
#[derive(Default)]
pub struct Local {
    rates: std::sync::Mutex<std::collections::HashMap<(i32, RateLimit), std::sync::Weak<RateWindow>>>,
    quotas: std::sync::Mutex<std::collections::HashMap<(i32, Quota), std::sync::Weak<QuotaCount>>>,
}

impl Counters for Local {
    // Called when a snapshot is compiled, never per request: the maps' locks are off the hot path.
    fn rate(&self, subscription_id: i32, limit: RateLimit) -> Arc<dyn Counter> {
        let mut rates = self.rates.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = rates.get(&(subscription_id, limit)).and_then(std::sync::Weak::upgrade) {
            return found;
        }
        rates.retain(|_, w| w.strong_count() > 0);
        let window = Arc::new(RateWindow::new(limit));
        rates.insert((subscription_id, limit), Arc::downgrade(&window));
        window
    }

    fn quota(&self, subscription_id: i32, quota: Quota, used: u64) -> Arc<dyn Counter> {
        let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = quotas.get(&(subscription_id, quota)).and_then(std::sync::Weak::upgrade) {
            return found;
        }
        quotas.retain(|_, w| w.strong_count() > 0);
        let count = Arc::new(QuotaCount::starting(quota, used, unix_now()));
        quotas.insert((subscription_id, quota), Arc::downgrade(&count));
        count
    }
}

/// Milliseconds since this process's first use of a counter, plus one (0 means "never used").
fn now_ms() -> u64 {
    static START: LazyLock<Instant> = LazyLock::new(Instant::now);
    START.elapsed().as_millis() as u64 + 1
}

const COUNT_BITS: u32 = 24;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

/// A fixed window that opens with the first request after the previous one closed: at most
/// `requests` in any window of `per_seconds`, exactly as many as the limit at saturation.
/// The word holds the window's start (ms, 40 bits) and the count in it (24 bits).
pub struct RateWindow {
    limit: u64,
    span_ms: u64,
    word: AtomicU64,
}

impl RateWindow {
    pub fn new(limit: RateLimit) -> Self {
        RateWindow { limit: u64::from(limit.requests.min(MAX_RATE_REQUESTS)), span_ms: u64::from(limit.per_seconds.max(1)) * 1000, word: AtomicU64::new(0) }
    }

    fn take_at(&self, now: u64) -> Decision {
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            let (start, count) = (current >> COUNT_BITS, current & COUNT_MASK);
            let (start, count) = if start == 0 || now >= start + self.span_ms { (now, 0) } else { (start, count) };
            if count >= self.limit {
                return Decision::Refused { limit: self.limit, reset: Duration::from_millis(start + self.span_ms - now) };
            }
            let next = (start << COUNT_BITS) | (count + 1);
            match self.word.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Decision::Allowed { remaining: self.limit - count - 1 },
                Err(actual) => current = actual,
            }
        }
    }
}

impl Counter for RateWindow {
    fn take(&self) -> Decision {
        self.take_at(now_ms())
    }
}

const QUOTA_BITS: u32 = 40;
const QUOTA_MASK: u64 = (1 << QUOTA_BITS) - 1;

/// Requests in the current calendar day or month (UTC). The word holds the period's number
/// (24 bits: days or months since 1970) and the count in it (40 bits).
pub struct QuotaCount {
    limit: u64,
    period: QuotaPeriod,
    word: AtomicU64,
}

impl QuotaCount {
    pub fn new(quota: Quota) -> Self {
        QuotaCount { limit: quota.requests.min(MAX_QUOTA_REQUESTS), period: quota.period, word: AtomicU64::new(0) }
    }

    /// With `used` requests already counted in the period current at `unix_secs`.
    pub fn starting(quota: Quota, used: u64, unix_secs: u64) -> Self {
        let count = QuotaCount::new(quota);
        if used > 0 {
            let (period, _) = period_at(quota.period, unix_secs);
            count.word.store((period << QUOTA_BITS) | used.min(QUOTA_MASK), Ordering::Relaxed);
        }
        count
    }

    fn take_at(&self, unix_secs: u64) -> Decision {
        let (period, reset) = period_at(self.period, unix_secs);
        let mut current = self.word.load(Ordering::Relaxed);
        loop {
            let count = if current >> QUOTA_BITS == period { current & QUOTA_MASK } else { 0 };
            if count >= self.limit {
                return Decision::Refused { limit: self.limit, reset };
            }
            let next = (period << QUOTA_BITS) | (count + 1);
            match self.word.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Decision::Allowed { remaining: self.limit - count - 1 },
                Err(actual) => current = actual,
            }
        }
    }
}

impl Counter for QuotaCount {
    fn take(&self) -> Decision {
        self.take_at(unix_now())
    }
}

/// A quota period's number (days or months since 1970, plus one) and how long until the next
/// one starts, at `unix_secs`.
pub fn period_at(period: QuotaPeriod, unix_secs: u64) -> (u64, Duration) {
    let day = unix_secs / 86_400;
    match period {
        QuotaPeriod::Day => (day + 1, Duration::from_secs((day + 1) * 86_400 - unix_secs)),
        QuotaPeriod::Month => {
            let date = time::OffsetDateTime::from_unix_timestamp(unix_secs as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let index = (date.year() as u64 - 1970) * 12 + u64::from(u8::from(date.month())) - 1;
            let next =
                time::Date::from_calendar_date(if date.month() == time::Month::December { date.year() + 1 } else { date.year() }, date.month().next(), 1)
                    .map(|d| d.midnight().assume_utc().unix_timestamp() as u64)
                    .unwrap_or(unix_secs + 86_400);
            (index + 1, Duration::from_secs(next.saturating_sub(unix_secs)))
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_lets_exactly_the_limit_through_then_opens_again() {
        let window = RateWindow::new(RateLimit { requests: 3, per_seconds: 10 });
        let at = |ms| window.take_at(ms);
        assert_eq!(at(1_000), Decision::Allowed { remaining: 2 });
        assert_eq!(at(1_001), Decision::Allowed { remaining: 1 });
        assert_eq!(at(5_000), Decision::Allowed { remaining: 0 });
        assert_eq!(at(5_001), Decision::Refused { limit: 3, reset: Duration::from_millis(5_999) });
        assert_eq!(at(10_999), Decision::Refused { limit: 3, reset: Duration::from_millis(1) });
        // The next window opens with the next request, not on a clock.
        assert_eq!(at(11_000), Decision::Allowed { remaining: 2 });
    }

    #[test]
    fn many_threads_hammering_one_window_get_exactly_the_limit() {
        let window = Arc::new(RateWindow::new(RateLimit { requests: 1_000, per_seconds: 3_600 }));
        let allowed: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let window = window.clone();
                    s.spawn(move || (0..500).filter(|_| matches!(window.take(), Decision::Allowed { .. })).count())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(allowed, 1_000);
    }

    #[test]
    fn quotas_count_per_calendar_day_and_month() {
        let daily = QuotaCount::new(Quota { requests: 2, period: QuotaPeriod::Day });
        let noon = 1_764_763_200; // 2025-12-03 12:00 UTC
        assert!(matches!(daily.take_at(noon), Decision::Allowed { remaining: 1 }));
        assert!(matches!(daily.take_at(noon + 1), Decision::Allowed { remaining: 0 }));
        assert_eq!(daily.take_at(noon + 2), Decision::Refused { limit: 2, reset: Duration::from_secs(12 * 3600 - 2) });
        assert!(matches!(daily.take_at(noon + 12 * 3600), Decision::Allowed { .. }), "a new day");
        let monthly = QuotaCount::new(Quota { requests: 1, period: QuotaPeriod::Month });
        assert!(matches!(monthly.take_at(noon), Decision::Allowed { .. }));
        let Decision::Refused { reset, .. } = monthly.take_at(noon + 86_400) else { panic!("over the quota") };
        assert_eq!(reset, Duration::from_secs(27 * 86_400 + 12 * 3600), "until 2026-01-01 00:00 UTC");
        assert!(matches!(monthly.take_at(noon + 29 * 86_400), Decision::Allowed { .. }), "January");
        // Counted before a restart: the period goes on where it stopped; a later period starts afresh.
        let resumed = QuotaCount::starting(Quota { requests: 3, period: QuotaPeriod::Day }, 2, noon);
        assert!(matches!(resumed.take_at(noon + 1), Decision::Allowed { remaining: 0 }));
        assert!(matches!(resumed.take_at(noon + 2), Decision::Refused { .. }));
        assert!(matches!(
            QuotaCount::starting(Quota { requests: 3, period: QuotaPeriod::Day }, 2, noon).take_at(noon + 86_400),
            Decision::Allowed { remaining: 2 }
        ));
    }

    #[test]
    fn local_counters_survive_a_new_snapshot_but_not_a_new_limit() {
        let local = Local::default();
        let limit = RateLimit { requests: 1, per_seconds: 60 };
        let first = local.rate(7, limit);
        assert!(matches!(first.take(), Decision::Allowed { .. }));
        assert!(matches!(local.rate(7, limit).take(), Decision::Refused { .. }), "the same window");
        assert!(matches!(local.rate(7, RateLimit { requests: 2, per_seconds: 60 }).take(), Decision::Allowed { .. }), "a new limit starts afresh");
        assert!(matches!(local.rate(8, limit).take(), Decision::Allowed { .. }), "another subscription");
    }
}
