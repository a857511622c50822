//! A TLS backend on a fresh 127.0.0.1 port that answers every request with what it received, as
//! JSON (path, host, forwarding headers, request id, how many client certificates were
//! presented, the body as text, and its own URL for the request as `self`), after an optional delay; it requires a
//! client certificate issued by (or equal to) a given one when asked. Asked with
//! `x-echo-fingerprint`, it answers as an old PHP backend would: `Server`, `X-Powered-By`,
//! `X-AspNet-Version`, and a `Location` with its own URL.
use crate::pki::TestCert;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// The crypto provider the tests' TLS uses (as Gatehouse's).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls server configuration presenting `leaf` (then `chain_extra`), requiring a client
/// certificate issued by `client_ca` when given.
pub fn server_config(leaf: &TestCert, chain_extra: &[&TestCert], client_ca: Option<&TestCert>) -> rustls::ServerConfig {
    config_trusting(leaf, chain_extra, client_ca.map(TestCert::cert_der))
}

fn config_trusting(leaf: &TestCert, chain_extra: &[&TestCert], client_ca: Option<CertificateDer<'static>>) -> rustls::ServerConfig {
    let builder = rustls::ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca).unwrap();
            builder.with_client_cert_verifier(rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build().unwrap())
        }
        None => builder.with_no_client_auth(),
    };
    let mut chain = vec![leaf.cert_der()];
    chain.extend(chain_extra.iter().map(|c| c.cert_der()));
    builder.with_single_cert(chain, leaf.key_der()).unwrap()
}

/// Starts the echo backend (HTTP/2 or HTTP/1.1 by ALPN) and returns its port.
pub async fn echo(server: &TestCert, client_ca: Option<&TestCert>, delay: Duration) -> u16 {
    serve(server_config(server, &[], client_ca), delay).await
}

/// The echo backend, requiring a client certificate issued by (or equal to) the PEM one, such
/// as a key pair Gatehouse generated.
pub async fn echo_trusting_pem(server: &TestCert, client_ca_pem: &str) -> u16 {
    let ca = CertificateDer::from_pem_slice(client_ca_pem.as_bytes()).unwrap();
    serve(config_trusting(server, &[], Some(ca)), Duration::ZERO).await
}

async fn serve(mut config: rustls::ServerConfig, delay: Duration) -> u16 {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let presented = tls.get_ref().1.peer_certificates().map_or(0, <[_]>::len);
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| async move {
                    // A caller may ask for a slower answer, to keep a request in flight.
                    let asked = req.headers().get("x-echo-delay-ms").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).map(Duration::from_millis);
                    tokio::time::sleep(asked.unwrap_or(delay)).await;
                    let (head, body) = req.into_parts();
                    let body = body.collect().await.map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned()).unwrap_or_else(|e| format!("(failed: {e})"));
                    let req = hyper::Request::from_parts(head, ());
                    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    let mut headers = serde_json::Map::new();
                    for name in req.headers().keys() {
                        let values: Vec<&str> = req.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
                        headers.insert(name.to_string(), values.join(", ").into());
                    }
                    let seen = serde_json::json!({
                        "path": req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
                        "host": header("host"),
                        "xff": header("x-forwarded-for"),
                        "proto": header("x-forwarded-proto"),
                        "request_id": header("x-request-id"),
                        "connection": header("connection"),
                        "client_certificates": presented,
                        "cookie": header("cookie"),
                        "x_original_url": header("x-original-url"),
                        "x_rewrite_url": header("x-rewrite-url"),
                        "headers": headers,
                        "body": body,
                        "self": format!("https://{}{}", header("host"), req.uri().path()),
                    });
                    // A backend that sets a cookie when asked to, to test what the gateway
                    // lets back.
                    let set_cookie = req.headers().get("x-echo-set-cookie").cloned();
                    let mut response = hyper::Response::new(Full::new(Bytes::from(seen.to_string())));
                    if let Some(value) = set_cookie {
                        response.headers_mut().insert(hyper::header::SET_COOKIE, value);
                    }
                    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
                    if req.headers().contains_key("x-echo-fingerprint") {
                        let answer = response.headers_mut();
                        answer.insert(hyper::header::SERVER, hyper::header::HeaderValue::from_static("Apache/2.2.3 (CentOS)"));
                        answer.insert("x-powered-by", hyper::header::HeaderValue::from_static("PHP/5.4"));
                        answer.insert("x-aspnet-version", hyper::header::HeaderValue::from_static("4.0.30319"));
                        if let Ok(location) = hyper::header::HeaderValue::from_str(&format!("https://{}{}/next", header("host"), req.uri().path())) {
                            answer.insert(hyper::header::LOCATION, location);
                        }
                    }
                    Ok::<_, Infallible>(response)
                });
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}
