//! API proxies, their endpoint configuration per environment, and the activity log, as the
//! console and the REST API see them.
use super::{Certificate, Environment};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
pub const DEFAULT_READ_TIMEOUT_MS: u32 = 30_000;
pub const MAX_CONNECT_TIMEOUT_MS: u32 = 60_000;
pub const MAX_READ_TIMEOUT_MS: u32 = 300_000;
pub const MIN_TIMEOUT_MS: u32 = 100;
/// The largest OpenAPI contract accepted.
pub const MAX_CONTRACT_KIB: usize = 1024;

/// One operation of the proxy's OpenAPI contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Operation {
    /// Upper case, such as "GET".
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub operation_id: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// Where a proxy stands in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeploymentState {
    NotDeployed,
    Deployed { revision: u32 },
    Failed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EnvironmentStatus {
    pub environment: String,
    pub environment_name: String,
    #[serde(flatten)]
    pub state: DeploymentState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Proxy {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub version: String,
    /// Such as "/weather/v1": the gateway routes requests under it to this proxy.
    pub context_path: String,
    pub description: String,
    pub has_contract: bool,
    pub operations: Vec<Operation>,
    /// Who may call it (changes at the next deploy).
    pub access: super::Access,
    /// What the gateway does with its requests and answers, in order (changes at the next deploy).
    #[serde(default)]
    pub policies: Vec<super::Policy>,
    /// Created, published, deprecated or retired (holds at once).
    #[serde(default)]
    pub lifecycle: super::LifecycleState,
    /// One per environment, in promotion order.
    pub environments: Vec<EnvironmentStatus>,
    /// Things a publisher should look at: certificates expiring or expired, verification off.
    pub warnings: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// What creating a proxy asks for.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct NewProxy {
    pub name: String,
    /// Derived from the name when empty or missing.
    #[serde(default)]
    pub slug: String,
    pub version: String,
    pub context_path: String,
    #[serde(default)]
    pub description: String,
    /// The backend every environment starts with (http:// or https://); change it per environment on the Endpoints page.
    pub backend_url: String,
    /// An OpenAPI 3 document, YAML or JSON.
    #[serde(default)]
    pub contract: Option<String>,
    /// Open when not given.
    #[serde(default)]
    pub access: Option<super::Access>,
}

/// A partial update: only the fields given change. `contract: ""` removes the contract.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ProxyChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub context_path: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub contract: Option<String>,
    #[serde(default)]
    pub access: Option<super::Access>,
    /// Holds at once (the others at the next deploy): `deprecated` answers carry `Deprecation`
    /// (and `Sunset` from `sunset`), `retired` ones are 410 `api_retired`.
    #[serde(default)]
    pub lifecycle: Option<super::Lifecycle>,
    /// With `deprecated`: the date (UTC) or RFC 3339 time the API goes away.
    #[serde(default)]
    pub sunset: Option<String>,
}

/// What the Endpoints card saves for one environment (the REST PUT body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EndpointSettings {
    pub url: String,
    /// Trusted when calling the backend over https; none means the public roots.
    #[serde(default)]
    pub endpoint_certificate_ids: Vec<i32>,
    #[serde(default = "yes")]
    pub verify_hostname: bool,
    #[serde(default = "yes")]
    pub verify_chain: bool,
    #[serde(default)]
    pub mutual_ssl: bool,
    /// The client key pair presented to the backend when Mutual SSL is on.
    #[serde(default)]
    pub client_certificate_id: Option<i32>,
    #[serde(default = "default_connect")]
    pub connect_timeout_ms: u32,
    #[serde(default = "default_read")]
    pub read_timeout_ms: u32,
    /// Save even though no endpoint certificate names the URL's host (otherwise refused).
    #[serde(default)]
    pub accept_host_mismatch: bool,
    /// The TLS versions and TLS 1.2 suites offered to the backend.
    #[serde(default)]
    pub tls: EndpointTls,
    /// The backend's keys, `sha256/<base64 of the SHA-256 of its SubjectPublicKeyInfo>`: one of
    /// them must be presented, on every new connection. In addition to chain verification, or
    /// instead of it when that is off. Several, so a backend can rotate its key.
    #[serde(default)]
    pub pins: Vec<String>,
}

/// The TLS versions and suites the gateway offers a backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EndpointTls {
    /// "1.2" or "1.3".
    #[serde(default = "tls12")]
    pub min_version: String,
    /// "1.2" or "1.3".
    #[serde(default = "tls13")]
    pub max_version: String,
    /// The TLS 1.2 cipher suites offered, by IANA name; empty for every suite Gatehouse offers.
    /// TLS 1.3 suites are always offered.
    #[serde(default)]
    pub cipher_suites: Vec<String>,
}

impl Default for EndpointTls {
    fn default() -> Self {
        EndpointTls { min_version: tls12(), max_version: tls13(), cipher_suites: Vec::new() }
    }
}

fn tls12() -> String {
    "1.2".into()
}
fn tls13() -> String {
    "1.3".into()
}

fn yes() -> bool {
    true
}
fn default_connect() -> u32 {
    DEFAULT_CONNECT_TIMEOUT_MS
}
fn default_read() -> u32 {
    DEFAULT_READ_TIMEOUT_MS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    Info,
    Warning,
}

/// A remark on an endpoint configuration that the card shows for as long as it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
}

/// One environment's endpoint configuration, as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EndpointConfig {
    pub environment: Environment,
    pub url: String,
    pub endpoint_certificate_ids: Vec<i32>,
    /// The trusted endpoint certificates, described.
    pub endpoint_certificates: Vec<Certificate>,
    pub verify_hostname: bool,
    pub verify_chain: bool,
    pub mutual_ssl: bool,
    pub client_certificate_id: Option<i32>,
    pub connect_timeout_ms: u32,
    pub read_timeout_ms: u32,
    pub host_mismatch_accepted: bool,
    pub tls: EndpointTls,
    pub pins: Vec<String>,
    pub notices: Vec<Notice>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

impl EndpointConfig {
    pub fn settings(&self) -> EndpointSettings {
        EndpointSettings {
            url: self.url.clone(),
            endpoint_certificate_ids: self.endpoint_certificate_ids.clone(),
            verify_hostname: self.verify_hostname,
            verify_chain: self.verify_chain,
            mutual_ssl: self.mutual_ssl,
            client_certificate_id: self.client_certificate_id,
            connect_timeout_ms: self.connect_timeout_ms,
            read_timeout_ms: self.read_timeout_ms,
            accept_host_mismatch: self.host_mismatch_accepted,
            tls: self.tls.clone(),
            pins: self.pins.clone(),
        }
    }
}

/// One entry of the activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Activity {
    pub id: i32,
    /// The proxy's name, when the entry is about a proxy that still exists.
    pub proxy: Option<String>,
    pub actor: String,
    /// Stable, such as "proxy.created" or "endpoint.saved".
    pub action: String,
    pub summary: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// What a deployment did.
/// Stored as its text (`deployments.action`), through sea-orm's active enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "backend", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "snake_case")]
pub enum DeploymentAction {
    /// A revision made live (a deploy, redeploy or promote).
    #[cfg_attr(feature = "backend", sea_orm(string_value = "deploy"))]
    Deploy,
    /// The proxy taken out of the environment's gateway.
    #[cfg_attr(feature = "backend", sea_orm(string_value = "undeploy"))]
    Undeploy,
}

/// How a deployment ended.
/// Stored as its text (`deployments.outcome`), through sea-orm's active enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "backend", sea_orm(rs_type = "String", db_type = "Text"))]
#[serde(rename_all = "snake_case")]
pub enum DeploymentOutcome {
    /// Recorded, not yet swapped into the gateway (or the server stopped in between: the next
    /// start marks it failed, and what was live before stays live).
    #[cfg_attr(feature = "backend", sea_orm(string_value = "pending"))]
    Pending,
    /// It took effect.
    #[cfg_attr(feature = "backend", sea_orm(string_value = "live"))]
    Live,
    /// The gateway refused it, or it never finished; what was live stays live.
    #[cfg_attr(feature = "backend", sea_orm(string_value = "failed"))]
    Failed,
}

impl DeploymentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentAction::Deploy => "deploy",
            DeploymentAction::Undeploy => "undeploy",
        }
    }
}

impl DeploymentOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentOutcome::Pending => "pending",
            DeploymentOutcome::Live => "live",
            DeploymentOutcome::Failed => "failed",
        }
    }
}

impl std::fmt::Display for DeploymentAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for DeploymentOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One deploy or undeploy, as the Deploy page and the REST API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Deployment {
    pub id: i32,
    pub proxy: String,
    pub environment: String,
    pub environment_name: String,
    /// The revision made live; `None` for an undeploy.
    pub revision: Option<u32>,
    pub action: DeploymentAction,
    pub outcome: DeploymentOutcome,
    pub message: String,
    /// From the call to the gateway serving it.
    pub elapsed_ms: u64,
    pub deployed_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub deployed_at: OffsetDateTime,
    /// For the answer to a deploy or undeploy: how many running gateway nodes serve it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_on: Option<super::LiveOn>,
}

/// One field that differs between what is live and what is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Change {
    pub field: String,
    pub live: String,
    pub saved: String,
}

/// A revision as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct RevisionSummary {
    pub number: u32,
    /// The environment whose endpoint configuration it carries.
    pub environment: String,
    pub url: String,
    /// The client certificate it presents, when Mutual SSL is on.
    pub client_certificate: Option<String>,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// One environment on the Deploy page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EnvironmentDeployment {
    pub environment: super::Environment,
    pub state: DeploymentState,
    /// The live deploy (revision, who, when, how long).
    pub live: Option<Deployment>,
    /// Where consumers call this proxy in this environment.
    pub invoke_url: Option<String>,
    /// The saved endpoint URL, which Configure & Deploy would make live.
    pub saved_url: Option<String>,
    /// What deploying the saved configuration would change, compared with what is live.
    pub changes: Vec<Change>,
    /// Revisions that carry this environment's configuration, newest first (for redeploy).
    pub revisions: Vec<RevisionSummary>,
    /// Deploys and undeploys here, newest first.
    pub history: Vec<Deployment>,
    /// With more than one gateway node and something live: how many running nodes serve this
    /// environment as it is now, and which lag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_on: Option<super::LiveOn>,
}
