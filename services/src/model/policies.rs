//! A proxy's policies and lifecycle as the console and the REST API see them.
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The most policies one proxy may list.
pub const MAX_POLICIES: usize = 50;

/// One policy; `kind` names it (`{"kind": "set_request_header", "name": …, "value": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Policy {
    SetRequestHeader {
        name: String,
        value: String,
    },
    RemoveRequestHeader {
        name: String,
    },
    SetResponseHeader {
        name: String,
        value: String,
    },
    RemoveResponseHeader {
        name: String,
    },
    /// Server, X-Powered-By, X-AspNet-Version and X-AspNetMvc-Version leave answers.
    RemoveFingerprintingHeaders,
    /// The backend's origin and base path become the gateway's public URL in Location,
    /// Content-Location, Link and text bodies.
    MaskBackendUrls,
    /// 403 `ip_forbidden` for callers outside `allow` (when not empty) or inside `deny`.
    IpFilter {
        #[serde(default)]
        allow: Vec<String>,
        #[serde(default)]
        deny: Vec<String>,
    },
    /// The gateway answers preflights and adds the headers to answers.
    Cors {
        #[serde(default)]
        allow_origins: Vec<String>,
        #[serde(default)]
        allow_methods: Vec<String>,
        #[serde(default)]
        allow_headers: Vec<String>,
        #[serde(default)]
        max_age: Option<u32>,
    },
}

impl Policy {
    /// Every kind, in the order the console offers them.
    pub const KINDS: [&'static str; 8] = [
        "set_request_header",
        "remove_request_header",
        "set_response_header",
        "remove_response_header",
        "remove_fingerprinting_headers",
        "mask_backend_urls",
        "ip_filter",
        "cors",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            Policy::SetRequestHeader { .. } => "set_request_header",
            Policy::RemoveRequestHeader { .. } => "remove_request_header",
            Policy::SetResponseHeader { .. } => "set_response_header",
            Policy::RemoveResponseHeader { .. } => "remove_response_header",
            Policy::RemoveFingerprintingHeaders => "remove_fingerprinting_headers",
            Policy::MaskBackendUrls => "mask_backend_urls",
            Policy::IpFilter { .. } => "ip_filter",
            Policy::Cors { .. } => "cors",
        }
    }

    pub fn label(kind: &str) -> &'static str {
        match kind {
            "set_request_header" => "Set request header",
            "remove_request_header" => "Remove request header",
            "set_response_header" => "Set response header",
            "remove_response_header" => "Remove response header",
            "remove_fingerprinting_headers" => "Remove fingerprinting headers",
            "mask_backend_urls" => "Mask backend URLs",
            "ip_filter" => "IP filter",
            "cors" => "CORS",
            _ => "Policy",
        }
    }

    /// One line for lists and "what would change": "Set request header X-Env: prod".
    pub fn describe(&self) -> String {
        let label = Policy::label(self.kind());
        match self {
            Policy::SetRequestHeader { name, value } | Policy::SetResponseHeader { name, value } => format!("{label} {name}: {value}"),
            Policy::RemoveRequestHeader { name } | Policy::RemoveResponseHeader { name } => format!("{label} {name}"),
            Policy::RemoveFingerprintingHeaders => format!("{label} (Server, X-Powered-By, X-AspNet-Version, X-AspNetMvc-Version)"),
            Policy::MaskBackendUrls => label.to_string(),
            Policy::IpFilter { allow, deny } => {
                let list = |l: &Vec<String>| if l.is_empty() { "none".to_string() } else { l.join(", ") };
                format!("{label}: allow {}; deny {}", list(allow), list(deny))
            }
            Policy::Cors { allow_origins, allow_methods, allow_headers, max_age } => {
                let or_any = |l: &Vec<String>, any: &str| if l.is_empty() { any.to_string() } else { l.join(", ") };
                let mut text = format!("{label}: origins {}; methods {}", or_any(allow_origins, "*"), or_any(allow_methods, "GET, POST, PUT, PATCH, DELETE"));
                if !allow_headers.is_empty() {
                    text.push_str(&format!("; headers {}", allow_headers.join(", ")));
                }
                if let Some(age) = max_age {
                    text.push_str(&format!("; max age {age} s"));
                }
                text
            }
        }
    }
}

/// `GET|PUT …/proxies/{proxy}/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct PolicyList {
    pub policies: Vec<Policy>,
}

/// Where a proxy is in its life (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    #[default]
    Created,
    Published,
    /// Answers carry `Deprecation` (and `Sunset` when a date is set).
    Deprecated,
    /// 410 `api_retired`.
    Retired,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [Lifecycle::Created, Lifecycle::Published, Lifecycle::Deprecated, Lifecycle::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Created => "created",
            Lifecycle::Published => "published",
            Lifecycle::Deprecated => "deprecated",
            Lifecycle::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// `PATCH …/proxies/{proxy}` `{lifecycle, sunset?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct LifecycleChange {
    pub lifecycle: Lifecycle,
    /// When a deprecated API goes away (RFC 8594 `Sunset`), a date (UTC) or RFC 3339 time.
    #[serde(default)]
    pub sunset: Option<String>,
}

/// A proxy's lifecycle as shown.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct LifecycleState {
    pub lifecycle: Lifecycle,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "backend", schema(value_type = Option<String>, format = DateTime))]
    pub deprecated_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "backend", schema(value_type = Option<String>, format = DateTime))]
    pub sunset: Option<OffsetDateTime>,
}
