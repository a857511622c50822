//! The bodies that pass through the gateway, as types: what it answers with and what it sends a
//! backend.
use crate::http2::RecvBody;
use crate::policies::mask::MaskedBody;
use crate::upstream::pool::PooledBody;
use bytes::Bytes;
use http_body_util::{Either, Full, Limited};
use hyper::body::{Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};

/// What the gateway answers with: the backend's body as it streams in (masked, when the route
/// masks backend URLs), or the gateway's own error body. Enums rather than a boxed body: no
/// allocation per response.
pub type Body = Either<Either<PooledBody, MaskedBody<PooledBody>>, Full<Bytes>>;
/// What the gateway sends a backend: the caller's body, capped at `MAX_REQUEST_BODY`.
pub type UpstreamBody = Limited<RequestBody>;

/// A caller's request body: from hyper's HTTP/1.1 server, or from h2 (`http2`).
pub enum RequestBody {
    Http1(Incoming),
    Http2(RecvBody),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl hyper::body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            RequestBody::Http1(body) => Pin::new(body).poll_frame(cx).map_err(Into::into),
            RequestBody::Http2(body) => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Http1(body) => body.is_end_stream(),
            RequestBody::Http2(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Http1(body) => body.size_hint(),
            RequestBody::Http2(body) => body.size_hint(),
        }
    }
}

/// The largest request body the gateway passes on.
pub const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;
