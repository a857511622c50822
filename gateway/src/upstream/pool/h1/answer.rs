//! The answer's framing and body, from the bytes read: how its body is delimited (RFC 9112
//! section 6.3) and the pieces of it as they come, chunked or not. Free functions over the read
//! buffer, so the connection keeps only the state (`Incoming`) between reads.
use super::Error;
use bytes::{Buf, Bytes, BytesMut};
use hyper::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::{StatusCode, Version};

/// The longest chunk-size line (with its extensions), and the most trailer bytes, read and dropped.
pub(super) const MAX_CHUNK_LINE: usize = 4 * 1024;
pub(super) const MAX_TRAILERS: usize = 16 * 1024;

/// Where the answer is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Incoming {
    Head,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
    Ended,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    /// Trailer bytes read so far.
    Trailers(usize),
}

/// How the answer's body is delimited, and whether the connection outlives it. A length header
/// beside `Transfer-Encoding` is dropped (and the connection not reused); repeated lengths that
/// agree become one.
pub(super) fn framing(status: StatusCode, version: Version, headers: &mut HeaderMap, head_only: bool) -> Result<(Incoming, bool), Error> {
    let says_close = headers.get_all(CONNECTION).iter().any(|v| tokens(v).any(|t| t.eq_ignore_ascii_case(b"close")));
    let keep_alive = version == Version::HTTP_11 && !says_close;
    if head_only || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return Ok((Incoming::Ended, keep_alive));
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        // Dropped whatever else the answer says: the caller is framed by the chunks alone.
        let had_length = headers.remove(CONTENT_LENGTH).is_some();
        let keep_alive = keep_alive && !had_length;
        let last = headers.get_all(TRANSFER_ENCODING).iter().flat_map(tokens).last();
        if last.is_some_and(|coding| coding.eq_ignore_ascii_case(b"chunked")) {
            return Ok((Incoming::Chunked(Chunk::Size), keep_alive));
        }
        return Ok((Incoming::UntilClose, false));
    }
    let mut length = None;
    let mut values = 0;
    for token in headers.get_all(CONTENT_LENGTH).iter().flat_map(tokens) {
        let n = std::str::from_utf8(token).ok().filter(|t| t.bytes().all(|b| b.is_ascii_digit())).and_then(|t| t.parse::<u64>().ok());
        match (n, length) {
            (Some(n), None) => length = Some(n),
            (Some(n), Some(m)) if n == m => {}
            _ => return Err(Error::Invalid("its Content-Length is not a number, or its values disagree")),
        }
        values += 1;
    }
    if let (Some(n), true) = (length, values > 1) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
    }
    Ok(match length {
        Some(0) => (Incoming::Ended, keep_alive),
        Some(n) => (Incoming::Length(n), keep_alive),
        None => (Incoming::UntilClose, false),
    })
}

/// The next piece of the body from what has been read into `read`, if any; `incoming` moves on.
pub(super) fn decode(incoming: &mut Incoming, read: &mut BytesMut) -> Result<Option<Bytes>, Error> {
    loop {
        match incoming {
            Incoming::Head | Incoming::Ended => return Ok(None),
            Incoming::UntilClose => return Ok((!read.is_empty()).then(|| read.split().freeze())),
            Incoming::Length(left) => {
                if read.is_empty() {
                    return Ok(None);
                }
                let data = take(read, left);
                if *left == 0 {
                    *incoming = Incoming::Ended;
                }
                return Ok(Some(data));
            }
            Incoming::Chunked(Chunk::Data(left)) => {
                if read.is_empty() {
                    return Ok(None);
                }
                let data = take(read, left);
                if *left == 0 {
                    *incoming = Incoming::Chunked(Chunk::DataEnd);
                }
                return Ok(Some(data));
            }
            Incoming::Chunked(Chunk::Size) => match httparse::parse_chunk_size(read) {
                Ok(httparse::Status::Complete((used, size))) => {
                    read.advance(used);
                    *incoming = Incoming::Chunked(if size == 0 { Chunk::Trailers(0) } else { Chunk::Data(size) });
                }
                Ok(httparse::Status::Partial) if read.len() <= MAX_CHUNK_LINE => return Ok(None),
                _ => return Err(Error::Invalid("a chunk's size line is not valid")),
            },
            Incoming::Chunked(Chunk::DataEnd) => {
                if read.len() < 2 {
                    return Ok(None);
                }
                if &read[..2] != b"\r\n" {
                    return Err(Error::Invalid("a chunk is longer than its size"));
                }
                read.advance(2);
                *incoming = Incoming::Chunked(Chunk::Size);
            }
            Incoming::Chunked(Chunk::Trailers(seen)) => {
                let Some(end) = read.windows(2).position(|w| w == b"\r\n") else {
                    if *seen + read.len() > MAX_TRAILERS {
                        return Err(Error::Invalid("its trailers are too large"));
                    }
                    return Ok(None);
                };
                read.advance(end + 2);
                *seen += end + 2;
                if end == 0 {
                    *incoming = Incoming::Ended;
                } else if *seen > MAX_TRAILERS {
                    return Err(Error::Invalid("its trailers are too large"));
                }
            }
        }
    }
}

/// Up to `left` bytes off the front of `read`, without copying; `left` goes down by as many.
fn take(read: &mut BytesMut, left: &mut u64) -> Bytes {
    let n = usize::try_from(*left).unwrap_or(usize::MAX).min(read.len());
    *left -= n as u64;
    read.split_to(n).freeze()
}

/// The comma-separated items of a header value, trimmed, empty ones skipped.
fn tokens(value: &HeaderValue) -> impl Iterator<Item = &[u8]> {
    value.as_bytes().split(|b| *b == b',').map(<[u8]>::trim_ascii).filter(|t| !t.is_empty())
}
