//! "Check connection": a real TCP connection, TLS handshake and `GET` of the URL's path with a
//! compiled upstream (exactly what a deploy would serve), reported in the gateway's own words.
//! The gateway runs the same probe when a pooled connection died without saying why.
use super::classify::{classify, UpstreamError};
use super::verifier::PeerProblem;
use super::Upstream;
use crate::certs::{inspect, Inspected};
use crate::errors::ErrorKind;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a connection to the backend found. `Default` is a check that has learned nothing yet.
#[derive(Debug, Clone, Default)]
pub struct ConnectionReport {
    pub ok: bool,
    /// Why it failed.
    pub kind: Option<ErrorKind>,
    /// What happened, and on failure what to do about it.
    pub message: String,
    /// The backend's certificate chain as presented (https, when the handshake got that far).
    pub chain: Vec<Inspected>,
    /// Such as "TLSv1.3"; empty for http.
    pub tls_version: String,
    /// The HTTP status the backend answered a GET of the URL's path with.
    pub http_status: Option<u16>,
    pub elapsed_ms: u64,
}

impl ConnectionReport {
    /// The error code when it failed, such as "upstream_tls_unknown_issuer".
    pub fn code(&self) -> Option<&'static str> {
        self.kind.map(ErrorKind::code)
    }
}

/// Connects, shakes hands, sends `GET <path>` and reads the status line.
pub async fn check_connection(upstream: &Upstream) -> ConnectionReport {
    let started = Instant::now();
    let mut report = ConnectionReport::default();
    let outcome = run(upstream, &mut report).await;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(status) => {
            report.ok = true;
            report.http_status = Some(status);
            let over = if upstream.https { format!(" over {}", report.tls_version) } else { " over plain http".to_string() };
            let path = if upstream.base_path.is_empty() { "/" } else { upstream.base_path.as_str() };
            report.message = format!(
                "Connected to {}:{}{over} in {} ms; the backend answered GET {path} with HTTP {status}.",
                upstream.host, upstream.port, report.elapsed_ms
            );
        }
        Err(e) => {
            report.kind = Some(e.kind);
            report.message = e.message;
        }
    }
    report
}

/// Why connecting to a backend fails, found out on a fresh connection of its own. The gateway
/// asks when its pooled connection closed before the request went out, which hides the cause:
/// a TLS 1.3 backend refuses a missing or unknown client certificate only after the handshake.
pub async fn diagnose(upstream: &Upstream) -> Option<UpstreamError> {
    let mut report = ConnectionReport::default();
    run(upstream, &mut report).await.err()
}

async fn run(upstream: &Upstream, report: &mut ConnectionReport) -> Result<u16, UpstreamError> {
    let ctx = &upstream.context;
    let connect = async {
        let addrs = super::destinations::resolve(&upstream.host, upstream.port, &upstream.destinations).await?;
        TcpStream::connect(&addrs[..]).await
    };
    let tcp = match tokio::time::timeout(upstream.connect_timeout, connect).await {
        Err(_) => return Err(UpstreamError::timeout(ctx, true)),
        Ok(Err(e)) => return Err(classify(&e, ctx)),
        Ok(Ok(tcp)) => tcp,
    };
    let Some(tls) = &upstream.tls else { return exchange(tcp, upstream).await };
    // The check speaks HTTP/1.1 itself, so it offers only that.
    let mut config = (**tls).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server_name = ServerName::try_from(upstream.host.clone())
        .map_err(|_| UpstreamError { kind: ErrorKind::UpstreamTlsHandshakeFailed, message: format!("{} is not a name TLS can verify", upstream.host) })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = match tokio::time::timeout(upstream.connect_timeout, connector.connect(server_name, tcp)).await {
        Err(_) => return Err(UpstreamError::timeout(ctx, true)),
        Ok(Err(e)) => {
            record_refused_peer(&e, report);
            return Err(classify(&e, ctx));
        }
        Ok(Ok(stream)) => stream,
    };
    {
        let (_, session) = stream.get_ref();
        report.tls_version = session.protocol_version().map(|v| format!("{v:?}").replace("TLSv1_", "TLSv1.")).unwrap_or_default();
        report.chain = session.peer_certificates().unwrap_or_default().iter().filter_map(|c| inspect(c.as_ref()).ok()).collect();
    }
    exchange(stream, upstream).await
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, upstream: &Upstream) -> Result<u16, UpstreamError> {
    let ctx = &upstream.context;
    let path = if upstream.base_path.is_empty() { "/" } else { upstream.base_path.as_str() };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: Gatehouse-check\r\nAccept: */*\r\nConnection: close\r\n\r\n", upstream.authority());
    let talk = async {
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed before a status line"));
            }
            head.extend_from_slice(&buf[..n]);
        }
        Ok::<Vec<u8>, std::io::Error>(head)
    };
    let head = match tokio::time::timeout(upstream.read_timeout, talk).await {
        Err(_) => return Err(UpstreamError::timeout(ctx, false)),
        Ok(Err(e)) => return Err(classify(&e, ctx)),
        Ok(Ok(head)) => head,
    };
    let line = String::from_utf8_lossy(&head);
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse::<u16>().ok()).filter(|_| line.starts_with("HTTP/"));
    status.ok_or_else(|| UpstreamError {
        kind: ErrorKind::UpstreamProtocolError,
        message: format!(
            "{}:{} did not answer with HTTP (it began \"{}\")",
            upstream.host,
            upstream.port,
            line.lines().next().unwrap_or("").chars().take(40).collect::<String>()
        ),
    })
}

/// A refused certificate's description goes into the report, so the publisher sees what the
/// backend presented.
fn record_refused_peer(err: &std::io::Error, report: &mut ConnectionReport) {
    let peer = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .and_then(|e| match e {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => other.0.downcast_ref::<PeerProblem>(),
            _ => None,
        })
        .and_then(|p| p.peer.clone());
    report.chain.extend(peer);
}
