//! Accepting API consumers: TLS (HTTP/2 or HTTP/1.1 by ALPN), then hyper serving each
//! connection; every request reads the route table current when it starts.
use super::{forward, EnvironmentGateway};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub fn server_config(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(services::upstream::provider())
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
            let service = hyper::service::service_fn(move |req| {
                let table = gateway.routes();
                let gateway = gateway.clone();
                async move { Ok::<_, Infallible>(forward::handle(req, table, peer, &gateway).await) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            if let Err(e) = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await {
                tracing::debug!(%peer, error = %e, "gateway connection ended with an error");
            }
        });
    }
}
