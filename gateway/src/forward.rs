//! One request through the gateway: find the route, rewrite the request for the backend,
//! send it on the route's pooled client, stream the answer back; or answer with the error's
//! code and fix.
use crate::body::{Body, MAX_REQUEST_BODY};
use crate::environment::EnvironmentGateway;
use crate::errors::{respond, ErrorKind};
use crate::routes::{Route, RouteTable};
use crate::upstream::{classify, diagnose, UpstreamError};
use bytes::Bytes;
use http_body_util::{Either, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, HOST};
use hyper::http::uri::{Parts, PathAndQuery};
use hyper::{Request, Response, Uri, Version};
use std::sync::Arc;
use std::time::Instant;

/// Headers that describe one hop, never forwarded (RFC 9110 7.6.1), in one list.
const HOP_BY_HOP: [&str; 9] =
    ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

// Header names made once, not parsed from a string on every request.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none (HTTP/2 forbids them): one pass over the names, no lookups.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
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
fn next_request_id() -> HeaderValue {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::LazyLock;
    static PREFIX: LazyLock<u64> = LazyLock::new(|| uuid::Uuid::new_v4().as_u64_pair().0);
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let id = format!("{:016x}{:016x}", *PREFIX, COUNTER.fetch_add(1, Ordering::Relaxed));
    HeaderValue::from_maybe_shared(Bytes::from(id)).unwrap_or(HeaderValue::from_static("0"))
}

/// One request on a connection from `peer`; `peer_ip` is its address as a header value, worked
/// out once per connection.
pub async fn handle(req: Request<Incoming>, table: Arc<RouteTable>, peer_ip: &HeaderValue, gateway: &EnvironmentGateway) -> Response<Body> {
    let started = Instant::now();
    let request_id = next_request_id();
    let id = request_id.to_str().unwrap_or_default();
    // A clone of the URI shares its bytes: the path stays readable after `req` moves on.
    let uri = req.uri().clone();
    let path = uri.path();
    let Some((route, rest)) = table.find(path) else {
        gateway.no_route.inc();
        return respond(ErrorKind::NoRoute, &format!("no API proxy is deployed at {path} in the {} environment", gateway.name), &request_id);
    };
    let method = req.method().clone();
    let response = forward(req, route, rest, peer_ip, (&request_id, id)).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    route.metrics.answered(status, elapsed);
    // One line per proxied request.
    tracing::info!(
        target: "gatehouse::access",
        environment = %gateway.slug, proxy = %route.name, %method, path = %path, status,
        ms = elapsed.as_secs_f64() * 1000.0, request_id = %id,
    );
    response
}

/// `request_id` is the id as a header value and as text, both made once in `handle`.
async fn forward(req: Request<Incoming>, route: &Route, rest: &str, peer_ip: &HeaderValue, request_id: (&HeaderValue, &str)) -> Response<Body> {
    let (request_id, id) = request_id;
    let too_big = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > MAX_REQUEST_BODY);
    if too_big {
        let message = format!("the request body is larger than the gateway's limit of {} MiB", MAX_REQUEST_BODY / (1024 * 1024));
        return respond(ErrorKind::PayloadTooLarge, &message, request_id);
    }
    let upstream = &route.upstream;
    let (mut parts, body) = req.into_parts();
    let original_host = parts.headers.get(HOST).cloned().or_else(|| parts.uri.authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
    strip_hop_by_hop(&mut parts.headers);
    let forwarded_for = match parts.headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
        Some(earlier) => {
            HeaderValue::from_maybe_shared(Bytes::from(format!("{earlier}, {}", peer_ip.to_str().unwrap_or_default()))).unwrap_or_else(|_| peer_ip.clone())
        }
        None => peer_ip.clone(),
    };
    let headers = &mut parts.headers;
    headers.insert(X_FORWARDED_FOR, forwarded_for);
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    if let Some(host) = original_host {
        headers.insert(X_FORWARDED_HOST, host);
    }
    headers.insert(X_REQUEST_ID, request_id.clone());
    headers.insert(HOST, route.host.clone());
    parts.uri = match backend_uri(route, rest, parts.uri.query()) {
        Some(uri) => uri,
        None => return respond(ErrorKind::BadRequest, "the request path cannot be passed on", request_id),
    };
    // The pooled connection decides HTTP/1.1 or HTTP/2 (by ALPN), whatever the caller spoke.
    parts.version = Version::HTTP_11;
    let body = Limited::new(body, MAX_REQUEST_BODY);
    let sent = tokio::time::timeout(upstream.read_timeout, route.client.request(Request::from_parts(parts, body))).await;
    let failure = match sent {
        Ok(Ok(response)) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            parts.headers.insert(X_REQUEST_ID, request_id.clone());
            return Response::from_parts(parts, Either::Left(body));
        }
        Ok(Err(e)) => {
            let found = classify(&e, &upstream.context);
            if found.kind != ErrorKind::UpstreamProtocolError {
                found
            } else {
                // The connection ended (canceled, broken pipe, reset) and took its cause with it, such as a
                // TLS 1.3 backend's refusal of the client certificate: look again on a connection of our own.
                // Boxed: the probe's state (a whole TLS connection) would otherwise make every
                // request's future, which hyper copies into each task it spawns, kilobytes larger.
                tokio::time::timeout(upstream.read_timeout, Box::pin(diagnose(upstream))).await.ok().flatten().unwrap_or(found)
            }
        }
        Err(_) => UpstreamError::timeout(&upstream.context, false),
    };
    route.metrics.upstream_error(failure.kind.code());
    tracing::warn!(proxy = %route.name, proxy_id = route.proxy_id, request_id = id, code = failure.kind.code(), "{}", failure.message);
    respond(failure.kind, &failure.message, request_id)
}

/// The backend's URI: the route's scheme and authority (parsed once, at deploy), the backend
/// URL's path, the rest of the request's path, and its query.
fn backend_uri(route: &Route, rest: &str, query: Option<&str>) -> Option<Uri> {
    let base = &route.upstream.base_path;
    let mut target = String::with_capacity(base.len() + rest.len() + query.map_or(0, |q| q.len() + 1) + 1);
    target.push_str(base);
    target.push_str(rest);
    if target.is_empty() {
        target.push('/');
    }
    if let Some(query) = query {
        target.push('?');
        target.push_str(query);
    }
    let mut parts = Parts::default();
    parts.scheme = Some(route.scheme.clone());
    parts.authority = Some(route.authority.clone());
    parts.path_and_query = Some(PathAndQuery::from_maybe_shared(Bytes::from(target)).ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size<A, B, C, D, G, F>(_: G) -> usize
    where
        G: FnOnce(A, B, C, D) -> F,
    {
        std::mem::size_of::<F>()
    }

    /// hyper's HTTP/2 server spawns one task per stream holding this future, copying it as it
    /// goes: rare paths (the fresh-connection probe) must stay boxed, out of its size.
    #[test]
    fn a_request_future_stays_small() {
        let size = future_size::<Request<Incoming>, Arc<RouteTable>, &'static HeaderValue, &'static EnvironmentGateway, _, _>(handle);
        // 2,032 bytes when written; 7,144 with the probe inline.
        assert!(size <= 2560, "a request's future is {size} bytes; box what made it grow");
    }
}
