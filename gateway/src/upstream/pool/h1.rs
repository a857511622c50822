//! HTTP/1.1 to a backend, spoken by the request that holds the connection: its head and body
//! written, the answer's head parsed (httparse) and its body decoded as the caller's side reads
//! it. No task, channel or queue stands between a request and its socket, whose readiness wakes
//! the request's own task: what hyper's client connection cost here beyond that (its request
//! queue, the answer's oneshot, the body's channel) was the largest of ours left in the profile
//! (bench/PROFILE.md, "Fourth change").
//!
//! Framing follows RFC 9112 section 6 (`answer.rs`):
//! - an answer to HEAD, a 1xx, a 204 or a 304 has no body; 1xx answers other than 101 are
//!   skipped, 101 is refused (the gateway strips `Upgrade`, so a switch was never asked for);
//! - `Transfer-Encoding` wins over `Content-Length`, whose header is then dropped and the
//!   connection not reused (a sign of request smuggling); chunked must be the last coding, else
//!   the body runs to the close;
//! - `Content-Length` values must agree, and be digits;
//! - with neither, the body runs to the close.
//!
//! Every length is bounded: the answer's head (`MAX_HEAD`, `MAX_HEADERS`), a chunk's size line,
//! trailers (read and dropped). A connection is reused only when both exchanges ended whole,
//! nothing is left over, and the backend did not say `close` (or spoke HTTP/1.0).
mod answer;

use super::Stream;
use answer::Incoming;
use bytes::{Bytes, BytesMut};
use hyper::body::Body;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::{Method, Request, Response, StatusCode, Version};
use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::AsyncWrite;

/// The largest answer head taken, and the most header lines in it.
pub const MAX_HEAD: usize = 64 * 1024;
pub const MAX_HEADERS: usize = 100;
/// The room a read is given, adapting between these (`ReadRoom`); a read buffer with less is
/// given a new block of at least `READ_SIZE` (small answers share one block, many at a time).
const MIN_ROOM: usize = 2 * 1024;
const MAX_ROOM: usize = 64 * 1024;
const READ_SIZE: usize = 16 * 1024;

/// How much room the next read is given, as hyper's adaptive read strategy does: it doubles (up
/// to `MAX_ROOM`) while reads fill it, and halves after two reads in a row that used less than a
/// quarter of it. A 16 KiB answer then comes in one read, so it leaves as one piece (one HTTP/2
/// DATA frame to the caller, not two), while small answers keep sharing small blocks.
#[derive(Debug)]
struct ReadRoom {
    want: usize,
    small_reads: u8,
}

impl ReadRoom {
    const fn new() -> ReadRoom {
        ReadRoom { want: MIN_ROOM, small_reads: 0 }
    }

    /// How large a new block is.
    fn block(&self) -> usize {
        self.want.max(READ_SIZE)
    }

    /// Learns from a read of `n` bytes (the end of the stream teaches nothing).
    fn read(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        if n >= self.want {
            self.want = (self.want * 2).min(MAX_ROOM);
            self.small_reads = 0;
        } else if n < self.want / 4 && self.want > MIN_ROOM {
            self.small_reads += 1;
            if self.small_reads == 2 {
                self.want /= 2;
                self.small_reads = 0;
            }
        } else {
            self.small_reads = 0;
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why an exchange failed. An I/O error keeps its cause (a TLS alert, a reset) for `classify`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("its answer's head is larger than {} KiB or has more than {MAX_HEADERS} lines", MAX_HEAD / 1024)]
    HeadTooLarge,
    #[error("its answer's head is not valid HTTP/1.1: {0}")]
    Parse(#[from] httparse::Error),
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the request's body could not be read: {0}")]
    Body(#[source] BoxError),
}

fn closed(what: &'static str) -> Error {
    Error::Io(io::Error::new(io::ErrorKind::UnexpectedEof, what))
}

/// What is left of the request's body to send: `Some(n)` bytes of a declared length, or `None`
/// when it goes chunked.
struct Outgoing<B> {
    body: B,
    left: Option<u64>,
}

/// One HTTP/1.1 connection to a backend, sending request bodies of type `B` (the gateway's
/// `UpstreamBody`).
pub struct Connection<B> {
    io: Box<dyn Stream>,
    read: BytesMut,
    room: ReadRoom,
    /// What is to be written, from `written` on; filled only once all of it has gone out.
    write: Vec<u8>,
    written: usize,
    unflushed: bool,
    outgoing: Option<Outgoing<B>>,
    /// Why writing the request failed: reported if no answer comes (a backend may answer, and
    /// close, before it has read the whole request).
    write_failed: Option<io::Error>,
    incoming: Incoming,
    keep_alive: bool,
    /// Where the answer head's names and values lie in it, kept for the next head.
    spans: Vec<((usize, usize), (usize, usize))>,
}

impl<B> Connection<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    pub fn new(io: Box<dyn Stream>) -> Connection<B> {
        Connection {
            io,
            read: BytesMut::new(),
            room: ReadRoom::new(),
            write: Vec::new(),
            written: 0,
            unflushed: false,
            outgoing: None,
            write_failed: None,
            incoming: Incoming::Ended,
            keep_alive: true,
            spans: Vec::new(),
        }
    }

    /// Whether an idle connection can take a request: the backend has neither closed it nor
    /// sent anything since the last answer. Asked without waiting: tokio reads only when the
    /// socket was last seen readable. `cx` is the task that will wait for the answer (so the
    /// socket's registration keeps its waker rather than swapping it twice).
    pub fn still_open(&mut self, cx: &mut Context<'_>) -> bool {
        self.read.is_empty() && self.poll_fill(cx).is_pending()
    }

    /// Whether the exchange ended whole and the connection may carry another.
    pub fn reusable(&self) -> bool {
        self.keep_alive
            && self.incoming == Incoming::Ended
            && self.outgoing.is_none()
            && self.written == self.write.len()
            && !self.unflushed
            && self.read.is_empty()
    }

    /// Lets go of a write buffer grown by a large request body, and of read room grown by large
    /// answers, before the connection idles: kept connections hold only what a small exchange
    /// needs.
    pub fn trim(&mut self) {
        if self.write.capacity() > READ_SIZE {
            self.write = Vec::new();
            self.written = 0;
        }
        if self.read.is_empty() && self.read.capacity() > READ_SIZE {
            self.read = BytesMut::new();
        }
    }

    /// Whether the answer's body has all been read.
    pub fn answer_ended(&self) -> bool {
        self.incoming == Incoming::Ended
    }

    /// The answer's body bytes still to come, when its length says so.
    pub fn answer_left(&self) -> Option<u64> {
        match self.incoming {
            Incoming::Length(left) => Some(left),
            Incoming::Ended => Some(0),
            _ => None,
        }
    }

    /// Sends `req` (its URI in origin form) and reads until its answer's head, writing its body
    /// meanwhile; the rest of the body goes out as the answer's body is read (`poll_body`).
    pub async fn send(&mut self, req: Request<B>) -> Result<Response<()>, Error> {
        let head_only = req.method() == Method::HEAD;
        self.start(req);
        std::future::poll_fn(|cx| self.poll_head(cx, head_only)).await
    }

    /// Writes the request's head into the write buffer and takes its body.
    fn start(&mut self, req: Request<B>) {
        let (parts, body) = req.into_parts();
        let length = if body.is_end_stream() { Some(0) } else { body.size_hint().exact() };
        self.write.clear();
        self.written = 0;
        self.write_failed = None;
        self.incoming = Incoming::Head;
        self.keep_alive = true;
        let out = &mut self.write;
        out.extend_from_slice(parts.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(parts.uri.path_and_query().map_or("/", |p| p.as_str()).as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in &parts.headers {
            if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
                continue;
            }
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        match length {
            // No body: say so only where one is expected (or the caller said so).
            Some(0) if !(parts.headers.contains_key(CONTENT_LENGTH) || [Method::POST, Method::PUT, Method::PATCH].contains(&parts.method)) => {}
            Some(n) => {
                let _ = write!(out, "content-length: {n}\r\n");
            }
            None => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
        out.extend_from_slice(b"\r\n");
        self.outgoing = (length != Some(0)).then_some(Outgoing { body, left: length });
    }

    fn poll_head(&mut self, cx: &mut Context<'_>, head_only: bool) -> Poll<Result<Response<()>, Error>> {
        loop {
            if let Some(answer) = self.parse_head(head_only)? {
                return Poll::Ready(Ok(answer));
            }
            self.poll_send(cx)?;
            let read = ready!(self.poll_fill(cx));
            if !matches!(read, Ok(n) if n > 0) {
                if let Some(failed) = self.write_failed.take() {
                    return Poll::Ready(Err(failed.into()));
                }
            }
            if read? == 0 {
                return Poll::Ready(Err(closed("the stream ended before an answer came")));
            }
        }
    }

    /// The next piece of the answer's body, `None` once it has ended. The request's body goes on
    /// being written meanwhile.
    pub fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        loop {
            if let Some(data) = answer::decode(&mut self.incoming, &mut self.read)? {
                return Poll::Ready(Some(Ok(data)));
            }
            if self.incoming == Incoming::Ended {
                return Poll::Ready(None);
            }
            self.poll_send(cx)?;
            if ready!(self.poll_fill(cx))? == 0 {
                if self.incoming != Incoming::UntilClose {
                    return Poll::Ready(Some(Err(closed("the stream ended before the answer's body did"))));
                }
                self.incoming = Incoming::Ended;
                self.keep_alive = false;
            }
        }
    }

    /// Reads what has come into the read buffer: `Ok(0)` at the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read.capacity() - self.read.len() < self.room.want {
            self.read.reserve(self.room.block());
        }
        let n = ready!(tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read))?;
        self.room.read(n);
        Poll::Ready(Ok(n))
    }

    /// Writes as much of the request as the socket takes, pulling the body's next frame once
    /// everything before it has gone out. A write that fails stops the sending (and the reuse);
    /// why is kept for when no answer comes. A body that fails fails the exchange.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        if self.write_failed.is_some() {
            return Ok(());
        }
        match self.poll_write(cx) {
            Err(Error::Io(e)) => {
                self.outgoing = None;
                self.keep_alive = false;
                self.write_failed = Some(e);
                Ok(())
            }
            done => done,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        loop {
            while self.written < self.write.len() {
                match Pin::new(&mut self.io).poll_write(cx, &self.write[self.written..]) {
                    Poll::Ready(Ok(0)) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                    Poll::Ready(Ok(n)) => {
                        self.written += n;
                        self.unflushed = true;
                    }
                    Poll::Ready(Err(e)) => return Err(e.into()),
                    Poll::Pending => return Ok(()),
                }
            }
            if self.unflushed {
                match Pin::new(&mut self.io).poll_flush(cx) {
                    Poll::Ready(Ok(())) => self.unflushed = false,
                    Poll::Ready(Err(e)) => return Err(e.into()),
                    Poll::Pending => return Ok(()),
                }
            }
            let Some(outgoing) = &mut self.outgoing else { return Ok(()) };
            let frame = match Pin::new(&mut outgoing.body).poll_frame(cx) {
                Poll::Pending => return Ok(()),
                Poll::Ready(Some(Err(e))) => {
                    self.outgoing = None;
                    self.keep_alive = false;
                    return Err(Error::Body(e.into()));
                }
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(None) => {
                    let left = outgoing.left;
                    self.outgoing = None;
                    self.write.clear();
                    self.written = 0;
                    match left {
                        None => self.write.extend_from_slice(b"0\r\n\r\n"),
                        Some(0) => {}
                        Some(_) => {
                            self.keep_alive = false;
                            return Err(Error::Body("it ended before its Content-Length".into()));
                        }
                    }
                    continue;
                }
            };
            // Trailers are not passed on.
            let Ok(data) = frame.into_data() else { continue };
            if data.is_empty() {
                continue;
            }
            self.write.clear();
            self.written = 0;
            match &mut outgoing.left {
                None => {
                    let _ = write!(self.write, "{:x}\r\n", data.len());
                    self.write.extend_from_slice(&data);
                    self.write.extend_from_slice(b"\r\n");
                }
                Some(left) => {
                    let Some(rest) = left.checked_sub(data.len() as u64) else {
                        self.outgoing = None;
                        self.keep_alive = false;
                        return Err(Error::Body("it is longer than its Content-Length".into()));
                    };
                    *left = rest;
                    self.write.extend_from_slice(&data);
                }
            }
        }
    }

    /// The answer's head, once it has all come; 1xx answers before it are skipped.
    fn parse_head(&mut self, head_only: bool) -> Result<Option<Response<()>>, Error> {
        while self.incoming == Incoming::Head && !self.read.is_empty() {
            // Left uninitialised: httparse writes the lines it finds (a zeroed array was 3 KiB
            // to clear per answer).
            let mut lines = [const { MaybeUninit::<httparse::Header>::uninit() }; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut []);
            let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut parsed, &self.read, &mut lines) {
                Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
                Ok(httparse::Status::Partial) if self.read.len() < MAX_HEAD => return Ok(None),
                Ok(_) | Err(httparse::Error::TooManyHeaders) => return Err(Error::HeadTooLarge),
                Err(e) => return Err(e.into()),
            };
            let status = StatusCode::from_u16(parsed.code.unwrap_or_default()).map_err(|_| Error::Invalid("its status code is not valid"))?;
            let version = if parsed.version == Some(1) { Version::HTTP_11 } else { Version::HTTP_10 };
            // Where each name and value lies in the head, which is then cut off the read buffer
            // whole: the values share its bytes, nothing is copied.
            let base = self.read.as_ptr() as usize;
            let at = |s: &[u8]| (s.as_ptr() as usize - base, s.len());
            self.spans.clear();
            self.spans.extend(parsed.headers.iter().map(|line| (at(line.name.as_bytes()), at(line.value))));
            let head = self.read.split_to(len).freeze();
            if status.is_informational() {
                if status == StatusCode::SWITCHING_PROTOCOLS {
                    return Err(Error::Invalid("it switched protocols (101), which the gateway never asks for"));
                }
                continue;
            }
            // Room for the request id (and a policy's headers) the gateway adds before answering.
            let mut headers = HeaderMap::with_capacity(self.spans.len() + 2);
            for &((name, name_len), (value, value_len)) in &self.spans {
                let name = HeaderName::from_bytes(&head[name..name + name_len]).map_err(|_| Error::Invalid("a header name is not valid"))?;
                let value = HeaderValue::from_maybe_shared(head.slice(value..value + value_len)).map_err(|_| Error::Invalid("a header value is not valid"))?;
                headers.append(name, value);
            }
            (self.incoming, self.keep_alive) = answer::framing(status, version, &mut headers, head_only)?;
            let mut answer = Response::new(());
            *answer.status_mut() = status;
            *answer.version_mut() = version;
            *answer.headers_mut() = headers;
            return Ok(Some(answer));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
