use crate::auth::{LoginThrottle, SetupLink};
use crate::secrets::MasterKey;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Everything a service call may need, cheap to clone: the console and the REST API both hold
/// one. Services are plain functions over these parts so tests can build them from scratch.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub throttle: Arc<LoginThrottle>,
    pub setup: Arc<SetupLink>,
    pub master_key: MasterKey,
    /// Where each environment's gateway listens, once the server has started them.
    pub gateway_urls: Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>,
    /// The gateway running in this process, once started.
    pub gateway: Arc<std::sync::RwLock<Option<Arc<dyn crate::upstream::GatewayControl>>>>,
    /// Deploys run one at a time, so two never build on the same old route table.
    pub deploy_lock: Arc<tokio::sync::Mutex<()>>,
}

impl Services {
    /// The running gateway, or an error saying there is none in this process.
    pub fn gateway(&self) -> crate::Result<Arc<dyn crate::upstream::GatewayControl>> {
        self.gateway
            .read()
            .ok()
            .and_then(|g| g.clone())
            .ok_or_else(|| crate::Error::Conflict("the gateway is not running in this process, so nothing can be deployed".into()))
    }

    pub fn new(db: DatabaseConnection, master_key: MasterKey) -> Self {
        Services { db, throttle: Arc::new(LoginThrottle::default()), setup: Arc::new(SetupLink::default()), master_key, gateway_urls: Arc::default(), gateway: Arc::default(), deploy_lock: Arc::default() }
    }
}
