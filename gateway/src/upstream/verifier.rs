//! The server-certificate check for one endpoint, as its configuration says: trust the endpoint
//! certificates (or the public roots when there are none), verify the hostname or not, verify
//! the chain or not. A failure carries what the backend presented (`PeerProblem`), so the error
//! can name the issuer or the names the certificate is for.
use super::pins::{self, Pin};
use crate::certs::{inspect, names_cover_host, Inspected};
use crate::errors::Error;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// Why the backend's certificate was refused, with the certificate's own description.
#[derive(Debug)]
pub struct PeerProblem {
    pub problem: CertificateError,
    pub peer: Option<Inspected>,
}

impl std::fmt::Display for PeerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.peer {
            Some(p) => write!(f, "{:?} for certificate {} issued by {}", self.problem, p.subject, p.issuer),
            None => write!(f, "{:?}", self.problem),
        }
    }
}

impl std::error::Error for PeerProblem {}

/// The backend's key is not pinned: `presented` is its pin, for the message.
#[derive(Debug)]
pub struct PinMismatch {
    pub presented: String,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the backend's key {} is not pinned", self.presented)
    }
}

impl std::error::Error for PinMismatch {}

fn refuse(problem: CertificateError, end_entity: &CertificateDer<'_>) -> rustls::Error {
    let peer = inspect(end_entity.as_ref()).ok();
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(PeerProblem { problem, peer }))))
}

/// A backend that presents a CA certificate as its own (what most self-signed certificates
/// are) fails webpki's path building with `CaUsedAsEndEntity`, before any issuer is looked at.
/// Unpinned, it is as untrusted as an unknown issuer, and the fix is the same: upload that
/// certificate as an endpoint certificate (pinned, it is accepted).
fn untrusted_ca_as_unknown_issuer(problem: CertificateError) -> CertificateError {
    match &problem {
        CertificateError::Other(other) if matches!(other.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity)) => {
            CertificateError::UnknownIssuer
        }
        _ => problem,
    }
}

#[derive(Debug)]
pub struct EndpointVerifier {
    /// `None` when chain verification is off.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// The endpoint certificates: a backend presenting exactly one of them is trusted as pinned
    /// (a self-signed server certificate, even one marked CA, which WebPKI refuses as a leaf).
    pinned: Vec<CertificateDer<'static>>,
    verify_hostname: bool,
    /// SPKI pins: when there are any, the backend's key must be one of them (in addition to the
    /// chain when it is verified, instead of it when not).
    key_pins: Vec<Pin>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl EndpointVerifier {
    pub fn new(
        provider: Arc<CryptoProvider>,
        trusted: Vec<CertificateDer<'static>>,
        verify_hostname: bool,
        verify_chain: bool,
        key_pins: Vec<Pin>,
    ) -> Result<Self, Error> {
        let algorithms = provider.signature_verification_algorithms;
        let webpki = if verify_chain {
            let mut roots = RootCertStore::empty();
            if trusted.is_empty() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            } else {
                for cert in &trusted {
                    roots
                        .add(cert.clone())
                        .map_err(|e| Error::invalid("endpoint_certificate_ids", format!("an endpoint certificate cannot be used as a trust anchor: {e}")))?;
                }
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| Error::Internal(format!("TLS verifier setup failed: {e}")))?;
            Some(verifier)
        } else {
            None
        };
        Ok(EndpointVerifier { webpki, pinned: trusted, verify_hostname, key_pins, algorithms })
    }

    fn check_name(&self, end_entity: &CertificateDer<'_>, server_name: &ServerName<'_>) -> Result<(), rustls::Error> {
        if !self.verify_hostname {
            return Ok(());
        }
        let names = inspect(end_entity.as_ref()).map(|i| i.subject_alt_names).unwrap_or_default();
        let host = match server_name {
            ServerName::DnsName(dns) => url::Host::Domain(dns.as_ref()),
            ServerName::IpAddress(ip) => match std::net::IpAddr::from(*ip) {
                std::net::IpAddr::V4(v4) => url::Host::Ipv4(v4),
                std::net::IpAddr::V6(v6) => url::Host::Ipv6(v6),
            },
            _ => return Err(refuse(CertificateError::NotValidForName, end_entity)),
        };
        if names_cover_host(&names, &host) {
            Ok(())
        } else {
            Err(refuse(CertificateError::NotValidForName, end_entity))
        }
    }
}

impl ServerCertVerifier for EndpointVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The key first: a key that is not pinned is refused whatever else holds, and the
        // message names the key presented, which is what the publisher needs to decide.
        if !self.key_pins.is_empty() {
            let Some(presented) = pins::of_certificate(end_entity.as_ref()) else {
                return Err(rustls::Error::InvalidCertificate(CertificateError::BadEncoding));
            };
            if !self.key_pins.contains(&presented) {
                let mismatch = PinMismatch { presented: pins::format(&presented) };
                return Err(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(mismatch)))));
            }
        }
        let pinned = self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref());
        match &self.webpki {
            Some(_) if pinned => {
                let validity = inspect(end_entity.as_ref()).map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
                let now = time::OffsetDateTime::from_unix_timestamp(now.as_secs() as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
                if now > validity.not_after {
                    return Err(refuse(CertificateError::Expired, end_entity));
                }
                if now < validity.not_before {
                    return Err(refuse(CertificateError::NotValidYet, end_entity));
                }
                self.check_name(end_entity, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            Some(webpki) => match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
                Ok(verified) => Ok(verified),
                Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }))
                    if !self.verify_hostname =>
                {
                    Ok(ServerCertVerified::assertion())
                }
                Err(rustls::Error::InvalidCertificate(problem)) => Err(refuse(untrusted_ca_as_unknown_issuer(problem), end_entity)),
                Err(other) => Err(other),
            },
            // Chain verification off: any certificate (or, with pins, any certificate for a
            // pinned key), but the name still when asked.
            None => {
                self.check_name(end_entity, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
