//! Several gateway nodes on one database: what the console and `GET /api/v1/gateways` show.
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How many of the running gateway nodes serve a change, once they acknowledged it (or the
/// wait ran out): "live on 3 of 3 gateways".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct LiveOn {
    pub nodes: u32,
    pub of: u32,
    /// The nodes (by address) that had not applied it when the wait ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lagging: Vec<String>,
}

impl LiveOn {
    /// "live on 3 of 3 gateways", or "live on 2 of 3 gateways; 127.0.0.1:8443 lags".
    pub fn describe(&self) -> String {
        let gateways = if self.of == 1 { "gateway" } else { "gateways" };
        match self.lagging.as_slice() {
            [] => format!("live on {} of {} {gateways}", self.nodes, self.of),
            lagging => format!("live on {} of {} {gateways}; {} {}", self.nodes, self.of, lagging.join(", "), if lagging.len() == 1 { "lags" } else { "lag" }),
        }
    }
}

/// One node: where it is, what it serves, and whether it keeps up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct GatewayNode {
    pub id: String,
    /// "console+gateway" (plain `gatehouse`) or "gateway" (`gatehouse gateway`).
    pub role: String,
    /// Its gateway listeners (and console), as it printed them.
    pub address: String,
    /// The Gatehouse version it runs.
    pub version: String,
    /// Where its rate limits are counted: across the nodes in Redis, or alone.
    pub limits: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "backend", schema(value_type = String, format = DateTime))]
    pub heartbeat_at: OffsetDateTime,
    /// Seconds since its last heartbeat when this was read.
    pub heartbeat_age_secs: u64,
    /// Its heartbeat is recent: it is running and is waited for by deploys.
    pub up: bool,
    /// Per scope of configuration, what it has applied against the latest.
    pub serving: Vec<ServedScope>,
}

/// "Development: version 42 of 42", or behind by some changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "backend", derive(utoipa::ToSchema))]
pub struct ServedScope {
    /// "environment:1" or "credentials".
    pub scope: String,
    /// The environment's name, or "Subscriptions and keys".
    pub name: String,
    /// The configuration version it has applied.
    pub applied: i64,
    /// The latest configuration version.
    pub current: i64,
    /// How many changes it is behind (0 when it keeps up).
    pub lag: i64,
}
