//! Accepting API consumers: TLS (HTTP/2 or HTTP/1.1 by ALPN), then hyper serving each
//! connection within the listener's bounds (`connections`); every request reads the route
//! table current when it starts. Runs on each gateway thread (`workers`), which accepts and
//! serves its connections itself.
use crate::connections::{self, Activity, Admission, Limits, Stop, Tracked};
use crate::consumers::ClientCertificate;
use crate::environment::EnvironmentGateway;
use crate::forward;
use crate::forwarded::{Peer, TrustedProxies};
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A listener's two TLS configurations: one that asks callers for a client certificate
/// (without requiring one), used while some live route accepts certificates, and one that
/// does not ask, so an environment whose proxies use none never prompts a caller for one.
pub struct ListenerTls {
    pub plain: Arc<ServerConfig>,
    pub asking: Arc<ServerConfig>,
}

pub fn server_config(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<ListenerTls, rustls::Error> {
    let builder = || ServerConfig::builder_with_provider(crate::upstream::provider()).with_safe_default_protocol_versions();
    let mut plain = builder()?.with_no_client_auth().with_single_cert(chain.clone(), key.clone_key())?;
    let mut asking = builder()?.with_client_cert_verifier(crate::consumers::OfferClientAuth::new()).with_single_cert(chain, key)?;
    for config in [&mut plain, &mut asking] {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    }
    Ok(ListenerTls { plain: Arc::new(plain), asking: Arc::new(asking) })
}

/// What every connection of one listener is served with, made once when it starts.
pub struct Serving {
    pub tls: ListenerTls,
    pub gateway: Arc<EnvironmentGateway>,
    pub trusted: TrustedProxies,
    pub limits: Limits,
    pub admission: Admission,
    pub stop: Stop,
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Serving {
    pub fn new(tls: ListenerTls, gateway: Arc<EnvironmentGateway>, trusted: TrustedProxies, limits: Limits, stop: Stop) -> Arc<Serving> {
        let admission = Admission::new(limits.max_connections);
        let (http1, http2) = (limits.http1(), limits.http2());
        Arc::new(Serving { tls, gateway, trusted, limits, admission, stop, http1, http2 })
    }
}

pub async fn serve(listener: TcpListener, serving: Arc<Serving>) {
    let plain = tokio_rustls::TlsAcceptor::from(serving.tls.plain.clone());
    let asking = tokio_rustls::TlsAcceptor::from(serving.tls.asking.clone());
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
        let acceptor = if serving.gateway.routes.load().asks_for_client_certificates() { asking.clone() } else { plain.clone() };
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
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let mut caller = Peer::new(peer.ip(), &serving.trusted);
            caller.certificate = stream.get_ref().1.peer_certificates().and_then(ClientCertificate::read).map(Box::new);
            let caller = Arc::new(caller);
            let gateway = serving.gateway.clone();
            let requests = activity.clone();
            let service = hyper::service::service_fn(move |req| {
                let busy = requests.busy();
                let table = gateway.routes();
                let gateway = gateway.clone();
                let caller = caller.clone();
                async move {
                    let response = forward::handle(req, table, &caller, &gateway).await;
                    Ok::<_, Infallible>(response.map(|body| Tracked::new(body, busy)))
                }
            });
            let io = TokioIo::new(stream);
            let (limits, stop) = (&serving.limits, &serving.stop);
            let served = if h2 {
                connections::drive(serving.http2.serve_connection(io, service), &activity, limits, stop).await
            } else {
                connections::drive(serving.http1.serve_connection(io, service), &activity, limits, stop).await
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "gateway connection ended with an error");
            }
        });
    }
}
