//! The Test page: a request sent from the server through the environment's real gateway
//! listener (trusting its certificate), so what comes back is exactly what a consumer gets;
//! and, when the gateway answered with an error, the detail the consumer was not told
//! (`failed_calls`, the gateway's recent failures, also listed on the proxy's Activity page).
use crate::auth::Actor;
use crate::model::{FailedCall, TestResponse};
use crate::projects::Need;
use crate::proxies::{endpoints::find_environment, find};
use crate::{Error, Result, Services};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use std::time::{Duration, Instant};

const MAX_BODY: usize = 1024 * 1024;

/// `headers` is one "Name: value" per line.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    services: &Services,
    actor: &Actor,
    project: &str,
    proxy: &str,
    environment: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Result<TestResponse> {
    let db = &services.db;
    // Sending is a publisher's: viewers read, they do not send.
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    services.outbound.take(actor.id)?;
    let env = find_environment(db, environment).await?;
    // What the publisher typed is checked before anything else, so each mistake is named.
    let method = hyper::Method::from_bytes(method.trim().to_uppercase().as_bytes()).map_err(|_| Error::invalid("method", "choose an HTTP method"))?;
    let headers = parse_headers(headers)?;
    // Sent to the invoke URL (by the environment's domain, when it has one), connected to this
    // process's listener whatever that name resolves to, so the domain's certificate is what
    // is checked.
    let not_running = || Error::Conflict(format!("the {} gateway is not running in this process", env.name));
    let base = services.gateway.invoke_url(&env.slug).ok_or_else(not_running)?;
    let listener = services.gateway.address(&env.slug).ok_or_else(not_running)?;
    let pem = env.gateway_certificate_pem.clone().ok_or_else(|| Error::Conflict(format!("the {} gateway has no certificate yet", env.name)))?;
    let path = path.trim();
    let path = if path.is_empty() || path.starts_with('/') || path.starts_with('?') { path.to_string() } else { format!("/{path}") };
    let url = format!("{base}{}{path}", found.proxy.context_path);
    let mut request = hyper::Request::builder().method(method).uri(&url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(Full::new(Bytes::from(body.to_string()))).map_err(|e| Error::invalid("path", format!("the path cannot be sent: {e}")))?;

    let mut roots = rustls::RootCertStore::empty();
    for cert in crate::certificates::read_pem_chain(&pem)? {
        roots.add(cert).map_err(|e| Error::Internal(format!("the gateway certificate cannot be trusted: {e}")))?;
    }
    // A domain's chain is checked as a client checks it: its own root (or a public one).
    for cert in crate::domains::chains(&services.db, env.id).await? {
        let _ = roots.add(cert);
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(gateway::upstream::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(ToListener(listener));
    http.enforce_http(false);
    let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_only().enable_http1().wrap_connector(http);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build::<_, Full<Bytes>>(connector);
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
        .await
        .map_err(|_| Error::Conflict("the gateway did not answer within 60 s".into()))?
        .map_err(|e| Error::Conflict(format!("the request could not be sent to the gateway at {url}: {e}")))?;
    let (parts, incoming) = response.into_parts();
    // A body too large to show (or cut off) is said so, never shown as empty.
    let (bytes, unreadable) = match Limited::new(incoming, MAX_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), None),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            (Bytes::new(), Some(format!("(the body is larger than {} MiB and is not shown)", MAX_BODY / (1024 * 1024))))
        }
        Err(e) => (Bytes::new(), Some(format!("(the body could not be read to the end: {e})"))),
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let text = unreadable.unwrap_or_else(|| String::from_utf8_lossy(&bytes).to_string());
    let json = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
    let error_code = json.as_ref().and_then(|j| j["error"]["code"].as_str()).map(str::to_string);
    let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok());
    let error_detail = error_code.as_ref().and(request_id).and_then(|id| services.gateway.failed_request(id)).map(|f| f.message);
    let body = json.and_then(|j| serde_json::to_string_pretty(&j).ok()).unwrap_or(text);
    let headers = parts.headers.iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("(binary)").to_string())).collect();
    Ok(TestResponse { url, status: parts.status.as_u16(), headers, body, elapsed_ms, error_code, error_detail })
}

/// Resolves every name to the environment's listener in this process.
#[derive(Clone)]
struct ToListener(std::net::SocketAddr);

impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for ToListener {
    type Response = std::iter::Once<std::net::SocketAddr>;
    type Error = std::io::Error;
    type Future = std::future::Ready<std::result::Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<std::result::Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        std::future::ready(Ok(std::iter::once(self.0)))
    }
}

/// The proxy's recent calls that failed at the backend, newest first, in every environment
/// this process serves.
pub async fn failed_calls(services: &Services, actor: &Actor, project: &str, proxy: &str) -> Result<Vec<FailedCall>> {
    let found = find(&services.db, actor, project, proxy, Need::See).await?;
    Ok(services
        .gateway
        .failed_requests(found.proxy.id, 50)
        .into_iter()
        .map(|f| FailedCall {
            request_id: f.request_id,
            environment: f.environment,
            method: f.method,
            path: f.path,
            code: f.code.to_string(),
            message: f.message,
            at: f.at,
        })
        .collect())
}

/// "Name: value" per line, blank lines skipped; each bad line is named.
fn parse_headers(text: &str) -> Result<Vec<(hyper::header::HeaderName, hyper::header::HeaderValue)>> {
    let mut headers = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| Error::invalid("headers", format!("\"{line}\" is not \"Name: value\"")))?;
        let name = hyper::header::HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Error::invalid("headers", format!("\"{}\" is not a header name: use letters, digits and - only", name.trim())))?;
        let value = hyper::header::HeaderValue::from_str(value.trim())
            .map_err(|_| Error::invalid("headers", format!("the value of {name} has characters a header cannot carry")))?;
        headers.push((name, value));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::parse_headers;

    #[test]
    fn each_bad_header_line_is_named() {
        let parsed = parse_headers("Accept: application/json\n\n  X-Trace:  abc  ").unwrap();
        let pairs: Vec<_> = parsed.iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
        assert_eq!(pairs, [("accept", "application/json"), ("x-trace", "abc")]);
        for (bad, says) in [
            ("Accept application/json", "is not \"Name: value\""),
            ("Bad Header: x", "\"Bad Header\" is not a header name"),
            ("X-A: line\u{7f}", "the value of x-a"),
        ] {
            let err = parse_headers(bad).unwrap_err();
            assert_eq!(err.field(), Some("headers"));
            assert!(err.to_string().contains(says), "{bad:?}: {err}");
        }
    }
}
