//! Client certificates as a consumer's credential. The listener asks callers for a certificate
//! without forcing one (`OfferClientAuth`: the handshake proves the caller holds the
//! certificate's key and nothing more), and only while a live route of its environment accepts
//! certificates. What was presented is read once per connection (`ClientCertificate`); a route
//! that accepts certificates then looks it up per request: by its SHA-256 among subscriptions
//! bound to that one certificate, else among subscriptions bound to a trusted client CA of the
//! proxy's products, whose chain check (webpki, client-auth usage, validity) runs once per
//! connection and CA and is remembered.
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The longest chain a caller may present, leaf included.
pub const MAX_CHAIN: usize = 8;
/// How many CA verdicts one connection remembers (a proxy in more products than this is
/// checked again, never wrongly).
const MAX_VERDICTS: usize = 16;

/// Asks for a client certificate, never requires one, and accepts whatever chain comes: which
/// chain is trusted depends on the route, known only once the request arrives. The handshake's
/// signature is still verified, so a caller cannot present a certificate whose key it lacks.
#[derive(Debug)]
pub struct OfferClientAuth {
    algorithms: WebPkiSupportedAlgorithms,
}

impl OfferClientAuth {
    pub fn new() -> Arc<Self> {
        Arc::new(OfferClientAuth { algorithms: crate::upstream::provider().signature_verification_algorithms })
    }
}

impl ClientCertVerifier for OfferClientAuth {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(&self, _: &CertificateDer<'_>, intermediates: &[CertificateDer<'_>], _: UnixTime) -> Result<ClientCertVerified, rustls::Error> {
        if intermediates.len() >= MAX_CHAIN {
            return Err(rustls::Error::General(format!("a client certificate chain is at most {MAX_CHAIN} certificates")));
        }
        Ok(ClientCertVerified::assertion())
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

/// A trusted client CA compiled into a verifier, known by its certificate's SHA-256.
pub struct TrustedCa {
    fingerprint: [u8; 32],
    verifier: Arc<dyn ClientCertVerifier>,
}

impl TrustedCa {
    pub fn new(der: &CertificateDer<'static>) -> Result<TrustedCa, String> {
        let mut roots = RootCertStore::empty();
        roots.add(der.clone()).map_err(|e| format!("not usable as a trust anchor: {e}"))?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), crate::upstream::provider()).build().map_err(|e| e.to_string())?;
        Ok(TrustedCa { fingerprint: Sha256::digest(der.as_ref()).into(), verifier })
    }

    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }
}

/// Why a presented certificate cannot stand for anyone now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCurrent {
    Expired(OffsetDateTime),
    NotYetValid(OffsetDateTime),
}

/// The certificate a caller presented on its connection, read once when the handshake ends.
pub struct ClientCertificate {
    chain: Vec<CertificateDer<'static>>,
    fingerprint: [u8; 32],
    not_before: i64,
    not_after: i64,
    /// CAs (by fingerprint) this chain was checked against, and whether it passed.
    verdicts: Mutex<Vec<([u8; 32], bool)>>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate").field("fingerprint", &hex(&self.fingerprint)).finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// `None` when nothing was presented, or the leaf cannot be read as X.509 (the handshake's
    /// signature check has already parsed it, so that is rare).
    pub fn read(chain: &[CertificateDer<'static>]) -> Option<ClientCertificate> {
        let leaf = chain.first()?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
        let validity = cert.validity();
        Some(ClientCertificate {
            fingerprint: Sha256::digest(leaf.as_ref()).into(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            chain: chain.iter().take(MAX_CHAIN).cloned().collect(),
            verdicts: Mutex::default(),
        })
    }

    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Whether the leaf is valid now (checked on every request: a connection may outlive it).
    pub fn current(&self) -> Result<(), NotCurrent> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        if now > self.not_after {
            return Err(NotCurrent::Expired(at(self.not_after)));
        }
        if now < self.not_before {
            return Err(NotCurrent::NotYetValid(at(self.not_before)));
        }
        Ok(())
    }

    /// Whether the chain leads to `ca` (for client authentication, every certificate valid
    /// now). Checked once per connection and CA.
    pub fn issued_by(&self, ca: &TrustedCa) -> bool {
        let mut verdicts = self.verdicts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, verdict)) = verdicts.iter().find(|(f, _)| *f == ca.fingerprint) {
            return *verdict;
        }
        let verdict = ca.verifier.verify_client_cert(&self.chain[0], &self.chain[1..], UnixTime::now()).is_ok();
        if verdicts.len() < MAX_VERDICTS {
            verdicts.push((ca.fingerprint, verdict));
        }
        verdict
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use sha2::{Digest, Sha256};
    use testkit::pki;

    fn sha(der: &[u8]) -> [u8; 32] {
        Sha256::digest(der).into()
    }

    #[test]
    fn a_certificate_opens_what_its_fingerprint_or_its_trusted_ca_is_bound_to() {
        let (trusted, foreign) = (pki::ca("Partner CA"), pki::ca("Someone else's CA"));
        let from_trusted = pki::client_issued(&trusted, "partner-app", -1, 30);
        let from_foreign = pki::client_issued(&foreign, "intruder", -1, 30);
        let pinned = pki::client_valid("pinned-app", -1, 30);
        let expired = pki::client_valid("old-app", -30, -1);
        let spec = CredentialsSpec {
            products: vec![ProductSpec { id: 1, slug: "gold".into(), proxy_ids: vec![10], rate_limit: None, quota: None }],
            subscriptions: vec![
                SubscriptionSpec {
                    id: 100,
                    product_id: 1,
                    active: true,
                    key_hashes: vec![],
                    quota_used: 0,
                    client_certificate: Some(ClientBinding::Ca(trusted.cert_der())),
                },
                SubscriptionSpec {
                    id: 101,
                    product_id: 1,
                    active: false,
                    key_hashes: vec![],
                    quota_used: 0,
                    client_certificate: Some(ClientBinding::Fingerprint(sha(pinned.der()))),
                },
                SubscriptionSpec {
                    id: 102,
                    product_id: 1,
                    active: true,
                    key_hashes: vec![],
                    quota_used: 0,
                    client_certificate: Some(ClientBinding::Fingerprint(sha(expired.der()))),
                },
            ],
        };
        let (local, book, metrics) = (Local::default(), UsageBook::default(), crate::Metrics::new());
        let creds = Credentials::compile(&spec, &local, &book, &metrics);
        let read = |cert: &testkit::pki::TestCert| ClientCertificate::read(&[cert.cert_der()]).unwrap();

        let partner = read(&from_trusted);
        assert_eq!(creds.admit_certificate(&partner, 10).unwrap().subscription_id, 100);
        assert_eq!(creds.admit_certificate(&partner, 11).unwrap_err(), Refusal::CertificateNotSubscribed, "not in the product");
        assert_eq!(partner.verdicts.lock().unwrap().len(), 1, "the chain was checked once for the connection");
        assert_eq!(creds.admit_certificate(&read(&from_foreign), 10).unwrap_err(), Refusal::CertificateNotSubscribed);
        assert_eq!(creds.admit_certificate(&read(&trusted), 10).unwrap_err(), Refusal::CertificateNotSubscribed, "the CA itself is no client");
        assert_eq!(creds.admit_certificate(&read(&pinned), 10).unwrap_err(), Refusal::Suspended);
        assert!(matches!(creds.admit_certificate(&read(&expired), 10).unwrap_err(), Refusal::CertificateNotCurrent(NotCurrent::Expired(_))));
        assert!(ClientCertificate::read(&[]).is_none());
        assert!(ClientCertificate::read(&[rustls::pki_types::CertificateDer::from(vec![0x30, 0x03, 1, 2, 3])]).is_none());
    }
}
