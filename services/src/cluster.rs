//! Several gateway nodes on one PostgreSQL database. Every command that changes what gateways
//! serve applies it in its own process first, as on one machine, then `announce`s it: one
//! statement raises the version of the change's scope (an environment's routes and edge, or
//! the credentials) and sends the scope, the new version and what changed through
//! LISTEN/NOTIFY. Every node (`follow`) applies a notification that is the next version of a
//! scope at once, from the database; one that skips a version, a lost connection to the
//! database, or a node that was down is healed by reading the scope whole. Each node records
//! in `gateway_nodes` the version it has applied per scope and a heartbeat, so a deploy can
//! wait until every running node serves it (`live_on`) and the console can list the nodes.
//!
//! On SQLite there is one node: nothing is announced, and the node's row still shows it.
pub mod follow;

use crate::entities::{environment, gateway_node};
use crate::model::{GatewayNode, LiveOn, ServedScope};
use crate::{Result, Services};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The LISTEN/NOTIFY channel.
pub const CHANNEL: &str = "gatehouse";
/// How often a node writes its heartbeat and compares its versions with the database's.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A node whose heartbeat is older than this is shown as down and not waited for.
pub const STALE_AFTER: Duration = Duration::from_secs(10);
/// How long a deploy waits for the running nodes to serve it before it answers.
pub const ACK_WAIT: Duration = Duration::from_secs(2);
/// A node silent for this long is forgotten (its row deleted by any node).
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What changed, for the other nodes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// One proxy's route in an environment (deploy, undeploy, promote, rollback, lifecycle).
    Route { environment: i32, proxy: i32 },
    /// An environment's routes and edge whole (destination lists, domains, listener TLS).
    Environment(i32),
    /// Every product and subscription (a subscription, key, plan or product change).
    Credentials,
}

impl Change {
    pub fn scope(&self) -> String {
        match self {
            Change::Route { environment, .. } | Change::Environment(environment) => format!("environment:{environment}"),
            Change::Credentials => "credentials".to_string(),
        }
    }

    fn detail(&self) -> String {
        match self {
            Change::Route { proxy, .. } => format!("proxy:{proxy}"),
            _ => String::new(),
        }
    }
}

/// What this process is in the cluster: its id, role, where it listens, and the configuration
/// version it has applied per scope (kept by `follow`).
pub struct Node {
    pub id: String,
    pub role: &'static str,
    address: Mutex<String>,
    started_at: time::OffsetDateTime,
    applied: Mutex<HashMap<String, i64>>,
}

impl Default for Node {
    fn default() -> Self {
        Node::new("console+gateway")
    }
}

impl Node {
    pub fn new(role: &'static str) -> Self {
        Node {
            id: uuid::Uuid::new_v4().to_string(),
            role,
            address: Mutex::new(String::new()),
            started_at: time::OffsetDateTime::now_utc(),
            applied: Mutex::default(),
        }
    }

    /// Where its listeners are, as printed at start ("gateway https://127.0.0.1:8443, …").
    pub fn set_address(&self, address: String) {
        *self.address.lock().unwrap_or_else(|p| p.into_inner()) = address;
    }

    fn address(&self) -> String {
        self.address.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// At start, before the node reads what is live: every scope's version then.
    pub fn start_from(&self, versions: HashMap<String, i64>) {
        *self.applied.lock().unwrap_or_else(|p| p.into_inner()) = versions;
    }

    pub fn applied(&self, scope: &str) -> i64 {
        self.applied.lock().unwrap_or_else(|p| p.into_inner()).get(scope).copied().unwrap_or(0)
    }

    fn set_applied(&self, scope: String, version: i64) {
        self.applied.lock().unwrap_or_else(|p| p.into_inner()).insert(scope, version);
    }

    fn serving_json(&self) -> String {
        serde_json::to_string(&*self.applied.lock().unwrap_or_else(|p| p.into_inner())).unwrap_or_else(|_| "{}".into())
    }
}

fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// `origin|scope|version|detail`, as `announce` sends it.
fn parse_announcement(payload: &str) -> Option<(&str, &str, i64, &str)> {
    let mut parts = payload.splitn(4, '|');
    Some((parts.next()?, parts.next()?, parts.next()?.parse().ok()?, parts.next()?))
}

/// After a change is stored and applied here: raises its scope's version and notifies every
/// node, in one statement (so notifications arrive in version order). Returns the new version;
/// `None` on SQLite (one node) or when the database could not be told, which is logged: the
/// other nodes then learn of it at their next start.
pub async fn announce(services: &Services, change: Change) -> Option<i64> {
    if !is_postgres(&services.db) {
        return None;
    }
    let sql = "WITH v AS (INSERT INTO cluster_versions (scope, version) VALUES ($1, 1) \
               ON CONFLICT (scope) DO UPDATE SET version = cluster_versions.version + 1 RETURNING version) \
               SELECT version, pg_notify($2, $3 || '|' || $1 || '|' || version || '|' || $4) FROM v";
    let values = [change.scope().into(), CHANNEL.into(), services.cluster.id.clone().into(), change.detail().into()];
    match services.db.query_one(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await {
        Ok(Some(row)) => row.try_get::<i64>("", "version").ok(),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, scope = %change.scope(), "the other gateway nodes could not be told of a change; they apply it at their next start");
            None
        }
    }
}

/// Waits (at most `ACK_WAIT`) until every running node has applied the announced version of
/// the change, and says how many serve it; on one node (`version` is `None`), that one.
pub async fn live_on(services: &Services, change: Change, version: Option<i64>) -> LiveOn {
    match version {
        Some(version) => wait_for(services, &change.scope(), version).await,
        None => LiveOn { nodes: 1, of: 1, lagging: Vec::new() },
    }
}

async fn wait_for(services: &Services, scope: &str, version: i64) -> LiveOn {
    let deadline = Instant::now() + ACK_WAIT;
    let mut pause = Duration::from_millis(2);
    loop {
        let live_on = match running(&services.db).await {
            Ok(nodes) => {
                let lagging: Vec<String> = nodes.iter().filter(|n| applied_in(&n.serving, scope) < version).map(name).collect();
                LiveOn { nodes: (nodes.len() - lagging.len()) as u32, of: nodes.len() as u32, lagging }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read which gateway nodes serve a change");
                return LiveOn { nodes: 1, of: 1, lagging: Vec::new() };
            }
        };
        if live_on.lagging.is_empty() || Instant::now() >= deadline {
            return live_on;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

fn applied_in(serving: &str, scope: &str) -> i64 {
    serde_json::from_str::<HashMap<String, i64>>(serving).ok().and_then(|m| m.get(scope).copied()).unwrap_or(0)
}

/// A node by where it is: its first address, else its id.
fn name(node: &gateway_node::Model) -> String {
    node.address.split(", ").next().filter(|a| !a.is_empty()).map_or_else(|| node.id.clone(), str::to_string)
}

async fn running(db: &DatabaseConnection) -> Result<Vec<gateway_node::Model>> {
    let since = time::OffsetDateTime::now_utc() - STALE_AFTER;
    Ok(gateway_node::Entity::find().filter(gateway_node::Column::HeartbeatAt.gt(since)).all(db).await?)
}

/// Per environment (by id), how many running nodes serve it as it is now (its latest
/// announced version): the Deploy page's "live on 3 of 3 gateways".
pub async fn serving_environments(db: &DatabaseConnection) -> Result<HashMap<i32, LiveOn>> {
    let (latest, nodes) = (versions(db).await?, running(db).await?);
    let environments = environment::Entity::find().all(db).await?;
    Ok(environments
        .into_iter()
        .map(|env| {
            let scope = Change::Environment(env.id).scope();
            let version = latest.get(&scope).copied().unwrap_or(0);
            let lagging: Vec<String> = nodes.iter().filter(|n| applied_in(&n.serving, &scope) < version).map(name).collect();
            (env.id, LiveOn { nodes: (nodes.len() - lagging.len()) as u32, of: nodes.len() as u32, lagging })
        })
        .collect())
}

/// Whether another node is up on this database (a start must not settle its deploys).
pub async fn others_up(services: &Services) -> Result<bool> {
    Ok(running(&services.db).await?.iter().any(|n| n.id != services.cluster.id))
}

/// Every scope's latest version.
pub async fn versions(db: &DatabaseConnection) -> Result<HashMap<String, i64>> {
    if !is_postgres(db) {
        return Ok(HashMap::new());
    }
    let rows = db.query_all(Statement::from_string(DbBackend::Postgres, "SELECT scope, version FROM cluster_versions")).await?;
    rows.into_iter().map(|row| Ok((row.try_get::<String>("", "scope")?, row.try_get::<i64>("", "version")?))).collect()
}

/// Writes this node's row: where it is, what it has applied, and now as its heartbeat.
pub async fn heartbeat(services: &Services) -> Result<()> {
    let node = &services.cluster;
    let now = time::OffsetDateTime::now_utc();
    let row = gateway_node::ActiveModel {
        id: sea_orm::Set(node.id.clone()),
        role: sea_orm::Set(node.role.to_string()),
        address: sea_orm::Set(node.address()),
        version: sea_orm::Set(env!("CARGO_PKG_VERSION").to_string()),
        serving: sea_orm::Set(node.serving_json()),
        limits: sea_orm::Set(services.gateway.limits().to_string()),
        started_at: sea_orm::Set(node.started_at),
        heartbeat_at: sea_orm::Set(now),
    };
    let columns = [gateway_node::Column::Address, gateway_node::Column::Serving, gateway_node::Column::Limits, gateway_node::Column::HeartbeatAt];
    gateway_node::Entity::insert(row).on_conflict(OnConflict::column(gateway_node::Column::Id).update_columns(columns).to_owned()).exec(&services.db).await?;
    gateway_node::Entity::delete_many().filter(gateway_node::Column::HeartbeatAt.lt(now - FORGET_AFTER)).exec(&services.db).await?;
    Ok(())
}

/// At a graceful stop: the node leaves the list (deploys stop waiting for it).
pub async fn leave(services: &Services) -> Result<()> {
    gateway_node::Entity::delete_by_id(services.cluster.id.clone()).exec(&services.db).await?;
    Ok(())
}

/// Every node with what it serves per scope against the latest version, running ones first.
pub async fn nodes(db: &DatabaseConnection) -> Result<Vec<GatewayNode>> {
    let latest = versions(db).await?;
    let names: HashMap<String, String> = environment::Entity::find().all(db).await?.into_iter().map(|e| (Change::Environment(e.id).scope(), e.name)).collect();
    let now = time::OffsetDateTime::now_utc();
    let mut rows = gateway_node::Entity::find().all(db).await?;
    rows.sort_by(|a, b| b.heartbeat_at.cmp(&a.heartbeat_at).then_with(|| a.address.cmp(&b.address)));
    Ok(rows
        .into_iter()
        .map(|row| {
            let applied: HashMap<String, i64> = serde_json::from_str(&row.serving).unwrap_or_default();
            let mut scopes: Vec<&String> = applied.keys().chain(latest.keys()).collect();
            scopes.sort();
            scopes.dedup();
            let serving = scopes
                .into_iter()
                .map(|scope| {
                    let (applied, current) = (applied.get(scope).copied().unwrap_or(0), latest.get(scope).copied().unwrap_or(0));
                    let name =
                        names.get(scope).cloned().unwrap_or_else(|| if scope == "credentials" { "Subscriptions and keys".into() } else { scope.clone() });
                    ServedScope { scope: scope.clone(), name, applied, current, lag: (current - applied).max(0) }
                })
                .collect();
            let age = (now - row.heartbeat_at).max(time::Duration::ZERO);
            GatewayNode {
                id: row.id,
                role: row.role,
                address: row.address,
                version: row.version,
                limits: row.limits,
                started_at: row.started_at,
                heartbeat_at: row.heartbeat_at,
                heartbeat_age_secs: age.whole_seconds() as u64,
                up: age < STALE_AFTER,
                serving,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_parse_as_sent_and_nothing_else_does() {
        let change = Change::Route { environment: 3, proxy: 17 };
        let payload = format!("node-a|{}|42|{}", change.scope(), change.detail());
        assert_eq!(parse_announcement(&payload), Some(("node-a", "environment:3", 42, "proxy:17")));
        assert_eq!(parse_announcement("node-a|credentials|7|"), Some(("node-a", "credentials", 7, "")));
        for bad in ["", "node-a", "node-a|credentials", "node-a|credentials|x|", "node-a|credentials|7"] {
            assert_eq!(parse_announcement(bad), None, "{bad}");
        }
    }

    #[test]
    fn live_on_names_the_nodes_that_lag() {
        assert_eq!(LiveOn { nodes: 3, of: 3, lagging: vec![] }.describe(), "live on 3 of 3 gateways");
        assert_eq!(LiveOn { nodes: 1, of: 1, lagging: vec![] }.describe(), "live on 1 of 1 gateway");
        let one = LiveOn { nodes: 2, of: 3, lagging: vec!["https://127.0.0.1:9443".into()] };
        assert_eq!(one.describe(), "live on 2 of 3 gateways; https://127.0.0.1:9443 lags");
    }
}
