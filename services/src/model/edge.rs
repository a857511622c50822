//! Edge TLS as the console and the REST API see it: an environment's custom domains and its
//! listener's TLS settings. Never a private key.
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A hostname an environment's gateway answers on, with the certificate it serves for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Domain {
    /// Lowercase; `*.example.com` for a wildcard.
    pub hostname: String,
    /// The environment's slug.
    pub environment: String,
    /// "uploaded" or "acme".
    pub source: String,
    /// The leaf's issuer, such as "CN=R11, O=Let's Encrypt, C=US".
    pub issuer: String,
    /// Certificates served: the leaf and its intermediates.
    pub chain_length: usize,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[cfg_attr(feature = "backend", schema(value_type = Option<String>, format = DateTime))]
    pub not_after: Option<OffsetDateTime>,
    /// Whole days until `not_after`, negative once expired.
    pub days_left: Option<i64>,
    /// SHA-256 over the leaf's DER, hex bytes separated by colons.
    pub fingerprint_sha256: String,
    /// Where callers reach the gateway by this name ("https://api.example.com:8443"); `None` for
    /// a wildcard or when this process runs no listener for the environment.
    #[serde(default)]
    pub invoke_url: Option<String>,
    /// For a certificate from an ACME server: where from, and how the last order went.
    #[serde(default)]
    pub acme: Option<AcmeStatus>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// Let's Encrypt's production directory, the default ACME server.
pub const LETS_ENCRYPT_DIRECTORY: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// A domain's ACME certificate: its directory and the state of the last order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct AcmeStatus {
    pub directory_url: String,
    /// "pending" (ordering or renewing), "issued" or "failed".
    pub state: String,
    /// What happened: the issuer and the renewal date, or the ACME server's reason.
    pub detail: String,
}

/// `POST …/environments/{environment}/domains`: a hostname with either its certificate chain
/// (leaf first, intermediates after; PEM) and private key, or `acme` to have an ACME server
/// issue it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct NewDomain {
    pub hostname: String,
    #[serde(default)]
    pub certificate_pem: String,
    #[serde(default)]
    pub private_key_pem: String,
    #[serde(default)]
    pub acme: Option<AcmeRequest>,
}

/// Where to get the certificate: Let's Encrypt unless `directory_url` names another ACME
/// server; `contact_email` is given to it for expiry notices.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct AcmeRequest {
    #[serde(default)]
    pub directory_url: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
}

/// What adding a domain did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct DomainAdded {
    pub domain: Domain,
    /// Whether it replaced the certificate of a domain with that hostname (a renewal).
    pub replaced: bool,
    /// What was changed on the way, such as a chain put in order.
    pub notes: Vec<String>,
}

/// An environment listener's TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ListenerTlsSettings {
    /// "1.2" or "1.3".
    pub min_version: String,
    /// The TLS 1.2 cipher suites allowed, by IANA name; empty for every suite Gatehouse offers.
    /// TLS 1.3 suites are always offered.
    #[serde(default)]
    pub cipher_suites: Vec<String>,
}

impl Default for ListenerTlsSettings {
    fn default() -> Self {
        ListenerTlsSettings { min_version: "1.2".into(), cipher_suites: Vec::new() }
    }
}
