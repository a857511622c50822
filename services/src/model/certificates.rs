//! The certificate store's data as the console and the REST API see it. Never a private key:
//! only whether one is held.
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The largest certificate or private key accepted, per field.
pub const MAX_UPLOAD_KIB: usize = 256;

/// How many days ahead of expiry a certificate is flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CertificateKind {
    /// A backend's server certificate, or the CA that issued it: trusted when calling the backend.
    Endpoint,
    /// A certificate with its private key, presented to the backend for mutual TLS.
    Client,
    /// A CA whose client certificates API consumers present to the gateway: a subscription
    /// bound to it is called by any certificate it issued.
    #[serde(rename = "client-ca")]
    ClientCa,
}

impl CertificateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::Endpoint => "endpoint",
            CertificateKind::Client => "client",
            CertificateKind::ClientCa => "client-ca",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [CertificateKind::Endpoint, CertificateKind::Client, CertificateKind::ClientCa].into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            CertificateKind::Endpoint => "Endpoint certificate",
            CertificateKind::Client => "Client key pair",
            CertificateKind::ClientCa => "Trusted client CA",
        }
    }
}

/// Key algorithms offered when generating a client key pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum KeyAlgorithm {
    #[default]
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa2048,
    Rsa3072,
    Rsa4096,
}

impl KeyAlgorithm {
    pub const ALL: [KeyAlgorithm; 6] =
        [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384, KeyAlgorithm::Ed25519, KeyAlgorithm::Rsa2048, KeyAlgorithm::Rsa3072, KeyAlgorithm::Rsa4096];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa2048 => "rsa-2048",
            KeyAlgorithm::Rsa3072 => "rsa-3072",
            KeyAlgorithm::Rsa4096 => "rsa-4096",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256 (recommended)",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa2048 => "RSA 2048",
            KeyAlgorithm::Rsa3072 => "RSA 3072",
            KeyAlgorithm::Rsa4096 => "RSA 4096 (takes a few seconds)",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        KeyAlgorithm::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What "Generate new key pair" asks for; everything but the common name is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct GenerateKeyPair {
    pub common_name: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub organizational_unit: Option<String>,
    /// Two-letter country code, such as "SE".
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
    /// Defaults to 365.
    #[serde(default)]
    pub validity_days: Option<u32>,
    #[serde(default)]
    pub key_algorithm: KeyAlgorithm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Certificate {
    pub id: i32,
    pub kind: CertificateKind,
    /// The common name, or the whole subject when there is none.
    pub name: String,
    pub subject: String,
    pub issuer: String,
    pub subject_alt_names: Vec<String>,
    /// Hex bytes separated by colons.
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub not_after: OffsetDateTime,
    /// Whole days until `not_after`, negative once expired (as of the moment it was read).
    pub days_left: i64,
    /// Such as "ECDSA P-256" or "RSA 2048".
    pub key_type: String,
    pub is_ca: bool,
    pub self_signed: bool,
    /// SHA-256 over the DER, hex bytes separated by colons.
    pub fingerprint_sha256: String,
    /// Certificates after the first in the stored chain (intermediates uploaded with it).
    pub chain_length: u32,
    pub has_private_key: bool,
    /// "generated" or "uploaded".
    pub source: String,
    /// Where it is used ("Weather API · Production endpoint"); empty when unused.
    pub used_by: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryStatus {
    Valid,
    ExpiringSoon,
    Expired,
}

impl ExpiryStatus {
    /// A certificate's status with `days_left` whole days to go (negative once expired).
    pub fn of(days_left: i64) -> ExpiryStatus {
        if days_left < 0 {
            ExpiryStatus::Expired
        } else if days_left <= EXPIRY_WARNING_DAYS {
            ExpiryStatus::ExpiringSoon
        } else {
            ExpiryStatus::Valid
        }
    }
}

impl Certificate {
    pub fn expiry_status(&self) -> ExpiryStatus {
        ExpiryStatus::of(self.days_left)
    }

    /// "weather-client.pem": the download's file name, from the common name.
    pub fn pem_file_name(&self) -> String {
        let mut stem: String = self.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '-' }).collect();
        stem = stem.trim_matches(|c| c == '-' || c == '.').to_string();
        if stem.is_empty() {
            stem = format!("certificate-{}", self.id);
        }
        format!("{stem}.pem")
    }
}

/// The public part of an entry, ready to download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificatePem {
    pub file_name: String,
    /// The certificate followed by its chain, PEM.
    pub pem: String,
}
