//! Accepting API consumers: TLS (HTTP/2 or HTTP/1.1 by ALPN), then hyper serving each
//! connection; every request reads the route table current when it starts. Runs on each
//! gateway thread (`workers`), which accepts and serves its connections itself.
use crate::environment::EnvironmentGateway;
use crate::forward;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub fn server_config(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(crate::upstream::provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

pub async fn serve(listener: TcpListener, tls: Arc<ServerConfig>, gateway: Arc<EnvironmentGateway>) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: back off a little rather than spin.
                tracing::warn!(environment = %gateway.slug, error = %e, "gateway accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "gateway TLS handshake failed"),
                Err(_) => return tracing::debug!(%peer, "gateway TLS handshake timed out"),
            };
            // ALPN already said which protocol the client speaks: serve that one directly, rather
            // than sniff the first bytes of every connection for the HTTP/2 preface.
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let peer_ip = hyper::header::HeaderValue::from_str(&peer.ip().to_string()).unwrap_or(hyper::header::HeaderValue::from_static("unknown"));
            let service = hyper::service::service_fn(move |req| {
                let table = gateway.routes();
                let gateway = gateway.clone();
                let peer_ip = peer_ip.clone();
                async move { Ok::<_, Infallible>(forward::handle(req, table, &peer_ip, &gateway).await) }
            });
            let io = TokioIo::new(stream);
            let served = if h2 {
                hyper::server::conn::http2::Builder::new(TokioExecutor::new()).serve_connection(io, service).await
            } else {
                hyper::server::conn::http1::Builder::new().serve_connection(io, service).await
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "gateway connection ended with an error");
            }
        });
    }
}
