//! What "Check connection" reports, in the same words the gateway uses for its errors.
use serde::{Deserialize, Serialize};

/// A certificate the backend presented, as the check shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct PeerCertificate {
    pub subject: String,
    pub issuer: String,
    pub subject_alt_names: Vec<String>,
    /// RFC 3339.
    pub not_after: String,
    pub fingerprint_sha256: String,
    /// The key's pin, `sha256/<base64>`, to copy into the endpoint's pins.
    #[serde(default)]
    pub spki_pin: String,
}

/// The outcome of a real connection to the backend with the saved endpoint configuration.
/// `Default` is a check that has learned nothing yet (not ok, no code, no chain).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ConnectionCheck {
    pub ok: bool,
    /// The gateway's error code when it failed, such as "upstream_tls_unknown_issuer".
    pub code: Option<String>,
    /// What happened, and on failure what to do about it.
    pub message: String,
    /// The backend's certificate chain as presented (https, when the handshake got that far).
    pub chain: Vec<PeerCertificate>,
    /// Such as "TLSv1.3"; empty for http.
    pub tls_version: String,
    /// The HTTP status the backend answered a GET of the URL's path with.
    pub http_status: Option<u16>,
    pub elapsed_ms: u64,
}

/// What the Test page got back from the gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct TestResponse {
    pub url: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Pretty-printed when it is JSON; cut at 1 MiB.
    pub body: String,
    pub elapsed_ms: u64,
    /// The gateway's error code, when it answered with one.
    pub error_code: Option<String>,
    /// What the caller was not told of such an error: where it happened and the fix.
    pub error_detail: Option<String>,
}

/// A recent call through the gateway that failed at the backend, as its publisher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct FailedCall {
    /// The id the caller got (`x-request-id`, and `request_id` in the error).
    pub request_id: String,
    pub environment: String,
    pub method: String,
    pub path: String,
    pub code: String,
    /// The full message, with the fix.
    pub message: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub at: time::OffsetDateTime,
}
