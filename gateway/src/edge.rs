//! What an environment's listener presents to callers: the certificate chosen by SNI among the
//! environment's domains (leaf and intermediates), the default certificate without SNI or for
//! an unknown name, and the listener's TLS settings (minimum version, TLS 1.2 suites).
//!
//! All of it is compiled off to the side into a new pair of rustls configurations (one that asks
//! for a client certificate, one that does not, `listener`) and swapped in atomically, as route
//! tables are: a new domain or setting holds from the next handshake, with no restart, and a
//! handshake in progress finishes on the configuration it started with.
use crate::errors::Error;
use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SupportedCipherSuite};
use std::collections::HashMap;
use std::sync::Arc;

/// A certificate chain (leaf first) with its private key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// One custom domain: a hostname (`api.example.com`, or `*.example.com`) and what it serves.
pub struct DomainSpec {
    pub hostname: String,
    pub identity: Identity,
}

/// The oldest TLS version a listener or backend connection accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    #[default]
    V1_2,
    V1_3,
}

impl TlsVersion {
    pub fn parse(text: &str) -> Option<TlsVersion> {
        match text.trim() {
            "1.2" => Some(TlsVersion::V1_2),
            "1.3" => Some(TlsVersion::V1_3),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::V1_2 => "1.2",
            TlsVersion::V1_3 => "1.3",
        }
    }
}

/// A listener's TLS settings. `cipher_suites` lists the TLS 1.2 suites allowed, by their IANA
/// names; empty allows every suite Gatehouse offers. TLS 1.3 suites are always all offered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    pub min_version: TlsVersion,
    pub cipher_suites: Vec<String>,
}

/// The TLS 1.2 suites Gatehouse can offer, by IANA name, strongest first.
pub fn tls12_suite_names() -> Vec<&'static str> {
    crate::upstream::provider().cipher_suites.iter().filter(|s| s.tls13().is_none()).filter_map(|s| s.suite().as_str()).collect()
}

/// Checks a list of TLS 1.2 suite names, saying which name is unknown and what is offered.
pub fn check_suites(names: &[String]) -> Result<(), String> {
    let known = tls12_suite_names();
    for name in names {
        if !known.contains(&name.trim()) {
            return Err(format!("\"{name}\" is not a TLS 1.2 cipher suite Gatehouse offers; choose from {}", known.join(", ")));
        }
    }
    Ok(())
}

/// The provider with only the suites the settings allow: every TLS 1.3 suite, and the named
/// TLS 1.2 ones (all when none are named).
pub(crate) fn provider_for(settings: &TlsSettings) -> Result<Arc<CryptoProvider>, String> {
    check_suites(&settings.cipher_suites)?;
    let base = crate::upstream::provider();
    if settings.cipher_suites.is_empty() {
        return Ok(base);
    }
    let allowed = |s: &SupportedCipherSuite| s.tls13().is_some() || s.suite().as_str().is_some_and(|n| settings.cipher_suites.iter().any(|a| a.trim() == n));
    let mut provider = (*base).clone();
    provider.cipher_suites.retain(allowed);
    Ok(Arc::new(provider))
}

pub(crate) fn versions(min: TlsVersion) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static TLS13_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match min {
        TlsVersion::V1_2 => rustls::DEFAULT_VERSIONS,
        TlsVersion::V1_3 => &TLS13_ONLY,
    }
}

/// `https://api.example.com` (port 443) or `https://api.example.com:8443`.
pub fn url_for(hostname: &str, port: u16) -> String {
    if port == 443 {
        format!("https://{hostname}")
    } else {
        format!("https://{hostname}:{port}")
    }
}

/// Everything a listener's TLS is compiled from.
pub struct EdgeSpec {
    /// Served without SNI and for names no domain covers.
    pub default: Identity,
    pub domains: Vec<DomainSpec>,
    pub tls: TlsSettings,
}

/// The ALPN protocol of ACME's TLS-ALPN-01 challenge (RFC 8737).
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Answers to TLS-ALPN-01 challenges by hostname, for the ACME orders in progress. Kept apart
/// from the compiled certificates (shared by every compile of the environment's edge), so a
/// challenge comes and goes without recompiling the listener.
#[derive(Debug, Default)]
pub struct Challenges(ArcSwap<HashMap<String, Arc<CertifiedKey>>>);

impl Challenges {
    /// Answers `hostname`'s challenge with `answer`, or stops answering it.
    pub(crate) fn set(&self, hostname: &str, answer: Option<Arc<CertifiedKey>>) {
        let name = hostname.to_ascii_lowercase();
        self.0.rcu(|current| {
            let mut next = HashMap::clone(current);
            match &answer {
                Some(answer) => next.insert(name.clone(), answer.clone()),
                None => next.remove(&name),
            };
            next
        });
    }

    fn get(&self, server_name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        self.0.load().get(&server_name?.trim_end_matches('.').to_ascii_lowercase()).cloned()
    }
}

/// Loads a certificate and its key as rustls serves them, the key checked against it.
pub(crate) fn certified(what: &str, identity: &Identity, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, Error> {
    let key = provider
        .key_provider
        .load_private_key(identity.key.clone_key())
        .map_err(|e| Error::invalid("private_key", format!("the key of {what} cannot be used: {e}")))?;
    let certified = CertifiedKey::new(identity.chain.clone(), key);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(Arc::new(certified)),
        Err(e) => Err(Error::invalid("private_key", format!("the key of {what} does not match its certificate: {e}"))),
    }
}

/// The certificates by name, resolved during each handshake: an exact hostname first, then a
/// wildcard covering exactly one label (RFC 6125), then the default.
#[derive(Debug)]
pub(crate) struct Certificates {
    default: Arc<CertifiedKey>,
    exact: HashMap<String, Arc<CertifiedKey>>,
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    challenges: Arc<Challenges>,
}

impl Certificates {
    fn compile(spec: &EdgeSpec, provider: &CryptoProvider, challenges: Arc<Challenges>) -> Result<Certificates, Error> {
        let load = |what: &str, identity: &Identity| certified(what, identity, provider);
        let mut certificates =
            Certificates { default: load("the default certificate", &spec.default)?, exact: HashMap::new(), wildcard: HashMap::new(), challenges };
        for domain in &spec.domains {
            let name = domain.hostname.trim_end_matches('.').to_ascii_lowercase();
            let certified = load(&name, &domain.identity)?;
            match name.strip_prefix("*.") {
                Some(parent) => certificates.wildcard.insert(parent.to_string(), certified),
                None => certificates.exact.insert(name, certified),
            };
        }
        Ok(certificates)
    }

    pub(crate) fn find(&self, server_name: Option<&str>) -> Arc<CertifiedKey> {
        let Some(name) = server_name else { return self.default.clone() };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(found) = self.exact.get(&name) {
            return found.clone();
        }
        let parent = name.split_once('.').filter(|(label, _)| !label.is_empty()).map(|(_, parent)| parent);
        parent.and_then(|p| self.wildcard.get(p)).unwrap_or(&self.default).clone()
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // An ACME server validating a challenge gets the challenge's answer or nothing, never a
        // certificate meant for callers.
        if hello.alpn().is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN)) {
            return self.challenges.get(hello.server_name());
        }
        Some(self.find(hello.server_name()))
    }
}

/// A listener's two TLS configurations: one that asks callers for a client certificate
/// (without requiring one), used while some live route accepts certificates, and one that
/// does not ask, so an environment whose proxies use none never prompts a caller for one.
pub struct ListenerTls {
    pub plain: Arc<ServerConfig>,
    pub asking: Arc<ServerConfig>,
    /// The first domain that is not a wildcard, for invoke URLs.
    pub(crate) domain: Option<String>,
    /// The ACME challenges answered (the same for every compile of one listener).
    pub(crate) challenges: Arc<Challenges>,
}

/// Compiles what a listener presents. Nothing is swapped here: an error leaves the caller's
/// current configuration serving.
pub fn compile(spec: &EdgeSpec, challenges: Arc<Challenges>) -> Result<ListenerTls, Error> {
    let provider = provider_for(&spec.tls).map_err(|e| Error::invalid("tls.cipher_suites", e))?;
    let certificates = Arc::new(Certificates::compile(spec, &provider, challenges.clone())?);
    let builder = || {
        ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions(spec.tls.min_version))
            .map_err(|e| Error::invalid("tls", format!("these TLS settings leave nothing to negotiate: {e}")))
    };
    let mut plain = builder()?.with_no_client_auth().with_cert_resolver(certificates.clone());
    let mut asking = builder()?.with_client_cert_verifier(crate::consumers::OfferClientAuth::new()).with_cert_resolver(certificates);
    for config in [&mut plain, &mut asking] {
        // acme-tls/1 last: rustls picks its own first protocol the client offers, so only an
        // ACME server (which offers nothing else) ever gets it.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec(), ACME_TLS_ALPN.to_vec()];
    }
    let domain = spec.domains.iter().map(|d| d.hostname.to_ascii_lowercase()).find(|h| !h.starts_with("*."));
    Ok(ListenerTls { plain: Arc::new(plain), asking: Arc::new(asking), domain, challenges })
}

#[cfg(test)]
mod tests {
    use super::*;
    use testkit::pki as test_pki;

    fn identity(cert: &test_pki::TestCert) -> Identity {
        Identity { chain: vec![cert.cert_der()], key: cert.key_der() }
    }

    #[test]
    fn names_choose_their_certificate_and_anything_else_gets_the_default() {
        let ca = test_pki::ca("Edge CA");
        let (default, api, wild) =
            (test_pki::server_leaf(&ca, "default.test"), test_pki::server_leaf(&ca, "api.example.test"), test_pki::server_leaf(&ca, "*.apps.test"));
        let spec = EdgeSpec {
            default: identity(&default),
            domains: vec![
                DomainSpec { hostname: "api.example.test".into(), identity: identity(&api) },
                DomainSpec { hostname: "*.apps.test".into(), identity: identity(&wild) },
            ],
            tls: TlsSettings::default(),
        };
        let certificates = Certificates::compile(&spec, &crate::upstream::provider(), Arc::default()).unwrap();
        let served = |name: Option<&str>| certificates.find(name).cert[0].as_ref().to_vec();
        assert_eq!(served(Some("api.example.test")), api.der());
        assert_eq!(served(Some("API.Example.Test.")), api.der());
        assert_eq!(served(Some("one.apps.test")), wild.der());
        assert_eq!(served(Some("a.b.apps.test")), default.der(), "a wildcard covers one label only");
        assert_eq!(served(Some("apps.test")), default.der());
        assert_eq!(served(Some("other.test")), default.der());
        assert_eq!(served(None), default.der());
        assert_eq!(compile(&spec, Arc::default()).unwrap().domain.as_deref(), Some("api.example.test"));
        // A challenge is answered for its name only, and only while set.
        let challenges = Challenges::default();
        let answer = certified("a challenge", &identity(&api), &crate::upstream::provider()).unwrap();
        challenges.set("API.example.test", Some(answer));
        assert!(challenges.get(Some("api.example.test")).is_some());
        assert!(challenges.get(Some("other.test")).is_none() && challenges.get(None).is_none());
        challenges.set("api.example.test", None);
        assert!(challenges.get(Some("api.example.test")).is_none());
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let ca = test_pki::ca("Edge CA");
        let (one, two) = (test_pki::server_leaf(&ca, "one.test"), test_pki::server_leaf(&ca, "two.test"));
        let mut mixed = identity(&one);
        mixed.key = identity(&two).key;
        let spec =
            EdgeSpec { default: identity(&one), domains: vec![DomainSpec { hostname: "one.test".into(), identity: mixed }], tls: TlsSettings::default() };
        let err = compile(&spec, Arc::default()).err().unwrap();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn suites_are_checked_by_name_and_tls13_is_always_offered() {
        let names = tls12_suite_names();
        assert!(names.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), "{names:?}");
        let err = check_suites(&["TLS_RSA_WITH_RC4_128_SHA".into()]).unwrap_err();
        assert!(err.contains("TLS_RSA_WITH_RC4_128_SHA") && err.contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), "{err}");
        let settings = TlsSettings { min_version: TlsVersion::V1_2, cipher_suites: vec!["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".into()] };
        let provider = provider_for(&settings).unwrap();
        let tls12: Vec<_> = provider.cipher_suites.iter().filter(|s| s.tls13().is_none()).filter_map(|s| s.suite().as_str()).collect();
        assert_eq!(tls12, ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]);
        assert!(provider.cipher_suites.iter().any(|s| s.tls13().is_some()));
        assert_eq!(TlsVersion::parse("1.3"), Some(TlsVersion::V1_3));
        assert_eq!(TlsVersion::parse("1.1"), None);
    }
}
