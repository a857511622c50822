//! Rate limits and quotas counted across gateway nodes in Redis (`GATEHOUSE_REDIS_URL`), with
//! no Redis round trip on a request. The algorithm: fixed windows aligned to the clock (every
//! node agrees where a window starts: a rate limit's span from the epoch, a quota's calendar day
//! or month in UTC), and per window a *grant*, the part of the limit this node
//! has reserved in Redis and may let through on its own. A request only counts against the
//! grant in memory. A node's first request in a window grants it an equal share of the limit
//! (`limit / nodes`, where `nodes` is how many nodes synced in the last seconds) at once, so
//! no request waits for Redis. Every `SYNC` a task reserves in Redis, for each window with
//! news, what it granted itself and, when the grant is spent, one more equal share of what is
//! left (`INCRBY` on the window's key, one pipeline for every window); when the total passes
//! the limit, the part beyond it is not granted. With the load spread over the nodes (a load
//! balancer's round robin) that is exact: the first shares add up to the limit and nothing more
//! is granted. A busy node among idle ones reaches the limit in a few syncs, taking a share of
//! what is left each time. What it tolerates: a first share is taken before Redis is asked, so
//! a node whose first request in a window comes after the others reserved more than their
//! shares lets through up to that first share (`limit / nodes`) beyond the limit; reserved but
//! unused at the window's end is the only undercount.
//!
//! A quota's period is long (a day, a month), so a node that starts mid-period resumes it: the
//! requests already allowed in it (the usage every node writes to the database) are counted
//! before this node's first share, and seed the period's total in Redis if Redis has none (a
//! Redis restarted without its data).
//!
//! When Redis cannot be reached (or answers slower than `TIMEOUT`) each node counts the whole
//! limit alone, as without Redis, until it is back: never an error for the caller. The state is
//! in `up()` and the metric `gatehouse_gateway_limit_store_up`.
use super::limits::{period_at, Counter, Counters, Decision, Quota, QuotaPeriod, RateLimit, MAX_QUOTA_REQUESTS, MAX_RATE_REQUESTS};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the windows' grants are reserved in Redis and their totals read back.
pub const SYNC: Duration = Duration::from_millis(50);
/// A sync slower than this counts as Redis being unreachable.
const TIMEOUT: Duration = Duration::from_millis(500);
/// A node that has not synced for this long is no longer counted among the nodes sharing.
const NODE_TTL_MS: u64 = 3_000;

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Where a counter's windows start and end: every node computes the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Span {
    /// A rate limit's: `unix_ms / ms`.
    Clock { ms: u64 },
    /// A quota's: the calendar day or month (UTC).
    Calendar(QuotaPeriod),
}

impl Span {
    /// The window current at `now` (ms since the epoch) and how long until it ends.
    fn at(self, now: u64) -> (u64, Duration) {
        match self {
            Span::Clock { ms } => {
                let window = now / ms;
                (window, Duration::from_millis((window + 1) * ms - now))
            }
            Span::Calendar(period) => period_at(period, now / 1000),
        }
    }

    /// The part of a Redis key that names the span.
    fn name(self) -> String {
        match self {
            Span::Clock { ms } => format!("rate:{ms}"),
            Span::Calendar(QuotaPeriod::Day) => "quota:day".into(),
            Span::Calendar(QuotaPeriod::Month) => "quota:month".into(),
        }
    }
}

/// One subscription's window, as this node sees it.
struct State {
    /// The window's number (`Span::at`).
    window: u64,
    /// Allowed in this window before this node started (a quota resumed mid-period).
    before: u64,
    /// Let through here in this window.
    taken: u64,
    /// How many this node may let through in this window.
    granted: u64,
    /// Of `granted`, what is reserved in Redis.
    reported: u64,
    /// The window's total in Redis at the last sync.
    total: u64,
}

impl State {
    const EMPTY: State = State { window: 0, before: 0, taken: 0, granted: 0, reported: 0, total: 0 };

    /// What the next sync reserves: the grant not yet reserved, or, once all of it is reserved
    /// and spent, a share of what the last reservation's total left.
    fn ask(&self, limit: u64, nodes: u64) -> u64 {
        // Reserved can exceed granted: a reservation that passed the limit.
        let unreserved = self.granted.saturating_sub(self.reported);
        if unreserved > 0 {
            unreserved
        } else if self.taken >= self.granted {
            share(limit.saturating_sub(self.total.max(self.reported)), nodes)
        } else {
            0
        }
    }

    /// `ask` was reserved and the window's total is now `total`: what passed the limit is not
    /// granted (what was let through stays so).
    fn reserved(&mut self, ask: u64, total: u64, limit: u64) {
        let got = ask - total.saturating_sub(limit).min(ask);
        self.granted = (self.reported + got).max(self.taken);
        self.reported += ask;
        self.total = total;
    }
}

pub struct SharedWindow {
    subscription: i32,
    limit: u64,
    span: Span,
    /// (window, requests): allowed in that window before this process started.
    resumed: (u64, u64),
    state: Mutex<State>,
    store: Arc<Store>,
}

impl SharedWindow {
    fn take_at(&self, now: u64) -> Decision {
        let (window, reset) = self.span.at(now);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.window != window {
            // A new window: an equal share of what is left of the limit, reserved at the next
            // sync.
            let before = if self.resumed.0 == window { self.resumed.1.min(self.limit) } else { 0 };
            *state = State { window, before, total: before, granted: self.store.first_share(self.limit - before), ..State::EMPTY };
        }
        let granted = if self.store.up() { state.granted } else { self.limit - state.before };
        if state.taken >= granted {
            return Decision::Refused { limit: self.limit, reset };
        }
        state.taken += 1;
        let seen = state.total.max(state.reported) - state.reported + state.taken;
        Decision::Allowed { remaining: self.limit.saturating_sub(seen) }
    }

    fn key(&self, window: u64) -> String {
        format!("gatehouse:{}:{}:{}:{window}", self.span.name(), self.subscription, self.limit)
    }
}

impl Counter for SharedWindow {
    fn take(&self) -> Decision {
        self.take_at(unix_ms())
    }
}

/// Where the windows live and how Redis is reached.
struct Store {
    up: AtomicBool,
    /// Nodes sharing the limits, at the last sync (at least 1).
    nodes: AtomicU64,
    windows: Mutex<HashMap<(i32, Limit), Weak<SharedWindow>>>,
    node_id: String,
}

impl Store {
    fn up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    fn first_share(&self, limit: u64) -> u64 {
        share(limit, self.nodes.load(Ordering::Relaxed))
    }
}

/// An equal share of `left` among `nodes`, at least one request while anything is left.
fn share(left: u64, nodes: u64) -> u64 {
    if left == 0 {
        0
    } else {
        (left / nodes.max(1)).max(1)
    }
}

/// What a window counts against, to find it again at the next snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Limit {
    Rate(RateLimit),
    Quota(Quota),
}

/// Counters for rate limits and quotas in Redis.
pub struct Shared {
    store: Arc<Store>,
}

impl Shared {
    /// Starts syncing with Redis at `url` (`redis://…` or `rediss://…`); the counters work at
    /// once, counting alone until the first sync succeeds. An unusable URL is an error.
    pub fn start(url: &str, metrics: Arc<crate::Metrics>) -> Result<Shared, String> {
        let client = redis::Client::open(url).map_err(|e| format!("GATEHOUSE_REDIS_URL is not a Redis URL: {e}"))?;
        let store = Arc::new(Store {
            up: AtomicBool::new(false),
            nodes: AtomicU64::new(1),
            windows: Mutex::default(),
            node_id: uuid::Uuid::new_v4().simple().to_string(),
        });
        metrics.set_limit_store_up(false);
        tokio::spawn(sync_forever(client, Arc::downgrade(&store), metrics));
        Ok(Shared { store })
    }

    /// Whether the last sync with Redis succeeded (the limits are shared).
    pub fn up(&self) -> bool {
        self.store.up()
    }
}

impl Shared {
    // Called when a snapshot is compiled, never per request.
    fn window(&self, subscription: i32, key: Limit, limit: u64, span: Span, resumed: (u64, u64)) -> Arc<dyn Counter> {
        let mut windows = self.store.windows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = windows.get(&(subscription, key)).and_then(Weak::upgrade) {
            return found;
        }
        windows.retain(|_, w| w.strong_count() > 0);
        let window = Arc::new(SharedWindow { subscription, limit, span, resumed, state: Mutex::new(State::EMPTY), store: self.store.clone() });
        windows.insert((subscription, key), Arc::downgrade(&window));
        window
    }
}

impl Counters for Shared {
    fn rate(&self, subscription_id: i32, limit: RateLimit) -> Arc<dyn Counter> {
        let span = Span::Clock { ms: u64::from(limit.per_seconds.max(1)) * 1000 };
        self.window(subscription_id, Limit::Rate(limit), u64::from(limit.requests.min(MAX_RATE_REQUESTS)), span, (0, 0))
    }

    fn quota(&self, subscription_id: i32, quota: Quota, used: u64) -> Arc<dyn Counter> {
        let span = Span::Calendar(quota.period);
        let resumed = (span.at(unix_ms()).0, used);
        self.window(subscription_id, Limit::Quota(quota), quota.requests.min(MAX_QUOTA_REQUESTS), span, resumed)
    }
}

async fn sync_forever(client: redis::Client, store: Weak<Store>, metrics: Arc<crate::Metrics>) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    let mut tick = tokio::time::interval(SYNC);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { return };
        let synced = tokio::time::timeout(TIMEOUT, sync(&client, &mut connection, &store)).await;
        let up = matches!(synced, Ok(Ok(())));
        if !up {
            connection = None;
        }
        if store.up.swap(up, Ordering::Relaxed) != up {
            metrics.set_limit_store_up(up);
            match &synced {
                Ok(Ok(())) => tracing::info!("rate limits are counted across the gateway nodes in Redis again"),
                Ok(Err(e)) => tracing::warn!(error = %e, "Redis is unreachable: each gateway node counts rate limits alone until it is back"),
                Err(_) => tracing::warn!("Redis answers too slowly: each gateway node counts rate limits alone until it is back"),
            }
        }
        if !up {
            // Not every 50 ms while it is down.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// One round: every window with news reserves its grant (and another share when it is spent)
/// and learns the total; the node's heartbeat tells how many nodes share.
async fn sync(client: &redis::Client, connection: &mut Option<redis::aio::MultiplexedConnection>, store: &Store) -> redis::RedisResult<()> {
    if connection.is_none() {
        *connection = Some(client.get_multiplexed_async_connection().await?);
    }
    let Some(con) = connection.as_mut() else { return Ok(()) };
    let now = unix_ms();
    let windows: Vec<Arc<SharedWindow>> = store.windows.lock().unwrap_or_else(|p| p.into_inner()).values().filter_map(Weak::upgrade).collect();
    let nodes = store.nodes.load(Ordering::Relaxed);
    // The windows this round reserves for, with how much each asks, and what a resumed
    // quota's period had before (to seed Redis with on its first reservation).
    let mut due: Vec<(Arc<SharedWindow>, u64, u64, u64)> = Vec::new();
    for w in windows {
        let state = w.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.window != w.span.at(now).0 {
            continue;
        }
        let ask = state.ask(w.limit, nodes);
        if ask > 0 {
            let seed = if state.reported == 0 { state.before } else { 0 };
            due.push((w.clone(), state.window, ask, seed));
        }
    }
    let mut pipe = redis::pipe();
    pipe.cmd("ZADD").arg("gatehouse:nodes").arg(now).arg(&store.node_id).ignore();
    pipe.cmd("ZREMRANGEBYSCORE").arg("gatehouse:nodes").arg("-inf").arg(now.saturating_sub(NODE_TTL_MS)).ignore();
    pipe.cmd("ZCARD").arg("gatehouse:nodes");
    for (w, window, delta, seed) in &due {
        let key = w.key(*window);
        // Kept a while past the window's end, in case of clocks a little apart.
        let keep = match w.span {
            Span::Clock { ms } => ms * 2,
            Span::Calendar(_) => w.span.at(now).1.as_millis() as u64 + 86_400_000,
        };
        if *seed > 0 {
            // Unless another node (or this one before a restart) has counted there already.
            pipe.cmd("SET").arg(&key).arg(*seed).arg("NX").arg("PX").arg(keep).ignore();
        }
        pipe.cmd("INCRBY").arg(&key).arg(*delta);
        pipe.cmd("PEXPIRE").arg(&key).arg(keep).ignore();
    }
    let answers: Vec<u64> = pipe.query_async(con).await?;
    store.nodes.store(answers.first().copied().unwrap_or(1).max(1), Ordering::Relaxed);
    for ((w, window, ask, _), total) in due.iter().zip(answers.iter().skip(1)) {
        let mut state = w.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.window != *window {
            continue; // a new window began meanwhile
        }
        state.reserved(*ask, *total, w.limit);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(limit: u32, nodes: u64, up: bool) -> SharedWindow {
        let store = Arc::new(Store { up: AtomicBool::new(up), nodes: AtomicU64::new(nodes), windows: Mutex::default(), node_id: "a".into() });
        SharedWindow { subscription: 1, limit: u64::from(limit), span: Span::Clock { ms: 10_000 }, resumed: (0, 0), state: Mutex::new(State::EMPTY), store }
    }

    #[test]
    fn a_quota_resumed_mid_period_shares_what_is_left_and_counts_what_was_used() {
        let noon = 1_764_763_200_000; // 2025-12-03 12:00 UTC, in ms
        let span = Span::Calendar(QuotaPeriod::Day);
        let (today, reset) = span.at(noon);
        assert_eq!(reset, Duration::from_secs(12 * 3600), "until midnight UTC");
        let mut w = window(100, 2, true);
        w.span = span;
        w.resumed = (today, 40);
        // 40 used before this node started: a first share of the 60 left.
        let allowed = (0..100).filter(|_| matches!(w.take_at(noon), Decision::Allowed { .. })).count();
        assert_eq!(allowed, 30);
        {
            let state = w.state.lock().unwrap();
            assert_eq!((state.before, state.total), (40, 40));
            assert_eq!(state.ask(100, 2), 30, "its first share, to reserve on top of the 40 it seeds Redis with");
        }
        let Decision::Refused { reset, .. } = w.take_at(noon + 1_000) else { panic!("over the share") };
        assert_eq!(reset, Duration::from_secs(12 * 3600 - 1));
        // Tomorrow starts afresh; with Redis away this node counts the whole quota alone.
        let tomorrow = noon + 12 * 3_600_000;
        w.store.up.store(false, Ordering::Relaxed);
        assert_eq!((0..200).filter(|_| matches!(w.take_at(tomorrow), Decision::Allowed { .. })).count(), 100);
        let mut alone = window(100, 2, false);
        alone.span = span;
        alone.resumed = (today, 40);
        assert_eq!((0..200).filter(|_| matches!(alone.take_at(noon), Decision::Allowed { .. })).count(), 60, "alone: what was used still counts");
    }

    #[test]
    fn shares_of_what_is_left_never_add_up_to_more_than_is_left() {
        assert_eq!(share(1_000, 3), 333);
        assert_eq!(share(2, 3), 1, "one request each while anything is left");
        assert_eq!(share(0, 3), 0);
        assert_eq!(share(10, 0), 10, "no node known: this one");
    }

    #[test]
    fn a_new_window_starts_with_an_equal_share_until_the_first_sync() {
        let w = window(9, 3, true);
        let allowed = (0..10).filter(|_| matches!(w.take_at(25_000), Decision::Allowed { .. })).count();
        assert_eq!(allowed, 3);
        let Decision::Refused { limit, reset } = w.take_at(25_001) else { panic!("over the share") };
        assert_eq!((limit, reset), (9, Duration::from_millis(4_999)), "until the window aligned to the clock ends");
        assert!(matches!(w.take_at(30_000), Decision::Allowed { .. }), "the next window");
    }

    #[test]
    fn a_reservation_past_the_limit_grants_only_what_fits_and_asks_nothing_more() {
        // (`total` is the window's total in Redis after this node's reservation.)
        let w = window(10, 2, true);
        for _ in 0..5 {
            assert!(matches!(w.take_at(25_000), Decision::Allowed { .. }));
        }
        let mut state = w.state.lock().unwrap();
        assert_eq!(state.ask(10, 2), 5, "the first share, unreserved");
        // The other node reserved 8 meanwhile: of the 5 asked, 2 fit; the 5 let through stay so.
        state.reserved(5, 13, 10);
        assert_eq!((state.granted, state.reported, state.total), (5, 5, 13));
        assert_eq!(state.ask(10, 2), 0, "spent, and nothing is left");
        // A grant that passed what is reserved (counted alone while Redis was away) asks no
        // wrapped-around amount.
        state.taken = 9;
        state.granted = 3;
        assert_eq!(state.ask(10, 2), 0);
        // Something left: a share of it.
        state.total = 6;
        state.reported = 6;
        state.granted = 6;
        state.taken = 6;
        assert_eq!(state.ask(10, 2), 2);
        state.reserved(2, 8, 10);
        assert_eq!(state.granted, 8);
    }

    #[test]
    fn with_redis_unreachable_a_node_counts_the_whole_limit_alone() {
        let w = window(9, 3, false);
        let allowed = (0..20).filter(|_| matches!(w.take_at(25_000), Decision::Allowed { .. })).count();
        assert_eq!(allowed, 9);
    }
}
