//! One request through the gateway: find the route, rewrite the request for the backend,
//! send it on the route's pooled client, stream the answer back; or answer with the error's
//! code and fix.
use super::errors::respond;
use super::routes::{Route, RouteTable};
use super::EnvironmentGateway;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, HOST};
use hyper::{Request, Response, Uri, Version};
use services::upstream::{classify, UpstreamError};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = BoxBody<Bytes, BoxError>;

/// The largest request body the gateway passes on.
pub const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;

/// Headers that describe one hop, never forwarded (RFC 9110 7.6.1), in one list.
const HOP_BY_HOP: [&str; 9] =
    ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Plus whatever the Connection header itself names.
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// A request id unique within this process and unlikely to repeat across restarts: a random
/// prefix chosen at start, then a counter (no random number per request).
fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::LazyLock;
    static PREFIX: LazyLock<u64> = LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{:016x}{:016x}", *PREFIX, COUNTER.fetch_add(1, Ordering::Relaxed))
}

pub async fn handle(req: Request<Incoming>, table: Arc<RouteTable>, peer: SocketAddr, gateway: &EnvironmentGateway) -> Response<Body> {
    let started = Instant::now();
    let request_id = next_request_id();
    let path = req.uri().path().to_string();
    let Some((route, rest)) = table.find(&path) else {
        gateway.no_route.inc();
        return respond(404, "no_route", &format!("no API proxy is deployed at {path} in the {} environment", gateway.name), &request_id);
    };
    let method = req.method().clone();
    let response = forward(req, route, rest, peer, &request_id).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    route.metrics.answered(status, elapsed);
    // One line per proxied request.
    tracing::info!(
        target: "gatehouse::access",
        environment = %gateway.slug, proxy = %route.name, %method, path = %path, status,
        ms = elapsed.as_secs_f64() * 1000.0, request_id = %request_id,
    );
    response
}

async fn forward(req: Request<Incoming>, route: &Route, rest: &str, peer: SocketAddr, request_id: &str) -> Response<Body> {
    let too_big = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > MAX_REQUEST_BODY);
    if too_big {
        let message = format!("the request body is larger than the gateway's limit of {} MiB", MAX_REQUEST_BODY / (1024 * 1024));
        return respond(413, "payload_too_large", &message, request_id);
    }
    let upstream = &route.upstream;
    let (mut parts, body) = req.into_parts();
    let original_host = parts.headers.get(HOST).cloned().or_else(|| parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
    strip_hop_by_hop(&mut parts.headers);
    let forwarded_for = match parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    let headers = &mut parts.headers;
    if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
        headers.insert("x-forwarded-for", value);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    if let Some(host) = original_host {
        headers.insert("x-forwarded-host", host);
    }
    let request_id_header = HeaderValue::from_str(request_id).ok();
    if let Some(id) = request_id_header.clone() {
        headers.insert("x-request-id", id);
    }
    headers.insert(HOST, route.host.clone());
    let target = match parts.uri.query() {
        Some(query) => format!("{}{rest}?{query}", route.origin),
        None => format!("{}{rest}", route.origin),
    };
    parts.uri = match target.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return respond(400, "bad_request", "the request path cannot be passed on", request_id),
    };
    // The pooled connection decides HTTP/1.1 or HTTP/2 (by ALPN), whatever the caller spoke.
    parts.version = Version::HTTP_11;
    let body = Limited::new(body, MAX_REQUEST_BODY).map_err(BoxError::from).boxed();
    let sent = tokio::time::timeout(upstream.read_timeout, route.client.request(Request::from_parts(parts, body))).await;
    let failure = match sent {
        Ok(Ok(response)) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            if let Some(id) = request_id_header {
                parts.headers.insert("x-request-id", id);
            }
            return Response::from_parts(parts, body.map_err(BoxError::from).boxed());
        }
        Ok(Err(e)) => classify(&e, &upstream.context),
        Err(_) => UpstreamError::timeout(&upstream.context, false),
    };
    route.metrics.upstream_error(failure.kind.code());
    tracing::warn!(proxy = %route.name, proxy_id = route.proxy_id, request_id, code = failure.kind.code(), "{}", failure.message);
    respond(failure.kind.status(), failure.kind.code(), &failure.message, request_id)
}
