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
}

impl Services {
    pub fn new(db: DatabaseConnection, master_key: MasterKey) -> Self {
        Services { db, throttle: Arc::new(LoginThrottle::default()), setup: Arc::new(SetupLink::default()), master_key, gateway_urls: Arc::default() }
    }
}
