//! Accepting API consumers: TLS (HTTP/2 or HTTP/1.1 by ALPN; certificates and settings from
//! the environment's current `edge` configuration), then each connection served within the
//! listener's bounds (`connections`): HTTP/1.1 by hyper, HTTP/2 by `http2` on h2 itself; every request reads the route
//! table current when it starts. Runs on each gateway thread (`workers`), which accepts and
//! serves its connections itself.
use crate::body::RequestBody;
use crate::connections::{self, Activity, Admission, GoAway, Limits, Stop, Tracked};
use crate::consumers::ClientCertificate;
use crate::environment::EnvironmentGateway;
use crate::forward;
use crate::forwarded::{Peer, TrustedProxies};
use crate::http2;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// What every connection of one listener is served with, made once when it starts.
pub struct Serving {
    pub gateway: Arc<EnvironmentGateway>,
    pub trusted: TrustedProxies,
    pub limits: Limits,
    pub admission: Admission,
    pub stop: Stop,
    http1: http1::Builder,
    http2: h2::server::Builder,
}

impl Serving {
    pub fn new(gateway: Arc<EnvironmentGateway>, trusted: TrustedProxies, limits: Limits, stop: Stop) -> Arc<Serving> {
        let admission = Admission::new(limits.max_connections);
        let (http1, http2) = (limits.http1(), limits.http2());
        Arc::new(Serving { gateway, trusted, limits, admission, stop, http1, http2 })
    }
}

pub async fn serve(listener: TcpListener, serving: Arc<Serving>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = serving.stop.stopped() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: back off a little rather than spin.
                tracing::warn!(environment = %serving.gateway.slug, error = %e, "gateway accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // At the cap the connection is closed at once: callers see a refusal, not a hang, and
        // the ones already served go on.
        let Some(permit) = serving.admission.admit() else {
            serving.gateway.connections_refused.inc();
            continue;
        };
        // The configuration current now (domains and settings are swapped whole, `edge`).
        let acceptor = {
            let tls = serving.gateway.tls.load();
            let asks = serving.gateway.routes.load().asks_for_client_certificates();
            tokio_rustls::TlsAcceptor::from(if asks { tls.asking.clone() } else { tls.plain.clone() })
        };
        let serving = serving.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tcp.set_nodelay(true);
            let activity = Activity::new();
            let stream = match tokio::time::timeout(serving.limits.header_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "gateway TLS handshake failed"),
                Err(_) => return tracing::debug!(%peer, "gateway TLS handshake timed out"),
            };
            // ALPN already said which protocol the client speaks: serve that one directly, rather
            // than sniff the first bytes of every connection for the HTTP/2 preface.
            let alpn = stream.get_ref().1.alpn_protocol();
            // An ACME server's validation ends with the handshake (RFC 8737): nothing is served.
            if alpn == Some(crate::edge::ACME_TLS_ALPN) {
                return;
            }
            let h2 = alpn == Some(b"h2");
            let mut caller = Peer::new(peer.ip(), &serving.trusted);
            caller.certificate = stream.get_ref().1.peer_certificates().and_then(ClientCertificate::read).map(Box::new);
            let caller = Arc::new(caller);
            let gateway = serving.gateway.clone();
            let requests = activity.clone();
            let draining = serving.stop.clone();
            let handle = move |req| {
                let busy = requests.busy();
                let table = gateway.routes();
                let gateway = gateway.clone();
                let caller = caller.clone();
                // Draining: an HTTP/1.1 caller moves to another node after this answer (HTTP/2
                // ones got a GOAWAY).
                let close = !h2 && draining.is_draining();
                async move {
                    let mut response = forward::handle(req, table, &caller, &gateway).await;
                    if close {
                        response.headers_mut().insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("close"));
                    }
                    response.map(|body| Tracked::new(body, busy))
                }
            };
            let (limits, stop) = (&serving.limits, &serving.stop);
            if h2 {
                let connection = http2::Serve::new(stream, &serving.http2, connections::H2_PING_INTERVAL, handle);
                if let Err(e) = connections::drive(connection, &activity, limits, stop, GoAway::WhenDraining).await {
                    tracing::debug!(%peer, error = %e, "gateway HTTP/2 connection ended with an error");
                }
            } else {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let answer = handle(req.map(RequestBody::Http1));
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let connection = serving.http1.serve_connection(TokioIo::new(stream), service);
                if let Err(e) = connections::drive(connection, &activity, limits, stop, GoAway::WhenStopped).await {
                    tracing::debug!(%peer, error = %e, "gateway connection ended with an error");
                }
            }
        });
    }
}
