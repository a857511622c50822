//! The data that crosses the wire: returned by services, rendered by the console, serialised by
//! the REST API. No server-only dependencies here: this module is also compiled to wasm.
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

mod certificates;
mod cluster;
mod consumers;
mod edge;
mod error;
mod policies;
mod proxies;
mod upstream;
pub use certificates::*;
pub use cluster::*;
pub use consumers::*;
pub use edge::*;
pub use error::{Error, Result};
pub use policies::*;
pub use proxies::*;
pub use upstream::*;

/// What a member may do in a project. Ordered: an owner can do everything a publisher can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Publisher,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Publisher, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Publisher => "publisher",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Publishers and owners change things; viewers only look.
    pub fn can_edit(self) -> bool {
        self >= Role::Publisher
    }
}

/// The signed-in person, as the console shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i32,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// The caller's role; `None` for an admin who is not a member.
    pub role: Option<Role>,
    pub member_count: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

impl Project {
    /// Admins may change any project; members according to their role.
    pub fn can_edit(&self, caller_is_admin: bool) -> bool {
        caller_is_admin || self.role.is_some_and(Role::can_edit)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: i32,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Environment {
    pub id: i32,
    pub name: String,
    pub slug: String,
    /// Promotion order: revisions move from a lower position to the next higher one.
    pub position: i32,
    /// Where API consumers call this environment's gateway: by its first domain when it has one
    /// ("https://api.example.com:8443"), else by address ("https://127.0.0.1:8443"); `None` when
    /// this process runs no listener for it.
    #[serde(default)]
    pub gateway_url: Option<String>,
    /// The gateway listener's certificate (PEM), for clients that need to trust it.
    #[serde(default)]
    pub gateway_certificate_pem: Option<String>,
    /// Address ranges this environment's backends must be in ("10.0.0.0/8"); empty: anywhere
    /// but link-local and cloud-metadata addresses.
    #[serde(default)]
    pub allowed_destinations: Vec<String>,
    /// Address ranges its backends may never be in.
    #[serde(default)]
    pub denied_destinations: Vec<String>,
    /// The listener's TLS settings.
    #[serde(default)]
    pub tls: ListenerTlsSettings,
    /// Hostnames the listener serves with their own certificates, oldest first.
    #[serde(default)]
    pub domains: Vec<Domain>,
}

/// Who may create projects: administrators only (the default), or every signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ProjectCreation {
    #[default]
    Admins,
    Everyone,
}

impl ProjectCreation {
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectCreation::Admins => "admins",
            ProjectCreation::Everyone => "everyone",
        }
    }

    pub fn parse(text: &str) -> Option<ProjectCreation> {
        [ProjectCreation::Admins, ProjectCreation::Everyone].into_iter().find(|p| p.as_str() == text)
    }
}

/// The instance's settings, as an admin sees and changes them (Admin → Settings).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Settings {
    pub project_creation: ProjectCreation,
}

/// A partial update of the settings: only the fields given change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct SettingsChanges {
    #[serde(default)]
    pub project_creation: Option<ProjectCreation>,
}

/// A partial update of an environment (admins only): only the lists given change.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct EnvironmentChanges {
    /// Address ranges ("10.0.0.0/8", "192.0.2.7", "fd00::/8") its backends must be in; `[]` for
    /// anywhere but link-local and cloud-metadata addresses.
    #[serde(default)]
    pub allowed_destinations: Option<Vec<String>>,
    /// Address ranges its backends may never be in.
    #[serde(default)]
    pub denied_destinations: Option<Vec<String>>,
    /// The listener's TLS settings, applied from the next handshake.
    #[serde(default)]
    pub tls: Option<ListenerTlsSettings>,
}

/// An API token as listed: never the secret itself, which is shown once at creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: i32,
    pub name: String,
    /// The first characters of the secret, so a person can tell tokens apart.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "backend", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<OffsetDateTime>,
}

/// A freshly created token: the only time the secret is revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct NewApiToken {
    pub token: String,
    pub summary: ApiToken,
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

pub const DEFAULT_PER_PAGE: u64 = 20;
