//! "Check connection": a real TCP connection, TLS handshake and `GET` of the URL's path, with
//! the saved configuration and no deploy, reported in the gateway's own words.
use super::errors::{classify, UpstreamError};
use super::verifier::PeerProblem;
use super::{compile, load_settings, Upstream};
use crate::auth::Actor;
use crate::certificates::inspect::{inspect, Inspected};
use crate::entities::endpoint_config;
use crate::model::{ConnectionCheck, PeerCertificate};
use crate::projects::Need;
use crate::proxies::{endpoints::find_environment, find};
use crate::secrets::MasterKey;
use crate::{Error, Result};
use rustls::pki_types::ServerName;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Checks one environment's saved endpoint of a proxy. Publishers and owners only: it makes
/// the server open a connection.
pub async fn check_saved(db: &DatabaseConnection, master_key: &MasterKey, actor: &Actor, project: &str, proxy: &str, environment: &str) -> Result<ConnectionCheck> {
    let found = find(db, actor, project, proxy, Need::Edit).await?;
    let env = find_environment(db, environment).await?;
    let config = endpoint_config::Entity::find()
        .filter(endpoint_config::Column::ProxyId.eq(found.proxy.id))
        .filter(endpoint_config::Column::EnvironmentId.eq(env.id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("the {} endpoint has not been saved yet: Save it first", env.name)))?;
    let settings = load_settings(db, master_key, &config).await?;
    let upstream = compile(&settings)?;
    Ok(check_connection(&upstream).await)
}

/// Connects, shakes hands, sends `GET <path>` and reads the status line.
pub async fn check_connection(upstream: &Upstream) -> ConnectionCheck {
    let started = Instant::now();
    let mut report = ConnectionCheck::default();
    let outcome = run(upstream, &mut report).await;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(status) => {
            report.ok = true;
            report.http_status = Some(status);
            let over = if upstream.https { format!(" over {}", report.tls_version) } else { " over plain http".to_string() };
            let path = if upstream.base_path.is_empty() { "/" } else { upstream.base_path.as_str() };
            report.message = format!("Connected to {}:{}{over} in {} ms; the backend answered GET {path} with HTTP {status}.", upstream.host, upstream.port, report.elapsed_ms);
        }
        Err(e) => {
            report.code = Some(e.kind.code().to_string());
            report.message = e.message;
        }
    }
    report
}

/// Why connecting to a backend fails, found out on a fresh connection of its own. The gateway
/// asks when its pooled connection closed before the request went out, which hides the cause:
/// a TLS 1.3 backend refuses a missing or unknown client certificate only after the handshake.
pub async fn diagnose(upstream: &Upstream) -> Option<UpstreamError> {
    let mut report = ConnectionCheck::default();
    run(upstream, &mut report).await.err()
}

async fn run(upstream: &Upstream, report: &mut ConnectionCheck) -> Result<u16, UpstreamError> {
    let ctx = &upstream.context;
    let tcp = match tokio::time::timeout(upstream.connect_timeout, TcpStream::connect((upstream.host.as_str(), upstream.port))).await {
        Err(_) => return Err(UpstreamError::timeout(ctx, true)),
        Ok(Err(e)) => return Err(classify(&e, ctx)),
        Ok(Ok(tcp)) => tcp,
    };
    let Some(tls) = &upstream.tls else { return exchange(tcp, upstream).await };
    // The check speaks HTTP/1.1 itself, so it offers only that.
    let mut config = (**tls).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let server_name = ServerName::try_from(upstream.host.clone()).map_err(|_| UpstreamError {
        kind: super::UpstreamErrorKind::TlsHandshakeFailed,
        message: format!("{} is not a name TLS can verify", upstream.host),
    })?;
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
        report.chain = session.peer_certificates().unwrap_or_default().iter().filter_map(|c| inspect(c.as_ref()).ok()).map(describe).collect();
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
        kind: super::UpstreamErrorKind::ProtocolError,
        message: format!("{}:{} did not answer with HTTP (it began \"{}\")", upstream.host, upstream.port, line.lines().next().unwrap_or("").chars().take(40).collect::<String>()),
    })
}

/// A refused certificate's description goes into the report, so the publisher sees what the
/// backend presented.
fn record_refused_peer(err: &std::io::Error, report: &mut ConnectionCheck) {
    let peer = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .and_then(|e| match e {
            rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => other.0.downcast_ref::<PeerProblem>(),
            _ => None,
        })
        .and_then(|p| p.peer.clone());
    report.chain.extend(peer.map(describe));
}

fn describe(c: Inspected) -> PeerCertificate {
    PeerCertificate {
        subject: c.subject,
        issuer: c.issuer,
        subject_alt_names: c.subject_alt_names,
        not_after: c.not_after.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        fingerprint_sha256: c.fingerprint_sha256,
    }
}
