//! Raw connections, for what a well-behaved client never sends: hand-written bytes over TLS (or
//! plain TCP), read back as they come.
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A TLS client configuration that trusts only `pem` (a listener's certificate), offering the
/// ALPN protocols in `alpn` (such as `b"http/1.1"`, `b"h2"`).
pub fn client_config(pem: &str, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(crate::backend::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// `https://127.0.0.1:port` → `127.0.0.1:port`.
pub fn address(url: &str) -> &str {
    url.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/')
}

/// A TLS connection to `url`'s address, handshake done, as `localhost`.
pub async fn tls(url: &str, config: &Arc<rustls::ClientConfig>) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(address(url)).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
}

/// Sends `request` as it is on a new TLS connection and returns everything the server writes
/// until it closes the connection (at most 10 s).
pub async fn exchange(url: &str, config: &Arc<rustls::ClientConfig>, request: &[u8]) -> String {
    let mut stream = tls(url, config).await;
    stream.write_all(request).await.unwrap();
    stream.flush().await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept the connection open: {}", String::from_utf8_lossy(&answer));
    String::from_utf8_lossy(&answer).into_owned()
}

/// Whether the peer has closed `stream` (a read ends or fails) within `bound`.
pub async fn closed_within<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, bound: Duration) -> bool {
    let mut buf = [0u8; 512];
    let until = tokio::time::Instant::now() + bound;
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // An error answer before the close, such as a 408: keep reading.
            Ok(Ok(_)) => continue,
        }
    }
}

/// Whether a handshake with `url` (trusting `pem`) asks for a client certificate: the client
/// offers to present one and records whether the server's CertificateRequest came.
pub async fn asks_for_client_certificate(url: &str, pem: &str) -> bool {
    use rustls::client::ResolvesClientCert;
    use rustls::sign::CertifiedKey;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Debug, Default)]
    struct Recorder(AtomicBool);
    impl ResolvesClientCert for Recorder {
        fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
            self.0.store(true, Ordering::SeqCst);
            None
        }
        fn has_certs(&self) -> bool {
            true
        }
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    let recorder = Arc::new(Recorder::default());
    let config = rustls::ClientConfig::builder_with_provider(crate::backend::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(recorder.clone());
    let mut stream = tls(url, &Arc::new(config)).await;
    // TLS 1.3 sends the request with the server's first flight: it has come once the handshake is done.
    let _ = stream.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n").await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut sink)).await;
    recorder.0.load(Ordering::SeqCst)
}

/// The chain `url`'s listener serves for the name `sni`, from a handshake that verifies it to
/// `root_pem` (panics when it does not verify).
pub async fn served_chain(url: &str, sni: &str, root_pem: &str) -> Vec<Vec<u8>> {
    let config = client_config(root_pem, &[b"http/1.1"]);
    let tcp = TcpStream::connect(address(url)).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(config);
    let stream =
        connector.connect(ServerName::try_from(sni.to_string()).unwrap(), tcp).await.unwrap_or_else(|e| panic!("the chain for {sni} does not verify: {e}"));
    stream.get_ref().1.peer_certificates().unwrap().iter().map(|c| c.as_ref().to_vec()).collect()
}
