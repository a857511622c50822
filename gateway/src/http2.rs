//! Callers over HTTP/2, served on the h2 crate directly. Each connection is one task: its
//! requests (`Exchange`) run inside it, in a `FuturesUnordered`, rather than each in a task of
//! its own as hyper's server spawns them. A small request then costs no task spawned, scheduled
//! and freed, no future moved into a task, and no wake from one task to another when its answer
//! is ready: the connection's task polls the exchange and writes its frames in the same turn.
//!
//! What hyper's HTTP/2 server did on top of h2, this does too: hyper's settings (windows, frame
//! size, header list size, send buffer), hop-by-hop headers kept out of answers, a `Date` and a
//! `Content-Length` where an answer has none, a caller's reset cancelling its request, the
//! request body's flow-control window given back as it is read, and a ping to find a peer that
//! vanished. The bounds (streams at once, resets pending) are `connections::Limits`'.
use crate::body::RequestBody;
use crate::connections::Graceful;
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use h2::server::{Builder, Connection, Handshake, SendResponse};
use h2::{Ping, PingPong, Reason, RecvStream, SendStream};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_LENGTH, DATE, TE, TRANSFER_ENCODING, UPGRADE};
use hyper::{Request, Response};
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// hyper's HTTP/2 server settings, which the gateway served with before: 1 MiB windows for
/// the connection and each stream, 16 KiB frames, a 16 KiB header list, 400 KiB buffered to
/// send per stream, at most 1024 streams reset for the caller's errors.
pub fn builder(max_streams: u32, max_pending_resets: usize) -> Builder {
    let mut builder = Builder::new();
    builder
        .initial_window_size(1024 * 1024)
        .initial_connection_window_size(1024 * 1024)
        .max_frame_size(16 * 1024)
        .max_header_list_size(16 * 1024)
        .max_send_buffer_size(400 * 1024)
        .max_local_error_reset_streams(Some(1024))
        .max_concurrent_streams(max_streams)
        .max_pending_accept_reset_streams(max_pending_resets);
    builder
}

/// One HTTP/2 connection served to its end: `handle` makes each request's answer.
pub struct Serve<T, H, F, B>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    state: State<T>,
    handle: H,
    exchanges: FuturesUnordered<Exchange<F, B>>,
    keep_alive: Duration,
    /// `graceful_shutdown` was called before the handshake ended.
    go_away: bool,
}

enum State<T: AsyncRead + AsyncWrite + Unpin> {
    Handshaking(Handshake<T, Bytes>),
    Serving { connection: Connection<T, Bytes>, ping: Option<KeepAlive> },
}

impl<T, H, F, B> Serve<T, H, F, B>
where
    T: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<B>>,
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    /// `keep_alive`: a connection is pinged this often, and closed when a ping is not answered
    /// in as long.
    pub fn new(io: T, builder: &Builder, keep_alive: Duration, handle: H) -> Self {
        Serve { state: State::Handshaking(builder.handshake(io)), handle, exchanges: FuturesUnordered::new(), keep_alive, go_away: false }
    }
}

/// The most a connection does in one turn of its task before it lets others run.
const TURN: usize = 64;

impl<T, H, F, B> Future for Serve<T, H, F, B>
where
    T: AsyncRead + AsyncWrite + Unpin,
    H: FnMut(Request<RequestBody>) -> F + Unpin,
    F: Future<Output = Response<B>>,
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Output = Result<(), h2::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let me = self.get_mut();
        if let State::Handshaking(handshake) = &mut me.state {
            let mut connection = ready!(Pin::new(handshake).poll(cx))?;
            if me.go_away {
                connection.graceful_shutdown();
            }
            let ping = connection.ping_pong().map(|pong| KeepAlive::new(pong, me.keep_alive));
            me.state = State::Serving { connection, ping };
        }
        let State::Serving { connection, ping } = &mut me.state else { unreachable!("the handshake ended above") };
        for _ in 0..TURN {
            // Reads and writes the connection's frames, and takes each new request.
            let mut progress = false;
            loop {
                match connection.poll_accept(cx) {
                    Poll::Ready(Some(Ok((req, respond)))) => {
                        let (head, recv) = req.into_parts();
                        let body = RecvBody::new(recv, &head.headers);
                        let answer = (me.handle)(Request::from_parts(head, RequestBody::Http2(body)));
                        me.exchanges.push(Exchange::new(answer, respond));
                        progress = true;
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                    // The connection has ended: nothing more is read or written.
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Pending => break,
                }
            }
            // Each exchange whose answer (or a piece of its body) is ready hands it to the
            // connection, which the next pass writes.
            while let Poll::Ready(Some(())) = me.exchanges.poll_next_unpin(cx) {
                progress = true;
            }
            if let Some(keep_alive) = ping {
                if keep_alive.poll_timed_out(cx) {
                    tracing::debug!("HTTP/2 caller did not answer a ping; closing the connection");
                    connection.abrupt_shutdown(Reason::NO_ERROR);
                    *ping = None;
                    progress = true;
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // A busy connection yields to the others on its thread, and comes back at once.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<T, H, F, B> Graceful for Serve<T, H, F, B>
where
    Serve<T, H, F, B>: Future,
    T: AsyncRead + AsyncWrite + Unpin,
    H: Unpin,
{
    /// A GOAWAY: the streams open go on to their end, no new one is taken.
    fn graceful_shutdown(self: Pin<&mut Self>) {
        let me = self.get_mut();
        match &mut me.state {
            State::Handshaking(_) => me.go_away = true,
            State::Serving { connection, .. } => connection.graceful_shutdown(),
        }
    }
}

/// Pings the caller every `every`; a ping not answered within as long again ends the
/// connection. A caller that vanished then does not hold its streams, or its place, open.
struct KeepAlive {
    pong: PingPong,
    timer: Pin<Box<Sleep>>,
    every: Duration,
    waiting: bool,
}

impl KeepAlive {
    fn new(pong: PingPong, every: Duration) -> KeepAlive {
        KeepAlive { pong, timer: Box::pin(tokio::time::sleep(every)), every, waiting: false }
    }

    /// Whether the caller has failed to answer in time (or the ping could not be sent).
    fn poll_timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        if self.waiting {
            match self.pong.poll_pong(cx) {
                Poll::Ready(Ok(_)) => {
                    self.waiting = false;
                    self.timer.as_mut().reset(Instant::now() + self.every);
                }
                Poll::Ready(Err(_)) => return true,
                Poll::Pending => {}
            }
        }
        if self.timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        if self.waiting || self.pong.send_ping(Ping::opaque()).is_err() {
            return true;
        }
        self.waiting = true;
        self.timer.as_mut().reset(Instant::now() + self.every);
        // Registers for the pong.
        let _ = self.pong.poll_pong(cx);
        let _ = self.timer.as_mut().poll(cx);
        false
    }
}

pin_project_lite::pin_project! {
    /// One request: waits for its answer (or the caller's reset, which drops the request and so
    /// cancels what it was doing), then sends the answer's head and streams its body.
    struct Exchange<F, B> {
        #[pin]
        answer: F,
        respond: SendResponse<Bytes>,
        sending: Option<Pipe<B>>,
    }
}

impl<F, B> Exchange<F, B> {
    fn new(answer: F, respond: SendResponse<Bytes>) -> Self {
        Exchange { answer, respond, sending: None }
    }
}

impl<F, B> Future for Exchange<F, B>
where
    F: Future<Output = Response<B>>,
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let me = self.project();
        if let Some(pipe) = me.sending {
            return pipe.poll(cx);
        }
        let answer = match me.answer.poll(cx) {
            Poll::Ready(answer) => answer,
            Poll::Pending => {
                // Reset by the caller while its answer is being made: stop making it.
                return match me.respond.poll_reset(cx) {
                    Poll::Ready(_) => Poll::Ready(()),
                    Poll::Pending => Poll::Pending,
                };
            }
        };
        let (mut head, body) = answer.into_parts();
        let end = body.is_end_stream();
        prepare_head(&mut head.headers, &body, end);
        let tx = match me.respond.send_response(Response::from_parts(head, ()), end) {
            Ok(tx) => tx,
            Err(e) => {
                tracing::debug!(error = %e, "HTTP/2 answer's head not sent");
                me.respond.send_reset(Reason::INTERNAL_ERROR);
                return Poll::Ready(());
            }
        };
        if end {
            return Poll::Ready(());
        }
        me.sending.insert(Pipe { tx, body, waiting: None }).poll(cx)
    }
}

/// Headers an HTTP/2 answer may not carry (RFC 9113 8.2.2; h2 refuses the whole answer if one
/// is there). The gateway's own answers never have them and backend answers have them removed
/// (`forward`), so this is a last guard, one pass over the names.
fn is_connection_specific(name: &hyper::header::HeaderName) -> bool {
    name == CONNECTION || name == TRANSFER_ENCODING || name == UPGRADE || name == TE || name == "keep-alive" || name == "proxy-connection"
}

/// What hyper's server adds to an answer's head: `Date` and `Content-Length` where missing.
fn prepare_head<B: Body>(headers: &mut HeaderMap, body: &B, end: bool) {
    if headers.keys().any(is_connection_specific) {
        let names: Vec<_> = headers.keys().filter(|n| is_connection_specific(n)).cloned().collect();
        for name in names {
            headers.remove(name);
        }
    }
    if !headers.contains_key(DATE) {
        headers.insert(DATE, date::now());
    }
    if !end && !headers.contains_key(CONTENT_LENGTH) {
        if let Some(length) = body.size_hint().exact() {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        }
    }
}

/// An answer's body going out: each piece waits for room in the caller's window (hyper's way:
/// claim a little, send the piece once any room is given), trailers go as they come, and the
/// caller's reset stops it.
struct Pipe<B> {
    tx: SendStream<Bytes>,
    body: B,
    /// A piece read from the body waiting for room, and whether it is the last.
    waiting: Option<(Bytes, bool)>,
}

impl<B> Pipe<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.tx.poll_reset(cx).is_ready() {
                return Poll::Ready(());
            }
            if let Some((piece, last)) = self.waiting.take() {
                while self.tx.capacity() == 0 {
                    match self.tx.poll_capacity(cx) {
                        Poll::Ready(Some(Ok(_))) => {}
                        Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                        Poll::Pending => {
                            self.waiting = Some((piece, last));
                            return Poll::Pending;
                        }
                    }
                }
                if self.tx.send_data(piece, last).is_err() || last {
                    return Poll::Ready(());
                }
                continue;
            }
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(piece) => {
                        let last = self.body.is_end_stream();
                        if piece.is_empty() {
                            if self.tx.send_data(piece, last).is_err() || last {
                                return Poll::Ready(());
                            }
                            continue;
                        }
                        self.tx.reserve_capacity(1);
                        self.waiting = Some((piece, last));
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.tx.reserve_capacity(0);
                            let _ = self.tx.send_trailers(trailers);
                            return Poll::Ready(());
                        }
                    }
                },
                Some(Err(e)) => {
                    let e: BoxError = e.into();
                    tracing::debug!(error = %e, "HTTP/2 answer's body failed; resetting the stream");
                    self.tx.send_reset(Reason::INTERNAL_ERROR);
                    return Poll::Ready(());
                }
                None => {
                    let _ = self.tx.send_data(Bytes::new(), true);
                    return Poll::Ready(());
                }
            }
        }
    }
}

/// An HTTP/2 request body. h2 checks its length against the declared `Content-Length`; each
/// piece read gives its room back to the caller's window.
pub struct RecvBody {
    recv: RecvStream,
    /// The declared length (every `Content-Length` value agreeing): what goes to an HTTP/1.1
    /// backend is then framed by length, as the caller framed it.
    length: Option<u64>,
    data_done: bool,
}

impl RecvBody {
    fn new(recv: RecvStream, headers: &HeaderMap) -> RecvBody {
        let mut values = headers.get_all(CONTENT_LENGTH).iter().map(|v| v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()));
        let length = match values.next() {
            Some(Some(first)) if values.all(|v| v == Some(first)) => Some(first),
            _ => None,
        };
        RecvBody { recv, length, data_done: false }
    }

    pub fn is_end_stream(&self) -> bool {
        self.recv.is_end_stream()
    }

    pub fn size_hint(&self) -> SizeHint {
        match self.length {
            _ if self.recv.is_end_stream() => SizeHint::with_exact(0),
            Some(length) => SizeHint::with_exact(length),
            None => SizeHint::default(),
        }
    }

    pub fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if !self.data_done {
            match ready!(self.recv.poll_data(cx)) {
                Some(Ok(piece)) => {
                    let _ = self.recv.flow_control().release_capacity(piece.len());
                    return Poll::Ready(Some(Ok(Frame::data(piece))));
                }
                // A reset with NO_ERROR ends the body early without failing it (RFC 9113 8.1).
                Some(Err(e)) if e.reason() == Some(Reason::NO_ERROR) => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => self.data_done = true,
            }
        }
        match ready!(self.recv.poll_trailers(cx)) {
            Ok(Some(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e.into()))),
        }
    }
}

/// The `Date` header's value, made at most once a second per thread.
mod date {
    use hyper::header::HeaderValue;
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};

    thread_local! {
        static NOW: RefCell<(u64, HeaderValue)> = const { RefCell::new((0, HeaderValue::from_static(""))) };
    }

    pub fn now() -> HeaderValue {
        let now = SystemTime::now();
        let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        NOW.with(|cached| {
            let mut cached = cached.borrow_mut();
            if cached.0 != second {
                let text = httpdate::fmt_http_date(now);
                *cached = (second, HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("")));
            }
            cached.1.clone()
        })
    }
}

#[cfg(test)]
mod tests;
