//! Rate limits counted across gateway nodes in Redis (`GATEHOUSE_REDIS_URL`), with no Redis
//! round trip on a request. The algorithm: fixed windows aligned to the clock (every node
//! agrees where a window starts), and per window a *grant*, the part of the limit this node
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
//! When Redis cannot be reached (or answers slower than `TIMEOUT`) each node counts the whole
//! limit alone, as without Redis, until it is back: never an error for the caller. The state is
//! in `up()` and the metric `gatehouse_gateway_limit_store_up`.
//!
//! Quotas (per day or month) stay per node, resumed from the usage written to the database.
use super::limits::{Counter, Counters, Decision, Local, Quota, RateLimit, MAX_RATE_REQUESTS};
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

/// One subscription's window, as this node sees it.
struct State {
    /// The window's number (`unix_ms / span_ms`).
    window: u64,
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
    const EMPTY: State = State { window: 0, taken: 0, granted: 0, reported: 0, total: 0 };

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
    span_ms: u64,
    state: Mutex<State>,
    store: Arc<Store>,
}

impl SharedWindow {
    fn take_at(&self, now: u64) -> Decision {
        let window = now / self.span_ms;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.window != window {
            // A new window: an equal share of the whole limit, reserved at the next sync.
            *state = State { window, granted: self.store.first_share(self.limit), ..State::EMPTY };
        }
        let granted = if self.store.up() { state.granted } else { self.limit };
        if state.taken >= granted {
            return Decision::Refused { limit: self.limit, reset: Duration::from_millis((window + 1) * self.span_ms - now) };
        }
        state.taken += 1;
        let seen = state.total.max(state.reported) - state.reported + state.taken;
        Decision::Allowed { remaining: self.limit.saturating_sub(seen) }
    }

    fn key(&self, window: u64) -> String {
        format!("gatehouse:rate:{}:{}:{}:{window}", self.subscription, self.limit, self.span_ms)
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
    windows: Mutex<HashMap<(i32, RateLimit), Weak<SharedWindow>>>,
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

/// Counters for rate limits in Redis (quotas in this process, as `Local`).
pub struct Shared {
    store: Arc<Store>,
    local: Local,
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
        Ok(Shared { store, local: Local::default() })
    }

    /// Whether the last sync with Redis succeeded (the limits are shared).
    pub fn up(&self) -> bool {
        self.store.up()
    }
}

impl Counters for Shared {
    // Called when a snapshot is compiled, never per request.
    fn rate(&self, subscription_id: i32, limit: RateLimit) -> Arc<dyn Counter> {
        let mut windows = self.store.windows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = windows.get(&(subscription_id, limit)).and_then(Weak::upgrade) {
            return found;
        }
        windows.retain(|_, w| w.strong_count() > 0);
        let window = Arc::new(SharedWindow {
            subscription: subscription_id,
            limit: u64::from(limit.requests.min(MAX_RATE_REQUESTS)),
            span_ms: u64::from(limit.per_seconds.max(1)) * 1000,
            state: Mutex::new(State::EMPTY),
            store: self.store.clone(),
        });
        windows.insert((subscription_id, limit), Arc::downgrade(&window));
        window
    }

    fn quota(&self, subscription_id: i32, quota: Quota, used: u64) -> Arc<dyn Counter> {
        self.local.quota(subscription_id, quota, used)
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
    // The windows this round reserves for, with how much each asks.
    let mut due: Vec<(Arc<SharedWindow>, u64, u64)> = Vec::new();
    for w in windows {
        let state = w.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.window != now / w.span_ms {
            continue;
        }
        let ask = state.ask(w.limit, nodes);
        if ask > 0 {
            due.push((w.clone(), state.window, ask));
        }
    }
    let mut pipe = redis::pipe();
    pipe.cmd("ZADD").arg("gatehouse:nodes").arg(now).arg(&store.node_id).ignore();
    pipe.cmd("ZREMRANGEBYSCORE").arg("gatehouse:nodes").arg("-inf").arg(now.saturating_sub(NODE_TTL_MS)).ignore();
    pipe.cmd("ZCARD").arg("gatehouse:nodes");
    for (w, window, delta) in &due {
        let key = w.key(*window);
        pipe.cmd("INCRBY").arg(&key).arg(*delta);
        pipe.cmd("PEXPIRE").arg(&key).arg(w.span_ms * 2).ignore();
    }
    let answers: Vec<u64> = pipe.query_async(con).await?;
    store.nodes.store(answers.first().copied().unwrap_or(1).max(1), Ordering::Relaxed);
    for ((w, window, ask), total) in due.iter().zip(answers.iter().skip(1)) {
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
        SharedWindow { subscription: 1, limit: u64::from(limit), span_ms: 10_000, state: Mutex::new(State::EMPTY), store }
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
