//! Every way a call to a backend can fail, mapped to the gateway's `ErrorKind` (its code and
//! status are in `errors`, the one place for them) with a message that says what to do. The
//! gateway and "Check connection" both use this, so the console explains an error in exactly
//! the words the gateway returned it with.
use super::verifier::{PeerProblem, PinMismatch};
use crate::errors::ErrorKind;
use rustls::{AlertDescription, CertificateError};
use std::error::Error as StdError;

/// What an error message needs to know about the endpoint.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub host: String,
    pub port: u16,
    /// The names of the endpoint certificates it trusts; empty means the public roots.
    pub trusted: Vec<String>,
    /// The client certificate presented (Mutual SSL on), by name.
    pub client_certificate: Option<String>,
    pub connect_timeout_ms: u32,
    pub read_timeout_ms: u32,
    /// The pins the endpoint trusts, as written.
    pub pins: Vec<String>,
    /// The versions it offers: "TLS 1.2 to 1.3".
    pub versions: String,
    /// Its versions or suites are narrower than the defaults: a handshake failure may then be
    /// about them rather than the client certificate.
    pub restricted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamError {
    pub kind: ErrorKind,
    pub message: String,
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl UpstreamError {
    pub fn timeout(ctx: &Context, connecting: bool) -> Self {
        let message = if connecting {
            format!(
                "{}:{} did not accept a connection within the connect timeout of {} ms: is the backend up and reachable from the gateway?",
                ctx.host, ctx.port, ctx.connect_timeout_ms
            )
        } else {
            format!(
                "the backend at {}:{} did not answer within the read timeout of {} ms: raise it on the Endpoints page if the backend is slow",
                ctx.host, ctx.port, ctx.read_timeout_ms
            )
        };
        UpstreamError { kind: ErrorKind::UpstreamTimeout, message }
    }
}

/// The errors along `err`'s source chain, looking inside `io::Error`s (whose `source()` skips
/// the error they wrap).
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        found.push(e);
        next = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
    }
    found
}

/// Maps any error from connecting, the handshake or the exchange to a code and a fix.
pub fn classify(err: &(dyn StdError + 'static), ctx: &Context) -> UpstreamError {
    let errors = chain(err);
    if let Some(refused) = errors.iter().find_map(|e| e.downcast_ref::<super::destinations::DestinationRefused>()) {
        return UpstreamError { kind: ErrorKind::UpstreamConnectFailed, message: refused.to_string() };
    }
    if let Some(tls) = errors.iter().find_map(|e| e.downcast_ref::<rustls::Error>()) {
        return classify_tls(tls, ctx);
    }
    // HTTP/2 keeps only the text of an I/O error, so an alert the backend sent after the
    // handshake (TLS 1.3 checks the client certificate then) arrives as words.
    if let Some(alert) = errors.iter().find_map(|e| e.to_string().split("received fatal alert: ").nth(1).map(|a| a.trim().to_string())) {
        if let Some(found) = classify_alert(&alert, ctx) {
            return found;
        }
    }
    if let Some(io) = errors.iter().rev().find_map(|e| e.downcast_ref::<std::io::Error>()) {
        use std::io::ErrorKind as K;
        let target = format!("{}:{}", ctx.host, ctx.port);
        let (kind, message) = match io.kind() {
            K::TimedOut => return UpstreamError::timeout(ctx, true),
            K::ConnectionRefused => {
                (ErrorKind::UpstreamConnectFailed, format!("{target} refused the connection: is the backend running, and is the URL's port right?"))
            }
            K::NotFound | K::AddrNotAvailable => {
                (ErrorKind::UpstreamConnectFailed, format!("{} could not be resolved or reached: check the backend URL's host", ctx.host))
            }
            K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof | K::BrokenPipe => {
                (ErrorKind::UpstreamProtocolError, format!("{target} closed the connection before answering ({io}): check the backend's log"))
            }
            _ => (ErrorKind::UpstreamConnectFailed, format!("could not connect to {target}: {io}")),
        };
        return UpstreamError { kind, message };
    }
    // Each error's text often ends with its source's: each is said once.
    let mut text = String::new();
    for said in errors.iter().map(|e| e.to_string()) {
        if !text.contains(&said) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&said);
        }
    }
    UpstreamError { kind: ErrorKind::UpstreamProtocolError, message: format!("the backend's answer was not valid HTTP ({text})") }
}

fn classify_tls(err: &rustls::Error, ctx: &Context) -> UpstreamError {
    let host = &ctx.host;
    let (kind, message) = match err {
        rustls::Error::InvalidCertificate(problem) => return classify_certificate(problem, None, ctx),
        rustls::Error::PeerIncompatible(_) | rustls::Error::AlertReceived(AlertDescription::ProtocolVersion | AlertDescription::InsufficientSecurity) => (
            ErrorKind::UpstreamTlsHandshakeFailed,
            format!(
                "{host}:{} and this endpoint share no TLS version or cipher suite ({err}; the endpoint offers {}): widen the endpoint's TLS settings on the Endpoints page, or the backend's",
                ctx.port, ctx.versions
            ),
        ),
        rustls::Error::AlertReceived(alert) => match classify_alert(&format!("{alert:?}"), ctx) {
            Some(found) => return found,
            None => (ErrorKind::UpstreamTlsHandshakeFailed, format!("the TLS handshake with {host}:{} failed: the backend sent {alert:?}", ctx.port)),
        },
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } | rustls::Error::InappropriateHandshakeMessage { .. } => (
            ErrorKind::UpstreamTlsHandshakeFailed,
            format!("{host}:{} did not answer like a TLS server ({err}): if the backend speaks plain HTTP, use an http:// URL", ctx.port),
        ),
        other => (ErrorKind::UpstreamTlsHandshakeFailed, format!("the TLS handshake with {host}:{} failed: {other}", ctx.port)),
    };
    UpstreamError { kind, message }
}

/// Alerts that mean the backend wants a client certificate, or did not accept ours. `alert` is
/// the alert's name as rustls prints it ("CertificateRequired").
fn classify_alert(alert: &str, ctx: &Context) -> Option<UpstreamError> {
    use AlertDescription as A;
    let is = |a: A| alert == format!("{a:?}");
    if is(A::HandshakeFailure) && ctx.restricted {
        let certificate = match &ctx.client_certificate {
            Some(name) => format!("or it did not accept the client certificate \"{name}\""),
            None => "or it requires a client certificate (turn on Mutual SSL)".to_string(),
        };
        return Some(UpstreamError {
            kind: ErrorKind::UpstreamTlsHandshakeFailed,
            message: format!(
                "the backend at {}:{} refused the handshake: it may share no TLS version or cipher suite with this endpoint (which offers {}, with its chosen suites): widen the endpoint's TLS settings on the Endpoints page; {certificate}",
                ctx.host, ctx.port, ctx.versions
            ),
        });
    }
    if is(A::CertificateRequired) || (is(A::HandshakeFailure) && ctx.client_certificate.is_none()) {
        return Some(UpstreamError { kind: ErrorKind::UpstreamTlsClientCertRequired, message: client_required(ctx) });
    }
    let rejected = [
        A::BadCertificate,
        A::UnknownCA,
        A::CertificateUnknown,
        A::CertificateExpired,
        A::AccessDenied,
        A::DecryptError,
        A::HandshakeFailure,
        A::UnsupportedCertificate,
    ];
    rejected.into_iter().any(is).then(|| {
        let name = ctx.client_certificate.clone().unwrap_or_default();
        UpstreamError {
            kind: ErrorKind::UpstreamTlsClientCertRejected,
            message: format!("the backend at {} rejected the client certificate \"{name}\" ({alert}): add its certificate (Download PEM under Existing Certificates) to the backend's trusted client CAs, or choose the certificate the backend trusts", ctx.host),
        }
    })
}

fn client_required(ctx: &Context) -> String {
    format!("the backend at {} requires a client certificate and none was presented: turn on Mutual SSL on the Endpoints page and choose the client certificate under Existing Certificates", ctx.host)
}

/// `"a", "b"`.
fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

fn classify_certificate(problem: &CertificateError, peer: Option<&PeerProblem>, ctx: &Context) -> UpstreamError {
    if let CertificateError::Other(other) = problem {
        if let Some(inner) = other.0.downcast_ref::<PeerProblem>() {
            return classify_certificate(&inner.problem, Some(inner), ctx);
        }
        if let Some(mismatch) = other.0.downcast_ref::<PinMismatch>() {
            return UpstreamError {
                kind: ErrorKind::UpstreamTlsPinMismatch,
                message: format!(
                    "the backend at {}:{} presented a key with pin {}, which is not among this endpoint's pins ({}): if the backend's key changed on purpose, add its pin on the Endpoints page; if not, someone may be between the gateway and the backend",
                    ctx.host,
                    ctx.port,
                    mismatch.presented,
                    ctx.pins.join(", ")
                ),
            };
        }
    }
    let host = &ctx.host;
    let described = peer.and_then(|p| p.peer.as_ref());
    let issuer = described.map_or_else(|| "an issuer".to_string(), |p| p.issuer.clone());
    let (kind, message) = match problem {
        CertificateError::UnknownIssuer | CertificateError::BadSignature if described.is_some_and(|p| p.subject == p.issuer) => {
            let trusted = if ctx.trusted.is_empty() { "no endpoint certificate".to_string() } else { quoted(&ctx.trusted) };
            (
                ErrorKind::UpstreamTlsUnknownIssuer,
                format!("the backend's certificate for {host} is self-signed ({issuer}), and this endpoint trusts {trusted}: upload the backend's certificate as an endpoint certificate on the Endpoints page"),
            )
        }
        CertificateError::UnknownIssuer | CertificateError::BadSignature => {
            let trusted = if ctx.trusted.is_empty() {
                "which is not a publicly trusted CA: upload the backend's certificate (or the CA that issued it) with Upload Endpoint Certificate on the Endpoints page".to_string()
            } else {
                format!("which is not among this endpoint's certificates ({}): upload it on the Endpoints page", quoted(&ctx.trusted))
            };
            (ErrorKind::UpstreamTlsUnknownIssuer, format!("the backend's certificate for {host} was issued by {issuer}, {trusted}"))
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = described.map_or_else(String::new, |p| format!(" on {}", p.not_after.date()));
            (
                ErrorKind::UpstreamTlsExpired,
                format!("the backend's certificate for {host} expired{when}: renew it on the backend (and upload the new one if this endpoint pins it)"),
            )
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let when = described.map_or_else(String::new, |p| format!(" until {}", p.not_before.date()));
            (ErrorKind::UpstreamTlsExpired, format!("the backend's certificate for {host} is not valid{when}: check the backend's clock and certificate"))
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = described.map(|p| p.subject_alt_names.join(", ")).filter(|n| !n.is_empty()).unwrap_or_else(|| "other names".into());
            (
                ErrorKind::UpstreamTlsHostnameMismatch,
                format!("the backend's certificate is for {names}, not for {host}: use one of those names in the backend URL, give the backend a certificate for {host}, or turn off Verify hostname"),
            )
        }
        other => (ErrorKind::UpstreamTlsHandshakeFailed, format!("the backend's certificate for {host} was refused: {other:?}")),
    };
    UpstreamError { kind, message }
}
