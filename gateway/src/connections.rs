//! Every connection a listener takes, the gateway's and the portal's, is bounded: so many open
//! at once per listener (`Admission`), a time to send a request's head, a time a connection may
//! sit with no request in flight (`drive`), HTTP/2 streams and resets capped, and a stop that
//! lets requests in flight finish (HTTP/2 GOAWAY, HTTP/1.1 `Connection: close`) within a bound.
//! A slow or idle caller then costs a little memory for a few seconds, never a listener.
use hyper::server::conn::http1;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// The bounds, the same for every listener (`GATEHOUSE_HEADER_TIMEOUT` and the others).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// To finish the TLS handshake, to send a request's whole head, and on a kept-alive
    /// HTTP/1.1 connection to send the next request's head.
    pub header_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Connections open at once per listener; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// Streams one HTTP/2 connection may have open at once.
    pub h2_max_streams: u32,
    /// How long a stop waits for requests in flight before it closes what is left.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            h2_max_streams: 128,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Streams an HTTP/2 client may reset before the server has answered them, at once: the
/// "rapid reset" attack opens and cancels streams to make the server start work it never has
/// to finish. Past this the connection is closed.
const H2_MAX_PENDING_RESETS: usize = 20;
/// An HTTP/2 connection is pinged this often (the portal's: when it has sent nothing for this
/// long), and closed when the ping is not answered in as long again: a peer that vanished does
/// not hold its streams open.
pub const H2_PING_INTERVAL: Duration = Duration::from_secs(20);

impl Limits {
    /// The HTTP/1.1 server settings, made once per listener.
    pub fn http1(&self) -> http1::Builder {
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(self.header_timeout);
        builder
    }

    /// The gateway's HTTP/2 server settings (`http2`), made once per listener.
    pub fn http2(&self) -> h2::server::Builder {
        crate::http2::builder(self.h2_max_streams, H2_MAX_PENDING_RESETS)
    }

    /// HTTP/1.1 and cleartext HTTP/2 by the first bytes, for the portal.
    pub fn auto(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(self.header_timeout);
        let mut h2 = builder.http2();
        h2.timer(TokioTimer::new())
            .max_concurrent_streams(self.h2_max_streams)
            .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
            .keep_alive_interval(H2_PING_INTERVAL)
            .keep_alive_timeout(H2_PING_INTERVAL);
        builder
    }
}

/// How many connections one listener has open, against its cap. Shared by every thread that
/// accepts on the listener.
#[derive(Clone)]
pub struct Admission {
    permits: Arc<Semaphore>,
    max: usize,
}

impl Admission {
    pub fn new(max: usize) -> Admission {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Admission { permits: Arc::new(Semaphore::new(max)), max }
    }

    /// A place for one more connection, held as long as it is open; `None` at the cap.
    pub fn admit(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().try_acquire_owned().ok()
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// After a stop: waits until every listener in `admissions` has no connection open, or `bound`
/// has passed. Says how many were still open.
pub async fn drained(admissions: &[Admission], bound: Duration) -> usize {
    let until = tokio::time::Instant::now() + bound;
    loop {
        let open: usize = admissions.iter().map(Admission::open).sum();
        if open == 0 || tokio::time::Instant::now() >= until {
            return open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The stop every listener and connection watches, in two steps. `drain()` first (when
/// `GATEHOUSE_DRAIN_DELAY` is set): the readiness check answers 503 so a load balancer sends new
/// callers elsewhere, while every listener still accepts and serves; HTTP/2 connections get a
/// GOAWAY (their callers open the next stream on a new connection, and a client may retry what
/// the GOAWAY refused) and HTTP/1.1 answers carry `Connection: close`, so a caller who keeps
/// calling moves over after its next answer, never onto a connection closed under it. Then
/// `stop()`: each accept loop ends and each connection finishes what it has in flight and closes.
#[derive(Clone)]
pub struct Stop {
    inner: Arc<StopInner>,
}

struct StopInner {
    phase: watch::Sender<Phase>,
    /// `phase >= Draining`, read by every HTTP/1.1 answer without the watch's lock.
    draining: AtomicBool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Serving,
    Draining,
    Stopped,
}

impl Default for Stop {
    fn default() -> Self {
        Stop { inner: Arc::new(StopInner { phase: watch::Sender::new(Phase::Serving), draining: AtomicBool::new(false) }) }
    }
}

impl Stop {
    /// The first step: still serving, moving callers away (a no-op once stopped).
    pub fn drain(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
        self.inner.phase.send_if_modified(|phase| {
            let first = *phase == Phase::Serving;
            if first {
                *phase = Phase::Draining;
            }
            first
        });
    }

    pub fn stop(&self) {
        self.inner.draining.store(true, Ordering::Relaxed);
        self.inner.phase.send_replace(Phase::Stopped);
    }

    /// Draining or stopped: the readiness check says 503.
    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::Relaxed)
    }

    pub fn is_stopped(&self) -> bool {
        *self.inner.phase.borrow() == Phase::Stopped
    }

    /// Resolves once `drain()` or `stop()` has been called (at once if it already was).
    pub async fn draining(&self) {
        self.reached(Phase::Draining).await;
    }

    /// Resolves once `stop()` has been called (at once if it already was).
    pub async fn stopped(&self) {
        self.reached(Phase::Stopped).await;
    }

    async fn reached(&self, phase: Phase) {
        let mut receiver = self.inner.phase.subscribe();
        let _ = receiver.wait_for(|now| *now >= phase).await;
    }
}

/// When a connection is told to go away: HTTP/2 at the start of a drain (a GOAWAY loses no
/// request), HTTP/1.1 and the portal's connections at the stop (an HTTP/1.1 connection closed
/// while idle can cross a request the caller is sending; while draining, its answers carry
/// `Connection: close` instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoAway {
    WhenDraining,
    WhenStopped,
}

/// What one connection is doing, for its idle timeout: requests in flight and when the last one
/// ended. A request holds a `Busy` from its start until its answer's body has been sent
/// (`Tracked`).
pub struct Activity {
    opened: Instant,
    in_flight: AtomicU32,
    started: AtomicU32,
    /// When the connection last had nothing in flight, in milliseconds since `opened`.
    quiet_since: AtomicU64,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity { opened: Instant::now(), in_flight: AtomicU32::new(0), started: AtomicU32::new(0), quiet_since: AtomicU64::new(0) })
    }

    pub fn busy(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.started.store(1, Ordering::Relaxed);
        Busy(self.clone())
    }

    /// When the connection is to be closed if nothing happens meanwhile, or `None` if that is
    /// now. A connection that never sent a request gets the header timeout, not the idle one.
    fn deadline(&self, limits: &Limits, now: Instant) -> Option<Instant> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Some(now + limits.idle_timeout);
        }
        let quiet_since = self.opened + Duration::from_millis(self.quiet_since.load(Ordering::Relaxed));
        let allowed = if self.started.load(Ordering::Relaxed) == 0 { limits.header_timeout } else { limits.idle_timeout };
        Some(quiet_since + allowed).filter(|deadline| *deadline > now)
    }
}

pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::Relaxed) == 1 {
            activity.quiet_since.store(activity.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
    }
}

/// A response body that keeps its request counted as in flight until it has been sent (or
/// dropped): a long download is not idle, however long ago its head went out.
pub struct Tracked<B> {
    body: B,
    _busy: Busy,
}

impl<B> Tracked<B> {
    pub fn new(body: B, busy: Busy) -> Tracked<B> {
        Tracked { body, _busy: busy }
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<B::Data>, B::Error>>> {
        std::pin::Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection that can be told to finish what it has in flight and close: hyper's (HTTP/1.1,
/// and the portal's) and the gateway's HTTP/2 ones (`http2::Serve`).
pub trait Graceful: Future {
    fn graceful_shutdown(self: Pin<&mut Self>);
}

impl<C: GracefulConnection> Graceful for C {
    fn graceful_shutdown(self: Pin<&mut Self>) {
        GracefulConnection::graceful_shutdown(self);
    }
}

/// Serves `connection` to its end: closed gracefully when it has been idle too long or when
/// `stop` tells it to go away (`go_away`), and then given at most the drain timeout to finish.
/// A connection that never sent a request is dropped at the stop: an HTTP/2 one still waiting
/// for the client's preface cannot take a GOAWAY. While only draining, such a connection (one
/// accepted before the load balancer noticed) is served, and goes away at the stop.
pub async fn drive<C, E>(connection: C, activity: &Activity, limits: &Limits, stop: &Stop, go_away: GoAway) -> Result<(), E>
where
    C: Graceful<Output = Result<(), E>>,
{
    let mut connection = pin!(connection);
    let mut deadline = activity.opened + limits.header_timeout;
    let told = async {
        match go_away {
            GoAway::WhenDraining => stop.draining().await,
            GoAway::WhenStopped => stop.stopped().await,
        }
    };
    let mut told = pin!(told);
    let stopped = stop.stopped();
    let mut stopped = pin!(stopped);
    // Told to go away before it had said anything: it goes at the stop instead.
    let mut unspoken = false;
    let bound = loop {
        tokio::select! {
            ended = connection.as_mut() => return ended,
            () = tokio::time::sleep_until(deadline.into()) => match activity.deadline(limits, Instant::now()) {
                Some(later) => deadline = later,
                // Nothing in flight: whatever is left to say goes at once.
                None => break IDLE_CLOSE,
            },
            () = told.as_mut(), if !unspoken => {
                if activity.started.load(Ordering::Relaxed) != 0 || stop.is_stopped() {
                    break limits.drain_timeout;
                }
                unspoken = true;
            }
            () = stopped.as_mut(), if unspoken => break limits.drain_timeout,
        }
    };
    if activity.started.load(Ordering::Relaxed) == 0 {
        return Ok(());
    }
    connection.as_mut().graceful_shutdown();
    match tokio::time::timeout(bound, connection).await {
        Ok(ended) => ended,
        // Dropped: whatever was still open is cut.
        Err(_) => Ok(()),
    }
}

/// How long an idle connection's graceful close (an HTTP/2 GOAWAY) may take.
const IDLE_CLOSE: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_idle_only_with_nothing_in_flight() {
        let limits = Limits { header_timeout: Duration::from_secs(2), idle_timeout: Duration::from_secs(5), ..Limits::default() };
        let activity = Activity::new();
        let opened = activity.opened;
        // No request yet: the header timeout.
        assert_eq!(activity.deadline(&limits, opened), Some(opened + Duration::from_secs(2)));
        assert_eq!(activity.deadline(&limits, opened + Duration::from_secs(2)), None);
        let busy = activity.busy();
        let later = opened + Duration::from_secs(30);
        assert_eq!(activity.deadline(&limits, later), Some(later + Duration::from_secs(5)), "never idle while a request is in flight");
        drop(busy);
        let quiet = activity.deadline(&limits, Instant::now()).expect("idle only from the end of the last request");
        assert!(quiet > Instant::now() + Duration::from_secs(4));
    }

    #[test]
    fn a_request_is_in_flight_until_its_body_has_been_sent() {
        let limits = Limits { idle_timeout: Duration::from_secs(5), ..Limits::default() };
        let activity = Activity::new();
        let body = Tracked::new(http_body_util::Full::new(bytes::Bytes::from_static(b"a long download")), activity.busy());
        let later = Instant::now() + Duration::from_secs(600);
        assert_eq!(activity.deadline(&limits, later), Some(later + limits.idle_timeout), "the head went out long ago, the body has not");
        drop(body);
        assert_eq!(activity.deadline(&limits, later), None, "idle once the body is done");
    }

    #[tokio::test]
    async fn a_stop_drains_first_then_stops_and_never_goes_back() {
        let stop = Stop::default();
        assert!(!stop.is_draining() && !stop.is_stopped());
        let draining = tokio::spawn({
            let stop = stop.clone();
            async move { stop.draining().await }
        });
        stop.drain();
        draining.await.unwrap();
        assert!(stop.is_draining() && !stop.is_stopped());
        assert!(tokio::time::timeout(Duration::from_millis(20), stop.stopped()).await.is_err(), "draining is not stopped");
        stop.stop();
        stop.drain();
        assert!(stop.is_stopped(), "a drain after the stop does not undo it");
        stop.stopped().await;
        stop.draining().await;
    }

    #[test]
    fn admission_counts_open_connections_against_the_cap() {
        let admission = Admission::new(2);
        let first = admission.admit().unwrap();
        let _second = admission.admit().unwrap();
        assert!(admission.admit().is_none());
        assert_eq!(admission.open(), 2);
        drop(first);
        assert!(admission.admit().is_some());
    }
}
