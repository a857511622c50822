//! What a deploy hands the gateway: plain data, decided and decrypted by the services before it
//! gets here. Nothing in it is read from a database.
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What the gateway compiles for one live proxy.
pub struct RouteSpec {
    pub proxy_id: i32,
    /// For logs and errors: "Weather API v1".
    pub name: String,
    pub context_path: String,
    pub upstream: UpstreamSettings,
    /// Who may call it: anyone, or subscribers with a key.
    pub access: crate::consumers::AccessSpec,
    /// What to do with its requests and answers besides forwarding them, in order.
    pub policies: Vec<crate::policies::PolicySpec>,
    pub lifecycle: crate::policies::LifecycleSpec,
}

/// The client certificate the gateway presents to the backend (Mutual SSL on), key unsealed.
pub struct ClientIdentity {
    pub name: String,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl std::fmt::Debug for ClientIdentity {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity").field("name", &self.name).field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

/// One endpoint configuration as the upstream needs it: the URL, the trusted certificates as
/// DER, the client identity unsealed.
#[derive(Debug)]
pub struct UpstreamSettings {
    pub url: String,
    /// Each trusted endpoint certificate's name and its certificates.
    pub trusted: Vec<(String, Vec<CertificateDer<'static>>)>,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    /// Presented only when Mutual SSL is on.
    pub client: Option<ClientIdentity>,
    pub connect_timeout_ms: u32,
    pub read_timeout_ms: u32,
    /// Versions, suites and pinned keys.
    pub tls: UpstreamTls,
    /// Where the environment lets its backends be (the same `Arc` for all its routes).
    pub destinations: std::sync::Arc<super::destinations::Destinations>,
}

/// TLS to the backend beyond whom to trust: the versions and TLS 1.2 suites offered, and the
/// keys pinned. Pins hold in addition to chain verification when it is on, and instead of it
/// when it is off (then the key is what is trusted, whatever the certificate's dates or issuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTls {
    pub min_version: crate::edge::TlsVersion,
    pub max_version: crate::edge::TlsVersion,
    /// TLS 1.2 suites by IANA name; empty for every suite Gatehouse offers.
    pub cipher_suites: Vec<String>,
    /// `sha256/<base64>` pins of the backend's SubjectPublicKeyInfo; empty for none.
    pub pins: Vec<String>,
}

impl Default for UpstreamTls {
    fn default() -> Self {
        UpstreamTls { min_version: crate::edge::TlsVersion::V1_2, max_version: crate::edge::TlsVersion::V1_3, cipher_suites: Vec::new(), pins: Vec::new() }
    }
}
