//! The gateway's connections to one backend origin (scheme, host, port, TLS configuration),
//! kept per gateway thread: a request takes an idle connection of its own thread, or opens one,
//! and its answer's body hands the connection back when it ends. Each gateway thread runs a
//! single-threaded runtime, so a connection is only ever driven and reused by the thread that
//! opened it: no lock, no key hashed per request, no task spawned per request to wait for a
//! connection to become idle (what hyper-util's general-purpose pool costs; bench/PROFILE.md).
//!
//! HTTP/2 or HTTP/1.1 is decided by ALPN when a connection is opened, whatever the caller spoke:
//! one HTTP/2 connection per thread carries every request, HTTP/1.1 connections one at a time.
//! HTTP/1.1 is spoken by `h1`, by the request that holds the connection: it writes the request
//! and reads the answer itself, so a request and its backend exchange cost one task and no
//! switch between two. An idle connection is not driven at all: when it is next taken, a
//! backend's close (or anything it sent meanwhile) is noticed without waiting, and the request
//! goes on another. A connection that was idle for longer than `IDLE_TIMEOUT` is closed rather
//! than reused.
use super::destinations::{self, Destinations};
use crate::body::UpstreamBody;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http2;
use hyper::http::uri::{Authority, Parts, Scheme};
use hyper::{Request, Response, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use thread_local::ThreadLocal;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

mod h1;

/// A connection idle for longer is closed rather than reused.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// At most this many idle HTTP/1.1 connections per thread and origin; the oldest goes first.
pub const MAX_IDLE: usize = 256;
/// A request goes out on at most this many reused HTTP/2 connections that turn out closed
/// before it is sent on a new one.
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
    h1: VecDeque<(Box<h1::Connection<UpstreamBody>>, Instant)>,
    /// This thread's HTTP/2 connection, shared by every request.
    h2: Option<http2::SendRequest<UpstreamBody>>,
}

enum Sender {
    H1(Box<h1::Connection<UpstreamBody>>),
    H2(http2::SendRequest<UpstreamBody>),
}

/// A connection's byte stream, plain TCP or TLS over it: one type, so one kind of connection.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// Why a request got no answer: opening a connection failed, or the exchange did. `classify`
/// reads the cause along the source chain.
#[derive(Debug)]
pub enum Failed {
    Connect(std::io::Error),
    Exchange(hyper::Error),
    Http1(h1::Error),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Connect(e) => write!(f, "could not connect: {e}"),
            Failed::Exchange(e) => write!(f, "the exchange failed: {e}"),
            Failed::Http1(e) => write!(f, "the exchange failed: {e}"),
        }
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Failed::Connect(e) => Some(e),
            Failed::Exchange(e) => Some(e),
            Failed::Http1(e) => Some(e),
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
            let reused = if reused_tries < MAX_REUSED_TRIES { std::future::poll_fn(|cx| Poll::Ready(self.checkout(cx))).await } else { None };
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
                        Ok(answer) => return Ok(answer.map(|body| PooledBody(Answer::H2(body)))),
                        Err(failed) => failed,
                    }
                }
                Sender::H1(mut h1) => {
                    let answer = h1.send(req).await.map_err(Failed::Http1)?;
                    return Ok(answer.map(|()| self.lease(h1)));
                }
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
    fn lease(self: &Arc<Self>, h1: Box<h1::Connection<UpstreamBody>>) -> PooledBody {
        if h1.answer_ended() {
            self.release(h1);
            return PooledBody(Answer::Ended);
        }
        PooledBody(Answer::H1(Lease { pool: self.clone(), h1 }))
    }

    /// This thread's HTTP/2 connection, or its most recently used idle HTTP/1.1 connection that
    /// the backend has not closed meanwhile (found out without waiting, from the request's task
    /// `cx`; closed ones are let go).
    fn checkout(&self, cx: &mut Context<'_>) -> Option<Sender> {
        let mut idle = self.idle.get_or_default().borrow_mut();
        if let Some(h2) = &idle.h2 {
            if !h2.is_closed() {
                return Some(Sender::H2(h2.clone()));
            }
            idle.h2 = None;
        }
        while let Some((mut h1, since)) = idle.h1.pop_back() {
            if since.elapsed() > IDLE_TIMEOUT {
                // The rest are older still.
                idle.h1.clear();
                return None;
            }
            if h1.still_open(cx) {
                return Some(Sender::H1(h1));
            }
        }
        None
    }

    /// Keeps a connection whose exchange has ended whole for the next request of this thread;
    /// one with something of that exchange left, or that the backend asked to close, is closed.
    fn release(&self, mut h1: Box<h1::Connection<UpstreamBody>>) {
        if !h1.reusable() {
            return;
        }
        h1.trim();
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
            return Ok(Sender::H1(Box::new(h1::Connection::new(Box::new(tcp)))));
        };
        let tls =
            tokio::time::timeout(origin.connect_timeout, connector.connect(name.clone(), tcp)).await.map_err(|_| timed_out())?.map_err(Failed::Connect)?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Ok(Sender::H1(Box::new(h1::Connection::new(Box::new(tls)))));
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

/// An HTTP/1.1 connection lent to one answer.
struct Lease {
    pool: Arc<Pool>,
    h1: Box<h1::Connection<UpstreamBody>>,
}

/// A backend's answer body. Over HTTP/1.1 it reads its connection, and gives it back to the
/// pool once its last piece is read; dropped before that, or ended by an error, the connection
/// is closed.
pub struct PooledBody(Answer);

enum Answer {
    Ended,
    H1(Lease),
    H2(Incoming),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Body for PooledBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match &mut this.0 {
            Answer::Ended => Poll::Ready(None),
            Answer::H2(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            Answer::H1(lease) => {
                let polled = ready!(lease.h1.poll_body(cx));
                if !matches!(polled, Some(Ok(_))) || lease.h1.answer_ended() {
                    // A server stops polling once the body says it has ended.
                    if let Answer::H1(Lease { pool, h1 }) = std::mem::replace(&mut this.0, Answer::Ended) {
                        pool.release(h1);
                    }
                }
                Poll::Ready(polled.map(|piece| piece.map(Frame::data).map_err(Into::into)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Answer::Ended => true,
            Answer::H1(lease) => lease.h1.answer_ended(),
            Answer::H2(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Answer::Ended => SizeHint::with_exact(0),
            Answer::H1(lease) => lease.h1.answer_left().map_or_else(SizeHint::default, SizeHint::with_exact),
            Answer::H2(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests;
