//! How the gateway reaches a backend. One endpoint configuration (`UpstreamSettings`, plain
//! data from a deploy) is compiled into an immutable `Upstream`, whose rustls `ClientConfig` is
//! built here, once, never per request or connection; `classify` maps whatever a call ends in to
//! the gateway's error kinds, each with its fix; and `probe` makes a real connection with a
//! compiled upstream ("Check connection", and the gateway's own second look); `destinations`
//! keeps both away from link-local and cloud-metadata addresses.
mod classify;
pub mod destinations;
pub mod pins;
pub mod pool;
mod probe;
mod settings;
mod verifier;

pub use classify::{classify, Context, UpstreamError};
pub use probe::{check_connection, diagnose, ConnectionReport};
pub use settings::{ClientIdentity, RouteSpec, UpstreamSettings, UpstreamTls};

use crate::errors::Error;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;
use std::time::Duration;

type Result<T, E = Error> = std::result::Result<T, E>;

/// A backend, ready to call: everything decided when the snapshot was compiled.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// The URL's path without a trailing slash ("" for the root); the request's path after the
    /// proxy's context path is appended to it.
    pub base_path: String,
    /// `None` for http.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Where this environment's backends may be, checked on every address the host resolves to.
    pub destinations: Arc<destinations::Destinations>,
    /// For error messages.
    pub context: Context,
}

impl Upstream {
    /// "host:port", bracketed for IPv6, as a Host header or an authority.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let default = if self.https { 443 } else { 80 };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// The crypto provider every upstream connection uses (aws-lc-rs, as for the rest of Gatehouse):
/// one, shared by every route, rather than a copy per compiled route.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: std::sync::LazyLock<Arc<rustls::crypto::CryptoProvider>> =
        std::sync::LazyLock::new(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    PROVIDER.clone()
}

/// Builds the upstream, its TLS client configuration included. Chain verification turned off
/// is logged loudly here, once per compile, so it cannot go unnoticed in the server log.
pub fn compile(settings: &UpstreamSettings) -> Result<Upstream> {
    let url = url::Url::parse(&settings.url).map_err(|e| Error::invalid("url", format!("the backend URL is not valid: {e}")))?;
    let https = url.scheme() == "https";
    let host = match url.host() {
        Some(url::Host::Ipv6(addr)) => addr.to_string(),
        Some(host) => host.to_string(),
        None => return Err(Error::invalid("url", "the backend URL has no host")),
    };
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(reason) = literal.and_then(|ip| settings.destinations.refused(ip)) {
        return Err(Error::invalid("url", format!("the backend URL's address {host} is {reason}: the gateway does not call such addresses")));
    }
    let port = url.port_or_known_default().unwrap_or(if https { 443 } else { 80 });
    let base_path = url.path().trim_end_matches('/').to_string();
    let context = Context {
        host: host.clone(),
        port,
        trusted: settings.trusted.iter().map(|(name, _)| name.clone()).collect(),
        client_certificate: settings.client.as_ref().map(|c| c.name.clone()),
        connect_timeout_ms: settings.connect_timeout_ms,
        read_timeout_ms: settings.read_timeout_ms,
        pins: settings.tls.pins.iter().map(|p| p.trim().to_string()).collect(),
        versions: match (settings.tls.min_version, settings.tls.max_version) {
            (min, max) if min == max => format!("TLS {} only", min.as_str()),
            (min, max) => format!("TLS {} to {}", min.as_str(), max.as_str()),
        },
        restricted: !settings.tls.cipher_suites.is_empty()
            || (settings.tls.min_version, settings.tls.max_version) != (crate::edge::TlsVersion::V1_2, crate::edge::TlsVersion::V1_3),
    };
    let tls = if https { Some(client_config(settings, &context)?) } else { None };
    Ok(Upstream {
        https,
        host,
        port,
        base_path,
        tls,
        connect_timeout: Duration::from_millis(u64::from(settings.connect_timeout_ms)),
        read_timeout: Duration::from_millis(u64::from(settings.read_timeout_ms)),
        destinations: settings.destinations.clone(),
        context,
    })
}

/// Compiled client configurations by what they are made of (see `config_key`). Routes with the
/// same trusted certificates, client key pair and verification share one configuration: its
/// verifier, its parsed key and its session cache. Thousands of proxies behind one backend CA
/// with one key pair then cost one configuration instead of one each. Entries are weak: a
/// configuration goes when its last route does.
static SHARED_CONFIGS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<[u8; 32], std::sync::Weak<rustls::ClientConfig>>>> =
    std::sync::LazyLock::new(Default::default);

/// A digest of everything a client configuration is built from (the key included: two pairs
/// with the same certificate never share).
fn config_key(settings: &UpstreamSettings) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    part(&[u8::from(settings.verify_hostname), u8::from(settings.verify_chain)]);
    let tls = &settings.tls;
    part(&[tls.min_version as u8, tls.max_version as u8]);
    tls.cipher_suites.iter().for_each(|s| part(s.trim().as_bytes()));
    part(b"end of suites");
    tls.pins.iter().for_each(|p| part(p.trim().as_bytes()));
    part(b"end of pins");
    for (_, chain) in &settings.trusted {
        chain.iter().for_each(|c| part(c));
        part(b"end of endpoint certificate");
    }
    if let Some(identity) = &settings.client {
        identity.chain.iter().for_each(|c| part(c));
        part(identity.key.secret_der());
    }
    hash.finalize().into()
}

fn client_config(settings: &UpstreamSettings, context: &Context) -> Result<Arc<rustls::ClientConfig>> {
    if !settings.verify_chain && !settings.tls.pins.is_empty() {
        tracing::warn!(
            backend = %format!("{}:{}", context.host, context.port),
            "certificate chain verification is off for this endpoint: its pinned keys are trusted instead"
        );
    } else if !settings.verify_chain {
        tracing::warn!(
            backend = %format!("{}:{}", context.host, context.port),
            "CERTIFICATE CHAIN VERIFICATION IS OFF for this endpoint: any certificate the backend presents is accepted"
        );
    }
    let key = config_key(settings);
    let mut shared = SHARED_CONFIGS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(config) = shared.get(&key).and_then(std::sync::Weak::upgrade) {
        return Ok(config);
    }
    let config = build_client_config(settings)?;
    shared.retain(|_, config| config.strong_count() > 0);
    shared.insert(key, Arc::downgrade(&config));
    Ok(config)
}

fn build_client_config(settings: &UpstreamSettings) -> Result<Arc<rustls::ClientConfig>> {
    let tls = &settings.tls;
    let provider = crate::edge::provider_for(&crate::edge::TlsSettings { min_version: tls.min_version, cipher_suites: tls.cipher_suites.clone() })
        .map_err(|e| Error::invalid("tls.cipher_suites", e))?;
    let pins = pins::parse_all(&tls.pins).map_err(|e| Error::invalid("pins", e))?;
    let trusted: Vec<CertificateDer<'static>> = settings.trusted.iter().flat_map(|(_, chain)| chain.iter().cloned()).collect();
    let verifier = verifier::EndpointVerifier::new(provider.clone(), trusted, settings.verify_hostname, settings.verify_chain, pins)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions(tls.min_version, tls.max_version)?)
        .map_err(|e| Error::invalid("tls.cipher_suites", format!("these TLS settings leave nothing to connect with: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match &settings.client {
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|e| Error::invalid("client_certificate_id", format!("the client certificate \"{}\" cannot be used for TLS: {e}", identity.name)))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Room for 8 servers (a shared configuration may serve routes to several backends).
    // rustls' default sizes for 32 up front: about 17 KB.
    config.resumption = rustls::client::Resumption::store(Arc::new(rustls::client::ClientSessionMemoryCache::new(64)));
    Ok(Arc::new(config))
}

/// The versions from `min` to `max`, refused when `min` is above `max`.
fn versions(min: crate::edge::TlsVersion, max: crate::edge::TlsVersion) -> Result<&'static [&'static rustls::SupportedProtocolVersion]> {
    use crate::edge::TlsVersion::{V1_2, V1_3};
    static TLS12: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    static TLS13: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match (min, max) {
        (V1_2, V1_3) => Ok(rustls::DEFAULT_VERSIONS),
        (V1_2, V1_2) => Ok(&TLS12),
        (V1_3, V1_3) => Ok(&TLS13),
        (V1_3, V1_2) => Err(Error::invalid("tls.max_version", "the maximum TLS version is below the minimum: choose a maximum of 1.3, or a minimum of 1.2")),
    }
}

#[cfg(test)]
mod tests;
