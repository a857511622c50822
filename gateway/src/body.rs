//! The bodies that pass through the gateway, as types: what it answers with and what it sends a
//! backend.
use crate::policies::mask::MaskedBody;
use crate::upstream::pool::PooledBody;
use bytes::Bytes;
use http_body_util::{Either, Full, Limited};
use hyper::body::Incoming;

/// What the gateway answers with: the backend's body as it streams in (masked, when the route
/// masks backend URLs), or the gateway's own error body. Enums rather than a boxed body: no
/// allocation per response.
pub type Body = Either<Either<PooledBody, MaskedBody<PooledBody>>, Full<Bytes>>;
/// What the gateway sends a backend: the caller's body, capped at `MAX_REQUEST_BODY`.
pub type UpstreamBody = Limited<Incoming>;

/// The largest request body the gateway passes on.
pub const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;
