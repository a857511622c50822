//! The gateway's connections to one backend origin (scheme, host, port, TLS configuration),
//! kept per gateway thread: a request takes an idle connection of its own thread, or opens one,
//! and its answer's body hands the connection back when it ends. Each gateway thread runs a
//! single-threaded runtime, so a connection is only ever driven and reused by the thread that
//! opened it: no lock, no key hashed per request, no task spawned per request to wait for a
//! connection to become idle (what hyper-util's general-purpose pool costs; bench/PROFILE.md).
//!
//! HTTP/2 or HTTP/1.1 is decided by ALPN when a connection is opened, whatever the caller spoke:
//! one HTTP/2 connection per thread carries every request, HTTP/1.1 connections one at a time.
//! An HTTP/1.1 connection has no task of its own: the request that holds it drives it, while it
//! waits for the answer and then from its answer's body, so a request and its backend exchange
//! cost one task and no switch between two (an idle connection is not driven at all; a backend's
//! close is noticed when it is next taken). A connection that was idle for longer than
//! `IDLE_TIMEOUT` is closed rather than reused, and a request sent on a reused connection that
//! turned out closed before it went out is sent again on another (it never reached the backend).
use super::destinations::{self, Destinations};
use crate::body::UpstreamBody;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::{http1, http2};
use hyper::http::uri::{Authority, Parts, Scheme};
use hyper::{Request, Response, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A connection idle for longer is closed rather than reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// At most this many idle HTTP/1.1 connections per thread and origin; the oldest goes first.
pub const MAX_IDLE: usize = 256;
/// A request goes out on at most this many reused connections that turn out closed before it
/// is sent on a new one.
const MAX_REUSED_TRIES: usize = 4;

/// Where a pool connects, decided when the route was compiled.
pub struct Origin {
    pub host: String,
    pub port: u16,
    pub scheme: Scheme,
    pub authority: Authority,
    /// The TLS client configuration (ALPN offers h2 and http/1.1) and the name it verifies;
    /// `None` for http.
    pub tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    pub connect_timeout: Duration,
    pub destinations: Arc<Destinations>,
}

/// The connections to one origin, per thread.
pub struct Pool {
    origin: Origin,
    tls: Option<tokio_rustls::TlsConnector>,
    idle: ThreadLocal<RefCell<Idle>>,
}

#[derive(Default)]
struct Idle {
    /// Oldest first; taken from the back (the most recently used, the least likely closed).
    h1: VecDeque<(Box<H1>, Instant)>,
    /// This thread's HTTP/2 connection, shared by every request.
    h2: Option<http2::SendRequest<UpstreamBody>>,
}

enum Sender {
    H1(Box<H1>),
    H2(http2::SendRequest<UpstreamBody>),
}

/// A connection's byte stream, plain TCP or TLS over it: one type, so one kind of connection.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}
type Io = TokioIo<Box<dyn Stream>>;

/// An HTTP/1.1 connection: the handle a request goes in by, and the connection itself, driven
/// by whichever request holds it.
struct H1 {
    sender: http1::SendRequest<UpstreamBody>,
    /// `None` once it has ended.
    conn: Option<http1::Connection<Io, UpstreamBody>>,
}

impl H1 {
    /// Writes what is queued and reads what has come, as far as the socket allows, waking `cx`
    /// when there is more to do. An ended connection is let go (its request, if it never went
    /// out, comes back to the sender).
    fn drive(&mut self, cx: &mut Context<'_>) {
        let Some(conn) = &mut self.conn else { return };
        if let Poll::Ready(ended) = Pin::new(conn).poll(cx) {
            if let Err(e) = ended {
                tracing::debug!("an HTTP/1.1 connection to a backend ended: {e}");
            }
            self.conn = None;
        }
    }

    /// Whether a request can go out on it now: nothing of the last exchange is left to write or
    /// read (nothing drives an idle connection, so one that is not ready never becomes ready).
    fn reusable(&self) -> bool {
        self.conn.is_some() && self.sender.is_ready()
    }

    /// Sends `req` and drives the connection until its answer's head has come.
    async fn send(&mut self, req: Request<UpstreamBody>) -> Result<Response<Incoming>, hyper::client::conn::TrySendError<Request<UpstreamBody>>> {
        let mut answer = std::pin::pin!(self.sender.try_send_request(req));
        std::future::poll_fn(|cx| {
            self.drive(cx);
            answer.as_mut().poll(&mut self.driven_here(cx))
        })
        .await
    }

    /// The context to poll what only `drive` makes progress on (the answer, its body) with, just
    /// after driving: while the connection lives, nothing needs waking for them, so a waker that
    /// does nothing. The connection hands each over as it reads it, and its waking the task it
    /// runs in would only have the task polled once more for nothing.
    fn driven_here<'a>(&self, cx: &Context<'a>) -> Context<'a> {
        Context::from_waker(if self.conn.is_some() { Waker::noop() } else { cx.waker() })
    }
}

/// Why a request got no answer: opening a connection failed, or the exchange did. `classify`
/// reads the cause along the source chain.
#[derive(Debug)]
pub enum Failed {
    Connect(std::io::Error),
    Exchange(hyper::Error),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Connect(e) => write!(f, "could not connect: {e}"),
            Failed::Exchange(e) => write!(f, "the exchange failed: {e}"),
        }
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failed::Connect(e) => Some(e),
            Failed::Exchange(e) => Some(e),
        }
    }
}

impl Pool {
    pub fn new(origin: Origin) -> Pool {
        let tls = origin.tls.as_ref().map(|(config, _)| tokio_rustls::TlsConnector::from(config.clone()));
        Pool { origin, tls, idle: ThreadLocal::new() }
    }

    /// Where it connects.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Sends `req` (its URI in origin form, `/path?query`) and returns the answer, whose body
    /// gives the connection back when it ends.
    pub async fn send(self: &Arc<Self>, mut req: Request<UpstreamBody>) -> Result<Response<PooledBody>, Failed> {
        let mut reused_tries = 0;
        loop {
            let reused = if reused_tries < MAX_REUSED_TRIES { self.checkout() } else { None };
            let is_reused = reused.is_some();
            reused_tries += usize::from(is_reused);
            let sender = match reused {
                Some(sender) => sender,
                // Boxed: opening a connection (a TLS handshake) is rare, and its state would
                // otherwise sit in every request's future.
                None => Box::pin(self.connect()).await?,
            };
            let mut failed = match sender {
                Sender::H2(mut h2) => {
                    self.absolute(&mut req);
                    match h2.try_send_request(req).await {
                        Ok(answer) => return Ok(answer.map(|body| PooledBody { body, lease: None })),
                        Err(failed) => failed,
                    }
                }
                Sender::H1(mut h1) => match h1.send(req).await {
                    Ok(answer) => return Ok(answer.map(|body| self.lease(body, h1))),
                    Err(failed) => failed,
                },
            };
            match failed.take_message() {
                // Never written: the connection had closed. Another one, or a new one.
                Some(unsent) if is_reused => req = unsent,
                _ => return Err(Failed::Exchange(failed.into_error())),
            }
        }
    }

    /// HTTP/2 wants the scheme and authority (`:scheme`, `:authority`).
    fn absolute(&self, req: &mut Request<UpstreamBody>) {
        let mut parts = Parts::default();
        parts.scheme = Some(self.origin.scheme.clone());
        parts.authority = Some(self.origin.authority.clone());
        parts.path_and_query = req.uri().path_and_query().cloned();
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }

    /// The body of an HTTP/1.1 answer, holding its connection until it ends; an empty one gives
    /// it back at once (it may never be read).
    fn lease(self: &Arc<Self>, body: Incoming, h1: Box<H1>) -> PooledBody {
        if body.is_end_stream() {
            self.release(h1);
            return PooledBody { body, lease: None };
        }
        PooledBody { body, lease: Some(Lease { pool: self.clone(), h1 }) }
    }

    /// The most recently used idle connection of this thread. Only connections ready for a
    /// request are kept (see `release`); one the backend has closed meanwhile is found out when
    /// the request goes out, which then goes on another.
    fn checkout(&self) -> Option<Sender> {
        let mut idle = self.idle.get_or_default().borrow_mut();
        if let Some(h2) = &idle.h2 {
            if !h2.is_closed() {
                return Some(Sender::H2(h2.clone()));
            }
            idle.h2 = None;
        }
        let (h1, since) = idle.h1.pop_back()?;
        if since.elapsed() > IDLE_TIMEOUT {
            // The rest are older still.
            idle.h1.clear();
            return None;
        }
        Some(Sender::H1(h1))
    }

    /// Keeps a connection whose exchange has ended for the next request of this thread, unless
    /// something of that exchange is left (the backend answered before the request's body was
    /// all sent) or it has ended: nothing would drive it while idle.
    fn release(&self, mut h1: Box<H1>) {
        // Driven once more with a waker that does nothing, which replaces the last request's in
        // the connection (for the socket, and for the queue the next request goes in by): the
        // next request's sending, or a backend's close, would otherwise wake that request's task
        // (an HTTP/1.1 caller's connection, still running) for nothing.
        h1.drive(&mut Context::from_waker(Waker::noop()));
        if !h1.reusable() {
            return;
        }
        let now = Instant::now();
        let mut idle = self.idle.get_or_default().borrow_mut();
        while idle.h1.front().is_some_and(|(_, since)| now.duration_since(*since) > IDLE_TIMEOUT) {
            idle.h1.pop_front();
        }
        if idle.h1.len() >= MAX_IDLE {
            idle.h1.pop_front();
        }
        idle.h1.push_back((h1, now));
    }

    /// A new connection: resolved (only to addresses the environment allows), connected and,
    /// for https, TLS within the connect timeout; HTTP/2 when the backend chose it by ALPN.
    async fn connect(&self) -> Result<Sender, Failed> {
        let origin = &self.origin;
        let timed_out = || Failed::Connect(std::io::Error::new(std::io::ErrorKind::TimedOut, "the connect timeout passed"));
        let tcp = async {
            let addrs = destinations::resolve(&origin.host, origin.port, &origin.destinations).await?;
            let tcp = TcpStream::connect(&addrs[..]).await?;
            tcp.set_nodelay(true)?;
            Ok::<_, std::io::Error>(tcp)
        };
        let tcp = tokio::time::timeout(origin.connect_timeout, tcp).await.map_err(|_| timed_out())?.map_err(Failed::Connect)?;
        let (Some(connector), Some((_, name))) = (&self.tls, &origin.tls) else {
            return handshake_h1(Box::new(tcp)).await;
        };
        let tls =
            tokio::time::timeout(origin.connect_timeout, connector.connect(name.clone(), tcp)).await.map_err(|_| timed_out())?.map_err(Failed::Connect)?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
            return handshake_h1(Box::new(tls)).await;
        }
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.map_err(Failed::Exchange)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("an HTTP/2 connection to a backend ended: {e}");
            }
        });
        self.idle.get_or_default().borrow_mut().h2 = Some(sender.clone());
        Ok(Sender::H2(sender))
    }
}

/// An HTTP/1.1 connection over `stream`. Its handshake only sets up state (nothing is sent).
async fn handshake_h1(stream: Box<dyn Stream>) -> Result<Sender, Failed> {
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.map_err(Failed::Exchange)?;
    Ok(Sender::H1(Box::new(H1 { sender, conn: Some(conn) })))
}

/// An HTTP/1.1 connection lent to one answer.
struct Lease {
    pool: Arc<Pool>,
    h1: Box<H1>,
}

/// A backend's answer body. Over HTTP/1.1 it drives its connection as it is read, and gives it
/// back to the pool once its last frame is read; dropped before that, or ended by an error, the
/// connection is closed.
pub struct PooledBody {
    body: Incoming,
    lease: Option<Lease>,
}

impl PooledBody {
    fn give_back(&mut self) {
        if let Some(Lease { pool, h1 }) = self.lease.take() {
            pool.release(h1);
        }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let polled = match &mut this.lease {
            Some(lease) => {
                lease.h1.drive(cx);
                Pin::new(&mut this.body).poll_frame(&mut lease.h1.driven_here(cx))
            }
            None => Pin::new(&mut this.body).poll_frame(cx),
        };
        match &polled {
            Poll::Ready(None) => this.give_back(),
            // A server stops polling once the body says it has ended.
            Poll::Ready(Some(Ok(_))) if this.body.is_end_stream() => this.give_back(),
            Poll::Ready(Some(Err(_))) => this.lease = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests;
