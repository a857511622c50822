//! Masking backend URLs: the backend's origin and base path, wherever a response names them,
//! become the environment's public URL and the proxy's context path. Headers (`Location`,
//! `Content-Location`, `Link`) are rewritten whole; text bodies are rewritten as they stream
//! (`MaskedBody`), never buffered whole: each chunk is searched together with the few bytes
//! kept back from the one before (fewer than the longest pattern), so a URL split across
//! chunks is still found, and memory stays bounded by the chunk size.
use aho_corasick::{AhoCorasick, MatchKind};
use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, LINK, LOCATION};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

/// The patterns and their replacements, compiled once at deploy.
pub struct Mask {
    finder: AhoCorasick,
    replacements: Vec<Bytes>,
    /// The longest pattern's length: fewer than this many bytes are held back between chunks.
    longest: usize,
}

impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mask").field("patterns", &self.replacements.len()).finish_non_exhaustive()
    }
}

impl Mask {
    /// `backend` ("https://10.0.0.5:8443/orders") becomes `public`
    /// ("https://api.example.com/orders/v1"), as written and with JSON's escaped slashes.
    pub fn new(backend: &str, public: &str) -> Option<Mask> {
        let backend = backend.trim_end_matches('/');
        let public = public.trim_end_matches('/');
        if backend.is_empty() {
            return None;
        }
        let escaped = |s: &str| s.replace('/', "\\/");
        let pairs = [(backend.to_string(), public.to_string()), (escaped(backend), escaped(public))];
        let finder = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(pairs.iter().map(|(from, _)| from)).ok()?;
        let longest = pairs.iter().map(|(from, _)| from.len()).max().unwrap_or(1);
        Some(Mask { finder, replacements: pairs.into_iter().map(|(_, to)| Bytes::from(to)).collect(), longest })
    }

    /// Every occurrence replaced, for a whole value (a header).
    pub fn replace_all(&self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        self.finder.replace_all_with_bytes(text, &mut out, |m, _, dst| {
            dst.extend_from_slice(&self.replacements[m.pattern().as_usize()]);
            true
        });
        out
    }

    /// Replaces what can be decided in `held` + `chunk`: returns the output and keeps in
    /// `held` the tail that may be the start of a pattern the next chunk completes.
    pub fn step(&self, held: &mut BytesMut, chunk: &[u8]) -> Bytes {
        held.extend_from_slice(chunk);
        // A match starting before `safe` ends inside the buffer: those are final.
        let safe = held.len().saturating_sub(self.longest - 1);
        let mut out = BytesMut::with_capacity(held.len());
        let mut at = 0;
        for m in self.finder.find_iter(&held[..]) {
            if m.start() >= safe {
                break;
            }
            out.extend_from_slice(&held[at..m.start()]);
            out.extend_from_slice(&self.replacements[m.pattern().as_usize()]);
            at = m.end();
        }
        let keep_from = at.max(safe);
        out.extend_from_slice(&held[at..keep_from]);
        let _ = held.split_to(keep_from);
        out.freeze()
    }

    /// What is left at the end of the body, replaced.
    pub fn finish(&self, held: &mut BytesMut) -> Bytes {
        let rest = held.split();
        Bytes::from(self.replace_all(&rest))
    }

    /// Rewrites `Location`, `Content-Location` and `Link`; says whether the body is to be
    /// masked too (text, not compressed), and then drops its `Content-Length`, which changes.
    pub fn headers(&self, headers: &mut HeaderMap) -> bool {
        for name in [LOCATION, CONTENT_LOCATION, LINK] {
            self.rewrite(headers, &name);
        }
        let text = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_text);
        let plain = headers.get(CONTENT_ENCODING).is_none_or(|v| v.as_bytes().eq_ignore_ascii_case(b"identity"));
        let masked = text && plain;
        if masked {
            headers.remove(CONTENT_LENGTH);
        }
        masked
    }

    fn rewrite(&self, headers: &mut HeaderMap, name: &HeaderName) {
        if !headers.get_all(name).iter().any(|v| self.finder.is_match(v.as_bytes())) {
            return;
        }
        let values: Vec<HeaderValue> = headers.get_all(name).iter().filter_map(|v| HeaderValue::from_bytes(&self.replace_all(v.as_bytes())).ok()).collect();
        headers.remove(name);
        for value in values {
            headers.append(name.clone(), value);
        }
    }
}

/// JSON, HTML, XML, JavaScript and plain text, by media type.
fn is_text(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    media.starts_with("text/")
        || media.ends_with("+json")
        || media.ends_with("+xml")
        || matches!(media.as_str(), "application/json" | "application/xml" | "application/javascript" | "application/x-www-form-urlencoded")
}

/// A response body with the mask applied as it streams.
pub struct MaskedBody<B> {
    inner: B,
    mask: Arc<Mask>,
    held: BytesMut,
    /// Trailers that came while held bytes were still to be sent.
    trailers: Option<HeaderMap>,
    done: bool,
}

impl<B> MaskedBody<B> {
    pub fn new(inner: B, mask: Arc<Mask>) -> Self {
        MaskedBody { inner, mask, held: BytesMut::new(), trailers: None, done: false }
    }
}

impl<B> Body for MaskedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        loop {
            if this.done {
                if !this.held.is_empty() {
                    return Poll::Ready(Some(Ok(Frame::data(this.mask.finish(&mut this.held)))));
                }
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        let out = this.mask.step(&mut this.held, &data);
                        if !out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(out))));
                        }
                    }
                    Err(frame) => {
                        this.trailers = frame.into_trailers().ok();
                        this.done = true;
                    }
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => this.done = true,
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.held.is_empty() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// `count` copies of `chunk`, one frame each.
    struct Chunks {
        chunk: Bytes,
        count: usize,
    }

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            if self.count == 0 {
                return Poll::Ready(None);
            }
            self.count -= 1;
            Poll::Ready(Some(Ok(Frame::data(self.chunk.clone()))))
        }
    }

    const BACKEND: &str = "https://10.0.0.5:8443/orders";
    const PUBLIC: &str = "https://api.example.com/orders/v1";

    fn mask() -> Arc<Mask> {
        Arc::new(Mask::new(BACKEND, PUBLIC).unwrap())
    }

    /// The body streamed through the mask in `chunks`.
    fn through(mask: &Mask, chunks: &[&[u8]]) -> Vec<u8> {
        let mut held = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            out.extend_from_slice(&mask.step(&mut held, chunk));
            assert!(held.len() < mask.longest, "held back {} bytes", held.len());
        }
        out.extend_from_slice(&mask.finish(&mut held));
        out
    }

    #[test]
    fn a_url_split_at_every_possible_boundary_is_still_replaced() {
        let m = mask();
        let body = format!(r#"{{"self":"{BACKEND}/1","next":"{}\/2","x":"{BACKEND}"}}"#, BACKEND.replace('/', "\\/"));
        let want = format!(r#"{{"self":"{PUBLIC}/1","next":"{}\/2","x":"{PUBLIC}"}}"#, PUBLIC.replace('/', "\\/"));
        let bytes = body.as_bytes();
        for a in 0..=bytes.len() {
            assert_eq!(through(&m, &[&bytes[..a], &bytes[a..]]), want.as_bytes(), "split at {a}");
            for b in a..=bytes.len().min(a + 40) {
                assert_eq!(through(&m, &[&bytes[..a], &bytes[a..b], &bytes[b..]]), want.as_bytes(), "split at {a} and {b}");
            }
        }
        // One byte at a time.
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(through(&m, &singles), want.as_bytes());
        // Near misses pass untouched.
        let near = b"https://10.0.0.5:8443/order https://10.0.0.5:844 http://10.0.0.5:8443/orders https://10.0.0.5:8443/orders/7";
        let out = through(&m, &[near]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "https://10.0.0.5:8443/order https://10.0.0.5:844 http://10.0.0.5:8443/orders https://api.example.com/orders/v1/7"
        );
    }

    #[tokio::test]
    async fn a_body_far_larger_than_what_is_held_streams_through_with_bounded_memory() {
        let m = mask();
        // 64 MiB in 16 KiB chunks, each naming the backend once across a chunk boundary.
        let chunk = {
            let mut c = vec![b'x'; 16 * 1024];
            c[16 * 1024 - 10..].copy_from_slice(&BACKEND.as_bytes()[..10]);
            c[..BACKEND.len() - 10].copy_from_slice(&BACKEND.as_bytes()[10..]);
            Bytes::from(c)
        };
        let mut body = MaskedBody::new(Chunks { chunk, count: 4096 }, m.clone());
        let (mut total, mut found) = (0usize, 0usize);
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            assert!(data.len() <= 16 * 1024 + 64, "a frame of {} bytes: something was buffered", data.len());
            total += data.len();
            found += data.windows(PUBLIC.len()).filter(|w| *w == PUBLIC.as_bytes()).count();
            assert!(body.held.len() < m.longest);
        }
        assert_eq!(found, 4095, "every URL that spans two chunks");
        assert_eq!(total, 4096 * 16 * 1024 + 4095 * (PUBLIC.len() - BACKEND.len()));
    }

    #[test]
    fn headers_are_rewritten_and_only_plain_text_bodies_are_masked() {
        let m = mask();
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(&format!("{BACKEND}/42")).unwrap());
        headers.insert(LINK, HeaderValue::from_str(&format!("<{BACKEND}/43>; rel=\"next\"")).unwrap());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("100"));
        assert!(m.headers(&mut headers));
        assert_eq!(headers[LOCATION], format!("{PUBLIC}/42"));
        assert_eq!(headers[LINK], format!("<{PUBLIC}/43>; rel=\"next\""));
        assert!(headers.get(CONTENT_LENGTH).is_none(), "the length changes");
        // Compressed: passed on untouched, its length kept.
        let mut gzipped = HeaderMap::new();
        gzipped.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        gzipped.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        gzipped.insert(CONTENT_LENGTH, HeaderValue::from_static("100"));
        assert!(!m.headers(&mut gzipped));
        assert_eq!(gzipped[CONTENT_LENGTH], "100");
        let mut image = HeaderMap::new();
        image.insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
        assert!(!m.headers(&mut image));
        for text in ["text/html", "application/problem+json", "application/xml", "text/plain; charset=utf-8"] {
            assert!(is_text(text), "{text}");
        }
    }
}
