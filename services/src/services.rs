use crate::auth::{LoginThrottle, SetupLink};
use crate::secrets::MasterKey;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Everything a service call may need, cheap to clone: the console and the REST API both hold
/// one. Services are plain functions over these parts so tests can build them from scratch.
///
/// Locks, and who owns them: the login throttle's and the setup link's are inside those types;
/// `deploy_lock` is owned here and taken by `deployments` and by `environments` when it
/// compiles an environment's routes again; the gateway's route tables are
/// locked inside the gateway crate (one writer lock per environment), never from here.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub throttle: Arc<LoginThrottle>,
    pub setup: Arc<SetupLink>,
    pub master_key: MasterKey,
    /// The gateway this process runs: made before the services (server/src/main.rs) and handed
    /// in, so a deploy goes straight from here to the swap.
    pub gateway: Arc<dyn gateway::Control>,
    /// Deploys (and an environment's republish) run one at a time, so two never build on the
    /// same old route table.
    pub deploy_lock: Arc<tokio::sync::Mutex<()>>,
    /// Check connection and Test calls per user (`quota`).
    pub outbound: Arc<crate::quota::OutboundQuota>,
    /// Credentials are published one at a time (`credentials`).
    pub credentials_lock: Arc<tokio::sync::Mutex<()>>,
    /// How ACME servers are reached and how often renewals are looked for (`domains::acme`).
    pub acme: Arc<crate::domains::acme::AcmeSettings>,
    /// This node among the others on the same database (`cluster`).
    pub cluster: Arc<crate::cluster::Node>,
}

impl Services {
    pub fn new(db: DatabaseConnection, master_key: MasterKey, gateway: Arc<dyn gateway::Control>) -> Self {
        Services {
            db,
            throttle: Arc::default(),
            setup: Arc::default(),
            master_key,
            gateway,
            deploy_lock: Arc::default(),
            outbound: Arc::default(),
            credentials_lock: Arc::default(),
            acme: Arc::default(),
            cluster: Arc::default(),
        }
    }
}
